"""Generate the bundled example contact history, ``history.csv`` (seeded, reproducible).

Run ``python scenarios/bundled/make_history.py`` from the repository root to rewrite ``history.csv`` next to
this file. The output is byte-identical for a given seed and library versions (numpy's ``PCG64`` stream and
the ``holidays`` calendar).

Assumptions (every number the generator uses is a named constant below):

* **Site and grid.** A hybrid-service contact centre in time zone ``Europe/Stockholm``; 30-minute intervals;
  history from Monday 2025-11-24 00:00 to Sunday 2026-11-29 24:00 local (53 weeks), so the next week to plan
  is Monday 2026-11-30 .. Sunday 2026-12-06. Rows are contiguous in absolute time, so the DST days
  (2026-03-29, 23 h, and 2026-10-25, 25 h) have 46 and 50 rows.
* **What is counted.** Only contacts that reach people after the bot (the bot's automated share is already
  removed); a normal weekday brings about 1,500-2,500 of them.
* **Opening hours.** 07:00-22:00 local on weekdays, 09:00-18:00 on weekends and public holidays. Volume is
  exactly zero outside opening hours (the rows are still written, so the grid has no gaps).
* **Intraday profile.** Weekdays: morning ramp to a 09:30-11:00 peak, a lunch dip around 12:15, an afternoon
  peak around 14:30, then a decline into the evening. Weekends: one broad hump around 13:00.
* **Weekly seasonality.** Daily level relative to a Monday: Mon 1.00, Tue 0.92, Wed 0.88, Thu 0.86,
  Fri 0.80, Sat 0.30, Sun 0.22, with Monday at ``MONDAY_CONTACTS`` contacts.
* **Annual seasonality and trend.** A mild cosine peaking in mid-January (+/- 7 %), a summer-holiday dip
  centred on mid-July (-10 %), and a growth trend of +4 % a year.
* **Public holidays.** Swedish public holidays from ``holidays.country_holidays("SE")``, keeping only real
  public holidays (some versions of the calendar list every Sunday as "Söndag"/"Sunday"; those are dropped).
  De-facto holidays such as Christmas Eve are not modelled. On a holiday the site keeps weekend hours and
  volume falls to ``HOLIDAY_FACTOR`` of a normal weekday (near a closed day).
* **Post-holiday surge.** The first working day (Mon-Fri, not a holiday) after a holiday gets
  ``+25 %`` and the second one ``+15 %`` (the larger factor wins where two holidays overlap).
* **Noise.** A day-level multiplicative gamma shock (coefficient of variation ``DAY_CV``) and gamma-Poisson
  (negative-binomial) counts per interval with size ``NB_SIZE``, i.e. variance ``mu + mu**2 / NB_SIZE``.
  Volumes are integers.
* **Average handle time.** Around 300-420 s: 340 s base, longer in the evening and at weekends, shorter in the
  mid-morning rush, +4 % on post-holiday days. An interval's ``aht_s`` is the mean of its contacts' handle
  times, single handle times having CV ``HANDLE_CV`` (1: exponential, what Erlang C assumes): a gamma law with
  that mean and variance ``(HANDLE_CV * aht)**2 / n`` (exact for exponential handle times), so
  ``forecasting.measure_handle_cv`` reads ``HANDLE_CV`` back from it. It is drawn as the gamma quantile of a
  standard normal draw, the stream's draw of the first version of this file (whose noise was a fixed 60 s
  shrinking with volume), so the volumes are unchanged. ``aht_s`` is empty where the volume is zero (no
  contact, no handle time).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
from scipy import stats

SEED = 20251124
TIMEZONE = "Europe/Stockholm"
INTERVAL_MIN = 30
FIRST_DAY = date(2025, 11, 24)
LAST_DAY = date(2026, 11, 29)
COUNTRY = "SE"

MONDAY_CONTACTS = 2300.0
WEEKDAY_LEVEL = (1.00, 0.92, 0.88, 0.86, 0.80, 0.30, 0.22)
WEEKDAY_HOURS = (7.0, 22.0)
WEEKEND_HOURS = (9.0, 18.0)
ANNUAL_AMPLITUDE = 0.07
ANNUAL_PEAK_DOY = 15
SUMMER_DIP = 0.10
SUMMER_DIP_DOY = 196
SUMMER_DIP_WIDTH_DAYS = 18.0
TREND_PER_YEAR = 0.04
HOLIDAY_FACTOR = 0.05
POST_HOLIDAY_SURGE = (1.25, 1.15)
DAY_CV = 0.05
NB_SIZE = 60.0
AHT_BASE_S = 340.0
HANDLE_CV = 1.0
SUNDAY_NAMES = frozenset({"Söndag", "Sunday"})

OUTPUT = Path(__file__).with_name("history.csv")


def public_holidays(first: date, last: date) -> dict[date, str]:
    """Return the real Swedish public holidays between ``first`` and ``last`` (inclusive)."""
    calendar = holidays.country_holidays(COUNTRY, years=range(first.year, last.year + 1))
    return {d: n for d, n in sorted(calendar.items()) if first <= d <= last and n not in SUNDAY_NAMES}


def surge_factors(days: list[date], holiday_days: set[date]) -> dict[date, float]:
    """Return the post-holiday multiplier of the first and second working day after each holiday."""

    def is_working(d: date) -> bool:
        return d.weekday() < 5 and d not in holiday_days

    factors: dict[date, float] = {}
    for h in sorted(holiday_days):
        d, found = h, 0
        while found < len(POST_HOLIDAY_SURGE):
            d += timedelta(days=1)
            if is_working(d):
                factors[d] = max(factors.get(d, 1.0), POST_HOLIDAY_SURGE[found])
                found += 1
    return {d: f for d, f in factors.items() if d in set(days)}


def intraday_shape(clock_h: np.ndarray, weekend: bool) -> np.ndarray:
    """Return the unnormalised intraday shape at local clock time ``clock_h`` [h], zero when closed."""
    if weekend:
        open_h, close_h = WEEKEND_HOURS
        shape = np.exp(-0.5 * ((clock_h - 13.0) / 2.6) ** 2) + 0.25
    else:
        open_h, close_h = WEEKDAY_HOURS
        morning = 1.00 * np.exp(-0.5 * ((clock_h - 10.2) / 1.3) ** 2)
        lunch_dip = -0.30 * np.exp(-0.5 * ((clock_h - 12.25) / 0.45) ** 2)
        afternoon = 0.85 * np.exp(-0.5 * ((clock_h - 14.5) / 1.6) ** 2)
        evening = 0.30 * np.exp(-0.5 * ((clock_h - 18.5) / 2.0) ** 2)
        ramp = 1.0 / (1.0 + np.exp(-(clock_h - 8.0) * 2.5))
        shape = ramp * (morning + afternoon + evening + 0.12) + lunch_dip
    return np.where((clock_h >= open_h) & (clock_h < close_h), np.clip(shape, 0.02, None), 0.0)


def annual_factor(d: date) -> float:
    """Return the mild annual seasonality times trend for day ``d``."""
    doy = d.timetuple().tm_yday
    cosine = 1.0 + ANNUAL_AMPLITUDE * np.cos(2.0 * np.pi * (doy - ANNUAL_PEAK_DOY) / 365.25)
    summer = 1.0 - SUMMER_DIP * np.exp(-0.5 * ((doy - SUMMER_DIP_DOY) / SUMMER_DIP_WIDTH_DAYS) ** 2)
    trend = 1.0 + TREND_PER_YEAR * (d - FIRST_DAY).days / 365.25
    return float(cosine * summer * trend)


def aht_mean_s(clock_h: np.ndarray, weekend: bool, post_holiday: bool) -> np.ndarray:
    """Return the expected AHT [s] at local clock time ``clock_h`` [h]."""
    evening = 45.0 / (1.0 + np.exp(-(clock_h - 18.0) * 1.5))
    rush = -25.0 * np.exp(-0.5 * ((clock_h - 10.0) / 1.2) ** 2)
    aht = AHT_BASE_S + evening + rush + (20.0 if weekend else 0.0)
    return aht * (1.04 if post_holiday else 1.0)


def interval_aht(mean_s: np.ndarray, counts: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Return the mean handle time [s] of ``counts`` contacts around ``mean_s``: the gamma quantile of ``draw``.

    Gamma with shape ``n / HANDLE_CV**2`` and mean ``mean_s``: the mean of ``n`` handle times of CV
    ``HANDLE_CV`` (exactly, for exponential ones); ``draw`` is standard normal.
    """
    shape = np.maximum(counts, 1) / HANDLE_CV**2
    return np.asarray(stats.gamma.ppf(stats.norm.cdf(draw), shape, scale=mean_s / shape))


def generate(seed: int = SEED) -> pd.DataFrame:
    """Build the history frame: ``interval_start`` (tz-aware), ``volume`` [contacts], ``aht_s`` [s]."""
    rng = np.random.default_rng(seed)
    tz_start = pd.Timestamp(FIRST_DAY.isoformat()).tz_localize(TIMEZONE)
    tz_end = pd.Timestamp((LAST_DAY + timedelta(days=1)).isoformat()).tz_localize(TIMEZONE)
    step = f"{INTERVAL_MIN}min"
    index = pd.date_range(tz_start, tz_end, freq=step, inclusive="left", name="interval_start")
    local_dates = np.array(index.date)
    clock_h = np.asarray(index.hour + index.minute / 60.0, dtype=float)

    days = sorted(set(local_dates))
    holiday_days = set(public_holidays(FIRST_DAY, LAST_DAY))
    surge = surge_factors(days, holiday_days)

    volume = np.zeros(len(index), dtype=np.int64)
    aht = np.full(len(index), np.nan)
    for d in days:
        rows = np.flatnonzero(local_dates == d)
        holiday = d in holiday_days
        weekend = d.weekday() >= 5 or holiday
        shape = intraday_shape(clock_h[rows], weekend)
        level = MONDAY_CONTACTS * annual_factor(d) * rng.gamma(1.0 / DAY_CV**2, DAY_CV**2)
        level *= HOLIDAY_FACTOR if holiday else WEEKDAY_LEVEL[d.weekday()] * surge.get(d, 1.0)
        mu = level * shape / shape.sum()
        counts = rng.poisson(rng.gamma(NB_SIZE, mu / NB_SIZE, size=len(rows)) if mu.any() else mu)
        volume[rows] = counts
        mean_aht = aht_mean_s(clock_h[rows], weekend, d in surge)
        draw = rng.normal(0.0, 1.0, size=len(rows))
        aht[rows] = np.where(counts > 0, np.round(interval_aht(mean_aht, counts, draw), 1), np.nan)

    return pd.DataFrame({"volume": volume, "aht_s": aht}, index=index)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as ``interval_start,volume,aht_s`` with ISO 8601 timestamps carrying the UTC offset."""
    out = pd.DataFrame(
        {
            "interval_start": [t.isoformat() for t in frame.index],
            "volume": frame["volume"].to_numpy(),
            "aht_s": frame["aht_s"].to_numpy(),
        }
    )
    out.to_csv(path, index=False, float_format="%.1f", lineterminator="\n")


def main() -> None:
    """Generate the history and write it next to this file."""
    frame = generate()
    write_csv(frame, OUTPUT)
    daily = frame["volume"].groupby(np.array(pd.DatetimeIndex(frame.index).date)).sum()
    print(f"wrote {OUTPUT} ({len(frame)} rows, {len(daily)} days, mean {daily.mean():.0f} contacts/day)")


if __name__ == "__main__":
    main()
