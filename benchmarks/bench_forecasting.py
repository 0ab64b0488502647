"""Time forecasting on the bundled year of 30-minute history; print medians.

Cases: fit + one-week forecast per forecaster (target <= 10 s each), automatic choice (a backtest of up to
``AUTO_FOLDS`` = 8 folds + fit + forecast), and an 8-fold backtest of all three forecasters (target <= 90 s).

Usage: ``python benchmarks/bench_forecasting.py [--repeat N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from forecasting import backtest, candidate_forecasters, fit_forecaster, load_history, make_forecaster

HISTORY = Path(__file__).parents[1] / "scenarios" / "bundled" / "history.csv"
COUNTRY = "SE"
WEEK_INTERVALS = 7 * 48


def _median_s(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    args = parser.parse_args()

    history = load_history(HISTORY)
    cases: list[tuple[str, Callable[[], object], int]] = [
        (
            f"fit_forecast_week[{name}]",
            lambda name=name: make_forecaster(name, country=COUNTRY).fit(history).forecast(WEEK_INTERVALS),
            args.repeat,
        )
        for name in ("seasonal_naive", "ets", "regression")
    ]
    cases.append(
        (
            "fit_forecast_week[auto]",
            lambda: fit_forecaster(history, "auto", country=COUNTRY).forecast(WEEK_INTERVALS),
            args.repeat,
        )
    )
    cases.append(
        (
            "backtest_8_folds",
            lambda: backtest(history, candidate_forecasters(COUNTRY), folds=8, country=COUNTRY),
            max(1, args.repeat // 2),
        )
    )
    for name, func, repeat in cases:
        median, result = _median_s(func, repeat)
        extra = {}
        if name == "backtest_8_folds":
            extra = {
                s.forecaster: {
                    "wape": round(s.wape, 4),
                    "mase": round(s.mase, 4),
                    "bias": round(s.bias, 4),
                    "post_holiday_bias": round(s.post_holiday_bias or 0.0, 4),
                }
                for s in result.scores
            }
            extra["chosen"] = result.chosen
        if args.json:
            print(json.dumps({"case": name, "median_s": round(median, 4), "repeat": repeat, **extra}))
        else:
            print(f"{name:32s} median {median:8.3f} s  (n={repeat}) {json.dumps(extra) if extra else ''}")


if __name__ == "__main__":
    main()
