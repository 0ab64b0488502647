"""Change requests over HTTP: check a swap or time off against a published plan, apply it as a new version."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.examples import EXAMPLE_DATE, EXAMPLE_TIMEZONE
from tests.api.conftest import schedule_body, storage_of, wait_for

PROBLEM_JSON = "application/problem+json"
ZONE = ZoneInfo(EXAMPLE_TIMEZONE)


def _working(published: dict[str, Any]) -> list[str]:
    return sorted({s["worker_id"] for s in published["plan"]["shifts"] if s["kind"] == "fte"})


def _swap(a: str, b: str, day: dt.date = EXAMPLE_DATE) -> dict[str, Any]:
    return {
        "kind": "swap",
        "first": {"worker_id": a, "date": day.isoformat()},
        "second": {"worker_id": b, "date": day.isoformat()},
    }


def test_check_apply_list_and_a_stale_version(client, auth, published):
    job_id = published["job"]["job_id"]
    a, b = _working(published)[:2]
    r = client.post(f"/v1/schedules/{job_id}/changes:check", json={"change": _swap(a, b)}, headers=auth)
    assert r.status_code == 200, r.json()
    assert r.json()["version"] == 1
    check = r.json()["check"]
    assert check["accepted"] is True
    assert check["findings"] == []
    assert check["cost_delta_cents"] == 0

    r = client.post(
        f"/v1/schedules/{job_id}/changes",
        json={"change": _swap(a, b), "version": 1, "requested_by": "kim"},
        headers=auth,
    )
    assert r.status_code == 201, r.json()
    applied = r.json()
    assert applied["version"] == 2
    assert applied["audit"]["requested_by"] == "kim"
    assert applied["audit"]["api_key_id"] is not None
    swapped = {s["worker_id"]: s["start"] for s in applied["plan"]["shifts"] if s["kind"] == "fte"}
    before = {s["worker_id"]: s["start"] for s in published["plan"]["shifts"] if s["kind"] == "fte"}
    assert (swapped[a], swapped[b]) == (before[b], before[a])
    # the stored version reports its expected level as a plan does; a swap of same-day shifts keeps the floor
    assert applied["plan"]["kpis"]["expected_service_level"] == published["plan"]["kpis"]["expected_service_level"]

    history = client.get(f"/v1/schedules/{job_id}/changes", headers=auth).json()
    assert history["current_version"] == 2
    assert [v["change"]["kind"] for v in history["versions"]] == ["swap"]

    r = client.post(f"/v1/schedules/{job_id}/changes:check", json={"change": _swap(a, b), "version": 1}, headers=auth)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert "at version 2" in r.json()["detail"]
    assert r.json()["type"].endswith("plan-version-stale")


def test_a_change_that_leaves_intervals_short_is_refused_and_not_applied(client, auth, published):
    job_id = published["job"]["job_id"]
    worker = _working(published)[0]
    day = dt.datetime.combine(EXAMPLE_DATE, dt.time(0), tzinfo=ZONE)
    off = {
        "kind": "time_off",
        "worker_id": worker,
        "start": day.isoformat(),
        "end": (day + dt.timedelta(days=1)).isoformat(),
    }
    r = client.post(f"/v1/schedules/{job_id}/changes:check", json={"change": off}, headers=auth)
    assert r.status_code == 200
    check = r.json()["check"]
    assert check["understaffed_intervals_delta"] > 0
    assert check["accepted"] is False
    assert "coverage_target" in {f["rule"] for f in check["findings"]}
    current = client.get(f"/v1/schedules/{job_id}/changes", headers=auth).json()["current_version"]
    r = client.post(f"/v1/schedules/{job_id}/changes", json={"change": off}, headers=auth)
    assert r.status_code == 409
    assert r.json()["type"].endswith("change-refused")
    assert client.get(f"/v1/schedules/{job_id}/changes", headers=auth).json()["current_version"] == current
    assert check["cost_delta_cents"] < 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "swap", "first": {"worker_id": "agent-1", "date": "2026-01-05"}}, "change.swap.second"),
        (_swap("agent-1", "ghost"), "change.swap.second.worker_id"),
        (
            {
                "kind": "time_off",
                "worker_id": "agent-1",
                "start": "2026-01-05T10:00:00+01:00",
                "end": "2026-01-05T09:00:00+01:00",
            },
            "change.time_off",
        ),
        ({"kind": "holiday", "worker_id": "agent-1"}, "change"),
    ],
)
def test_bad_change_input_is_422_naming_the_field(client, auth, published, change, field):
    job_id = published["job"]["job_id"]
    r = client.post(f"/v1/schedules/{job_id}/changes:check", json={"change": change}, headers=auth)
    assert r.status_code == 422, r.json()
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields


def test_an_unknown_job_is_404(client, auth):
    r = client.post("/v1/schedules/nope/changes:check", json={"change": _swap("agent-1", "agent-2")}, headers=auth)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("preference", "field", "problem"),
    [
        (
            {"worker_id": "agent-1", "day": "mon", "weight": -1},
            "problem.workforce.preferences[0].weight",
            "greater than or equal to 0",
        ),
        ({"worker_id": "ghost", "day": "mon"}, "problem.workforce", "preferences[0].worker_id 'ghost'"),
        ({"worker_id": "agent-1", "date": "2030-01-01"}, "problem", "preferences[0].date 2030-01-01 is outside"),
    ],
)
def test_a_bad_preference_in_a_schedule_request_is_422_naming_it(client, auth, preference, field, problem):
    body = schedule_body()
    body["problem"]["workforce"]["preferences"] = [preference]
    r = client.post("/v1/schedules", json=body, headers=auth)
    assert r.status_code == 422, r.json()
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    error = r.json()["errors"][0]
    assert error["field"] == field
    assert problem in error["problem"]


def test_deleting_a_job_deletes_its_plan_versions(client, auth):
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    done = wait_for(client, job_id, auth)
    a, b = _working(done)[:2]
    assert client.post(f"/v1/schedules/{job_id}/changes", json={"change": _swap(a, b)}, headers=auth).status_code == 201
    assert storage_of(client).plan_versions.history(job_id)
    assert client.delete(f"/v1/schedules/{job_id}", headers=auth).status_code in (200, 204)
    assert storage_of(client).plan_versions.history(job_id) == []
