"""Small synthetic histories for the forecasting tests (deterministic, a few weeks long)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

TZ = "Europe/Stockholm"
WEEKDAY_LEVEL = (1.0, 0.9, 0.85, 0.85, 0.8, 0.3, 0.0)  # Sunday always closed


def synthetic_history(
    start: str = "2026-01-12",
    days: int = 35,
    *,
    interval_min: int = 30,
    seed: int | None = 0,
    level: float = 1000.0,
    tz: str = TZ,
    surge: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Return a history frame: open 08-17 on weekdays, 10-14 on Saturdays, closed on Sundays and at night.

    ``seed=None`` gives noiseless (expected) volumes; ``surge`` multiplies named local dates.
    """
    first = pd.Timestamp(start).tz_localize(tz)
    last = (pd.Timestamp(start) + pd.Timedelta(days=days)).tz_localize(tz)
    index = pd.date_range(first, last, freq=f"{interval_min}min", inclusive="left", name="interval_start")
    clock = np.asarray(index.hour + index.minute / 60.0)
    weekday = np.asarray(index.day_of_week)
    weekend_open = (weekday == 5) & (clock >= 10) & (clock < 14)
    open_hours = np.where(weekday < 5, (clock >= 8) & (clock < 17), weekend_open)
    shape = np.where(open_hours, 1.0 + np.exp(-0.5 * ((clock - 10.5) / 1.5) ** 2), 0.0)
    per_day = pd.Series(shape).groupby(np.asarray(index.date)).transform("sum").to_numpy()
    factor = np.array([WEEKDAY_LEVEL[d] for d in weekday])
    if surge:
        dates = np.asarray([d.isoformat() for d in index.date])
        for day, mult in surge.items():
            factor = np.where(dates == day, factor * mult, factor)
    mean = np.divide(level * factor * shape, per_day, out=np.zeros_like(shape), where=per_day > 0)
    volume = mean if seed is None else np.random.default_rng(seed).poisson(mean).astype(float)
    aht = np.where(volume > 0, 300.0 + 2.0 * clock, np.nan)
    return pd.DataFrame({"volume": volume, "aht_s": aht}, index=index)


def write_history_csv(frame: pd.DataFrame, path) -> None:
    """Write a history frame in the DESIGN.md CSV format."""
    out = pd.DataFrame(
        {
            "interval_start": [t.isoformat() for t in frame.index],
            "volume": frame["volume"].to_numpy(),
            "aht_s": frame["aht_s"].to_numpy(),
        }
    )
    out.to_csv(path, index=False)


def three_queue_histories(days: int = 35) -> dict[str, pd.DataFrame]:
    """Return histories of three queues built from :func:`synthetic_history` (30-minute grid, seeded).

    ``voice``: the weekday, late-morning peak as is; ``chat``: the same shape 8 hours later (evening peak);
    ``email``: weekdays only, volume 0 and no AHT on weekends.
    """
    voice = synthetic_history(days=days, seed=0)
    chat = synthetic_history(days=days, seed=1, level=400.0)
    evening = 8 * 2  # intervals of 30 minutes
    chat = chat.assign(
        volume=np.roll(chat["volume"].to_numpy(), evening), aht_s=np.roll(chat["aht_s"].to_numpy(), evening)
    )
    email = synthetic_history(days=days, seed=2, level=200.0)
    weekend = np.asarray(email.index.day_of_week >= 5)
    email = email.assign(
        volume=np.where(weekend, 0.0, email["volume"]), aht_s=np.where(weekend, np.nan, email["aht_s"])
    )
    return {"voice": voice, "chat": chat, "email": email}


def queue_rows(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the CSV rows of several queues' histories with a ``queue`` column, interleaved by time."""
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "interval_start": [t.isoformat() for t in frame.index],
                    "volume": frame["volume"].to_numpy(),
                    "aht_s": frame["aht_s"].to_numpy(),
                    "queue": name,
                }
            )
            for name, frame in frames.items()
        ]
    )
    # as exports write them: interval by interval, every queue's row of an interval together (by position,
    # not by the text of the timestamps, which misorders the repeated hour of a DST fall-back)
    return rows.sort_index(kind="stable").reset_index(drop=True)


def write_queue_history_csv(frames: dict[str, pd.DataFrame], path) -> None:
    """Write several queues' histories as one CSV in the DESIGN.md format with a ``queue`` column."""
    queue_rows(frames).to_csv(path, index=False)


@pytest.fixture
def make_history() -> Callable[..., pd.DataFrame]:
    return synthetic_history


@pytest.fixture(scope="session")
def history() -> pd.DataFrame:
    return synthetic_history()


@pytest.fixture(scope="session")
def bundled_history() -> pd.DataFrame:
    from pathlib import Path

    from forecasting import load_history

    return load_history(Path(__file__).parents[2] / "scenarios" / "bundled" / "history.csv")
