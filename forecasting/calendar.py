"""Calendar features per local day: public holidays, post-holiday days, and user events.

A *working day* is a day outside the country's weekend and not a public holiday. The weekend comes from the
``holidays`` package's data for the country (Friday-Saturday in Israel, Saturday-Sunday in Sweden), or from
an explicit ``weekend`` (weekday numbers, Monday = 0) that overrides it. The first working day after one or more
holidays is ``post_holiday_1`` (it absorbs the contacts the closed days deferred) and the working day after
that is ``post_holiday_2``; the Monday after an ordinary weekend is neither.

Events CSV (``load_events``): ``date,name[,effect]`` with ISO dates; ``effect`` is the known relative change
of that day's volume (``0.3`` = +30 %, ``-0.5`` = half). Events without an effect are estimated by the
regression forecaster from past occurrences of the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from forecasting.errors import ForecastInputError, HistoryError, HistoryIssue

SUNDAY_NAMES = frozenset({"Söndag", "Sunday"})
"""Names some ``holidays`` versions give every Sunday in the Swedish calendar; not public holidays."""

DEFAULT_WEEKEND = frozenset({5, 6})
"""Weekend days (Monday = 0) without a country or an override: Saturday and Sunday."""

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Short weekday names, Monday first (config files name weekend days this way)."""

POST_HOLIDAY_LOOKBACK_DAYS = 14
"""Days before a range inspected to flag its first post-holiday days (longest holiday run + weekend)."""


@dataclass(frozen=True, slots=True)
class Event:
    """A dated user event: ``name`` on ``day`` with a known relative ``effect`` (None: estimate it)."""

    day: date
    name: str
    effect: float | None = None


DEFAULT_COUNTRY = "SE"
"""Holiday calendar used when none is named: the one of the default site (``history.DEFAULT_TIMEZONE``), so
``forecast``, ``plan`` and the API forecast the same history alike."""


def check_country(country: str | None) -> str | None:
    """Return ``country`` (upper-cased) when the ``holidays`` package knows it; ``None`` passes.

    Raises
    ------
    ForecastInputError
        If the country code is unknown.
    """
    if country is None:
        return None
    code = country.strip().upper()
    public_holidays(code, (2000,))
    return code


def public_holidays(country: str, years: Iterable[int]) -> dict[date, str]:
    """Return the public holidays of ``country`` in ``years``, without weekly Sundays.

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 country code understood by the ``holidays`` package, e.g. ``"SE"``.
    years : iterable of int
        Calendar years.

    Raises
    ------
    ForecastInputError
        If the country code is unknown.
    """
    try:
        calendar = holidays.country_holidays(country, years=sorted(set(years)))
    except NotImplementedError as exc:
        raise ForecastInputError(field="country", problem=f"no holiday calendar for {country!r}") from exc
    return {d: name for d, name in sorted(calendar.items()) if name not in SUNDAY_NAMES}


def load_events(path: str | Path) -> tuple[Event, ...]:
    """Read an events CSV ``date,name[,effect]``; collect every bad row before raising.

    Raises
    ------
    ForecastInputError
        If the file does not exist.
    HistoryError
        Naming each bad column and first bad row (``events.date[row 2]: not a date``).
    """
    file = Path(path)
    if file.is_dir():
        raise ForecastInputError(field="events", problem=f"{file} is a folder, not a CSV file")
    if not file.is_file():
        raise ForecastInputError(field="events", problem=f"no such file: {file}")
    try:
        rows = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ForecastInputError(field="events", problem=f"not a readable CSV file: {exc}") from None
    issues = [
        HistoryIssue(f"events.{c}", "missing column") for c in ("date", "name") if c not in rows.columns
    ]
    if issues:
        raise HistoryError(issues)
    days = pd.to_datetime(rows["date"].str.strip(), format="ISO8601", errors="coerce")
    names = rows["name"].str.strip()
    effects = (
        pd.to_numeric(rows["effect"].str.strip(), errors="coerce")  # "" becomes NaN
        if "effect" in rows.columns
        else pd.Series(np.nan, index=rows.index)
    )
    checks = [
        ("events.date", days.isna().to_numpy(), "not an ISO date"),
        ("events.name", (names == "").to_numpy(), "empty name"),
    ]
    if "effect" in rows.columns:
        given = (rows["effect"].str.strip() != "").to_numpy()
        checks.append(("events.effect", given & ~(effects > -1).to_numpy(), "must be a number > -1"))
    for field, mask, problem in checks:
        if mask.any():
            issues.append(HistoryIssue(f"{field}[row {int(np.flatnonzero(mask)[0])}]", problem))
    if issues:
        raise HistoryError(issues)
    return tuple(
        Event(day=d.date(), name=n, effect=None if np.isnan(e) else float(e))
        for d, n, e in zip(days, names, effects.to_numpy(dtype=float), strict=True)
    )


def weekend_days(country: str | None, weekend: Iterable[int] | None = None) -> frozenset[int]:
    """Return the weekend weekdays (Monday = 0) of a site.

    Parameters
    ----------
    country : str or None
        ISO country code; its weekend comes from the ``holidays`` package (``{4, 5}`` for ``"IL"``).
    weekend : iterable of int, optional
        Explicit weekend weekdays; overrides the country's.

    Raises
    ------
    ForecastInputError
        If a weekday is outside 0..6 or the country code is unknown.
    """
    if weekend is not None:
        days = frozenset(weekend)
        if not days <= frozenset(range(7)) or len(days) == 7:
            problem = f"weekend days must be distinct weekdays 0 (Monday) .. 6 and not all seven, got {sorted(days)}"
            raise ForecastInputError(field="weekend", problem=problem)
        return days
    if country is None:
        return DEFAULT_WEEKEND
    try:
        calendar = holidays.country_holidays(country)
    except NotImplementedError as exc:
        raise ForecastInputError(field="country", problem=f"no holiday calendar for {country!r}") from exc
    return frozenset(getattr(calendar, "weekend", DEFAULT_WEEKEND))


def _is_working(day: date, holiday_days: set[date], weekend: frozenset[int]) -> bool:
    return day.weekday() not in weekend and day not in holiday_days


def day_features(
    days: Sequence[date],
    country: str | None,
    events: Sequence[Event] = (),
    weekend: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Return calendar indicators for each local day.

    Parameters
    ----------
    days : sequence of datetime.date
        Local days, in any order.
    country : str or None
        Holiday calendar; None gives all-zero holiday columns.
    events : sequence of Event
        User events; each distinct name without an effect becomes an ``event:<name>`` column.
    weekend : iterable of int, optional
        Weekend weekdays (Monday = 0) overriding the country's (:func:`weekend_days`).

    Returns
    -------
    pandas.DataFrame
        Indexed by day: ``holiday``, ``post_holiday_1``, ``post_holiday_2`` (0/1), ``event_effect`` (sum of
        known relative effects, 0 if none) and one 0/1 ``event:<name>`` column per estimable event name.
    """
    index = pd.Index(list(days), name="day")
    frame = pd.DataFrame(
        0.0, index=index, columns=["holiday", "post_holiday_1", "post_holiday_2", "event_effect"]
    )
    if country is not None and len(index):
        first = min(days) - timedelta(days=POST_HOLIDAY_LOOKBACK_DAYS)
        last = max(days)
        holiday_days = set(public_holidays(country, range(first.year, last.year + 1)))
        off = weekend_days(country, weekend)
        level: dict[date, int] = {}
        previous_working: date | None = None
        gap_had_holiday = False
        day = first
        while day <= last:
            if day in holiday_days:
                gap_had_holiday = True
            elif _is_working(day, holiday_days, off):
                if gap_had_holiday:
                    level[day] = 1
                elif previous_working is not None and level.get(previous_working) == 1:
                    level[day] = 2
                previous_working, gap_had_holiday = day, False
            day += timedelta(days=1)
        frame["holiday"] = [float(d in holiday_days) for d in index]
        frame["post_holiday_1"] = [float(level.get(d) == 1) for d in index]
        frame["post_holiday_2"] = [float(level.get(d) == 2) for d in index]
    for event in events:
        if event.day not in frame.index:
            continue
        if event.effect is not None:
            frame.loc[frame.index == event.day, "event_effect"] += event.effect
        else:
            column = f"event:{event.name}"
            if column not in frame.columns:
                frame[column] = 0.0
            frame.loc[event.day, column] = 1.0
    return frame


def post_holiday_days(
    days: Sequence[date], country: str | None, weekend: Iterable[int] | None = None
) -> list[date]:
    """Return the days of ``days`` that are the first or second working day after a public holiday."""
    features = day_features(days, country, weekend=weekend)
    flagged = (features["post_holiday_1"] + features["post_holiday_2"]) > 0
    return [d for d, f in zip(features.index, flagged, strict=True) if f]
