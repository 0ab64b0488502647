"""Calendar and workbook exports of a plan read back with their own libraries."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import icalendar
import pytest
from openpyxl import load_workbook

from api.examples import example_problem
from optimizer import plan
from optimizer.domain import Plan, SolveParams
from optimizer.errors import InputError
from scenarios.exports import parse_formats, plan_workbook, worker_calendar
from tests.conftest import run_bad_cli

ZONE = ZoneInfo("Europe/Stockholm")


@pytest.fixture(scope="module")
def solved() -> Plan:
    result = plan(example_problem(), SolveParams(time_limit_s=5, num_workers=1, random_seed=1))
    assert result.solver.status in ("OPTIMAL", "FEASIBLE")
    return result


def test_worker_calendar_holds_each_shift_in_the_site_zone_with_its_break(solved: Plan) -> None:
    worker = next(s.worker_id for s in solved.shifts if s.kind == "fte")
    shifts = [s for s in solved.shifts if s.worker_id == worker]
    calendar = icalendar.Calendar.from_ical(worker_calendar(solved, worker))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(shifts)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    for event, shift in zip(events, sorted(shifts, key=lambda s: s.start), strict=True):
        start = event.decoded("dtstart")
        assert str(start.tzinfo) == "Europe/Stockholm"
        assert start == shift.start
        assert event.decoded("dtend") == shift.end
        brk = shift.breaks[0].start.astimezone(ZONE)
        assert f"Break {brk:%H:%M}" in str(event["description"])
    uids = {str(e["uid"]) for e in icalendar.Calendar.from_ical(worker_calendar(solved)).walk("VEVENT")}
    assert len(uids) == len(solved.shifts)
    with pytest.raises(InputError, match="worker_id: 'nobody' has no shift in this plan"):
        worker_calendar(solved, "nobody")


def test_workbook_has_schedule_coverage_unmet_and_cost_sheets_in_local_time(solved: Plan) -> None:
    book = load_workbook(io.BytesIO(plan_workbook(solved)))
    assert book.sheetnames == ["schedule", "coverage", "unmet", "cost"]
    schedule = list(book["schedule"].iter_rows(values_only=True))
    assert schedule[0][:4] == ("worker_id", "kind", "start", "end")
    assert len(schedule) - 1 == len(solved.shifts)
    first = next(s for s in solved.shifts if s.worker_id == schedule[1][0])
    assert schedule[1][2] == first.start.astimezone(ZONE).replace(tzinfo=None)
    assert isinstance(schedule[1][2], dt.datetime)
    assert len(list(book["coverage"].iter_rows())) - 1 == len(solved.coverage)
    cost = {row[0]: row[1] for row in book["cost"].iter_rows(min_row=2, values_only=True)}
    assert cost["total cost [cents]"] == solved.kpis.total_cost_cents
    assert cost["time zone (times in this workbook are local)"] == "Europe/Stockholm"


def test_formats_are_parsed_and_an_unknown_one_is_named(capsys, tmp_path) -> None:
    assert parse_formats("csv, XLSX,ics,csv") == ("csv", "xlsx", "ics")
    line = run_bad_cli(capsys, ["plan", "--example", "--out", str(tmp_path), "--formats", "csv,pdf"])
    assert line == "shiftmix: error: --formats: unknown format(s) pdf; choose from csv, ics, xlsx, html"
