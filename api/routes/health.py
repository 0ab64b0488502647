"""Operations endpoints: liveness and readiness (no API key) and Prometheus metrics (API key unless dev)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ApiProblem
from api.metrics import CONTENT_TYPE
from api.routes import PROBLEM, PrincipalDep, ServicesDep
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Answer while the process serves requests (liveness)."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: PROBLEM})
def readyz(services: ServicesDep) -> Readiness:
    """Answer once the job store is reachable (readiness), with how saturated the server is; 503 otherwise."""
    try:
        services.storage.ping()
        queued = services.storage.counts_by_status().get("queued", 0)
    except SQLAlchemyError as exc:
        raise ApiProblem(
            503, "Not ready", f"the job store is unreachable ({type(exc).__name__})", slug="not-ready"
        ) from exc
    running, slots = services.runner.running_jobs(), services.settings.workers
    in_use, capacity = services.compute.in_pool(), services.compute.capacity
    return Readiness(
        jobs_running=running,
        job_slots=slots,
        jobs_queued=queued,
        compute_in_use=in_use,
        compute_capacity=capacity,
        saturated=(running >= slots and queued > 0) or in_use >= capacity,
    )


@router.get(
    "/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}, 401: PROBLEM}
)
def metrics(services: ServicesDep, _principal: PrincipalDep) -> Response:
    """Return Prometheus metrics (text exposition format); needs an API key (they count every tenant's jobs)."""
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
