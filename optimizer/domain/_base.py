"""The base of every domain type, and the week clock the domain types share (local wall-clock minutes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class DomainType(BaseModel):
    """Base of every user-facing type: domain types, scenario specs and API schemas (frozen, no unknown keys)."""

    # NaN passes no range check with a plain answer ("should be less than 1"); reject it (and inf) up front
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _Domain(DomainType):
    """The base the domain package's classes name (``DomainType``, the one shared base)."""


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names in ``datetime.date.weekday()`` order."""

MINUTES_PER_WEEK = 7 * 24 * 60

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def minute_of_day(t: dt.time) -> int:
    """Return the wall-clock minutes of ``t`` after midnight."""
    return t.hour * 60 + t.minute


def window_length_min(start: dt.time, end: dt.time) -> int:
    """Return the length of a daily window [min]: at or before ``start``, ``end`` is the next day (24 h if equal)."""
    return (minute_of_day(end) - minute_of_day(start)) % (24 * 60) or 24 * 60


def check_local_times(model: BaseModel, *names: str) -> None:
    """Raise ValueError naming the first of the fields ``names`` that carries a UTC offset (times are local)."""
    for name in names:
        if getattr(model, name).tzinfo is not None:
            msg = f"{name} must be a local time of day without a UTC offset, e.g. 08:00"
            raise ValueError(msg)


def minute_of_week(ts: dt.datetime) -> int:
    """Return the wall-clock minutes of ``ts`` after Monday 00:00 of its week (in its own time zone)."""
    return ts.weekday() * 24 * 60 + ts.hour * 60 + ts.minute


def weekend_saturdays(dates: Iterable[dt.date]) -> list[dt.date]:
    """Return the Saturday of every weekend (Saturday 00:00 to Monday 00:00) of which ``dates`` hold a day."""
    return sorted({d - dt.timedelta(days=d.weekday() - 5) for d in dates if d.weekday() >= 5})
