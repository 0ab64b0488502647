"""Worker hosts: jobs per minute and queue wait at 1, 2 and 4 ``shiftmix worker`` processes; webhook latency.

One in-process API server (``SHIFTMIX_JOB_ENGINE=procrastinate``) on the machine's PostgreSQL
(``SHIFTMIX_TEST_POSTGRES_URL``, a throwaway schema per run) and N worker processes (concurrency 1, one CP-SAT
thread per job). For each N it submits ``--jobs`` solves of the bundled tiny example problem (or the busy
week) at once and prints
jobs per minute (first start to last finish; the burst is queued before the workers start) and the median and
p95 queue wait (from the first start, or from its submit if later, to its start) and the
speed-up over one worker. A webhook receiver on 127.0.0.1 gets every ``job.succeeded``; the p95 of receipt
minus the job's finish time is the delivery latency. ``--local`` runs the same load through the single-host
runner (``SHIFTMIX_WORKERS=N`` processes in the server) for comparison.

    SHIFTMIX_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/bench_workers.py [--jobs 48] [--problem tiny|busy-week] [--time-limit-s 5] \\
        [--workers 1 2 4] [--local]
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.examples import busy_week_problem
from api.schemas import example_problem
from api.settings import Settings
from api.storage import Storage
from optimizer.domain import SolveParams

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.api.webhook_receiver import webhook_receiver  # noqa: E402

FINAL = ("succeeded", "failed", "cancelled")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def start_workers(n: int, url: str, schema: str, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "SHIFTMIX_WORKER_DATABASE_URL": url, "SHIFTMIX_DB_SCHEMA": schema}
    env["SHIFTMIX_CORES_PER_JOB"] = "1"
    procs = []
    for i in range(n):
        with (log_dir / f"worker-{n}-{i}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        "import sys; from api.cli import main; sys.exit(main(sys.argv[1:]))",
                        "worker",
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                )
            )
    return procs


def wait_workers_ready(storage: Storage, schema: str, n: int, timeout_s: float = 60) -> None:
    engine = sa.create_engine(storage.database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                count = conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".procrastinate_workers')).scalar_one()
            if count >= n:
                return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise SystemExit(f"bench_workers: {n} workers did not start within {timeout_s} s")


def run_round(n: int, args: argparse.Namespace, url: str, log_dir: Path) -> dict[str, float]:
    schema = f"bench_workers_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=url,
        db_schema=schema,
        dev=False,
        rate_limit="",
        job_engine="local" if args.local else "procrastinate",
        workers=n,
        cores_per_job=1,
        webhook_key="f" * 43 + "=",
        webhook_allow_hosts=("127.0.0.1",),
    )
    params = SolveParams(time_limit_s=args.time_limit_s, num_workers=1, random_seed=7)
    problem = busy_week_problem() if args.problem == "busy-week" else example_problem()
    body = {"problem": problem.model_dump(mode="json"), "params": params.model_dump(mode="json")}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with webhook_receiver() as receiver, TestClient(create_app(settings)) as client:
            storage: Storage = client.app.state.services.storage  # type: ignore[attr-defined]
            headers = {"Authorization": f"Bearer {storage.create_api_key('bench')}"}
            r = client.post("/v1/webhooks", json={"url": receiver.url, "events": ["job.succeeded"]}, headers=headers)
            r.raise_for_status()
            # worker hosts: the burst is stored and handed to the engine before the workers start, so their
            # throughput is not capped by how fast one client submits; the local runner starts with the server
            ids = [client.post("/v1/schedules", json=body, headers=headers).json()["job_id"] for _ in range(args.jobs)]
            if not args.local:
                procs = start_workers(n, url, schema, log_dir)
                wait_workers_ready(storage, schema, n)
            deadline = time.monotonic() + args.jobs * (args.time_limit_s + 30)
            while time.monotonic() < deadline:  # one count a poll: the bench must not take the workers' cores
                counts = storage.counts_by_status()
                if counts["queued"] + counts["running"] == 0:
                    break
                time.sleep(0.5)
            records = [storage.get_job(j) for j in ids]
            assert all(r is not None for r in records)
            done = [r for r in records if r is not None and r.status in FINAL]
            if len(done) != len(ids):
                raise SystemExit(f"bench_workers: {len(ids) - len(done)} jobs did not finish in time")
            failed = [r for r in done if r.status != "succeeded"]
            time.sleep(1.0)  # the last deliveries
            received = {}
            for req in receiver.requests:
                received.setdefault(req.json["data"]["job_id"], req.at)
            latencies = [
                received[r.job_id] - r.finished_at.timestamp() for r in done if r.job_id in received and r.finished_at
            ]
            first = min(r.submitted_at for r in done) if args.local else min(r.started_at for r in done if r.started_at)
            last = max(r.finished_at for r in done if r.finished_at)
            waits = [(r.started_at - max(r.submitted_at, first)).total_seconds() for r in done if r.started_at]
            runs = [(r.finished_at - r.started_at).total_seconds() for r in done if r.started_at and r.finished_at]
            return {
                "run_median_s": statistics.median(runs),
                "jobs_per_min": len(done) / (last - first).total_seconds() * 60,
                "wait_median_s": statistics.median(waits),
                "wait_p95_s": percentile(waits, 0.95),
                "webhook_p95_s": percentile(latencies, 0.95) if latencies else math.nan,
                "webhooks": len(latencies),
                "failed": len(failed),
            }
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        leftover = Storage(url, schema=schema)
        leftover.drop_all()
        leftover.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=48)
    parser.add_argument("--time-limit-s", type=float, default=5.0)
    parser.add_argument("--problem", choices=("tiny", "busy-week"), default="tiny")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--local", action="store_true", help="the single-host runner instead of worker hosts")
    args = parser.parse_args()
    url = os.environ.get("SHIFTMIX_TEST_POSTGRES_URL")
    if not url:
        print("bench_workers: skipped, needs SHIFTMIX_TEST_POSTGRES_URL (postgresql+psycopg://postgres@127.0.0.1/test)")
        return 0
    mode = "local runner, N processes in the server" if args.local else "worker hosts, N shiftmix worker processes"
    print(
        f"{mode}; {args.jobs} {args.problem} solves (time limit {args.time_limit_s:g} s, 1 thread each) "
        f"on {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'N':>3} {'jobs/min':>9} {'speed-up':>9} {'wait med s':>11} {'wait p95 s':>11} {'webhook p95 s':>14} "
        f"{'run med s':>10} {'no plan':>8} {'load':>5}"
    )
    base = None
    with tempfile.TemporaryDirectory() as logs:
        for n in args.workers:
            m = run_round(n, args, url, Path(logs))
            base = base or m["jobs_per_min"]
            print(
                f"{n:>3} {m['jobs_per_min']:>9.1f} {m['jobs_per_min'] / base:>8.2f}x {m['wait_median_s']:>11.2f} "
                f"{m['wait_p95_s']:>11.2f} {m['webhook_p95_s']:>14.3f} "
                f"{m['run_median_s']:>10.2f} {m['failed']:>8} {os.getloadavg()[0]:>5.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
