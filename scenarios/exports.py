"""Plan exports for people: an iCalendar file per worker and an Excel workbook.

Calendars (RFC 5545, ``icalendar``): one ``VEVENT`` per shift with start and end in the site's time zone
(``TZID``, with its ``VTIMEZONE`` for the plan's years), its break in the description, and a ``UID`` stable
for a plan, worker and start, so re-importing the same plan updates events instead of duplicating them.

Workbook (``openpyxl``): sheets ``schedule``, ``coverage``, ``unmet`` and ``cost``. Excel has no time zones,
so times are the site's local wall clock; the ``cost`` sheet names the zone and the solver's status.

``write_exports`` writes the formats the CLI's ``--formats`` asks for, next to the CSV files.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from optimizer.domain import Plan, PlannedShift
from optimizer.errors import InputError
from optimizer.export import coverage_frame, schedule_frame, unmet_frame
from scenarios.report import REPORT_FILE

FORMATS: tuple[str, ...] = ("csv", "ics", "xlsx", "html")
"""Output formats of ``shiftmix plan --formats`` (csv and plan.json are always written)."""

CALENDAR_DIR = "calendars"
"""Folder, beside the CSV files, that holds one ``{worker_id}.ics`` per worker with shifts."""

WORKBOOK_FILE = "plan.xlsx"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]")


def parse_formats(text: str) -> tuple[str, ...]:
    """Parse ``csv,ics,xlsx,html`` into a tuple of known formats.

    Raises
    ------
    InputError
        Naming ``--formats`` when a format is unknown or none is given.
    """
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        problem = f"unknown format(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        raise InputError.single("--formats", problem)
    return formats


def _shifts_of(plan: Plan, worker_id: str | None) -> list[PlannedShift]:
    shifts = [s for s in plan.shifts if worker_id is None or s.worker_id == worker_id]
    if worker_id is not None and not shifts:
        raise InputError.single("worker_id", f"{worker_id!r} has no shift in this plan")
    return sorted(shifts, key=lambda s: (s.start, s.worker_id))


def _event(plan: Plan, shift: PlannedShift, zone: ZoneInfo, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    label = "Gig shift" if shift.kind == "gig" else "Shift"
    event.add(
        "uid", f"{plan.inputs_digest[:16]}-{shift.worker_id}-{shift.start.astimezone(dt.UTC):%Y%m%dT%H%M}@shiftmix"
    )
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start.astimezone(zone))
    event.add("dtend", shift.end.astimezone(zone))
    event.add("summary", f"{label} {shift.worker_id}")
    lines = [f"{shift.paid_minutes / 60:g} paid hours"]
    lines += [f"Break {b.start.astimezone(zone):%H:%M}-{b.end.astimezone(zone):%H:%M}" for b in shift.breaks]
    event.add("description", "\n".join(lines))
    event.add("categories", [shift.kind.upper()])
    return event


def worker_calendar(plan: Plan, worker_id: str | None = None) -> bytes:
    """Return an iCalendar file of one worker's shifts (all shifts when ``worker_id`` is None).

    Raises
    ------
    InputError
        Naming ``worker_id`` when that worker has no shift in the plan.
    """
    zone = ZoneInfo(plan.timezone)
    shifts = _shifts_of(plan, worker_id)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//shiftmix//plan export//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"shifts {worker_id}" if worker_id else "shifts")
    calendar.add("x-wr-timezone", plan.timezone)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for shift in shifts:
        calendar.add_component(_event(plan, shift, zone, stamp))
    if shifts:
        first = shifts[0].start.astimezone(zone).date() - dt.timedelta(days=366)
        last = shifts[-1].end.astimezone(zone).date() + dt.timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _local(values: Iterable[str], zone: str) -> list[dt.datetime | None]:
    """Return ISO timestamps as naive local wall-clock datetimes (Excel has no zones); '' gives None."""
    out: list[dt.datetime | None] = []
    for v in values:
        out.append(pd.Timestamp(v).tz_convert(zone).tz_localize(None).to_pydatetime() if v else None)
    return out


def _sheet(book: Workbook, title: str, frame: pd.DataFrame, time_columns: Sequence[str], zone: str) -> None:
    sheet = book.create_sheet(title)
    frame = frame.copy()
    for column in time_columns:
        frame[column] = _local(frame[column].fillna("").astype(str), zone)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if isinstance(v, float) and pd.isna(v) else v for v in row])
    for i, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(12, len(column) + 2)
        if column in time_columns:
            sheet.column_dimensions[letter].width = 18
            for cell in sheet[letter][1:]:
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"


def _cost_rows(plan: Plan) -> list[tuple[str, object]]:
    k = plan.kpis
    rows: list[tuple[str, object]] = [
        ("time zone (times in this workbook are local)", plan.timezone),
        ("solver status", str(plan.solver.status)),
        ("objective [cents]", plan.solver.objective_cents),
        ("best bound [cents]", plan.solver.best_bound_cents),
        ("total cost [cents]", k.total_cost_cents),
        ("FTE cost [cents]", k.fte_cost_cents),
        ("FTE fixed cost [cents]", k.fte_fixed_cost_cents),
        ("gig cost [cents]", k.gig_cost_cents),
        ("overtime cost [cents]", sum(s.overtime_cost_cents for s in plan.shifts)),
        ("FTE hours [h]", k.fte_hours),
        ("gig hours [h]", k.gig_hours),
        ("service level", k.service_level),
        ("ASA over answered contacts [s]", k.asa_s),
        ("overloaded intervals", k.overloaded_intervals),
        ("shortfall [agent-hours]", k.shortfall_agent_hours),
    ]
    rows += [(f"objective term {name} [cents]", cents) for name, cents in plan.cost_terms_cents.items()]
    return rows


def plan_workbook(plan: Plan) -> bytes:
    """Return an Excel workbook of the plan: ``schedule``, ``coverage``, ``unmet`` and ``cost`` sheets."""
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    zone = plan.timezone
    _sheet(book, "schedule", schedule_frame(plan), ("start", "end", "break_start", "break_end"), zone)
    _sheet(book, "coverage", coverage_frame(plan), ("interval_start",), zone)
    _sheet(book, "unmet", unmet_frame(plan), ("start", "end"), zone)
    cost = book.create_sheet("cost")
    cost.append(["item", "value"])
    for row in _cost_rows(plan):
        cost.append(list(row))
    cost.column_dimensions["A"].width = 44
    cost.column_dimensions["B"].width = 20
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_calendars(plan: Plan, out_dir: Path) -> list[Path]:
    """Write ``calendars/{worker_id}.ics`` for every worker (and gig slot) with shifts; return the paths."""
    folder = out_dir / CALENDAR_DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for worker_id in sorted({s.worker_id for s in plan.shifts}):
        path = folder / f"{_SAFE_NAME.sub('_', worker_id)}.ics"
        path.write_bytes(worker_calendar(plan, worker_id))
        paths.append(path)
    return paths


def write_exports(
    plan: Plan, out_dir: Path, formats: Sequence[str], report: Callable[[], str] | None = None
) -> list[Path]:
    """Write the ``ics``, ``xlsx`` and ``html`` formats of a plan into ``out_dir``; return the paths.

    ``report`` renders the page for ``html`` (a plan run's or a re-plan's, ``scenarios.report``). ``csv`` is
    written by the commands themselves and is ignored here.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if "ics" in formats:
        paths += write_calendars(plan, out_dir)
    if "xlsx" in formats:
        path = out_dir / WORKBOOK_FILE
        path.write_bytes(plan_workbook(plan))
        paths.append(path)
    if "html" in formats and report is not None:
        path = out_dir / REPORT_FILE
        path.write_text(report(), encoding="utf-8")
        paths.append(path)
    return paths
