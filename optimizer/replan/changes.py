"""What a re-plan changed, and how each day looks before and after on the new demand.

Frames written by the CLI:

``changes.csv`` — one row per change, ``change,worker_id,kind,start,end,old_start,old_end``:

==============  ==========================================================================================
``change``      ``added`` (a new gig micro-shift), ``extended`` (an FTE shift with overtime at one end) or
                ``removed`` (an FTE shift released as voluntary time off)
``start/end``   the shift in the re-plan, ISO 8601 with offset; empty when removed
``old_*``       the published shift; empty when added
==============  ==========================================================================================

``days.csv`` — one row per local day, the columns of :class:`~optimizer.replan.domain.DayComparison`:
``date,volume,cost_before_cents,cost_after_cents,service_level_before,service_level_after,
shortfall_agent_hours_before,shortfall_agent_hours_after``. Both plans are measured on the new demand;
costs are of shifts starting on the day [cents], service levels are volume-weighted (1.0 on a day without
contacts), shortfall is agent-hours below the requirement [h].
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from optimizer.domain import CoverageRow, PlannedShift
from optimizer.replan.domain import DayComparison, PlanChange

CHANGE_COLUMNS = ("change", "worker_id", "kind", "start", "end", "old_start", "old_end")
DAY_COLUMNS = tuple(DayComparison.model_fields)


def plan_changes(published: Sequence[PlannedShift], replanned: Sequence[PlannedShift]) -> tuple[PlanChange, ...]:
    """Return the changes from the published shifts to the re-planned ones.

    Gig shifts are matched by id (a re-plan keeps published gig ids); an FTE shift is matched to the
    worker's re-planned shift that contains it (an extension contains the published shift). Changes are
    ordered removed, extended, added, each by start.
    """
    old_gigs = {s.worker_id for s in published if s.kind == "gig"}
    new_by_worker: dict[str, list[PlannedShift]] = defaultdict(list)
    for s in replanned:
        if s.kind == "fte":
            new_by_worker[s.worker_id].append(s)
    removed, extended = [], []
    for s in published:
        if s.kind != "fte":
            continue
        match = next((n for n in new_by_worker[s.worker_id] if n.start <= s.start and s.end <= n.end), None)
        if match is None:
            removed.append(
                PlanChange(
                    change="removed",
                    worker_id=s.worker_id,
                    kind="fte",
                    start=None,
                    end=None,
                    old_start=s.start,
                    old_end=s.end,
                )
            )
        elif (match.start, match.end) != (s.start, s.end):
            extended.append(
                PlanChange(
                    change="extended",
                    worker_id=s.worker_id,
                    kind="fte",
                    start=match.start,
                    end=match.end,
                    old_start=s.start,
                    old_end=s.end,
                )
            )
    added = [
        PlanChange(
            change="added", worker_id=s.worker_id, kind=s.kind, start=s.start, end=s.end, old_start=None, old_end=None
        )
        for s in replanned
        if s.kind == "gig" and s.worker_id not in old_gigs
    ]

    return tuple(sorted(removed, key=_when) + sorted(extended, key=_when) + sorted(added, key=_when))


def _when(change: PlanChange) -> float:
    """Return the POSIX time a change happens at: its new start, or the published start when removed [s]."""
    stamp = change.start if change.start is not None else change.old_start
    return stamp.timestamp() if stamp is not None else 0.0


@dataclass(slots=True)
class _Day:
    volume: float = 0.0
    weighted_service: float = 0.0
    short_h: float = 0.0
    cost_cents: int = 0

    @property
    def service_level(self) -> float:
        return self.weighted_service / self.volume if self.volume > 0 else 1.0


def _day_numbers(
    timezone: str, interval_min: int, shifts: Sequence[PlannedShift], coverage: Sequence[CoverageRow]
) -> dict[dt.date, _Day]:
    zone = ZoneInfo(timezone)
    days: dict[dt.date, _Day] = defaultdict(_Day)
    for r in coverage:
        day = days[r.interval_start.astimezone(zone).date()]
        day.volume += r.volume
        day.weighted_service += r.volume * r.service_level
        day.short_h += max(0, r.required - r.scheduled) * interval_min / 60
    for s in shifts:
        days[s.start.astimezone(zone).date()].cost_cents += s.cost_cents
    return days


def day_comparison(
    timezone: str,
    interval_min: int,
    before: tuple[Sequence[PlannedShift], Sequence[CoverageRow]],
    after: tuple[Sequence[PlannedShift], Sequence[CoverageRow]],
) -> tuple[DayComparison, ...]:
    """Return the before/after cost, service level and shortfall of every local day of the coverage.

    Parameters
    ----------
    timezone : str
        IANA zone whose local days group the intervals.
    interval_min : int
        Interval length [min].
    before, after : tuple of (shifts, coverage rows)
        The published plan and the re-plan, both with coverage rows on the new demand.
    """
    b = _day_numbers(timezone, interval_min, *before)
    a = _day_numbers(timezone, interval_min, *after)
    dates = sorted({r.interval_start.astimezone(ZoneInfo(timezone)).date() for r in after[1]})
    return tuple(
        DayComparison(
            date=day,
            volume=a[day].volume,
            cost_before_cents=b[day].cost_cents,
            cost_after_cents=a[day].cost_cents,
            service_level_before=b[day].service_level,
            service_level_after=a[day].service_level,
            shortfall_agent_hours_before=b[day].short_h,
            shortfall_agent_hours_after=a[day].short_h,
        )
        for day in dates
    )


def changes_frame(changes: Sequence[PlanChange]) -> pd.DataFrame:
    """Return ``changes.csv`` as a frame (see the module docstring)."""
    return pd.DataFrame(
        [
            {
                "change": c.change,
                "worker_id": c.worker_id,
                "kind": c.kind,
                "start": c.start.isoformat() if c.start else "",
                "end": c.end.isoformat() if c.end else "",
                "old_start": c.old_start.isoformat() if c.old_start else "",
                "old_end": c.old_end.isoformat() if c.old_end else "",
            }
            for c in changes
        ],
        columns=list(CHANGE_COLUMNS),
    )


def days_frame(days: Sequence[DayComparison]) -> pd.DataFrame:
    """Return ``days.csv`` as a frame (see the module docstring)."""
    return pd.DataFrame([d.model_dump(mode="json") for d in days], columns=list(DAY_COLUMNS))
