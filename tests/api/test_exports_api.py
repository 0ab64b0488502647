"""`GET /v1/schedules/{id}/schedule.ics`, `/plan.xlsx` and `/report`: exports of a solved plan."""

from __future__ import annotations

import io

import icalendar
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.errors import PROBLEM_JSON
from tests.api.conftest import schedule_body, wait_for


def test_calendar_workbook_and_report_of_a_solved_plan(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    done = wait_for(client, job_id, auth)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    shifts = done["plan"]["shifts"]
    worker = next(s["worker_id"] for s in shifts if s["kind"] == "fte")

    r = client.get(f"/v1/schedules/{job_id}/schedule.ics", params={"worker_id": worker}, headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    events = list(icalendar.Calendar.from_ical(r.content).walk("VEVENT"))
    assert len(events) == sum(1 for s in shifts if s["worker_id"] == worker)
    assert str(events[0].decoded("dtstart").tzinfo) == done["plan"]["timezone"]
    every = client.get(f"/v1/schedules/{job_id}/schedule.ics", headers=auth)
    assert len(list(icalendar.Calendar.from_ical(every.content).walk("VEVENT"))) == len(shifts)
    unknown = client.get(f"/v1/schedules/{job_id}/schedule.ics", params={"worker_id": "ghost"}, headers=auth)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == PROBLEM_JSON
    assert [e["field"] for e in unknown.json()["errors"]] == ["worker_id"]

    r = client.get(f"/v1/schedules/{job_id}/plan.xlsx", headers=auth)
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["schedule", "coverage", "unmet", "cost"]
    assert book["schedule"].max_row - 1 == len(shifts)

    r = client.get(f"/v1/schedules/{job_id}/report", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="gantt"' in page
    assert "Independent check: <span class=\"ok\">passed</span>" in page
    assert "<script src=" not in page  # plotly.js is embedded: the page needs no network


def test_exports_of_an_unknown_job_are_404(client: TestClient, auth: dict[str, str]) -> None:
    for suffix in ("schedule.ics", "plan.xlsx", "report"):
        r = client.get(f"/v1/schedules/0123456789abcdef/{suffix}", headers=auth)
        assert r.status_code == 404, suffix
        assert r.headers["content-type"] == PROBLEM_JSON
