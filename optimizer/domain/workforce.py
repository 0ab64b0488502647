"""Who can work, and on what terms: contracts, break and weekend rules, workers, time off, availability, gig pool."""

from __future__ import annotations

import datetime as dt
import re
from typing import Self

from pydantic import AwareDatetime, Field, field_validator, model_validator

from optimizer.domain._base import (
    MINUTES_PER_WEEK,
    WEEKDAYS,
    Weekday,
    _Domain,
    check_local_times,
    minute_of_day,
    window_length_min,
)
from optimizer.domain.wishes import PREFERENCE_PER_HOUR_CENTS, Fairness, Preference

GIG_SHIFT_MINUTES = 240
"""Length of a gig micro-shift [min]."""

MIN_REST_MINUTES = 11 * 60
"""Default minimum rest between two FTE shifts [min] (EU working-time directive)."""

MAX_CONSECUTIVE_DAYS = 6
"""Default maximum consecutive working days for an FTE."""

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


class BreakRule(_Domain):
    """One break placed inside a shift, within a window measured from the shift's start and end."""

    length_min: int = Field(30, gt=0, le=120, description="Break length [min]; a multiple of the interval.")
    earliest_after_start_min: int = Field(
        120, ge=0, description="The break starts at least this long after the shift starts [min]."
    )
    latest_before_end_min: int = Field(
        120, ge=0, description="The break ends at least this long before the shift ends [min]."
    )
    applies_from_shift_min: int = Field(
        360, ge=0, description="Shifts at least this long get the break [min]; shorter shifts get none."
    )
    paid: bool = Field(False, description="Whether break time is paid.")


class WeekendsOff(_Domain):
    """At least ``min_off`` of every ``per_weeks`` consecutive weekends free of work.

    A weekend is off when no shift overlaps local Saturday 00:00 to Monday 00:00 (a Friday night shift into
    Saturday works it). Weekends before and after the horizon count as off, so on a horizon with fewer than
    ``per_weeks`` weekends only ``min_off - (per_weeks - weekends in the horizon)`` of them must be off.
    """

    min_off: int = Field(1, ge=1, le=8, description="Least weekends off in every window of `per_weeks`.")
    per_weeks: int = Field(2, ge=1, le=8, description="Length of the window, in consecutive weekends.")

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.min_off > self.per_weeks:
            msg = f"min_off {self.min_off} cannot exceed per_weeks {self.per_weeks}"
            raise ValueError(msg)
        return self

    def required_off(self, weekends: int) -> int:
        """Return the weekends that must be off among ``weekends`` consecutive ones inside the horizon."""
        return max(0, self.min_off - max(0, self.per_weeks - weekends))


class Contract(_Domain):
    """An FTE contract: hours, days, shift shapes, start window and pay."""

    name: str = Field(description="Contract name that workers refer to.")
    min_hours_per_week: float = Field(ge=0.0, le=84.0, description="Least paid hours per full week [h].")
    max_hours_per_week: float = Field(gt=0.0, le=84.0, description="Most paid hours per full week [h].")
    min_days_per_week: int = Field(0, ge=0, le=7, description="Least working days per full week.")
    max_days_per_week: int = Field(5, ge=1, le=7, description="Most working days per full week.")
    shift_lengths_min: tuple[int, ...] = Field(
        (480,), min_length=1, description="Allowed shift lengths, start to end including breaks [min]."
    )
    earliest_start: dt.time = Field(dt.time(7, 0), description="Earliest local start time of a shift.")
    latest_start: dt.time = Field(dt.time(14, 0), description="Latest local start time of a shift.")
    break_rule: BreakRule | None = Field(
        default_factory=BreakRule, description="Break placed inside long shifts; null for none."
    )
    cost_per_hour_cents: int = Field(gt=0, description="Employer cost per paid hour [cents/h].")
    fixed_cost_per_week_cents: int = Field(
        0,
        ge=0,
        description=(
            "Employer cost of one employed FTE per full week beyond paid hours (benefits, equipment, training) "
            "[cents/week]; prorated to the horizon."
        ),
    )
    min_rest_min: int = Field(
        MIN_REST_MINUTES,
        ge=0,
        le=24 * 60,
        description="Least rest between the end of a shift and the next start [min].",
    )
    max_consecutive_days: int = Field(MAX_CONSECUTIVE_DAYS, ge=1, le=14, description="Most working days in a row.")
    weekends_off: WeekendsOff | None = Field(
        None, description="Weekends that must stay free of work, e.g. 1 in every 2; null for no rule."
    )
    skills: tuple[str, ...] | None = Field(
        None, description="Queues (names in `queues`) this contract's workers may work; null: every queue."
    )
    primary_skills: tuple[str, ...] | None = Field(
        None,
        description=(
            "Queues among `skills` this contract's workers serve first (skill priority in routing: their waiting "
            "contacts before the other skills', and their arrivals to these people first); null: no priority."
        ),
    )
    preference_per_hour_cents: int | None = Field(
        None, ge=0, description="Price of one unmet preference-hour at weight 1 [cents/h]; null: the workforce's."
    )
    fairness: Fairness | None = Field(
        None, description="How evenly the contract's people share weekends, nights and hours; null: no balancing."
    )

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, v: str) -> str:
        if not _ID_PATTERN.match(v):
            msg = "must be 1-64 letters, digits, '_', '.', '-' and start with a letter or digit"
            raise ValueError(msg)
        return v

    @field_validator("shift_lengths_min")
    @classmethod
    def _lengths_positive(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(length < 60 or length > 14 * 60 for length in v):
            msg = "every shift length must be between 60 and 840 minutes"
            raise ValueError(msg)
        if len(set(v)) != len(v):
            msg = "shift lengths must not repeat"
            raise ValueError(msg)
        return tuple(sorted(v))

    @model_validator(mode="after")
    def _hours_ordered(self) -> Self:
        if self.min_hours_per_week > self.max_hours_per_week:
            msg = "min_hours_per_week must not exceed max_hours_per_week"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _days_ordered(self) -> Self:
        if self.min_days_per_week > self.max_days_per_week:
            msg = "min_days_per_week must not exceed max_days_per_week"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _start_window_ordered(self) -> Self:
        if self.earliest_start > self.latest_start:
            msg = "earliest_start must not be after latest_start"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _week_is_reachable(self) -> Self:
        paid = [self.paid_minutes(length) for length in self.shift_lengths_min]
        most_min = self.max_days_per_week * max(paid)
        least_min = self.min_days_per_week * min(paid)
        if most_min < self.min_hours_per_week * 60:
            msg = (
                f"min_hours_per_week {self.min_hours_per_week:g} cannot be reached: at most "
                f"{self.max_days_per_week} days of {max(paid) / 60:g} paid hours = {most_min / 60:g} h"
            )
            raise ValueError(msg)
        if least_min > self.max_hours_per_week * 60:
            msg = (
                f"max_hours_per_week {self.max_hours_per_week:g} is exceeded by the least work: "
                f"{self.min_days_per_week} days of {min(paid) / 60:g} paid hours = {least_min / 60:g} h"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _break_fits(self) -> Self:
        rule = self.break_rule
        if rule is None:
            return self
        for length in self.shift_lengths_min:
            if length < rule.applies_from_shift_min:
                continue
            if rule.earliest_after_start_min + rule.length_min + rule.latest_before_end_min > length:
                msg = f"the break window does not fit inside a {length}-minute shift"
                raise ValueError(msg)
        return self

    def fixed_cost_cents(self, days: int) -> int:
        """Return the fixed cost of one employed FTE over a horizon of ``days`` days [cents]."""
        return round(self.fixed_cost_per_week_cents * days / 7)

    def paid_minutes(self, shift_length_min: int) -> int:
        """Return the paid minutes of a shift of the given length [min]."""
        rule = self.break_rule
        if rule is None or rule.paid or shift_length_min < rule.applies_from_shift_min:
            return shift_length_min
        return shift_length_min - rule.length_min

    @property
    def earliest_start_min(self) -> int:
        """Earliest start as minutes after local midnight [min]."""
        return minute_of_day(self.earliest_start)

    @property
    def latest_start_min(self) -> int:
        """Latest start as minutes after local midnight [min]."""
        return minute_of_day(self.latest_start)


class TimeOff(_Domain):
    """A half-open period ``[start, end)`` in which a worker cannot work."""

    start: AwareDatetime = Field(description="Start of the absence (timezone-aware).")
    end: AwareDatetime = Field(description="End of the absence, exclusive (timezone-aware).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            msg = "end must be after start"
            raise ValueError(msg)
        return self


class Availability(_Domain):
    """A weekly window in which a worker can work: every ``day`` from ``start_time`` to ``end_time`` (local)."""

    day: Weekday = Field(description="Weekday the window starts on: mon, tue, wed, thu, fri, sat or sun.")
    start_time: dt.time = Field(description="Local time the window opens, e.g. 08:00.")
    end_time: dt.time = Field(
        description="Local time the window closes; at or before `start_time` it closes the next day (00:00: midnight)."
    )

    @model_validator(mode="after")
    def _local_times(self) -> Self:
        check_local_times(self, "start_time", "end_time")
        return self

    def minutes_of_week(self) -> tuple[int, int]:
        """Return the window as ``[open, close)`` minutes after Monday 00:00; close may pass the week's end."""
        opens = WEEKDAYS.index(self.day) * 24 * 60 + minute_of_day(self.start_time)
        length = window_length_min(self.start_time, self.end_time)
        return opens, opens + length

    def label(self) -> str:
        """Return the window as written, e.g. ``mon 08:00-16:00``."""
        return f"{self.day} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


def check_disjoint(windows: tuple[Availability, ...]) -> None:
    """Raise ValueError naming the first two availability windows that overlap (the week wraps around)."""
    for i, a in enumerate(windows):
        a0, a1 = a.minutes_of_week()
        for b in windows[i + 1 :]:
            b0, b1 = b.minutes_of_week()
            if any(b0 + k < a1 and a0 < b1 + k for k in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)):
                msg = f"availability windows overlap ({a.label()} and {b.label()})"
                raise ValueError(msg)


class Worker(_Domain):
    """One permanent employee (FTE); ``worker_id`` may be a pseudonym."""

    worker_id: str = Field(description="Stable, possibly pseudonymous identifier.")
    contract: str = Field(description="Name of the worker's contract in `workforce.contracts`.")
    time_off: tuple[TimeOff, ...] = Field((), description="Periods the worker is unavailable.")
    availability: tuple[Availability, ...] = Field(
        (),
        description=(
            "Weekly windows in which the worker can work (local time); every shift lies inside them. "
            "Empty: whenever the contract allows. Windows must not overlap."
        ),
    )
    skills: tuple[str, ...] | None = Field(
        None, description="Queues (names in `queues`) this worker may work; null: the contract's skills."
    )
    primary_skills: tuple[str, ...] | None = Field(
        None, description="Queues among the worker's skills they serve first; null: the contract's primary skills."
    )

    @field_validator("worker_id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not _ID_PATTERN.match(v):
            msg = "must be 1-64 letters, digits, '_', '.', '-' and start with a letter or digit"
            raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _time_off_disjoint(self) -> Self:
        spans = sorted(self.time_off, key=lambda t: t.start)
        for a, b in zip(spans, spans[1:], strict=False):
            if b.start < a.end:
                msg = (
                    f"time_off periods overlap ({a.start.isoformat()} .. {a.end.isoformat()} and {b.start.isoformat()})"
                )
                raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _availability_disjoint(self) -> Self:
        check_disjoint(self.availability)
        return self

    def available_minutes(self) -> list[tuple[int, int]] | None:
        """Return the availability windows as minutes of the week, or None when the worker is always available."""
        return [w.minutes_of_week() for w in self.availability] or None


class GigPool(_Domain):
    """The flexible gig layer: fixed-length micro-shifts at a premium rate, capped per interval."""

    shift_minutes: int = Field(
        GIG_SHIFT_MINUTES, ge=60, le=12 * 60, description="Length of one gig micro-shift [min], no break."
    )
    cost_per_hour_cents: int = Field(gt=0, description="Cost per gig hour [cents/h].")
    max_concurrent: int = Field(ge=0, le=100_000, description="Most gig workers on shift in any interval.")
    max_shifts_per_day: int | None = Field(
        None, ge=0, description="Most gig shifts starting on one local day; null for no cap."
    )
    earliest_start: dt.time = Field(dt.time(0, 0), description="Earliest local start time of a gig shift.")
    latest_start: dt.time = Field(dt.time(23, 59), description="Latest local start time of a gig shift.")
    fill_rate: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="Expected share of posted gig shifts that are taken (0-1]; coverage counts posted x fill_rate.",
    )
    lead_time_min: int = Field(
        0, ge=0, description="Least time between posting a gig shift and its start [min] (used by re-plans)."
    )
    skills: tuple[str, ...] | None = Field(
        None, description="Queues (names in `queues`) gig workers may work; null: every queue."
    )
    max_per_queue: dict[str, int] = Field(
        default_factory=dict,
        description="Most gig workers on one queue in any interval, by queue name; a queue not listed: no own cap.",
    )

    @model_validator(mode="after")
    def _start_window_ordered(self) -> Self:
        if self.earliest_start > self.latest_start:
            msg = "earliest_start must not be after latest_start"
            raise ValueError(msg)
        return self

    @property
    def earliest_start_min(self) -> int:
        """Earliest start as minutes after local midnight [min]."""
        return minute_of_day(self.earliest_start)

    @property
    def latest_start_min(self) -> int:
        """Latest start as minutes after local midnight [min]."""
        return minute_of_day(self.latest_start)


class Workforce(_Domain):
    """Contracts, the FTEs on them, and the gig pool."""

    contracts: tuple[Contract, ...] = Field(min_length=1, description="Contracts that workers refer to by name.")
    workers: tuple[Worker, ...] = Field((), description="Permanent staff.")
    gig_pool: GigPool | None = Field(None, description="Gig micro-shift pool; null when there is none.")
    preferences: tuple[Preference, ...] = Field(
        (), description="Workers' soft wishes to work, or not, in windows of local time (priced, never hard)."
    )
    preference_per_hour_cents: int = Field(
        PREFERENCE_PER_HOUR_CENTS,
        ge=0,
        description="Price of one unmet preference-hour at weight 1 [cents/h], unless the contract sets its own.",
    )

    @model_validator(mode="after")
    def _contract_names_unique(self) -> Self:
        seen: set[str] = set()
        for c in self.contracts:
            if c.name in seen:
                msg = f"contract name {c.name!r} appears twice"
                raise ValueError(msg)
            seen.add(c.name)
        return self

    @model_validator(mode="after")
    def _worker_ids_unique(self) -> Self:
        seen: set[str] = set()
        for w in self.workers:
            if w.worker_id in seen:
                msg = f"worker_id {w.worker_id!r} appears twice"
                raise ValueError(msg)
            seen.add(w.worker_id)
        return self

    @model_validator(mode="after")
    def _contracts_known(self) -> Self:
        names = {c.name for c in self.contracts}
        for i, w in enumerate(self.workers):
            if w.contract not in names:
                msg = f"workers[{i}].contract {w.contract!r} is not one of the contracts ({', '.join(sorted(names))})"
                raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _preferences_known(self) -> Self:
        ids = {w.worker_id for w in self.workers}
        for i, p in enumerate(self.preferences):
            if p.worker_id not in ids:
                msg = f"preferences[{i}].worker_id {p.worker_id!r} is not one of the workers"
                raise ValueError(msg)
        return self

    def preference_rate_cents(self, worker: Worker) -> int:
        """Return the price of one unmet preference-hour at weight 1 for a worker [cents/h]."""
        own = self.contract_of(worker).preference_per_hour_cents
        return self.preference_per_hour_cents if own is None else own

    def contract_of(self, worker: Worker) -> Contract:
        """Return the contract a worker is on."""
        return next(c for c in self.contracts if c.name == worker.contract)

    def skills_of(self, worker: Worker) -> tuple[str, ...] | None:
        """Return the queues a worker may work: their own skills, else their contract's; None for every queue."""
        return worker.skills if worker.skills is not None else self.contract_of(worker).skills

    def primary_of(self, worker: Worker) -> tuple[str, ...] | None:
        """Return the queues a worker serves first: their own primary skills, else their contract's; None: none."""
        return worker.primary_skills if worker.primary_skills is not None else self.contract_of(worker).primary_skills
