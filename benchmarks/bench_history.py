"""Time loading and forecasting a large history CSV (default about 50 MB); print medians.

The history is synthetic: 15-minute intervals in Europe/Stockholm (DST included) with a daily and weekly
shape and noise, written once to a temporary file. Cases: ``load`` (``load_history``: parse, validate,
infer the zone and grid) and ``load+forecast`` (``load_history`` and a seasonal-naive one-week forecast, the
path every plan takes before the solver). Target: ``load+forecast`` of 50 MB <= 30 s (issue 18). With
``--queues N`` (N >= 2), ``load queues`` times ``load_queue_histories`` on a file of the same size whose rows are
shared by N queues (each queue's intervals interleaved, one row per queue and interval): splitting is linear, so
it should take about as long as ``load`` (issue 15).

Usage: ``PYTHONPATH=. python benchmarks/bench_history.py [--mb 50] [--repeat 3] [--queues 3] [--json]`` (from a
worktree, so its own packages are the ones timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import QUEUE_COLUMN, load_history, load_queue_histories, make_forecaster

INTERVAL_MIN = 15
TIMEZONE = "Europe/Stockholm"
BYTES_PER_ROW = 33
"""Length of one written row ``2026-11-30T00:00:00+01:00,12,284.5`` with its newline (about)."""


def write_history(path: Path, megabytes: float, seed: int = 0) -> int:
    """Write a synthetic history of about ``megabytes`` MB ending 2026-11-30; return its row count."""
    rows = int(megabytes * 1e6 / BYTES_PER_ROW)
    end = pd.Timestamp("2026-11-30", tz=TIMEZONE)
    index = pd.date_range(end=end, periods=rows, freq=f"{INTERVAL_MIN}min", inclusive="left")
    rows = len(index)
    rng = np.random.default_rng(seed)
    hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
    shape = np.clip(np.sin((hour - 7) / 14 * np.pi), 0, None) * (1.0 - 0.4 * (index.day_of_week.to_numpy() >= 5))
    volume = rng.poisson(40 * shape)
    aht = np.where(volume > 0, np.round(rng.normal(300, 20, rows), 1), np.nan)
    frame = pd.DataFrame({"interval_start": index.strftime("%Y-%m-%dT%H:%M:%S%z"), "volume": volume, "aht_s": aht})
    # ISO 8601 offsets with a colon, as the history contract shows them
    frame["interval_start"] = frame["interval_start"].str.replace(r"(\d{2})(\d{2})$", r"\1:\2", regex=True)
    frame.to_csv(path, index=False)
    return rows


def write_queue_history(path: Path, megabytes: float, queues: int, seed: int = 0) -> int:
    """Write a history of about ``megabytes`` MB shared by ``queues`` queues ``q0``, ``q1``, ...; return its rows."""
    single = path.with_suffix(".one.csv")
    write_history(single, megabytes / queues, seed)
    one = pd.read_csv(single, dtype=str, keep_default_na=False)
    single.unlink()
    frame = pd.concat([one.assign(**{QUEUE_COLUMN: f"q{k}"}) for k in range(queues)]).sort_index(kind="stable")
    frame.to_csv(path, index=False)
    return len(frame)


def _median_s(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=50.0, help="size of the history file [MB]")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    parser.add_argument("--queues", type=int, default=0, help="also time load_queue_histories with N queues")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.csv"
        rows = write_history(path, args.mb)
        size_mb = path.stat().st_size / 1e6
        week = 7 * 24 * 60 // INTERVAL_MIN

        def load_and_forecast() -> object:
            history = load_history(path, timezone=TIMEZONE)
            return make_forecaster("seasonal_naive", country="SE").fit(history).forecast(week)

        cases = {
            "load": (lambda: load_history(path, timezone=TIMEZONE), size_mb, rows),
            "load+forecast": (load_and_forecast, size_mb, rows),
        }
        if args.queues >= 2:
            queue_path = Path(folder) / "queues.csv"
            queue_rows = write_queue_history(queue_path, args.mb, args.queues)

            def load_queues() -> object:
                return load_queue_histories(queue_path, timezone=TIMEZONE)

            cases["load queues"] = (load_queues, queue_path.stat().st_size / 1e6, queue_rows)
        for name, (func, mb, n) in cases.items():
            median = _median_s(func, args.repeat)
            if args.json:
                print(json.dumps({"case": name, "mb": round(mb, 1), "rows": n, "median_s": round(median, 3)}))
            else:
                print(f"{name:<14} {mb:6.1f} MB {n:>9,} rows  median {median:7.2f} s  ({args.repeat} runs)")


if __name__ == "__main__":
    main()
