"""Intraday re-forecast: scale the rest of today and tomorrow by what today's first hours showed.

Method. Let ``F`` be the fitted forecast for today, ``A`` the actual volume so far and ``F_e`` the forecast
for the same elapsed intervals. The raw ratio ``r = A / F_e`` is shrunk toward 1 by the elapsed share of the
day's expected volume, ``s = F_e / F``:

    today factor     g = 1 + s (r - 1)
    tomorrow factor  h = 1 + w (g - 1)      (w = ``tomorrow_weight``, default 0.5)

Early in the day (small ``s``) a noisy ratio moves little; by the evening the observed level dominates. The
rest of today is multiplied by ``g`` and tomorrow by ``h`` (volume and its quantiles alike). With ``aht_s``
actuals, the volume-weighted AHT ratio is shrunk and applied the same way. This is the multiplicative
"ratio-to-date" update of workforce-management practice, with linear credibility weighting.

References
----------
.. [1] Gans, N., Koole, G., & Mandelbaum, A. (2003). Telephone call centers: tutorial, review, and research
   prospects. *Manufacturing & Service Operations Management* 5(2), 79-141, sec. 4 (intraday updating).
.. [2] Weinberg, J., Brown, L. D., & Stroud, J. R. (2007). Bayesian forecasting of an inhomogeneous Poisson
   process with applications to call center data. *JASA* 102(480), 1185-1198.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from forecasting._grid import day_start, local_dates, step
from forecasting.errors import ForecastInputError
from forecasting.forecasters import FittedForecaster
from forecasting.history import validate_history_frame
from forecasting.selection import ForecasterName, fit_forecaster

DEFAULT_TOMORROW_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Reforecast:
    """Re-forecast demand frame for the rest of today and tomorrow, and the factors that made it."""

    frame: pd.DataFrame
    ratio: float
    elapsed_share: float
    today_factor: float
    tomorrow_factor: float
    aht_factor: float


def reforecast(
    source: FittedForecaster | pd.DataFrame,
    actuals_today: pd.DataFrame,
    *,
    model: ForecasterName | str = "auto",
    country: str | None = None,
    tomorrow_weight: float = DEFAULT_TOMORROW_WEIGHT,
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
    tomorrow_weight : float, default 0.5
        Share in [0, 1] of today's adjustment carried into tomorrow.
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
    if not 0 <= tomorrow_weight <= 1:
        raise ForecastInputError(field="tomorrow_weight", problem=f"must be in [0, 1], got {tomorrow_weight}")
    validate_history_frame(actuals_today)
    fitted = (
        source if isinstance(source, FittedForecaster) else fit_forecaster(source, model, country=country)
    )
    actuals = actuals_today.tz_convert(fitted.history_end.tz)
    today = local_dates(actuals.index)[0]
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
    is_today = local_dates(base.index) == today
    elapsed = base.index.isin(actuals.index)
    forecast_elapsed = float(base.loc[elapsed, "volume"].sum())
    forecast_today = float(base.loc[is_today, "volume"].sum())
    actual = float(actuals["volume"].sum())
    ratio = actual / forecast_elapsed if forecast_elapsed > 0 else 1.0
    share = min(forecast_elapsed / forecast_today, 1.0) if forecast_today > 0 else 1.0
    today_factor = 1.0 + share * (ratio - 1.0)
    tomorrow_factor = 1.0 + tomorrow_weight * (today_factor - 1.0)
    aht_factor = 1.0
    if "aht_s" in actuals.columns and actual > 0:
        served = actuals["volume"] > 0
        actual_aht = float((actuals.loc[served, "aht_s"] * actuals.loc[served, "volume"]).sum() / actual)
        forecast_aht_s = base["aht_s"].reindex(actuals.index).to_numpy()
        forecast_aht = float((forecast_aht_s * actuals["volume"].to_numpy()).sum() / actual)
        aht_factor = 1.0 + share * (actual_aht / forecast_aht - 1.0)
    rest = base[~elapsed].copy()
    factor = np.where(local_dates(rest.index) == today, today_factor, tomorrow_factor)
    volume_columns = [c for c in rest.columns if c.startswith("volume")]
    rest[volume_columns] = rest[volume_columns].to_numpy() * factor[:, None]
    rest["aht_s"] = rest["aht_s"] * np.where(local_dates(rest.index) == today, aht_factor, 1.0)
    return Reforecast(
        frame=rest,
        ratio=ratio,
        elapsed_share=share,
        today_factor=today_factor,
        tomorrow_factor=tomorrow_factor,
        aht_factor=aht_factor,
    )
