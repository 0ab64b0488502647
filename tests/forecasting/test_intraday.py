"""Intraday re-forecast: the credibility-weighted ratio to date, and which intervals it scales."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import IntradayParams, intraday_factors, update_forecast

TZ = "Europe/Stockholm"


def _forecast(days: int = 3, volume: float = 10.0, aht_s: float = 300.0) -> pd.DataFrame:
    index = pd.date_range("2026-12-01", periods=days * 48, freq="30min", tz=TZ, name="interval_start")
    return pd.DataFrame({"volume": volume, "aht_s": aht_s, "volume_p90": volume * 1.5}, index=index)


def _actuals(forecast: pd.DataFrame, until: str, factor: float, aht_s: float | None = None) -> pd.DataFrame:
    seen = forecast[forecast.index < pd.Timestamp(until, tz=TZ)][["volume", "aht_s"]].copy()
    seen["volume"] *= factor
    if aht_s is not None:
        seen["aht_s"] = aht_s
    return seen


def test_volume_credibility_is_buhlmann_weight_of_expected_contacts():
    forecast = _forecast()
    # 4 intervals elapsed: 40 contacts expected, 60 seen; K = 40 gives Z = 1/2.
    f = intraday_factors(
        forecast.iloc[:48], _actuals(forecast, "2026-12-01T02:00", 1.5), IntradayParams(credibility_contacts=40)
    )
    assert f.ratio == pytest.approx(1.5)
    assert f.forecast_elapsed_contacts == pytest.approx(40)
    assert f.credibility == pytest.approx(0.5)
    assert f.today_factor == pytest.approx(1.25)
    assert f.tomorrow_factor == pytest.approx(1.125)
    full = intraday_factors(
        forecast.iloc[:48], _actuals(forecast, "2026-12-01T02:00", 1.5), IntradayParams(credibility_contacts=0)
    )
    assert full.today_factor == pytest.approx(1.5)


def test_share_shrinkage_weights_by_the_elapsed_share_of_the_day():
    forecast = _forecast()
    f = intraday_factors(
        forecast.iloc[:48], _actuals(forecast, "2026-12-01T12:00", 2.0), IntradayParams(shrinkage="share")
    )
    assert f.elapsed_share == pytest.approx(0.5)
    assert f.today_factor == pytest.approx(1.5)


def test_aht_ratio_is_volume_weighted_and_shrunk_alike():
    forecast = _forecast()
    f = intraday_factors(
        forecast.iloc[:48],
        _actuals(forecast, "2026-12-01T02:00", 1.0, aht_s=360.0),
        IntradayParams(credibility_contacts=40),
    )
    assert f.aht_ratio == pytest.approx(1.2)
    assert f.aht_factor == pytest.approx(1.1)


def test_update_scales_the_rest_of_today_and_tomorrow_only():
    forecast = _forecast(days=3)
    now = pd.Timestamp("2026-12-01T10:00", tz=TZ)
    result = update_forecast(
        forecast, _actuals(forecast, "2026-12-01T10:00", 1.3), now, IntradayParams(credibility_contacts=0)
    )
    frame = result.frame
    assert frame.index[0] == now
    assert frame.index[-1] == pd.Timestamp("2026-12-02T23:30", tz=TZ)
    today = frame.index < pd.Timestamp("2026-12-02", tz=TZ)
    np.testing.assert_allclose(frame.loc[today, "volume"], 13.0)
    np.testing.assert_allclose(frame.loc[today, "volume_p90"], 19.5)
    np.testing.assert_allclose(frame.loc[~today, "volume"], 11.5)
    np.testing.assert_allclose(frame["aht_s"], 300.0)


def test_no_actuals_contacts_leave_the_forecast_alone():
    forecast = _forecast()
    f = intraday_factors(forecast.iloc[:48], _actuals(forecast, "2026-12-01T03:00", 1.0).iloc[:0])
    assert (f.ratio, f.credibility, f.today_factor) == (1.0, 0.0, 1.0)
