"""Generate the bundled several-queue history, ``multiskill-history.csv`` (seeded, reproducible).

Run ``python scenarios/bundled/make_multiskill.py`` from the repository root to rewrite the file next to
this one. It is derived from the bundled single-queue ``history.csv`` (same site, clock and holidays), last
``WEEKS`` weeks, so the several-queue example plans the same week as ``example.yaml``.

Assumptions (each a named constant below):

* **Split.** Every interval's contacts are split across three queues by a multinomial draw with shares that
  move through the day: phone ``PHONE_SHARE`` of the day's contacts (more in the morning), chat
  ``CHAT_SHARE`` (more in the evening: chat peaks after work), e-mail ``EMAIL_SHARE`` (flat through opening
  hours). Shares are renormalised per interval.
* **E-mail arrives on weekdays only** (weekend e-mail is moved to Monday morning's first four intervals, the
  backlog a Monday inherits).
* **Handle times.** Phone's expected AHT is the history's profile (its contact-weighted mean AHT of the same
  weekday and clock time); chat ``CHAT_AHT_S`` (one conversation, handled two at a time: the plan's chat
  target sets concurrency 2); e-mail ``EMAIL_AHT_S``. An interval's ``aht_s`` is the mean of its own
  contacts' handle times, single handle times of CV ``make_history.HANDLE_CV`` (``make_history.interval_aht``),
  so each queue's history shows the spread ``forecasting.measure_handle_cv`` reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.bundled.make_history import interval_aht

SEED = 20261130
WEEKS = 12
PHONE_SHARE = 0.55
CHAT_SHARE = 0.30
EMAIL_SHARE = 0.15
CHAT_AHT_S = 420.0
EMAIL_AHT_S = 480.0

HERE = Path(__file__).parent


def _shares(hour: np.ndarray) -> np.ndarray:
    """Return per-interval queue shares (phone, chat, e-mail) that move through the day, rows summing to 1."""
    phone = PHONE_SHARE * (1.0 + 0.25 * np.cos((hour - 10.0) / 12.0 * np.pi))
    chat = CHAT_SHARE * (1.0 + 0.35 * np.sin((hour - 13.0) / 12.0 * np.pi))
    email = np.full_like(hour, EMAIL_SHARE)
    out = np.stack([phone, chat, email], axis=1)
    return out / out.sum(axis=1, keepdims=True)


def _aht_profile(history: pd.DataFrame, stamps: pd.Series) -> np.ndarray:
    """Return every row's expected AHT [s]: the contact-weighted mean AHT of its weekday and clock time."""
    served = history["aht_s"].notna().to_numpy()
    key = (stamps.dt.day_of_week * 1440 + stamps.dt.hour * 60 + stamps.dt.minute).to_numpy()
    volume = history["volume"].to_numpy(dtype=float)
    weighted = pd.DataFrame({"key": key[served], "w": volume[served], "wa": (volume * history["aht_s"])[served]})
    sums = weighted.groupby("key")[["w", "wa"]].sum()
    profile = (sums["wa"] / sums["w"]).reindex(key).to_numpy()
    return np.where(np.isfinite(profile), profile, np.nan)


def build() -> pd.DataFrame:
    """Return the several-queue history: ``interval_start,queue,volume,aht_s`` rows, queue-major."""
    rng = np.random.default_rng(SEED)
    history = pd.read_csv(HERE / "history.csv")
    local = pd.to_datetime(history["interval_start"], utc=True).dt.tz_convert("Europe/Stockholm")
    first = local.iloc[-1].date() - pd.Timedelta(weeks=WEEKS) + pd.Timedelta(days=1)  # a Monday
    history = history[(local.dt.date >= first).to_numpy()].reset_index(drop=True)  # whole local days
    stamps = pd.to_datetime(history["interval_start"], utc=True).dt.tz_convert("Europe/Stockholm")
    hour = (stamps.dt.hour + stamps.dt.minute / 60.0).to_numpy()
    weekend = (stamps.dt.day_of_week >= 5).to_numpy()
    volume = history["volume"].to_numpy(dtype=np.int64)
    shares = _shares(hour)
    counts = np.array([rng.multinomial(v, p) for v, p in zip(volume, shares, strict=True)])
    # weekend e-mail waits for Monday: moved to the first four opening intervals of the next Monday
    email = counts[:, 2].copy()
    day = stamps.dt.normalize()
    for monday in sorted(day[(stamps.dt.day_of_week == 0).to_numpy()].unique()):
        before = ((day < monday) & (day >= monday - pd.Timedelta(days=2))).to_numpy()
        carried = int(email[before].sum())
        email[before] = 0
        opening = np.flatnonzero(((day == monday) & (volume > 0)).to_numpy())[:4]
        if len(opening):
            email[opening] += np.bincount(rng.integers(0, len(opening), carried), minlength=len(opening))
    email[weekend] = 0
    counts[:, 2] = email
    phone_aht = _aht_profile(history, stamps)
    frames = []
    handle = (
        ("phone", phone_aht),
        ("chat", np.full(len(history), CHAT_AHT_S)),
        ("email", np.full(len(history), EMAIL_AHT_S)),
    )
    for q, (name, aht) in enumerate(handle):
        noisy = interval_aht(aht, counts[:, q], rng.standard_normal(len(history)))
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": history["interval_start"],
                    "queue": name,
                    "volume": counts[:, q],
                    "aht_s": np.where(counts[:, q] > 0, np.round(noisy, 1), np.nan),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    build().to_csv(HERE / "multiskill-history.csv", index=False)
