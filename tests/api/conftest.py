"""Fixtures of the REST API tests: one app per test module over a temporary SQLite file, and API keys."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas import example_problem
from api.settings import Settings
from api.storage import Storage
from optimizer.domain import (
    PlanningProblem,
    SolveParams,
)

TINY_PARAMS = SolveParams(time_limit_s=5, num_workers=1, random_seed=7)
HARD_PARAMS = SolveParams(time_limit_s=60, num_workers=1, random_seed=7)
FINAL = ("succeeded", "failed", "cancelled")
MAX_BODY_BYTES = 120_000
MAX_DEMAND_ROWS = 200


def api_settings(directory: Path, **overrides: Any) -> Settings:
    """Settings of a test app: a fresh SQLite file, API keys on, small limits."""
    base: dict[str, Any] = {
        "database_url": f"sqlite:///{directory / 'shiftmix.sqlite3'}",
        "dev": False,
        "workers": 2,
        "max_time_limit_s": 90.0,
        "watchdog_margin_s": 30.0,
        "max_body_bytes": MAX_BODY_BYTES,
        "max_demand_rows": MAX_DEMAND_ROWS,
        "rate_limit": "",  # the fuzzer and pollers send hundreds of requests a minute; rate limits have their test
    }
    base.update(overrides)
    return Settings(**base)


def schedule_body(problem: PlanningProblem | None = None, params: SolveParams = TINY_PARAMS) -> dict[str, Any]:
    """A schedule request body (JSON-ready); the tiny example problem by default."""
    return {
        "problem": (problem or example_problem()).model_dump(mode="json"),
        "params": params.model_dump(mode="json"),
    }


def wait_for(
    client: TestClient,
    job_id: str,
    headers: dict[str, str],
    done: tuple[str, ...] = FINAL,
    *,
    timeout_s: float = 60.0,
    until: str | None = None,
    resource: str = "schedules",
) -> dict[str, Any]:
    """Poll a job until its status is in ``done``, or with ``until="progress"`` until it has a plan so far.

    ``resource`` is the collection the job is under: ``schedules`` (schedules and re-plans) or ``scenarios``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(f"/v1/{resource}/{job_id}", headers=headers).json()
        job = body["job"]
        if job["status"] in done or (until == "progress" and job["progress"]["best_objective_cents"] is not None):
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} still {job['status']} after {timeout_s} s")
        time.sleep(0.05)


def storage_of(client: TestClient) -> Storage:
    """The app's job store (tests use it to create keys and look behind the API)."""
    storage: Storage = client.app.state.services.storage  # type: ignore[attr-defined]
    return storage


def key_headers(client: TestClient, org: str) -> dict[str, str]:
    """Create an API key for ``org`` and return the headers that send it as a bearer token."""
    return {"Authorization": f"Bearer {storage_of(client).create_api_key(org)}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(api_settings(tmp_path_factory.mktemp("api")))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def auth(client: TestClient) -> dict[str, str]:
    return key_headers(client, "org-a")


@pytest.fixture(scope="module")
def published(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """A succeeded schedule job of ``auth``'s organisation: ``{"job": ..., "plan": ...}``."""
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    done = wait_for(client, job_id, auth)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    return done
