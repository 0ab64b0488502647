"""The demand frame: the contract between ``forecasting`` (writes it) and ``optimizer`` (reads it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from optimizer.domain import IDLE_AHT_S, INTERVAL_MINUTES_ALLOWED
from optimizer.errors import DataError, InputError, Issue

INDEX_NAME = "interval_start"
"""Name of the demand frame's index."""

__all__ = ["INDEX_NAME", "validate_demand_frame"]


def _stamp(ts: Any) -> str:
    return pd.Timestamp(ts).isoformat(timespec="minutes")


def _index_issues(index: pd.Index, interval_min: int | None) -> list[Issue]:
    if not isinstance(index, pd.DatetimeIndex):
        return [Issue(INDEX_NAME, f"must be a DatetimeIndex, got {type(index).__name__}")]
    issues = []
    if index.name != INDEX_NAME:
        issues.append(Issue(INDEX_NAME, f"the index must be named {INDEX_NAME!r}, got {index.name!r}"))
    if index.tz is None:
        issues.append(Issue(INDEX_NAME, "must be timezone-aware (e.g. 2026-01-05T08:00+01:00)"))
    if len(index) < 2:
        return issues
    step_ns = np.diff(index.as_unit("ns").asi8)
    if (step_ns <= 0).any():
        i = int(np.flatnonzero(step_ns <= 0)[0]) + 1
        issues.append(
            Issue(
                f"{INDEX_NAME}[{_stamp(index[i])}]",
                f"must be strictly increasing (follows {_stamp(index[i - 1])})",
            )
        )
        return issues
    want_ns = interval_min * 60 * 10**9 if interval_min is not None else int(step_ns[0])
    uneven = np.flatnonzero(step_ns != want_ns)
    if uneven.size:
        i = int(uneven[0]) + 1
        issues.append(
            Issue(
                f"{INDEX_NAME}[{_stamp(index[i])}]",
                f"must start {want_ns / 60e9:g} min after the previous interval, "
                f"got {step_ns[i - 1] / 60e9:g} min (an interval is missing or misplaced)",
            )
        )
    elif interval_min is None and want_ns / 60e9 not in INTERVAL_MINUTES_ALLOWED:
        allowed = ", ".join(str(m) for m in INTERVAL_MINUTES_ALLOWED)
        issues.append(Issue(INDEX_NAME, f"intervals are {want_ns / 60e9:g} min apart; allowed: {allowed}"))
    return issues


def _column_issues(
    frame: pd.DataFrame, column: str, rule: str, ok: Callable[[np.ndarray], np.ndarray]
) -> tuple[list[Issue], pd.Series | None]:
    if column not in frame.columns:
        return [Issue(column, "column is missing")], None
    raw = frame[column]
    if not (pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)):
        return [Issue(column, f"must be numeric, got dtype {raw.dtype}")], None
    values = raw.to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        bad = ~finite | ~ok(values)
    if not bad.any():
        return [], pd.Series(values, index=frame.index, name=column)
    i = int(np.flatnonzero(bad)[0])
    where = _stamp(frame.index[i]) if isinstance(frame.index, pd.DatetimeIndex) else str(i)
    problem = "must be finite" if not finite[i] else rule
    count = int(bad.sum())
    more = f" ({count} bad rows, the first shown)" if count > 1 else ""
    return [Issue(f"{column}[{where}]", f"{problem}, got {values[i]:g}{more}")], None


def _idle_aht_filled(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with ``IDLE_AHT_S`` where volume is 0 and AHT is NaN or 0 (the history format's empty)."""
    if "volume" not in frame.columns or "aht_s" not in frame.columns:
        return frame
    volume, aht = frame["volume"], frame["aht_s"]
    if not (pd.api.types.is_numeric_dtype(volume) and pd.api.types.is_numeric_dtype(aht)):
        return frame
    idle = (volume.to_numpy(dtype=np.float64) == 0) & ~(aht.to_numpy(dtype=np.float64) > 0)
    return frame.assign(aht_s=np.where(idle, IDLE_AHT_S, aht.to_numpy(dtype=np.float64))) if idle.any() else frame


def validate_demand_frame(frame: pd.DataFrame, *, interval_min: int | None = None) -> pd.DataFrame:
    """Check a demand frame and return it with float ``volume`` and ``aht_s`` columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Demand per interval, one row per interval ``[interval_start, interval_start + interval_min)``.
    interval_min : int, optional
        Interval length [min], one of 15, 30, 60. When None, the spacing of the first two rows is used
        and must be one of those.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` (extra columns such as ``volume_p80`` kept) with this contract:

        ==================  =================================================================================
        index               ``DatetimeIndex`` named ``interval_start``: timezone-aware, strictly increasing,
                            evenly spaced by ``interval_min`` in absolute time (DST days hold 23 or 25
                            hours of intervals; never 96 quarter-hours by assumption)
        ``volume``          contacts arriving in the interval, float, finite, >= 0
        ``aht_s``           average handle time of those contacts [s], float, finite, >= 0.001; where
                            ``volume`` is 0 an empty (NaN) or 0 AHT is accepted and becomes ``IDLE_AHT_S``
        ==================  =================================================================================

    Raises
    ------
    DataError
        Listing every problem found: a missing or non-numeric column, the first bad row of each column
        (``volume[2026-01-05T08:00+01:00]: must be >= 0, got -1``), and index problems (``interval_start``).
    InputError
        When ``interval_min`` is not 15, 30 or 60.
    """
    if interval_min is not None and interval_min not in INTERVAL_MINUTES_ALLOWED:
        allowed = ", ".join(str(m) for m in INTERVAL_MINUTES_ALLOWED)
        field = "interval_min"
        raise InputError.single(field, f"must be one of {allowed}, got {interval_min!r}")
    if not isinstance(frame, pd.DataFrame):
        raise DataError(Issue("demand", f"must be a pandas DataFrame, got {type(frame).__name__}"))
    if len(frame.index) == 0:
        raise DataError(Issue("demand", "has no rows"))
    issues = _index_issues(frame.index, interval_min)
    frame = _idle_aht_filled(frame)
    volume_issues, volume = _column_issues(frame, "volume", "must be >= 0", lambda v: v >= 0)
    aht_issues, aht = _column_issues(frame, "aht_s", "must be >= 0.001 s", lambda v: v >= 1e-3)
    issues += volume_issues + aht_issues
    if issues:
        raise DataError(issues)
    out = frame.copy()
    out["volume"] = volume
    out["aht_s"] = aht
    return out
