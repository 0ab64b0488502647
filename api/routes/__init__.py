"""Routers of the REST API and the dependencies they share (services, caller, job lookup).

Routes are thin: validate (pydantic and these dependencies), call one library function, map the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.compute import ComputePool
from api.errors import PROBLEM_JSON, ApiProblem
from api.jobs import JobRunner
from api.metrics import Metrics
from api.ratelimit import RateLimiter
from api.schemas import JobAccepted, ProblemDetails
from api.settings import Settings
from api.storage import JobRecord, Principal, Storage
from api.tables import SCHEDULE_KINDS

PROBLEM: dict[str, Any] = {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}}
"""The OpenAPI response of an ``application/problem+json`` error, for every route's ``responses``."""

JOB_ERRORS: dict[int | str, dict[str, Any]] = {401: PROBLEM, 404: PROBLEM, 422: PROBLEM}  # 422: job id length
"""The errors of every route that looks a job up by id."""

DEV_ORG = "dev"
"""Organisation every request acts for when ``settings.dev`` disables API keys."""


@dataclass
class Services:
    """What the routes need, built by ``create_app`` and kept on ``app.state.services``."""

    settings: Settings
    storage: Storage
    runner: JobRunner
    metrics: Metrics
    compute: ComputePool
    limiter: RateLimiter
    dev_principal: Principal | None = field(default=None)


def get_services(request: Request) -> Services:
    """Return the app's services."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key.")


def get_principal(
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """Return the organisation calling, from ``Authorization: Bearer <key>`` or ``X-API-Key``.

    Raises
    ------
    ApiProblem
        401 when no key is sent, or the key is unknown or revoked (unless the server runs in dev mode);
        429 with ``Retry-After`` when the key is over its rate limit.
    """
    if services.settings.dev and services.dev_principal is not None:
        services.limiter.check(services.dev_principal)
        return services.dev_principal
    token = bearer.credentials if bearer is not None else api_key
    challenge = {"WWW-Authenticate": "Bearer"}
    if not token:
        raise ApiProblem(
            401,
            "Unauthorized",
            "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            slug="unauthorized",
            headers=challenge,
        )
    principal = services.storage.principal_for_key(token)
    if principal is None:
        raise ApiProblem(
            401, "Unauthorized", "the API key is unknown or revoked", slug="unauthorized", headers=challenge
        )
    services.limiter.check(principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def compute_slot(services: ServicesDep, principal: PrincipalDep) -> Iterator[Principal]:
    """Hold one of the caller's compute-pool slots for the request (429 when none is free); yield the caller."""
    with services.compute.slot(principal):
        yield principal


ComputeSlotDep = Annotated[Principal, Depends(compute_slot)]

MAX_OFFSET = 1_000_000_000
"""Largest paging offset accepted: past it the database integer overflows (found by fuzzing: a 500)."""


def valid_job_id(
    job_id: Annotated[
        str, Path(min_length=1, max_length=64, description="Job id from POST /v1/schedules or its /replan.")
    ],
    principal: PrincipalDep,
    services: ServicesDep,
) -> JobRecord:
    """Return the caller's schedule or re-plan job with this id.

    Raises
    ------
    ApiProblem
        404 when the caller's organisation has no such job (another organisation's job looks the same).
    """
    record = services.storage.get_job(job_id, principal.org_id, kinds=SCHEDULE_KINDS)
    if record is None:
        raise ApiProblem(404, "Not found", f"no schedule job {job_id!r}", slug="job-not-found")
    return record


JobDep = Annotated[JobRecord, Depends(valid_job_id)]


def valid_scenario_id(
    job_id: Annotated[str, Path(min_length=1, max_length=64, description="Job id from POST /v1/scenarios.")],
    principal: PrincipalDep,
    services: ServicesDep,
) -> JobRecord:
    """Return the caller's scenario job with this id.

    Raises
    ------
    ApiProblem
        404 when the caller's organisation has no such scenario job (another organisation's looks the same).
    """
    record = services.storage.get_job(job_id, principal.org_id, kinds=("scenario",))
    if record is None:
        raise ApiProblem(404, "Not found", f"no scenario job {job_id!r}", slug="job-not-found")
    return record


ScenarioJobDep = Annotated[JobRecord, Depends(valid_scenario_id)]


IdempotencyKey = Annotated[
    str | None,
    Header(max_length=255, description="Repeat a submit safely: the same key returns the same job."),
]
"""The ``Idempotency-Key`` header every submit route takes."""


def accepted(request: Request, response: Response, route: str, record: JobRecord) -> JobAccepted:
    """Return the 202 body of a queued job and point ``Location`` at its status route."""
    status_url = str(request.url_for(route, job_id=record.job_id))
    response.headers["Location"] = status_url
    return JobAccepted(job_id=record.job_id, status_url=status_url, status=record.status)


def csv_response(frame_text: str, filename: str) -> Response:
    """Return CSV text as a ``text/csv`` attachment called ``filename``."""
    return Response(
        frame_text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
