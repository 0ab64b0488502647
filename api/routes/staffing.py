"""``/v1/staffing``: demand per interval and a service target → agents and people to schedule."""

from __future__ import annotations

from fastapi import APIRouter

from api.compute import staffing_response
from api.errors import ensure_at_most
from api.routes import PROBLEM, ComputeSlotDep, ServicesDep
from api.schemas import StaffingRequest, StaffingResponse

router = APIRouter(prefix="/v1/staffing", tags=["staffing"])


@router.post("", response_model=StaffingResponse, responses={401: PROBLEM, 413: PROBLEM, 422: PROBLEM})
async def compute_staffing(body: StaffingRequest, services: ServicesDep, _slot: ComputeSlotDep) -> StaffingResponse:
    """Return the agents (Erlang C, or Erlang A with patience) and people to schedule in every interval.

    The numbers are the planner's requirement per interval (``optimizer.interval_staffing``): with ``scope:
    horizon`` they meet the target's ``interval_floor`` in each interval, as a plan must; with a ``share``
    confidence, the cheapest per-interval staffing that reaches it. Computed in the server's process pool,
    under the same per-organisation quota as forecasts.
    """
    ensure_at_most(len(body.demand), services.settings.max_demand_rows, "demand")
    return await services.compute.run(staffing_response, body)
