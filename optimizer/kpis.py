"""Coverage, service level and cost headline numbers computed from a plan's shifts (not from solver values)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.domain import (
    CoverageRow,
    PlanKpis,
    PlannedShift,
    PlanningProblem,
    QueueCoverageRow,
    QueueKpis,
    ServiceTarget,
)
from optimizer.horizon_goal import ServiceGoal
from optimizer.horizon_law import LevelLaw, anchor_offset, level_law
from optimizer.interval_law import expected_level
from optimizer.requirement import QueueNeed, floor_target
from optimizer.risk import meet_probability
from optimizer.skills import email_backlog, email_missed_penalty_cents, email_penalty_units, route
from optimizer.staffing import effective_agents, service_at

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _epoch_ns(moment: dt.datetime) -> int:
    """Return an aware datetime as integer nanoseconds since the epoch (exact; no Timestamp per call)."""
    return (moment - _EPOCH) // _MICROSECOND * 1000


def on_floor(starts: pd.DatetimeIndex, interval_min: int, shifts: Iterable[PlannedShift], kind: str) -> np.ndarray:
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
    employed = [w for w in problem.workforce.workers if problem.headcount == "fixed" or w.worker_id in working]
    fixed = sum(problem.workforce.contract_of(w).fixed_cost_cents(problem.days) for w in employed)
    priced = any(c.fixed_cost_per_week_cents for c in problem.workforce.contracts)
    return Employment(employed=len(employed), fixed_cost_cents=fixed, priced=priced)


def with_expected_level(
    kpis: PlanKpis, demand: pd.DataFrame, coverage: Sequence[CoverageRow], target: ServiceTarget, interval_min: int
) -> PlanKpis:
    """Return a one-queue plan's KPIs with its expected level (and, for ``scope: horizon``, ``p_meet_horizon``).

    The expected level is the interval law's (:func:`optimizer.interval_law.expected_level`) on the people
    ``coverage`` puts on the floor against ``demand`` (the contacts reaching people); past its contact budget,
    and for the weekly confidence, the analytic horizon law's, its mean on the expected level
    (:func:`optimizer.horizon_law.anchor_offset`). Without coverage (no plan) ``kpis`` as they are.
    """
    if not coverage:
        return kpis
    scheduled = np.array([r.scheduled for r in coverage], dtype=np.int64)
    update: dict[str, float] = {}
    law = level_law(demand, scheduled, target, interval_min=interval_min) if target.scope == "horizon" else None
    expected = expected_service_level(demand, scheduled, target, interval_min=interval_min, law=law)
    update["expected_service_level"] = round(expected, 4)
    if law is not None:  # the analytic law's spread and mixing over F, its mean the expected level's
        offset = anchor_offset(demand, scheduled, target, interval_min=interval_min, law=law, expected=expected)
        law = law.shifted(offset)
        update["p_meet_horizon"] = round(law.meet_probability(target.service_level), 4)
    return kpis.model_copy(update=update)


def expected_service_level(
    demand: pd.DataFrame,
    scheduled: np.ndarray,
    target: ServiceTarget,
    *,
    interval_min: int,
    law: LevelLaw | None = None,
) -> float:
    """Return the level a replay of ``scheduled`` people against ``demand`` is expected to find (0-1).

    The interval law's (:func:`optimizer.interval_law.expected_level`); past its contact budget the analytic
    horizon law's (``law`` when the caller has it, else built here).
    """
    expected = expected_level(demand, effective_agents(scheduled, target.shrinkage), target, interval_min=interval_min)
    if expected is not None:
        return expected
    return (law or level_law(demand, scheduled, target, interval_min=interval_min)).expected_level()


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


def queue_coverage_rows(
    needs: Sequence[QueueNeed], routed: np.ndarray, interval_min: int
) -> tuple[QueueCoverageRow, ...]:
    """Return one row per interval and queue (interval-major) of a several-queue plan.

    ``routed[q, t]`` are the people working queue ``q`` at ``t``. Live queues get the forecast service level,
    ASA and ``p_meet`` of their own target at those people; e-mail queues the backlog worked first come,
    first served with them (:func:`optimizer.skills.email_backlog`).
    """
    columns: list[dict[str, Any]] = []
    for q, need in enumerate(needs):
        people = need.people
        scheduled = routed[q]
        if need.live:
            service = service_at(people, scheduled, need.target, interval_min=interval_min)
            level = floor_target(need.target).service_level
            p_meet = meet_probability(people, scheduled, need.target, interval_min=interval_min, level=level)
            asa = service["asa_s"].to_numpy()
            columns.append(
                {
                    "service_level": service["service_level"].to_numpy(),
                    "asa_s": [float(a) if math.isfinite(a) else None for a in asa],
                    "p_meet": p_meet,
                }
            )
        else:
            backlog = email_backlog(need.work, scheduled, need.window, need.order, need.max_age)
            columns.append({"backlog": backlog.backlog, "late": backlog.late})
    rows = []
    for t, ts in enumerate(needs[0].people.index if needs else ()):
        stamp = ts.to_pydatetime()
        for q, need in enumerate(needs):
            col = columns[q]
            live = need.live
            rows.append(
                QueueCoverageRow(
                    interval_start=stamp,
                    queue=need.name,
                    channel=need.channel,
                    volume=float(need.people["volume"].iloc[t]),
                    aht_s=float(need.people["aht_s"].iloc[t]),
                    required=int(need.required[t]),
                    scheduled=int(routed[q, t]),
                    service_level=float(col["service_level"][t]) if live else None,
                    asa_s=col["asa_s"][t] if live else None,
                    p_meet=float(col["p_meet"][t]) if live else None,
                    email_backlog=None if live else round(float(col["backlog"][t]), 4),
                    email_late=None if live else round(float(col["late"][t]), 4),
                )
            )
    return tuple(rows)


def pooled_coverage_rows(rows: Sequence[QueueCoverageRow]) -> tuple[CoverageRow, ...]:
    """Return per-interval rows of a several-queue plan over its live queues (volume-weighted service and ASA).

    ``required`` and ``scheduled`` add up the live queues' people; e-mail work is in the queue rows only.
    ``p_meet`` is left null: it belongs to each queue.
    """
    by_start: dict[dt.datetime, list[QueueCoverageRow]] = {}
    for r in rows:
        by_start.setdefault(r.interval_start, []).append(r)
    out = []
    for start, group in by_start.items():
        live = [r for r in group if r.channel != "email"]
        volume = sum(r.volume for r in live)
        weight = [r.volume for r in live] if volume > 0 else [1.0] * len(live)
        total = sum(weight) or 1.0
        asa = [r.asa_s for r in live]
        out.append(
            CoverageRow(
                interval_start=start,
                volume=volume,
                aht_s=sum(w * r.aht_s for w, r in zip(weight, live, strict=True)) / total if live else 0.0,
                required=sum(r.required for r in live),
                scheduled=sum(r.scheduled for r in live),
                service_level=(
                    sum(w * (r.service_level or 0.0) for w, r in zip(weight, live, strict=True)) / total
                    if live
                    else 1.0
                ),
                asa_s=(
                    None
                    if any(a is None for a, r in zip(asa, live, strict=True) if r.volume > 0)
                    else sum(w * (a or 0.0) for w, a in zip(weight, asa, strict=True)) / total
                ),
                p_meet=None,
            )
        )
    return tuple(out)


def queue_kpis(
    needs: Sequence[QueueNeed], rows: Sequence[QueueCoverageRow], interval_min: int
) -> tuple[QueueKpis, ...]:
    """Return each queue's headline numbers from its coverage rows."""
    hours = interval_min / 60
    out = []
    for need in needs:
        mine = [r for r in rows if r.queue == need.name]
        volume = float(sum(r.volume for r in mine))
        if need.live:
            level = sum(r.volume * (r.service_level or 0.0) for r in mine) / volume if volume > 0 else 1.0
            short = [max(0, r.required - r.scheduled) for r in mine]
            out.append(
                QueueKpis(
                    queue=need.name,
                    channel=need.channel,
                    volume=volume,
                    service_level=float(level),
                    shortfall_agent_hours=sum(short) * hours,
                    understaffed_intervals=sum(1 for s in short if s > 0),
                )
            )
            continue
        people = np.array([r.scheduled for r in mine])
        backlog = email_backlog(need.work, people, need.window, need.order, need.max_age)
        out.append(
            QueueKpis(
                queue=need.name,
                channel=need.channel,
                volume=volume,
                service_level=backlog.share_within,
                shortfall_agent_hours=float(backlog.late.sum()) * hours,
                understaffed_intervals=int((backlog.late > 1e-9).sum()),
                overdue_intervals=int((backlog.overdue > 1e-9).sum()) if need.max_age is not None else None,
                open_at_end_agent_hours=float(backlog.backlog[-1]) * hours if len(backlog.backlog) else 0.0,
            )
        )
    return tuple(out)


def queue_penalty_cents(needs: Sequence[QueueNeed], routed: np.ndarray, penalty_cents: int) -> tuple[int, int]:
    """Return the live shortfall and the e-mail missed penalty of a routing [cents], as the model counts them."""
    short = 0
    late = 0
    for q, need in enumerate(needs):
        if need.live:
            short += int(np.maximum(need.required - routed[q], 0).sum())
        else:
            late += email_penalty_units(need.units(), routed[q])
    return penalty_cents * short, email_missed_penalty_cents(penalty_cents) * late


def skill_groups_on_floor(
    problem: PlanningProblem, starts: pd.DatetimeIndex, shifts: Iterable[PlannedShift]
) -> tuple[list[frozenset[int]], np.ndarray]:
    """Return each skill group's queues (indices) among a plan's people and its people on the floor per interval.

    FTEs by their worker's (else contract's) skills and primary skills (people with the same skills but other
    primaries are groups of their own, :func:`skill_groups_with_priority`), gig workers by the pool's, at the
    fill rate rounded down.
    """
    skills, _, floors = skill_groups_with_priority(problem, starts, shifts)
    return skills, floors


def skill_groups_with_priority(
    problem: PlanningProblem, starts: pd.DatetimeIndex, shifts: Iterable[PlannedShift]
) -> tuple[list[frozenset[int]], list[frozenset[int]], np.ndarray]:
    """Return each skill group's queues, the queues it serves first (empty: none) and its floor per interval."""
    names = problem.queue_names
    index = {name: q for q, name in enumerate(names)}
    every = frozenset(range(len(names)))
    workers = {w.worker_id: w for w in problem.workforce.workers}
    groups: dict[tuple[frozenset[int], frozenset[int]], list[PlannedShift]] = {}
    gigs: list[PlannedShift] = []
    for s in shifts:
        if s.kind == "gig":
            gigs.append(s)
            continue
        worker = workers[s.worker_id]
        skills = problem.workforce.skills_of(worker)
        primary = problem.workforce.primary_of(worker) or ()
        key = (every if skills is None else frozenset(index[k] for k in skills), frozenset(index[k] for k in primary))
        groups.setdefault(key, []).append(s)
    keys = list(groups)
    floors = [on_floor(starts, problem.interval_min, groups[k], "fte") for k in keys]
    pool = problem.workforce.gig_pool
    if pool is not None and gigs:
        keys.append((every if pool.skills is None else frozenset(index[k] for k in pool.skills), frozenset()))
        floors.append(on_floor(starts, problem.interval_min, gigs, "gig") * round(pool.fill_rate * 1000) // 1000)
    floor = np.array(floors, dtype=np.int64).reshape(len(keys), len(starts))
    return [k[0] for k in keys], [k[1] for k in keys], floor


def route_shifts(
    problem: PlanningProblem, needs: Sequence[QueueNeed], starts: pd.DatetimeIndex, shifts: Iterable[PlannedShift]
) -> np.ndarray:
    """Return people per queue and interval when a plan's shifts are routed by :func:`optimizer.skills.route`."""
    skills, floor = skill_groups_on_floor(problem, starts, shifts)
    required = np.array([n.required for n in needs], dtype=np.int64).reshape(len(needs), len(starts))
    routed = route(floor, skills, required, [not n.live for n in needs])
    return routed.sum(axis=0)


def with_queue_kpis(
    kpis: PlanKpis, needs: Sequence[QueueNeed], rows: Sequence[QueueCoverageRow], problem: PlanningProblem
) -> PlanKpis:
    """Return a several-queue plan's KPIs: each queue's, and shortfall counted per queue, not pooled."""
    per_queue = queue_kpis(needs, rows, problem.interval_min)
    live = [r for r in rows if r.channel != "email"]
    short_starts = {r.interval_start for r in live if r.scheduled < r.required}
    return kpis.model_copy(
        update={
            "queues": per_queue,
            "shortfall_agent_hours": sum(max(0, r.required - r.scheduled) for r in live) * problem.interval_min / 60,
            "understaffed_intervals": len(short_starts),
        }
    )
