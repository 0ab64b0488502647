"""Contact-volume and AHT forecasting: history in, demand frame out.

``load_history`` reads and validates history; a forecaster spec (``SeasonalNaive``, ``WeeklyETS``,
``CalendarRegression``) is fitted with ``spec.fit(history)`` and gives the demand frame with
``fitted.forecast(horizon_intervals)``; ``backtest`` scores specs against each other and the seasonal-naive
baseline; ``fit_forecaster`` / ``forecast`` choose by backtest (``model="auto"``); ``load_queue_histories`` /
``forecast_queues`` do the same per queue for a history with a ``queue`` column; ``reforecast`` updates
today and tomorrow from today's actuals. This package never imports ``optimizer``, ``scenarios`` or ``api``.
"""

from forecasting._gaps import GAP_POLICIES, GapPolicy
from forecasting._grid import ALLOWED_INTERVAL_MIN, SeasonLengths, infer_interval_min, season_lengths
from forecasting._profiles import RateSpread
from forecasting.backtest import BacktestReport, Score, backtest, fold_windows
from forecasting.calendar import (
    DEFAULT_COUNTRY,
    WEEKDAY_NAMES,
    Event,
    check_country,
    day_features,
    load_events,
    post_holiday_days,
    public_holidays,
    weekend_days,
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
from forecasting.handle_times import HandleSpread, measure_handle_cv
from forecasting.history import (
    DEFAULT_TIMEZONE,
    MAX_HISTORY_ROWS,
    aggregate_contacts,
    load_history,
    validate_history_frame,
)
from forecasting.intraday import (
    IntradayFactors,
    IntradayParams,
    Reforecast,
    intraday_factors,
    reforecast,
    scale_rest,
    update_forecast,
)
from forecasting.queues import (
    MAX_QUEUES,
    QUEUE_COLUMN,
    QUEUE_ID_PATTERN,
    forecast_queues,
    has_queue_column,
    load_queue_histories,
)
from forecasting.selection import (
    AUTO_FOLDS,
    FORECASTER_NAMES,
    ChosenForecast,
    ForecasterName,
    candidate_forecasters,
    choose_and_forecast,
    choose_forecaster,
    corrected_fit,
    correction_note,
    fill_aht,
    fit_forecaster,
    forecast,
    has_backtest_history,
    make_forecaster,
    select_forecaster,
)

__all__ = [
    "ALLOWED_INTERVAL_MIN",
    "AUTO_FOLDS",
    "DEFAULT_COUNTRY",
    "DEFAULT_TIMEZONE",
    "MAX_HISTORY_ROWS",
    "MAX_QUEUES",
    "QUEUE_COLUMN",
    "QUEUE_ID_PATTERN",
    "FORECASTER_NAMES",
    "GAP_POLICIES",
    "WEEKDAY_NAMES",
    "BacktestReport",
    "CalendarRegression",
    "ChosenForecast",
    "Event",
    "FittedForecaster",
    "ForecastInputError",
    "Forecaster",
    "RateSpread",
    "ForecasterName",
    "ForecastingError",
    "GapPolicy",
    "HandleSpread",
    "HistoryError",
    "HistoryIssue",
    "IntradayFactors",
    "IntradayParams",
    "Reforecast",
    "Score",
    "SeasonLengths",
    "SeasonalNaive",
    "WeeklyETS",
    "aggregate_contacts",
    "backtest",
    "candidate_forecasters",
    "choose_and_forecast",
    "choose_forecaster",
    "day_features",
    "fill_aht",
    "measure_handle_cv",
    "corrected_fit",
    "correction_note",
    "fit_forecaster",
    "fold_windows",
    "forecast",
    "forecast_queues",
    "infer_interval_min",
    "has_backtest_history",
    "has_queue_column",
    "intraday_factors",
    "load_events",
    "load_history",
    "load_queue_histories",
    "make_forecaster",
    "select_forecaster",
    "post_holiday_days",
    "public_holidays",
    "check_country",
    "quantile_column",
    "reforecast",
    "scale_rest",
    "season_lengths",
    "update_forecast",
    "validate_history_frame",
    "weekend_days",
]
