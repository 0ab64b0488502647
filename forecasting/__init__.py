"""Contact-volume and AHT forecasting: history in, demand frame out.

``load_history`` reads and validates history; a forecaster spec (``SeasonalNaive``, ``WeeklyETS``,
``CalendarRegression``) is fitted with ``spec.fit(history)`` and gives the demand frame with
``fitted.forecast(horizon_intervals)``; ``backtest`` scores specs against each other and the seasonal-naive
baseline; ``fit_forecaster`` / ``forecast`` choose by backtest (``model="auto"``); ``reforecast`` updates
today and tomorrow from today's actuals. This package never imports ``optimizer``, ``scenarios`` or ``api``.
"""

from forecasting._grid import ALLOWED_INTERVAL_MIN, SeasonLengths, season_lengths
from forecasting.backtest import BacktestReport, Score, backtest
from forecasting.calendar import (
    DEFAULT_COUNTRY,
    Event,
    check_country,
    day_features,
    load_events,
    post_holiday_days,
    public_holidays,
)
from forecasting.errors import ForecastingError, ForecastInputError, HistoryError, HistoryIssue
from forecasting.forecasters import (
    CalendarRegression,
    FittedForecaster,
    Forecaster,
    SeasonalNaive,
    WeeklyETS,
    quantile_column,
)
from forecasting.history import (
    DEFAULT_TIMEZONE,
    MAX_HISTORY_ROWS,
    aggregate_contacts,
    load_history,
    validate_history_frame,
)
from forecasting.intraday import Reforecast, reforecast
from forecasting.selection import (
    FORECASTER_NAMES,
    candidate_forecasters,
    choose_forecaster,
    fit_forecaster,
    forecast,
    make_forecaster,
)

__all__ = [
    "ALLOWED_INTERVAL_MIN",
    "DEFAULT_COUNTRY",
    "DEFAULT_TIMEZONE",
    "MAX_HISTORY_ROWS",
    "FORECASTER_NAMES",
    "BacktestReport",
    "CalendarRegression",
    "Event",
    "FittedForecaster",
    "ForecastInputError",
    "Forecaster",
    "ForecastingError",
    "HistoryError",
    "HistoryIssue",
    "Reforecast",
    "Score",
    "SeasonLengths",
    "SeasonalNaive",
    "WeeklyETS",
    "aggregate_contacts",
    "backtest",
    "candidate_forecasters",
    "choose_forecaster",
    "day_features",
    "fit_forecaster",
    "forecast",
    "load_events",
    "load_history",
    "make_forecaster",
    "post_holiday_days",
    "public_holidays",
    "check_country",
    "quantile_column",
    "reforecast",
    "season_lengths",
    "validate_history_frame",
]
