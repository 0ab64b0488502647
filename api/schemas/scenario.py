"""Wire format of scenario jobs: the job's state and limits, and its results rows and cost-optimal headcount.

The request body is the scenario file format itself (:class:`scenarios.scenario.Scenario`, the JSON mirror of
the YAML); nothing here redeclares it. Results rows carry exactly the columns of ``results.csv``
(:data:`scenarios.compare.COLUMNS`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import JobInfoBase, Page
from api.storage import JobRecord
from optimizer.domain import DomainType
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


class ScenarioJobParams(DomainType):
    """The limits a scenario job runs under."""

    time_limit_s: float = Field(
        description="Time budget of the whole job [s]: every run's time limit plus allowances for forecasting."
    )
    run_time_limit_s: float = Field(description="Server cap on each run's solve.time_limit_s [s].")
    run_threads: int | None = Field(
        None,
        description=(
            "Server cap on each run's solve.num_workers (CP-SAT threads), the same as a schedule job's; null for "
            "jobs stored before scenario runs were capped."
        ),
    )
    runs: int = Field(description="Plans the scenario asks for: the base and every variation.")
    runs_over_time_limit: int = Field(0, description="Runs that asked for more than run_time_limit_s (run at it).")
    runs_over_threads: int = Field(0, description="Runs that asked for more than run_threads (run with it).")


def scenario_notes(params: ScenarioJobParams) -> list[str]:
    """Return the notes of a scenario job: the limits the server capped, and in how many runs."""
    notes = []
    if params.runs_over_time_limit:
        notes.append(
            f"solve.time_limit_s: {params.runs_over_time_limit} of {params.runs} runs requested more than "
            f"{params.run_time_limit_s:g} s, capped at {params.run_time_limit_s:g} s by this server"
        )
    if params.runs_over_threads:
        notes.append(
            f"solve.num_workers: {params.runs_over_threads} of {params.runs} runs requested more than "
            f"{params.run_threads} threads, capped at {params.run_threads} threads by this server"
        )
    return notes


class ScenarioJobInfo(JobInfoBase[ScenarioJobParams]):
    """A scenario job's state."""

    inputs_digest: str = Field(description="SHA-256 of the scenario as run (time limits and threads capped).")
    notes: list[str] = Field(
        default_factory=list, description="What the caller should know: a requested limit the server capped."
    )

    @classmethod
    def from_record(cls, record: JobRecord) -> ScenarioJobInfo:
        """Map a stored job to its wire form."""
        params = ScenarioJobParams.model_validate_json(record.params_json)
        return cls(**cls.record_fields(record), params=params, notes=scenario_notes(params))


class ScenarioResults(DomainType):
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


class ScenarioResponse(DomainType):
    """A scenario job and, once it succeeded, its results."""

    job: ScenarioJobInfo
    results: ScenarioResults | None


class ScenarioPage(Page[ScenarioJobInfo]):
    """One page of the organisation's scenario jobs, newest first."""
