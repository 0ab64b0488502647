"""Wire format of scenario jobs: the job's state and limits, and its results rows and cost-optimal headcount.

The request body is the scenario file format itself (:class:`scenarios.scenario.Scenario`, the JSON mirror of
the YAML); nothing here redeclares it. Results rows carry exactly the columns of ``results.csv``
(:data:`scenarios.compare.COLUMNS`).
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.storage import JobRecord, JobStatus
from scenarios.compare import COLUMNS, DEFAULT_FLAT_TOLERANCE, HeadcountOptimum

ResultCell = str | int | float | bool | None

SCENARIO_EXAMPLE: dict[str, Any] = {
    "title": "Fewer FTEs, a bigger gig pool",
    "description": "The bundled example, one day, with 40% fewer FTEs: today's gig pool and a doubled one.",
    "base_config": "bundled:example.yaml",
    "base_overrides": {
        "days": 1,
        "forecast": {"model": "seasonal_naive"},
        "staff": [{"contract": "flex20", "count": 4, "id_prefix": "fx"}],
        "solve": {"time_limit_s": 10, "num_workers": 1, "random_seed": 0},
    },
    "variations": [
        {"name": "cut-50", "fte_scale": 0.5},
        {"name": "cut-50-pool-x2", "fte_scale": 0.5, "gig_pool": {"max_concurrent": 40}},
    ],
}
"""A small scenario on the bundled base and history (the OpenAPI example of ``POST /v1/scenarios``)."""


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ScenarioJobParams(_Schema):
    """The limits a scenario job runs under."""

    time_limit_s: float = Field(
        description="Time budget of the whole job [s]: every run's time limit plus allowances for forecasting."
    )
    run_time_limit_s: float = Field(description="Server cap on each run's solve.time_limit_s [s].")
    runs: int = Field(description="Plans the scenario asks for: the base and every variation.")


class ScenarioJobInfo(_Schema):
    """A scenario job's state."""

    job_id: str
    status: JobStatus
    cancel_requested: bool
    inputs_digest: str = Field(description="SHA-256 of the scenario as run (time limits capped).")
    params: ScenarioJobParams
    error: str | None = Field(description="Why the job failed; null otherwise.")
    submitted_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    idempotency_key: str | None

    @classmethod
    def from_record(cls, record: JobRecord) -> ScenarioJobInfo:
        """Map a stored job to its wire form."""
        return cls(
            job_id=record.job_id,
            status=record.status,
            cancel_requested=record.cancel_requested,
            inputs_digest=record.inputs_digest,
            params=ScenarioJobParams.model_validate_json(record.params_json),
            error=record.error,
            submitted_at=record.submitted_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
            idempotency_key=record.idempotency_key,
        )


class ScenarioResults(_Schema):
    """Every run of a finished scenario, the base first, and the cost-optimal FTE headcount."""

    title: str
    runs: list[dict[str, ResultCell]] = Field(
        description="One row per run, the base first, keyed by the results.csv columns: " + ", ".join(COLUMNS) + "."
    )
    headcount_optimum: HeadcountOptimum | None = Field(
        description=(
            "Cheapest FTE headcount meeting the target among the runs on the base's demand and target, and the "
            f"range within {DEFAULT_FLAT_TOLERANCE:.0%} of its cost; null without two such headcounts."
        )
    )
    forecasts_fitted: int = Field(description="Distinct forecasts fitted (runs sharing a horizon share one).")
    wall_time_s: float = Field(description="Time the runs took [s].")


class ScenarioResponse(_Schema):
    """A scenario job and, once it succeeded, its results."""

    job: ScenarioJobInfo
    results: ScenarioResults | None


class ScenarioPage(_Schema):
    """One page of the organisation's scenario jobs, newest first."""

    items: list[ScenarioJobInfo]
    total: int
    limit: int
    offset: int
