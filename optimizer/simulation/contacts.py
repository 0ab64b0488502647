"""Per-contact records to replay through a plan: ``arrival,handle_s[,patience_s]``.

Contacts frame (what :func:`read_contacts` returns and :func:`~optimizer.simulation.simulate_floor` replays)
-------------------------------------------------------------------------------------------------------------
``arrival`` : datetime64[ns, UTC]
    When the contact arrived (ISO 8601 with a UTC offset in the file), sorted.
``handle_s`` : float
    Time an agent spent on it [s], > 0.
``patience_s`` : float, optional
    Longest it would have waited before abandoning [s], > 0; empty (NaN) where unknown, e.g. for answered
    calls: the simulator then draws one (``service_target.patience_s``) or assumes none.

Problems are reported as ``contacts.column[row N]: problem`` (0-based data rows), all collected first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from optimizer.errors import DataError, Issue

CONTACT_COLUMNS = ("arrival", "handle_s", "patience_s")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")

__all__ = ["CONTACT_COLUMNS", "ContactRecord", "contacts_frame", "read_contacts", "validate_contacts"]


class ContactRecord(BaseModel):
    """One contact to replay (the JSON form of a contacts CSV row)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    arrival: AwareDatetime = Field(description="When the contact arrived (timezone-aware).")
    handle_s: float = Field(gt=0.0, le=86_400.0, description="Time an agent spent on it [s].")
    patience_s: float | None = Field(
        None, gt=0.0, description="Longest it would have waited before abandoning [s]; null where unknown."
    )


def contacts_frame(records: Sequence[ContactRecord]) -> pd.DataFrame:
    """Return contact records as a validated contacts frame (module notes).

    Raises
    ------
    DataError
        When there are no records.
    """
    frame = pd.DataFrame(
        {
            "arrival": pd.to_datetime([r.arrival for r in records], utc=True),
            "handle_s": [r.handle_s for r in records],
            "patience_s": [np.nan if r.patience_s is None else r.patience_s for r in records],
        }
    )
    return validate_contacts(frame)


def _first(column: str, mask: np.ndarray, problem: str) -> Issue | None:
    bad = np.flatnonzero(mask)
    if bad.size == 0:
        return None
    more = f" [{bad.size} rows]" if bad.size > 1 else ""
    return Issue(f"contacts.{column}[row {int(bad[0])}]", f"{problem}{more}")


def _number(frame: pd.DataFrame, column: str, issues: list[Issue], *, optional: bool) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    raw_empty = frame[column].isna().to_numpy() | (frame[column].astype(str).str.strip() == "").to_numpy()
    unparsed = values.isna().to_numpy() & ~raw_empty
    found = [
        _first(column, unparsed, "is not a number"),
        _first(column, ~raw_empty & ~unparsed & ~(values.to_numpy() > 0), "must be > 0 s and finite"),
        _first(column, (values.to_numpy() == np.inf), "must be finite"),
    ]
    if not optional:
        found.append(_first(column, raw_empty, "is empty"))
    issues.extend(i for i in found if i is not None)
    return values


def validate_contacts(frame: pd.DataFrame) -> pd.DataFrame:
    """Check a contacts frame (strings or parsed values) and return it parsed, sorted by arrival.

    Raises
    ------
    DataError
        Listing every problem: a missing column, unparsable or offset-less times, bad numbers.
    """
    missing = [c for c in CONTACT_COLUMNS[:2] if c not in frame.columns]
    if missing:
        raise DataError([Issue(f"contacts.{c}", "column is missing") for c in missing])
    if len(frame) == 0:
        raise DataError(Issue("contacts", "has no rows"))
    issues: list[Issue] = []
    raw = frame["arrival"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        arrival = raw.dt.tz_convert("UTC").dt.as_unit("ns")
    else:
        text = raw.astype(str).str.strip()
        arrival = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce").dt.as_unit("ns")
        bad = arrival.isna().to_numpy()
        found = [
            _first("arrival", bad, "is not an ISO 8601 time (e.g. 2026-11-30T08:00:13+01:00)"),
            _first("arrival", ~bad & ~text.str.contains(_OFFSET).to_numpy(), "has no UTC offset"),
        ]
        issues.extend(i for i in found if i is not None)
    handle = _number(frame, "handle_s", issues, optional=False)
    out = {"arrival": arrival, "handle_s": handle}
    if "patience_s" in frame.columns:
        out["patience_s"] = _number(frame, "patience_s", issues, optional=True)
    if issues:
        raise DataError(issues)
    return pd.DataFrame(out).sort_values("arrival", kind="stable").reset_index(drop=True)


def read_contacts(path: Path) -> pd.DataFrame:
    """Read a contacts CSV (module notes) and validate it.

    Raises
    ------
    DataError
        When the file cannot be read or breaks the contract (the error names the column and row).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(Issue("contacts", f"cannot read {path}: {exc}")) from None
    return validate_contacts(frame)
