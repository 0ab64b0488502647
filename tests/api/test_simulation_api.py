"""Simulations over HTTP: simulate a succeeded schedule job's plan as a job, read its summary and CSV; errors."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from optimizer.simulation import SIMULATION_COLUMNS
from tests.api.conftest import key_headers, schedule_body, wait_for


@pytest.fixture(scope="module")
def published(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    done = wait_for(client, job_id, auth)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    return done


def test_simulate_a_plan_as_a_job_and_fetch_its_summary_and_csv(client, auth, published):
    job_id = published["job"]["job_id"]
    body = {"options": {"reps": 30, "seed": 4, "risk_below": 0.99}}
    r = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers=auth)
    assert r.status_code == 202, r.json()
    sim_id = r.json()["job_id"]
    assert r.headers["location"].endswith(f"/v1/simulations/{sim_id}")
    done = wait_for(client, sim_id, auth, resource="simulations")
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    assert done["job"]["params"]["schedule_job"] == job_id
    summary = done["summary"]
    assert summary["reps"] == 30
    assert summary["mode"] == "forecast"
    assert summary["service_level_low"] <= summary["service_level"] <= summary["service_level_high"]
    r = client.get(f"/v1/simulations/{sim_id}/simulation.csv", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert tuple(rows[0]) == SIMULATION_COLUMNS
    assert len(rows) == len(published["plan"]["coverage"])
    risky = {row["interval_start"] for row in rows if row["at_risk"] == "True"}
    assert set(summary["intervals_at_risk"]) == risky
    again = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers={**auth, "Idempotency-Key": "k1"})
    same = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers={**auth, "Idempotency-Key": "k1"})
    assert again.json()["job_id"] == same.json()["job_id"]


def test_bad_simulation_requests_are_problems_naming_the_field(client, auth, published):
    job_id = published["job"]["job_id"]
    r = client.post(f"/v1/schedules/{job_id}/simulate", json={"options": {"reps": 0}}, headers=auth)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["options.reps"]
    r = client.post(f"/v1/schedules/{job_id}/simulate", json={"options": {"reps": 5000}}, headers=auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "options.reps"
    r = client.post("/v1/schedules/nope/simulate", json={}, headers=auth)
    assert r.status_code == 404
    assert client.get("/v1/simulations/nope", headers=auth).status_code == 404
    other = key_headers(client, "org-b")
    assert client.post(f"/v1/schedules/{job_id}/simulate", json={}, headers=other).status_code == 404
