"""Histories as real sites have them: volume only, local wall clock across DST, gaps, short, Sun-Thu weeks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from api.cli import main
from forecasting import (
    ForecastInputError,
    HistoryError,
    SeasonalNaive,
    day_features,
    forecast,
    load_history,
    select_forecaster,
    weekend_days,
)
from tests.conftest import run_bad_cli
from tests.forecasting.conftest import synthetic_history

TZ = "Europe/Stockholm"


def wall_clock_rows(start: str, days: int, *, repeated_hour_twice: bool = True) -> pd.DataFrame:
    """Return a local-time export (no UTC offsets): one row per half-hour, stamped with the wall clock."""
    first = pd.Timestamp(start).tz_localize(TZ)
    last = (pd.Timestamp(start) + pd.Timedelta(days=days)).tz_localize(TZ)
    instants = pd.date_range(first, last, freq="30min", inclusive="left")
    wall = instants.tz_localize(None)
    keep = np.ones(len(wall), dtype=bool)
    if not repeated_hour_twice:
        keep = ~pd.Series(wall).duplicated(keep="first").to_numpy()
    return pd.DataFrame({"interval_start": [t.isoformat() for t in wall[keep]], "volume": ["2"] * int(keep.sum())})


def test_local_time_series_across_spring_forward_loads_without_a_gap():
    rows = wall_clock_rows("2026-03-27", 4)
    history = load_history(rows, timezone=TZ)
    per_day = history.groupby(history.index.date).size()
    assert per_day[dt.date(2026, 3, 29)] == 46
    assert len(history) == 4 * 48 - 2


def test_local_time_series_across_fall_back_keeps_both_passes_of_the_repeated_hour():
    rows = wall_clock_rows("2026-10-23", 4)
    history = load_history(rows, timezone=TZ)
    assert history.groupby(history.index.date).size()[dt.date(2026, 10, 25)] == 50
    assert history["volume"].sum() == pytest.approx(2.0 * len(rows))
    once = load_history(wall_clock_rows("2026-10-23", 4, repeated_hour_twice=False), timezone=TZ)
    assert len(once) == len(history)
    # an export that lists the repeated hour once counted both passes there: split evenly, total kept
    assert once["volume"].sum() == pytest.approx(2.0 * (4 * 48))
    assert once["volume"].min() == pytest.approx(1.0)


def test_a_contact_in_the_skipped_hour_is_reported_and_a_zero_placeholder_is_dropped():
    naive = pd.date_range("2026-03-29T01:00", periods=6, freq="30min")
    rows = pd.DataFrame({"interval_start": [t.isoformat() for t in naive], "volume": ["1"] * 6})
    with pytest.raises(HistoryError, match=r"interval_start\[row 2\]: 2026-03-29T02:00:00 does not exist"):
        load_history(rows, timezone=TZ)
    rows.loc[[2, 3], "volume"] = "0"
    assert len(load_history(rows, timezone=TZ)) == 4
    with pytest.raises(HistoryError, match=r"interval_start\[row 0\]: has no UTC offset"):
        load_history(rows)


def _two_day_gap() -> pd.DataFrame:
    frame = synthetic_history(days=21, seed=3)
    rows = pd.DataFrame(
        {
            "interval_start": [t.isoformat() for t in frame.index],
            "volume": frame["volume"].to_numpy(),
            "aht_s": frame["aht_s"].to_numpy(),
        }
    )
    return rows.drop(index=range(9 * 48, 11 * 48)).reset_index(drop=True)


def test_a_two_day_gap_is_reported_or_filled_by_policy():
    rows = _two_day_gap()
    with pytest.raises(HistoryError, match=r"96 missing interval\(s\).*set gaps to 'zero'.*'seasonal'"):
        load_history(rows)
    zero = load_history(rows, gaps="zero")
    seasonal = load_history(rows, gaps="seasonal")
    missing = slice(9 * 48, 11 * 48)
    assert zero["volume"].iloc[missing].sum() == 0.0
    week_before = slice(2 * 48, 4 * 48)
    np.testing.assert_array_equal(
        seasonal["volume"].iloc[missing].to_numpy(), seasonal["volume"].iloc[week_before].to_numpy()
    )
    assert seasonal["volume"].iloc[missing].sum() > 0
    served = seasonal["volume"].iloc[missing] > 0
    assert seasonal["aht_s"].iloc[missing][served].notna().all()
    with pytest.raises(ForecastInputError, match="gaps: must be one of"):
        load_history(rows, gaps="interpolate")  # type: ignore[arg-type]


def test_volume_only_history_forecasts_volume_and_takes_a_default_aht():
    history = synthetic_history(days=21)[["volume"]]
    plain = forecast(history, 7, model="seasonal_naive")
    assert plain["volume"].sum() > 0
    assert plain["aht_s"].isna().all()
    with_default = forecast(history, 7, model="seasonal_naive", aht_s=240.0)
    assert (with_default["aht_s"] == 240.0).all()
    np.testing.assert_allclose(with_default["volume"], plain["volume"])
    with pytest.raises(ForecastInputError, match="aht_s: must be > 0"):
        forecast(history, 7, model="seasonal_naive", aht_s=0.0)


def test_auto_on_23_days_falls_back_to_seasonal_naive_with_any_fold_count():
    history = synthetic_history(days=23)
    spec, report = select_forecaster(history, "auto", folds=4)
    assert isinstance(spec, SeasonalNaive)
    assert report is None
    assert len(forecast(history, 7, model="auto")) > 0
    with pytest.raises(ForecastInputError, match="folds: must be >= 1"):
        select_forecaster(history, "auto", folds=0)


def test_israel_works_sunday_to_thursday_so_the_day_after_a_saturday_holiday_is_sunday():
    assert weekend_days("IL") == frozenset({4, 5})
    assert weekend_days("SE") == frozenset({5, 6})
    assert weekend_days("SE", weekend=(4, 5)) == frozenset({4, 5})
    # Yom Kippur 2024 fell on Saturday 12 October
    days = [dt.date(2024, 10, 9) + dt.timedelta(days=i) for i in range(8)]
    features = day_features(days, "IL")
    assert features.loc[dt.date(2024, 10, 12), "holiday"] == 1.0
    assert features.loc[dt.date(2024, 10, 13), "post_holiday_1"] == 1.0  # Sunday
    assert features.loc[dt.date(2024, 10, 14), "post_holiday_2"] == 1.0  # Monday
    monday_to_friday = day_features(days, "IL", weekend=(5, 6))
    assert monday_to_friday.loc[dt.date(2024, 10, 14), "post_holiday_1"] == 1.0
    with pytest.raises(ForecastInputError, match="weekend: weekend days must be"):
        weekend_days("SE", weekend=(7,))


def test_cli_forecast_takes_volume_only_histories_gaps_and_weekend(tmp_path, capsys):
    frame = synthetic_history(days=21)
    frame = frame.drop(frame.index[200:210])
    rows = pd.DataFrame({"interval_start": [t.isoformat() for t in frame.index], "volume": frame["volume"]})
    rows.to_csv(tmp_path / "h.csv", index=False)
    argv = ["forecast", "--history", str(tmp_path / "h.csv"), "--horizon-days", "2", "--model", "seasonal_naive"]
    line = run_bad_cli(capsys, [*argv, "--out", str(tmp_path / "f.csv")])
    assert "history: " not in line
    assert "interval_start[row 200]: 10 missing interval(s)" in line
    assert main([*argv, "--gaps", "seasonal", "--out", str(tmp_path / "f.csv")]) == 0
    assert "no AHT: the history has volume only" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "f.csv")["aht_s"].isna().all()
    assert (
        main([*argv, "--gaps", "zero", "--aht-s", "310", "--weekend", "fri,sat", "--out", str(tmp_path / "g.csv")]) == 0
    )
    assert (pd.read_csv(tmp_path / "g.csv")["aht_s"] == 310.0).all()
    line = run_bad_cli(capsys, [*argv, "--gaps", "zero", "--weekend", "fri,someday", "--out", str(tmp_path / "g.csv")])
    assert line.startswith("shiftmix: error: --weekend: not a comma-separated list of weekdays")

