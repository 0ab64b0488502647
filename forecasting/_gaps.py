"""Histories as sites export them: local wall-clock timestamps and missing intervals.

Local-time series
-----------------
Many exports write the local wall clock without a UTC offset (``2026-03-29 01:30``). Given the site's zone,
:func:`localize_wall_clock` places each row on the absolute time line:

- spring forward: the local hour that does not exist has no rows, which is no gap in absolute time; a row
  that falls in that hour is dropped when its volume is 0 (some exports write 24 rows every day) and
  reported otherwise;
- fall back: the repeated hour appears twice (the first pass is summer time, the second standard time);
  when an export lists it once, that row counted both passes, so it is split evenly over the two.

Gap policies (``gaps``)
-----------------------
``error``
    Missing intervals are reported (the default: a gap is usually an export problem).
``zero``
    Missing intervals get volume 0 and no AHT: right for a site that was closed.
``seasonal``
    Missing intervals repeat the same local weekday and wall-clock slot of the nearest week before (else
    after) that has it, volume and AHT: right for an outage of the data feed, not of the site.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd

from forecasting.errors import HistoryError, HistoryIssue

OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")
"""A UTC offset at the end of an ISO 8601 timestamp (``Z``, ``+01:00``, ``-0500``)."""

GapPolicy = Literal["error", "zero", "seasonal"]
GAP_POLICIES: tuple[str, ...] = ("error", "zero", "seasonal")
"""Allowed values of ``gaps`` (CLI ``--gaps``, config ``gaps``, API ``gaps``)."""

SEASONAL_WEEKS = 8
"""Weeks before and after a missing interval searched for the same weekday and wall-clock slot."""


def localize_wall_clock(
    text: pd.Series, volume_text: pd.Series | None, timezone: str
) -> tuple[pd.Series, np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Place local wall-clock timestamps (no offset) on the absolute time line of ``timezone``.

    Parameters
    ----------
    text : pandas.Series
        ISO 8601 local timestamps without offset, one per data row, in file order.
    volume_text : pandas.Series or None
        The rows' ``volume`` text, to tell a placeholder row in a skipped hour (0) from a real one.
    timezone : str
        The site's IANA zone.

    Returns
    -------
    utc : pandas.Series
        UTC timestamps of the kept rows (NaT where the text did not parse).
    source : numpy.ndarray
        For each returned timestamp, the position of the input row it comes from (a row split over the two
        passes of a repeated hour appears twice).
    share : numpy.ndarray
        The share of the source row's volume each returned row carries (1.0, or 0.5 for a split row).
    problems : list of (int, str)
        Rows that cannot be placed (a contact in an hour the clocks skip): position and problem.
    """
    naive = pd.to_datetime(text.str.strip(), format="ISO8601", errors="coerce")
    local = pd.DatetimeIndex(naive)
    as_dst = local.tz_localize(timezone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT")
    as_std = local.tz_localize(timezone, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="NaT")
    unparsed = np.asarray(local.isna())
    ambiguous = np.asarray(as_dst != as_std) & ~np.asarray(as_dst.isna())
    nonexistent = np.asarray(as_dst.isna()) & ~unparsed
    wall_ns = local.as_unit("ns").asi8
    seen: dict[int, int] = {}
    second_pass = np.zeros(len(local), dtype=bool)
    for i in np.flatnonzero(ambiguous):
        count = seen.get(int(wall_ns[i]), 0)
        second_pass[i] = count >= 1
        seen[int(wall_ns[i])] = count + 1
    stamps = np.where(second_pass, as_std.as_unit("ns").asi8, as_dst.as_unit("ns").asi8)
    problems: list[tuple[int, str]] = []
    keep = np.ones(len(local), dtype=bool)
    for i in np.flatnonzero(nonexistent):
        zero = volume_text is not None and pd.to_numeric(volume_text.iloc[i], errors="coerce") == 0
        if zero:
            keep[i] = False
        else:
            problems.append((int(i), f"{text.iloc[i].strip()} does not exist in {timezone} (clocks skip it)"))
    once = ambiguous & np.array([seen.get(int(t), 0) == 1 for t in wall_ns], dtype=bool)
    source = np.flatnonzero(keep)
    share = np.where(once[source], 0.5, 1.0)
    utc_ns = stamps[source]
    split = np.flatnonzero(once)
    if ambiguous.any():
        source = np.concatenate([source, split])
        share = np.concatenate([share, np.full(split.size, 0.5)])
        utc_ns = np.concatenate([utc_ns, as_std.as_unit("ns").asi8[split]])
        # the two passes of a repeated hour may be listed side by side (sorted as text); time order wins
        order = np.argsort(utc_ns, kind="stable")
        source, share, utc_ns = source[order], share[order], utc_ns[order]
    valid = ~unparsed[source]
    utc = pd.Series(pd.to_datetime(np.where(valid, utc_ns, 0), unit="ns", utc=True)).where(valid)
    return utc.astype("datetime64[ns, UTC]"), source, share, problems


def wall_clock_rows(
    rows: pd.DataFrame, column: str, timezone: str | None
) -> tuple[pd.DataFrame, pd.Series] | None:
    """Return history rows placed on the absolute time line if ``column`` holds local wall-clock times.

    None when no zone is known or any timestamp carries an offset (then offsets are the rule). A split row of
    a repeated hour carries half its volume in each copy.

    Raises
    ------
    HistoryError
        Naming each row in an hour the clocks skip that holds contacts.
    """
    values = rows[column]
    if timezone is None or pd.api.types.is_datetime64_any_dtype(values.dtype):
        return None
    text = values.astype(str).str.strip()
    if text.str.contains(OFFSET).any():
        return None
    volume = rows["volume"].astype(str) if "volume" in rows.columns else None
    utc, source, share, problems = localize_wall_clock(text, volume, timezone)
    if problems:
        raise HistoryError([HistoryIssue(f"{column}[row {row}]", problem) for row, problem in problems])
    placed = rows.iloc[source].reset_index(drop=True)
    if "volume" in placed.columns and (share < 1).any():
        numbers = pd.to_numeric(placed["volume"], errors="coerce")
        placed["volume"] = placed["volume"].where(share == 1, (numbers * share).astype(str))
    return placed, utc.reset_index(drop=True)


def fill_gaps(frame: pd.DataFrame, interval_min: int, policy: GapPolicy) -> pd.DataFrame:
    """Return ``frame`` on its full interval grid with missing intervals filled by ``policy``.

    Parameters
    ----------
    frame : pandas.DataFrame
        History frame (``forecasting.history``) that may miss intervals.
    interval_min : int
        Interval length [min].
    policy : {"zero", "seasonal"}
        How to fill (module docstring).

    Returns
    -------
    pandas.DataFrame
        The frame on ``pd.date_range(first, last, interval)``; ``aht_s`` stays NaN where volume is 0.
    """
    full = pd.date_range(frame.index.min(), frame.index.max(), freq=pd.Timedelta(minutes=interval_min))
    out = frame.reindex(full.rename(frame.index.name))
    missing = out["volume"].isna().to_numpy()
    if policy == "seasonal" and missing.any():
        wall = pd.DatetimeIndex(frame.index).tz_localize(None)
        known = frame.set_axis(wall)
        known = known[~known.index.duplicated(keep="first")]
        targets = pd.DatetimeIndex(out.index[missing]).tz_localize(None)
        filled = pd.DataFrame(np.nan, index=targets, columns=frame.columns)
        for weeks in [w for k in range(1, SEASONAL_WEEKS + 1) for w in (-k, k)]:
            todo = filled["volume"].isna().to_numpy()
            if not todo.any():
                break
            source = known.reindex(targets[todo] + pd.Timedelta(weeks=weeks))
            filled.iloc[np.flatnonzero(todo)] = source.to_numpy()
        out.iloc[np.flatnonzero(missing), :] = filled[out.columns].to_numpy()
    out["volume"] = out["volume"].fillna(0.0)
    if "aht_s" in out.columns:
        out["aht_s"] = out["aht_s"].where(out["volume"] > 0)
    return out
