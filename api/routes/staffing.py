"""``/v1/staffing``: demand per interval and a service target → agents and people to schedule."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.compute import staffing_response
from api.errors import PROBLEM_JSON, ensure_at_most
from api.routes import ComputeSlotDep, ServicesDep
from api.schemas import ProblemDetails, StaffingRequest, StaffingResponse

_PROBLEM: dict[str, Any] = {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}}

router = APIRouter(prefix="/v1/staffing", tags=["staffing"])


@router.post(
    "", response_model=StaffingResponse, responses={401: _PROBLEM, 413: _PROBLEM, 422: _PROBLEM}
)
async def compute_staffing(body: StaffingRequest, services: ServicesDep, _slot: ComputeSlotDep) -> StaffingResponse:
    """Return the agents (Erlang C, or Erlang A with patience) and people to schedule in every interval.

    Computed in the server's process pool, under the same per-organisation quota as forecasts.
    """
    ensure_at_most(len(body.demand), services.settings.max_demand_rows, "demand")
    return await services.compute.run(staffing_response, body)
