"""``/v1/schedules/{job_id}/simulate`` and ``/v1/simulations``: simulate a plan as a job; its summary and CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from api.errors import PROBLEM_JSON, ApiProblem
from api.jobs import simulation as simulation_jobs
from api.routes import IdempotencyKey, JobDep, PrincipalDep, ServicesDep, accepted, csv_response
from api.schemas import JobAccepted, ProblemDetails
from api.schemas.simulation import SimulationJobInfo, SimulationRequest, SimulationResponse
from api.storage import JobRecord

_PROBLEM: dict[str, Any] = {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}}
_JOB_ERRORS: dict[int | str, dict[str, Any]] = {401: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM}  # 422: job id length

router = APIRouter(tags=["simulations"])


def valid_simulation_id(
    job_id: Annotated[str, Path(min_length=1, max_length=64, description="Job id from POST .../simulate.")],
    principal: PrincipalDep,
    services: ServicesDep,
) -> JobRecord:
    """Return the caller's simulation job with this id.

    Raises
    ------
    ApiProblem
        404 when the caller's organisation has no such simulation job.
    """
    record = services.storage.get_job(job_id, principal.org_id, kinds=("simulation",))
    if record is None:
        raise ApiProblem(404, "Not found", f"no simulation job {job_id!r}", slug="job-not-found")
    return record


SimulationJobDep = Annotated[JobRecord, Depends(valid_simulation_id)]


@router.post(
    "/v1/schedules/{job_id}/simulate",
    status_code=202,
    response_model=JobAccepted,
    responses={409: _PROBLEM, **_JOB_ERRORS},
)
def submit_simulation(
    job: JobDep,
    request: Request,
    response: Response,
    services: ServicesDep,
    principal: PrincipalDep,
    body: SimulationRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted:
    """Simulate a succeeded job's plan on random arrivals, as a new job; poll ``status_url`` for the summary.

    Per interval: mean service level, P10/P90, probability of meeting the target, ASA, abandonment; over the
    horizon the level with a 90 % interval; the intervals at risk. Rows come as ``simulation.csv``.
    """
    if job.status != "succeeded":
        detail = f"job {job.job_id} is {job.status}; only a succeeded job's plan can be simulated"
        raise ApiProblem(409, "No plan", detail, slug="not-simulatable")
    wanted = body or SimulationRequest()
    record = simulation_jobs.submit_simulation(
        services.storage, services.runner, services.settings, principal, job, wanted, idempotency_key
    )
    return accepted(request, response, "get_simulation", record)


@router.get("/v1/simulations/{job_id}", response_model=SimulationResponse, responses=_JOB_ERRORS)
def get_simulation(job: SimulationJobDep, services: ServicesDep) -> SimulationResponse:
    """Return a simulation job's state and, once it succeeded, its summary and intervals at risk."""
    stored = simulation_jobs.stored_simulation(services.storage, job)
    return SimulationResponse(job=SimulationJobInfo.from_record(job), summary=stored[0] if stored else None)


@router.get(
    "/v1/simulations/{job_id}/simulation.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 409: _PROBLEM, **_JOB_ERRORS},
)
def get_simulation_csv(job: SimulationJobDep, services: ServicesDep) -> Response:
    """Return the per-interval rows as ``simulation.csv`` (409 until the job succeeded)."""
    stored = simulation_jobs.stored_simulation(services.storage, job)
    if stored is None:
        why = job.error or f"the job is {job.status}"
        raise ApiProblem(409, "No results yet", f"job {job.job_id} has no simulation: {why}", slug="no-results")
    return csv_response(stored[1], "simulation.csv")


@router.delete("/v1/simulations/{job_id}", status_code=204, response_class=Response, responses=_JOB_ERRORS)
def delete_simulation(job: SimulationJobDep, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Delete a simulation job and its results; a running one is stopped."""
    services.storage.delete_job(principal, job.job_id)
    return Response(status_code=204)
