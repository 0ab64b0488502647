"""``shiftmix plan``: run the main job on the bundled example or a config file and write the plan files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from api.cli._args import finite_float
from api.cli._errors import EXIT_NO_PLAN, no_plan_message, validation_problem
from api.cli._paths import check_output_dir
from forecasting import GAP_POLICIES
from optimizer import unmet_frame
from optimizer.arrival_law import DEFAULT_HORIZON_CV, DEFAULT_VOLUME_CV
from optimizer.domain import Plan, SolveParams
from optimizer.errors import InputError
from optimizer.export import fairness_spreads
from optimizer.risk import at_risk_frame, expected_share_below, risk_threshold
from scenarios.exports import parse_formats, write_exports
from scenarios.pipeline import GIVEN_DEMAND, PlanRun, run_plan, write_outputs
from scenarios.report import run_report
from scenarios.spec import PlanConfig, load_example, load_plan_config


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plan`` sub-command."""
    p = sub.add_parser("plan", help="forecast, staff and schedule a horizon; write schedule, coverage and plan files")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--example", action="store_true", help="run the bundled example (Stockholm, 60 FTEs + gig)")
    src.add_argument("--config", type=Path, metavar="FILE", help="a plan config (YAML or JSON)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the output files")
    p.add_argument("--time-limit-s", type=finite_float, metavar="S", help="override the solver time limit [s]")
    p.add_argument("--seed", type=int, metavar="N", help="override the solver random seed")
    p.add_argument("--workers", type=int, metavar="N", help="override the number of CP-SAT workers")
    p.add_argument(
        "--demand",
        type=Path,
        metavar="FILE",
        help="plan this demand CSV (forecast format interval_start,volume,aht_s) instead of forecasting",
    )
    p.add_argument(
        "--gaps",
        choices=GAP_POLICIES,
        help="missing history intervals: error, zero (site closed) or seasonal (data missing)",
    )
    p.add_argument(
        "--formats",
        default="csv",
        metavar="LIST",
        help="outputs besides plan.json: csv,ics,xlsx,html (calendars/, plan.xlsx, report.html); default csv",
    )
    p.set_defaults(handler=run)


def _params(args: argparse.Namespace, base: SolveParams) -> SolveParams:
    overrides = {
        k: v
        for k, v in (
            ("time_limit_s", args.time_limit_s),
            ("random_seed", args.seed),
            ("num_workers", args.workers),
        )
        if v is not None
    }
    try:
        return SolveParams.model_validate({**base.model_dump(), **overrides})
    except ValidationError as exc:
        flag = {"time_limit_s": "--time-limit-s", "random_seed": "--seed", "num_workers": "--workers"}
        loc = exc.errors()[0]["loc"]
        name = str(loc[0]) if loc else "time_limit_s"
        raise InputError.single(flag.get(name, name), validation_problem(exc)) from None


def _overridden(config: PlanConfig, args: argparse.Namespace) -> PlanConfig:
    """Return the config with ``--demand`` and ``--gaps`` put in (a demand file is read from the cwd)."""
    update: dict[str, object] = {}
    if args.demand is not None:
        update["demand"] = str(args.demand.resolve())
    if args.gaps is not None:
        update["gaps"] = args.gaps
    return config.model_copy(update=update) if update else config


def _listed(paths: list[Path]) -> list[str]:
    """Return the written paths to print, with the calendar files counted under their folder."""
    calendars = [p for p in paths if p.suffix == ".ics"]
    shown = [str(p) for p in paths if p.suffix != ".ics"]
    if calendars:
        shown.append(f"{calendars[0].parent}/ ({len(calendars)} .ics files)")
    return shown


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


UNMET_SHOWN = 3
"""Runs of understaffed intervals the summary names; ``unmet.csv`` lists them all."""


def unmet_runs(plan: Plan) -> str:
    """Return ": <first runs of understaffed intervals> (unmet.csv)", or "" when every interval is covered."""
    runs = unmet_frame(plan)
    if "queue" in runs.columns:  # several queues: the live queues' runs here, e-mail late work on its own line
        email = {r.queue for r in plan.queue_coverage if r.channel == "email"}
        runs = runs[~runs["queue"].isin(email)]
    if runs.empty:
        return ""
    shown = "; ".join(
        ("" if "queue" not in runs.columns else f"{r.queue} ")
        + f"{str(r.start)[:16].replace('T', ' ')}-{str(r.end)[11:16]} short {r.most_short}"
        for r in runs.head(UNMET_SHOWN).itertuples()
    )
    more = f" and {len(runs) - UNMET_SHOWN} more" if len(runs) > UNMET_SHOWN else ""
    return f": {shown}{more} (unmet.csv)"


def _risk(run: PlanRun) -> str:
    share = expected_share_below(run.plan)
    if share is None:
        return "n/a"
    below = risk_threshold(run.problem.service_target)
    risky = at_risk_frame(run.plan, below)
    shown = ", ".join(
        f"{str(r['interval_start'])[:16].replace('T', ' ')} ({r['p_meet']:.0%})"
        for r in risky.head(UNMET_SHOWN).to_dict("records")
    )
    more = f" and {len(risky) - UNMET_SHOWN} more" if len(risky) > UNMET_SHOWN else ""
    target = run.problem.service_target
    cv = target.volume_cv if target.volume_cv is not None else DEFAULT_VOLUME_CV
    spread = f"forecast error CV {cv:.0%}" + (" (measured)" if run.forecast.volume_cv == target.volume_cv else "")
    scope = "horizon level" if target.scope == "horizon" else target.confidence_scope
    confidence = f"confidence {target.confidence:g} ({scope}), " if target.confidence else ""
    horizon = ""
    if target.scope == "horizon" and run.plan.kpis.p_meet_horizon is not None:
        shared = target.horizon_volume_cv if target.horizon_volume_cv is not None else DEFAULT_HORIZON_CV
        measured = " measured" if run.forecast.horizon_volume_cv == target.horizon_volume_cv else ""
        horizon = (
            f"; P(horizon level >= {target.service_level:.0%}) {run.plan.kpis.p_meet_horizon:.0%} "
            f"(shared error CV {shared:.0%}{measured})"
        )
    return (
        f"{confidence}{spread}{horizon}; expected {share:.0%} of intervals below target; "
        f"{len(risky)} at risk (P(meet) < {below:.0%})" + (f": {shown}{more} (plan.json, risk)" if len(risky) else "")
    )


def _objective_terms(plan: Plan) -> str:
    """Return why the objective differs from the cost: `` (= cost + shortfall_penalty 737.00)``, or ``""``."""
    extra = {k: v for k, v in plan.cost_terms_cents.items() if not k.endswith("_cost") and v}
    if not extra:
        return ""
    return " (= cost + " + " + ".join(f"{k} {_money(v)}" for k, v in extra.items()) + ")"


def _queue_lines(run: PlanRun) -> list[str]:
    """Return one summary line per queue of a several-queue plan."""
    out = []
    for queue, k in zip(run.problem.queues, run.plan.kpis.queues, strict=True):
        target = queue.service_target or run.problem.service_target
        expected = f", {k.expected_service_level:.1%} expected" if k.expected_service_level is not None else ""
        if queue.live:
            level = (
                f"{k.service_level:.1%} within {target.answer_within_s:g} s at the forecast{expected} "
                f"(target {target.service_level:.0%})"
            )
            short = f"{k.understaffed_intervals} understaffed intervals"
        else:
            level = (
                f"{k.service_level:.1%} handled within {queue.window_h:g} h{expected} (target {queue.share_within:.0%})"
            )
            short = f"{k.understaffed_intervals} intervals with late work"
            if k.overdue_intervals is not None:
                short += f", {k.overdue_intervals} with work older than {queue.max_age_h:g} h"
            short += f"; {k.open_at_end_agent_hours or 0.0:,.1f} person-hours open at the end"
        out.append(f"queue        {k.queue} ({k.channel}): {k.volume:,.0f} contacts, {level}; {short}")
    return out


def summary(run: PlanRun) -> str:
    """Return the short human summary printed after a plan."""
    p = run.plan
    k = p.kpis
    s = p.solver
    first, last = run.problem.demand[0].interval_start, run.problem.demand[-1].interval_start
    lines = [
        f"horizon      {first:%Y-%m-%d} .. {last:%Y-%m-%d} ({run.problem.days} days, {p.interval_min}-min intervals, "
        f"{p.timezone})",
        ("demand       given" if run.forecast.model == GIVEN_DEMAND else f"forecast     {run.forecast.model}")
        + f": {sum(d.volume for d in run.problem.demand):,.0f} contacts",
        f"cost         {_money(k.total_cost_cents)} {run.config.currency} total = FTE {_money(k.fte_cost_cents)} "
        + (f"+ FTE fixed {_money(k.fte_fixed_cost_cents)} " if k.fte_fixed_cost_cents else "")
        + f"+ gig {_money(k.gig_cost_cents)}",
        f"hours        FTE {k.fte_hours:,.1f} h by {k.fte_employed} employed; "
        f"gig {k.gig_hours:,.1f} h in {k.gig_shifts} micro-shifts",
        f"service      {k.service_level:.1%} within {run.problem.service_target.answer_within_s:g} s "
        + (
            f"at the forecast, {k.expected_service_level:.1%} expected with its error "
            if k.expected_service_level is not None
            else ""
        )
        + f"(target {run.problem.service_target.service_level:.0%}); ASA "
        + (f"{k.asa_s:.1f} s" if k.asa_s is not None else "none (no contact can be answered)")
        + (
            f"; {k.overloaded_intervals} intervals ({k.overloaded_volume:,.1f} contacts) with too few agents "
            "to answer, left out of ASA"
            if k.overloaded_intervals
            else ""
        ),
        f"shortfall    {k.understaffed_intervals} understaffed intervals, {k.shortfall_agent_hours:g} agent-hours"
        + unmet_runs(p),
        *_queue_lines(run),
        *_people_lines(p),
        f"risk         {_risk(run)}",
        f"solver       {s.status}; objective {_money(s.objective_cents or 0)}{_objective_terms(p)}, "
        f"bound {_money(s.best_bound_cents or 0)}, gap {(s.gap_ratio or 0):.3%}, {s.wall_time_s:.1f} s"
        + (f" (first plan {s.first_solution_s:.1f} s)" if s.first_solution_s is not None else ""),
        "check        "
        + ("passed" if not run.violations else f"{len(run.violations)} violations: {run.violations[0]}"),
    ]
    lines.extend(f"note         {note}" for note in (s.message, *run.notes, p.gap_note()) if note)
    return "\n".join(lines)


def _people_lines(plan: Plan) -> list[str]:
    """Return the preferences-met and weekend-spread line (people.csv has each person), or none without people."""
    if not plan.people:
        return []
    asked = sum(r.preferences for r in plan.people)
    met = sum(r.preferences_met for r in plan.people)
    spreads = ", ".join(f"{c} {s['weekend_days']:g}" for c, s in fairness_spreads(plan).items())
    penalty = _money(plan.cost_terms_cents.get("preference_penalty", 0))
    wishes = f"preferences {met}/{asked} met (penalty {penalty}); " if asked else ""
    return [f"people       {wishes}weekend-day spread per contract: {spreads} (people.csv)"]


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix plan``; exit 3 (and write nothing) when the solver finds no plan."""
    check_output_dir(args.out)
    config, base_dir = load_example() if args.example else load_plan_config(args.config)
    config = _overridden(config, args)
    formats = parse_formats(args.formats)
    params = _params(args, config.solve)
    result = run_plan(config, base_dir, params)
    s = result.plan.solver
    if not result.plan.found:
        print(f"shiftmix: error: {no_plan_message(s.status, s.wall_time_s, params.time_limit_s)}", file=sys.stderr)
        return EXIT_NO_PLAN
    paths = write_outputs(result, args.out) + write_exports(result.plan, args.out, formats, lambda: run_report(result))
    print(summary(result))
    print("wrote        " + ", ".join(_listed(paths)))
    return 0
