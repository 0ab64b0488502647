"""Intraday re-forecast: scale the rest of today and tomorrow by what today's first hours showed.

Method. Let ``F`` be the forecast for today, ``A`` the actual volume so far and ``F_e`` the forecast for the
same elapsed intervals. The raw ratio ``r = A / F_e`` is shrunk toward 1 by a credibility weight ``Z``:

    credibility      Z = F_e / (F_e + K)              (``shrinkage="volume"``, K = ``credibility_contacts``)
                     Z = F_e / F                      (``shrinkage="share"``, the elapsed share of the day)
    today factor     g = 1 + Z (r - 1)
    tomorrow factor  h = 1 + w (g - 1)                 (w = ``tomorrow_weight``)

``"volume"`` is Bühlmann's credibility with the expected elapsed contacts as the exposure: a Poisson count of
``n`` contacts estimates a ratio with variance ``1/n``, so ``K = 1/tau**2`` where ``tau`` is the spread of a
day's true level around the forecast. The default ``K`` was chosen by ``benchmarks/bench_reforecast.py``
(replaying the bundled history at 09:00, 11:00 and 13:00; figures in the README), not by guess. The rest of
today is multiplied by ``g`` and tomorrow by ``h`` (volume and its quantiles alike). With ``aht_s`` actuals
the volume-weighted AHT ratio is shrunk by the same ``Z`` and applied to the rest of today.

References
----------
.. [1] Gans, N., Koole, G., & Mandelbaum, A. (2003). Telephone call centers: tutorial, review, and research
   prospects. *Manufacturing & Service Operations Management* 5(2), 79-141, sec. 4 (intraday updating).
.. [2] Weinberg, J., Brown, L. D., & Stroud, J. R. (2007). Bayesian forecasting of an inhomogeneous Poisson
   process with applications to call center data. *JASA* 102(480), 1185-1198.
.. [3] Bühlmann, H., & Gisler, A. (2005). *A Course in Credibility Theory and its Applications*. Springer,
   ch. 4 (the credibility weight ``n / (n + sigma**2 / tau**2)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from forecasting._grid import day_start, local_dates, step
from forecasting.errors import ForecastInputError
from forecasting.forecasters import FittedForecaster
from forecasting.history import validate_history_frame
from forecasting.selection import ForecasterName, fit_forecaster

DEFAULT_TOMORROW_WEIGHT = 0.5
"""Share of today's adjustment carried into tomorrow."""

DEFAULT_CREDIBILITY_CONTACTS = 200.0
"""Expected elapsed contacts at which today's ratio gets half weight (tuned by bench_reforecast.py)."""

Shrinkage = Literal["volume", "share"]


class IntradayParams(BaseModel):
    """Knobs of the intraday re-forecast."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    credibility_contacts: float = Field(
        DEFAULT_CREDIBILITY_CONTACTS,
        ge=0.0,
        description="K of the credibility weight Z = F_e / (F_e + K) [contacts]; 0 trusts the ratio fully.",
    )
    tomorrow_weight: float = Field(
        DEFAULT_TOMORROW_WEIGHT, ge=0.0, le=1.0, description="Share in [0, 1] of today's change kept tomorrow."
    )
    shrinkage: Shrinkage = Field(
        "volume", description="'volume' (Z = F_e / (F_e + K)) or 'share' (Z = elapsed share of the day)."
    )


@dataclass(frozen=True, slots=True)
class IntradayFactors:
    """What today's actuals showed and the factors the re-forecast applies."""

    actual_contacts: float
    forecast_elapsed_contacts: float
    forecast_today_contacts: float
    ratio: float
    elapsed_share: float
    credibility: float
    today_factor: float
    tomorrow_factor: float
    aht_ratio: float
    aht_factor: float


@dataclass(frozen=True, slots=True)
class Reforecast:
    """Re-forecast demand frame for the rest of today and tomorrow, and the factors that made it."""

    frame: pd.DataFrame
    factors: IntradayFactors


def intraday_factors(
    today_forecast: pd.DataFrame, actuals: pd.DataFrame, params: IntradayParams | None = None
) -> IntradayFactors:
    """Return the ratio of today's actuals to their forecast, its credibility and the factors.

    Parameters
    ----------
    today_forecast : pandas.DataFrame
        Forecast of every interval of today (``volume`` [contacts], ``aht_s`` [s]; ``interval_start`` index).
    actuals : pandas.DataFrame
        Actuals of some intervals of today (``volume``, optionally ``aht_s``); intervals the forecast does
        not have are ignored.
    params : IntradayParams, optional
        Credibility and tomorrow weight; defaults when omitted.

    Returns
    -------
    IntradayFactors
    """
    params = params or IntradayParams()
    elapsed_forecast = today_forecast.reindex(actuals.index)
    known = elapsed_forecast["volume"].notna().to_numpy()
    forecast_elapsed = float(elapsed_forecast.loc[known, "volume"].sum())
    forecast_today = float(today_forecast["volume"].sum())
    actual_volume = actuals["volume"].to_numpy(dtype=float)[known]
    actual = float(actual_volume.sum())
    ratio = actual / forecast_elapsed if forecast_elapsed > 0 else 1.0
    share = min(forecast_elapsed / forecast_today, 1.0) if forecast_today > 0 else 1.0
    if params.shrinkage == "share":
        credibility = share
    else:
        total = forecast_elapsed + params.credibility_contacts
        credibility = forecast_elapsed / total if total > 0 else 1.0
    today_factor = 1.0 + credibility * (ratio - 1.0)
    aht_ratio = 1.0
    if "aht_s" in actuals.columns and actual > 0:
        served = actual_volume > 0
        actual_aht = actuals["aht_s"].to_numpy(dtype=float)[known][served]
        forecast_aht = elapsed_forecast["aht_s"].to_numpy(dtype=float)[known][served]
        weights = actual_volume[served]
        aht_ratio = float((actual_aht * weights).sum() / (forecast_aht * weights).sum())
    return IntradayFactors(
        actual_contacts=actual,
        forecast_elapsed_contacts=forecast_elapsed,
        forecast_today_contacts=forecast_today,
        ratio=ratio,
        elapsed_share=share,
        credibility=credibility,
        today_factor=today_factor,
        tomorrow_factor=1.0 + params.tomorrow_weight * (today_factor - 1.0),
        aht_ratio=aht_ratio,
        aht_factor=1.0 + credibility * (aht_ratio - 1.0),
    )


def scale_rest(forecast: pd.DataFrame, now: pd.Timestamp, factors: IntradayFactors) -> pd.DataFrame:
    """Return the forecast's rows from ``now`` to the end of the next local day, scaled by ``factors``.

    The rest of ``now``'s local day gets ``today_factor`` on every ``volume*`` column and ``aht_factor`` on
    every ``aht_s*`` column; the next day gets ``tomorrow_factor`` on volume only.
    """
    zone = str(pd.DatetimeIndex(forecast.index).tz)
    local_now = pd.Timestamp(now).tz_convert(zone)
    today = local_now.date()
    dates = local_dates(forecast.index)
    rest_mask = (forecast.index >= local_now) & ((dates == today) | (dates == today + timedelta(days=1)))
    rest = forecast[rest_mask].copy()
    is_today = local_dates(rest.index) == today
    factor = np.where(is_today, factors.today_factor, factors.tomorrow_factor)
    volume_columns = [c for c in rest.columns if c.startswith("volume")]
    rest[volume_columns] = rest[volume_columns].to_numpy() * factor[:, None]
    aht_columns = [c for c in rest.columns if c.startswith("aht_s")]
    rest[aht_columns] = rest[aht_columns].to_numpy() * np.where(is_today, factors.aht_factor, 1.0)[:, None]
    return rest


def update_forecast(
    forecast: pd.DataFrame,
    actuals: pd.DataFrame,
    now: pd.Timestamp,
    params: IntradayParams | None = None,
) -> Reforecast:
    """Re-forecast the rest of ``now``'s local day and the next day from today's actuals.

    Parameters
    ----------
    forecast : pandas.DataFrame
        Demand frame (``volume`` and its ``volume_*`` quantiles [contacts], ``aht_s`` [s]) covering today
        and, where known, tomorrow, tz-aware in the site's zone.
    actuals : pandas.DataFrame
        History frame of intervals of today that ended by ``now``.
    now : pandas.Timestamp
        The moment of the re-forecast (tz-aware).
    params : IntradayParams, optional
        Credibility and tomorrow weight.

    Returns
    -------
    Reforecast
        The forecast's rows from ``now`` to the end of tomorrow, scaled, and the factors.
    """
    zone = str(pd.DatetimeIndex(forecast.index).tz)
    today = pd.Timestamp(now).tz_convert(zone).date()
    today_forecast = forecast[local_dates(forecast.index) == today]
    factors = intraday_factors(today_forecast, actuals.tz_convert(zone), params)
    return Reforecast(frame=scale_rest(forecast, now, factors), factors=factors)


def reforecast(
    source: FittedForecaster | pd.DataFrame,
    actuals_today: pd.DataFrame,
    *,
    model: ForecasterName | str = "auto",
    country: str | None = None,
    params: IntradayParams | None = None,
    quantiles: Sequence[float] = (),
) -> Reforecast:
    """Re-forecast the rest of today and all of tomorrow from today's actuals so far.

    Parameters
    ----------
    source : FittedForecaster or pandas.DataFrame
        A fitted forecaster whose history ends at or before today's start, or a history frame to fit
        ``model`` on.
    actuals_today : pandas.DataFrame
        History frame of today from local midnight on (``volume``, optionally ``aht_s``).
    model : str, default "auto"
        Forecaster fitted when ``source`` is a history frame.
    country : str, optional
        Holiday calendar for that fit.
    params : IntradayParams, optional
        Credibility and tomorrow weight.
    quantiles : sequence of float, optional
        Volume quantiles to include.

    Returns
    -------
    Reforecast
        The demand frame from the first interval after the actuals to tomorrow's end, and the factors.

    Raises
    ------
    ForecastInputError
        If the actuals do not start at local midnight, overlap the fitted history, or span more than a day.
    HistoryError
        If ``actuals_today`` breaks the history frame contract.
    """
    validate_history_frame(actuals_today)
    fitted = (
        source if isinstance(source, FittedForecaster) else fit_forecaster(source, model, country=country)
    )
    actuals = actuals_today.tz_convert(fitted.history_end.tz)
    today: date = local_dates(actuals.index)[0]
    zone = str(pd.DatetimeIndex(actuals.index).tz)
    start = day_start(today, zone)
    if actuals.index[0] != start:
        raise ForecastInputError(
            field="actuals_today", problem=f"must start at local midnight {start.isoformat()}"
        )
    if start < fitted.history_end:
        raise ForecastInputError(
            field="actuals_today",
            problem=f"overlaps the fitted history, which ends {fitted.history_end.isoformat()}",
        )
    end = day_start(today + timedelta(days=2), zone)
    if actuals.index[-1] >= day_start(today + timedelta(days=1), zone):
        raise ForecastInputError(field="actuals_today", problem="must not go past the end of today")
    periods = int((end - fitted.history_end) / step(fitted.interval_min))
    base = fitted.forecast(periods, quantiles=quantiles)
    base = base[base.index >= start]
    now = actuals.index[-1] + step(fitted.interval_min)
    return update_forecast(base, actuals, now, params)
