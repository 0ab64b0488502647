"""Solver-independent plan check: every rule re-verified from the plan's shifts and the problem alone.

``check_plan`` does not look at CP-SAT, ``ModelInput`` or the model's variables: it recomputes coverage,
costs and the objective from timestamps with plain datetime arithmetic, so a bug in ``prepare``, a
constraint family or ``extract`` shows up as a violation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from optimizer.domain import (
    MINUTES_PER_WEEK,
    Contract,
    Plan,
    PlannedShift,
    PlanningProblem,
    SolveParams,
    Worker,
    minute_of_week,
    weekend_saturdays,
)
from optimizer.horizon_goal import plan_goal
from optimizer.model.inputs import shortfall_penalty_cents
from optimizer.requirement import people_demand, problem_staff_needed, queue_needs
from optimizer.skills import email_missed_penalty_cents, email_penalty_units
from optimizer.wishes import preference_penalty_cents


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which rule, where (a field path or shift), and what is wrong."""

    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}: {self.detail}"


def _local(ts: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return ts.astimezone(zone)


def _minutes(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 60


def _check_fte_shift(s: PlannedShift, c: Contract, zone: ZoneInfo, interval_min: int) -> list[Violation]:
    """Check one FTE shift against its contract; an approved re-plan extension is checked as overtime."""
    out = []
    where = f"{s.worker_id} {s.start.isoformat()}"
    extra = s.extended_before_min + s.extended_after_min
    base_start = s.start + dt.timedelta(minutes=s.extended_before_min)
    base_end = s.end - dt.timedelta(minutes=s.extended_after_min)
    length = _minutes(base_start, base_end)
    if length not in c.shift_lengths_min:
        out.append(Violation("shift_length", where, f"{length:g} min is not one of {list(c.shift_lengths_min)}"))
    clock = _local(base_start, zone).time()
    if not (c.earliest_start <= clock <= c.latest_start):
        out.append(Violation("start_window", where, f"starts {clock} outside {c.earliest_start}-{c.latest_start}"))
    actual = _local(s.start, zone).time()
    if (actual.hour * 60 + actual.minute) % interval_min:
        out.append(Violation("start_grid", where, f"starts {actual}, off the {interval_min}-minute grid"))
    rule = c.break_rule
    needs_break = rule is not None and length >= rule.applies_from_shift_min
    if needs_break and rule is not None:
        if len(s.breaks) != 1:
            out.append(Violation("breaks", where, f"has {len(s.breaks)} breaks, expected 1"))
        for b in s.breaks:
            if _minutes(b.start, b.end) != rule.length_min:
                out.append(Violation("breaks", where, f"break of {_minutes(b.start, b.end):g} min"))
            if _minutes(base_start, b.start) < rule.earliest_after_start_min or (
                _minutes(b.end, base_end) < rule.latest_before_end_min
            ):
                out.append(Violation("breaks", where, f"break at {b.start.isoformat()} is outside its window"))
    elif s.breaks:
        out.append(Violation("breaks", where, "has a break but the shift is too short for one"))
    paid = c.paid_minutes(int(length)) + extra
    if s.paid_minutes != paid:
        out.append(Violation("paid_minutes", where, f"says {s.paid_minutes} min, contract gives {paid}"))
    cost = round(c.paid_minutes(int(length)) * c.cost_per_hour_cents / 60) + s.overtime_cost_cents
    if s.cost_cents != cost:
        out.append(Violation("cost", where, f"says {s.cost_cents} cents, contract gives {cost}"))
    if s.overtime_cost_cents < round(extra * c.cost_per_hour_cents / 60):
        out.append(Violation("overtime_cost", where, f"{extra} extension minutes paid below the contract rate"))
    return out


def _outside_availability(worker: Worker, s: PlannedShift, zone: ZoneInfo) -> bool:
    """Return whether a shift leaves the worker's weekly availability windows (local wall clock)."""
    windows = worker.available_minutes()
    if windows is None:
        return False
    at = minute_of_week(_local(s.start, zone))
    end = at + (minute_of_week(_local(s.end, zone)) - at) % MINUTES_PER_WEEK
    while at < end:
        inside = [
            closes + k
            for opens, closes in windows
            for k in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)
            if opens + k <= at < closes + k
        ]
        if not inside:
            return True
        at = max(inside)
    return False


def _weekends_worked(
    shifts: list[PlannedShift], problem: PlanningProblem, zone: ZoneInfo
) -> list[tuple[dt.date, bool]]:
    """Return each weekend of the horizon (its Saturday) and whether a shift overlaps it."""
    out = []
    for saturday in weekend_saturdays(problem.start_date + dt.timedelta(days=d) for d in range(problem.days)):
        lo = dt.datetime.combine(saturday, dt.time(), zone)
        hi = dt.datetime.combine(saturday + dt.timedelta(days=2), dt.time(), zone)
        out.append((saturday, any(s.start < hi and lo < s.end for s in shifts)))
    return out


def _check_weekends(
    worker: Worker, c: Contract, shifts: list[PlannedShift], problem: PlanningProblem, zone: ZoneInfo
) -> list[Violation]:
    rule = c.weekends_off
    if rule is None:
        return []
    weekends = _weekends_worked(shifts, problem, zone)
    span = min(rule.per_weeks, len(weekends))
    need = rule.required_off(span)
    out = []
    for first in range(len(weekends) - span + 1):
        window = weekends[first : first + span]
        off = sum(1 for _, worked in window if not worked)
        if off < need:
            out.append(
                Violation(
                    "weekends_off",
                    f"{worker.worker_id} weekends from {window[0][0].isoformat()}",
                    f"{off} of {span} weekends off, the contract needs {need}",
                )
            )
    return out


def _check_worker(
    worker: Worker, c: Contract, shifts: list[PlannedShift], problem: PlanningProblem, zone: ZoneInfo
) -> list[Violation]:
    out: list[Violation] = []
    shifts = sorted(shifts, key=lambda s: s.start)
    for s in shifts:
        out.extend(_check_fte_shift(s, c, zone, problem.interval_min))
        if _outside_availability(worker, s, zone):
            windows = ", ".join(w.label() for w in worker.availability)
            where = f"{worker.worker_id} {s.start.isoformat()}"
            out.append(Violation("availability", where, f"outside the worker's availability ({windows})"))
        out.extend(
            Violation("time_off", f"{worker.worker_id} {s.start.isoformat()}", "overlaps time off")
            for off in worker.time_off
            if s.start < off.end and off.start < s.end
        )
    days = [(_local(s.start, zone).date() - problem.start_date).days for s in shifts]
    for d in {d for d in days if days.count(d) > 1}:
        out.append(Violation("one_shift_per_day", f"{worker.worker_id} day {d}", "more than one shift"))
    for a, b in zip(shifts, shifts[1:], strict=False):
        rest = _minutes(a.end, b.start)
        if rest < c.min_rest_min:
            out.append(Violation("rest", f"{worker.worker_id} {b.start.isoformat()}", f"only {rest:g} min rest"))
    out.extend(_check_weekends(worker, c, shifts, problem, zone))
    worked = sorted(set(days))
    run = 1
    for prev, cur in zip(worked, worked[1:], strict=False):
        run = run + 1 if cur == prev + 1 else 1
        if run > c.max_consecutive_days:
            out.append(Violation("consecutive_days", f"{worker.worker_id} day {cur}", f"{run} days in a row"))
    for first in range(0, problem.days, 7):
        span = min(7, problem.days - first)
        in_week = [s for s, d in zip(shifts, days, strict=True) if first <= d < first + span]
        # extension minutes approved in a re-plan are overtime, outside the contract's weekly hours
        paid = sum(s.paid_minutes - s.extended_before_min - s.extended_after_min for s in in_week)
        where = f"{worker.worker_id} week {first // 7}"
        if paid > math.floor(c.max_hours_per_week * 60):
            out.append(Violation("max_hours", where, f"{paid / 60:g} h"))
        if len(in_week) > c.max_days_per_week:
            out.append(Violation("max_days", where, f"{len(in_week)} days"))
        if span == 7 and not worker.time_off:
            if paid < math.floor(c.min_hours_per_week * 60):
                out.append(Violation("min_hours", where, f"{paid / 60:g} h < {c.min_hours_per_week:g} h"))
            if len(in_week) < c.min_days_per_week:
                out.append(Violation("min_days", where, f"{len(in_week)} days < {c.min_days_per_week}"))
    return out


def _check_gigs(problem: PlanningProblem, gigs: list[PlannedShift], zone: ZoneInfo) -> list[Violation]:
    pool = problem.workforce.gig_pool
    if pool is None:
        return [Violation("gig_pool", g.worker_id, "gig shift but no gig pool") for g in gigs]
    out = []
    per_day: dict[dt.date, int] = defaultdict(int)
    for g in gigs:
        length = _minutes(g.start, g.end)
        clock = _local(g.start, zone).time()
        per_day[_local(g.start, zone).date()] += 1
        if length != pool.shift_minutes:
            out.append(Violation("gig_length", g.worker_id, f"{length:g} min, pool says {pool.shift_minutes}"))
        if not (pool.earliest_start <= clock <= pool.latest_start):
            out.append(Violation("gig_start_window", g.worker_id, f"starts {clock}"))
        cost = round(pool.shift_minutes * pool.cost_per_hour_cents / 60)
        if g.cost_cents != cost or g.paid_minutes != pool.shift_minutes:
            out.append(Violation("cost", g.worker_id, f"says {g.cost_cents} cents, pool gives {cost}"))
    if pool.max_shifts_per_day is not None:
        out.extend(
            Violation("gig_per_day", str(day), f"{n} gig shifts > {pool.max_shifts_per_day}")
            for day, n in sorted(per_day.items())
            if n > pool.max_shifts_per_day
        )
    return out


def _recount(starts: list[dt.datetime], step: dt.timedelta, shifts: list[PlannedShift]) -> np.ndarray:
    """Count shifts covering each whole interval, minus those on break, by plain datetime comparison."""
    counts = np.zeros(len(starts), dtype=np.int64)
    for i, t in enumerate(starts):
        end = t + step
        for s in shifts:
            if s.start <= t and end <= s.end and not any(b.start < end and t < b.end for b in s.breaks):
                counts[i] += 1
    return counts


def check_plan(problem: PlanningProblem, plan: Plan, params: SolveParams | None = None) -> list[Violation]:
    """Re-verify a plan against every rule of its problem, independently of the solver.

    Checks each FTE shift (length, start window and grid, breaks, paid minutes, cost), each worker (time off,
    one shift a day, rest, consecutive days, weekly hours and days), the gig pool (length, window, caps), the
    coverage rows (requirement recomputed, ``scheduled`` recounted from the shifts), and the objective
    (FTE + gig cost + shortfall penalty recomputed and compared with the solver's).

    Returns
    -------
    list of Violation
        Empty when the plan keeps every rule.
    """
    if not plan.solver.status.has_plan:
        return []
    zone = ZoneInfo(problem.timezone)
    out: list[Violation] = []
    workers = {w.worker_id: w for w in problem.workforce.workers}
    by_worker: dict[str, list[PlannedShift]] = defaultdict(list)
    gigs = []
    for s in plan.shifts:
        if s.kind == "gig":
            gigs.append(s)
        elif s.worker_id not in workers:
            out.append(Violation("unknown_worker", s.worker_id, "not in the workforce"))
        else:
            by_worker[s.worker_id].append(s)
    # Every listed FTE is employed, so every one keeps the contract, shifts or not; in HR mode only those
    # the plan gives shifts are employed.
    for w in problem.workforce.workers:
        if problem.headcount == "fixed" or w.worker_id in by_worker:
            out.extend(
                _check_worker(w, problem.workforce.contract_of(w), by_worker.get(w.worker_id, []), problem, zone)
            )
    out.extend(_check_gigs(problem, gigs, zone))

    starts = [d.interval_start for d in problem.grid_rows()]
    step = dt.timedelta(minutes=problem.interval_min)
    if problem.queues:
        out.extend(_check_queues(problem, plan, starts, step, gigs, params or plan.solver.params))
        return out
    fte = _recount(starts, step, [s for s in plan.shifts if s.kind == "fte"])
    posted = _recount(starts, step, gigs)
    pool = problem.workforce.gig_pool
    if pool is not None:
        out.extend(
            Violation("gig_cap", starts[i].isoformat(), f"{int(posted[i])} gigs > {pool.max_concurrent}")
            for i in np.flatnonzero(posted > pool.max_concurrent)
        )
    fill = round((pool.fill_rate if pool is not None else 1.0) * 1000)
    scheduled = fte + posted * fill // 1000
    needed = problem_staff_needed(problem)
    people = people_demand(problem)  # with its per-interval forecast error (volume_cv), as the plan prices it
    required = needed["required"].to_numpy()
    if len(plan.coverage) != len(starts):
        out.append(Violation("coverage", "coverage", f"{len(plan.coverage)} rows for {len(starts)} intervals"))
    else:
        for i, row in enumerate(plan.coverage):
            if row.scheduled != scheduled[i] or row.required != required[i]:
                out.append(
                    Violation(
                        "coverage",
                        f"coverage[{i}]",
                        f"says required {row.required} scheduled {row.scheduled}, "
                        f"recomputed {int(required[i])} and {int(scheduled[i])}",
                    )
                )
    params = params or plan.solver.params
    goal = plan_goal(problem, people, required, shortfall_penalty_cents=shortfall_penalty_cents(problem, params))
    missed = goal.missed_cents(scheduled) if goal is not None else 0
    out.extend(_check_objective(problem, plan, required, scheduled, params, missed))
    return out


def _check_objective(
    problem: PlanningProblem,
    plan: Plan,
    required: np.ndarray,
    scheduled: np.ndarray,
    params: SolveParams,
    other_penalty_cents: int,
) -> list[Violation]:
    """Recompute the objective: shifts, fixed cost, pooled shortfall and ``other_penalty_cents``.

    ``other_penalty_cents`` is the horizon goal's missed-service penalty, or a several-queue plan's shortfall
    and late e-mail penalties (its pooled ``required``/``scheduled`` are then zeros).
    """
    penalty = shortfall_penalty_cents(problem, params)
    short = int(np.maximum(required - scheduled, 0).sum())
    shift_cost = sum(s.cost_cents for s in plan.shifts)
    employed = [
        w
        for w in problem.workforce.workers
        if problem.headcount == "fixed" or any(s.kind == "fte" and s.worker_id == w.worker_id for s in plan.shifts)
    ]
    fixed = sum(problem.workforce.contract_of(w).fixed_cost_cents(problem.days) for w in employed)
    wishes = preference_penalty_cents(problem, plan.shifts)
    total = shift_cost + fixed + penalty * short + other_penalty_cents + wishes
    out = []
    if sum(plan.cost_terms_cents.values()) != total:
        out.append(
            Violation(
                "cost_terms",
                "cost_terms_cents",
                f"terms add to {sum(plan.cost_terms_cents.values())}, recomputed {total}",
            )
        )
    bound = plan.solver.best_bound_cents
    if bound is not None and total < bound:
        out.append(Violation("bound", "solver.best_bound_cents", f"bound {bound} exceeds the plan's cost {total}"))
    if plan.solver.objective_cents is not None and total != plan.solver.objective_cents:
        out.append(
            Violation(
                "objective",
                "solver.objective_cents",
                f"plan says {plan.solver.objective_cents}, recomputed {total} "
                f"(shifts {shift_cost} + {penalty} x {short} short agent-intervals + preferences {wishes})",
            )
        )
    return out


def _skill_floor(
    problem: PlanningProblem, plan: Plan, starts: list[dt.datetime], step: dt.timedelta, gigs: list[PlannedShift]
) -> list[tuple[frozenset[str], np.ndarray]]:
    """Return (skills, people on the floor per interval) for each set of skills among the plan's people."""
    names = frozenset(problem.queue_names)
    workers = {w.worker_id: w for w in problem.workforce.workers}
    by_skills: dict[frozenset[str], list[PlannedShift]] = defaultdict(list)
    for s in plan.shifts:
        if s.kind == "fte" and s.worker_id in workers:
            skills = problem.workforce.skills_of(workers[s.worker_id])
            by_skills[names if skills is None else frozenset(skills)].append(s)
    out = [(skills, _recount(starts, step, shifts)) for skills, shifts in by_skills.items()]
    pool = problem.workforce.gig_pool
    if pool is not None and gigs:
        fill = round(pool.fill_rate * 1000)
        gig_skills = names if pool.skills is None else frozenset(pool.skills)
        out.append((gig_skills, _recount(starts, step, gigs) * fill // 1000))
    return out


def _check_queues(
    problem: PlanningProblem,
    plan: Plan,
    starts: list[dt.datetime],
    step: dt.timedelta,
    gigs: list[PlannedShift],
    params: SolveParams,
) -> list[Violation]:
    """Check a several-queue plan: requirements per queue, a routing the skills allow, and the objective.

    The plan reports people per queue and interval (``queue_coverage``). Such a split of the floor exists
    exactly when every set ``S`` of queues gets no more people than are on the floor with a skill in ``S``
    (Hall's condition for supplies and demands), and everyone on the floor is routed; both are checked for
    every subset, from the shifts and skills alone.
    """
    out: list[Violation] = []
    queues = problem.queue_names
    rows = {(r.interval_start, r.queue): r for r in plan.queue_coverage}
    if len(rows) != len(starts) * len(queues) or len(plan.queue_coverage) != len(rows):
        found = len(plan.queue_coverage)
        detail = f"{found} rows for {len(starts)} intervals x {len(queues)} queues"
        return [Violation("coverage", "queue_coverage", detail)]
    routed = np.array([[rows[t, q].scheduled for t in starts] for q in queues], dtype=np.int64)
    floor = _skill_floor(problem, plan, starts, step, gigs)
    for i, t in enumerate(starts):
        on_floor = sum(int(people[i]) for skills, people in floor if skills)
        if int(routed[:, i].sum()) != on_floor:
            detail = f"routes {int(routed[:, i].sum())} people, {on_floor} are on the floor with a skill"
            out.append(Violation("routing", t.isoformat(), detail))
            continue
        for size in range(1, len(queues) + 1):
            for subset in itertools.combinations(range(len(queues)), size):
                names = {queues[q] for q in subset}
                able = sum(int(people[i]) for skills, people in floor if skills & names)
                if int(routed[list(subset), i].sum()) > able:
                    detail = f"routes {int(routed[list(subset), i].sum())} to {sorted(names)}, only {able} are skilled"
                    out.append(Violation("routing", t.isoformat(), detail))
    short = late = 0
    for q, need in enumerate(queue_needs(problem)):
        for i, t in enumerate(starts):
            if rows[t, need.name].required != int(need.required[i]):
                detail = f"says required {rows[t, need.name].required}, recomputed {int(need.required[i])}"
                out.append(Violation("coverage", f"queue_coverage[{need.name} {t.isoformat()}]", detail))
        if need.live:
            short += int(np.maximum(need.required - routed[q], 0).sum())
        else:
            late += email_penalty_units(need.units(), routed[q])
    penalty = shortfall_penalty_cents(problem, params)
    queue_cents = penalty * short + email_missed_penalty_cents(penalty) * late
    out.extend(_check_objective(problem, plan, np.zeros(1), np.zeros(1), params, queue_cents))
    return out


def plan_cost_cents(plan: Plan) -> int:
    """Return the cost of a plan's shifts [cents] (without shortfall penalty)."""
    return sum(s.cost_cents for s in plan.shifts)
