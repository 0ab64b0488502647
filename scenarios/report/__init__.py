"""``report.html``: one self-contained page to look at a plan before publishing it.

``run_report(run)`` renders a CLI plan run; ``replan_report(problem, plan, replan, title)`` a stored API
plan or re-plan (the independent check runs again there; a re-plan also lists its changes). Charts are
plotly figures with plotly.js embedded in the page, so the file opens offline. Presentation lives here and
in ``api``, never in ``optimizer`` or ``forecasting``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from optimizer import check_plan
from optimizer.domain import Plan, PlanningProblem
from optimizer.replan.domain import ReplanResult
from scenarios.pipeline import GIVEN_DEMAND, PlanRun
from scenarios.report.page import ReportInputs, render_page

REPORT_FILE = "report.html"


def problem_inputs(problem: PlanningProblem, title: str, violations: tuple[str, ...] = ()) -> ReportInputs:
    """Return the report inputs a planning problem gives: contracts of workers and the service target."""
    return ReportInputs(
        title=title,
        contracts={w.worker_id: w.contract for w in problem.workforce.workers},
        target_service_level=problem.service_target.service_level,
        answer_within_s=problem.service_target.answer_within_s,
        violations=violations,
    )


def replan_report(
    problem: PlanningProblem,
    plan: Plan,
    replan: ReplanResult | None,
    title: str,
    violations: Sequence[object] | None = None,
) -> str:
    """Return the report of a plan or re-plan; a re-plan also lists what it changed.

    Without ``violations`` the independent check runs here (a re-plan's objective has change terms, so its
    check compares no objective, as ``shiftmix replan`` does).
    """
    if violations is None:
        violations = check_plan(problem, plan, None if replan is not None else plan.solver.params)
    inputs = problem_inputs(problem, title, tuple(str(v) for v in violations))
    if replan is not None:
        changes = pd.DataFrame([c.model_dump(mode="json") for c in replan.changes])
        inputs = replace(inputs, changes=changes)
    return render_page(plan, inputs)


def run_report(run: PlanRun, title: str = "shiftmix plan") -> str:
    """Return the report of a ``shiftmix plan`` run (its check results and how the demand was made)."""
    inputs = problem_inputs(run.problem, title, tuple(str(v) for v in run.violations))
    source = "Demand planned as given." if run.forecast.model == GIVEN_DEMAND else f"Forecast: {run.forecast.model}."
    return render_page(run.plan, replace(inputs, notes=(source,)))


__all__ = [
    "REPORT_FILE",
    "ReportInputs",
    "problem_inputs",
    "render_page",
    "replan_report",
    "run_report",
]
