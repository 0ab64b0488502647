"""Candidate shifts on the grid: each worker's options (start, length, break window, pay) and the gig starts.

Time off removes options and the days they fall on; availability windows remove options only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.domain import MINUTES_PER_WEEK, Contract, GigPool, Worker, minute_of_week
from optimizer.grid import Grid
from optimizer.model.inputs.model_input import FILL_RATE_SCALE, GigInput, ShiftOption, ShiftType


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


def worker_options(
    grid: Grid, contract: Contract, worker: Worker, types: dict[ShiftType, int], skill_group: int = 0
) -> tuple[tuple[ShiftOption, ...], frozenset[int]]:
    """Return the worker's candidate shifts and the days on which time off leaves a shift possible.

    Shift types are per ``skill_group`` (several queues), so people on the floor can be counted per skill set.

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
                shift_type = _shift_type_index(types, ShiftType(start, length, break_len, break_starts, skill_group))
                paid = contract.paid_minutes(length_min)
                options.append(
                    ShiftOption(day, shift_type, start, end, paid, _cost_cents(paid, contract.cost_per_hour_cents))
                )
    return tuple(options), frozenset(workable)


def gig_input(grid: Grid, pool: GigPool) -> GigInput:
    """Return the gig pool on the grid: every allowed start, the shift length in intervals, its cost and caps."""
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
