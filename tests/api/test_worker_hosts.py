"""Jobs on worker hosts: one server and two ``shiftmix worker`` processes on the machine's PostgreSQL.

Kill -9 a worker mid-solve: the job finishes on the other (resumed) and runs nowhere twice. Twenty jobs of
two organisations start in a fair order. A cancel still stops a running solve and keeps its best plan.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.app import create_app
from api.hosts.engine import ensure_schema, worker_grants
from api.settings import Settings
from api.storage import Storage
from api.webhooks.security import verify
from tests.api.conftest import HARD_PARAMS, api_settings, key_headers, schedule_body, wait_for
from tests.api.test_replan_api import replan_body
from tests.api.test_schedules import busy_week_problem
from tests.api.webhook_receiver import webhook_receiver

POSTGRES_URL = os.environ.get("SHIFTMIX_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="SHIFTMIX_TEST_POSTGRES_URL is not set"),
]
ROLE_PASSWORD = uuid.uuid4().hex
WEBHOOK_KEY = "f" * 43 + "="
WORKER_FLAGS = ("--heartbeat-s", "0.5", "--stalled-after-s", "2", "--recover-every-s", "0.5", "--log-level", "warning")


class Workers:
    """``shiftmix worker`` processes of one test module."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.env = {
            **os.environ,
            "SHIFTMIX_WORKER_DATABASE_URL": settings.database_url,
            "SHIFTMIX_DB_SCHEMA": settings.db_schema or "",
            "SHIFTMIX_CORES_PER_JOB": "1",
        }
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        """Each worker's job store URL (its own role's)."""

    def start(self, database_url: str | None = None) -> subprocess.Popen[bytes]:
        env = self.env if database_url is None else {**self.env, "SHIFTMIX_WORKER_DATABASE_URL": database_url}
        with (self.log_dir / f"worker-{len(self.procs)}.log").open("wb") as log:
            proc = self._popen(log, env)
        self.procs.append(proc)
        return proc

    def _popen(self, log: object, env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from api.cli import main; sys.exit(main(sys.argv[1:]))",
                "worker",
                *WORKER_FLAGS,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def owner_of(self, pid: int) -> subprocess.Popen[bytes] | None:
        """Return the worker whose process tree holds ``pid`` (job process -> fork server -> worker)."""
        mine = {p.pid: p for p in self.procs if p.poll() is None}
        for _ in range(4):
            if pid in mine:
                return mine[pid]
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except FileNotFoundError:
                return None
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        return None

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Workers]]:
    assert POSTGRES_URL is not None
    schema = f"shiftmix_hosts_{uuid.uuid4().hex[:10]}"
    settings = api_settings(
        tmp_path_factory.mktemp("hosts"),
        database_url=POSTGRES_URL,
        db_schema=schema,
        job_engine="procrastinate",
        webhook_key=WEBHOOK_KEY,
        webhook_allow_hosts=("127.0.0.1",),
        webhook_retry_base_s=0.05,
    )
    app = create_app(settings)
    workers = Workers(settings, tmp_path_factory.mktemp("worker-logs"))
    roles = [f"{schema}_worker_{i}" for i in range(2)]
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with TestClient(app) as client:
            # each worker signs in with a role of its own, allowed the jobs and the engine's tables only
            try:
                with admin.begin() as conn:
                    for role in roles:
                        conn.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{ROLE_PASSWORD}'")
                        for grant in worker_grants(role, schema):
                            conn.exec_driver_sql(grant)
                workers.urls = [role_url(role) for role in roles]
            except sa.exc.ProgrammingError:  # the test database's user may not create roles: the workers use its URL
                workers.urls = [POSTGRES_URL, POSTGRES_URL]
            for url in workers.urls:
                workers.start(url)
            try:
                yield client, workers
            finally:
                workers.stop()
    finally:
        leftover = Storage(settings.database_url, schema=schema)
        leftover.drop_all()
        leftover.close()
        with contextlib.suppress(sa.exc.ProgrammingError), admin.begin() as conn:
            for role in roles:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def role_url(role: str) -> str:
    """The test database's URL, signed in as ``role`` with its password (trust or password authentication)."""
    assert POSTGRES_URL is not None
    return make_url(POSTGRES_URL).set(username=role, password=ROLE_PASSWORD).render_as_string(hide_password=False)


def test_a_worker_role_reaches_jobs_but_not_keys(hosts: tuple[TestClient, Workers]) -> None:
    client, workers = hosts
    if workers.urls[0] == POSTGRES_URL:
        pytest.skip("the user of SHIFTMIX_TEST_POSTGRES_URL may not create roles")
    storage = client.app.state.services.storage  # type: ignore[attr-defined]
    role = workers.env["SHIFTMIX_DB_SCHEMA"] + "_worker_0"
    as_worker = Storage(role_url(role), schema=storage.schema)
    try:
        headers = key_headers(client, "org-roles")
        assert as_worker.counts_by_status() is not None  # reads jobs
        assert not ensure_schema(role_url(role), storage.schema)  # exists: nothing to create, nothing asked
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            as_worker.principal_for_key(headers["Authorization"].removeprefix("Bearer "))
    finally:
        as_worker.close()


def test_jobs_run_on_the_worker_hosts_and_their_events_reach_webhooks(hosts: tuple[TestClient, Workers]) -> None:
    client, _ = hosts
    headers = key_headers(client, "org-hosts")
    with webhook_receiver(fail_first=1) as receiver:
        r = client.post("/v1/webhooks", json={"url": receiver.url, "secret": "s" * 20}, headers=headers)
        assert r.status_code == 201, r.text
        job_id = client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"]
        done = wait_for(client, job_id, headers, timeout_s=60)
        got = receiver.wait_for(lambda req: req.json["data"]["job_id"] == job_id and len(receiver.requests) >= 2)
    assert done["job"]["status"] == "succeeded"
    record = client.app.state.services.storage.get_job(job_id)  # type: ignore[attr-defined]
    assert record.worker_pid != os.getpid()
    assert client.app.state.services.runner.running_jobs() == 0  # type: ignore[attr-defined]
    assert verify(
        "s" * 20, int(got[-1].headers["shiftmix-timestamp"]), got[-1].body, got[-1].headers["shiftmix-signature"]
    )


def test_re_plans_and_simulations_run_on_the_worker_hosts(hosts: tuple[TestClient, Workers]) -> None:
    client, _ = hosts
    headers = key_headers(client, "org-kinds")
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"]
    assert wait_for(client, job_id, headers, timeout_s=60)["job"]["status"] == "succeeded"
    replan = client.post(f"/v1/schedules/{job_id}/replan", json=replan_body(), headers=headers)
    simulation = client.post(
        f"/v1/schedules/{job_id}/simulate", json={"options": {"reps": 10, "seed": 4}}, headers=headers
    )
    assert (replan.status_code, simulation.status_code) == (202, 202)
    done = wait_for(client, replan.json()["job_id"], headers, timeout_s=60)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    simulated = wait_for(client, simulation.json()["job_id"], headers, timeout_s=60, resource="simulations")
    assert simulated["job"]["status"] == "succeeded", simulated["job"]["error"]


def test_a_job_is_handed_to_the_engine_once(hosts: tuple[TestClient, Workers]) -> None:
    client, _ = hosts
    runner = client.app.state.services.runner  # type: ignore[attr-defined]
    headers = key_headers(client, "org-once")
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"]
    runner.enqueue(job_id)  # a second hand-over while it waits, or after it ran, changes nothing
    assert wait_for(client, job_id, headers, timeout_s=60)["job"]["status"] == "succeeded"
    assert [e["action"] for e in client.app.state.services.storage.audit_events(job_id)] == ["submit"]  # type: ignore[attr-defined]


def test_cancel_stops_a_solve_on_a_worker_host_and_keeps_its_best_plan(hosts: tuple[TestClient, Workers]) -> None:
    client, _ = hosts
    headers = key_headers(client, "org-cancel")
    job_id = client.post("/v1/schedules", json=schedule_body(busy_week_problem(), HARD_PARAMS), headers=headers).json()[
        "job_id"
    ]
    wait_for(client, job_id, headers, until="progress", timeout_s=60)
    assert client.post(f"/v1/schedules/{job_id}/cancel", headers=headers).status_code == 202
    done = wait_for(client, job_id, headers, timeout_s=20)
    assert done["job"]["status"] == "cancelled"
    assert done["plan"]["shifts"]
    assert done["violations"] == []


def test_jobs_of_two_organisations_start_in_a_fair_order(hosts: tuple[TestClient, Workers]) -> None:
    client, _ = hosts
    a, b = key_headers(client, "org-many"), key_headers(client, "org-few")
    storage = client.app.state.services.storage  # type: ignore[attr-defined]
    # two longer solves of org-many hold both workers while the twenty jobs are submitted
    blocking = HARD_PARAMS.model_copy(update={"time_limit_s": 6.0})
    blockers = [
        client.post("/v1/schedules", json=schedule_body(busy_week_problem(), blocking), headers=a).json()["job_id"]
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while any(storage.get_job(j).status == "queued" for j in blockers) and time.monotonic() < deadline:
        time.sleep(0.05)
    many = [client.post("/v1/schedules", json=schedule_body(), headers=a).json()["job_id"] for _ in range(10)]
    few = [client.post("/v1/schedules", json=schedule_body(), headers=b).json()["job_id"] for _ in range(10)]
    assert all(storage.get_job(j).status == "queued" for j in many[:2] + few[:2])
    for job_id in many:
        wait_for(client, job_id, a, timeout_s=120)
    for job_id in few:
        wait_for(client, job_id, b, timeout_s=120)
    records = [storage.get_job(j) for j in many + few]
    assert all(r.status == "succeeded" for r in records)
    order = ["b" if r.job_id in few else "a" for r in sorted(records, key=lambda r: r.started_at)]
    # first come first served would start all ten of org-many's first; round robin alternates, org-few first
    # (org-many already had two solves running when they were submitted)
    for org in "ab":
        positions = [i for i, o in enumerate(order) if o == org]
        assert all(pos <= 2 * k + 3 for k, pos in enumerate(positions)), order
    assert order[:2] == ["b", "b"] or order[:3].count("b") >= 2, order


def test_a_killed_worker_host_s_job_finishes_on_the_other(hosts: tuple[TestClient, Workers]) -> None:
    client, workers = hosts
    headers = key_headers(client, "org-kill")
    params = HARD_PARAMS.model_copy(update={"time_limit_s": 12.0})
    job_id = client.post("/v1/schedules", json=schedule_body(busy_week_problem(), params), headers=headers).json()[
        "job_id"
    ]
    storage = client.app.state.services.storage  # type: ignore[attr-defined]
    wait_for(client, job_id, headers, until="progress", timeout_s=60)
    time.sleep(2.5)  # past a checkpoint (every 2 s), so the other worker resumes from it
    first = storage.get_job(job_id)
    assert first.status == "running"
    victim = workers.owner_of(first.worker_pid)
    assert victim is not None
    victim.send_signal(signal.SIGKILL)
    victim.wait(5)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{first.worker_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    # the killed worker's solve ended with it: the job can run nowhere twice
    assert not Path(f"/proc/{first.worker_pid}").exists() or "Z" in Path(f"/proc/{first.worker_pid}/stat").read_text()
    done = wait_for(client, job_id, headers, timeout_s=60)
    after = storage.get_job(job_id)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    assert after.worker_pid != first.worker_pid
    assert after.resumed_from_cents is not None  # resumed from the dead worker's checkpoint
    survivor = workers.owner_of(after.worker_pid) if Path(f"/proc/{after.worker_pid}").exists() else None
    assert survivor is not victim
    workers.start(workers.urls[0])  # the module's second worker back
