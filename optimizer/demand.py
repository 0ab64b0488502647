"""The demand frame: the contract between ``forecasting`` (writes it) and ``optimizer`` (reads it).

Also the one home of the conversion between demand rows (``DemandInterval``, the JSON form) and the frame,
and of demand uplifts (``DemandUplift``: what-if scenarios and re-plans scale volume with the same type).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, Field, model_validator

from optimizer.domain import IDLE_AHT_S, INTERVAL_MINUTES_ALLOWED, DemandInterval, DomainType
from optimizer.errors import DataError, InputError, Issue

INDEX_NAME = "interval_start"
"""Name of the demand frame's index."""

__all__ = ["INDEX_NAME", "DemandUplift", "demand_frame", "demand_rows", "uplift_factors", "validate_demand_frame"]


class DemandUplift(DomainType):
    """A multiplier on demand volume in a window: local days and times of day, an absolute span, or both.

    An interval is uplifted when its start lies on one of ``dates`` (every day when empty), at or after
    ``start_time`` and before ``end_time`` on the local clock, and in ``[start, end)``. Overlapping uplifts
    multiply. Scenario files write ``factor`` with local days and times; a re-plan's ``+40% START/END`` terms
    become ``factor=1.4`` with ``start`` and ``end`` (:meth:`change`).
    """

    factor: float = Field(
        ge=0.0, le=11.0, description="Multiplier of the volume (1.3 = +30%; 0 removes it), at most 11 (+1000%)."
    )
    dates: tuple[dt.date, ...] = Field((), description="Local days it applies to; empty for every day.")
    start_time: dt.time | None = Field(None, description="Local time of day it starts (inclusive); null 00:00.")
    end_time: dt.time | None = Field(None, description="Local time of day it ends (exclusive); null 24:00.")
    start: AwareDatetime | None = Field(None, description="First instant it applies to (timezone-aware); null: open.")
    end: AwareDatetime | None = Field(None, description="End of the span, exclusive (timezone-aware); null: open.")

    @model_validator(mode="after")
    def _window_ordered(self) -> Self:
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            msg = "end_time must be after start_time"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _span_ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.end <= self.start:
            msg = "end must be after start"
            raise ValueError(msg)
        return self

    @classmethod
    def change(cls, change_pct: float, start: dt.datetime, end: dt.datetime) -> DemandUplift:
        """Return the uplift of a volume change in percent (+40 = 1.4 x) over ``[start, end)``."""
        return cls(factor=1.0 + change_pct / 100.0, start=start, end=end)

    def covers(self, index: pd.DatetimeIndex, timezone: str | dt.tzinfo) -> np.ndarray:
        """Return, per interval start of ``index``, whether the uplift applies (days and times in ``timezone``)."""
        local = index.tz_convert(timezone)
        mask = np.ones(len(index), dtype=bool)
        if self.dates:
            mask &= np.isin(np.array(local.date), np.array(self.dates))
        minute = np.asarray(local.hour * 60 + local.minute)
        if self.start_time is not None:
            mask &= minute >= self.start_time.hour * 60 + self.start_time.minute
        if self.end_time is not None:
            mask &= minute < self.end_time.hour * 60 + self.end_time.minute
        if self.start is not None:
            mask &= np.asarray(index >= pd.Timestamp(self.start))
        if self.end is not None:
            mask &= np.asarray(index < pd.Timestamp(self.end))
        return mask

    def describe(self) -> str:
        """Return a short text such as ``x1.3 on 2026-12-28,2026-12-29 08:00-12:00``."""
        out = f"x{self.factor:g}"
        if self.dates:
            out += " on " + ",".join(d.isoformat() for d in self.dates)
        if self.start_time is not None or self.end_time is not None:
            lo = self.start_time.strftime("%H:%M") if self.start_time else "00:00"
            hi = self.end_time.strftime("%H:%M") if self.end_time else "24:00"
            out += f" {lo}-{hi}"
        if self.start is not None or self.end is not None:
            out += f" in {self.start.isoformat() if self.start else ''}/{self.end.isoformat() if self.end else ''}"
        return out


def uplift_factors(index: pd.DatetimeIndex, uplifts: Sequence[DemandUplift], timezone: str | dt.tzinfo) -> np.ndarray:
    """Return the volume multiplier of every interval start of ``index``: the product of the uplifts covering it."""
    factor = np.ones(len(index))
    for u in uplifts:
        factor[u.covers(index, timezone)] *= u.factor
    return factor


def demand_frame(rows: Sequence[DemandInterval], *, timezone: str | dt.tzinfo | None = None) -> pd.DataFrame:
    """Return demand rows as a demand frame (``interval_start`` index; ``volume``, ``aht_s``, ``volume_cv``).

    ``volume_cv`` is there only when a row has one (NaN in the rows without).

    Parameters
    ----------
    rows : sequence of DemandInterval
        Demand per interval, in order. Rows may carry different UTC offsets (a week over a DST change).
    timezone : str or tzinfo, optional
        Zone of the index (an IANA name such as ``Europe/Stockholm``); by default the first row's UTC offset.
        The index holds the rows' instants either way.
    """
    utc = pd.DatetimeIndex(pd.to_datetime([d.interval_start for d in rows], utc=True), name=INDEX_NAME)
    if timezone is None:
        timezone = dt.timezone(rows[0].interval_start.utcoffset() or dt.timedelta(0)) if rows else dt.UTC
    columns = {"volume": [float(d.volume) for d in rows], "aht_s": [float(d.aht_s) for d in rows]}
    if any(d.volume_cv is not None for d in rows):
        columns["volume_cv"] = [np.nan if d.volume_cv is None else float(d.volume_cv) for d in rows]
    return pd.DataFrame(columns, index=utc.tz_convert(timezone).as_unit("ns"))


def demand_rows(frame: pd.DataFrame) -> tuple[DemandInterval, ...]:
    """Return a demand frame's ``volume``, ``aht_s`` and ``volume_cv`` as demand rows (the JSON form)."""
    stamps: Iterable[pd.Timestamp] = frame.index
    cvs = frame["volume_cv"] if "volume_cv" in frame.columns else pd.Series(np.nan, index=frame.index)
    return tuple(
        DemandInterval(
            interval_start=ts.to_pydatetime(),
            volume=float(v),
            aht_s=float(a),
            volume_cv=None if pd.isna(cv) else float(cv),
        )
        for ts, v, a, cv in zip(stamps, frame["volume"], frame["aht_s"], cvs, strict=True)
    )


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
