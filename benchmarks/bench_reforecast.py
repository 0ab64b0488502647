"""Intraday re-forecast accuracy (issue 20): replay the bundled history's days at 09:00, 11:00 and 13:00.

For every week of ``scenarios/bundled/history.csv`` after the first ``--train-weeks``, a forecaster is fitted on
the history up to that Monday's midnight and forecasts the week (the forecast a weekly plan is made from: "the
morning forecast"). On each day of the week with contacts, at each checkpoint, the actuals so far (intervals
that ended by the checkpoint) re-forecast the rest of the day with ``forecasting.intraday.update_forecast``.
The script prints the WAPE of the rest of the day (sum |forecast - actual| / sum actual, pooled over days)
of the morning forecast and of the re-forecast, on all days and on the post-holiday days
(``forecasting.calendar.post_holiday_days``, SE), for each forecaster and each credibility setting, and the
cut in percent. The shrinkage default is the setting with the lowest all-days WAPE summed over checkpoints.

The ``floor`` columns are the WAPE of the generator's own expected volume (``make_history.py`` re-run with its
seed, day shock included): the interval noise no forecast can remove.

Then it times the operations loop: read ``--plan`` (a ``plan.json`` of the bundled week, as ``shiftmix plan
--example`` writes it) and, with ``--fte500``, ``bench_replan.py``'s 500-FTE week; re-forecast from synthetic
actuals (the plan's demand +30% up to Tuesday 11:00) and re-plan with all actions (gigs, extensions, VTO) or
gigs only, ``--repeats`` times on one CP-SAT worker; it prints the median.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_reforecast.py [--models regression,seasonal_naive]
        [--plan out/plan.json] [--fte500] [--skip-replay] [--relative-gap 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
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
from optimizer import plan as plan_problem
from optimizer.domain import Plan, PlanningProblem, SolveParams

HISTORY = Path(__file__).resolve().parents[1] / "scenarios" / "bundled" / "history.csv"
COUNTRY = "SE"
CHECKPOINTS_H = (9, 11, 13)
CANDIDATES: tuple[IntradayParams, ...] = (
    IntradayParams(shrinkage="share"),
    *(IntradayParams(credibility_contacts=k) for k in (0.0, 25.0, 50.0, 100.0, 200.0, 300.0, 400.0, 800.0, 1600.0)),
)


def _label(p: IntradayParams) -> str:
    return "share" if p.shrinkage == "share" else f"K={p.credibility_contacts:g}"


def expected_volume() -> tuple[pd.Series, pd.Series]:
    """Return the generator's expected volume per interval, day shock included (an oracle no forecast can beat).

    Re-runs ``scenarios/bundled/make_history.py``'s loop with its seed and draw order, keeping ``mu`` (the
    negative-binomial mean); the counts it draws are checked against ``history.csv``.
    """
    sys.path.insert(0, str(HISTORY.parent))
    import make_history as mh  # the bundled generator script

    rng = np.random.default_rng(mh.SEED)
    first = pd.Timestamp(mh.FIRST_DAY.isoformat()).tz_localize(mh.TIMEZONE)
    last = pd.Timestamp((mh.LAST_DAY + timedelta(days=1)).isoformat()).tz_localize(mh.TIMEZONE)
    index = pd.date_range(first, last, freq=f"{mh.INTERVAL_MIN}min", inclusive="left", name="interval_start")
    dates = np.array(index.date)
    clock_h = np.asarray(index.hour + index.minute / 60.0, dtype=float)
    days = sorted(set(dates))
    holiday_days = set(mh.public_holidays(mh.FIRST_DAY, mh.LAST_DAY))
    surge = mh.surge_factors(days, holiday_days)
    mean = np.zeros(len(index))
    counts_all = np.zeros(len(index), dtype=np.int64)
    for d in days:
        rows = np.flatnonzero(dates == d)
        holiday = d in holiday_days
        weekend = d.weekday() >= 5 or holiday
        shape = mh.intraday_shape(clock_h[rows], weekend)
        level = mh.MONDAY_CONTACTS * mh.annual_factor(d) * rng.gamma(1.0 / mh.DAY_CV**2, mh.DAY_CV**2)
        level *= mh.HOLIDAY_FACTOR if holiday else mh.WEEKDAY_LEVEL[d.weekday()] * surge.get(d, 1.0)
        mu = level * shape / shape.sum()
        counts = rng.poisson(rng.gamma(mh.NB_SIZE, mu / mh.NB_SIZE, size=len(rows)) if mu.any() else mu)
        rng.normal(0.0, 1.0, size=len(rows))
        mean[rows] = mu
        counts_all[rows] = counts
    return pd.Series(mean, index=index), pd.Series(counts_all, index=index)


def replay(history: pd.DataFrame, model: str, train_weeks: int, oracle: pd.Series) -> pd.DataFrame:
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
                truth = oracle.reindex(rest_actual.index)
                oracle_err = float((truth - rest_actual).abs().sum())
                oracle_total_err = abs(float(truth.sum() - rest_actual.sum()))
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
                            "oracle_err": oracle_err,
                            "oracle_total_err": oracle_total_err,
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
                    "floor_pct": 100 * g["oracle_err"].sum() / g["actual"].sum(),
                    "total_wape_morning_pct": 100 * morning_total,
                    "total_wape_reforecast_pct": 100 * re_total,
                    "total_cut_pct": 100 * (1 - re_total / morning_total),
                    "total_floor_pct": 100 * g["oracle_total_err"].sum() / g["actual"].sum(),
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
    parser.add_argument("--fte500", action="store_true", help="also time the loop on bench_replan.py's 500-FTE week")
    parser.add_argument("--loop-options", default="all,gigs", help="'all' (gigs, extensions, VTO) and/or 'gigs'")
    parser.add_argument("--skip-replay", action="store_true", help="only time the loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--relative-gap", type=float, help="override the plans' relative_gap (0 measures how far a gap stop is)"
    )
    args = parser.parse_args()
    history = load_history(HISTORY)
    oracle, counts = expected_volume()
    if not np.array_equal(counts.to_numpy(), history["volume"].to_numpy()):
        print("warning: the generator no longer reproduces history.csv; the floor columns are not meaningful")
    pd.set_option("display.width", 200)
    scores = []
    for model in [] if args.skip_replay else args.models.split(","):
        started = time.monotonic()
        rows = replay(history, model, args.train_weeks, oracle)
        table = wape_table(rows)
        print(f"\n== morning forecast: {model} ({time.monotonic() - started:.0f} s)")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
        on_all = table[table["subset"] == "all days"].groupby("setting", sort=False)
        scores.append(on_all["total_wape_reforecast_pct"].sum() + on_all["wape_reforecast_pct"].sum())
    if scores:
        total = sum(scores)
        print(
            "\ntuning score (all days; rest-of-day volume WAPE + interval WAPE, summed over checkpoints and "
            f"morning forecasters; lower is better):\n{total.round(1).to_string()}\nbest: {total.idxmin()}"
        )
    if args.plan is not None:
        from api.cli.replan import read_published

        published, problem = read_published(args.plan)
        for allowed in args.loop_options.split(","):
            time_loop(f"{args.plan}", problem, published, args.repeats, allowed, args.relative_gap)
    if args.fte500:
        problem, published = fte500()
        for allowed in args.loop_options.split(","):
            time_loop("500 FTEs, 15-min week", problem, published, args.repeats, allowed, args.relative_gap)


LOOP_OPTIONS = {"gigs": {}, "all": {"allow_extensions": True, "allow_voluntary_time_off": True}}


def time_loop(
    label: str,
    problem: PlanningProblem,
    published: Plan,
    repeats: int,
    allowed: str = "all",
    relative_gap: float | None = None,
) -> None:
    """Time re-forecast + re-plan from Tuesday 11:00 with actuals 30% above the plan so far; print the median [s]."""
    from optimizer.replan.domain import ReplanOptions
    from scenarios.reforecast import replan_from_actuals

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
    if relative_gap is not None:
        params = params.model_copy(update={"relative_gap": relative_gap})
    options = ReplanOptions.model_validate(LOOP_OPTIONS[allowed])
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        result = replan_from_actuals(
            problem, published, actuals, now=now.to_pydatetime(), params=params, options=options
        )
        times.append(time.monotonic() - started)
    plan = result.replan.plan
    offers = result.replan.offers
    print(
        f"\n== loop {label}: re-forecast + re-plan from {now.isoformat()} (actuals +30% so far), actions: {allowed}, "
        f"1 CP-SAT worker: median {statistics.median(times):.2f} s over {repeats} {[round(t, 2) for t in times]}; "
        f"solver {plan.solver.status} {plan.solver.wall_time_s:.2f} s, objective {plan.solver.objective_cents}, "
        f"bound {plan.solver.best_bound_cents}, gap {_gap(plan)} (relative_gap {params.relative_gap:g}); "
        f"today x{result.reforecast.factors.today_factor:.3f}; "
        f"{len(offers.offers)} offers; service from now {offers.service_level_before:.1%} -> "
        f"{offers.service_level_after:.1%}"
    )


def _gap(plan: Plan) -> str:
    gap = plan.solver.gap_ratio
    return "n/a" if gap is None else f"{gap:.4%}"


def fte500() -> tuple[PlanningProblem, Plan]:
    """Return bench_replan.py's 500-FTE week at 15 minutes and its published plan (solved once, not timed)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_replan  # a sibling script, not a package

    problem = bench_replan.make_problem()
    published = plan_problem(problem, SolveParams(time_limit_s=60.0, num_workers=2, random_seed=0, method="crews"))
    return problem, published


if __name__ == "__main__":
    main()
