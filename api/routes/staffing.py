"""``/v1/staffing``: demand per interval and a service target → agents and people to schedule."""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import ensure_at_most, prefixed_errors
from api.routes import PROBLEM, PrincipalDep, ServicesDep
from api.schemas import StaffingRequest, StaffingResponse
from optimizer import staff_needed

router = APIRouter(prefix="/v1/staffing", tags=["staffing"])


@router.post("", response_model=StaffingResponse, responses={401: PROBLEM, 413: PROBLEM, 422: PROBLEM})
def compute_staffing(
    body: StaffingRequest, services: ServicesDep, _principal: PrincipalDep
) -> StaffingResponse:
    """Return the agents (Erlang C, or Erlang A with patience) and people to schedule in every interval.

    The numbers are the planner's requirement (``optimizer.staff_needed``): with ``scope: horizon`` they meet
    the target's ``interval_floor`` in each interval, as a plan must.
    """
    ensure_at_most(len(body.demand), services.settings.max_demand_rows, "demand")
    with prefixed_errors("demand"):
        frame = staff_needed(
            body.demand_frame(), body.service_target, body.automation, interval_min=body.interval_min
        )
    return StaffingResponse.from_frame(frame)
