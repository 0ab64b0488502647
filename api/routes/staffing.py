"""``/v1/staffing``: demand per interval and a service target → agents and people to schedule."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.errors import PROBLEM_JSON, ensure_at_most, prefixed_errors
from api.routes import PrincipalDep, ServicesDep
from api.schemas import ProblemDetails, StaffingRequest, StaffingResponse
from optimizer.staffing import human_demand, staffing_requirements

_PROBLEM: dict[str, Any] = {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}}

router = APIRouter(prefix="/v1/staffing", tags=["staffing"])


@router.post("", response_model=StaffingResponse, responses={401: _PROBLEM, 413: _PROBLEM, 422: _PROBLEM})
def compute_staffing(
    body: StaffingRequest, services: ServicesDep, _principal: PrincipalDep
) -> StaffingResponse:
    """Return the agents (Erlang C, or Erlang A with patience) and people to schedule in every interval."""
    ensure_at_most(len(body.demand), services.settings.max_demand_rows, "demand")
    with prefixed_errors("demand"):
        frame = staffing_requirements(
            human_demand(body.demand_frame(), body.automation),
            body.service_target,
            interval_min=body.interval_min,
        )
    return StaffingResponse.from_frame(frame)
