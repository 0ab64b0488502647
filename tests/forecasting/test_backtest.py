from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    BacktestReport,
    ForecastInputError,
    Score,
    SeasonalNaive,
    backtest,
    candidate_forecasters,
    choose_and_forecast,
    fit_forecaster,
    forecast,
    select_forecaster,
)
from tests.forecasting.conftest import synthetic_history


@dataclass(frozen=True)
class _Oracle:
    """Test forecaster: forecasts ``factor`` times the true volume (it peeks at the full history)."""

    truth: pd.DataFrame
    factor: float
    name: str = "oracle"

    def fit(self, train: pd.DataFrame) -> _Oracle:
        return _Oracle(self.truth[self.truth.index > train.index[-1]], self.factor, self.name)

    def forecast(self, horizon_intervals: int) -> pd.DataFrame:
        return self.truth.iloc[:horizon_intervals] * self.factor


def test_metrics_match_their_definitions(history):
    report = backtest(history, [_Oracle(history, 1.1), SeasonalNaive()], folds=2)
    oracle = report.score("oracle")
    assert oracle.wape == pytest.approx(0.1)
    assert oracle.bias == pytest.approx(0.1)
    assert oracle.intervals == 2 * 7 * 48
    test = history.iloc[-14 * 48 :]
    lag = history["volume"].shift(7 * 48)
    scales = [
        (history["volume"] - lag).abs()[history.index < start].mean() for start in (test.index[0], test.index[7 * 48])
    ]
    maes = [(0.1 * test["volume"].iloc[k * 336 : (k + 1) * 336]).mean() for k in (0, 1)]
    assert oracle.mase == pytest.approx(np.mean([m / s for m, s in zip(maes, scales, strict=True)]))
    assert report.chosen == "oracle"
    assert oracle.post_holiday_wape is None
    # each fold's total is 1.1 times the actual, so every fold misses by 1/1.1 - 1
    assert oracle.horizon_cv == pytest.approx(1 - 1 / 1.1)
    naive = report.score("seasonal_naive")
    misses = []
    for k in (0, 1):
        week = test["volume"].iloc[k * 336 : (k + 1) * 336]
        misses.append(week.sum() / lag.loc[week.index].sum() - 1)
    assert naive.horizon_cv == pytest.approx(np.sqrt(np.mean(np.square(misses))))
    # the rate CVs are read from the same out-of-sample errors
    from forecasting._profiles import ErrorModel, RateSpread

    lagged = lag.loc[test.index].to_numpy()
    assert naive.rate_cv == pytest.approx(ErrorModel.fit(test["volume"].to_numpy(), lagged).rate_cv)
    assert naive.rate_spread() == RateSpread.fit(test["volume"].to_numpy(), lagged)
    assert naive.rate_cv > 0.0


def test_report_frame_and_dict(history):
    report = backtest(history, candidate_forecasters(), folds=1)
    assert isinstance(report, BacktestReport)
    frame = report.to_frame()
    assert list(frame.index) == ["seasonal_naive", "ets", "regression"]
    assert {"wape", "mase", "bias", "post_holiday_wape", "post_holiday_bias", "chosen"} <= set(frame.columns)
    assert frame["chosen"].sum() == 1
    assert frame.loc[report.chosen, "wape"] == frame["wape"].min()
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["chosen"] == report.chosen
    assert [s["forecaster"] for s in payload["scores"]] == list(frame.index)


def test_too_many_folds_is_an_input_error(history):
    with pytest.raises(ForecastInputError, match="folds: 4 folds of 7 days need 49 complete days"):
        backtest(history, [SeasonalNaive()], folds=4)
    with pytest.raises(ForecastInputError, match="forecasters"):
        backtest(history, [], folds=1)


def test_auto_fit_picks_a_calendar_model_around_a_holiday(bundled_history):
    """Fast variant: two folds covering All Saints' Day (Sat 2026-10-31) and the surge after it."""
    history = bundled_history[bundled_history.index < pd.Timestamp("2026-11-09", tz="Europe/Stockholm")]
    report = backtest(history, candidate_forecasters("SE"), folds=2, country="SE")
    naive = report.score("seasonal_naive")
    chosen = report.score(report.chosen)
    assert report.chosen == "regression"
    assert chosen.post_holiday_intervals == 2 * 48
    assert chosen.wape <= 0.85 * naive.wape
    assert chosen.post_holiday_bias > naive.post_holiday_bias
    assert fit_forecaster(history, "auto", country="SE", folds=2).name == report.chosen


def test_choose_and_forecast_names_the_choice_and_forecasts_as_forecast_does():
    history = synthetic_history(days=35)
    chosen = choose_and_forecast(history, 2, quantiles=(0.8,), aht_s=300.0, folds=1)
    spec, report = select_forecaster(history, "auto", folds=1)
    assert report is not None
    assert chosen.backtest == report
    assert chosen.forecaster == spec.name == report.chosen
    expected = spec.fit(history).forecast(len(chosen.demand), quantiles=(0.8,))
    pd.testing.assert_frame_equal(chosen.demand, expected.assign(aht_s=expected["aht_s"].fillna(300.0)))
    named = choose_and_forecast(history, 2, model="seasonal_naive")
    assert (named.forecaster, named.backtest) == ("seasonal_naive", None)
    pd.testing.assert_frame_equal(named.demand, forecast(history, 2, model="seasonal_naive"))


@pytest.mark.slow
def test_bundled_history_eight_folds_beat_seasonal_naive(bundled_history):
    report = backtest(bundled_history, candidate_forecasters("SE"), folds=8, country="SE")
    naive = report.score("seasonal_naive")
    chosen = report.score(report.chosen)
    assert chosen.wape <= 0.85 * naive.wape
    assert chosen.mase < naive.mase
    assert naive.post_holiday_bias < 0
    assert abs(chosen.post_holiday_bias) < abs(naive.post_holiday_bias)
    assert chosen.post_holiday_bias > naive.post_holiday_bias


# ---- level correction -------------------------------------------------------------------------------------


def test_level_correction_is_the_mean_miss_shrunk_by_its_standard_error():
    from forecasting.backtest import level_correction

    assert level_correction([0.03, 0.03, 0.03]) == 1.03  # the same miss every fold: no doubt, no shrinking
    # mean 0.035, se^2 = var / n = (0.0005 / 3) / 4: 1 + 0.035 * (1 - se^2 / 0.035^2)
    assert level_correction([0.04, 0.02, 0.03, 0.05]) == round(1 + 0.035 * (1 - (0.0005 / 12) / 0.035**2), 4)
    assert level_correction([0.06, -0.05, 0.05, -0.04]) == 1.0  # noise around zero: left alone
    assert level_correction([0.0, 0.0]) == 1.0
    assert level_correction([0.1]) is None  # one fold cannot tell bias from noise


def test_a_forecaster_that_keeps_under_forecasting_is_scaled_back_to_its_level(history):
    report = backtest(history, [_Oracle(history, 0.9), _Oracle(history, 1.0, name="truth")], folds=2)
    assert report.score("oracle").volume_scale == round(1 / 0.9, 4)
    assert report.score("truth").volume_scale == 1.0


def _growing(weekly: float, days: int = 49) -> pd.DataFrame:
    """A noiseless history whose level grows by ``weekly`` a week, day by day."""
    frame = synthetic_history(days=days, seed=None)
    days = (frame.index - frame.index[0]) / pd.Timedelta(days=1)
    return frame.assign(volume=frame["volume"] * (1 + weekly) ** (np.floor(days) / 7))


def test_auto_scales_its_forecast_by_the_chosen_forecasters_correction_unless_turned_off():
    growing = _growing(0.05)
    scaled = choose_and_forecast(growing, 7, country=None)  # the default: corrected
    raw = choose_and_forecast(growing, 7, country=None, bias_correction=False)
    expected = scaled.backtest.score(scaled.forecaster).volume_scale
    assert expected > 1.02  # every forecaster trails a level that keeps growing
    assert scaled.volume_scale == expected
    assert raw.volume_scale == 1.0
    np.testing.assert_allclose(scaled.demand["volume"], raw.demand["volume"] * expected)
    np.testing.assert_allclose(scaled.demand["aht_s"], raw.demand["aht_s"])
    named = choose_and_forecast(growing, 7, model=scaled.forecaster, country=None, bias_correction=True)
    assert named.volume_scale == 1.0  # a named forecaster has no backtest to correct it by
    np.testing.assert_allclose(named.demand["volume"], raw.demand["volume"])


def _served_history(drift: float, *, cv: float = 1.0, intervals: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Intervals of ~40 contacts whose AHT is the gamma mean of their contacts' handle times (CV ``cv``) around
    an expected 300 s that itself misses by ``drift`` (relative, normal, independent per interval)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-01-05", periods=intervals, freq="30min", tz="Europe/Stockholm")
    n = rng.poisson(40.0, intervals).clip(1)
    expected = 300.0 * (1.0 + rng.normal(0.0, drift, intervals))
    shape = n / cv**2
    return pd.DataFrame({"volume": n, "aht_s": rng.gamma(shape, expected / shape)}, index=index)


@pytest.mark.parametrize("drift", [0.0, 0.05, 0.10])
def test_the_aht_miss_is_the_expected_ahts_beyond_the_contacts_own_spread(drift):
    """An AHT forecast of 300 s against intervals whose AHT scatters by their contacts' spread (CV 1 over ~40
    contacts: 16% per interval) and, with ``drift``, by an expected AHT that moves: the miss reads the drift."""
    from forecasting.backtest import aht_miss

    history = _served_history(drift)
    tested = np.ones(len(history), dtype=bool)
    miss = aht_miss(history, np.full(len(history), 300.0), tested, handle_cv=1.0)
    assert miss is not None
    assert abs(miss - drift) < 0.015
    assert aht_miss(history.drop(columns="aht_s"), np.full(len(history), 300.0), tested, 1.0) is None


def test_a_plans_error_is_the_workloads_the_rates_and_the_ahts_miss_in_quadrature():
    score = Score("x", 0.1, 0.5, 0.0, None, None, 10, 0, rate_cv=0.15, spread_per_contact=0.7, spread_share=0.0159)
    assert score.workload_cv() == pytest.approx(0.15)
    with_aht = dataclasses.replace(score, aht_cv=0.036)
    assert with_aht.workload_cv() == pytest.approx(np.hypot(0.15, 0.036))
    spread = with_aht.workload_spread()
    assert spread is not None
    assert spread.per_contact == 0.7
    assert spread.share == pytest.approx(0.0159 + 0.036**2)
    assert dataclasses.replace(score, rate_cv=None, spread_share=None).workload_spread() is None
