"""``/v1/forecasts``: contact history → forecast demand frame (computed in the server's compute pool)."""

from __future__ import annotations

from fastapi import APIRouter

from api.compute import forecast_response
from api.errors import ensure_at_most
from api.routes import PROBLEM, ComputeSlotDep, ServicesDep
from api.schemas import ForecastRequest, ForecastResponse

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])


@router.post("", response_model=ForecastResponse, responses={401: PROBLEM, 413: PROBLEM, 422: PROBLEM})
async def create_forecast(body: ForecastRequest, services: ServicesDep, _slot: ComputeSlotDep) -> ForecastResponse:
    """Forecast volume and AHT for ``horizon_days`` whole local days after the history.

    The work runs in a process pool (429 with ``Retry-After`` when the organisation already has its quota of
    forecasts and staffing requests computing, or the pool is full); waiting holds no request thread.
    """
    ensure_at_most(len(body.history), services.settings.max_demand_rows, "history")
    return await services.compute.run(forecast_response, body)
