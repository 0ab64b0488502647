"""Re-plans over HTTP: submit a re-plan of a published job, poll it, fetch its plan, changes and days; errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.examples import EXAMPLE_DATE, EXAMPLE_TIMEZONE, example_problem
from api.storage import Storage
from optimizer.export import COVERAGE_COLUMNS
from optimizer.replan.changes import CHANGE_COLUMNS, DAY_COLUMNS
from tests.api.conftest import TINY_PARAMS, key_headers, schedule_body, storage_of, wait_for

ZONE = ZoneInfo(EXAMPLE_TIMEZONE)
DAY = EXAMPLE_DATE.isoformat()
NOW = dt.datetime.combine(EXAMPLE_DATE, dt.time(10), tzinfo=ZONE)
LEAD_MIN = 60
UPLIFT = f"+40% {DAY}T12:00/{DAY}T17:00"


def replan_body(**changes: Any) -> dict[str, Any]:
    """A re-plan request: +40% from 12:00, now 10:00, one hour of lead time, the tiny solve parameters."""
    body: dict[str, Any] = {
        "now": NOW.isoformat(),
        "uplift": UPLIFT,
        "options": {"lead_time_min": LEAD_MIN},
        "params": TINY_PARAMS.model_dump(mode="json"),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}



def _replan(client: TestClient, job_id: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/v1/schedules/{job_id}/replan", json=body, headers=headers)
    assert r.status_code == 202, r.json()
    done = wait_for(client, r.json()["job_id"], headers)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    return done


def _spans(plan: dict[str, Any], kind: str) -> set[tuple[str, dt.datetime, dt.datetime]]:
    return {
        (s["worker_id"], dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
        for s in plan["shifts"]
        if s["kind"] == kind
    }


def _rows(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, str]]:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def test_replan_keeps_published_shifts_and_adds_gigs_after_the_lead_time(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    published_id = published["job"]["job_id"]
    r = client.post(f"/v1/schedules/{published_id}/replan", json=replan_body(), headers=auth)
    assert r.status_code == 202
    accepted = r.json()
    assert accepted["status"] == "queued"
    assert r.headers["location"] == accepted["status_url"]
    assert accepted["status_url"].endswith(f"/v1/schedules/{accepted['job_id']}")

    done = wait_for(client, accepted["job_id"], auth)
    job, plan, report = done["job"], done["plan"], done["replan"]
    assert job["status"] == "succeeded", job["error"]
    assert job["replan_of"] == report["replan_of"] == published_id
    assert plan["inputs_digest"] == job["inputs_digest"]
    assert done["violations"] == []

    assert _spans(plan, "fte") == _spans(published["plan"], "fte")
    old_gigs = _spans(published["plan"], "gig")
    assert old_gigs <= _spans(plan, "gig")
    new_gigs = _spans(plan, "gig") - old_gigs
    first_new = NOW + dt.timedelta(minutes=LEAD_MIN)
    assert new_gigs
    assert all(start >= first_new for _, start, _ in new_gigs)
    assert dt.datetime.fromisoformat(report["first_new_start"]) == first_new

    changes = report["changes"]
    assert {c["change"] for c in changes} == {"added"}
    assert {c["worker_id"] for c in changes} == {worker for worker, _, _ in new_gigs}
    (day,) = report["days"]
    assert day["date"] == DAY
    assert day["service_level_after"] > day["service_level_before"]
    assert day["cost_after_cents"] - day["cost_before_cents"] == sum(
        s["cost_cents"] for s in plan["shifts"] if s["worker_id"] in {c["worker_id"] for c in changes}
    )
    assert report["before"]["total_cost_cents"] == published["plan"]["kpis"]["total_cost_cents"]

    job_url = f"/v1/schedules/{job['job_id']}"
    change_rows = _rows(client, f"{job_url}/changes.csv", auth)
    assert [r["worker_id"] for r in change_rows] == [c["worker_id"] for c in changes]
    assert tuple(change_rows[0]) == CHANGE_COLUMNS
    day_rows = _rows(client, f"{job_url}/days.csv", auth)
    assert tuple(day_rows[0]) == DAY_COLUMNS
    assert len(day_rows) == 1
    coverage = _rows(client, f"{job_url}/coverage.csv", auth)
    assert tuple(coverage[0]) == COVERAGE_COLUMNS
    by_hour = {dt.datetime.fromisoformat(row["interval_start"]).astimezone(ZONE).hour: row for row in coverage}
    assert float(by_hour[12]["volume"]) == pytest.approx(24 * 1.4)
    assert float(by_hour[10]["volume"]) == pytest.approx(24)
    assert len(_rows(client, f"{job_url}/schedule.csv", auth)) == len(plan["shifts"])

    storage = storage_of(client)
    assert storage.get_job(job["job_id"]).replan_of == published_id  # type: ignore[union-attr]
    (submit,) = storage.audit_events(job["job_id"])
    assert (submit["action"], submit["replan_of"]) == ("submit", published_id)
    listed = client.get("/v1/schedules?limit=100", headers=auth).json()["items"]
    assert {j["job_id"]: j["replan_of"] for j in listed}[job["job_id"]] == published_id


def test_replan_with_demand_rows_for_part_of_the_horizon(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    rows = [
        {"interval_start": dt.datetime.combine(EXAMPLE_DATE, dt.time(h), tzinfo=ZONE).isoformat(), "volume": 60.0,
         "aht_s": 300.0}
        for h in (14, 15)
    ]  # fmt: skip
    done = _replan(client, published["job"]["job_id"], auth, replan_body(uplift=None, demand=rows))
    coverage = done["plan"]["coverage"]
    volume = {dt.datetime.fromisoformat(c["interval_start"]).astimezone(ZONE).hour: c["volume"] for c in coverage}
    assert (volume[13], volume[14], volume[15]) == (24.0, 60.0, 60.0)
    assert done["replan"]["changes"]
    assert _spans(done["plan"], "fte") == _spans(published["plan"], "fte")


def test_a_replan_can_be_replanned(client: TestClient, auth: dict[str, str], published: dict[str, Any]) -> None:
    first = _replan(client, published["job"]["job_id"], auth, replan_body())
    later = NOW + dt.timedelta(hours=2)
    second = _replan(
        client,
        first["job"]["job_id"],
        auth,
        replan_body(now=later.isoformat(), uplift=f"+50% {DAY}T15:00/{DAY}T17:00"),
    )
    assert second["job"]["replan_of"] == first["job"]["job_id"]
    assert _spans(first["plan"], "fte") == _spans(second["plan"], "fte")
    assert _spans(first["plan"], "gig") <= _spans(second["plan"], "gig")
    assert all(dt.datetime.fromisoformat(c["start"]) >= later for c in second["replan"]["changes"])


def test_another_organisations_or_an_unknown_job_is_not_found(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    other = key_headers(client, "org-replan-other")
    for job_id in (published["job"]["job_id"], "no-such-job"):
        r = client.post(f"/v1/schedules/{job_id}/replan", json=replan_body(), headers=other)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "urn:shiftmix:problem:job-not-found"
    assert client.get("/v1/schedules", headers=other).json()["total"] == 0


@pytest.mark.parametrize("status", ["queued", "failed", "cancelled"])
def test_a_job_that_has_not_succeeded_cannot_be_replanned(client: TestClient, status: str) -> None:
    headers = key_headers(client, f"org-replan-{status}")
    storage = storage_of(client)
    principal = storage.principal_for_key(headers["Authorization"].removeprefix("Bearer "))
    assert principal is not None
    # stored but never handed to the runner, so it stays queued until the test moves it on
    record, _ = storage.create_job(
        principal,
        request_json=json.dumps(schedule_body()),
        inputs_digest="d" * 64,
        params_json=TINY_PARAMS.model_dump_json(),
        solver_version="test",
    )
    if status == "failed":
        storage.fail(record.job_id, "made to fail by the test")
    elif status == "cancelled":
        storage.request_cancel(principal, record.job_id)
    r = client.post(f"/v1/schedules/{record.job_id}/replan", json=replan_body(), headers=headers)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:shiftmix:problem:not-replannable"
    assert status in r.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uplift": f"40% {DAY}T12:00/{DAY}T14:00"}, "uplift[0]"),
        ({"uplift": f"+40% {DAY}T12:00/{DAY}T11:00"}, "uplift[0]"),
        ({"uplift": f"+10% {DAY}T12:00/{DAY}T14:00; +20% noon/{DAY}T14:00"}, "uplift[1]"),
        ({"uplift": "+40% 2026-03-09T12:00/2026-03-09T14:00"}, "uplift[0]"),
        ({"uplift": ""}, "uplift"),
        ({"now": f"{DAY}T10:00"}, "now"),
        ({"now": "2026-03-05T10:00:00+01:00"}, "now"),
        ({"now": "yesterday"}, "now"),
        ({"options": {"allow_extensions": True, "max_extension_min": 45}}, "options.max_extension_min"),
        ({"options": {"lead_time_min": -5}}, "options.lead_time_min"),
        ({"params": {"time_limit_s": -1}}, "params.time_limit_s"),
        ({"uplift": None}, "(body)"),
        ({"demand": [{"interval_start": f"{DAY}T10:00:00+01:00", "volume": 1.0, "aht_s": 300.0}]}, "(body)"),
    ],
)
def test_bad_replan_input_is_422_naming_the_field(
    client: TestClient, auth: dict[str, str], published: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    headers = auth
    before = client.get("/v1/schedules", headers=headers).json()["total"]
    r = client.post(f"/v1/schedules/{published['job']['job_id']}/replan", json=replan_body(**changes), headers=headers)
    assert r.status_code == 422, r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:shiftmix:problem:invalid-input"
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert client.get("/v1/schedules", headers=headers).json()["total"] == before


def test_demand_rows_off_the_grid_name_the_row(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    rows = [{"interval_start": f"{DAY}T10:30:00+01:00", "volume": 30.0, "aht_s": 300.0}]
    r = client.post(
        f"/v1/schedules/{published['job']['job_id']}/replan", json=replan_body(uplift=None, demand=rows), headers=auth
    )
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == f"demand.interval_start[{DAY}T10:30:00+01:00]"
    assert "not intervals of the horizon" in error["problem"]


def test_changes_of_a_plain_schedule_are_not_found(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    r = client.get(f"/v1/schedules/{published['job']['job_id']}/changes.csv", headers=auth)
    assert r.status_code == 404
    assert r.json()["type"] == "urn:shiftmix:problem:not-a-replan"
    assert client.get(f"/v1/schedules/{published['job']['job_id']}", headers=auth).json()["replan"] is None


def test_idempotency_key_returns_the_same_replan(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    url = f"/v1/schedules/{published['job']['job_id']}/replan"
    headers = {**auth, "Idempotency-Key": "peak-monday"}
    first = client.post(url, json=replan_body(), headers=headers)
    again = client.post(url, json=replan_body(), headers=headers)
    assert first.json()["job_id"] == again.json()["job_id"]
    changed = client.post(url, json=replan_body(uplift=f"+60% {DAY}T12:00/{DAY}T17:00"), headers=headers)
    assert changed.status_code == 422
    assert [e["field"] for e in changed.json()["errors"]] == ["header.idempotency-key"]
    wait_for(client, first.json()["job_id"], auth)


def test_openapi_replan_example_is_accepted(client: TestClient, auth: dict[str, str]) -> None:
    spec = client.get("/openapi.json").json()
    (example,) = spec["components"]["schemas"]["ReplanRequest"]["examples"]
    job_id = client.post("/v1/schedules", json=schedule_body(example_problem()), headers=auth).json()["job_id"]
    assert wait_for(client, job_id, auth)["job"]["status"] == "succeeded"
    done = _replan(client, job_id, auth, example)
    assert done["replan"]["changes"]


def test_a_job_store_from_before_replans_gains_the_new_columns(tmp_path: Path) -> None:
    storage = Storage(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    storage.create_all()
    principal = storage.principal_for_key(storage.create_api_key("org-old"))
    assert principal is not None
    published, _ = storage.create_job(
        principal, request_json="{}", inputs_digest="d" * 64, params_json="{}", solver_version="test"
    )
    with sqlite3.connect(tmp_path / "old.sqlite3") as conn:  # as the previous version created the tables
        for table, column in (
            ("jobs", "kind"),
            ("jobs", "replan_of"),
            ("jobs", "check_json"),
            ("jobs", "checkpoint_json"),
            ("jobs", "resumed_from_cents"),
            ("audit_events", "replan_of"),
        ):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    storage.close()

    upgraded = Storage(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgraded.create_all()
    old = upgraded.get_job(published.job_id)
    assert old is not None
    assert (old.kind, old.replan_of, old.resumed_from_cents) == ("schedule", None, None)
    assert upgraded.check_json(published.job_id) is None
    assert upgraded.checkpoint_json(published.job_id) is None
    new, _ = upgraded.create_job(
        principal,
        request_json="{}",
        inputs_digest="e" * 64,
        params_json="{}",
        solver_version="test",
        kind="replan",
        replan_of=published.job_id,
    )
    assert upgraded.get_job(new.job_id, kinds=("schedule",)) is None
    assert upgraded.audit_events(new.job_id)[0]["replan_of"] == published.job_id
    upgraded.close()
