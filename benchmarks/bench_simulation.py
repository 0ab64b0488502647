"""Benchmark the floor simulator: print the median wall time of each case (one core).

Usage: python benchmarks/bench_simulation.py [--repeat N] [--json]

The week: 7 days of 30-minute intervals, about 12,000 contacts (a daily curve 07:00-21:00), AHT 300 s,
head counts from Erlang C at 80 % in 20 s; target 200 replications in <= 10 s.

The three-queue week (several queues with skills, ``simulate_queue_floor``): the same curve carrying
8,000 calls, 4,000 chats (concurrency 2) and 3,000 e-mails (AHT 600 s, 8 h window), about 15,000
contacts; phone-only agents for the calls' Erlang C need, chat+e-mail agents for the chats' need plus
the e-mail work, two all-round agents while open; target 100 replications well under a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.domain import Queue, ServiceTarget  # noqa: E402
from optimizer.simulation import SimulationOptions, simulate_floor, simulate_queue_floor  # noqa: E402
from optimizer.staffing import staffing_requirements  # noqa: E402


def week() -> pd.DataFrame:
    index = pd.date_range("2026-11-30", periods=7 * 48, freq="30min", tz="Europe/Stockholm", name="interval_start")
    hour = index.hour + index.minute / 60
    shape = np.where((hour >= 7) & (hour < 21), np.sin(np.pi * (hour - 7) / 14) ** 0.7, 0.0)
    volume = 12_000 * shape / shape.sum()
    return pd.DataFrame({"volume": volume, "aht_s": 300.0}, index=index)


def three_queues() -> Callable[[], object]:
    base = week()
    share = base["volume"] / base["volume"].sum()
    phone = base.assign(volume=8_000 * share)
    chat = base.assign(volume=4_000 * share)
    email = base.assign(volume=3_000 * share, aht_s=600.0)
    target = ServiceTarget(shrinkage=0.0)
    chat_target = target.model_copy(update={"concurrency": 2})
    queues = (
        Queue(name="phone"),
        Queue(name="chat", channel="chat", service_target=chat_target),
        Queue(name="email", channel="email", window_h=8),
    )
    calls = staffing_requirements(phone, target, interval_min=30)["required"].to_numpy()
    chats = staffing_requirements(chat, chat_target, interval_min=30)["required"].to_numpy()
    mail = np.ceil(email["volume"].to_numpy() * 600.0 / 1800.0).astype(np.int64)
    open_now = (base["volume"] > 0).to_numpy()
    agents = np.array([calls, chats + mail, np.where(open_now, 2, 0)])
    skills = [["phone"], ["chat", "email"], ["phone", "chat", "email"]]
    opts = SimulationOptions(reps=100, seed=1, volumes="forecast", email="when_idle")  # a floor, no plan
    return lambda: simulate_queue_floor(
        queues, [phone, chat, email], skills, agents, opts, target=target, interval_min=30
    )


def cases() -> dict[str, Callable[[], object]]:
    demand = week()
    target = ServiceTarget(shrinkage=0.25)
    abandon = ServiceTarget(shrinkage=0.25, patience_s=120.0)
    need = staffing_requirements(demand, target, interval_min=30)["required"].to_numpy()
    opts = SimulationOptions(reps=200, seed=1, volumes="forecast")
    lognormal = SimulationOptions(reps=200, seed=1, volumes="forecast", handle_cv=1.3)
    return {
        "200 reps x 12k-contact week, Erlang C floor": lambda: simulate_floor(
            demand, need, target, opts, interval_min=30
        ),
        "200 reps x 12k-contact week, patience 120 s": lambda: simulate_floor(
            demand, need, abandon, opts, interval_min=30
        ),
        "200 reps x 12k-contact week, lognormal CV 1.3": lambda: simulate_floor(
            demand, need, target, lognormal, interval_min=30
        ),
        "100 reps x 15k-contact 3-queue week, skills": three_queues(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    args = parser.parse_args()
    for name, func in cases().items():
        func()  # warm-up
        times = []
        for _ in range(max(args.repeat, 3)):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        if args.json:
            print(json.dumps({"case": name, "median_s": median, "repeats": len(times)}))
        else:
            print(f"{name:<52} {median:10.3f} s")


if __name__ == "__main__":
    main()
