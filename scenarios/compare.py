"""Compare the runs of a scenario: one results row per run, the cost-optimal headcount, and the files.

Results frame contract (``results.csv``; ``results.json`` holds the same rows under ``runs``), one row per
run, the base first:

=========================  ====================================================================================
column                     meaning
=========================  ====================================================================================
name, status               run name; solver status (``OPTIMAL``, ``FEASIBLE``, …) or ``ERROR`` (see ``error``)
meets_target               a plan was found, passed ``check_plan``, and no interval is below its requirement
total_cost[_cents]         FTE plus gig cost, in currency units and in cents (minor units)
fte_cost[_cents]           paid FTE hours x contract rates
gig_cost[_cents]           posted gig hours x gig rate
contacts                   contacts reaching people over the horizon (after the bot)
cost_per_contact           total_cost / contacts [currency units]
fte_hours, gig_hours       paid FTE hours, posted gig hours [h]
gig_share                  gig_hours / (fte_hours + gig_hours) (0-1)
service_level, asa_s       volume-weighted forecast service level (0-1) and average speed of answer [s]
understaffed_intervals     intervals with scheduled < required
shortfall_agent_hours      agent-hours below the requirement [h]
fte_headcount              FTEs in the run's workforce
gig_cap                    gig pool ``max_concurrent`` (0 without a pool)
gig_max_shifts_per_day     gig pool ``max_shifts_per_day`` (empty: no cap)
containment                bot containment of the planned horizon (0-1)
demand_uplift              uplifted / forecast volume of the horizon (1.0: no uplift)
gap_ratio, wall_time_s     solver gap (0-1) and solve time [s]
violations                 problems ``check_plan`` found (0 expected)
differs                    what the run changes versus the base (``(base)`` for the base)
error                      why a run has no plan (empty otherwise)
=========================  ====================================================================================
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from scenarios.charts import write_charts
from scenarios.pipeline import write_outputs
from scenarios.sweep import ScenarioResult, VariationResult

DEFAULT_FLAT_TOLERANCE = 0.01
"""Costs within this share of the optimum count as "as cheap" when reporting how flat the curve is (0-1)."""

_WORKFORCE_FIELDS = {"staff", "workers", "contracts", "gig_pool", "solve"}


@dataclass(frozen=True, slots=True)
class HeadcountPoint:
    """The cost of meeting the target with one FTE headcount (a sweep row, or an optimizer answer)."""

    label: str
    fte_headcount: int
    total_cost_cents: int
    meets_target: bool
    gap_ratio: float | None


@dataclass(frozen=True, slots=True)
class HeadcountOptimum:
    """The cheapest FTE headcount that meets the target, and how flat the cost curve is around it.

    ``flat_low`` .. ``flat_high`` is the range of target-meeting headcounts whose cost is within
    ``tolerance_ratio`` of the optimum. ``max_gap_ratio`` is the largest solver gap of the points compared:
    cost differences smaller than it are within solver noise. ``source`` says whether the points came from a
    scenario ``sweep`` or an ``optimizer`` that treats headcount as a decision.
    """

    label: str
    fte_headcount: int
    total_cost_cents: int
    tolerance_ratio: float
    flat_low: int
    flat_high: int
    flat_labels: tuple[str, ...]
    max_gap_ratio: float
    points_compared: int
    source: Literal["sweep", "optimizer"] = "sweep"

    def describe(self) -> str:
        """Return one readable sentence."""
        spread = (
            f"{self.flat_low}" if self.flat_low == self.flat_high else f"{self.flat_low}..{self.flat_high}"
        )
        return (
            f"cost-optimal FTE headcount {self.fte_headcount} ({self.label}): {self.total_cost_cents / 100:,.2f}; "
            f"headcounts within {self.tolerance_ratio:.0%} of it: {spread} "
            f"(of {self.points_compared} meeting the target; largest solver gap {self.max_gap_ratio:.2%})"
        )


def cost_optimal_headcount(
    points: Iterable[HeadcountPoint], *, tolerance_ratio: float = DEFAULT_FLAT_TOLERANCE
) -> HeadcountOptimum | None:
    """Return the cheapest target-meeting headcount, or ``None`` without two distinct such headcounts.

    Parameters
    ----------
    points : iterable of HeadcountPoint
        Costs at several headcounts on the same demand and service target.
    tolerance_ratio : float
        Share above the optimum cost that still counts as flat (0-1).
    """
    meeting = [p for p in points if p.meets_target]
    if len({p.fte_headcount for p in meeting}) < 2:
        return None
    best = min(meeting, key=lambda p: (p.total_cost_cents, p.fte_headcount))
    flat = [p for p in meeting if p.total_cost_cents <= best.total_cost_cents * (1.0 + tolerance_ratio)]
    return HeadcountOptimum(
        label=best.label,
        fte_headcount=best.fte_headcount,
        total_cost_cents=best.total_cost_cents,
        tolerance_ratio=tolerance_ratio,
        flat_low=min(p.fte_headcount for p in flat),
        flat_high=max(p.fte_headcount for p in flat),
        flat_labels=tuple(p.label for p in sorted(flat, key=lambda p: p.fte_headcount)),
        max_gap_ratio=max((p.gap_ratio or 0.0) for p in meeting),
        points_compared=len(meeting),
    )


def meets_target(v: VariationResult) -> bool:
    """Return whether a run has a checked plan with no interval below its requirement."""
    return v.solved and v.run is not None and v.run.plan.kpis.understaffed_intervals == 0


def _row(v: VariationResult) -> dict[str, object]:
    config = v.config
    pool = config.gig_pool
    row: dict[str, object] = {
        "name": v.name,
        "status": v.status,
        "meets_target": meets_target(v),
        "fte_headcount": len(config.workforce().workers),
        "gig_cap": pool.max_concurrent if pool is not None else 0,
        "gig_max_shifts_per_day": pool.max_shifts_per_day if pool is not None else None,
        "containment": config.automation.containment,
        "demand_uplift": round(v.demand_uplift_ratio, 4),
        "differs": v.differs,
        "error": v.error or "",
    }
    if v.run is None or not v.run.plan.coverage:
        return row
    k, solver = v.run.plan.kpis, v.run.plan.solver
    contacts = sum(c.volume for c in v.run.plan.coverage)
    hours = k.fte_hours + k.gig_hours
    row.update(
        {
            "total_cost": k.total_cost_cents / 100,
            "total_cost_cents": k.total_cost_cents,
            "fte_cost": k.fte_cost_cents / 100,
            "fte_cost_cents": k.fte_cost_cents,
            "gig_cost": k.gig_cost_cents / 100,
            "gig_cost_cents": k.gig_cost_cents,
            "contacts": round(contacts, 1),
            "cost_per_contact": round(k.total_cost_cents / 100 / contacts, 4) if contacts > 0 else None,
            "fte_hours": k.fte_hours,
            "gig_hours": k.gig_hours,
            "gig_share": round(k.gig_hours / hours, 4) if hours > 0 else 0.0,
            "service_level": round(k.service_level, 4),
            "asa_s": round(k.asa_s, 2) if k.asa_s is not None else None,
            "understaffed_intervals": k.understaffed_intervals,
            "shortfall_agent_hours": k.shortfall_agent_hours,
            "gap_ratio": solver.gap_ratio,
            "wall_time_s": round(solver.wall_time_s, 2),
            "violations": len(v.run.violations),
        }
    )
    return row


COLUMNS = (
    "name", "status", "meets_target", "total_cost", "total_cost_cents", "fte_cost", "fte_cost_cents",
    "gig_cost", "gig_cost_cents", "contacts", "cost_per_contact", "fte_hours", "gig_hours", "gig_share",
    "service_level", "asa_s", "understaffed_intervals", "shortfall_agent_hours", "fte_headcount", "gig_cap",
    "gig_max_shifts_per_day", "containment", "demand_uplift", "gap_ratio", "wall_time_s", "violations",
    "differs", "error",
)  # fmt: skip
"""Columns of ``results.csv``, in order (see the module docstring)."""


def results_frame(result: ScenarioResult) -> pd.DataFrame:
    """Return the results frame: one row per run, the base first, columns :data:`COLUMNS`."""
    frame = pd.DataFrame([_row(v) for v in result.variations]).reindex(columns=list(COLUMNS))
    int_columns = [c for c in COLUMNS if c.endswith("_cents") or c in ("understaffed_intervals", "violations")]
    return frame.astype(dict.fromkeys([*int_columns, "gig_max_shifts_per_day"], "Int64"))


def same_demand_as_base(result: ScenarioResult, v: VariationResult) -> bool:
    """Return whether a run plans the base's demand and target, changing only workforce, pool or solver."""
    base = result.base.config.model_dump(exclude=_WORKFORCE_FIELDS)
    return v.demand_uplift_ratio == 1.0 and v.config.model_dump(exclude=_WORKFORCE_FIELDS) == base


def headcount_points(result: ScenarioResult) -> list[HeadcountPoint]:
    """Return the headcount-cost points of the runs that share the base's demand and target."""
    points = []
    for v in result.variations:
        if v.run is None or not v.run.plan.coverage or not same_demand_as_base(result, v):
            continue
        points.append(
            HeadcountPoint(
                label=v.name,
                fte_headcount=len(v.config.workforce().workers),
                total_cost_cents=v.run.plan.kpis.total_cost_cents,
                meets_target=meets_target(v),
                gap_ratio=v.run.plan.solver.gap_ratio,
            )
        )
    return points


def scenario_headcount_optimum(
    result: ScenarioResult, *, tolerance_ratio: float = DEFAULT_FLAT_TOLERANCE
) -> HeadcountOptimum | None:
    """Return the cost-optimal headcount among a scenario's same-demand runs (``None`` without a sweep)."""
    return cost_optimal_headcount(headcount_points(result), tolerance_ratio=tolerance_ratio)


def _json_ready(frame: pd.DataFrame) -> list[dict[str, object]]:
    records: list[dict[str, object]] = json.loads(frame.to_json(orient="records"))
    return records


def write_results(result: ScenarioResult, out_dir: Path, *, charts: bool = True) -> list[Path]:
    """Write ``results.csv``, ``results.json``, each run's plan files under ``runs/NAME/`` and the charts.

    Returns
    -------
    list of Path
        The files written, results first.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = results_frame(result)
    points = headcount_points(result)
    optimum = cost_optimal_headcount(points)
    csv_path, json_path = out_dir / "results.csv", out_dir / "results.json"
    frame.to_csv(csv_path, index=False)
    document = {
        "title": result.scenario.title,
        "description": result.scenario.description,
        "run": {
            "backend": result.backend,
            "parallel_tasks": result.parallel_tasks,
            "solver_threads": result.solver_threads,
            "forecasts_fitted": result.forecasts_fitted,
            "wall_time_s": round(result.wall_time_s, 2),
        },
        "headcount_optimum": asdict(optimum) if optimum is not None else None,
        "runs": _json_ready(frame),
    }
    json_path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    written = [csv_path, json_path]
    for v in result.variations:
        if v.run is not None:
            written.extend(write_outputs(v.run, out_dir / "runs" / v.name))
    if charts:
        written.extend(write_charts(result, frame, points, optimum, out_dir))
    return written


__all__ = [
    "COLUMNS",
    "DEFAULT_FLAT_TOLERANCE",
    "HeadcountOptimum",
    "HeadcountPoint",
    "cost_optimal_headcount",
    "headcount_points",
    "meets_target",
    "results_frame",
    "same_demand_as_base",
    "scenario_headcount_optimum",
    "write_results",
]
