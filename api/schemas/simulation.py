"""Wire format of simulation jobs: the request that wraps ``SimulationOptions``, the job's state and its summary.

Nothing here redeclares a library field: the options are :class:`optimizer.simulation.SimulationOptions` and
the summary is :class:`optimizer.simulation.SimulationSummary`; ``simulation.csv`` has the columns of
:data:`optimizer.simulation.SIMULATION_COLUMNS` (several queues:
:data:`optimizer.simulation.QUEUE_SIMULATION_COLUMNS`).
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.storage import JobRecord, JobStatus
from optimizer.simulation import ContactRecord, SimulationOptions, SimulationSummary


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SimulationRequest(_Schema):
    """How to simulate a succeeded schedule job's plan."""

    options: SimulationOptions = Field(
        default_factory=SimulationOptions,
        description="Replications, seed, arrival randomness, handle-time spread and the risk threshold.",
    )
    contacts: tuple[ContactRecord, ...] | None = Field(
        None,
        min_length=1,
        description=(
            "Contacts to replay call by call (arrival, handle_s, patience_s) instead of drawing arrivals; "
            "those outside the plan's horizon are ignored."
        ),
    )


class SimulationJobParams(_Schema):
    """What a simulation job runs on and under."""

    schedule_job: str = Field(description="The schedule (or re-plan) job whose plan is simulated.")
    time_limit_s: float = Field(description="Time budget of the job [s] (the server's limit).")


class SimulationJobInfo(_Schema):
    """A simulation job's state."""

    job_id: str
    status: JobStatus
    inputs_digest: str = Field(description="SHA-256 of the simulated plan's digest and the options.")
    params: SimulationJobParams
    error: str | None = Field(description="Why the job failed; null otherwise.")
    submitted_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    idempotency_key: str | None

    @classmethod
    def from_record(cls, record: JobRecord) -> SimulationJobInfo:
        """Map a stored job to its wire form."""
        return cls(
            job_id=record.job_id,
            status=record.status,
            inputs_digest=record.inputs_digest,
            params=SimulationJobParams.model_validate_json(record.params_json),
            error=record.error,
            submitted_at=record.submitted_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            idempotency_key=record.idempotency_key,
        )


class SimulationResponse(_Schema):
    """A simulation job's state and, once it succeeded, its summary (rows: ``simulation.csv``)."""

    job: SimulationJobInfo
    summary: SimulationSummary | None = Field(description="Headline numbers and intervals at risk; null until done.")
