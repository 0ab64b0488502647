"""Read and validate contact history: the history frame contract lives here.

History frame (what :func:`load_history` returns and every forecaster takes)
---------------------------------------------------------------------------
index ``interval_start``
    tz-aware ``DatetimeIndex`` in the site's IANA time zone, sorted, unique, one row per interval of 15, 30 or
    60 minutes, contiguous in absolute time (so a DST day has 23 or 25 hours of rows).
``volume`` : float
    Contacts offered in the interval [contacts], finite and >= 0.
``aht_s`` : float, optional
    Average handle time of the interval's contacts [s], > 0 where ``volume > 0`` and NaN where it is 0.

A CSV's optional ``queue`` column names each row's queue; :func:`load_history` takes one queue's rows, and
``forecasting.queues`` splits a history of several queues into one such frame per queue.

Problems are reported as ``column[row N]: problem`` where ``N`` is the 0-based position of the data row (row 0
is the first line after the CSV header); all problems are collected before :class:`HistoryError` is raised.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting._gaps import GAP_POLICIES, OFFSET, GapPolicy, fill_gaps, wall_clock_rows
from forecasting._grid import ALLOWED_INTERVAL_MIN, day_start, step
from forecasting.errors import ForecastInputError, HistoryError, HistoryIssue

DEFAULT_TIMEZONE = "Europe/Stockholm"
"""Zone assumed when none is given and the file's UTC offsets match it (the bundled example site)."""

DEFAULT_INTERVAL_MIN = 30
"""Interval length [min] that per-contact records are aggregated to unless told otherwise."""

INDEX_NAME = "interval_start"
_OFFSET = OFFSET
_NS_PER_MIN = 60_000_000_000


def row_issue(
    column: str, mask: np.ndarray, problem: str, values: pd.Series | None = None
) -> HistoryIssue | None:
    """Return an issue naming the first row where ``mask`` is true (and how many rows are bad), or None.

    The one format of row problems, ``column[row N]: problem ('value') [k rows]`` (also used by ``queues``).
    """
    bad = np.flatnonzero(mask)
    if bad.size == 0:
        return None
    row = int(bad[0])
    shown = f" ({values.iloc[row]!r})" if values is not None else ""
    more = f" [{bad.size} rows]" if bad.size > 1 else ""
    return HistoryIssue(f"{column}[row {row}]", f"{problem}{shown}{more}")


def _keep(issues: list[HistoryIssue], *found: HistoryIssue | None) -> None:
    issues.extend(i for i in found if i is not None)


def _check_timezone(timezone: str) -> str:
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ForecastInputError(field="timezone", problem=f"unknown IANA time zone {timezone!r}") from exc
    return timezone


def _parse_timestamps(
    values: pd.Series, column: str, issues: list[HistoryIssue]
) -> tuple[pd.Series, str | None]:
    """Parse ``values`` to UTC timestamps; return them with the zone name they carry (if any)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.as_unit("ns"), str(values.dt.tz)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        issues.append(HistoryIssue(column, "timestamps have no time zone; give them a UTC offset"))
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]"), None
    text = values.astype(str).str.strip()
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce").dt.as_unit("ns")
    unparsed = parsed.isna().to_numpy()
    no_offset = ~unparsed & ~text.str.contains(_OFFSET).to_numpy()
    _keep(
        issues,
        row_issue(column, unparsed, "not an ISO 8601 timestamp", text),
        row_issue(column, no_offset, "has no UTC offset (write e.g. 2025-01-06T08:00:00+01:00)", text),
    )
    return parsed.where(~no_offset), None


def _infer_timezone(utc: pd.Series, text: pd.Series | None, carried: str | None, timezone: str | None) -> str:
    """Return the site zone: the argument, the zone the data carries, or the default if offsets match."""
    if timezone is not None:
        return _check_timezone(timezone)
    if carried is not None and carried not in ("UTC", "utc") and "+" not in carried and "-" not in carried:
        return carried
    if text is not None:
        local = pd.to_datetime(text.str.strip().str.replace(_OFFSET, "", regex=True), format="ISO8601")
        offsets = local.dt.as_unit("ns") - utc.dt.tz_localize(None)
        default = utc.dt.tz_convert(DEFAULT_TIMEZONE).dt.tz_localize(None) - utc.dt.tz_localize(None)
        if bool((offsets == default).all()):
            return DEFAULT_TIMEZONE
    raise ForecastInputError(
        field="timezone",
        problem="cannot tell the site's time zone from UTC offsets; pass an IANA name, e.g. Europe/Stockholm",
    )


def _parse_numbers(
    values: pd.Series, column: str, issues: list[HistoryIssue]
) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``values`` to floats, reporting non-numeric entries; return the numbers and the missing mask."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        _keep(issues, row_issue(column, np.isinf(numbers), "not a finite number", values))
        return np.where(np.isinf(numbers), np.nan, numbers), np.isnan(numbers)
    text = values.astype(str).str.strip()
    missing = ((text == "") | values.isna()).to_numpy()
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = (~missing & np.isnan(numbers)) | np.isinf(numbers)
    _keep(issues, row_issue(column, bad, "not a number", text))
    return np.where(bad, np.nan, numbers), missing


def _check_grid(
    utc: pd.Series, timezone: str, interval_min: int | None, gaps: GapPolicy, issues: list[HistoryIssue]
) -> int | None:
    """Check order, uniqueness, interval length, grid alignment and gaps; return the interval length [min].

    Rows whose timestamp did not parse (NaT) are skipped; they are reported already.
    """
    pos = np.flatnonzero(~utc.isna().to_numpy())
    ns = utc.iloc[pos].to_numpy(dtype="datetime64[ns]").astype(np.int64)

    def rows(mask: np.ndarray) -> np.ndarray:
        full = np.zeros(len(utc), dtype=bool)
        full[pos[mask]] = True
        return full

    duplicated = pd.Series(ns).duplicated().to_numpy()
    if duplicated.any():
        k = int(np.flatnonzero(duplicated)[0])
        first = int(pos[np.flatnonzero(ns == ns[k])[0]])
        more = f" [{int(duplicated.sum())} rows]" if duplicated.sum() > 1 else ""
        issues.append(HistoryIssue(f"{INDEX_NAME}[row {pos[k]}]", f"duplicate of row {first}{more}"))
    unsorted = np.concatenate([[False], np.diff(ns) < 0])
    _keep(
        issues, row_issue(INDEX_NAME, rows(unsorted), "earlier than the row before; rows must be sorted by time")
    )
    # the common case, sorted and unique, needs no sort (np.unique costs seconds on millions of rows)
    unique_sorted = ns if not duplicated.any() and not unsorted.any() else np.unique(ns)
    if unique_sorted.size < 2:
        issues.append(HistoryIssue(INDEX_NAME, "needs at least two distinct intervals"))
        return None
    inferred = int(np.diff(unique_sorted).min() // _NS_PER_MIN)
    length = interval_min if interval_min is not None else inferred
    if length not in ALLOWED_INTERVAL_MIN:
        problem = f"interval length {length} min is not one of {ALLOWED_INTERVAL_MIN}"
        issues.append(HistoryIssue(INDEX_NAME, problem))
        return None
    if inferred != length:
        issues.append(
            HistoryIssue(INDEX_NAME, f"rows are {inferred} min apart, expected interval_min={length}")
        )
        return None
    local = pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True)).tz_convert(timezone)
    off_grid = (
        ((local.hour * 60 + local.minute) % length != 0) | (local.second != 0) | (local.microsecond != 0)
    )
    _keep(issues, row_issue(INDEX_NAME, rows(np.asarray(off_grid)), f"not on the {length}-minute grid"))
    missing = np.diff(unique_sorted) // (length * _NS_PER_MIN) - 1
    if gaps == "error" and missing.any():
        where = np.flatnonzero(missing)
        row = int(pos[np.flatnonzero(ns == unique_sorted[where[0] + 1])[0]])
        first_missing = pd.Timestamp(unique_sorted[where[0]], tz="UTC").tz_convert(timezone) + step(length)
        more = f" [{where.size} gaps, {int(missing.sum())} intervals]" if where.size > 1 else ""
        issues.append(
            HistoryIssue(
                f"{INDEX_NAME}[row {row}]",
                f"{int(missing[where[0]])} missing interval(s) before this row, from {first_missing.isoformat()}"
                f"{more}; set gaps to 'zero' (site closed) or 'seasonal' (data missing) to fill them",
            )
        )
    return length


def _rows_to_frame(
    rows: pd.DataFrame, *, timezone: str | None, interval_min: int | None, gaps: GapPolicy
) -> pd.DataFrame:
    """Validate interval rows (``interval_start`` column) and return the history frame."""
    if gaps not in GAP_POLICIES:
        raise ForecastInputError(field="gaps", problem=f"must be one of {GAP_POLICIES}, got {gaps!r}")
    issues: list[HistoryIssue] = []
    wall_clock = wall_clock_rows(rows, INDEX_NAME, _check_timezone(timezone) if timezone is not None else None)
    if wall_clock is not None:
        rows, utc = wall_clock
        carried: str | None = timezone
        _keep(issues, row_issue(INDEX_NAME, utc.isna().to_numpy(), "not an ISO 8601 timestamp", rows[INDEX_NAME]))
    else:
        utc, carried = _parse_timestamps(rows[INDEX_NAME], INDEX_NAME, issues)
    if "volume" not in rows.columns:
        issues.append(HistoryIssue("volume", "missing column"))
        volume = np.zeros(len(rows))
    else:
        volume, missing = _parse_numbers(rows["volume"], "volume", issues)
        _keep(
            issues,
            row_issue("volume", missing, "missing value"),
            row_issue("volume", volume < 0, "must be >= 0", rows["volume"]),
        )
    aht = None
    if "aht_s" in rows.columns:
        aht, missing = _parse_numbers(rows["aht_s"], "aht_s", issues)
        served = volume > 0
        _keep(
            issues,
            row_issue("aht_s", served & missing, "missing where volume > 0"),
            row_issue("aht_s", served & (aht <= 0), "must be > 0 where volume > 0", rows["aht_s"]),
        )
        aht = np.where(served, aht, np.nan)
    if "queue" in rows.columns and rows["queue"].nunique(dropna=False) > 1:
        problem = f"holds {rows['queue'].nunique()} queues; pass one queue's rows, or split them by queue"
        issues.append(HistoryIssue("queue", f"{problem} (forecasting.load_queue_histories)"))
    zone = None
    length = None
    valid = ~utc.isna().to_numpy()
    if valid.any():
        text = None if carried is not None else rows[INDEX_NAME].astype(str)[valid]
        try:
            zone = _infer_timezone(utc[valid], text, carried, timezone)
        except ForecastInputError as exc:
            if timezone is not None:
                raise
            issues.append(HistoryIssue(INDEX_NAME, exc.problem))
        else:
            length = _check_grid(utc, zone, interval_min, gaps, issues)
    if issues:
        raise HistoryError(issues)
    assert zone is not None  # no issues means zone and length were determined
    assert length is not None
    index = pd.DatetimeIndex(utc, name=INDEX_NAME).tz_convert(zone)
    columns: dict[str, np.ndarray] = {"volume": volume.astype(float)}
    if aht is not None:
        columns["aht_s"] = aht.astype(float)
    frame = pd.DataFrame(columns, index=index).sort_index()
    return frame if gaps == "error" else fill_gaps(frame, length, gaps)


MIN_HISTORY_ROWS = 2
"""Fewest rows a history may have: the interval length is read from consecutive rows."""

MAX_HISTORY_ROWS = 3_000_000
"""Default cap on history rows (about 100 MB of CSV; 85 years of 15-minute intervals); loading is linear,
about 5 s per 1.5 M rows on one core (benchmarks/bench_history.py)."""


def _read(source: str | Path | pd.DataFrame, max_rows: int) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        if INDEX_NAME not in frame.columns and frame.index.name in (INDEX_NAME, "timestamp"):
            frame = frame.reset_index()
        return frame
    path = Path(source)
    if path.is_dir():
        raise ForecastInputError(field="history", problem=f"{path} is a folder, not a CSV file")
    if not path.is_file():
        raise ForecastInputError(field="history", problem=f"no such file: {path}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, nrows=max_rows + 1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise HistoryError([HistoryIssue("history", f"not a readable CSV file: {exc}")]) from exc


def load_history(
    source: str | Path | pd.DataFrame,
    *,
    timezone: str | None = None,
    interval_min: int | None = None,
    fill_gaps: bool = False,
    gaps: GapPolicy | None = None,
    max_rows: int = MAX_HISTORY_ROWS,
) -> pd.DataFrame:
    """Read contact history from a CSV file or frame and return the validated history frame.

    Two inputs are understood: interval history ``interval_start,volume[,aht_s][,queue]`` (DESIGN.md), and
    per-contact records ``timestamp[,handle_time_s]``, which are aggregated by :func:`aggregate_contacts`.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        CSV path or a frame with the same columns (``interval_start`` may also be the index).
    timezone : str, optional
        The site's IANA time zone; the index is converted to it. If omitted, a zone carried by tz-aware
        input is used, or ``DEFAULT_TIMEZONE`` when every UTC offset in the file matches it.
    interval_min : int, optional
        Expected interval length [min]; inferred from the rows if omitted (aggregation: 30).
    fill_gaps : bool, default False
        Same as ``gaps="zero"`` (kept for existing callers).
    gaps : {"error", "zero", "seasonal"}, optional
        What to do with missing intervals (``forecasting._gaps``); default ``"error"``. With ``timezone``
        given, timestamps without offset are read as the site's wall clock, DST hours included.
    max_rows : int, default MAX_HISTORY_ROWS
        Most data rows accepted; a file is read no further than one row past it.

    Returns
    -------
    pandas.DataFrame
        The history frame described in this module's docstring.

    Raises
    ------
    HistoryError
        Listing every problem found (column, first bad row and count).
    ForecastInputError
        If the file does not exist or the time zone is unknown or cannot be inferred.
    """
    rows = read_history_rows(source, max_rows)
    policy: GapPolicy = gaps if gaps is not None else ("zero" if fill_gaps else "error")
    return history_from_rows(rows, timezone=timezone, interval_min=interval_min, gaps=policy)


def read_history_rows(source: str | Path | pd.DataFrame, max_rows: int = MAX_HISTORY_ROWS) -> pd.DataFrame:
    """Return the raw rows of a history CSV (all columns as text) or a copy of a history frame's rows.

    Raises
    ------
    HistoryError
        If the file is not a readable CSV or has more than ``max_rows`` data rows.
    ForecastInputError
        If the file does not exist or is a folder.
    """
    rows = _read(source, max_rows)
    if len(rows) > max_rows:
        problem = f"has more than {max_rows:,} rows, the most accepted (raise the row cap, or trim old rows)"
        raise HistoryError([HistoryIssue("history", problem)])
    return rows


def history_from_rows(
    rows: pd.DataFrame, *, timezone: str | None, interval_min: int | None, gaps: GapPolicy
) -> pd.DataFrame:
    """Validate one history's raw rows (interval history or per-contact records) into a history frame.

    The work of :func:`load_history` after reading; ``forecasting.queues`` calls it once per queue.

    Raises
    ------
    HistoryError, ForecastInputError
        As :func:`load_history`.
    """
    if len(rows) < MIN_HISTORY_ROWS and (INDEX_NAME in rows.columns or "timestamp" in rows.columns):
        problem = f"has {len(rows)} data rows; at least {MIN_HISTORY_ROWS} are needed to tell the interval length"
        raise HistoryError([HistoryIssue("history", problem)])
    if INDEX_NAME in rows.columns:
        return _rows_to_frame(rows, timezone=timezone, interval_min=interval_min, gaps=gaps)
    if "timestamp" in rows.columns:
        return aggregate_contacts(rows, timezone=timezone, interval_min=interval_min or DEFAULT_INTERVAL_MIN)
    raise HistoryError([HistoryIssue(INDEX_NAME, "missing column (or 'timestamp' for per-contact records)")])


def validate_history_frame(frame: pd.DataFrame, *, interval_min: int | None = None) -> None:
    """Check that ``frame`` meets the history frame contract; collect every problem before raising.

    Parameters
    ----------
    frame : pandas.DataFrame
        Candidate history frame (index ``interval_start``).
    interval_min : int, optional
        Expected interval length [min]; inferred if omitted.

    Raises
    ------
    HistoryError
        If the index is not a tz-aware ``interval_start`` index, or any row breaks the contract.
    """
    index = frame.index
    if index.name != INDEX_NAME or not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise HistoryError(
            [HistoryIssue(INDEX_NAME, "index must be a tz-aware DatetimeIndex named interval_start")]
        )
    _rows_to_frame(frame.reset_index(), timezone=str(index.tz), interval_min=interval_min, gaps="error")


def _local_bucket(utc: pd.Series, timezone: str, interval_min: int) -> pd.DatetimeIndex:
    """Floor UTC timestamps to the start of their local interval (works for half-hour zone offsets)."""
    local = pd.DatetimeIndex(utc).tz_convert(timezone)
    offset_ns = (local.tz_localize(None) - pd.DatetimeIndex(utc).tz_localize(None)).as_unit("ns").asi8
    ns = pd.DatetimeIndex(utc).as_unit("ns").asi8
    size = interval_min * _NS_PER_MIN
    floored = (ns + offset_ns) // size * size - offset_ns
    return pd.DatetimeIndex(pd.to_datetime(floored, unit="ns", utc=True)).tz_convert(timezone)


def aggregate_contacts(
    contacts: pd.DataFrame, *, timezone: str | None = None, interval_min: int = DEFAULT_INTERVAL_MIN
) -> pd.DataFrame:
    """Aggregate per-contact records into a history frame of whole local days.

    Parameters
    ----------
    contacts : pandas.DataFrame
        One row per contact: ``timestamp`` (ISO 8601 with UTC offset, or tz-aware) and optionally
        ``handle_time_s`` [s], > 0.
    timezone : str, optional
        The site's IANA time zone (see :func:`load_history` for the inference rule).
    interval_min : int, default 30
        Interval length [min] to count contacts in; 15, 30 or 60.

    Returns
    -------
    pandas.DataFrame
        History frame from local midnight of the first contact's day to the end of the last contact's day;
        ``volume`` counts contacts (0 where none), ``aht_s`` is their mean handle time.

    Raises
    ------
    HistoryError
        Listing every bad row (unparseable or offset-less timestamps, bad handle times).
    """
    if interval_min not in ALLOWED_INTERVAL_MIN:
        raise ForecastInputError(
            field="interval_min", problem=f"must be one of {ALLOWED_INTERVAL_MIN}, got {interval_min}"
        )
    if contacts.empty:
        raise HistoryError([HistoryIssue("timestamp", "no contact records")])
    issues: list[HistoryIssue] = []
    utc, carried = _parse_timestamps(contacts["timestamp"], "timestamp", issues)
    handle = None
    if "handle_time_s" in contacts.columns:
        handle, missing = _parse_numbers(contacts["handle_time_s"], "handle_time_s", issues)
        _keep(
            issues,
            row_issue("handle_time_s", missing, "missing value"),
            row_issue("handle_time_s", handle <= 0, "must be > 0", contacts["handle_time_s"]),
        )
    if issues:
        raise HistoryError(issues)
    text = None if carried is not None else contacts["timestamp"].astype(str)
    zone = _infer_timezone(utc, text, carried, timezone)
    buckets = _local_bucket(utc, zone, interval_min)
    dates = sorted(set(buckets.date))
    full = pd.date_range(
        day_start(dates[0], zone),
        day_start(dates[-1] + timedelta(days=1), zone),
        freq=step(interval_min),
        inclusive="left",
        name=INDEX_NAME,
    )
    counted = pd.DataFrame({"n": 1.0, "h": handle if handle is not None else np.nan}, index=buckets)
    grouped = counted.groupby(level=0)
    frame = pd.DataFrame({"volume": grouped["n"].sum()}).reindex(full, fill_value=0.0)
    if handle is not None:
        frame["aht_s"] = grouped["h"].mean().reindex(full)
    frame.index.name = INDEX_NAME
    return frame
