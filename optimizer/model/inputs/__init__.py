"""prepare(): domain problem → ModelInput, the fully prepared integer data the CP-SAT model iterates over.

All pandas, time-zone and unit work happens here, before CP-SAT: the interval grid, each worker's candidate
shifts (interval indices, paid minutes, cost in cents, allowed break starts), rest conflicts, weekly limits,
the gig start grid and caps, and the required agents per interval from the staffing maths.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.demand import demand_frame
from optimizer.domain import (
    MINUTES_PER_WEEK,
    Contract,
    GigPool,
    PlanningProblem,
    SolveParams,
    Worker,
    minute_of_week,
    weekend_saturdays,
)
from optimizer.errors import InputError, Issue
from optimizer.grid import Grid, align_demand, build_grid
from optimizer.horizon_goal import PreparedGoal, prepare_goal, service_goal
from optimizer.requirement import staff_needed

SHORTFALL_PENALTY_FACTOR = 10
"""Default shortfall penalty as a multiple of the dearest hourly rate (explicit, so plans can explain it)."""

FILL_RATE_SCALE = 1000
"""Gig fill rate is applied in integer permille inside the solver."""


@dataclass(frozen=True, slots=True)
class ShiftType:
    """A shift shape shared by any number of workers: start, length and the break it takes.

    Breaks are counted per shift type, not per worker: which of the identical shifts takes which break slot
    does not change coverage or cost, so it is decided after the solve.
    """

    start: int
    length: int
    break_len: int
    break_starts: tuple[int, ...]

    @property
    def end(self) -> int:
        """First interval after the shift."""
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class ShiftOption:
    """One candidate shift of one worker."""

    day: int
    shift_type: int
    start: int
    end: int
    paid_min: int
    cost_cents: int


@dataclass(frozen=True, slots=True)
class WeekLimit:
    """Contract limits for one (possibly partial) week of the horizon, already prorated."""

    week: int
    first_day: int
    last_day: int
    min_paid_min: int
    max_paid_min: int
    min_days: int
    max_days: int


@dataclass(frozen=True, slots=True)
class RestLimit:
    """A rest rule between two days of one crew, as a threshold cut.

    Shifts in ``ending_late`` (on ``first_day``) end less than the minimum rest before ``threshold``; shifts in
    ``starting_early`` (on ``later_day``) start at or before it. No worker can take one of each, so a crew
    of ``size`` workers takes at most ``size`` of them together. For a crew of one these cuts are exactly
    the pairwise rest rule; for a larger crew they are the Hall conditions of pairing one day's shifts with
    the next day's (necessary, so the crew model is a relaxation of the per-person model).
    """

    first_day: int
    later_day: int
    threshold: int
    ending_late: tuple[int, ...]
    starting_early: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WeekendLimit:
    """At most ``max_worked`` of the weekends ``first..last`` (weekend indices of the horizon) may be worked."""

    first: int
    last: int
    max_worked: int


@dataclass(frozen=True, slots=True)
class WeekendSlot:
    """The options of one local start day that work a weekend: a Friday night into Saturday, a Saturday, a Sunday.

    ``whole_day`` is true for Saturday and Sunday (every option of the day works the weekend); a Friday slot
    holds only the Friday options that reach past Saturday 00:00.
    """

    weekend: int
    day: int
    options: tuple[int, ...]
    whole_day: bool


@dataclass(frozen=True, slots=True)
class WeekendPattern:
    """One way to work the weekend slots (``works[j]`` = 1 works slot j), and the days it decides.

    ``must_work`` and ``must_rest`` are the days every day plan with this pattern works, or rests (e.g. after
    a weekend off, a 5-day week with a 6-day cap leaves no weekday free).
    """

    works: tuple[int, ...]
    must_work: tuple[int, ...]
    must_rest: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Crew:
    """Workers with the same contract and the same absences, modelled together by counts.

    A crew of one is a person; a larger crew's variables count how many of its workers take each shift,
    and ``optimizer.model.assign`` hands the shifts to people after the solve.
    """

    crew_id: str
    worker_ids: tuple[str, ...]
    contract: int
    options: tuple[ShiftOption, ...]
    rest_limits: tuple[RestLimit, ...]
    weeks: tuple[WeekLimit, ...]
    max_consecutive_days: int
    symmetry_class: int
    weekend_slots: tuple[WeekendSlot, ...] = ()
    """Where the crew's options work a weekend (only with a weekends-off rule)."""
    weekend_limits: tuple[WeekendLimit, ...] = ()
    weekend_patterns: tuple[WeekendPattern, ...] = ()
    """Every way one member can work the weekend slots that keeps the weekend rule, the weekly day counts and
    the consecutive-day cap; empty when there are too many to list."""
    optional: bool = False
    """HR mode: how many of the crew are employed is a decision (``employed[c]``), not the crew size."""
    fixed_cost_cents: int = 0
    """Fixed cost of one employed member over the horizon [cents]."""

    @property
    def size(self) -> int:
        """Number of workers in the crew."""
        return len(self.worker_ids)

    def options_on(self, day: int) -> list[int]:
        """Return the indices of the options on a local day."""
        return [k for k, o in enumerate(self.options) if o.day == day]


@dataclass(frozen=True, slots=True)
class GigInput:
    """The gig pool on the grid."""

    starts: tuple[int, ...]
    length: int
    cost_cents: int
    paid_min: int
    max_concurrent: int
    max_per_day: int | None
    fill_permille: int
    posted: tuple[tuple[int, int], ...] = ()
    """Gig shifts already posted, as (start interval, count): a re-plan keeps them."""
    first_new_start: int = 0
    """No gig shift may be newly posted to start before this interval (re-plan: now + lead time)."""


@dataclass(frozen=True, slots=True)
class KeptShift:
    """The options of one crew that work the same published shift, and whether it may be released (re-plan)."""

    crew: int
    options: tuple[int, ...]
    releasable: bool


@dataclass(frozen=True, slots=True)
class ModelInput:
    """Fully prepared input of the CP-SAT model: ints, tuples and numpy arrays only (plus the grid)."""

    grid: Grid
    required: np.ndarray
    volume: np.ndarray
    aht_s: np.ndarray
    shift_types: tuple[ShiftType, ...]
    crews: tuple[Crew, ...]
    gig: GigInput | None
    shortfall_penalty_cents: int
    locked: tuple[tuple[int, int], ...] = ()
    """FTE shifts that must be worked, as (crew index, option index): published or already assigned."""
    service: PreparedGoal | None = None
    """The horizon-wide service goal with its concave pieces, when the target's scope is the horizon."""
    kept: tuple[KeptShift, ...] = ()
    """Re-plan: published shifts to work in exactly one variant (or release); empty when locks suffice."""
    employment_cost_cents: int | None = None
    """Re-plan: fixed cost of the staff the published plan employs, a constant term [cents]; None when unpriced."""

    @property
    def intervals(self) -> int:
        """Number of intervals in the horizon."""
        return self.grid.size


def _cost_cents(paid_min: int, per_hour_cents: int) -> int:
    return round(paid_min * per_hour_cents / 60)


def _shift_type_index(types: dict[ShiftType, int], shift_type: ShiftType) -> int:
    return types.setdefault(shift_type, len(types))


def _blocked(grid: Grid, worker: Worker) -> np.ndarray:
    """Return a boolean mask of intervals the worker is off."""
    blocked = np.zeros(grid.size + 1, dtype=bool)
    starts = grid.starts.asi8
    step = grid.interval_min * 60 * 10**9
    for off in worker.time_off:
        lo = pd.Timestamp(off.start).as_unit("ns").value
        hi = pd.Timestamp(off.end).as_unit("ns").value
        blocked[: grid.size] |= (starts < hi) & (starts + step > lo)
    return blocked


def availability_counts(worker: Worker) -> np.ndarray | None:
    """Return cumulative available minutes over two weeks from Monday 00:00, or None when always available."""
    windows = worker.available_minutes()
    if windows is None:
        return None
    week = np.zeros(MINUTES_PER_WEEK, dtype=np.int64)
    for opens, closes in windows:
        week[np.arange(opens, closes) % MINUTES_PER_WEEK] = 1
    return np.concatenate(([0], np.cumsum(np.concatenate((week, week)))))


def within_availability(grid: Grid, counts: np.ndarray | None, start: int, end: int) -> bool:
    """Return whether intervals ``[start, end)`` lie inside the availability windows (local wall clock)."""
    if counts is None:
        return True
    opens = minute_of_week(grid.timestamp(start))
    length = (minute_of_week(grid.timestamp(end)) - opens) % MINUTES_PER_WEEK
    return bool(counts[opens + length] - counts[opens] == length)


def _worker_options(
    grid: Grid, contract: Contract, worker: Worker, types: dict[ShiftType, int]
) -> tuple[tuple[ShiftOption, ...], frozenset[int]]:
    """Return the worker's candidate shifts and the days on which time off leaves a shift possible.

    Availability windows remove candidates but not days: the contract's weekly minimum holds in full for
    a standing availability pattern and is prorated for time off only.
    """
    blocked = np.cumsum(_blocked(grid, worker))
    available = availability_counts(worker)
    rule = contract.break_rule
    options: list[ShiftOption] = []
    workable: set[int] = set()
    for day in range(grid.days):
        for clock in range(contract.earliest_start_min, contract.latest_start_min + 1, grid.interval_min):
            start = grid.index_at(day, clock)
            if start is None:
                continue
            for length_min in contract.shift_lengths_min:
                length = grid.intervals_for(length_min)
                end = start + length
                if end > grid.size:
                    continue
                if blocked[end - 1] - (blocked[start - 1] if start else 0):
                    continue
                workable.add(day)
                if not within_availability(grid, available, start, end):
                    continue
                break_len = 0
                break_starts: tuple[int, ...] = ()
                if rule is not None and length_min >= rule.applies_from_shift_min:
                    break_len = grid.intervals_for(rule.length_min)
                    first = start + math.ceil(rule.earliest_after_start_min / grid.interval_min)
                    last = end - math.ceil(rule.latest_before_end_min / grid.interval_min) - break_len
                    break_starts = tuple(range(first, last + 1))
                shift_type = _shift_type_index(types, ShiftType(start, length, break_len, break_starts))
                paid = contract.paid_minutes(length_min)
                options.append(
                    ShiftOption(day, shift_type, start, end, paid, _cost_cents(paid, contract.cost_per_hour_cents))
                )
    return tuple(options), frozenset(workable)


MAX_WEEKEND_PATTERNS = 4096
"""Most weekend work patterns listed per crew; past it the crew model counts weekend workers instead."""


def _weekends(
    grid: Grid, contract: Contract, options: tuple[ShiftOption, ...], weeks: tuple[WeekLimit, ...], *, crew: bool
) -> tuple[tuple[WeekendSlot, ...], tuple[WeekendLimit, ...], tuple[WeekendPattern, ...]]:
    """Return the weekend slots of the horizon, the contract's weekend limits and the feasible work patterns.

    A weekend is local Saturday 00:00 to Monday 00:00; a weekend of which the horizon holds any day counts.
    Patterns are listed only for a ``crew`` of several workers: for one worker the counts are exact.
    """
    rule = contract.weekends_off
    if rule is None:
        return (), (), ()
    saturdays = weekend_saturdays(grid.dates)
    slots = []
    for w, saturday in enumerate(saturdays):
        days = [i for i, d in enumerate(grid.dates) if 0 <= (d - saturday).days <= 1]
        lo = int(grid.day_first[days[0]])
        friday = days[0] - 1 if grid.dates[days[0]].weekday() == 5 else None
        if friday is not None and friday >= 0:
            crossing = tuple(k for k, o in enumerate(options) if o.day == friday and o.end > lo)
            if crossing:
                slots.append(WeekendSlot(w, friday, crossing, whole_day=False))
        for d in days:
            slots.append(WeekendSlot(w, d, tuple(k for k, o in enumerate(options) if o.day == d), whole_day=True))
    count = len(saturdays)
    span = min(rule.per_weeks, count)
    limits = tuple(
        WeekendLimit(first, first + span - 1, span - rule.required_off(span))
        for first in range(count - span + 1)
        if rule.required_off(span) > 0
    )
    if not crew or not limits:
        return tuple(slots), limits, ()
    workable = frozenset(o.day for o in options)
    patterns = _weekend_patterns(tuple(slots), limits, workable, weeks, contract.max_consecutive_days, grid.days)
    return tuple(slots), limits, patterns


def _weekend_patterns(
    slots: tuple[WeekendSlot, ...],
    limits: tuple[WeekendLimit, ...],
    workable: frozenset[int],
    weeks: tuple[WeekLimit, ...],
    cap: int,
    days: int,
) -> tuple[WeekendPattern, ...]:
    """Return every 0/1 choice over the slots one worker can follow: weekend rule, weekly days, day cap.

    A necessary condition checked by a walk over the days (hours, start times and rest are left to the
    model), so the list keeps every per-person plan's pattern and the crew model stays a relaxation.
    Measured on 4 weeks with 5 days a week, a 6-day cap and one weekend in two off: a worker off the next
    weekend cannot work both days of this one (Saturday to Friday would be 7 days in a row), which the
    crew model did not see before the patterns (the assignment then left 2,998 shifts unmatched).
    """
    free = [len(sl.options) > 0 for sl in slots]
    if 2 ** sum(free) > MAX_WEEKEND_PATTERNS:
        return ()
    out = []
    for bits in itertools.product(*[(0, 1) if f else (0,) for f in free]):
        worked: dict[int, int] = {}
        for sl, b in zip(slots, bits, strict=True):
            worked[sl.weekend] = worked.get(sl.weekend, 0) | b
        if any(sum(worked.get(w, 0) for w in range(lim.first, lim.last + 1)) > lim.max_worked for lim in limits):
            continue
        forced = {sl.day: b for sl, b in zip(slots, bits, strict=True) if sl.whole_day or b}
        choices = day_choices(forced, workable, weeks, cap, days)
        if choices is None:
            continue
        free_days = [d for d in range(days) if d not in forced and d in workable]
        out.append(
            WeekendPattern(
                works=tuple(bits),
                must_work=tuple(d for d in free_days if choices[d] == {1}),
                must_rest=tuple(d for d in free_days if choices[d] == {0}),
            )
        )
    return tuple(out)


def day_choices(
    forced: dict[int, int], workable: frozenset[int], weeks: tuple[WeekLimit, ...], cap: int, days: int
) -> list[set[int]] | None:
    """Return, per day, whether working it (1) or not (0) fits some day plan, or None when none fits.

    A day plan keeps the ``forced`` days, works only ``workable`` days, and keeps each week's day counts and
    the consecutive-day cap. States are (days in a row, days worked this week); a forward pass collects the
    reachable states and a backward pass keeps those that can still finish.
    """
    week_at = {d: wk for wk in weeks for d in range(wk.first_day, wk.last_day + 1)}

    def allowed(d: int) -> tuple[int, ...]:
        if d in forced:
            return (forced[d],) if forced[d] == 0 or d in workable else ()
        return (0, 1) if d in workable else (0,)

    def step(d: int, state: tuple[int, int], c: int) -> tuple[int, int] | None:
        run, n = state
        wk = week_at.get(d)
        if wk is not None and d == wk.first_day:
            n = 0
        if c:
            if run >= cap or (wk is not None and n >= wk.max_days):
                return None
            run, n = run + 1, n + 1
        else:
            run = 0
        if wk is not None and d == wk.last_day and n < wk.min_days:
            return None
        return run, n

    reach: list[set[tuple[int, int]]] = [{(0, 0)}]
    for d in range(days):
        nxt = {t for s in reach[d] for c in allowed(d) if (t := step(d, s, c)) is not None}
        if not nxt:
            return None
        reach.append(nxt)
    good = reach[days]
    out: list[set[int]] = [set() for _ in range(days)]
    for d in range(days - 1, -1, -1):
        keep = set()
        for s in reach[d]:
            for c in allowed(d):
                if step(d, s, c) in good:
                    keep.add(s)
                    out[d].add(c)
        good = keep
    return out


def _rest_limits(options: tuple[ShiftOption, ...], rest: int) -> tuple[RestLimit, ...]:
    """Return the threshold cuts of the rest rule between every pair of days where shifts can clash."""
    if not options:
        return ()
    day = np.array([o.day for o in options])
    start = np.array([o.start for o in options])
    free_from = np.array([o.end + rest for o in options])
    limits = []
    seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for d1 in np.unique(day):
        on_d1 = day == d1
        for d2 in np.unique(day[day > d1]):
            on_d2 = day == d2
            if not (start[on_d2].min() < free_from[on_d1].max()):
                continue
            for threshold in np.unique(start[on_d2]):
                late = tuple(int(k) for k in np.flatnonzero(on_d1 & (free_from > threshold)))
                early = tuple(int(k) for k in np.flatnonzero(on_d2 & (start <= threshold)))
                if late and early and (late, early) not in seen:
                    seen.add((late, early))
                    limits.append(RestLimit(int(d1), int(d2), int(threshold), late, early))
    return tuple(_undominated(limits))


def _undominated(limits: list[RestLimit]) -> list[RestLimit]:
    """Drop cuts implied by another cut of the same day pair that covers a superset of both sides."""
    keep = []
    for a in limits:
        implied = any(
            b is not a
            and b.first_day == a.first_day
            and b.later_day == a.later_day
            and set(a.ending_late) <= set(b.ending_late)
            and set(a.starting_early) <= set(b.starting_early)
            for b in limits
        )
        if not implied:
            keep.append(a)
    return keep


def _week_limits(grid: Grid, contract: Contract, workable: frozenset[int]) -> tuple[WeekLimit, ...]:
    """Cut the horizon into 7-day weeks from its first day and apply the contract to each.

    The maxima hold as they are (a partial week at the end of the horizon may still be worked up to the
    contract's weekly maximum, since the plan cannot see the rest of that week); the minima are prorated by
    the share of the 7 days on which the worker can work (absences and a partial week lower them).
    """
    paid = [contract.paid_minutes(m) for m in contract.shift_lengths_min]
    limits = []
    for week, first in enumerate(range(0, grid.days, 7)):
        last = min(first + 7, grid.days) - 1
        avail = sum(1 for d in range(first, last + 1) if d in workable)
        share = avail / 7
        min_paid = math.floor(contract.min_hours_per_week * 60 * share)
        max_paid = math.floor(contract.max_hours_per_week * 60)
        # Each worker needs enough shifts for its minimum hours and no more than its maximum allows; stating
        # it per worker keeps the crew model (which only sees sums) from letting one worker cover another's.
        limits.append(
            WeekLimit(
                week=week,
                first_day=first,
                last_day=last,
                min_paid_min=min_paid,
                max_paid_min=max_paid,
                min_days=max(math.floor(contract.min_days_per_week * share), math.ceil(min_paid / max(paid))),
                max_days=min(avail, contract.max_days_per_week, max_paid // min(paid)),
            )
        )
    return tuple(limits)


def _gig_input(grid: Grid, pool: GigPool) -> GigInput:
    length = grid.intervals_for(pool.shift_minutes)
    starts = []
    for day in range(grid.days):
        for clock in range(pool.earliest_start_min, pool.latest_start_min + 1, grid.interval_min):
            t = grid.index_at(day, clock)
            if t is not None and t + length <= grid.size:
                starts.append(t)
    return GigInput(
        starts=tuple(starts),
        length=length,
        cost_cents=_cost_cents(pool.shift_minutes, pool.cost_per_hour_cents),
        paid_min=pool.shift_minutes,
        max_concurrent=pool.max_concurrent,
        max_per_day=pool.max_shifts_per_day,
        fill_permille=round(pool.fill_rate * FILL_RATE_SCALE),
    )


def shortfall_penalty_cents(problem: PlanningProblem, params: SolveParams) -> int:
    """Return the penalty per agent-interval below the requirement [cents]."""
    per_hour = params.shortfall_penalty_per_hour_cents
    if per_hour is None:
        rates = [c.cost_per_hour_cents for c in problem.workforce.contracts]
        if problem.workforce.gig_pool is not None:
            rates.append(problem.workforce.gig_pool.cost_per_hour_cents)
        per_hour = SHORTFALL_PENALTY_FACTOR * max(rates)
    return max(1, round(per_hour * problem.interval_min / 60))


def prepare(problem: PlanningProblem, params: SolveParams, *, aggregate: bool = False) -> ModelInput:
    """Turn a planning problem into the integer data the CP-SAT model needs.

    With ``aggregate=False`` every worker is a crew of one (the exact per-person model); with
    ``aggregate=True`` workers with the same contract and absences form one crew modelled by counts
    (a relaxation whose plans ``optimizer.model.assign`` turns into per-person shifts).

    Raises
    ------
    InputError
        When demand rows do not match the horizon's grid, or a worker's contract leaves no shift to work.
    """
    grid = build_grid(problem.timezone, problem.start_date, problem.days, problem.interval_min)
    demand = demand_frame(problem.demand, timezone=problem.timezone)
    align_demand(grid, pd.DatetimeIndex(demand.index))
    staffing = staff_needed(demand, problem.service_target, problem.automation, interval_min=problem.interval_min)

    types: dict[ShiftType, int] = {}
    contracts = problem.workforce.contracts
    contract_index = {c.name: i for i, c in enumerate(contracts)}
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, w in enumerate(problem.workforce.workers):
        key = (w.contract, tuple((o.start, o.end) for o in w.time_off), w.availability)
        groups.setdefault(key, []).append(i)
    crews: list[Crew] = []
    issues: list[Issue] = []
    for symmetry_class, members in enumerate(groups.values()):
        first = problem.workforce.workers[members[0]]
        contract = contracts[contract_index[first.contract]]
        options, workable = _worker_options(grid, contract, first, types)
        weeks = _week_limits(grid, contract, workable)
        slots, weekend_limits, patterns = _weekends(grid, contract, options, weeks, crew=aggregate and len(members) > 1)
        if not options and any(wk.min_paid_min > 0 for wk in weeks):
            issues.extend(
                Issue(f"workforce.workers[{i}]", "has minimum hours but no shift fits the horizon") for i in members
            )
            continue
        rest = _rest_limits(options, math.ceil(contract.min_rest_min / grid.interval_min))
        ids = [problem.workforce.workers[i].worker_id for i in members]
        batches = [ids] if aggregate else [[wid] for wid in ids]
        crews.extend(
            Crew(
                crew_id=batch[0] if len(batch) == 1 else f"{first.contract}*{len(batch)}@{batch[0]}",
                worker_ids=tuple(batch),
                contract=contract_index[first.contract],
                options=options,
                rest_limits=rest,
                weeks=weeks,
                max_consecutive_days=contract.max_consecutive_days,
                symmetry_class=symmetry_class,
                weekend_slots=slots,
                weekend_limits=weekend_limits,
                weekend_patterns=patterns,
                optional=problem.headcount == "optimise",
                fixed_cost_cents=contract.fixed_cost_cents(problem.days),
            )
            for batch in batches
        )
    if issues:
        raise InputError(issues)

    pool = problem.workforce.gig_pool
    penalty = shortfall_penalty_cents(problem, params)
    most = len(problem.workforce.workers) + (pool.max_concurrent if pool is not None else 0)
    service = service_goal(
        staffing[["volume", "aht_s"]],
        problem.service_target,
        interval_min=problem.interval_min,
        max_scheduled=most,
        shortfall_penalty_cents=penalty,
    )
    required = staffing["required"].to_numpy(dtype=np.int64)
    return ModelInput(
        grid=grid,
        required=required,
        volume=staffing["volume"].to_numpy(dtype=float),
        aht_s=staffing["aht_s"].to_numpy(dtype=float),
        shift_types=tuple(types),
        crews=tuple(crews),
        gig=_gig_input(grid, pool) if pool is not None else None,
        shortfall_penalty_cents=penalty,
        service=prepare_goal(service, required) if service is not None else None,
    )
