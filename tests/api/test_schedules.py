"""The schedule job flow: submit, poll, plan and CSVs; validate_only, idempotency, paging, cancel, delete."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from api.examples import busy_week_problem
from api.schemas import ScheduleRequest, example_problem
from optimizer.domain import SolveParams
from optimizer.export import COVERAGE_COLUMNS, SCHEDULE_COLUMNS
from tests.api.conftest import (
    HARD_PARAMS,
    TINY_PARAMS,
    key_headers,
    schedule_body,
    storage_of,
    wait_for,
)

SOLVED = {"OPTIMAL", "FEASIBLE"}


def test_submit_poll_and_fetch_plan_and_csvs(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/v1/schedules", json=schedule_body(), headers=auth)
    assert r.status_code == 202
    accepted = r.json()
    assert accepted["status"] == "queued"
    assert accepted["status_url"].endswith(f"/v1/schedules/{accepted['job_id']}")
    assert r.headers["location"] == accepted["status_url"]

    done = wait_for(client, accepted["job_id"], auth)
    job, plan = done["job"], done["plan"]
    assert job["status"] == "succeeded", job["error"]
    assert plan["solver"]["status"] in SOLVED
    assert job["progress"]["best_objective_cents"] == plan["solver"]["objective_cents"]
    assert job["progress"]["best_bound_cents"] == plan["solver"]["best_bound_cents"]
    assert job["params"] == TINY_PARAMS.model_dump(mode="json")
    assert plan["inputs_digest"] == job["inputs_digest"]
    assert job["started_at"] <= job["finished_at"]
    assert done["violations"] == []  # the worker ran check_plan on the plan and stored its findings

    coverage = client.get(f"/v1/schedules/{job['job_id']}/coverage.csv", headers=auth)
    assert coverage.status_code == 200
    assert coverage.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(coverage.text)))
    assert tuple(rows[0]) == COVERAGE_COLUMNS
    assert len(rows) == 24
    assert sum(int(row["scheduled"]) for row in rows) > 0

    schedule = client.get(f"/v1/schedules/{job['job_id']}/schedule.csv", headers=auth)
    assert schedule.status_code == 200
    shifts = list(csv.DictReader(io.StringIO(schedule.text)))
    assert tuple(schedule.text.splitlines()[0].split(",")) == SCHEDULE_COLUMNS
    assert len(shifts) == len(plan["shifts"]) > 0


def test_audit_trail_records_who_submitted_what(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    wait_for(client, job_id, auth)
    events = storage_of(client).audit_events(job_id)
    assert [e["action"] for e in events] == ["submit"]
    submit = events[0]
    assert submit["api_key_id"] is not None
    assert submit["solver_version"].startswith("ortools")
    assert SolveParams.model_validate_json(submit["params_json"]) == TINY_PARAMS
    assert storage_of(client).get_job(job_id).inputs_digest == submit["inputs_digest"]  # type: ignore[union-attr]


def test_submitted_request_is_stored_as_sent(client: TestClient, auth: dict[str, str]) -> None:
    body = schedule_body()
    job_id = client.post("/v1/schedules", json=body, headers=auth).json()["job_id"]
    stored = storage_of(client).request_json(job_id)
    assert stored is not None
    assert ScheduleRequest.model_validate_json(stored) == ScheduleRequest.model_validate(body)
    wait_for(client, job_id, auth)


def test_validate_only_checks_without_storing(client: TestClient) -> None:
    headers = key_headers(client, "org-validate")
    r = client.post("/v1/schedules?validate_only=true", json=schedule_body(), headers=headers)
    assert r.status_code == 200
    report = r.json()
    assert report["valid"] is True
    assert len(report["inputs_digest"]) == 64
    assert client.get("/v1/schedules", headers=headers).json()["total"] == 0


def test_time_limit_is_capped_at_the_server_limit(client: TestClient, auth: dict[str, str]) -> None:
    cap = client.app.state.services.settings.max_time_limit_s  # type: ignore[attr-defined]
    body = schedule_body(params=SolveParams(time_limit_s=cap + 100, num_workers=1))
    report = client.post("/v1/schedules?validate_only=true", json=body, headers=auth).json()
    assert report["params"]["time_limit_s"] == cap


def test_idempotency_key_returns_the_same_job(client: TestClient, auth: dict[str, str]) -> None:
    headers = {**auth, "Idempotency-Key": "plan-week-10"}
    first = client.post("/v1/schedules", json=schedule_body(), headers=headers)
    again = client.post("/v1/schedules", json=schedule_body(), headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]

    other_org = {**key_headers(client, "org-idem"), "Idempotency-Key": "plan-week-10"}
    elsewhere = client.post("/v1/schedules", json=schedule_body(), headers=other_org)
    assert elsewhere.json()["job_id"] != first.json()["job_id"]

    changed = schedule_body(params=SolveParams(time_limit_s=4, num_workers=1))
    reused = client.post("/v1/schedules", json=changed, headers=headers)
    assert reused.status_code == 422
    assert [e["field"] for e in reused.json()["errors"]] == ["header.idempotency-key"]
    wait_for(client, first.json()["job_id"], auth)
    wait_for(client, elsewhere.json()["job_id"], other_org)


def test_paging_lists_own_jobs_newest_first(client: TestClient) -> None:
    headers = key_headers(client, "org-paging")
    ids = [
        client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"] for _ in range(3)
    ]
    first = client.get("/v1/schedules?limit=2&offset=0", headers=headers).json()
    second = client.get("/v1/schedules?limit=2&offset=2", headers=headers).json()
    assert first["total"] == second["total"] == 3
    assert [j["job_id"] for j in first["items"]] + [j["job_id"] for j in second["items"]] == ids[::-1]
    assert (first["limit"], first["offset"], second["offset"]) == (2, 0, 2)
    for job_id in ids:
        wait_for(client, job_id, headers)


def test_cancel_stops_the_solve_and_keeps_the_best_plan(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post(
        "/v1/schedules", json=schedule_body(busy_week_problem(), HARD_PARAMS), headers=auth
    ).json()["job_id"]
    running = wait_for(client, job_id, auth, until="progress")
    assert running["job"]["status"] == "running"
    assert running["plan"] is None
    csv_early = client.get(f"/v1/schedules/{job_id}/coverage.csv", headers=auth)
    assert csv_early.status_code == 409
    assert csv_early.headers["content-type"] == "application/problem+json"

    r = client.post(f"/v1/schedules/{job_id}/cancel", headers=auth)
    assert r.status_code == 202
    assert r.json()["cancel_requested"] is True

    done = wait_for(client, job_id, auth, timeout_s=20)
    assert done["job"]["status"] == "cancelled"
    solver = done["plan"]["solver"]
    assert solver["status"] == "FEASIBLE"
    assert solver["objective_cents"] >= solver["best_bound_cents"]
    assert done["plan"]["shifts"]
    assert done["violations"] == []  # the best plan so far is whole and valid
    assert client.get(f"/v1/schedules/{job_id}/schedule.csv", headers=auth).status_code == 200
    assert [e["action"] for e in storage_of(client).audit_events(job_id)] == ["submit", "cancel"]


def test_cancel_a_finished_job_is_a_conflict(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    wait_for(client, job_id, auth)
    r = client.post(f"/v1/schedules/{job_id}/cancel", headers=auth)
    assert r.status_code == 409
    assert r.json()["type"] == "urn:shiftmix:problem:job-finished"


def test_delete_removes_the_job(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    wait_for(client, job_id, auth)
    assert client.delete(f"/v1/schedules/{job_id}", headers=auth).status_code == 204
    gone = client.get(f"/v1/schedules/{job_id}", headers=auth)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert [e["action"] for e in storage_of(client).audit_events(job_id)] == ["submit", "delete"]


def test_staffing_returns_required_agents_per_interval(client: TestClient, auth: dict[str, str]) -> None:
    body = {
        "interval_min": 60,
        "demand": [d.model_dump(mode="json") for d in example_problem().demand],
        "service_target": {"service_level": 0.8, "answer_within_s": 20, "shrinkage": 0.25},
    }
    r = client.post("/v1/staffing", json=body, headers=auth)
    assert r.status_code == 200
    rows = r.json()["rows"]
    assert len(rows) == 24
    busy = [row for row in rows if row["volume"] > 0]
    assert busy
    assert all(row["required"] >= row["agents"] > 0 for row in busy)
    assert all(row["agents"] == row["required"] == 0 for row in rows if row["volume"] == 0)


def test_openapi_examples_are_accepted(client: TestClient, auth: dict[str, str]) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    paths = {
        "ScheduleRequest": "/v1/schedules?validate_only=true",
        "StaffingRequest": "/v1/staffing",
        "ForecastRequest": "/v1/forecasts",
    }
    for name, path in paths.items():
        (example,) = schemas[name]["examples"]
        r = client.post(path, json=example, headers=auth)
        assert r.status_code == 200, (name, r.json())


def test_operation_ids_are_stable(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ids = {op["operationId"] for methods in spec["paths"].values() for op in methods.values()}
    assert {
        "submit",
        "list_schedules",
        "get_schedule",
        "get_schedule_csv",
        "get_coverage_csv",
        "get_schedule_ics",
        "get_plan_xlsx",
        "get_report",
        "cancel_schedule",
        "delete_schedule",
        "submit_replan",
        "get_changes_csv",
        "get_days_csv",
        "submit_simulation",
        "get_simulation",
        "get_simulation_csv",
        "delete_simulation",
        "get_offers_csv",
        "get_reforecast_csv",
        "check_schedule_change",
        "apply_schedule_change",
        "list_schedule_changes",
        "submit_scenario",
        "list_scenarios",
        "get_scenario",
        "get_scenario_results_csv",
        "cancel_scenario",
        "delete_scenario",
        "compute_staffing",
        "create_forecast",
        "healthz",
        "readyz",
        "metrics",
        "create_webhook",
        "list_webhooks",
        "get_webhook",
        "delete_webhook",
        "list_deliveries",
        "publish_schedule",
    } == ids


def test_metrics_label_route_templates_not_ids(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    wait_for(client, job_id, auth)
    assert client.get("/metrics").status_code == 401
    r = client.get("/metrics", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'shiftmix_http_requests_total{method="GET",route="/v1/schedules/{job_id}",status="200"}' in text
    assert 'shiftmix_jobs{status="succeeded"}' in text
    assert "shiftmix_worker_processes" in text
    assert job_id not in text
