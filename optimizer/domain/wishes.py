"""People's wishes and fairness: priced preferences per worker, fair shares per contract, what a plan gives each.

A preference is a window of local time, weekly (``day``) or on one date (``date``), that a worker would rather
work (``desired``) or not work (``undesired``). It is priced, never hard: every unmet preference-hour costs
``weight`` x the contract's (or the workforce's) ``preference_per_hour_cents``, and that cost is the plan's
``preference_penalty`` cost term.

- undesired: each hour of a shift (start to end) inside the window is unmet;
- desired: each hour of the window that no shift of the worker covers is unmet, so give the hours wanted
  (``tue 08:00-16:00``), not a whole day.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self

from pydantic import Field, model_validator

from optimizer.domain._base import WEEKDAYS, Weekday, _Domain, check_local_times, minute_of_day, window_length_min

PREFERENCE_PER_HOUR_CENTS = 1000
"""Default price of one unmet preference-hour at weight 1 [cents/h]."""

NIGHT_START = dt.time(20, 0)
"""Default start of the evening/night window fairness balances and ``people.csv`` counts (local)."""

NIGHT_END = dt.time(7, 0)
"""Default end of the evening/night window (local; before the start: the next morning)."""

PreferenceKind = Literal["desired", "undesired"]


class Preference(_Domain):
    """A worker's wish to work, or not to work, in a window of local time; priced, never hard."""

    worker_id: str = Field(description="The worker (a `worker_id` in `workforce.workers`).")
    kind: PreferenceKind = Field(
        "undesired", description="'undesired': rather not work then; 'desired': would like to work then."
    )
    day: Weekday | None = Field(None, description="Weekly: the weekday the window starts on (mon .. sun).")
    date: dt.date | None = Field(None, description="Dated: the local date the window starts on (inside the horizon).")
    start_time: dt.time = Field(dt.time(0, 0), description="Local time the window opens.")
    end_time: dt.time = Field(
        dt.time(0, 0),
        description="Local time it closes; at or before `start_time`: the next day (00:00-00:00: the whole day).",
    )
    weight: float = Field(
        1.0, ge=0.0, description="Multiple of the price per unmet preference-hour (finite, >= 0; 0 switches it off)."
    )

    @model_validator(mode="after")
    def _one_day(self) -> Self:
        if (self.day is None) == (self.date is None):
            msg = "give exactly one of `day` (weekly) or `date` (dated)"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _local_times(self) -> Self:
        check_local_times(self, "start_time", "end_time")
        return self

    @property
    def length_min(self) -> int:
        """Length of the window [min] (24 h when it opens and closes at the same time)."""
        return window_length_min(self.start_time, self.end_time)

    def covers(self, local: dt.datetime) -> bool:
        """Return whether a local wall-clock time lies in the window ``[open, open + length)``."""
        length = self.length_min
        for back in (0, 1):  # a window opening the day before may still be open
            day = local.date() - dt.timedelta(days=back)
            if self.date is not None and day != self.date:
                continue
            if self.day is not None and WEEKDAYS[day.weekday()] != self.day:
                continue
            offset = back * 24 * 60 + local.hour * 60 + local.minute - minute_of_day(self.start_time)
            if 0 <= offset < length:
                return True
        return False

    def label(self) -> str:
        """Return the window as written, e.g. ``undesired sun 00:00-00:00``."""
        when = self.day if self.day is not None else self.date.isoformat() if self.date else ""
        return f"{self.kind} {when} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Fairness(_Domain):
    """How evenly a contract's people share weekends, evening/night hours and total hours.

    Each weight prices the spread (most minus least over the contract's people of one crew, i.e. the same
    rules and absences) when people are handed their shifts; it never changes which shifts the plan has,
    so it costs nothing in coverage or pay.
    """

    weekend_day_cents: int = Field(
        0, ge=0, description="Price of one day of spread in weekend days worked (Saturdays and Sundays) [cents/day]."
    )
    night_hour_cents: int = Field(
        0, ge=0, description="Price of one hour of spread in hours worked in the night window [cents/h]."
    )
    hours_cents: int = Field(0, ge=0, description="Price of one hour of spread in paid hours [cents/h].")
    night_start: dt.time = Field(NIGHT_START, description="Local time the evening/night window opens.")
    night_end: dt.time = Field(NIGHT_END, description="Local time it closes (before the start: the next morning).")

    def in_night(self, local: dt.datetime) -> bool:
        """Return whether a local wall-clock time lies in the night window."""
        return in_window(local, self.night_start, self.night_end)


def in_window(local: dt.datetime, start: dt.time, end: dt.time) -> bool:
    """Return whether a local wall-clock time lies in the daily window ``[start, end)`` (wrapping midnight)."""
    minute = local.hour * 60 + local.minute
    lo, hi = minute_of_day(start), minute_of_day(end)
    return lo <= minute < hi if lo < hi else minute >= lo or minute < hi


class PersonSummary(_Domain):
    """What a plan gives one FTE (the ``people.csv`` row)."""

    worker_id: str
    contract: str
    shifts: int = Field(description="Shifts worked.")
    paid_hours: float = Field(description="Paid hours [h].")
    weekend_days: int = Field(description="Saturdays and Sundays with work (by the local start day).")
    night_hours: float = Field(description="Shift hours in the contract's night window (default 20:00-07:00) [h].")
    preferences: int = Field(description="Preferences the worker gave (weight above 0).")
    preferences_met: int = Field(description="Of them, those with no unmet hour.")
    preference_hours_unmet: float = Field(description="Unmet preference-hours, weight ignored [h].")
    preference_penalty_cents: int = Field(description="Priced unmet preference-hours [cents].")
