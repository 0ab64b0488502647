"""New demand for a re-plan: a forecast (CSV or frame) over part of the horizon, or a manual uplift spec.

Uplift mini-grammar (whitespace around tokens is free)::

    spec  := term (";" term)*
    term  := sign percent "%" START "/" END
    sign  := "+" | "-"
    START, END := ISO 8601 date-time, e.g. 2026-12-27T08:00 or 2026-12-27T08:00+01:00

``+40% 2026-12-27T08:00/2026-12-27T14:00`` multiplies the volume of every interval starting in
``[08:00, 14:00)`` by 1.4. Timestamps without an offset are local to the problem's time zone (at the autumn DST
change the first occurrence of a repeated wall-clock time is meant). Windows must lie inside the horizon and
cover at least one interval; where windows overlap their factors multiply. Handle times are not changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pydantic import ValidationError

from optimizer.demand import INDEX_NAME, DemandUplift, demand_frame, demand_rows, uplift_factors, validate_demand_frame
from optimizer.domain import DemandInterval, PlanningProblem
from optimizer.errors import DataError, InputError, Issue

MIN_CHANGE_PCT = -100.0
"""Least volume change of an uplift term [%] (all contacts gone)."""

MAX_CHANGE_PCT = 1000.0
"""Most volume change of an uplift term [%] (11 x)."""

_TERM = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d+)?)\s*%\s*(\S+?)\s*/\s*(\S+)\s*$")


def _timestamp(text: str, zone: ZoneInfo) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def parse_uplift(spec: str | Sequence[str], timezone: str, *, field: str = "uplift") -> tuple[DemandUplift, ...]:
    """Parse one or more uplift terms such as ``"+40% 2026-12-27T08:00/2026-12-27T14:00"``.

    Parameters
    ----------
    spec : str or sequence of str
        Terms separated by ``;``, or given one (or more) per element (a repeated command-line flag).
    timezone : str
        IANA zone that timestamps without an offset are local to.
    field : str, default "uplift"
        Name used in error messages; terms are numbered ``field[i]`` from 0 over all elements.

    Returns
    -------
    tuple of DemandUplift

    Raises
    ------
    InputError
        Naming the bad term: not of the form ``±P% START/END``, a timestamp that is not ISO 8601, an end
        not after its start, or a change below -100%.
    """
    texts = [spec] if isinstance(spec, str) else list(spec)
    terms = [t.strip() for text in texts for t in text.split(";") if t.strip()]
    if not terms:
        raise InputError.single(field, "is empty; expected terms like '+40% 2026-12-27T08:00/2026-12-27T14:00'")
    zone = ZoneInfo(timezone)
    out = []
    for i, term in enumerate(terms):
        where = f"{field}[{i}]"
        match = _TERM.match(term)
        if match is None:
            raise InputError.single(where, f"{term!r} is not of the form '±P% START/END'")
        sign, pct, start, end = match.groups()
        bounds = []
        for name, text in (("start", start), ("end", end)):
            try:
                bounds.append(_timestamp(text, zone))
            except ValueError:
                raise InputError.single(where, f"{term!r}: {name} {text!r} is not an ISO 8601 date-time") from None
        change_pct = float(pct) * (-1 if sign == "-" else 1)
        if not MIN_CHANGE_PCT <= change_pct <= MAX_CHANGE_PCT:
            problem = f"change should be greater than or equal to {MIN_CHANGE_PCT:g}% and at most {MAX_CHANGE_PCT:g}%"
            raise InputError.single(where, f"{term!r}: {problem}")
        try:
            out.append(DemandUplift.change(change_pct, bounds[0], bounds[1]))
        except ValidationError as exc:
            problem = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
            raise InputError.single(where, f"{term!r}: {problem}") from None
    return tuple(out)


def uplift_demand(problem: PlanningProblem, uplifts: Sequence[DemandUplift], *, field: str = "uplift") -> pd.DataFrame:
    """Return the problem's demand frame with every uplift applied to ``volume``.

    Raises
    ------
    InputError
        When a window reaches outside the horizon or covers no interval start (``field[i]``).
    """
    frame = demand_frame(problem.demand, timezone=problem.timezone)
    index = pd.DatetimeIndex(frame.index)
    first = index[0]
    horizon_end = index[-1] + pd.Timedelta(minutes=problem.interval_min)
    for i, u in enumerate(uplifts):
        lo = pd.Timestamp(u.start) if u.start is not None else first
        hi = pd.Timestamp(u.end) if u.end is not None else horizon_end
        window = f"{lo.isoformat()}/{hi.isoformat()}"
        if lo < first or hi > horizon_end:
            problem_text = f"window {window} reaches outside the horizon {first.isoformat()}/{horizon_end.isoformat()}"
            raise InputError.single(f"{field}[{i}]", problem_text)
        if not u.covers(index, problem.timezone).any():
            raise InputError.single(f"{field}[{i}]", f"window {window} covers no interval start")
    factor = uplift_factors(index, uplifts, problem.timezone)
    return frame.assign(volume=frame["volume"].to_numpy() * factor)


def read_demand_csv(path: str | Path, *, field: str = "forecast") -> pd.DataFrame:
    """Read a demand CSV (``interval_start,volume,aht_s``, ISO 8601 with offsets) into a demand frame.

    Raises
    ------
    InputError
        When the file is missing or unreadable, has no ``interval_start`` column, or a timestamp has no UTC
        offset or is not ISO 8601 (the first bad row is named).
    DataError
        When the frame breaks the demand-frame contract (``optimizer.demand.validate_demand_frame``; fields
        prefixed with ``field``).
    """
    path = Path(path)
    return demand_from_table(read_demand_table(path, field=field), path, field=field)


def read_demand_table(path: Path, *, field: str) -> pd.DataFrame:
    """Read a demand CSV as text columns (``interval_start`` kept as text), naming ``field`` on failure."""
    try:
        return pd.read_csv(path, dtype={INDEX_NAME: str, "queue": str})
    except FileNotFoundError:
        raise InputError.single(field, f"file {path} does not exist") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError.single(field, f"cannot read {path} as CSV: {exc}") from None


def demand_from_table(raw: pd.DataFrame, path: Path, *, field: str) -> pd.DataFrame:
    """Return a demand frame from a table read by :func:`read_demand_table` (see :func:`read_demand_csv`)."""
    if INDEX_NAME not in raw.columns:
        raise InputError.single(field, f"{path} has no {INDEX_NAME!r} column")
    stamps = []
    for row, text in zip(raw.index, raw[INDEX_NAME], strict=True):  # the file's own row numbers
        try:
            value = dt.datetime.fromisoformat(str(text))
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            problem = f"row {int(row) + 2} {text!r} is not an ISO 8601 date-time with a UTC offset"
            raise InputError.single(f"{field}.{INDEX_NAME}", problem)
        stamps.append(value.astimezone(dt.UTC))
    index = pd.DatetimeIndex(stamps).as_unit("ns").rename(INDEX_NAME)
    frame = raw.drop(columns=INDEX_NAME).set_index(index)
    try:
        return validate_demand_frame(frame)
    except DataError as exc:
        raise DataError([Issue(f"{field}.{i.field}", i.problem) for i in exc.issues]) from None


def _as_frame(new_demand: Sequence[DemandInterval] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(new_demand, pd.DataFrame):
        return new_demand
    rows = list(new_demand)
    if not rows:
        raise InputError.single("new_demand", "has no rows")
    return demand_frame(rows, timezone="UTC")


def with_demand(
    problem: PlanningProblem, new_demand: Sequence[DemandInterval] | pd.DataFrame, *, field: str = "new_demand"
) -> PlanningProblem:
    """Return the problem with its demand replaced where the new demand has rows.

    The new demand may cover part of the horizon (an intraday re-forecast covers the rest of today and
    tomorrow); intervals it does not cover keep the problem's demand.

    Raises
    ------
    DataError
        When the frame breaks the demand-frame contract or its spacing is not the problem's interval
        (fields prefixed with ``field``).
    InputError
        When a row is not an interval of the horizon (``field.interval_start[...]``).
    """
    try:
        frame = validate_demand_frame(_as_frame(new_demand), interval_min=problem.interval_min)
    except DataError as exc:
        raise DataError([Issue(f"{field}.{i.field}", i.problem) for i in exc.issues]) from None
    old = demand_frame(problem.demand, timezone=problem.timezone)
    index = pd.DatetimeIndex(frame.index).tz_convert(problem.timezone).as_unit("ns")
    position = pd.DatetimeIndex(old.index).get_indexer(index)
    if (position < 0).any():
        bad = index[int(np.flatnonzero(position < 0)[0])]
        count = int((position < 0).sum())
        span = f"{old.index[0].isoformat()} .. {old.index[-1].isoformat()}"
        problem_text = f"{count} row(s) are not intervals of the horizon {span}, the first shown"
        raise InputError(Issue(f"{field}.{INDEX_NAME}[{bad.isoformat()}]", problem_text))
    volume = old["volume"].to_numpy(copy=True)
    aht = old["aht_s"].to_numpy(copy=True)
    volume[position] = frame["volume"].to_numpy()
    aht[position] = frame["aht_s"].to_numpy()
    rows = demand_rows(pd.DataFrame({"volume": volume, "aht_s": aht}, index=old.index))
    return problem.model_copy(update={"demand": rows})
