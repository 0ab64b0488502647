from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    CalendarRegression,
    Event,
    ForecastInputError,
    SeasonalNaive,
    WeeklyETS,
    forecast,
    reforecast,
)
from forecasting.intraday import DEFAULT_CREDIBILITY_CONTACTS, IntradayParams
from tests.forecasting.conftest import synthetic_history

SPECS = [SeasonalNaive(), WeeklyETS(), CalendarRegression()]


def _day_totals(frame: pd.DataFrame) -> pd.Series:
    return frame["volume"].groupby(frame.index.date).sum()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_demand_frame_contract(spec, history):
    frame = spec.fit(history).forecast(7 * 48, quantiles=[0.5, 0.8])
    assert frame.index.name == "interval_start"
    assert str(frame.index.tz) == "Europe/Stockholm"
    assert frame.index[0] == history.index[-1] + pd.Timedelta(minutes=30)
    assert (np.diff(frame.index.asi8) == np.diff(frame.index.asi8)[0]).all()
    assert list(frame.columns) == ["volume", "aht_s", "volume_p50", "volume_p80"]
    assert len(frame) == 336
    assert (frame["volume"] >= 0).all()
    assert (frame["aht_s"] > 0).all()
    assert (frame["volume_p80"] >= frame["volume_p50"]).all()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_always_closed_slots_stay_zero(spec, history):
    frame = spec.fit(history).forecast(7 * 48)
    hours = frame.index.hour
    night = (hours < 8) | (hours >= 17)
    sunday = frame.index.day_of_week == 6
    assert (frame.loc[night | sunday, "volume"] == 0).all()
    assert frame.loc[~night & ~sunday & (frame.index.day_of_week < 5), "volume"].min() > 0


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize(
    ("start", "dst_day", "intervals"), [("2026-03-01", "2026-03-29", 46), ("2026-09-27", "2026-10-25", 50)]
)
def test_dst_days_in_history_and_forecast(spec, start, dst_day, intervals):
    day = pd.Timestamp(dst_day).date()
    history = synthetic_history(start, days=28)  # ends the day before the DST day
    frame = spec.fit(history).forecast(intervals + 48)
    per_day = frame.groupby(frame.index.date).size()
    assert per_day[day] == intervals
    assert frame.index[-1] - frame.index[0] == pd.Timedelta(minutes=30 * (len(frame) - 1))
    spanning = synthetic_history(start, days=35)  # contains the DST day
    assert spanning.groupby(spanning.index.date).size()[day] == intervals
    after = spec.fit(spanning).forecast(7 * 48)
    assert after.groupby(after.index.date).size().tolist() == [48] * 7
    assert after["volume"].sum() > 0


def test_seasonal_naive_repeats_last_week_and_starts_any_weekday():
    history = synthetic_history("2026-01-14", days=21, seed=None)  # a Wednesday
    frame = SeasonalNaive().fit(history).forecast(7 * 48)
    np.testing.assert_allclose(frame["volume"].to_numpy(), history["volume"].iloc[-7 * 48 :].to_numpy())


@pytest.mark.parametrize("spec", [WeeklyETS(), CalendarRegression()], ids=lambda s: s.name)
def test_daily_models_recover_a_noiseless_weekly_pattern(spec):
    history = synthetic_history("2026-01-14", days=42, seed=None)
    totals = _day_totals(spec.fit(history).forecast(7 * 48))
    expected = _day_totals(history.iloc[-7 * 48 :])
    np.testing.assert_allclose(totals.to_numpy(), expected.to_numpy(), rtol=0.02, atol=1.0)


@pytest.mark.parametrize("interval_min", [15, 60])
def test_other_interval_lengths(interval_min):
    history = synthetic_history(days=28, interval_min=interval_min)
    per_day = 24 * 60 // interval_min
    frame = CalendarRegression().fit(history).forecast(per_day)
    assert len(frame) == per_day
    assert frame.index[1] - frame.index[0] == pd.Timedelta(minutes=interval_min)
    assert _day_totals(frame).iloc[0] == pytest.approx(_day_totals(history).iloc[-7], rel=0.15)


def test_regression_learns_holidays_and_post_holiday_surge(bundled_history):
    history = bundled_history[bundled_history.index < pd.Timestamp("2026-10-26", tz="Europe/Stockholm")]
    totals = _day_totals(CalendarRegression(country="SE").fit(history).forecast(14 * 48))
    day = {d.isoformat(): v for d, v in totals.items()}
    assert day["2026-11-02"] / day["2026-10-26"] > 1.12  # post-holiday Monday vs ordinary Monday
    assert day["2026-10-31"] < 0.4 * day["2026-11-07"]  # All Saints' Day (Saturday) near closed
    naive = _day_totals(SeasonalNaive().fit(history).forecast(14 * 48))
    assert naive[pd.Timestamp("2026-11-02").date()] < day["2026-11-02"] / 1.12


def test_known_event_effect_scales_its_day(history):
    event_day = (history.index[-1] + pd.Timedelta(days=3)).date()
    plain = _day_totals(CalendarRegression().fit(history).forecast(7 * 48))
    boosted = _day_totals(CalendarRegression(events=(Event(event_day, "campaign", 0.5),)).fit(history).forecast(7 * 48))
    assert boosted[event_day] == pytest.approx(1.5 * plain[event_day], rel=1e-9)
    others = [d for d in plain.index if d != event_day]
    np.testing.assert_allclose(boosted[others], plain[others])


def test_bad_inputs_raise_forecast_input_error(history):
    with pytest.raises(ForecastInputError, match="needs at least 3 complete weeks"):
        WeeklyETS().fit(history.iloc[: 14 * 48])
    fitted = SeasonalNaive().fit(history)
    with pytest.raises(ForecastInputError, match="horizon_intervals"):
        fitted.forecast(0)
    with pytest.raises(ForecastInputError, match=r"quantiles\[1\]"):
        fitted.forecast(10, quantiles=[0.5, 1.5])
    with pytest.raises(ForecastInputError, match="model: must be one of"):
        forecast(history, 7, model="prophet")


def test_forecast_whole_days_from_a_partial_day(history):
    partial = history.iloc[:-10]
    frame = forecast(partial, 2, model="seasonal_naive")
    assert len(frame) == 10 + 2 * 48
    assert frame.index[-1].isoformat() == "2026-02-17T23:30:00+01:00"


def test_reforecast_scales_rest_of_today_and_half_of_tomorrow(history):
    fitted = CalendarRegression().fit(history)
    base = fitted.forecast(2 * 48)
    actuals = base.iloc[:24].copy()  # until noon
    actuals["volume"] = np.round(actuals["volume"] * 1.4)
    actuals.loc[actuals["volume"] == 0, "aht_s"] = np.nan
    result = reforecast(fitted, actuals, params=IntradayParams(shrinkage="share"))
    share = base["volume"].iloc[:24].sum() / base["volume"].iloc[:48].sum()
    ratio = actuals["volume"].sum() / base["volume"].iloc[:24].sum()
    factors = result.factors
    assert factors.ratio == pytest.approx(ratio)
    assert factors.elapsed_share == pytest.approx(share)
    assert factors.today_factor == pytest.approx(1 + share * (ratio - 1))
    assert factors.tomorrow_factor == pytest.approx(1 + 0.5 * (factors.today_factor - 1))
    expected = base["volume"].iloc[:24].sum()
    default = reforecast(fitted, actuals).factors  # Buhlmann credibility on the expected contacts so far
    assert default.credibility == pytest.approx(expected / (expected + DEFAULT_CREDIBILITY_CONTACTS))
    assert result.frame.index[0] == actuals.index[-1] + pd.Timedelta(minutes=30)
    np.testing.assert_allclose(result.frame["volume"].iloc[:24], base["volume"].iloc[24:48] * factors.today_factor)
    np.testing.assert_allclose(result.frame["volume"].iloc[24:], base["volume"].iloc[48:] * factors.tomorrow_factor)
    with pytest.raises(ForecastInputError, match="must start at local midnight"):
        reforecast(fitted, actuals.iloc[2:])


def test_rate_spread_reads_a_cv_that_falls_with_the_forecast_size():
    """Rates with CV**2 = 0.9 / f + 0.02 (24% at 20 contacts, 16% at 200): the fit finds both parts, and one
    CV for all (ErrorModel) sits near the large intervals' CV, under the small ones'."""
    from forecasting import RateSpread
    from forecasting._profiles import ErrorModel

    rng = np.random.default_rng(12)
    mean = rng.uniform(5.0, 200.0, 40_000)
    cv = np.sqrt(0.9 / mean + 0.02)
    shape = 1.0 / cv**2
    counts = rng.poisson(mean * rng.gamma(shape, 1.0 / shape)).astype(float)
    spread = RateSpread.fit(counts, mean)
    assert spread.per_contact == pytest.approx(0.9, rel=0.15)
    assert spread.share == pytest.approx(0.02, abs=0.004)
    assert spread.cv(np.array([20.0, 200.0, 0.0])) == pytest.approx([np.sqrt(0.065), np.sqrt(0.0245), 0.0], abs=0.01)
    assert ErrorModel.fit(counts, mean).rate_cv < spread.cv(np.array([20.0]))[0] - 0.05
    flat = RateSpread.fit(rng.poisson(mean).astype(float), mean)  # arrivals' own randomness only
    assert flat.cv(np.array([20.0]))[0] < 0.05


def test_error_model_reads_the_rate_cv_of_gamma_poisson_counts():
    from forecasting._profiles import ErrorModel

    rng = np.random.default_rng(11)
    mean = rng.uniform(5.0, 200.0, 20_000)
    cv = 0.2
    rate = mean * rng.gamma(1.0 / cv**2, cv**2, mean.size)  # mean-preserving rate error with CV 0.2
    counts = rng.poisson(rate).astype(float)
    assert ErrorModel.fit(counts, mean).rate_cv == pytest.approx(cv, abs=0.01)
    poisson = rng.poisson(mean).astype(float)
    assert ErrorModel.fit(poisson, mean).rate_cv < 0.02  # arrivals' own randomness is not forecast error


def test_the_aht_profile_pools_neighbouring_slots_and_misses_the_true_aht_by_less(bundled_history):
    """The bundled history's AHT is the mean of each interval's contacts (CV 1), so one slot's eight weeks
    leave 4.4% of noise (RMS against the generator's expected AHT in the last week); pooling each slot with its
    neighbours an hour either side, weights 1-2-3-2-1, takes it to 2.2% without a bias (the expected AHT moves
    slowly with the clock)."""
    from forecasting._profiles import AhtProfile
    from scenarios.bundled import make_history as generator

    start = pd.Timestamp("2026-11-23", tz="Europe/Stockholm")
    test = (bundled_history.index >= start) & (bundled_history["volume"] > 0).to_numpy()
    index = pd.DatetimeIndex(bundled_history.index[test])
    weight = bundled_history["volume"].to_numpy()[test]
    clock = np.asarray(index.hour + index.minute / 60.0)
    weekend = np.asarray(index.day_of_week) >= 5
    true = np.where(weekend, generator.aht_mean_s(clock, True, False), generator.aht_mean_s(clock, False, False))
    forecast = AhtProfile.fit(bundled_history[bundled_history.index < start], 30).predict(index)
    miss = forecast / true - 1.0
    assert np.sqrt(np.average(miss**2, weights=weight)) < 0.025
    assert abs(np.average(miss, weights=weight)) < 0.005
