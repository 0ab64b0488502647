"""User-facing inputs and outputs of the optimizer (pydantic v2 domain types).

Every field names its unit (``_s``, ``_min``, ``_cents``, ``_per_hour_cents``); ratios in 0-1 are named as such.
Money is integer minor units (cents). Times of day are local to the problem's IANA time zone; timestamps
are timezone-aware. Validation lives here, so the CLI, the API and the tests get the same field-named errors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

INTERVAL_MINUTES_ALLOWED: tuple[int, ...] = (15, 30, 60)

IDLE_AHT_S = 1e-3
"""AHT [s] put on a zero-volume interval whose AHT is empty, null or 0 (no contacts, so no handle time): the
history format leaves it empty there, and with no contacts the value changes no requirement."""
"""Interval lengths the grid supports [min]."""

GIG_SHIFT_MINUTES = 240
"""Length of a gig micro-shift [min]."""

MIN_REST_MINUTES = 11 * 60
"""Default minimum rest between two FTE shifts [min] (EU working-time directive)."""

MAX_CONSECUTIVE_DAYS = 6
"""Default maximum consecutive working days for an FTE."""

MAX_HORIZON_DAYS = 35
"""Longest planning horizon accepted [days]."""

MAX_ANSWER_WITHIN_S = 7 * 24 * 3600.0
"""Longest answer-time threshold [s] (a week, for e-mail queues); longer ones only overflow the queueing maths."""

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

IntervalMinutes = Literal[15, 30, 60]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class DomainType(BaseModel):
    """Base of every user-facing type: domain types, scenario specs and API schemas (frozen, no unknown keys)."""

    # NaN passes no range check with a plain answer ("should be less than 1"); reject it (and inf) up front
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _Domain(DomainType):
    """The base this module's classes name (``DomainType``, the one shared base)."""


def _minutes_of(t: dt.time) -> int:
    return t.hour * 60 + t.minute


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names in ``datetime.date.weekday()`` order."""

MINUTES_PER_WEEK = 7 * 24 * 60

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def minute_of_week(ts: dt.datetime) -> int:
    """Return the wall-clock minutes of ``ts`` after Monday 00:00 of its week (in its own time zone)."""
    return ts.weekday() * 24 * 60 + ts.hour * 60 + ts.minute


def weekend_saturdays(dates: Iterable[dt.date]) -> list[dt.date]:
    """Return the Saturday of every weekend (Saturday 00:00 to Monday 00:00) of which ``dates`` hold a day."""
    return sorted({d - dt.timedelta(days=d.weekday() - 5) for d in dates if d.weekday() >= 5})


class ServiceTarget(_Domain):
    """Wait-time target and the staffing assumptions that turn it into agents."""

    service_level: float = Field(
        0.80, gt=0.0, lt=1.0, description="Share of contacts answered within `answer_within_s` (0-1)."
    )
    answer_within_s: float = Field(
        20.0, ge=0.0, le=MAX_ANSWER_WITHIN_S, description="Answer-time threshold of the service level [s]."
    )
    max_asa_s: float | None = Field(None, gt=0.0, description="Optional ceiling on the average speed of answer [s].")
    max_occupancy: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description="Highest share of staffed time agents may spend handling contacts (0-1].",
    )
    shrinkage: float = Field(
        0.30,
        ge=0.0,
        lt=1.0,
        description=(
            "Share of scheduled (on-shift, not on break) time lost to absence, training and meetings [0-1). "
            "Scheduled breaks are modelled explicitly and are not part of it."
        ),
    )
    patience_s: float | None = Field(
        None,
        ge=1e-3,
        description="Mean customer patience [s]; when set, staffing uses Erlang A (abandonment) instead of Erlang C.",
    )
    concurrency: int = Field(1, ge=1, le=10, description="Contacts one agent handles at once (chat), 1 for voice.")
    scope: Literal["interval", "horizon"] = Field(
        "interval",
        description=(
            "'interval': every interval meets the service level; 'horizon': the volume-weighted service level "
            "over the whole horizon meets it, with every interval at least `interval_floor`."
        ),
    )
    interval_floor: float = Field(
        0.5, gt=0.0, lt=1.0, description="Least service level of any interval when `scope` is 'horizon' (0-1)."
    )
    confidence: float | None = Field(
        None,
        gt=0.0,
        lt=1.0,
        description=(
            "Probability of meeting the service level under random arrivals and forecast error (e.g. 0.9), "
            "read by `confidence_scope`; null staffs to the forecast volume."
        ),
    )
    confidence_scope: Literal["share", "interval"] = Field(
        "share",
        description=(
            "'share': the expected share of intervals with contacts that meet their service level is at least "
            "`confidence`, people added where they raise the chance of meeting most; 'interval': every interval "
            "meets it with at least that probability (dearer)."
        ),
    )
    handle_cv: float = Field(
        1.0,
        gt=0.0,
        le=5.0,
        description=(
            "Coefficient of variation of handle times (std / mean); 1 is the exponential law Erlang C/A assume. "
            "The simulator draws lognormal handle times with it."
        ),
    )
    volume_cv: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description=(
            "Coefficient of variation of an interval's true volume around its forecast, used where the demand "
            "has no quantile columns; null for the built-in default (0.10)."
        ),
    )

    @model_validator(mode="after")
    def _floor_below_target(self) -> Self:
        if self.scope == "horizon" and self.interval_floor > self.service_level:
            msg = "interval_floor must not exceed service_level"
            raise ValueError(msg)
        return self


class Automation(_Domain):
    """Hybrid service: the share of contacts a bot resolves and the extra effort of what it escalates."""

    containment: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Share of incoming contacts resolved by the bot without a person [0-1).",
    )
    escalated_aht_uplift: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="Relative increase of handle time on contacts that reach a person (0.25 = +25%).",
    )


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
        return _minutes_of(self.earliest_start)

    @property
    def latest_start_min(self) -> int:
        """Latest start as minutes after local midnight [min]."""
        return _minutes_of(self.latest_start)


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
        for name in ("start_time", "end_time"):
            if getattr(self, name).tzinfo is not None:
                msg = f"{name} must be a local time of day without a UTC offset, e.g. 08:00"
                raise ValueError(msg)
        return self

    def minutes_of_week(self) -> tuple[int, int]:
        """Return the window as ``[open, close)`` minutes after Monday 00:00; close may pass the week's end."""
        opens = WEEKDAYS.index(self.day) * 24 * 60 + _minutes_of(self.start_time)
        length = (_minutes_of(self.end_time) - _minutes_of(self.start_time)) % (24 * 60) or 24 * 60
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

    @model_validator(mode="after")
    def _start_window_ordered(self) -> Self:
        if self.earliest_start > self.latest_start:
            msg = "earliest_start must not be after latest_start"
            raise ValueError(msg)
        return self

    @property
    def earliest_start_min(self) -> int:
        """Earliest start as minutes after local midnight [min]."""
        return _minutes_of(self.earliest_start)

    @property
    def latest_start_min(self) -> int:
        """Latest start as minutes after local midnight [min]."""
        return _minutes_of(self.latest_start)


class Workforce(_Domain):
    """Contracts, the FTEs on them, and the gig pool."""

    contracts: tuple[Contract, ...] = Field(min_length=1, description="Contracts that workers refer to by name.")
    workers: tuple[Worker, ...] = Field((), description="Permanent staff.")
    gig_pool: GigPool | None = Field(None, description="Gig micro-shift pool; null when there is none.")

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

    def contract_of(self, worker: Worker) -> Contract:
        """Return the contract a worker is on."""
        return next(c for c in self.contracts if c.name == worker.contract)


class DemandInterval(_Domain):
    """Forecast demand in one interval ``[interval_start, interval_start + interval_min)``."""

    interval_start: AwareDatetime = Field(description="Start of the interval (timezone-aware).")
    volume: float = Field(ge=0.0, description="Contacts arriving in the interval (before bot containment).")
    aht_s: float = Field(
        ge=1e-3,
        le=86_400.0,
        description="Average handle time of a contact [s], >= 1 ms; may be null or 0 where volume is 0.",
    )

    @model_validator(mode="before")
    @classmethod
    def _idle_interval_needs_no_aht(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("volume") in (0, 0.0, "0") and data.get("aht_s") in (None, 0, "", "0"):
            return {**data, "aht_s": IDLE_AHT_S}
        return data


class PlanningProblem(_Domain):
    """Everything one plan needs: site clock, horizon, demand, service target and workforce."""

    timezone: str = Field("Europe/Stockholm", description="IANA time zone of the site (local clock rules).")
    start_date: dt.date = Field(description="First local day of the horizon.")
    days: int = Field(7, ge=1, le=MAX_HORIZON_DAYS, description="Number of local days in the horizon.")
    interval_min: IntervalMinutes = Field(30, description="Interval length [min]: 15, 30 or 60.")
    demand: tuple[DemandInterval, ...] = Field(
        min_length=1, description="Demand per interval, one row per interval of the horizon, in order."
    )
    service_target: ServiceTarget = Field(default_factory=ServiceTarget, description="Wait-time target.")
    automation: Automation = Field(default_factory=Automation, description="Bot containment and escalation.")
    workforce: Workforce = Field(description="Contracts, staff and gig pool.")
    headcount: Literal["fixed", "optimise"] = Field(
        "fixed",
        description=(
            "'fixed': every listed FTE is employed (and works at least the contract's minimum); 'optimise' "
            "(HR mode): listed FTEs are candidates and the plan employs the cost-optimal number of them."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"{v!r} is not an IANA time zone name (e.g. 'Europe/Stockholm')"
            raise ValueError(msg) from None
        return v

    @model_validator(mode="after")
    def _grid_fits_shapes(self) -> Self:
        for i, c in enumerate(self.workforce.contracts):
            bad = [m for m in c.shift_lengths_min if m % self.interval_min]
            if bad:
                msg = (
                    f"workforce.contracts[{i}].shift_lengths_min {bad} "
                    f"are not multiples of interval_min {self.interval_min}"
                )
                raise ValueError(msg)
            if c.break_rule is not None and c.break_rule.length_min % self.interval_min:
                msg = (
                    f"workforce.contracts[{i}].break_rule.length_min {c.break_rule.length_min} "
                    f"is not a multiple of interval_min {self.interval_min}"
                )
                raise ValueError(msg)
        pool = self.workforce.gig_pool
        if pool is not None and pool.shift_minutes % self.interval_min:
            msg = (
                f"workforce.gig_pool.shift_minutes {pool.shift_minutes} "
                f"is not a multiple of interval_min {self.interval_min}"
            )
            raise ValueError(msg)
        return self


class SolveParams(_Domain):
    """Knobs of one CP-SAT solve; part of the inputs digest."""

    time_limit_s: float = Field(30.0, gt=0.0, le=3600.0, description="Wall-clock limit of the solve [s].")
    relative_gap: float = Field(
        0.0, ge=0.0, lt=1.0, description="Stop once (objective - bound) / objective is at most this (0-1)."
    )
    num_workers: int = Field(8, ge=1, le=64, description="CP-SAT search workers (threads).")
    random_seed: int = Field(0, ge=0, le=2**31 - 1, description="CP-SAT random seed.")
    method: Literal["auto", "per_person", "crews"] = Field(
        "auto",
        description=(
            "'per_person' solves one model with a variable per worker and shift; 'crews' solves counts per "
            "group of identical workers, then assigns people; 'auto' uses crews when some workers are identical."
        ),
    )
    lp_guided: bool = Field(
        True,
        description=(
            "Solve the LP relaxation first: its optimum bounds the plan and its rounded point starts the search "
            "(optimizer/model/guided.py)."
        ),
    )
    lp_engine: Literal["highs", "glop"] = Field(
        "highs", description="LP solver of the relaxation: HiGHS (highspy) or OR-Tools' GLOP."
    )
    shortfall_penalty_per_hour_cents: int | None = Field(
        None,
        gt=0,
        description=(
            "Penalty per agent-hour of coverage below the requirement [cents/h]; "
            "null derives 10x the dearest hourly rate."
        ),
    )


# ---- outputs -------------------------------------------------------------------------------------------------

ShiftKind = Literal["fte", "gig"]


class SolveStatus(StrEnum):
    """How a solve ended, with CP-SAT's names (the one home of status values; JSON carries the value).

    ``OPTIMAL``: the plan's objective meets a proven bound. ``FEASIBLE``: a plan, bound below it.
    ``INFEASIBLE``: no plan keeps the hard rules. ``MODEL_INVALID``: a bug in shiftmix. ``UNKNOWN``: no plan
    within the time limit.
    """

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    MODEL_INVALID = "MODEL_INVALID"
    UNKNOWN = "UNKNOWN"

    @property
    def has_plan(self) -> bool:
        """Whether a solve that ended so has a plan to read."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


class ShiftBreak(_Domain):
    """A break inside a shift, half-open ``[start, end)``."""

    start: AwareDatetime
    end: AwareDatetime


class PlannedShift(_Domain):
    """One shift in a plan: an FTE's shift or one gig micro-shift."""

    worker_id: str = Field(description="FTE id, or a generated gig slot id such as 'gig-0001'.")
    kind: ShiftKind = Field(description="'fte' or 'gig'.")
    start: AwareDatetime = Field(description="Shift start (timezone-aware).")
    end: AwareDatetime = Field(description="Shift end, exclusive (timezone-aware).")
    breaks: tuple[ShiftBreak, ...] = Field((), description="Breaks inside the shift.")
    paid_minutes: int = Field(ge=0, description="Paid time of the shift [min].")
    cost_cents: int = Field(ge=0, description="Cost of the shift [cents], overtime included.")
    extended_before_min: int = Field(
        0, ge=0, description="Minutes a re-plan added before the published start, paid as overtime [min]."
    )
    extended_after_min: int = Field(
        0, ge=0, description="Minutes a re-plan added after the published end, paid as overtime [min]."
    )
    overtime_cost_cents: int = Field(0, ge=0, description="Cost of the extension minutes [cents].")


class CoverageRow(_Domain):
    """Demand, requirement and staffing in one interval (the coverage CSV row)."""

    interval_start: AwareDatetime
    volume: float = Field(description="Contacts reaching people in the interval (after bot containment).")
    aht_s: float = Field(description="Average handle time of contacts reaching people [s].")
    required: int = Field(description="Agents to schedule, including shrinkage.")
    scheduled: int = Field(description="People on shift and not on break (gig counted at fill rate, rounded down).")
    service_level: float = Field(description="Forecast share answered within the target time at `scheduled`.")
    asa_s: float | None = Field(
        description="Forecast average speed of answer at `scheduled` [s]; null when the queue is unstable."
    )
    p_meet: float | None = Field(
        None,
        description=(
            "Modelled probability that the interval meets its service level at `scheduled` under random arrivals "
            "and forecast error (0-1); null in plans made before it existed."
        ),
    )


GAP_TOLERANCE = 1e-4
"""Gap [0-1] below which a plan counts as meeting its requested gap (CP-SAT stops a hair inside it)."""


def gap_note(gap_ratio: float | None, params: SolveParams) -> str | None:
    """Return a note when a plan's gap [0-1] is above the one its parameters requested, else ``None``."""
    if gap_ratio is None or gap_ratio <= params.relative_gap + GAP_TOLERANCE:
        return None
    return (
        f"the solver stopped (time limit {params.time_limit_s:g} s) with a gap of {gap_ratio:.1%}, above the "
        f"requested relative_gap {params.relative_gap:.1%}: a cheaper plan may exist; raise the time limit"
    )


class SolverReport(_Domain):
    """How the plan was produced: status, objective, bound, gap, time and parameters."""

    status: SolveStatus
    objective_cents: int | None = Field(description="Objective of the best plan found [cents].")
    best_bound_cents: int | None = Field(description="Proven lower bound on the objective [cents].")
    gap_ratio: float | None = Field(description="(objective - bound) / objective, 0 when optimal.")
    wall_time_s: float
    first_solution_s: float | None = Field(
        None, description="Seconds from the start until the search had its first solution [s]; null without one."
    )
    lp_bound_cents: int | None = Field(
        None, description="Bound from the LP relaxation alone [cents]; null when it was not solved."
    )
    message: str | None = Field(
        None, description="Why a solve has no plan, or how a plan was put together when its last step ran out of time."
    )
    params: SolveParams
    solver_version: str


class PlanKpis(_Domain):
    """Headline numbers of a plan."""

    total_cost_cents: int = Field(description="FTE pay + FTE fixed cost + gig cost [cents].")
    fte_cost_cents: int = Field(description="Pay for FTE hours [cents].")
    fte_fixed_cost_cents: int = Field(0, description="Fixed cost of the employed FTEs over the horizon [cents].")
    gig_cost_cents: int
    fte_employed: int = Field(0, description="FTEs employed: all listed ones, or in HR mode those given shifts.")
    fte_hours: float = Field(description="Paid FTE hours [h].")
    gig_hours: float = Field(description="Posted gig hours [h].")
    gig_shifts: int
    service_level: float = Field(description="Volume-weighted forecast service level over the horizon.")
    asa_s: float | None = Field(
        description="Forecast average speed of answer over the contacts the plan answers [s]: volume-weighted "
        "over intervals whose queue is stable; null only when no contact can be answered."
    )
    overloaded_intervals: int = Field(
        0,
        description="Intervals with contacts but fewer agents than the offered load (none at all, or too few): "
        "their wait is unbounded, so they are counted here and left out of asa_s.",
    )
    overloaded_volume: float = Field(0.0, description="Forecast contacts in the overloaded intervals [contacts].")
    shortfall_agent_hours: float = Field(description="Agent-hours below the requirement [h].")
    understaffed_intervals: int = Field(description="Intervals with scheduled < required.")


class Plan(_Domain):
    """A solved plan with everything needed to explain it."""

    inputs_digest: str = Field(description="SHA-256 of the canonical problem and solve parameters.")
    software_version: str
    timezone: str
    interval_min: int
    solver: SolverReport
    cost_terms_cents: dict[str, int] = Field(description="Objective split into named terms [cents].")
    kpis: PlanKpis
    shifts: tuple[PlannedShift, ...]
    coverage: tuple[CoverageRow, ...]

    @property
    def found(self) -> bool:
        """Whether the solver found a plan; without one, shifts, coverage and KPIs describe nothing."""
        # SolveStatus(...) as well for a status put in by model_copy, which does not validate
        return SolveStatus(self.solver.status).has_plan and self.solver.objective_cents is not None

    def gap_note(self) -> str | None:
        """Return why a found plan is not proven good enough: its gap is above the requested one, else ``None``."""
        s = self.solver
        if not self.found or s.status == SolveStatus.OPTIMAL:
            return None
        return gap_note(s.gap_ratio, s.params)
