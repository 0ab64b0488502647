"""The interval grid: season lengths, local days and clock times, future indexes (DST-aware).

Every other forecasting module asks this one how many intervals a day or week has; nothing else hard-codes
them. Local days are calendar dates in the site's time zone, so a DST day has 23 or 25 hours (46 or 50
half-hours), and intervals are keyed by wall-clock minute so a profile learnt on normal days applies to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.errors import ForecastInputError

ALLOWED_INTERVAL_MIN = (15, 30, 60)
"""Interval lengths the project supports [min] (DESIGN.md)."""

MINUTES_PER_DAY = 24 * 60
DAYS_PER_WEEK = 7


@dataclass(frozen=True, slots=True)
class SeasonLengths:
    """Season lengths of an interval grid, counted in intervals on a 24-hour day."""

    interval_min: int
    per_day: int
    per_week: int


def season_lengths(interval_min: int) -> SeasonLengths:
    """Return the daily and weekly season lengths of a grid of ``interval_min`` minutes.

    Parameters
    ----------
    interval_min : int
        Interval length [min]; one of 15, 30 or 60.

    Returns
    -------
    SeasonLengths
        Intervals per (24-hour) day and per week, e.g. 48 and 336 for 30 minutes.

    Raises
    ------
    ForecastInputError
        If ``interval_min`` is not an allowed length.
    """
    if interval_min not in ALLOWED_INTERVAL_MIN:
        raise ForecastInputError(
            field="interval_min", problem=f"must be one of {ALLOWED_INTERVAL_MIN}, got {interval_min}"
        )
    per_day = MINUTES_PER_DAY // interval_min
    return SeasonLengths(interval_min=interval_min, per_day=per_day, per_week=per_day * DAYS_PER_WEEK)


def infer_interval_min(index: pd.Index) -> int:
    """Return the interval length [min] of a regular tz-aware index (the smallest positive step)."""
    index = pd.DatetimeIndex(index)
    if len(index) < 2:
        raise ForecastInputError(
            field="history", problem="needs at least two intervals to know the interval length"
        )
    steps = np.diff(index.as_unit("ns").asi8) // 60_000_000_000
    positive = steps[steps > 0]
    if positive.size == 0:
        raise ForecastInputError(field="history", problem="timestamps do not increase")
    return int(positive.min())


def step(interval_min: int) -> pd.Timedelta:
    """Return the absolute length of one interval as a ``Timedelta``."""
    return pd.Timedelta(minutes=interval_min)


def local_dates(index: pd.Index) -> np.ndarray:
    """Return the local calendar date of every timestamp of a tz-aware index (object array of ``date``)."""
    return np.asarray(pd.DatetimeIndex(index).date)


def clock_minutes(index: pd.Index) -> np.ndarray:
    """Return the local wall-clock minute of the day (0 .. 1439) of every timestamp."""
    index = pd.DatetimeIndex(index)
    return np.asarray(index.hour * 60 + index.minute, dtype=np.int64)


def day_start(day: date, timezone: str) -> pd.Timestamp:
    """Return the tz-aware start (local midnight) of ``day`` in ``timezone``."""
    return pd.Timestamp(day.isoformat()).tz_localize(timezone)


def intervals_in_day(day: date, timezone: str, interval_min: int) -> int:
    """Return how many intervals local ``day`` has (46, 48 or 50 at 30 minutes, by DST)."""
    length = day_start(day + timedelta(days=1), timezone) - day_start(day, timezone)
    return int(length / step(interval_min))


_EPOCH_DAY = date(1970, 1, 1).toordinal()


def local_day_numbers(index: pd.Index) -> np.ndarray:
    """Return the local calendar day of every timestamp as days since 1970-01-01 (int64).

    The integer twin of :func:`local_dates`: sorting, counting and matching integers stays fast on millions
    of rows, where the same work on ``date`` objects costs Python calls per row.
    """
    wall = pd.DatetimeIndex(index).tz_localize(None).as_unit("ns")
    return wall.asi8 // (86_400 * 10**9)


def day_of_number(day_number: int) -> date:
    """Return the date of a :func:`local_day_numbers` value."""
    return date.fromordinal(int(day_number) + _EPOCH_DAY)


def number_of_day(day: date) -> int:
    """Return the :func:`local_day_numbers` value of a date."""
    return day.toordinal() - _EPOCH_DAY


def complete_days(index: pd.Index, interval_min: int) -> list[date]:
    """Return the local dates whose every interval is in ``index`` (partial first/last days are left out)."""
    timezone = str(pd.DatetimeIndex(index).tz)
    all_numbers = local_day_numbers(index)
    if all_numbers.size and bool((np.diff(all_numbers) >= 0).all()):  # sorted: count runs, no sort or hash
        starts = np.flatnonzero(np.diff(all_numbers, prepend=all_numbers[0] - 1))
        numbers, counts = all_numbers[starts], np.diff(np.append(starts, all_numbers.size))
    else:
        numbers, counts = np.unique(all_numbers, return_counts=True)
    midnights = pd.to_datetime(numbers, unit="D")
    first = midnights.tz_localize(timezone, nonexistent="shift_forward", ambiguous=True)
    last = (midnights + pd.Timedelta(days=1)).tz_localize(timezone, nonexistent="shift_forward", ambiguous=True)
    expected = np.asarray((last - first) // step(interval_min), dtype=np.int64)
    return [day_of_number(n) for n in numbers[counts == expected]]


def future_index(end: pd.Timestamp, periods: int, interval_min: int) -> pd.DatetimeIndex:
    """Return ``periods`` interval starts from ``end`` on, evenly spaced in absolute time (DST-correct).

    Parameters
    ----------
    end : pandas.Timestamp
        Exclusive end of the history, tz-aware in the site's zone; the first future interval starts here.
    periods : int
        Number of intervals.
    interval_min : int
        Interval length [min].
    """
    return pd.date_range(end, periods=periods, freq=step(interval_min), name="interval_start")


def days_index(first: date, last: date, timezone: str, interval_min: int) -> pd.DatetimeIndex:
    """Return every interval start of local days ``first`` .. ``last`` (inclusive)."""
    start = day_start(first, timezone)
    stop = day_start(last + timedelta(days=1), timezone)
    return pd.date_range(start, stop, freq=step(interval_min), inclusive="left", name="interval_start")


def horizon_for_days(history_end: pd.Timestamp, horizon_days: int, interval_min: int) -> int:
    """Return the intervals from ``history_end`` to the end of the ``horizon_days`` whole local days after it.

    If the history ends mid-day, the rest of that day is included as well.
    """
    last_day = (history_end - step(interval_min)).date()
    end = day_start(last_day + timedelta(days=1 + horizon_days), str(history_end.tz))
    return int((end - history_end) / step(interval_min))
