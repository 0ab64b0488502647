"""Wire format of the REST API: envelopes that import and wrap the domain types, never copies of them.

JSON keys are snake_case and match the CSV columns of DESIGN.md. Every request schema carries a working
OpenAPI example built from a tiny valid problem (one day of 60-minute intervals, three workers), so the
examples cannot drift from the domain types.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.examples import EXAMPLE_DATE, EXAMPLE_TIMEZONE, example_demand, example_problem
from api.schemas.replan import ReplanReport
from api.storage import JobRecord, JobStatus
from forecasting import DEFAULT_COUNTRY, ForecasterName
from optimizer.check import Violation
from optimizer.demand import demand_frame
from optimizer.domain import (
    MAX_HORIZON_DAYS,
    Automation,
    DemandInterval,
    DomainType,
    IntervalMinutes,
    Plan,
    PlanningProblem,
    ServiceTarget,
    SolveParams,
    gap_note,
)

# ---- local times of day ------------------------------------------------------------------------------------

TIME_OF_DAY_KEYS = frozenset({"earliest_start", "latest_start", "start_time", "end_time"})
"""Request keys holding a local time of day (contract and gig start windows, scenario uplift windows)."""


def _offset_times(data: Any, loc: tuple[int | str, ...]) -> Iterator[InitErrorDetails]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in TIME_OF_DAY_KEYS and isinstance(value, str):
                try:
                    parsed = dt.time.fromisoformat(value)
                except ValueError:
                    continue  # not an ISO time: the field's own validation reports it
                if parsed.tzinfo is not None:
                    yield InitErrorDetails(
                        type=PydanticCustomError(
                            "time_offset", "must be a local time of day without a UTC offset, e.g. 08:00"
                        ),
                        loc=(*loc, key),
                        input=value,
                    )
            else:
                yield from _offset_times(value, (*loc, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _offset_times(item, (*loc, i))


EARLIEST_INSTANT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_INSTANT = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
"""Request timestamps must lie in ``[EARLIEST_INSTANT, LATEST_INSTANT)``: well inside pandas' nanosecond range
(1677-2262), with room for a forecast horizon after the history."""

_RANGE_PROBLEM = f"must be between {EARLIEST_INSTANT:%Y-%m-%d} and {LATEST_INSTANT:%Y-%m-%d} (UTC)"


def instant_in_range(when: dt.datetime) -> dt.datetime:
    """Return ``when`` if it lies between ``EARLIEST_INSTANT`` and ``LATEST_INSTANT``.

    Raises
    ------
    ValueError
        Otherwise: pandas cannot hold it in a frame (an ``OutOfBoundsDatetime``, a 500, past 2262).
    """
    if not EARLIEST_INSTANT <= when < LATEST_INSTANT:
        raise ValueError(_RANGE_PROBLEM)
    return when


def rows_in_range(rows: tuple[DemandInterval, ...], loc: tuple[str, ...], *, start_date: dt.date | None = None) -> None:
    """Check every row's ``interval_start`` (and a horizon's ``start_date``) with :func:`instant_in_range`.

    Parameters
    ----------
    rows : tuple of DemandInterval
        Demand rows, at ``loc`` in the request body (``("problem", "demand")``).
    start_date : date, optional
        First local day of the horizon, a sibling of the rows (``problem.start_date``).

    Raises
    ------
    pydantic.ValidationError
        One error per value out of range, at ``<loc>[i].interval_start`` or ``<loc[:-1]>.start_date``.
    """
    errors = [
        InitErrorDetails(
            type=PydanticCustomError("instant_range", _RANGE_PROBLEM),
            loc=(*loc, i, "interval_start"),
            input=row.interval_start.isoformat(),
        )
        for i, row in enumerate(rows)
        if not EARLIEST_INSTANT <= row.interval_start < LATEST_INSTANT
    ]
    if start_date is not None and not EARLIEST_INSTANT.date() <= start_date < LATEST_INSTANT.date():
        errors.append(
            InitErrorDetails(
                type=PydanticCustomError("instant_range", _RANGE_PROBLEM),
                loc=(*loc[:-1], "start_date"),
                input=start_date.isoformat(),
            )
        )
    if errors:
        raise ValidationError.from_exception_data("instants", errors)


def local_times_only(data: Any) -> Any:
    """Reject a time of day with a UTC offset (``08:00Z``) anywhere in a raw request body; return the body.

    Start windows and uplift windows are local times of day. The domain types would accept ``08:00Z`` and
    then fail comparing it with a naive time (a 500), or silently ignore the offset.

    Raises
    ------
    pydantic.ValidationError
        One error per such time, at its path in the body (``problem.workforce.gig_pool.earliest_start``).
    """
    errors = list(_offset_times(data, ()))
    if errors:
        raise ValidationError.from_exception_data("local times of day", errors)
    return data


# ---- examples ----------------------------------------------------------------------------------------------


def _schedule_example(schema: dict[str, Any]) -> None:
    params = SolveParams(time_limit_s=10, num_workers=1)
    schema["examples"] = [
        {"problem": example_problem().model_dump(mode="json"), "params": params.model_dump(mode="json")}
    ]


def _staffing_example(schema: dict[str, Any]) -> None:
    schema["examples"] = [
        {
            "interval_min": 60,
            "demand": [d.model_dump(mode="json") for d in example_demand()],
            "service_target": ServiceTarget().model_dump(mode="json"),
        }
    ]


def _forecast_example(schema: dict[str, Any]) -> None:
    week = example_demand(days=7, start_date=EXAMPLE_DATE - dt.timedelta(days=7))
    schema["examples"] = [
        {
            "history": [d.model_dump(mode="json", exclude={"volume_cv"}) for d in week],
            "timezone": EXAMPLE_TIMEZONE,
            "horizon_days": 1,
            "model": "seasonal_naive",
        }
    ]


# ---- schedules ---------------------------------------------------------------------------------------------


class ScheduleRequest(DomainType):
    """A planning problem and the solver knobs to solve it with."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, json_schema_extra=_schedule_example)

    problem: PlanningProblem
    params: SolveParams = Field(
        default_factory=SolveParams, description="Solver knobs; time_limit_s is capped at the server's limit."
    )

    @model_validator(mode="before")
    @classmethod
    def _local_times_only(cls, data: Any) -> Any:
        return local_times_only(data)

    @model_validator(mode="after")
    def _horizon_in_range(self) -> ScheduleRequest:
        rows_in_range(self.problem.demand, ("problem", "demand"), start_date=self.problem.start_date)
        return self


class JobAccepted(DomainType):
    """A stored, queued job and where to poll it."""

    job_id: str
    status_url: str = Field(description="URL of GET /v1/schedules/{job_id}.")
    status: JobStatus


class ValidationReport(DomainType):
    """The outcome of ``validate_only``: the request would be accepted."""

    valid: Literal[True] = True
    inputs_digest: str = Field(description="SHA-256 of the problem and the effective solve parameters.")
    params: SolveParams = Field(description="The parameters a solve would use (time limit capped).")


class JobProgress(DomainType):
    """The best plan found so far by a running (or finished) job."""

    best_objective_cents: int | None = Field(description="Objective of the best plan so far [cents].")
    best_bound_cents: int | None = Field(description="Proven lower bound on the objective [cents].")
    wall_time_s: float | None = Field(description="Solver time when they were found [s].")


def job_notes(record: JobRecord, params: SolveParams, requested: SolveParams | None) -> list[str]:
    """Return the notes of a job: parameters the server capped, a resume after a crash, a gap above the requested."""
    notes = []
    if requested is not None:
        for name, unit in (("time_limit_s", " s"), ("num_workers", " threads")):
            asked, used = getattr(requested, name), getattr(params, name)
            if asked != used:
                notes.append(f"params.{name}: {asked:g}{unit} requested, capped at {used:g}{unit} by this server")
    if record.resumed_from_cents is not None:
        notes.append(
            "the server stopped while the job was running; it was run again from the best solution found "
            f"before (objective {record.resumed_from_cents} cents)"
        )
    objective, bound = record.best_objective_cents, record.best_bound_cents
    if record.status == "succeeded" and objective and bound is not None:
        note = gap_note((objective - bound) / abs(objective), params)
        if note:
            notes.append(note)
    return notes


ParamsT = TypeVar("ParamsT", bound=BaseModel)
ItemT = TypeVar("ItemT", bound=BaseModel)


class JobInfoBase(DomainType, Generic[ParamsT]):
    """What every job's state says, whatever it runs (``params`` are the job kind's own)."""

    job_id: str
    status: JobStatus
    cancel_requested: bool
    inputs_digest: str
    params: ParamsT
    error: str | None = Field(description="Why the job failed; null otherwise.")
    submitted_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    idempotency_key: str | None

    @staticmethod
    def record_fields(record: JobRecord) -> dict[str, Any]:
        """Return the fields every job kind maps from its stored record in the same way (all but ``params``)."""
        return {
            "job_id": record.job_id,
            "status": record.status,
            "cancel_requested": record.cancel_requested,
            "inputs_digest": record.inputs_digest,
            "error": record.error,
            "submitted_at": record.submitted_at,
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "idempotency_key": record.idempotency_key,
        }


class Page(DomainType, Generic[ItemT]):
    """One page of the organisation's jobs of one kind, newest first."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


class JobInfo(JobInfoBase[SolveParams]):
    """A schedule (or re-plan) job's state."""

    params: SolveParams = Field(description="Effective solve parameters (time limit capped).")
    progress: JobProgress
    replan_of: str | None = Field(
        None, description="The published job this job re-plans (POST /v1/schedules/{id}/replan); null otherwise."
    )
    notes: list[str] = Field(
        default_factory=list,
        description=(
            "What the caller should know about the result: a gap above the requested one (a cheaper plan may "
            "exist), a requested parameter the server capped, or a run resumed after the server stopped."
        ),
    )

    @classmethod
    def from_record(cls, record: JobRecord, requested: SolveParams | None = None) -> JobInfo:
        """Map a stored job to its wire form; ``requested`` (the request's parameters) adds notes on capping."""
        params = SolveParams.model_validate_json(record.params_json)
        return cls(
            **cls.record_fields(record),
            params=params,
            progress=JobProgress(
                best_objective_cents=record.best_objective_cents,
                best_bound_cents=record.best_bound_cents,
                wall_time_s=record.progress_wall_time_s,
            ),
            replan_of=record.replan_of,
            notes=job_notes(record, params, requested),
        )


class PlanResponse(DomainType):
    """A job and, once it has one, its plan (also kept for a cancelled job: the best found)."""

    job: JobInfo
    plan: Plan | None
    replan: ReplanReport | None = Field(
        None, description="For a re-plan job, once done: what changed and each day before and after; else null."
    )
    violations: list[Violation] | None = Field(
        None,
        description="What the independent check (check_plan) found wrong with the plan: empty when it keeps every "
        "rule; null while the job has no solved plan.",
    )


class JobPage(Page[JobInfo]):
    """One page of the organisation's jobs, newest first."""


# ---- staffing ----------------------------------------------------------------------------------------------


class StaffingRequest(DomainType):
    """Demand per interval and a service target, to turn into agents per interval."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, json_schema_extra=_staffing_example)

    interval_min: IntervalMinutes = Field(description="Interval length [min]: 15, 30 or 60.")
    demand: tuple[DemandInterval, ...] = Field(min_length=1, description="Demand rows, in order.")
    service_target: ServiceTarget = Field(default_factory=ServiceTarget)
    automation: Automation = Field(default_factory=Automation)

    @model_validator(mode="after")
    def _demand_in_range(self) -> StaffingRequest:
        rows_in_range(self.demand, ("demand",))
        return self

    def demand_frame(self) -> pd.DataFrame:
        """Return the rows as a demand frame, its index at the first row's UTC offset (``optimizer.demand_frame``)."""
        return demand_frame(self.demand)


class StaffingRow(DomainType):
    """Staffing need in one interval."""

    interval_start: AwareDatetime
    volume: float = Field(description="Contacts reaching people (after bot containment).")
    aht_s: float = Field(description="Their average handle time [s].")
    agents: int = Field(
        description="Fewest agents on the floor meeting the target in this interval (its interval_floor when the "
        "target's scope is the horizon), the planner's requirement."
    )
    required: int = Field(description="People to schedule (on shift, not on break), including shrinkage.")


class StaffingResponse(DomainType):
    """Agents and people to schedule per interval."""

    rows: list[StaffingRow]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> StaffingResponse:
        """Map a ``staffing_requirements`` frame to its wire form."""
        return cls(
            rows=[
                StaffingRow(
                    interval_start=ts.to_pydatetime(),
                    volume=float(volume),
                    aht_s=float(aht_s),
                    agents=int(agents),
                    required=int(required),
                )
                for ts, volume, aht_s, agents, required in zip(
                    pd.DatetimeIndex(frame.index),
                    frame["volume"].to_numpy(dtype=float),
                    frame["aht_s"].to_numpy(dtype=float),
                    frame["agents"].to_numpy(dtype=int),
                    frame["required"].to_numpy(dtype=int),
                    strict=True,
                )
            ]
        )


# ---- forecasts ---------------------------------------------------------------------------------------------


class HistoryRow(DomainType):
    """Contacts offered in one past interval (a history CSV row)."""

    interval_start: AwareDatetime = Field(description="Start of the interval, with its UTC offset.")
    volume: float = Field(description="Contacts offered [contacts].")
    aht_s: float | None = Field(None, description="Average handle time [s]; null where volume is 0.")
    queue: str | None = Field(
        None, description="Queue of the contacts; this endpoint forecasts one queue, so null (or one name throughout)."
    )

    @field_validator("interval_start")
    @classmethod
    def _in_range(cls, v: dt.datetime) -> dt.datetime:
        return instant_in_range(v)


class ForecastRequest(DomainType):
    """Contact history and how far ahead to forecast."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, json_schema_extra=_forecast_example)

    history: tuple[HistoryRow, ...] = Field(min_length=1, description="History rows, one per interval.")
    timezone: str | None = Field(None, description="Site IANA time zone; inferred from offsets when null.")
    horizon_days: int = Field(
        7, ge=1, le=MAX_HORIZON_DAYS, description="Whole local days to forecast after the history."
    )
    model: ForecasterName = Field("auto", description="Forecaster, or 'auto' to choose by backtest.")
    country: str | None = Field(DEFAULT_COUNTRY, description="ISO country code of the holiday calendar; null for none.")
    quantiles: tuple[float, ...] = Field((), description="Volume quantiles in (0, 1) to add.")
    gaps: Literal["error", "zero", "seasonal"] = Field(
        "error",
        description="Missing intervals: 'error' reports them, 'zero' fills volume 0 (site closed), 'seasonal' "
        "repeats the same weekday and time of the nearest week (data missing).",
    )
    aht_s: float | None = Field(
        None, gt=0.0, le=86_400.0, description="AHT [s] to assume where the history has none (volume only)."
    )
    weekend: tuple[Annotated[int, Field(ge=0, le=6)], ...] | None = Field(
        None, description="Weekend weekdays (Monday = 0), e.g. [4, 5]; null: the country's weekend."
    )
    bias_correction: bool = Field(
        True,
        description="With 'auto', scale the forecast by the level correction its backtest measured (the default); "
        "false: the raw forecast.",
    )

    @model_validator(mode="after")
    def _one_queue(self) -> Self:
        names = {r.queue for r in self.history}
        if len(names) > 1:
            shown = sorted(str(n) for n in names)
            raise ValueError(
                f"history.queue: rows of several queues ({', '.join(shown)}); send each queue's history on its own"
            )
        return self

    def history_frame(self) -> pd.DataFrame:
        """Return the rows as history-CSV-shaped columns for ``forecasting.load_history``.

        A history whose rows all lack ``aht_s`` is a volume-only history: it has no ``aht_s`` column.
        """
        columns: dict[str, list[object]] = {
            "interval_start": [r.interval_start.isoformat() for r in self.history],
            "volume": [r.volume for r in self.history],
        }
        if any(r.aht_s is not None for r in self.history):
            columns["aht_s"] = [math.nan if r.aht_s is None else r.aht_s for r in self.history]
        return pd.DataFrame(columns)


class ForecastRow(DomainType):
    """Forecast demand in one interval (a demand-frame row)."""

    interval_start: AwareDatetime
    volume: float = Field(description="Expected contacts offered [contacts].")
    aht_s: float | None = Field(
        description="Expected average handle time [s]; null when the history has none and no aht_s was given."
    )
    volume_quantiles: dict[str, float] = Field(
        default_factory=dict, description="Volume quantiles keyed by column name, e.g. volume_p80 [contacts]."
    )


class ForecastResponse(DomainType):
    """The forecast demand frame, ready to be a schedule request's ``problem.demand``."""

    rows: list[ForecastRow]
    handle_cv: float | None = Field(
        None,
        description="Coefficient of variation of single handle times the history's per-interval AHT spread shows "
        "(set it as the schedule request's `service_target.handle_cv`); null where it shows none (volume only, "
        "too short, or averages that do not shrink with volume).",
    )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, handle_cv: float | None = None) -> ForecastResponse:
        """Map a forecast demand frame (and the history's measured handle-time CV) to its wire form."""
        quantile_columns = [c for c in frame.columns if c.startswith("volume_p")]
        return cls(
            handle_cv=handle_cv,
            rows=[
                ForecastRow(
                    interval_start=ts.to_pydatetime(),
                    volume=float(row["volume"]),
                    aht_s=None if pd.isna(row["aht_s"]) else float(row["aht_s"]),
                    volume_quantiles={c: float(row[c]) for c in quantile_columns},
                )
                for ts, (_, row) in zip(pd.DatetimeIndex(frame.index), frame.iterrows(), strict=True)
            ],
        )


# ---- errors and health -------------------------------------------------------------------------------------


class FieldProblem(DomainType):
    """One problem with one field of the request."""

    field: str = Field(description="Path in pydantic loc style, e.g. problem.workforce.workers[3].contract.")
    problem: str


class ProblemDetails(DomainType):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field("about:blank", description="URI identifying the problem type.")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class Health(DomainType):
    """Liveness or readiness."""

    status: Literal["ok"] = "ok"


class Readiness(Health):
    """Readiness with how busy the server is: solver workers and the forecast/staffing pool."""

    jobs_running: int = Field(description="Solver worker processes alive.")
    job_slots: int = Field(description="Solver worker processes that may run at once (SHIFTMIX_WORKERS).")
    jobs_queued: int = Field(description="Jobs waiting for a solver worker.")
    compute_in_use: int = Field(description="Forecast and staffing requests running or waiting in the pool.")
    compute_capacity: int = Field(description="Requests the pool holds before answering 429.")
    saturated: bool = Field(description="Every solver slot is busy with jobs waiting, or the pool is full.")
