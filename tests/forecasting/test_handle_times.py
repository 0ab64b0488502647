"""The contact-level handle-time CV read back from an interval history's average handle times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecasting
from forecasting.handle_times import MIN_CREDIBLE_CV, measure_handle_cv

BUNDLED = Path(__file__).parents[2] / "scenarios" / "bundled"


def contact_history(
    cv: float,
    *,
    day_cv: float = 0.0,
    weeks: int = 8,
    per_interval: float = 40.0,
    seed: int = 0,
    start: str = "2026-03-02",
    open_days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6),
) -> pd.DataFrame:
    """Return an interval history whose ``aht_s`` is the mean of each interval's own lognormal handle times.

    Open 08:00-20:00 on ``open_days`` (Monday = 0), Poisson volumes around a daily hump, an expected AHT that
    moves with the clock and, with ``day_cv``, from day to day (drift no volume averages away). The default
    start spans the spring clock change (2026-03-29 in Europe/Stockholm).
    """
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=weeks * 7 * 48, freq="30min", tz="Europe/Stockholm", name="interval_start")
    hour = np.asarray(index.hour + index.minute / 60.0)
    open_ = (hour >= 8) & (hour < 20) & np.isin(np.asarray(index.day_of_week), open_days)
    volume = rng.poisson(np.where(open_, per_interval * (1.0 + 0.5 * np.sin(hour / 3.0)), 0.0))
    day = pd.factorize(index.normalize())[0]
    expected = 300.0 * (1.0 + 0.1 * np.cos(hour / 4.0)) * (1.0 + rng.normal(0.0, day_cv, day.max() + 1)[day])
    sigma2 = np.log1p(cv**2)
    handle = rng.lognormal(-0.5 * sigma2, np.sqrt(sigma2), volume.sum()) * np.repeat(expected, volume)
    served = volume > 0
    sums = np.add.reduceat(handle, np.cumsum(volume)[served] - volume[served])
    aht = np.full(len(index), np.nan)
    aht[served] = np.round(sums / volume[served], 1)
    return pd.DataFrame({"volume": volume, "aht_s": aht}, index=index)


@pytest.mark.parametrize("cv", [0.6, 1.0, 1.3, 2.0])
def test_the_contact_level_cv_is_read_back_from_interval_averages(cv):
    measured = [measure_handle_cv(contact_history(cv, seed=s)) for s in range(3)]
    assert all(m is not None for m in measured)
    values = np.array([m.cv for m in measured if m is not None])
    assert np.abs(values / cv - 1.0).max() < 0.08, values
    assert abs(values.mean() / cv - 1.0) < 0.05, values


def test_day_to_day_drift_of_the_aht_does_not_pass_for_spread_between_contacts():
    """AHT drifting 10% between days: read against the profile alone the drift would pass for contact spread
    (1.09 on this history); each day's own mean deviation takes it."""
    measured = measure_handle_cv(contact_history(1.0, day_cv=0.10, seed=4))
    assert measured is not None
    assert abs(measured.cv - 1.0) < 0.08
    assert 0.06 < measured.day_cv < 0.14


def test_a_sunday_to_thursday_site_across_a_clock_change_is_read():
    history = contact_history(1.3, open_days=(6, 0, 1, 2, 3), seed=2)
    assert (history.index.day_of_week[history["volume"] > 0] < 4).any()
    measured = measure_handle_cv(history)
    assert measured is not None
    assert abs(measured.cv - 1.3) < 0.1


def test_a_day_served_in_one_interval_does_not_take_the_fit_with_it():
    """Such a day's only deviation is its own drift (the residual is 0 and its variance term negative): it is
    left out, not weighed without end (it took the CV to 0 before)."""
    history = contact_history(1.3, seed=2)
    whole = measure_handle_cv(history)
    day = np.asarray(history.index.normalize() == pd.Timestamp("2026-03-10", tz="Europe/Stockholm"))
    served = np.flatnonzero(day & (history["volume"] > 0).to_numpy())
    volume, aht = history["volume"].to_numpy().copy(), history["aht_s"].to_numpy().copy()
    volume[served[1:]], aht[served[1:]] = 0, np.nan
    measured = measure_handle_cv(history.assign(volume=volume, aht_s=aht))
    assert whole is not None
    assert measured is not None
    assert abs(measured.cv - whole.cv) < 0.03


def test_a_volume_only_or_short_history_shows_no_spread():
    full = contact_history(1.0)
    assert measure_handle_cv(full.drop(columns="aht_s")) is None
    assert measure_handle_cv(full.assign(aht_s=np.nan)) is None
    assert measure_handle_cv(full.iloc[: 48 * 7]) is None  # one week: too few intervals in repeated slots


def test_smoothed_averages_are_not_taken_for_contact_spread():
    """An AHT column with a 5% noise that does not shrink with volume (smoothed or made up upstream) has no
    slope on 1 / n: the history shows no contact-level CV, and the plan keeps exponential handle times."""
    history = contact_history(1.0, seed=1)
    rng = np.random.default_rng(3)
    smooth = 300.0 * rng.lognormal(0.0, 0.05, len(history))
    history = history.assign(aht_s=np.where(history["volume"] > 0, smooth, np.nan))
    assert measure_handle_cv(history) is None


def test_the_bundled_histories_show_the_cv_their_generator_draws():
    from scenarios.bundled.make_history import HANDLE_CV

    measured = forecasting.measure_handle_cv(forecasting.load_history(BUNDLED / "history.csv"))
    assert measured is not None
    assert abs(measured.cv - HANDLE_CV) < 0.05
    assert measured.day_cv < 0.03  # the generator's only drift: +4% on post-holiday days
    queues = forecasting.load_queue_histories(BUNDLED / "multiskill-history.csv", queues=("phone", "chat", "email"))
    for name, frame in queues.items():
        spread = forecasting.measure_handle_cv(frame)
        assert spread is not None, name
        assert abs(spread.cv - HANDLE_CV) < 0.08, name
    assert MIN_CREDIBLE_CV < 0.5 * HANDLE_CV
