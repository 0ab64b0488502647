"""Labour-rule limits of one crew, prepared as data: weekly hours and days, rest cuts, weekends off."""

from __future__ import annotations

import itertools
import math

import numpy as np

from optimizer.domain import Contract, weekend_saturdays
from optimizer.grid import Grid
from optimizer.model.inputs.model_input import (
    RestLimit,
    ShiftOption,
    WeekendLimit,
    WeekendPattern,
    WeekendSlot,
    WeekLimit,
)

MAX_WEEKEND_PATTERNS = 4096
"""Most weekend work patterns listed per crew; past it the crew model counts weekend workers instead."""


def weekends(
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


def rest_limits(options: tuple[ShiftOption, ...], rest: int) -> tuple[RestLimit, ...]:
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


def week_limits(grid: Grid, contract: Contract, workable: frozenset[int]) -> tuple[WeekLimit, ...]:
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
