"""Histories and forecasts of several queues: one history frame and one forecast per queue (issue 15).

A history names each row's queue in an optional ``queue`` column (``interval_start,volume[,aht_s][,queue]``,
DESIGN.md), or comes as one file per queue. :func:`load_queue_histories` reads it once, splits it by queue and
validates each queue's rows exactly as :func:`forecasting.load_history` validates a one-queue history (gap
policy, wall clock and DST, interval inference), then checks what the queues share: one interval length and
one time zone. :func:`forecast_queues` forecasts each queue on its own, so ``model="auto"`` chooses a
forecaster per queue. A history without a ``queue`` column is one queue: :func:`forecasting.load_history`
reads it as it always has.

Queue names follow the id rule of worker ids: 1-64 letters, digits, ``_``, ``.`` or ``-``, starting with a
letter or digit.

Problems are reported as :func:`forecasting.load_history` reports them: a problem in one queue's rows names
the column and the row of the file (``volume[row 1234]``) and ends with the queue (``(queue 'chat')``); a
problem of the queues as a whole (unconfigured or absent queues, different interval lengths) names
``history.queue``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting._gaps import GapPolicy
from forecasting._grid import infer_interval_min
from forecasting.backtest import DEFAULT_HORIZON_DAYS
from forecasting.calendar import Event
from forecasting.errors import ForecastInputError, HistoryError, HistoryIssue
from forecasting.history import MAX_HISTORY_ROWS, history_from_rows, read_history_rows, row_issue
from forecasting.selection import AUTO_FOLDS, ChosenForecast, ForecasterName, choose_and_forecast

QUEUE_COLUMN = "queue"
"""History column naming each row's queue."""

QUEUE_FIELD = "history.queue"
"""Field named by problems of the queues as a whole."""

QUEUE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
"""Queue names: the id rule of ``optimizer.domain`` (worker ids), repeated as forecasting imports no optimizer."""

MAX_QUEUES = 1000
"""Most queues one history may hold: each is validated and forecast on its own (``auto``: a backtest each), so
a column of per-row ids read as queues would otherwise run for hours instead of failing at once."""

_NOT_AN_ID = "not a queue name (1-64 letters, digits, '_', '.', '-', starting with a letter or digit)"
_ROW = re.compile(r"\brow (\d+)\b")

HistorySource = str | Path | pd.DataFrame
"""A history CSV path or a frame with the CSV's columns (as :func:`forecasting.load_history` takes)."""


def has_queue_column(source: HistorySource) -> bool:
    """Return whether a history CSV (its header only is read) or frame has a ``queue`` column.

    A missing or unreadable file gives False, so that :func:`forecasting.load_history` reports it as before.
    """
    if isinstance(source, pd.DataFrame):
        return QUEUE_COLUMN in source.columns
    try:
        header = pd.read_csv(source, nrows=0)
    except (OSError, ValueError):
        return False
    return QUEUE_COLUMN in header.columns


def load_queue_histories(
    source: HistorySource | Mapping[str, HistorySource],
    *,
    timezone: str | None = None,
    interval_min: int | None = None,
    gaps: GapPolicy | None = None,
    max_rows: int = MAX_HISTORY_ROWS,
    queues: Sequence[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the history of several queues and return one validated history frame per queue.

    Parameters
    ----------
    source : str, pathlib.Path, pandas.DataFrame, or mapping of queue name to one of them
        One history with a ``queue`` column, or one history per queue (a file per queue may have a
        ``queue`` column; it must then name that queue only). Without a ``queue`` column, a single history
        is accepted when ``queues`` names exactly one queue: it is that queue's.
    timezone : str, optional
        The site's IANA time zone, as for :func:`forecasting.load_history` (inferred per queue if omitted).
    interval_min : int, optional
        Expected interval length [min]; inferred per queue if omitted. Every queue must have the same.
    gaps : {"error", "zero", "seasonal"}, optional
        Missing-interval policy applied to each queue; default ``"error"``.
    max_rows : int, default MAX_HISTORY_ROWS
        Most data rows accepted per file (all queues of a file together).
    queues : sequence of str, optional
        The configured queue names. When given, a history queue not among them, and a configured queue
        without history rows, are problems; the result follows this order.

    Returns
    -------
    dict of str to pandas.DataFrame
        Queue name to history frame (``forecasting.history``), in the order of ``queues`` if given, else
        of first appearance in the file (or of the mapping).

    Raises
    ------
    HistoryError
        Listing every problem found: bad or missing queue names (``queue[row N]``), unconfigured or absent
        queues and different interval lengths or time zones (``history.queue``), and every problem of each
        queue's rows as :func:`forecasting.load_history` reports it, with the queue named.
    ForecastInputError
        If a file does not exist, the time zone or gap policy is unknown, or a configured name is not a
        queue name (``queues``).
    """
    if queues is not None:
        _check_queue_names(queues)
    policy: GapPolicy = gaps if gaps is not None else "error"
    if isinstance(source, Mapping):
        parts, issues = _read_files(source, max_rows)
    else:
        parts, issues = _split(read_history_rows(source, max_rows), queues)
    if parts or not issues:  # no queue column, or no valid name at all: the issues so far say it all
        issues.extend(_check_configured(list(parts), queues))
    histories: dict[str, pd.DataFrame] = {}
    for name, (rows, file_rows) in parts.items():
        try:
            histories[name] = history_from_rows(rows, timezone=timezone, interval_min=interval_min, gaps=policy)
        except HistoryError as exc:
            issues.extend(_in_queue(issue, name, file_rows) for issue in exc.issues)
    if not issues:
        issues.extend(_check_shared_grid(histories))
    if issues:
        raise HistoryError(issues)
    order = list(dict.fromkeys(queues)) if queues is not None else list(histories)
    return {name: histories[name] for name in order}


def forecast_queues(
    histories: Mapping[str, pd.DataFrame],
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    model: ForecasterName | str = "auto",
    country: str | None = None,
    events: Sequence[Event] = (),
    quantiles: Sequence[float] = (),
    aht_s: float | None = None,
    weekend: Sequence[int] | None = None,
    folds: int = AUTO_FOLDS,
    bias_correction: bool = True,
) -> dict[str, ChosenForecast]:
    """Forecast every queue from its own history, as :func:`forecasting.choose_and_forecast` forecasts one.

    Each queue is a separate forecast: ``auto`` runs its backtest on that queue alone and may choose a
    different forecaster for each; the same settings apply to all.

    Parameters
    ----------
    histories : mapping of str to pandas.DataFrame
        Queue name to history frame (:func:`load_queue_histories`); one interval length and time zone.
    horizon_days : int, default 7
        Whole local days to forecast after each queue's history [days].
    model, country, events, quantiles, aht_s, weekend, folds, bias_correction
        As for :func:`forecasting.choose_and_forecast`.

    Returns
    -------
    dict of str to ChosenForecast
        Queue name to its forecast (demand frame, forecaster name, backtest), in the order of ``histories``.

    Raises
    ------
    HistoryError
        If there are no queues, the queues differ in interval length or time zone (``history.queue``), or a
        queue's history is invalid (its problems name the queue).
    ForecastInputError
        On a non-positive horizon, bad quantiles or an unknown model.
    """
    if not histories:
        raise HistoryError([HistoryIssue(QUEUE_FIELD, "no queues to forecast")])
    shared = _check_shared_grid(histories)
    if shared:
        raise HistoryError(shared)
    out: dict[str, ChosenForecast] = {}
    for name, history in histories.items():
        try:
            out[name] = choose_and_forecast(
                history,
                horizon_days,
                model=model,
                country=country,
                events=events,
                quantiles=quantiles,
                aht_s=aht_s,
                weekend=weekend,
                folds=folds,
                bias_correction=bias_correction,
            )
        except HistoryError as exc:
            raise HistoryError([_in_queue(issue, name, None) for issue in exc.issues]) from None
    return out


_Part = tuple[pd.DataFrame, np.ndarray | None]
"""One queue's raw rows, and for each of them its row in the file (None: the rows are the file's own)."""


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _split(rows: pd.DataFrame, queues: Sequence[str] | None) -> tuple[dict[str, _Part], list[HistoryIssue]]:
    """Split one file's rows by the ``queue`` column (linear: one factorize and one group-by)."""
    if QUEUE_COLUMN not in rows.columns:
        configured = list(dict.fromkeys(queues or ()))
        if len(configured) == 1:
            return {configured[0]: (rows, None)}, []
        problem = "missing column: the history has no queue column to tell the queues' rows apart"
        if configured:
            problem += f" (configured: {_names(configured)})"
        return {}, [HistoryIssue(QUEUE_FIELD, problem)]
    if rows.empty:
        return {}, [HistoryIssue("history", "has no data rows")]
    rows = rows.reset_index(drop=True)
    raw_codes, raw_names = pd.factorize(rows[QUEUE_COLUMN])
    code_of: dict[str, int] = {}
    for raw in raw_names:
        code_of.setdefault(str(raw).strip(), len(code_of))
    names = list(code_of)
    if len(names) > MAX_QUEUES:
        problem = f"holds {len(names):,} different queues, more than the {MAX_QUEUES:,} accepted (the right column?)"
        return {}, [HistoryIssue(QUEUE_FIELD, problem)]
    # raw code -1 (a missing value) indexes the appended -1; names differing only in spaces share a code
    codes = np.array([code_of[str(raw).strip()] for raw in raw_names] + [-1], dtype=np.int64)[raw_codes]
    bad = [k for k, name in enumerate(names) if name and not QUEUE_ID_PATTERN.match(name)]
    missing = codes < 0
    if "" in names:
        missing |= codes == names.index("")
    text = rows[QUEUE_COLUMN].astype(str).str.strip() if bad else None
    issues = [
        found
        for found in (
            row_issue(QUEUE_COLUMN, missing, "missing value"),
            row_issue(QUEUE_COLUMN, np.isin(codes, bad), _NOT_AN_ID, text) if bad else None,
        )
        if found is not None
    ]
    kept = {k for k, name in enumerate(names) if name and k not in bad}
    groups = pd.Series(codes).groupby(codes, sort=False).indices
    parts: dict[str, _Part] = {
        names[k]: (rows.iloc[positions].drop(columns=QUEUE_COLUMN).reset_index(drop=True), np.asarray(positions))
        for k, positions in groups.items()
        if k in kept
    }
    return parts, issues


def _read_files(sources: Mapping[str, HistorySource], max_rows: int) -> tuple[dict[str, _Part], list[HistoryIssue]]:
    """Read one history per queue; a file's own ``queue`` column may name its queue only."""
    if not sources:
        return {}, [HistoryIssue(QUEUE_FIELD, "no queues given")]
    parts: dict[str, _Part] = {}
    issues: list[HistoryIssue] = []
    for name, source in sources.items():
        if not QUEUE_ID_PATTERN.match(name):
            issues.append(HistoryIssue(QUEUE_FIELD, f"{_NOT_AN_ID} ({name!r})"))
            continue
        try:
            rows = read_history_rows(source, max_rows)
        except HistoryError as exc:
            issues.extend(_in_queue(issue, name, None) for issue in exc.issues)
            continue
        if QUEUE_COLUMN in rows.columns:
            values = rows[QUEUE_COLUMN].astype(str).str.strip()
            foreign = row_issue(QUEUE_COLUMN, (values != name).to_numpy(), "not this file's queue", values)
            if foreign is not None:
                issues.append(_in_queue(foreign, name, None))
            rows = rows.drop(columns=QUEUE_COLUMN)
        parts[name] = (rows, None)
    return parts, issues


def _check_configured(found: Sequence[str], queues: Sequence[str] | None) -> list[HistoryIssue]:
    """Return problems of history queues not configured and configured queues without history."""
    if queues is None:
        return []
    configured = list(dict.fromkeys(queues))
    unknown = [q for q in found if q not in set(configured)]
    present = set(found)
    absent = [q for q in configured if q not in present]
    issues = []
    if unknown:
        problem = f"queue(s) {_names(unknown)} in the history are not configured (configured: {_names(configured)})"
        issues.append(HistoryIssue(QUEUE_FIELD, problem))
    if absent:
        issues.append(HistoryIssue(QUEUE_FIELD, f"configured queue(s) {_names(absent)} have no history rows"))
    return issues


def _check_shared_grid(histories: Mapping[str, pd.DataFrame]) -> list[HistoryIssue]:
    """Return problems if the queues' histories differ in interval length or time zone."""
    issues = []
    lengths = {name: infer_interval_min(h.index) for name, h in histories.items()}
    if len(set(lengths.values())) > 1:
        each = ", ".join(f"{name} {length} min" for name, length in lengths.items())
        issues.append(HistoryIssue(QUEUE_FIELD, f"queues must share one interval length, got {each}"))
    zones = {name: str(pd.DatetimeIndex(h.index).tz) for name, h in histories.items()}
    if len(set(zones.values())) > 1:
        each = ", ".join(f"{name} {zone}" for name, zone in zones.items())
        issues.append(HistoryIssue(QUEUE_FIELD, f"queues must share one time zone, got {each}; pass timezone"))
    return issues


def _in_queue(issue: HistoryIssue, name: str, file_rows: np.ndarray | None) -> HistoryIssue:
    """Return ``issue`` of one queue's rows with rows numbered as in the file and the queue named."""

    def in_file(match: re.Match[str]) -> str:
        row = int(match.group(1))
        return f"row {file_rows[row]}" if file_rows is not None and row < file_rows.size else match.group(0)

    return HistoryIssue(_ROW.sub(in_file, issue.field), f"{_ROW.sub(in_file, issue.problem)} (queue {name!r})")


def _check_queue_names(queues: Sequence[str]) -> None:
    """Raise if the configured queue names are not a sequence of names that keep the id rule."""
    if isinstance(queues, str):
        problem = f"must be a sequence of queue names, got the string {queues!r}"
        raise ForecastInputError(field="queues", problem=problem)
    bad = [q for q in queues if not (isinstance(q, str) and QUEUE_ID_PATTERN.match(q))]
    if bad:
        raise ForecastInputError(field="queues", problem=f"{_NOT_AN_ID}: {_names(bad)}")
