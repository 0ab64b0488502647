"""Price people's preferences and count what a plan gives each person, from the domain problem alone.

One home for the rule of ``optimizer.domain.wishes``: a preference window holds the grid intervals whose
local start lies in it; an unmet interval costs ``round(weight x rate x interval_min / 60)`` cents, where
the rate is the worker's contract's ``preference_per_hour_cents`` or else the workforce's. An undesired
interval is unmet when a shift of the worker (start to end) covers it; a desired one when none does.

``prepare`` reads :func:`preference_cents` (per interval, for the model's priced term); ``assemble_plan`` and
``check_plan`` read :func:`preference_penalty_cents` (from the plan's shifts, by timestamps).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.domain import (
    NIGHT_END,
    NIGHT_START,
    WEEKDAYS,
    PersonSummary,
    PlannedShift,
    PlanningProblem,
    Preference,
)
from optimizer.grid import Grid, build_grid

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class WishCents:
    """One worker's preferences on the grid: the price of working, or of not working, each interval [cents]."""

    undesired: np.ndarray
    """Cents of working interval t (undesired windows that hold t, summed)."""
    desired: np.ndarray
    """Cents of not working interval t (desired windows that hold t, summed)."""

    def option_cents(self, start: int, end: int) -> int:
        """Return how a shift over intervals ``[start, end)`` changes the worker's penalty (may be negative)."""
        return int(self.undesired[start:end].sum() - self.desired[start:end].sum())

    @property
    def idle_cents(self) -> int:
        """Return the penalty of a worker with no shift at all: every desired interval unmet."""
        return int(self.desired.sum())


def window_mask(grid: Grid, pref: Preference) -> np.ndarray:
    """Return which intervals of the grid lie in a preference's window (by their local start)."""
    since = grid.day_of.astype(np.int64) * MINUTES_PER_DAY + grid.clock_min.astype(np.int64)
    opens = pref.start_time.hour * 60 + pref.start_time.minute
    days = [
        d
        for d, date in enumerate(grid.dates)
        if (pref.date is not None and date == pref.date)
        or (pref.day is not None and WEEKDAYS[date.weekday()] == pref.day)
    ]
    # a window that opens the day before the horizon may still be open on its first day
    if pref.day is not None and WEEKDAYS[(grid.dates[0] - dt.timedelta(days=1)).weekday()] == pref.day:
        days.append(-1)
    mask = np.zeros(grid.size, dtype=bool)
    for d in days:
        offset = since - (d * MINUTES_PER_DAY + opens)
        mask |= (offset >= 0) & (offset < pref.length_min)
    return mask


def preference_cents(problem: PlanningProblem, grid: Grid) -> dict[str, WishCents]:
    """Return every worker-with-preferences' per-interval prices on the grid [cents].

    A preference of a worker the problem does not list (a re-plan's problem keeps only the people it
    re-plans; validated input never has one) prices nothing.
    """
    out: dict[str, WishCents] = {}
    workers = {w.worker_id: w for w in problem.workforce.workers}
    for pref in problem.workforce.preferences:
        worker = workers.get(pref.worker_id)
        if worker is None:
            continue
        rate = problem.workforce.preference_rate_cents(worker)
        cents = round(pref.weight * rate * problem.interval_min / 60)
        if cents == 0:
            continue
        wish = out.setdefault(
            pref.worker_id, WishCents(np.zeros(grid.size, dtype=np.int64), np.zeros(grid.size, dtype=np.int64))
        )
        target = wish.desired if pref.kind == "desired" else wish.undesired
        target += cents * window_mask(grid, pref)
    return out


def problem_grid(problem: PlanningProblem) -> Grid:
    """Return the interval grid of a problem's horizon."""
    return build_grid(problem.timezone, problem.start_date, problem.days, problem.interval_min)


def _worked(grid: Grid, shifts: Iterable[PlannedShift]) -> np.ndarray:
    """Return which intervals the shifts cover (start to end), by timestamps."""
    starts = grid.starts
    worked = np.zeros(grid.size, dtype=bool)
    for s in shifts:
        a = int(starts.searchsorted(s.start))
        b = int(starts.searchsorted(s.end))
        worked[a:b] = True
    return worked


def _by_worker(shifts: Iterable[PlannedShift]) -> dict[str, list[PlannedShift]]:
    out: dict[str, list[PlannedShift]] = {}
    for s in shifts:
        if s.kind == "fte":
            out.setdefault(s.worker_id, []).append(s)
    return out


def preference_penalty_cents(problem: PlanningProblem, shifts: Sequence[PlannedShift], grid: Grid | None = None) -> int:
    """Return the priced unmet preference-hours of a plan's shifts [cents] (0 without preferences)."""
    if not problem.workforce.preferences:
        return 0
    grid = grid or problem_grid(problem)
    own = _by_worker(shifts)
    total = 0
    for wid, wish in preference_cents(problem, grid).items():
        worked = _worked(grid, own.get(wid, ()))
        total += int(wish.undesired[worked].sum() + wish.desired[~worked].sum())
    return total


def people_summary(problem: PlanningProblem, shifts: Sequence[PlannedShift]) -> tuple[PersonSummary, ...]:
    """Return what the plan gives each FTE: hours, weekend days, night hours and preferences met."""
    grid = problem_grid(problem)
    own = _by_worker(shifts)
    hours_per_interval = problem.interval_min / 60
    prefs: dict[str, list[Preference]] = {}
    for p in problem.workforce.preferences:
        if p.weight > 0:
            prefs.setdefault(p.worker_id, []).append(p)
    night_masks: dict[str, np.ndarray] = {}
    rows = []
    for w in problem.workforce.workers:
        contract = problem.workforce.contract_of(w)
        if contract.name not in night_masks:
            fair = contract.fairness
            start, end = (fair.night_start, fair.night_end) if fair is not None else (NIGHT_START, NIGHT_END)
            night_masks[contract.name] = _daily_mask(grid, start, end)
        mine = own.get(w.worker_id, [])
        worked = _worked(grid, mine)
        rate = problem.workforce.preference_rate_cents(w)
        met = unmet_h = penalty = 0
        for p in prefs.get(w.worker_id, ()):
            window = window_mask(grid, p)
            unmet = int((window & worked).sum() if p.kind == "undesired" else (window & ~worked).sum())
            met += unmet == 0
            unmet_h += unmet
            penalty += unmet * round(p.weight * rate * problem.interval_min / 60)
        rows.append(
            PersonSummary(
                worker_id=w.worker_id,
                contract=contract.name,
                shifts=len(mine),
                paid_hours=sum(s.paid_minutes for s in mine) / 60,
                weekend_days=len({s.start.astimezone(grid.starts.tz).date() for s in mine} & _weekend_dates(grid)),
                night_hours=float((worked & night_masks[contract.name]).sum() * hours_per_interval),
                preferences=len(prefs.get(w.worker_id, ())),
                preferences_met=met,
                preference_hours_unmet=unmet_h * hours_per_interval,
                preference_penalty_cents=penalty,
            )
        )
    return tuple(rows)


def _weekend_dates(grid: Grid) -> set[dt.date]:
    return {d for d in grid.dates if d.weekday() >= 5}


def _daily_mask(grid: Grid, start: dt.time, end: dt.time) -> np.ndarray:
    """Return which intervals start in the daily window ``[start, end)`` (wrapping midnight)."""
    minute = grid.clock_min.astype(np.int64)
    lo, hi = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    return (minute >= lo) & (minute < hi) if lo < hi else (minute >= lo) | (minute < hi)


def night_mask(grid: Grid, start: dt.time = NIGHT_START, end: dt.time = NIGHT_END) -> np.ndarray:
    """Return which intervals start in the evening/night window ``[start, end)`` (local, wrapping midnight)."""
    return _daily_mask(grid, start, end)


def weekend_day_mask(grid: Grid) -> np.ndarray:
    """Return which local days of the grid are Saturdays or Sundays."""
    return np.array([d.weekday() >= 5 for d in grid.dates], dtype=bool)
