"""``/v1/schedules``: submit a planning problem as a job, poll it, fetch its plan and CSVs, cancel, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.errors import ApiProblem
from api.jobs.schedule import (
    requested_params,
    stored_plan,
    stored_problem,
    stored_replan,
    stored_violations,
    submit_schedule,
    validate_schedule,
)
from api.routes import (
    JOB_ERRORS,
    MAX_OFFSET,
    PROBLEM,
    IdempotencyKey,
    JobDep,
    PrincipalDep,
    ServicesDep,
    accepted,
    csv_response,
)
from api.schemas import (
    JobAccepted,
    JobInfo,
    JobPage,
    PlanResponse,
    ScheduleRequest,
    ValidationReport,
)
from api.schemas.replan import ReplanReport
from api.storage import JobRecord, Storage
from api.tables import SCHEDULE_KINDS
from optimizer.domain import Plan
from optimizer.export import coverage_frame, schedule_frame
from scenarios.exports import plan_workbook, worker_calendar
from scenarios.report import replan_report

_ERRORS: dict[int | str, dict[str, Any]] = {401: PROBLEM, 422: PROBLEM}

router = APIRouter(prefix="/v1/schedules", tags=["schedules"])


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    responses={
        200: {"model": ValidationReport, "description": "validate_only: the request is valid"},
        409: PROBLEM,
        413: PROBLEM,
        **_ERRORS,
    },
)
def submit(
    body: ScheduleRequest,
    request: Request,
    response: Response,
    services: ServicesDep,
    principal: PrincipalDep,
    validate_only: Annotated[
        bool, Query(description="Check the request fully, but do not store or solve it.")
    ] = False,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted | JSONResponse:
    """Store a planning problem and queue it for solving; poll ``status_url`` for the plan."""
    if validate_only:
        digest, params = validate_schedule(body.problem, body.params, services.settings)
        report = ValidationReport(inputs_digest=digest, params=params)
        return JSONResponse(report.model_dump(mode="json"), status_code=200)
    record, _ = submit_schedule(
        services.storage,
        services.runner,
        services.settings,
        principal,
        body.model_dump_json(),
        body.problem,
        body.params,
        idempotency_key,
    )
    return accepted(request, response, "get_schedule", record)


@router.get("", response_model=JobPage, responses={401: PROBLEM, 422: PROBLEM})
def list_schedules(
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobPage:
    """List the organisation's schedule and re-plan jobs, newest first."""
    records, total = services.storage.list_jobs(
        principal.org_id, kinds=SCHEDULE_KINDS, limit=limit, offset=offset
    )
    return JobPage(items=[JobInfo.from_record(r) for r in records], total=total, limit=limit, offset=offset)


@router.get("/{job_id}", response_model=PlanResponse, responses=JOB_ERRORS)
def get_schedule(job: JobDep, services: ServicesDep) -> PlanResponse:
    """Return a job's state, its progress (best objective and bound so far) and, once done, its plan.

    For a re-plan job, ``replan`` also lists the changes to the published plan and each day before and after.
    """
    result = stored_replan(services.storage, job)
    return PlanResponse(
        job=JobInfo.from_record(job, requested_params(services.storage, job)),
        plan=result.plan if result is not None else stored_plan(services.storage, job),
        replan=ReplanReport.from_result(job.replan_of, result) if result is not None and job.replan_of else None,
        violations=stored_violations(services.storage, job),
    )


def _solved_plan(storage: Storage, job: JobRecord) -> Plan:
    plan = stored_plan(storage, job)
    if plan is None or not plan.found:
        why = job.error or f"the job is {job.status}"
        raise ApiProblem(409, "No plan yet", f"job {job.job_id} has no plan to export: {why}", slug="no-plan")
    return plan


@router.get(
    "/{job_id}/schedule.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 409: PROBLEM, **JOB_ERRORS},
)
def get_schedule_csv(job: JobDep, services: ServicesDep) -> Response:
    """Return the plan's shifts as the schedule CSV (409 until the job has a plan)."""
    return csv_response(schedule_frame(_solved_plan(services.storage, job)).to_csv(index=False), "schedule.csv")


@router.get(
    "/{job_id}/coverage.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 409: PROBLEM, **JOB_ERRORS},
)
def get_coverage_csv(job: JobDep, services: ServicesDep) -> Response:
    """Return the plan's coverage per interval as the coverage CSV (409 until the job has a plan)."""
    return csv_response(coverage_frame(_solved_plan(services.storage, job)).to_csv(index=False), "coverage.csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/{job_id}/schedule.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 409: PROBLEM, **JOB_ERRORS},
)
def get_schedule_ics(
    job: JobDep,
    services: ServicesDep,
    worker_id: Annotated[
        str | None,
        Query(max_length=64, description="The worker (or gig slot) whose shifts to export; all shifts if absent."),
    ] = None,
) -> Response:
    """Return shifts as an iCalendar file in the site's time zone (422 naming ``worker_id`` if it has none)."""
    body = worker_calendar(_solved_plan(services.storage, job), worker_id)
    name = f"{worker_id or 'schedule'}.ics"
    return Response(
        body, media_type="text/calendar", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/{job_id}/plan.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, 409: PROBLEM, **JOB_ERRORS},
)
def get_plan_xlsx(job: JobDep, services: ServicesDep) -> Response:
    """Return the plan as an Excel workbook: schedule, coverage, unmet and cost sheets (local times)."""
    body = plan_workbook(_solved_plan(services.storage, job))
    return Response(body, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="plan.xlsx"'})


@router.get(
    "/{job_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, 409: PROBLEM, **JOB_ERRORS},
)
def get_report(job: JobDep, services: ServicesDep) -> HTMLResponse:
    """Return the plan's report: one self-contained HTML page (Gantt, coverage, cost, unmet runs, checks)."""
    plan = _solved_plan(services.storage, job)
    problem = stored_problem(services.storage, job)
    if problem is None:
        raise ApiProblem(409, "No plan yet", f"job {job.job_id} has no stored problem", slug="no-plan")
    replan = stored_replan(services.storage, job)
    return HTMLResponse(replan_report(problem, plan, replan, f"shiftmix {job.kind} {job.job_id}"))


@router.post(
    "/{job_id}/cancel", status_code=202, response_model=JobInfo, responses={409: PROBLEM, **JOB_ERRORS}
)
def cancel_schedule(job: JobDep, services: ServicesDep, principal: PrincipalDep) -> JobInfo:
    """Cancel a job: a queued one at once; a running one stops and keeps the best plan found so far.

    A running re-plan cannot stop part-way: it ends without a plan.
    """
    if not job.is_active:
        raise ApiProblem(
            409, "Job finished", f"job {job.job_id} is already {job.status}", slug="job-finished"
        )
    updated = services.storage.request_cancel(principal, job.job_id)
    return JobInfo.from_record(updated or job)


@router.delete("/{job_id}", status_code=204, response_class=Response, responses=JOB_ERRORS)
def delete_schedule(job: JobDep, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Delete a job with its request and plan; a running solve is stopped."""
    services.storage.delete_job(principal, job.job_id)
    return Response(status_code=204)
