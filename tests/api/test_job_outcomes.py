"""What a schedule job reports: no plan stored without a solution, notes on a loose gap and capped params."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

import api.jobs.schedule
from api.app import create_app
from api.jobs.schedule import solve_schedule
from api.settings import Settings
from optimizer.domain import Plan, PlanningProblem, SolveParams, SolveStatus
from optimizer.model import plan as real_plan
from tests.api.conftest import TINY_PARAMS, api_settings, schedule_body, storage_of


@pytest.fixture
def client(tmp_path):
    app = create_app(api_settings(tmp_path, max_time_limit_s=30.0, cores_per_job=2))
    with TestClient(app) as c:
        yield c


def _stored_job(client: TestClient, params: SolveParams = TINY_PARAMS) -> tuple[str, dict[str, str]]:
    """Store a schedule job without running it (the runner is stopped first), claimed by this process."""
    storage = storage_of(client)
    key = storage.create_api_key("acme")
    headers = {"Authorization": f"Bearer {key}"}
    client.app.state.services.runner.stop()  # type: ignore[attr-defined]
    response = client.post("/v1/schedules", json=schedule_body(params=params), headers=headers)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert storage.claim(job_id, os.getpid())
    return job_id, headers


def _no_solution(problem: PlanningProblem, params: SolveParams | None = None, **kw: object) -> Plan:
    solved = real_plan(problem, params, **kw)
    solver = solved.solver.model_copy(
        update={"status": SolveStatus.UNKNOWN, "objective_cents": None, "best_bound_cents": None, "gap_ratio": None}
    )
    return solved.model_copy(update={"solver": solver, "shifts": ()})


def _loose_gap(problem: PlanningProblem, params: SolveParams | None = None, **kw: object) -> Plan:
    solved = real_plan(problem, params, **kw)
    objective = solved.solver.objective_cents
    assert objective
    solver = solved.solver.model_copy(
        update={"status": SolveStatus.FEASIBLE, "best_bound_cents": int(objective * 0.7), "gap_ratio": 0.3}
    )
    return solved.model_copy(update={"solver": solver})


def test_a_job_without_a_solution_fails_with_a_reason_and_no_plan(client, monkeypatch):
    job_id, headers = _stored_job(client)
    monkeypatch.setattr(api.jobs.schedule, "plan", _no_solution)
    storage = storage_of(client)
    record = storage.get_job(job_id)
    assert record is not None
    solve_schedule(storage, record)
    body = client.get(f"/v1/schedules/{job_id}", headers=headers).json()
    assert body["job"]["status"] == "failed"
    assert body["plan"] is None
    assert "no plan found (solver status UNKNOWN)" in body["job"]["error"]
    assert "time_limit_s" in body["job"]["error"]
    csv = client.get(f"/v1/schedules/{job_id}/schedule.csv", headers=headers)
    assert csv.status_code == 409


def test_a_job_above_its_requested_gap_says_so_in_result_and_list(client, monkeypatch):
    job_id, headers = _stored_job(client)
    monkeypatch.setattr(api.jobs.schedule, "plan", _loose_gap)
    storage = storage_of(client)
    record = storage.get_job(job_id)
    assert record is not None
    solve_schedule(storage, record)
    body = client.get(f"/v1/schedules/{job_id}", headers=headers).json()
    assert body["job"]["status"] == "succeeded"
    assert body["plan"] is not None
    assert any("gap of 30.0%" in n and "relative_gap 0.0%" in n for n in body["job"]["notes"]), body["job"]
    listed = client.get("/v1/schedules", headers=headers).json()["items"][0]
    assert any("gap of 30.0%" in n for n in listed["notes"])


def test_a_time_limit_above_the_servers_is_capped_with_a_note(client):
    job_id, headers = _stored_job(client, params=TINY_PARAMS.model_copy(update={"time_limit_s": 300.0}))
    body = client.get(f"/v1/schedules/{job_id}", headers=headers).json()
    assert body["job"]["params"]["time_limit_s"] == 30.0
    assert "params.time_limit_s: 300 s requested, capped at 30 s by this server" in body["job"]["notes"]


def test_threads_above_the_servers_cap_are_clamped_with_a_note(client):
    job_id, headers = _stored_job(client, params=TINY_PARAMS.model_copy(update={"num_workers": 16}))
    body = client.get(f"/v1/schedules/{job_id}", headers=headers).json()
    assert body["job"]["params"]["num_workers"] == 2
    assert "params.num_workers: 16 threads requested, capped at 2 threads by this server" in body["job"]["notes"]


def test_the_thread_cap_defaults_to_the_machines_cores_shared_by_the_workers(monkeypatch):
    monkeypatch.setattr("api.settings.available_cores", lambda: 8)
    assert Settings(workers=2).threads_per_job == 4
    assert Settings(workers=16).threads_per_job == 1
    assert Settings(workers=2, cores_per_job=3).threads_per_job == 3
    assert Settings.from_env({"SHIFTMIX_CORES_PER_JOB": "5"}).threads_per_job == 5
    with pytest.raises(ValueError, match="SHIFTMIX_CORES_PER_JOB must be at least 1"):
        Settings.from_env({"SHIFTMIX_CORES_PER_JOB": "0"})
