"""Chaos run against a real server on 127.0.0.1: the probe scenarios of issue 18, with numbers.

1. 16 concurrent heavy forecasts (last 10,000 rows of the bundled history, 35 days, ``model: auto``) while a
   poller lists schedules: prints the poll latency p50/p95 [ms] (target p95 < 300 ms) and the 429s.
2. 10 concurrent solves of the busy week: prints their statuses, notes and objectives.
3. kill -9 of one solver worker: its job must end ``failed`` with the signal named.
4. kill -9 of the server while jobs run (after their first solution) and a compute process is up: prints how
   many of its processes (workers, compute pool, fork server, resource tracker) outlived it by 5 s (target:
   none), restarts the server and prints how many of the jobs that were running end ``succeeded`` and how
   many resumed from their checkpoint (target: all).

Usage: ``PYTHONPATH=. python benchmarks/chaos_server.py [--skip-forecasts]``. Every loop is bounded in count
and time; the servers it starts are stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from api.examples import busy_week_problem, example_problem
from api.storage import Storage
from optimizer.domain import SolveParams

REPO = Path(__file__).resolve().parents[1]
HISTORY = REPO / "scenarios" / "bundled" / "history.csv"
FINAL = ("succeeded", "failed", "cancelled")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHIFTMIX_DATABASE_URL": f"sqlite:///{db}", "SHIFTMIX_DEV": "1", "SHIFTMIX_WORKERS": "2"}
    env["SHIFTMIX_RATE_LIMIT"] = ""  # dev mode: every request is the dev organisation's; the pollers exceed 600/min
    env["PYTHONPATH"] = str(REPO)
    argv = [sys.executable, "-m", "api.cli.serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("a") as out:
        server = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"server did not start; see {log}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _history_rows(n: int) -> list[dict[str, object]]:
    lines = HISTORY.read_text().splitlines()[-n:]
    rows = []
    for line in lines:
        start, volume, aht = line.split(",")
        rows.append({"interval_start": start, "volume": float(volume), "aht_s": float(aht) if aht else None})
    return rows


def forecasts_while_polling(http: httpx.Client) -> None:
    body = {"history": _history_rows(10_000), "horizon_days": 35, "model": "auto"}
    latencies: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set() and len(latencies) < 5_000:
            start = time.perf_counter()
            http.get("/v1/schedules")
            latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    start = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda _: http.post("/v1/forecasts", json=body, timeout=300).status_code, range(16)))
    stop.set()
    poller.join()
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"forecasts    16 concurrent: {codes.count(200)} x 200, {codes.count(429)} x 429 in "
        f"{time.perf_counter() - start:.1f} s; GET /v1/schedules p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {p95:.0f} ms over {len(latencies)} polls"
    )


def _wait(http: httpx.Client, ids: list[str], timeout_s: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    while True:
        jobs = [http.get(f"/v1/schedules/{i}").json()["job"] for i in ids]
        if all(j["status"] in FINAL for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.5)


def _submit(http: httpx.Client, time_limit_s: float, workers: int = 8) -> str:
    params = SolveParams(time_limit_s=time_limit_s, num_workers=workers, random_seed=0)
    body = {"problem": busy_week_problem().model_dump(mode="json"), "params": params.model_dump(mode="json")}
    return str(http.post("/v1/schedules", json=body).json()["job_id"])


def concurrent_solves(http: httpx.Client) -> None:
    ids = [_submit(http, 10) for _ in range(10)]
    jobs = _wait(http, ids, 300)
    objectives = sorted(j["progress"]["best_objective_cents"] or 0 for j in jobs)
    notes = sum(1 for j in jobs if j["notes"])
    statuses = [j["status"] for j in jobs]
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    errors = sorted({str(j["error"]) for j in jobs if j.get("error")})
    print(
        f"solves       10 concurrent: {counts}; objectives "
        f"{objectives[0]:,}..{objectives[-1]:,} cents; {notes} with notes (e.g. {jobs[0]['notes'][:1]})"
        + (f"; errors {errors[:2]}" if errors else "")
    )


def kill_a_worker(http: httpx.Client, db: Path) -> None:
    job_id = _submit(http, 60, workers=1)
    deadline = time.monotonic() + 60
    while (record := Storage(f"sqlite:///{db}").get_job(job_id)) is None or record.worker_pid is None:
        if time.monotonic() > deadline:
            print("worker kill  the job never started")
            return
        time.sleep(0.1)
    os.kill(record.worker_pid, signal.SIGKILL)
    job = _wait(http, [job_id], 30)[0]
    print(f"worker kill  job {job['status']}: {job['error']}")


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return not stat.read_text().split(") ", 1)[-1].startswith("Z")
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    """Return the pids of every descendant of a process (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[1]) if entry.name.isdigit() else None
        except OSError:
            continue
        if ppid is not None:
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.extend(kids := children.get(todo.pop(), []))
        todo.extend(kids)
    return found


def kill_the_server(db: Path, port: int, log: Path) -> None:
    server = _serve(db, port, log)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as http:
        staffing = {"interval_min": 60, "demand": [d.model_dump(mode="json") for d in example_problem().demand]}
        http.post("/v1/staffing", json=staffing)  # starts a compute pool process
        ids = [_submit(http, 20, workers=1) for _ in range(2)]
        deadline = time.monotonic() + 60
        while any(http.get(f"/v1/schedules/{i}").json()["job"]["progress"]["wall_time_s"] is None for i in ids):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
    family = _descendants(server.pid)
    server.send_signal(signal.SIGKILL)
    server.wait()
    time.sleep(5)
    orphans = [p for p in family if _alive(p)]
    print(f"server kill  {len(family)} processes under the server; alive 5 s after kill -9: {len(orphans)}")
    server = _serve(db, port, log)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            jobs = _wait(http, ids, 120)
        done = sum(1 for j in jobs if j["status"] == "succeeded")
        resumed = sum(1 for j in jobs if "run again from the best solution" in str(j["notes"]))
        print(f"restart      {done} of {len(ids)} jobs that were running ended succeeded, {resumed} resumed")
    finally:
        _stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-forecasts", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db, log, port = Path(folder) / "chaos.sqlite3", Path(folder) / "server.log", _port()
        server = _serve(db, port, log)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                if not args.skip_forecasts:
                    forecasts_while_polling(http)
                concurrent_solves(http)
                kill_a_worker(http, db)
        finally:
            _stop(server)
        kill_the_server(db, _port(), log)


if __name__ == "__main__":
    main()
