"""Operations endpoints: liveness, readiness (database reachable) and Prometheus metrics; no API key."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ApiProblem
from api.metrics import CONTENT_TYPE
from api.routes import PROBLEM, ServicesDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Answer while the process serves requests (liveness)."""
    return Health()


@router.get("/readyz", response_model=Health, responses={503: PROBLEM})
def readyz(services: ServicesDep) -> Health:
    """Answer once the job store is reachable (readiness); 503 otherwise."""
    try:
        services.storage.ping()
    except SQLAlchemyError as exc:
        raise ApiProblem(
            503, "Not ready", f"the job store is unreachable ({type(exc).__name__})", slug="not-ready"
        ) from exc
    return Health()


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics(services: ServicesDep) -> Response:
    """Return Prometheus metrics (text exposition format)."""
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
