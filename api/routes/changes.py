"""``/v1/schedules/{job_id}/changes``: check a swap or time-off request against a published plan, or apply it.

``changes:check`` answers whether the change keeps every rule and the coverage target, with the ``check_plan``
findings and the coverage and cost delta (no solver runs). ``changes`` applies an accepted change as the plan's
next version, with who, when and what; ``GET changes`` lists them. A request naming a ``version`` the plan has
moved past answers 409 with the current version.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import TypeAdapter

from api.errors import ApiProblem, prefixed_errors
from api.jobs.schedule import stored_plan, stored_problem
from api.plan_versions import FIRST_VERSION, PlanVersion, StaleVersion
from api.routes import JOB_ERRORS, PROBLEM, JobDep, PrincipalDep, ServicesDep
from api.schemas.changes import (
    ChangeApplied,
    ChangeApplyRequest,
    ChangeCheckRequest,
    ChangeCheckResponse,
    ChangeHistory,
    PlanVersionInfo,
)
from api.storage import JobRecord, Storage
from optimizer.change_check import check_change
from optimizer.domain import Plan, PlanningProblem
from optimizer.domain.changes import ChangeRequest

router = APIRouter(prefix="/v1/schedules", tags=["changes"])

_ERRORS: dict[int | str, dict[str, Any]] = {409: PROBLEM, 422: PROBLEM, **JOB_ERRORS}
_CHANGE = TypeAdapter[ChangeRequest](ChangeRequest)


def _current(storage: Storage, job: JobRecord) -> tuple[int, Plan, PlanningProblem]:
    """Return the current version of a job's plan, the plan and its problem; 409 while it has none."""
    latest = storage.plan_versions.latest(job.job_id)
    if latest is not None:
        return latest.version, Plan.model_validate_json(latest.plan_json), _problem(latest)
    solved = stored_plan(storage, job) if job.status == "succeeded" else None
    problem = stored_problem(storage, job) if solved is not None else None
    if solved is None or problem is None or not solved.found:
        detail = f"job {job.job_id} is {job.status}; only a succeeded job's plan can be changed"
        raise ApiProblem(409, "Not published", detail, slug="not-published")
    return FIRST_VERSION, solved, problem


def _problem(version: PlanVersion) -> PlanningProblem:
    return PlanningProblem.model_validate_json(version.problem_json)


def _stale(job: JobRecord, asked: int, current: int) -> ApiProblem:
    detail = f"job {job.job_id}'s plan is at version {current}, not {asked}: check the change against version {current}"
    return ApiProblem(409, "Plan replaced", detail, slug="plan-version-stale")


def _info(version: PlanVersion) -> PlanVersionInfo:
    return PlanVersionInfo(
        version=version.version,
        at=version.at,
        api_key_id=version.api_key_id,
        requested_by=version.requested_by,
        change=_CHANGE.validate_json(version.change_json),
    )


@router.post("/{job_id}/changes:check", response_model=ChangeCheckResponse, responses=_ERRORS)
def check_schedule_change(body: ChangeCheckRequest, job: JobDep, services: ServicesDep) -> ChangeCheckResponse:
    """Answer whether a swap or time-off request keeps every rule and the coverage target of the current plan."""
    version, published, problem = _current(services.storage, job)
    if body.version is not None and body.version != version:
        raise _stale(job, body.version, version)
    with prefixed_errors("change"):
        answer, _, _ = check_change(problem, published, body.change)
    return ChangeCheckResponse(job_id=job.job_id, version=version, check=answer)


@router.post("/{job_id}/changes", status_code=201, response_model=ChangeApplied, responses=_ERRORS)
def apply_schedule_change(
    body: ChangeApplyRequest, job: JobDep, services: ServicesDep, principal: PrincipalDep
) -> ChangeApplied:
    """Apply an accepted change as the plan's next version (409 when refused, or the plan moved on)."""
    storage = services.storage
    version, published, problem = _current(storage, job)
    if body.version is not None and body.version != version:
        raise _stale(job, body.version, version)
    with prefixed_errors("change"):
        answer, changed_problem, changed = check_change(problem, published, body.change, expected=True)
    if not answer.accepted:
        rules = ", ".join(sorted({f.rule for f in answer.findings}))
        first = answer.findings[0]
        detail = f"the change breaks {rules} (first: {first.rule} at {first.where}: {first.detail}); nothing applied"
        raise ApiProblem(409, "Change refused", detail, slug="change-refused")
    try:
        stored = storage.plan_versions.add(
            job.job_id,
            version,
            principal,
            requested_by=body.requested_by,
            change_json=_CHANGE.dump_json(body.change).decode(),
            plan_json=changed.model_dump_json(),
            problem_json=changed_problem.model_dump_json(),
        )
    except StaleVersion as exc:
        raise _stale(job, version, exc.current) from None
    return ChangeApplied(job_id=job.job_id, version=stored.version, audit=_info(stored), check=answer, plan=changed)


@router.get("/{job_id}/changes", response_model=ChangeHistory, responses=JOB_ERRORS)
def list_schedule_changes(job: JobDep, services: ServicesDep) -> ChangeHistory:
    """List the plan's changed versions (who, when, what), oldest first."""
    versions = services.storage.plan_versions.history(job.job_id)
    current = versions[-1].version if versions else FIRST_VERSION
    return ChangeHistory(job_id=job.job_id, current_version=current, versions=[_info(v) for v in versions])
