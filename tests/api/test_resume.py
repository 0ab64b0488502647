"""A schedule job re-queued after its server died resumes from the best solution it stored (its checkpoint)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.jobs.checkpoint
import api.jobs.schedule
from api.app import create_app
from api.jobs import REQUEUED_NOTE, STOPPED_TWICE_ERROR, ProgressWriter
from api.jobs.checkpoint import Checkpoint
from api.jobs.schedule import solve_schedule
from api.schemas import example_problem
from api.storage import Storage
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.model import plan as real_plan
from optimizer.model.solve import Progress
from tests.api.conftest import TINY_PARAMS, api_settings, key_headers, schedule_body, storage_of

RESUMED_NOTE = "the server stopped while the job was running; it was run again from the best solution found before"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings(tmp_path))) as c:
        c.app.state.services.runner.stop()  # type: ignore[attr-defined]  # the test plays the workers
        yield c


def _submit(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post("/v1/schedules", json=schedule_body(example_problem(), TINY_PARAMS), headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _first_run_dies_after_its_first_solution(storage: Storage, job_id: str) -> None:
    """Run a job as its worker would until its first solution is stored, then die with the server.

    The worker's own progress writer stores the solution; the plan the solve returns is never stored, as when
    the process is killed.
    """
    assert storage.claim(job_id, os.getpid())
    writer = ProgressWriter(storage, job_id)
    stop = threading.Event()

    def first_solution(progress: Progress) -> None:
        writer(progress)
        stop.set()

    real_plan(example_problem(), TINY_PARAMS, on_progress=first_solution, stop_event=stop)


def _spy(received: list[Mapping[str, int] | None]) -> Any:
    def plan(problem: PlanningProblem, params: SolveParams | None = None, **kw: Any) -> Plan:
        received.append(kw.get("start"))
        return real_plan(problem, params, **kw)

    return plan


def _rerun(storage: Storage, job_id: str) -> None:
    assert storage.claim(job_id, os.getpid())
    record = storage.get_job(job_id)
    assert record is not None
    solve_schedule(storage, record)


def test_a_requeued_job_is_solved_from_its_checkpoint_and_ends_no_worse(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = key_headers(client, "org-resume")
    storage = storage_of(client)
    job_id = _submit(client, headers)
    _first_run_dies_after_its_first_solution(storage, job_id)
    text = storage.checkpoint_json(job_id)
    assert text is not None
    checkpoint = Checkpoint.from_json(text)
    assert checkpoint.decisions
    record = storage.get_job(job_id)
    assert record is not None
    assert record.best_objective_cents == checkpoint.objective_cents

    # the next server finds it running and queues it again; its worker hands the checkpoint to the solve
    assert storage.requeue_stale_running(REQUEUED_NOTE, STOPPED_TWICE_ERROR) == ([job_id], [])
    received: list[Mapping[str, int] | None] = []
    monkeypatch.setattr(api.jobs.schedule, "plan", _spy(received))
    _rerun(storage, job_id)

    assert received == [checkpoint.decisions]
    body = client.get(f"/v1/schedules/{job_id}", headers=headers).json()
    assert body["job"]["status"] == "succeeded"
    assert body["plan"]["solver"]["objective_cents"] <= checkpoint.objective_cents
    assert f"{RESUMED_NOTE} (objective {checkpoint.objective_cents} cents)" in body["job"]["notes"]
    assert storage.checkpoint_json(job_id) is None  # cleared once the job has its plan


def test_a_requeued_job_without_a_checkpoint_starts_afresh(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = key_headers(client, "org-fresh")
    storage = storage_of(client)
    job_id = _submit(client, headers)
    assert storage.claim(job_id, os.getpid())  # the server died before the solve found anything
    assert storage.requeue_stale_running(REQUEUED_NOTE, STOPPED_TWICE_ERROR) == ([job_id], [])
    received: list[Mapping[str, int] | None] = []
    monkeypatch.setattr(api.jobs.schedule, "plan", _spy(received))
    _rerun(storage, job_id)
    assert received == [None]
    body = client.get(f"/v1/schedules/{job_id}", headers=headers).json()
    assert body["job"]["status"] == "succeeded"
    assert not any(RESUMED_NOTE in note for note in body["job"]["notes"])


def test_a_checkpoint_of_another_version_is_not_used(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = key_headers(client, "org-upgrade")
    storage = storage_of(client)
    job_id = _submit(client, headers)
    _first_run_dies_after_its_first_solution(storage, job_id)
    monkeypatch.setattr(api.jobs.checkpoint, "software_version", lambda: "99.0.0")  # the restart upgraded
    assert storage.requeue_stale_running(REQUEUED_NOTE, STOPPED_TWICE_ERROR) == ([job_id], [])
    received: list[Mapping[str, int] | None] = []
    monkeypatch.setattr(api.jobs.schedule, "plan", _spy(received))
    _rerun(storage, job_id)
    assert received == [None]
    assert client.get(f"/v1/schedules/{job_id}", headers=headers).json()["job"]["status"] == "succeeded"
