"""Coverage, service level and cost headline numbers computed from a plan's shifts (not from solver values)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.domain import CoverageRow, PlanKpis, PlannedShift, PlanningProblem, ServiceTarget
from optimizer.horizon_goal import ServiceGoal
from optimizer.requirement import floor_target
from optimizer.risk import meet_probability
from optimizer.staffing import service_at

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _epoch_ns(moment: dt.datetime) -> int:
    """Return an aware datetime as integer nanoseconds since the epoch (exact; no Timestamp per call)."""
    return (moment - _EPOCH) // _MICROSECOND * 1000


def on_floor(
    starts: pd.DatetimeIndex, interval_min: int, shifts: Iterable[PlannedShift], kind: str
) -> np.ndarray:
    """Count shifts of one kind on shift and not on break in each interval.

    An interval counts a shift when the shift covers the whole interval ``[start, start + interval_min)``.
    """
    grid = starts.as_unit("ns").asi8
    step = interval_min * 60 * 10**9
    lo, hi, sign = [], [], []
    for s in shifts:
        if s.kind != kind:
            continue
        lo.append(_epoch_ns(s.start))
        hi.append(_epoch_ns(s.end))
        sign.append(1)
        for pause in s.breaks:
            lo.append(_epoch_ns(pause.start))
            hi.append(_epoch_ns(pause.end))
            sign.append(-1)
    delta = np.zeros(len(grid) + 1, dtype=np.int64)
    if lo:
        first = np.searchsorted(grid, np.array(lo, dtype=np.int64), side="left")
        stop = np.searchsorted(grid + step, np.array(hi, dtype=np.int64), side="right")
        signs = np.array(sign, dtype=np.int64)
        spans = stop > first
        np.add.at(delta, first[spans], signs[spans])
        np.add.at(delta, stop[spans], -signs[spans])
    return np.cumsum(delta)[:-1]


def scheduled_agents(
    starts: pd.DatetimeIndex, interval_min: int, shifts: Iterable[PlannedShift], fill_rate: float
) -> np.ndarray:
    """Return people expected on the floor per interval: FTEs not on break plus posted gigs x fill rate, floored."""
    shifts = tuple(shifts)
    fte = on_floor(starts, interval_min, shifts, "fte")
    gig = on_floor(starts, interval_min, shifts, "gig")
    permille = round(fill_rate * 1000)
    return fte + (gig * permille) // 1000


def coverage_rows(
    demand: pd.DataFrame,
    required: np.ndarray,
    scheduled: np.ndarray,
    target: ServiceTarget,
    interval_min: int,
) -> tuple[CoverageRow, ...]:
    """Return one coverage row per interval with the forecast service level, ASA and ``p_meet`` at ``scheduled``.

    ``p_meet`` is measured against the interval's own level: the service level, or under ``scope: horizon``
    the interval floor.
    """
    service = service_at(demand, scheduled, target, interval_min=interval_min)
    level = floor_target(target).service_level
    p_meet = meet_probability(demand, scheduled, target, interval_min=interval_min, level=level)
    rows = []
    for i, ts in enumerate(demand.index):
        asa = float(service["asa_s"].iloc[i])
        rows.append(
            CoverageRow(
                interval_start=ts.to_pydatetime(),
                volume=float(demand["volume"].iloc[i]),
                aht_s=float(demand["aht_s"].iloc[i]),
                required=int(required[i]),
                scheduled=int(scheduled[i]),
                service_level=float(service["service_level"].iloc[i]),
                asa_s=asa if math.isfinite(asa) else None,
                p_meet=float(p_meet[i]),
            )
        )
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class Employment:
    """Which FTEs a plan employs and what that costs beyond their hours."""

    employed: int
    fixed_cost_cents: int
    priced: bool
    """Whether any contract has a fixed cost (the ``fte_fixed_cost`` objective term exists)."""


def employment(problem: PlanningProblem, shifts: Iterable[PlannedShift]) -> Employment:
    """Return the employed FTEs: every listed one, or in HR mode (``headcount="optimise"``) those with shifts."""
    working = {s.worker_id for s in shifts if s.kind == "fte"}
    employed = [
        w for w in problem.workforce.workers if problem.headcount == "fixed" or w.worker_id in working
    ]
    fixed = sum(problem.workforce.contract_of(w).fixed_cost_cents(problem.days) for w in employed)
    priced = any(c.fixed_cost_per_week_cents for c in problem.workforce.contracts)
    return Employment(employed=len(employed), fixed_cost_cents=fixed, priced=priced)


def plan_kpis(
    shifts: tuple[PlannedShift, ...],
    coverage: tuple[CoverageRow, ...],
    interval_min: int,
    staff: Employment | None = None,
) -> PlanKpis:
    """Return the headline numbers: cost split, hours, gig shifts, volume-weighted service level and ASA.

    ASA averages over the contacts the plan can answer; intervals with contacts and an unbounded wait (no
    agents, or fewer than the load) are counted apart (``overloaded_intervals``, ``overloaded_volume``), so
    one interval with a forecast contact and nobody on shift cannot make the week's ASA unbounded.
    """
    staff = staff or Employment(employed=0, fixed_cost_cents=0, priced=False)
    fte_cost = sum(s.cost_cents for s in shifts if s.kind == "fte")
    gig_cost = sum(s.cost_cents for s in shifts if s.kind == "gig")
    short = sum(max(0, r.required - r.scheduled) for r in coverage)
    volume = np.array([r.volume for r in coverage])
    sl = np.array([r.service_level for r in coverage])
    asa = np.array([np.inf if r.asa_s is None else r.asa_s for r in coverage])
    total = volume.sum()
    answered = (volume > 0) & np.isfinite(asa)
    overloaded = (volume > 0) & ~np.isfinite(asa)
    answered_volume = volume[answered].sum()
    if total == 0:
        mean_asa: float | None = 0.0
    elif answered_volume > 0:
        mean_asa = float((volume[answered] * asa[answered]).sum() / answered_volume)
    else:
        mean_asa = None
    return PlanKpis(
        total_cost_cents=fte_cost + staff.fixed_cost_cents + gig_cost,
        fte_cost_cents=fte_cost,
        fte_fixed_cost_cents=staff.fixed_cost_cents,
        gig_cost_cents=gig_cost,
        fte_employed=staff.employed,
        fte_hours=sum(s.paid_minutes for s in shifts if s.kind == "fte") / 60,
        gig_hours=sum(s.paid_minutes for s in shifts if s.kind == "gig") / 60,
        gig_shifts=sum(1 for s in shifts if s.kind == "gig"),
        service_level=float((volume * sl).sum() / total) if total > 0 else 1.0,
        asa_s=mean_asa,
        overloaded_intervals=int(overloaded.sum()),
        overloaded_volume=float(volume[overloaded].sum()),
        shortfall_agent_hours=short * interval_min / 60,
        understaffed_intervals=sum(1 for r in coverage if r.scheduled < r.required),
    )


def cost_terms(
    shifts: tuple[PlannedShift, ...],
    coverage: tuple[CoverageRow, ...],
    penalty_cents: int,
    service: ServiceGoal | None = None,
    staff: Employment | None = None,
) -> dict[str, int]:
    """Return the plan's cost split into the objective's named terms, evaluated from the plan itself [cents].

    ``shortfall_penalty`` is ``penalty_cents`` per agent-interval of ``required - scheduled`` above zero;
    ``missed_service_penalty`` (horizon scope only) prices the contacts the horizon goal misses.
    """
    terms = {
        "fte_cost": sum(s.cost_cents for s in shifts if s.kind == "fte"),
        "gig_cost": sum(s.cost_cents for s in shifts if s.kind == "gig"),
        "shortfall_penalty": penalty_cents * sum(max(0, r.required - r.scheduled) for r in coverage),
    }
    if service is not None:
        terms["missed_service_penalty"] = service.missed_cents(np.array([r.scheduled for r in coverage]))
    if staff is not None and staff.priced:
        terms["fte_fixed_cost"] = staff.fixed_cost_cents
    return terms
