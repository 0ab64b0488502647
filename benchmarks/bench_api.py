"""REST API under load: /healthz latency while 50 clients poll a running solve.

Starts ``python -m api.cli.serve`` on 127.0.0.1 (dev mode, temporary SQLite), submits one week-long solve, then
runs ``--clients`` concurrent clients that each poll the job's status and ``/healthz`` in turn until the job
finishes (or ``--max-seconds`` / ``--max-requests`` is reached). Prints the /healthz and status-poll latency
percentiles and the job's total time. Target: /healthz p99 < 50 ms while the solver runs.

    .venv/bin/python benchmarks/bench_api.py [--clients 50] [--time-limit-s 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.examples import busy_week_problem
from api.schemas import example_problem
from optimizer.domain import (
    SolveParams,
)

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def server_p99_ms(metrics: str, route: str) -> float:
    """Return the histogram bucket bound under which 99 % of the server's handling times of ``route`` fall."""
    buckets = []
    for line in metrics.splitlines():
        if line.startswith("shiftmix_http_request_duration_seconds_bucket") and f'route="{route}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((math.inf if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    total = max(count for _, count in buckets)
    return next(bound for bound, count in sorted(buckets) if count >= 0.99 * total) * 1000


async def wait_up(base: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not come up")
            await asyncio.sleep(0.1)


async def warm_up(http: httpx.AsyncClient) -> None:
    """Solve the tiny example once, so the worker fork server has finished importing before we measure."""
    example = {"problem": example_problem().model_dump(mode="json"), "params": {"time_limit_s": 5, "num_workers": 1}}
    status_path = f"/v1/schedules/{(await http.post('/v1/schedules', json=example)).json()['job_id']}"
    while (await http.get(status_path)).json()["job"]["status"] in ("queued", "running"):
        await asyncio.sleep(0.1)


async def load(base: str, args: argparse.Namespace) -> dict[str, object]:
    body = {
        "problem": busy_week_problem().model_dump(mode="json"),
        "params": SolveParams(time_limit_s=args.time_limit_s, num_workers=1).model_dump(mode="json"),
    }
    limits = httpx.Limits(max_connections=args.clients + 5, max_keepalive_connections=args.clients + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await warm_up(http)
        submitted = time.perf_counter()
        accepted = (await http.post("/v1/schedules", json=body)).json()
        status_path = f"/v1/schedules/{accepted['job_id']}"
        health_ms: list[float] = []
        poll_ms: list[float] = []
        finished = asyncio.Event()
        stop_at = time.monotonic() + args.max_seconds
        finished_after: list[float] = []

        async def client(offset_s: float) -> None:
            await asyncio.sleep(offset_s)  # pollers are not synchronised in real life
            while not finished.is_set() and time.monotonic() < stop_at and len(health_ms) < args.max_requests:
                t0 = time.perf_counter()
                job = (await http.get(status_path)).json()["job"]
                poll_ms.append((time.perf_counter() - t0) * 1000)
                if job["status"] not in ("queued", "running"):
                    if not finished.is_set():
                        finished_after.append(time.perf_counter() - submitted)
                    finished.set()
                    return
                t0 = time.perf_counter()
                r = await http.get("/healthz")
                health_ms.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                await asyncio.sleep(args.poll_interval_s)

        offsets = random.Random(0).uniform
        await asyncio.gather(*(client(offsets(0, args.poll_interval_s)) for _ in range(args.clients)))
        while not finished.is_set():
            job = (await http.get(status_path)).json()["job"]
            if job["status"] not in ("queued", "running"):
                finished_after.append(time.perf_counter() - submitted)
                finished.set()
            else:
                await asyncio.sleep(0.2)
        final = (await http.get(status_path)).json()
        metrics = (await http.get("/metrics")).text
    server_s = (
        dt.datetime.fromisoformat(final["job"]["finished_at"]) - dt.datetime.fromisoformat(final["job"]["submitted_at"])
    ).total_seconds()
    return {
        "clients": args.clients,
        "poll_interval_s": args.poll_interval_s,
        "healthz_requests": len(health_ms),
        "healthz_p50_ms": round(statistics.median(health_ms), 2),
        "healthz_p99_ms": round(percentile(health_ms, 0.99), 2),
        "healthz_server_p99_ms_at_most": server_p99_ms(metrics, "/healthz"),
        "status_poll_p50_ms": round(statistics.median(poll_ms), 2),
        "status_poll_p99_ms": round(percentile(poll_ms, 0.99), 2),
        "job_status": final["job"]["status"],
        "job_error": final["job"]["error"],
        "solver_status": final["plan"]["solver"]["status"] if final["plan"] else None,
        "time_limit_s": args.time_limit_s,
        "job_total_s": round(finished_after[0], 2),
        "job_server_s": round(server_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--time-limit-s", type=float, default=10.0)
    parser.add_argument("--poll-interval-s", type=float, default=0.5, help="pause of each client between polls [s]")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="stop polling after this long [s]")
    parser.add_argument("--max-requests", type=int, default=20_000, help="stop after this many /healthz calls")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SHIFTMIX_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "SHIFTMIX_DEV": "1",
        }
        cmd = [sys.executable, "-m", "api.cli.serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(
            [*cmd, "--log-level", "warning"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asyncio.run(wait_up(base))
            result = asyncio.run(load(base, args))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"/healthz        p50 {result['healthz_p50_ms']} ms   p99 {result['healthz_p99_ms']} ms   "
        f"({result['healthz_requests']} requests, {args.clients} clients; target p99 < 50 ms)"
    )
    print(f"                99 % handled by the server within {result['healthz_server_p99_ms_at_most']:g} ms")
    print(f"status polls    p50 {result['status_poll_p50_ms']} ms   p99 {result['status_poll_p99_ms']} ms")
    print(
        f"job             {result['job_status']} ({result['solver_status']}), {result['job_total_s']} s seen by the "
        f"client, {result['job_server_s']} s submit→finish on the server (time limit {args.time_limit_s:g} s)"
    )


if __name__ == "__main__":
    main()
