"""``/v1/schedules/{job_id}/replan``: re-plan a published plan after a peak, as a job; its changes and days.

A re-plan job is a schedule job with ``replan_of`` set: poll it, fetch its plan, ``schedule.csv`` and
``coverage.csv``, cancel or delete it under ``/v1/schedules/{job_id}``. ``changes.csv``, ``days.csv``,
``offers.csv`` and (for a re-plan from actuals) ``reforecast.csv`` are its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.errors import ApiProblem
from api.jobs import replan as replan_jobs
from api.jobs.schedule import stored_replan
from api.routes import JOB_ERRORS, PROBLEM, IdempotencyKey, JobDep, PrincipalDep, ServicesDep, accepted, csv_response
from api.schemas import JobAccepted
from api.schemas.replan import ReplanRequest
from api.storage import JobRecord, Storage
from optimizer.replan.changes import changes_frame, days_frame
from optimizer.replan.domain import ReplanResult
from optimizer.replan.offers import offers_frame

_CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}, 409: PROBLEM, **JOB_ERRORS}

router = APIRouter(prefix="/v1/schedules", tags=["replans"])


@router.post(
    "/{job_id}/replan",
    status_code=202,
    response_model=JobAccepted,
    responses={409: PROBLEM, 413: PROBLEM, 422: PROBLEM, **JOB_ERRORS},
)
def submit_replan(
    body: ReplanRequest,
    job: JobDep,
    request: Request,
    response: Response,
    services: ServicesDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted:
    """Re-plan a succeeded job on new demand from ``now``, as a new job; poll ``status_url`` for the result.

    Published FTE shifts and posted gigs are kept; new gig micro-shifts start at or after ``now`` plus the lead
    time (with ``options``, FTE shifts may also be extended or released). The job's plan, once done, is served
    like any schedule's, with ``replan`` listing the changes and each day before and after.
    """
    if job.status != "succeeded":
        detail = f"job {job.job_id} is {job.status}; only a succeeded job's plan can be re-planned"
        raise ApiProblem(409, "Not published", detail, slug="not-replannable")
    try:
        record = replan_jobs.submit_replan(
            services.storage, services.runner, services.settings, principal, job, body, idempotency_key
        )
    except replan_jobs.PublishedGone:
        raise ApiProblem(404, "Not found", f"no schedule job {job.job_id!r}", slug="job-not-found") from None
    return accepted(request, response, "get_schedule", record)


def _result(storage: Storage, job: JobRecord) -> ReplanResult:
    if job.kind != "replan":
        raise ApiProblem(404, "Not found", f"job {job.job_id} is not a re-plan", slug="not-a-replan")
    result = stored_replan(storage, job)
    if result is None or job.status != "succeeded":
        why = job.error or f"the job is {job.status}"
        raise ApiProblem(409, "No plan yet", f"job {job.job_id} has no re-plan to export: {why}", slug="no-plan")
    return result


@router.get("/{job_id}/changes.csv", response_class=Response, responses=_CSV)
def get_changes_csv(job: JobDep, services: ServicesDep) -> Response:
    """Return a re-plan's changes (``change,worker_id,kind,start,end,old_start,old_end``; 404 for a plain job)."""
    return csv_response(changes_frame(_result(services.storage, job).changes).to_csv(index=False), "changes.csv")


@router.get("/{job_id}/days.csv", response_class=Response, responses=_CSV)
def get_days_csv(job: JobDep, services: ServicesDep) -> Response:
    """Return a re-plan's cost, service level and shortfall per local day, before and after on the new demand."""
    return csv_response(days_frame(_result(services.storage, job).days).to_csv(index=False), "days.csv")


@router.get("/{job_id}/offers.csv", response_class=Response, responses=_CSV)
def get_offers_csv(job: JobDep, services: ServicesDep) -> Response:
    """Return a re-plan's offers: overtime extensions and VTO per person, gig micro-shifts to post (per slot)."""
    return csv_response(offers_frame(_result(services.storage, job).offers.offers).to_csv(index=False), "offers.csv")


@router.get("/{job_id}/reforecast.csv", response_class=Response, responses=_CSV)
def get_reforecast_csv(job: JobDep, services: ServicesDep) -> Response:
    """Return the re-forecast of a re-plan made from ``actuals``: plan demand before/after and the factors."""
    _result(services.storage, job)
    try:
        reforecast = replan_jobs.stored_reforecast(services.storage, job)
    except replan_jobs.PublishedGone:
        reforecast = None
    if reforecast is None:
        detail = f"job {job.job_id} was not re-planned from actuals (or its published job was deleted)"
        raise ApiProblem(404, "Not found", detail, slug="no-reforecast")
    return csv_response(reforecast.table.to_csv(index=False), "reforecast.csv")
