"""``shiftmix replan``: add cover to a published plan after a peak, with minimal change, and write the files.

Reads the published ``plan.json`` (``shiftmix plan`` writes it: ``plan`` and ``problem``), takes new demand from a
forecast CSV (``interval_start,volume,aht_s``) or uplift terms (``+40% 2026-12-27T08:00/2026-12-27T14:00``, see
``optimizer.replan.demand``), re-plans from ``--now`` and writes ``schedule.csv``, ``coverage.csv``,
``unmet.csv``, ``plan.json``, ``changes.csv`` and ``days.csv`` into ``--out``. Without a re-plan (the time limit
ran out first) it writes nothing and exits 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TypeVar

import pandas as pd
from pydantic import ValidationError

from api.cli._args import finite_float
from api.cli._errors import EXIT_NO_PLAN, describe_validation_error, no_plan_message, validation_problem
from api.cli._opsloop import offer_lines, reforecast_from_file, reforecast_lines, write_loop_outputs
from api.cli._paths import check_output_dir
from api.cli.plan import unmet_runs
from optimizer import check_plan, coverage_frame, schedule_frame, unmet_frame
from optimizer.check import Violation
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.errors import InputError
from optimizer.replan import replan
from optimizer.replan.changes import changes_frame, days_frame
from optimizer.replan.demand import parse_uplift, read_demand_csv, uplift_demand
from optimizer.replan.domain import ReplanOptions, ReplanResult
from scenarios.exports import parse_formats, write_exports
from scenarios.report import replan_report
from scenarios.spec import read_text_input

_FLAGS = {
    "time_limit_s": "--time-limit-s",
    "random_seed": "--seed",
    "num_workers": "--workers",
    "allow_extensions": "--allow-extensions",
    "max_extension_min": "--max-extension-min",
    "overtime_rate_ratio": "--overtime-rate-ratio",
    "lead_time_min": "--lead-time-min",
    "now": "--now",
    "new_demand": "--forecast",
    "published": "--plan",
    "options.max_extension_min": "--max-extension-min",
}
"""Library field names and the flags that set them, so errors name what the user typed."""

_Settings = TypeVar("_Settings", SolveParams, ReplanOptions)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``replan`` sub-command."""
    p = sub.add_parser(
        "replan",
        help="add cover to a published plan after a peak without touching published shifts",
        description=(
            "Re-plan a published plan on new demand: keep published FTE and gig shifts, add gig micro-shifts "
            "from now + lead time (and, if allowed, extend FTE shifts)."
        ),
    )
    p.add_argument("--plan", type=Path, required=True, metavar="FILE", help="published plan.json (plan + problem)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--forecast", type=Path, metavar="FILE", help="new demand CSV: interval_start,volume,aht_s")
    src.add_argument(
        "--uplift",
        action="append",
        metavar="SPEC",
        help="volume change '±P%% START/END' (local times unless offset given); ';'-separated or repeated",
    )
    src.add_argument(
        "--actuals",
        type=Path,
        metavar="FILE",
        help="today's actuals up to --now (history CSV: interval_start,volume[,aht_s]); re-forecasts the rest "
        "of today and tomorrow and writes reforecast.csv",
    )
    p.add_argument("--now", required=True, metavar="TIMESTAMP", help="moment of the re-plan, ISO 8601 with offset")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the output files")
    p.add_argument(
        "--formats",
        default="csv",
        metavar="LIST",
        help="outputs besides plan.json: csv,ics,xlsx,html (calendars/, plan.xlsx, report.html); default csv",
    )
    p.add_argument("--allow-extensions", action="store_true", help="let the re-plan extend FTE shifts (overtime)")
    p.add_argument("--max-extension-min", type=int, metavar="M", help="longest extension of one shift [min]")
    p.add_argument("--overtime-rate-ratio", type=finite_float, metavar="R", help="overtime pay / contract rate (1.5)")
    p.add_argument("--allow-vto", action="store_true", help="let the re-plan release unstarted FTE shifts (unpaid)")
    p.add_argument("--lead-time-min", type=int, metavar="M", help="notice for new gigs [min] (default: pool's)")
    p.add_argument("--time-limit-s", type=finite_float, metavar="S", help="solver time limit [s] (default: published)")
    p.add_argument("--seed", type=int, metavar="N", help="override the solver random seed")
    p.add_argument("--workers", type=int, metavar="N", help="override the number of CP-SAT workers")
    p.set_defaults(handler=run)


def read_published(path: Path) -> tuple[Plan, PlanningProblem]:
    """Read a published ``plan.json`` and return its plan and problem.

    Raises
    ------
    InputError
        Naming ``--plan`` when the file is missing, not JSON, lacks ``plan`` or ``problem``, or either breaks
        its schema (the first bad field is named).
    """
    text = read_text_input(path, "--plan")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single("--plan", f"{path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(document, dict) or not {"plan", "problem"} <= document.keys():
        raise InputError.single("--plan", f"{path} must hold 'plan' and 'problem' (as shiftmix plan writes them)")
    try:
        published = Plan.model_validate(document["plan"])
    except ValidationError as exc:
        raise InputError.single("--plan", describe_validation_error(exc, prefix="plan")) from None
    try:
        problem = PlanningProblem.model_validate(document["problem"])
    except ValidationError as exc:
        raise InputError.single("--plan", describe_validation_error(exc, prefix="problem")) from None
    if not published.found:
        raise InputError.single("--plan", f"{path} holds no solved plan (status {published.solver.status})")
    return published, problem


def _now(text: str) -> dt.datetime:
    try:
        now = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError.single("--now", f"{text!r} is not an ISO 8601 date-time") from None
    if now.tzinfo is None:
        raise InputError.single("--now", f"{text!r} needs a UTC offset, e.g. 2026-12-01T10:00+01:00")
    return now


def _validated(cls: type[_Settings], data: dict[str, object], whole: str) -> _Settings:
    """Validate settings; name the flag of the bad field, or ``whole`` for a rule across fields."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        problem = validation_problem(exc)
        raise InputError.single(_FLAGS.get(str(loc[0]), str(loc[0])) if loc else whole, problem) from None


def _settings(args: argparse.Namespace, base: SolveParams) -> tuple[SolveParams, ReplanOptions]:
    overrides = {
        k: v
        for k, v in (("time_limit_s", args.time_limit_s), ("random_seed", args.seed), ("num_workers", args.workers))
        if v is not None
    }
    params = _validated(SolveParams, {**base.model_dump(), **overrides}, whole="--time-limit-s")
    chosen = {
        "allow_extensions": args.allow_extensions,
        "allow_voluntary_time_off": args.allow_vto,
        **{
            k: v
            for k, v in (
                ("max_extension_min", args.max_extension_min),
                ("overtime_rate_ratio", args.overtime_rate_ratio),
                ("lead_time_min", args.lead_time_min),
            )
            if v is not None
        },
    }
    options = _validated(ReplanOptions, chosen, whole="--max-extension-min")
    return params, options


def _flag_of(field: str) -> str:
    """Return the field path with its library name replaced by the flag that set it."""
    for name in sorted(_FLAGS, key=len, reverse=True):
        if field == name or field.startswith((f"{name}.", f"{name}[")):
            return _FLAGS[name] + field[len(name) :]
    return field


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def summary(result: ReplanResult, violations: list[Violation]) -> str:
    """Return the short human summary printed after a re-plan."""
    p, before = result.plan, result.before
    counts = {kind: sum(1 for c in result.changes if c.change == kind) for kind in ("added", "extended", "removed")}
    first = result.first_new_start.isoformat() if result.first_new_start else "after the horizon"
    lines = [
        f"re-plan      from {result.now.isoformat()}; new gigs and extensions from {first}",
        f"changes      {counts['added']} gigs added, {counts['extended']} FTE shifts extended, "
        f"{counts['removed']} released (VTO)",
        f"cost         {_money(before.total_cost_cents)} -> {_money(p.kpis.total_cost_cents)}",
        f"service      {before.service_level:.1%} -> {p.kpis.service_level:.1%} on the new demand "
        f"(target {result.problem.service_target.service_level:.0%})",
        f"shortfall    {before.shortfall_agent_hours:g} -> {p.kpis.shortfall_agent_hours:g} agent-hours, "
        f"{p.kpis.understaffed_intervals} understaffed intervals" + unmet_runs(p),
        f"solver       {p.solver.status}; objective {_money(p.solver.objective_cents or 0)}, "
        f"gap {(p.solver.gap_ratio or 0):.3%}, {p.solver.wall_time_s:.1f} s",
        "check        " + ("passed" if not violations else f"{len(violations)} violations: {violations[0]}"),
    ]
    note = p.gap_note()
    if note:
        lines.append(f"note         {note}")
    return "\n".join(lines)


def write_outputs(result: ReplanResult, published: Plan, violations: list[Violation], out_dir: Path) -> list[Path]:
    """Write ``schedule.csv``, ``coverage.csv``, ``plan.json``, ``changes.csv``, ``days.csv`` and ``unmet.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = ("schedule.csv", "coverage.csv", "plan.json", "changes.csv", "days.csv", "unmet.csv")
    paths = [out_dir / n for n in names]
    schedule_frame(result.plan).to_csv(paths[0], index=False)
    coverage_frame(result.plan).to_csv(paths[1], index=False)
    unmet_frame(result.plan).to_csv(paths[5], index=False)
    document = {
        "plan": result.plan.model_dump(mode="json"),
        "problem": result.problem.model_dump(mode="json"),
        "replan": {
            "published_digest": published.inputs_digest,
            "now": result.now.isoformat(),
            "before": result.before.model_dump(mode="json"),
            "changes": [c.model_dump(mode="json") for c in result.changes],
        },
        "check": [str(v) for v in violations],
    }
    paths[2].write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    changes_frame(result.changes).to_csv(paths[3], index=False)
    days_frame(result.days).to_csv(paths[4], index=False)
    return paths


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix replan``; exit 3 (and write nothing) when the solver finds no re-plan."""
    check_output_dir(args.out)
    formats = parse_formats(args.formats)
    published, problem = read_published(args.plan)
    now = _now(args.now)
    params, options = _settings(args, published.solver.params)
    demand: pd.DataFrame
    reforecast = None
    if args.actuals is not None:
        reforecast = reforecast_from_file(args.actuals, problem, now)
        demand = reforecast.demand
    elif args.forecast is not None:
        demand = read_demand_csv(args.forecast, field="--forecast")
    else:
        demand = uplift_demand(problem, parse_uplift(args.uplift, problem.timezone, field="--uplift"), field="--uplift")
    try:
        result = replan(problem, published, demand, now=now, params=params, options=options)
    except InputError as exc:
        raise InputError.single(_flag_of(exc.field), exc.problem) from None
    s = result.plan.solver
    if not result.plan.found:
        message = no_plan_message(s.status, s.wall_time_s, params.time_limit_s, what="re-plan")
        print(f"shiftmix: error: {message}", file=sys.stderr)
        return EXIT_NO_PLAN
    violations = check_plan(result.problem, result.plan)
    paths = write_outputs(result, published, violations, args.out) + write_exports(
        result.plan,
        args.out,
        formats,
        lambda: replan_report(result.problem, result.plan, result, "shiftmix replan", violations),
    )
    paths += write_loop_outputs(result, reforecast, args.out)
    if reforecast is not None:
        print("\n".join(reforecast_lines(reforecast)))
    print(summary(result, violations))
    print("\n".join(offer_lines(result.offers)))
    print("wrote        " + ", ".join(str(p) for p in paths))
    return 0
