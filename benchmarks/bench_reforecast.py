"""Intraday re-forecast accuracy (issue 20): replay the bundled history's days at 09:00, 11:00 and 13:00.

For every week of ``scenarios/bundled/history.csv`` after the first ``--train-weeks``, a forecaster is fitted on
the history up to that Monday's midnight and forecasts the week (the forecast a weekly plan is made from: "the
morning forecast"). On each day of the week with contacts, at each checkpoint, the actuals so far (intervals
that ended by the checkpoint) re-forecast the rest of the day with ``forecasting.intraday.update_forecast``.
The script prints the WAPE of the rest of the day (sum |forecast - actual| / sum actual, pooled over days)
of the morning forecast and of the re-forecast, on all days and on the post-holiday days
(``forecasting.calendar.post_holiday_days``, SE), for each forecaster and each credibility setting, and the
cut in percent. The shrinkage default is the setting with the lowest all-days WAPE summed over checkpoints.

Then it times the operations loop: read ``--plan`` (a ``plan.json`` of the bundled week, as ``shiftmix plan
--example`` writes it), re-forecast from synthetic actuals (the plan's demand +30% to 11:00 on Tuesday) and
re-plan with extensions and VTO allowed, ``--repeats`` times on one CP-SAT worker; it prints the median.

    .venv/bin/python benchmarks/bench_reforecast.py [--models regression,seasonal_naive] [--plan out/plan.json]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import (
    IntradayParams,
    fit_forecaster,
    load_history,
    post_holiday_days,
    update_forecast,
)
from forecasting._grid import day_start, local_dates

HISTORY = Path(__file__).resolve().parents[1] / "scenarios" / "bundled" / "history.csv"
COUNTRY = "SE"
CHECKPOINTS_H = (9, 11, 13)
CANDIDATES: tuple[IntradayParams, ...] = (
    IntradayParams(shrinkage="share"),
    *(IntradayParams(credibility_contacts=k) for k in (0.0, 25.0, 50.0, 100.0, 200.0, 300.0, 400.0, 800.0, 1600.0)),
)


def _label(p: IntradayParams) -> str:
    return "share" if p.shrinkage == "share" else f"K={p.credibility_contacts:g}"


def replay(history: pd.DataFrame, model: str, train_weeks: int) -> pd.DataFrame:
    """Return one row per (day, checkpoint, setting): absolute errors and actual volume of the rest of the day."""
    zone = str(history.index.tz)
    days = sorted(set(local_dates(history.index)))
    mondays = [d for d in days if d.weekday() == 0][train_weeks:]
    post = set(post_holiday_days(days, COUNTRY))
    rows = []
    for monday in mondays:
        start = day_start(monday, zone)
        name, _, calendar = model.partition(":")
        country = None if calendar == "nocal" else COUNTRY
        fitted = fit_forecaster(history[history.index < start], name, country=country)
        week = fitted.forecast(7 * 24 * 60 // fitted.interval_min + 4)
        for offset in range(7):
            day = monday + timedelta(days=offset)
            actual_day = history[local_dates(history.index) == day]
            if actual_day.empty or actual_day["volume"].sum() == 0:
                continue
            # Forecast of today and tomorrow only, as the plan's demand would hold.
            after = day_start(day + timedelta(days=2), zone)
            window = week[(week.index >= day_start(day, zone)) & (week.index < after)]
            for hour in CHECKPOINTS_H:
                now = day_start(day, zone) + pd.Timedelta(hours=hour)
                seen = actual_day[actual_day.index < now]
                rest_actual = actual_day.loc[actual_day.index >= now, "volume"]
                morning = window["volume"].reindex(rest_actual.index)
                base_err = float((morning - rest_actual).abs().sum())
                base_total_err = abs(float(morning.sum() - rest_actual.sum()))
                for params in CANDIDATES:
                    re = update_forecast(window, seen, now, params).frame["volume"].reindex(rest_actual.index)
                    re_total_err = abs(float(re.sum() - rest_actual.sum()))
                    rows.append(
                        {
                            "day": day,
                            "post_holiday": day in post,
                            "hour": hour,
                            "setting": _label(params),
                            "actual": float(rest_actual.sum()),
                            "morning_err": base_err,
                            "re_err": float((re - rest_actual).abs().sum()),
                            "morning_total_err": base_total_err,
                            "re_total_err": re_total_err,
                        }
                    )
    return pd.DataFrame(rows)


def wape_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Return pooled WAPE of the morning forecast and the re-forecast per (subset, setting, hour)."""
    out = []
    for subset, part in (("all days", rows), ("post-holiday", rows[rows["post_holiday"]])):
        for (setting, hour), g in part.groupby(["setting", "hour"], sort=False):
            morning = g["morning_err"].sum() / g["actual"].sum()
            re = g["re_err"].sum() / g["actual"].sum()
            morning_total = g["morning_total_err"].sum() / g["actual"].sum()
            re_total = g["re_total_err"].sum() / g["actual"].sum()
            out.append(
                {
                    "subset": subset,
                    "days": g["day"].nunique(),
                    "setting": setting,
                    "hour": f"{hour:02d}:00",
                    "wape_morning_pct": 100 * morning,
                    "wape_reforecast_pct": 100 * re,
                    "cut_pct": 100 * (1 - re / morning),
                    "total_wape_morning_pct": 100 * morning_total,
                    "total_wape_reforecast_pct": 100 * re_total,
                    "total_cut_pct": 100 * (1 - re_total / morning_total),
                }
            )
    return pd.DataFrame(out)


def main() -> None:
    """Replay the history, print the WAPE tables, and time the loop if a plan is given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        default="regression,regression:nocal,seasonal_naive",
        help="morning forecasters; ':nocal' fits without the holiday calendar (it misses post-holiday surges)",
    )
    parser.add_argument("--train-weeks", type=int, default=8)
    parser.add_argument("--plan", type=Path, help="plan.json of the bundled week, to time the whole loop")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    history = load_history(HISTORY)
    pd.set_option("display.width", 200)
    scores = []
    for model in args.models.split(","):
        started = time.monotonic()
        rows = replay(history, model, args.train_weeks)
        table = wape_table(rows)
        print(f"\n== morning forecast: {model} ({time.monotonic() - started:.0f} s)")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
        on_all = table[table["subset"] == "all days"].groupby("setting", sort=False)
        scores.append(on_all["total_wape_reforecast_pct"].sum() + on_all["wape_reforecast_pct"].sum())
    total = sum(scores)
    print(
        "\ntuning score (all days; rest-of-day volume WAPE + interval WAPE, summed over checkpoints and "
        f"morning forecasters; lower is better):\n{total.round(1).to_string()}\nbest: {total.idxmin()}"
    )
    if args.plan is not None:
        time_loop(args.plan, args.repeats)


def time_loop(plan_path: Path, repeats: int) -> None:
    """Time re-forecast + re-plan of the bundled week from a plan.json; print the median [s]."""
    from api.cli.replan import read_published
    from optimizer.replan_domain import ReplanOptions
    from scenarios.reforecast import replan_from_actuals

    published, problem = read_published(plan_path)
    tuesday = problem.start_date + timedelta(days=1)
    zone = problem.timezone
    now = day_start(tuesday, zone) + pd.Timedelta(hours=11)
    demand = pd.DataFrame(
        {"volume": [d.volume for d in problem.demand], "aht_s": [d.aht_s for d in problem.demand]},
        index=pd.DatetimeIndex([d.interval_start for d in problem.demand], name="interval_start").tz_convert(zone),
    )
    seen = demand[(local_dates(demand.index) == tuesday) & (demand.index < now)]
    actuals = seen.assign(volume=np.round(seen["volume"] * 1.3))
    params = published.solver.params.model_copy(update={"num_workers": 1})
    options = ReplanOptions(allow_extensions=True, allow_voluntary_time_off=True)
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        result = replan_from_actuals(
            problem, published, actuals, now=now.to_pydatetime(), params=params, options=options
        )
        times.append(time.monotonic() - started)
    plan = result.replan.plan
    print(
        f"\n== loop: re-forecast + re-plan of {problem.start_date}+{problem.days}d, now {now.isoformat()}, "
        f"+30% so far, 1 worker: median {statistics.median(times):.2f} s over {repeats} "
        f"(status {plan.solver.status}, today factor {result.reforecast.factors.today_factor:.3f})"
    )


if __name__ == "__main__":
    main()
