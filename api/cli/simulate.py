"""``shiftmix simulate``: replay a plan's floor many times and say which intervals are at risk.

Reads a published ``plan.json`` (``shiftmix plan`` writes it: ``plan`` and ``problem``), simulates it
(:mod:`optimizer.simulation`) with Poisson arrivals at uncertain volumes, or at the forecast volumes, or a
per-contact CSV, and writes ``simulation.csv`` into ``--out``. A several-queue plan is simulated with its
skills (:func:`optimizer.simulation.simulate_queue_plan`): one summary line per queue beside the plan's
figure, and ``simulation.csv`` gets a row per interval and queue.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from api.cli._errors import describe_validation_error
from api.cli.replan import read_published
from optimizer.domain import PlanningProblem
from optimizer.errors import InputError
from optimizer.simulation import (
    QueueSimulationResult,
    SimulationOptions,
    SimulationResult,
    read_contacts,
    simulate_plan,
    simulate_queue_plan,
)

_FLAGS = {
    "reps": "--reps",
    "seed": "--seed",
    "handle_cv": "--handle-cv",
    "volumes": "--volumes",
    "volume_cv": "--volume-cv",
    "horizon_volume_cv": "--horizon-volume-cv",
    "risk_below": "--risk-below",
    "email": "--email",
}
"""Option fields and the flags that set them, so errors name what the user typed."""

AT_RISK_SHOWN = 5
"""Intervals at risk the summary names; ``simulation.csv`` marks them all."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` sub-command."""
    p = sub.add_parser(
        "simulate",
        help="simulate a plan's floor: service-level band and risk per interval, weekly 90%% interval",
        description=(
            "Simulate a published plan on random arrivals (or replayed contacts): per interval the mean service "
            "level, its P10/P90, the probability of meeting the target, ASA and abandonment; the weekly level "
            "with a 90%% interval; the intervals at risk."
        ),
    )
    p.add_argument("--plan", type=Path, required=True, metavar="FILE", help="published plan.json (plan + problem)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for simulation.csv")
    p.add_argument("--contacts", type=Path, metavar="CSV", help="contacts to replay: arrival,handle_s[,patience_s]")
    p.add_argument("--reps", type=int, metavar="N", help="replications (default 200)")
    p.add_argument("--seed", type=int, metavar="S", help="random seed (default 0)")
    p.add_argument("--handle-cv", type=float, metavar="X", help="handle-time CV (default: the plan's)")
    p.add_argument(
        "--volumes",
        choices=("forecast", "poisson", "counts"),
        help="'forecast': draw each interval's volume from the forecast's uncertainty (default); "
        "'poisson': Poisson arrivals at the forecast volume; 'counts': exactly the volume arrives",
    )
    p.add_argument(
        "--volume-cv", type=float, metavar="X", help="forecast-error CV of volumes (default: the plan's, else 0.10)"
    )
    p.add_argument(
        "--horizon-volume-cv",
        type=float,
        metavar="X",
        help="part of the forecast error the whole horizon shares (default: the plan's, else 0.05)",
    )
    p.add_argument(
        "--risk-below", type=float, metavar="P", help="at risk when P(meet) < P (default: confidence, else 0.7)"
    )
    p.add_argument(
        "--email",
        choices=("when_idle", "as_planned"),
        help="several queues: 'as_planned' (default): idle skilled agents take e-mail when no live contact "
        "waits, no more of them at once than the plan routes to it (what the plan's levels assume); "
        "'when_idle': without that limit",
    )
    p.set_defaults(handler=run)


def _options(args: argparse.Namespace) -> SimulationOptions:
    given = {field: getattr(args, field) for field in _FLAGS if getattr(args, field) is not None}
    try:
        return SimulationOptions.model_validate(given)
    except ValidationError as exc:
        loc = str(exc.errors()[0]["loc"][0])
        raise InputError.single(_FLAGS.get(loc, loc), describe_validation_error(exc).split(": ", 1)[1]) from None


def _when(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d %H:%M}"


def _handle_line(contacts: pd.DataFrame, assumed: float) -> str:
    handle = contacts["handle_s"].to_numpy()
    cv = float(handle.std() / handle.mean())
    return (
        f"contacts     {len(handle):,} in the file; handle time mean {handle.mean():.0f} s, CV {cv:.2f} "
        f"(the plan assumed {assumed:.2f}; service_target.handle_cv sets it)"
    )


def summary(
    result: SimulationResult,
    claimed: float,
    within_s: float,
    *,
    target_level: float | None = None,
    modelled: float | None = None,
    expected: float | None = None,
) -> str:
    """Return the short human summary printed after a simulation.

    ``claimed`` is the plan's level at the forecast volumes and ``expected`` (``kpis.expected_service_level``)
    its modelled mean under forecast error and random arrivals, the number a replay should find. With
    ``target_level`` it also says in how many replications the horizon's level reached it, beside the plan's
    modelled probability ``modelled`` (``kpis.p_meet_horizon``) when there is one.
    """
    rows = result.intervals
    loaded = int((rows["volume"] > 0).sum())
    risky = result.at_risk()
    lines = [
        f"simulated    {result.reps} replications, arrivals: {result.mode}",
        f"service      horizon {result.service_level:.1%} (90% interval {result.service_level_low:.1%} .. "
        f"{result.service_level_high:.1%}); the plan claims {claimed:.1%} within {within_s:g} s"
        + (f" at the forecast, {expected:.1%} expected with its error" if expected is not None else ""),
    ]
    if target_level is not None and result.horizon_met_share is not None:
        model = f" (the plan models {modelled:.0%})" if modelled is not None else ""
        lines.append(
            f"horizon      level >= {target_level:.0%} in {result.horizon_met_share:.0%} of replications{model}"
        )
    lines += [
        f"intervals    {loaded} with contacts; expected {result.share_below_target():.0%} below {result.level:.0%}; "
        f"{len(risky)} at risk (P(meet) < {result.risk_below:.0%})",
    ]
    if result.dropped_contacts:
        lines.append(f"contacts     {result.dropped_contacts} replayed contacts outside the horizon were ignored")
    if len(risky):
        head = risky.head(AT_RISK_SHOWN)
        shown = [
            f"{_when(ts)} P(meet) {r.p_meet:.0%}, SL {r.service_level:.1%} [P10 {r.service_level_p10:.0%}, "
            f"P90 {r.service_level_p90:.0%}]"
            for ts, r in zip(pd.DatetimeIndex(head.index), head.itertuples(), strict=True)
        ]
        lines.append("at risk      " + shown[0])
        lines.extend("             " + s for s in shown[1:])
        if len(risky) > AT_RISK_SHOWN:
            lines.append(f"             ... and {len(risky) - AT_RISK_SHOWN} more (simulation.csv, column at_risk)")
    return "\n".join(lines)


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.1f}%"


def queue_summary(result: QueueSimulationResult, problem: PlanningProblem, email: str) -> str:
    """Return the short human summary of a several-queue simulation: one line per queue, then the pool."""
    rule = "when idle" if email == "when_idle" else "as planned"
    lines = [f"simulated    {result.reps} replications, arrivals: {result.mode}; e-mail worked {rule}"]
    windows = {q.name: q.window_h for q in problem.queues}
    for q in result.queues:
        r = q.result
        line = (
            f"queue {q.queue}: simulated {_percent(r.service_level)} ({100 * r.service_level_low:.1f} .. "
            f"{100 * r.service_level_high:.1f}) vs plan {_percent(q.plan_service_level)}"
        )
        if q.plan_expected_level is not None:
            line += f" at the forecast, {_percent(q.plan_expected_level)} expected"
        if q.channel == "email":
            line += f", handled within {windows[q.queue]:g} h"
        lines.append(line)
    risky = result.summary().intervals_at_risk
    first = f", first {_when(pd.Timestamp(risky[0]))}" if risky else ""
    lines.append(
        f"live queues  pooled {_percent(result.service_level)} (90% interval {_percent(result.service_level_low)} "
        f".. {_percent(result.service_level_high)}); {len(risky)} intervals with a queue at risk{first}"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix simulate``."""
    published, problem = read_published(args.plan)
    options = _options(args)
    if problem.queues:
        if args.contacts is not None:
            names = ", ".join(problem.queue_names)
            raise InputError.single("--contacts", f"replays one queue; this plan has several ({names})")
        several = simulate_queue_plan(problem, published, options)
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "simulation.csv"
        several.frame().to_csv(path, index=False)
        print(queue_summary(several, problem, options.email))
        print(f"wrote        {path}")
        return 0
    contacts = read_contacts(args.contacts) if args.contacts is not None else None
    result = simulate_plan(problem, published, options, contacts)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "simulation.csv"
    result.frame().to_csv(path, index=False)
    target = problem.service_target
    print(
        summary(
            result,
            published.kpis.service_level,
            target.answer_within_s,
            target_level=target.service_level,
            modelled=published.kpis.p_meet_horizon,
            expected=published.kpis.expected_service_level,
        )
    )
    if contacts is not None:
        print(_handle_line(contacts, target.handle_law_cv))
    print(f"wrote        {path}")
    return 0
