"""The interval grid of a horizon: DST-aware local days and local clock times.

Intervals are half-open ``[start, start + interval_min)`` in absolute time. A local day spans local midnight to
the next local midnight, so DST days have 23 or 25 hours (46 or 50 intervals at 30 minutes), never 24 by
assumption.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from optimizer.errors import InputError


@dataclass(frozen=True, slots=True)
class Grid:
    """The intervals of a horizon and their local calendar.

    Attributes
    ----------
    timezone : str
        IANA zone of the site.
    interval_min : int
        Interval length [min].
    starts : pandas.DatetimeIndex
        Start of every interval, tz-aware in ``timezone``, named ``interval_start``.
    day_of : numpy.ndarray
        Local day index (0 = first day of the horizon) of every interval.
    day_first : numpy.ndarray
        Index of the first interval of each local day; ``day_first[d + 1]`` ends day ``d``
        (one extra entry equal to the number of intervals).
    dates : tuple of datetime.date
        Local date of each day.
    clock_min : numpy.ndarray
        Local wall-clock minutes after midnight at the start of every interval.
    """

    timezone: str
    interval_min: int
    starts: pd.DatetimeIndex
    day_of: np.ndarray
    day_first: np.ndarray
    dates: tuple[dt.date, ...]
    clock_min: np.ndarray

    @property
    def size(self) -> int:
        """Number of intervals."""
        return len(self.starts)

    @property
    def days(self) -> int:
        """Number of local days."""
        return len(self.dates)

    def intervals_for(self, minutes: int) -> int:
        """Return how many intervals a duration spans [min]; the duration must be a multiple of the interval."""
        return minutes // self.interval_min

    def index_at(self, day: int, clock_min: int) -> int | None:
        """Return the interval starting at local ``clock_min`` on ``day``, or None where the clock skips it.

        At the autumn DST change a wall-clock time occurs twice; the first occurrence is used.
        """
        lo, hi = int(self.day_first[day]), int(self.day_first[day + 1])
        hits = np.flatnonzero(self.clock_min[lo:hi] == clock_min)
        return lo + int(hits[0]) if hits.size else None

    def timestamp(self, t: int) -> pd.Timestamp:
        """Return the start of interval ``t``; ``t == size`` gives the end of the horizon."""
        if t < self.size:
            return self.starts[t]
        return self.starts[-1] + pd.Timedelta(minutes=self.interval_min * (t - self.size + 1))


def build_grid(timezone: str, start_date: dt.date, days: int, interval_min: int) -> Grid:
    """Build the interval grid from local midnight of ``start_date`` for ``days`` local days.

    Parameters
    ----------
    timezone : str
        IANA time zone of the site.
    start_date : datetime.date
        First local day.
    days : int
        Number of local days.
    interval_min : int
        Interval length [min]; 15, 30 or 60 divide every DST shift of one hour.

    Returns
    -------
    Grid
    """
    zone = ZoneInfo(timezone)
    dates = tuple(start_date + dt.timedelta(days=d) for d in range(days))
    midnights = [pd.Timestamp(dt.datetime.combine(d, dt.time(0), tzinfo=zone)) for d in dates]
    end = pd.Timestamp(dt.datetime.combine(dates[-1] + dt.timedelta(days=1), dt.time(0), tzinfo=zone))
    utc_starts = pd.date_range(
        midnights[0].tz_convert("UTC"), end.tz_convert("UTC"), freq=f"{interval_min}min", inclusive="left"
    ).as_unit("ns")
    starts = utc_starts.tz_convert(timezone).rename("interval_start")
    day_first = np.searchsorted(utc_starts.asi8, [m.as_unit("ns").value for m in [*midnights, end]])
    day_of = np.repeat(np.arange(days), np.diff(day_first))
    clock_min = (starts.hour * 60 + starts.minute).to_numpy()
    return Grid(
        timezone=timezone,
        interval_min=interval_min,
        starts=starts,
        day_of=day_of,
        day_first=day_first.astype(np.int64),
        dates=dates,
        clock_min=np.asarray(clock_min, dtype=np.int64),
    )


def align_demand(grid: Grid, interval_starts: pd.DatetimeIndex, field: str = "demand") -> None:
    """Check that demand rows match the grid one to one, in order.

    Raises
    ------
    InputError
        Naming the first row that is missing, extra or out of place.
    """
    if len(interval_starts) != grid.size:
        raise InputError.single(
            field,
            f"has {len(interval_starts)} rows but the horizon has {grid.size} intervals of {grid.interval_min} min "
            f"from {grid.starts[0].isoformat()} to {grid.timestamp(grid.size).isoformat()}",
        )
    mismatch = np.flatnonzero(interval_starts.as_unit("ns").asi8 != grid.starts.asi8)
    if mismatch.size:
        i = int(mismatch[0])
        problem = (
            f"is {interval_starts[i].isoformat()} but the horizon's interval {i} starts {grid.starts[i].isoformat()}"
        )
        raise InputError.single(f"{field}[{i}].interval_start", problem)
