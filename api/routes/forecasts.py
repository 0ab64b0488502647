"""``/v1/forecasts``: contact history → forecast demand frame (synchronous)."""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import ensure_at_most, prefixed_errors
from api.routes import PROBLEM, PrincipalDep, ServicesDep
from api.schemas import ForecastRequest, ForecastResponse
from forecasting import forecast, load_history

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])


@router.post("", response_model=ForecastResponse, responses={401: PROBLEM, 413: PROBLEM, 422: PROBLEM})
def create_forecast(
    body: ForecastRequest, services: ServicesDep, _principal: PrincipalDep
) -> ForecastResponse:
    """Forecast volume and AHT for ``horizon_days`` whole local days after the history."""
    ensure_at_most(len(body.history), services.settings.max_demand_rows, "history")
    with prefixed_errors("history"):
        history = load_history(body.history_frame(), timezone=body.timezone, gaps=body.gaps)
    frame = forecast(
        history,
        body.horizon_days,
        model=body.model,
        country=body.country,
        quantiles=body.quantiles,
        aht_s=body.aht_s,
        weekend=body.weekend,
    )
    return ForecastResponse.from_frame(frame)
