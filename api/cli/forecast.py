"""``shiftmix forecast`` and ``shiftmix backtest``: parse, call ``forecasting``, format."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from api.cli import staffing_backtest
from api.cli._paths import check_output_file
from forecasting import (
    DEFAULT_COUNTRY,
    FORECASTER_NAMES,
    GAP_POLICIES,
    MAX_HISTORY_ROWS,
    QUEUE_COLUMN,
    WEEKDAY_NAMES,
    ChosenForecast,
    ForecastInputError,
    backtest,
    candidate_forecasters,
    choose_and_forecast,
    correction_note,
    forecast_queues,
    has_queue_column,
    load_events,
    load_history,
    load_queue_histories,
)
from optimizer.domain import MAX_HORIZON_DAYS
from optimizer.errors import InputError


def _country(text: str) -> str | None:
    return None if text.strip().lower() in ("", "none") else text


def _quantiles(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ForecastInputError(
            field="--quantiles", problem=f"not a comma-separated list of numbers: {text!r}"
        ) from exc


def _write_demand(frame: pd.DataFrame, path: Path) -> None:
    """Write a demand frame as CSV: ``interval_start`` (ISO 8601 with offset) and its columns."""
    out = frame.reset_index()
    out["interval_start"] = [t.isoformat() for t in frame.index]
    out.to_csv(path, index=False, float_format="%.4f", lineterminator="\n")


def _check_horizon(days: int, flag: str = "--horizon-days") -> None:
    if days < 1:
        raise InputError.single(flag, f"must be at least 1 day, got {days}")
    if days > MAX_HORIZON_DAYS:
        raise InputError.single(flag, f"must be at most {MAX_HORIZON_DAYS} days (the longest plan horizon), got {days}")


def _no_aht(frame: pd.DataFrame) -> str:
    return " (no AHT: the history has volume only; pass --aht-s S to fill it)" if frame["aht_s"].isna().all() else ""


def _scaled(chosen: ChosenForecast, asked: bool) -> str:
    """Say whether the level correction scaled the forecast, and why not when it was asked for and did not."""
    score = chosen.backtest.chosen_score() if chosen.backtest is not None else None
    said = correction_note(chosen.forecaster, chosen.volume_scale, score, asked)
    return f" ({said})" if said else ""


def run_forecast(args: argparse.Namespace) -> int:
    """Fit and forecast; write the demand CSV; print one summary line (one per queue with a ``queue`` column)."""
    check_output_file(args.out)
    _check_horizon(args.horizon_days)
    if has_queue_column(args.history):
        return _run_queue_forecast(args)
    history = load_history(args.history, timezone=args.timezone, gaps=args.gaps, max_rows=args.max_history_rows)
    events = load_events(args.events) if args.events else ()
    chosen = choose_and_forecast(
        history,
        args.horizon_days,
        model=args.model,
        country=args.country,
        events=events,
        quantiles=_quantiles(args.quantiles) if args.quantiles else (),
        aht_s=args.aht_s,
        weekend=_weekend(args.weekend),
        bias_correction=args.bias_correction,
    )
    frame = chosen.demand
    _write_demand(frame, args.out)
    print(
        f"wrote {args.out}: {chosen.forecaster}, {len(frame)} intervals from {frame.index[0].isoformat()}, "
        f"{frame['volume'].sum():.0f} contacts{_scaled(chosen, args.bias_correction)}{_no_aht(frame)}"
    )
    return 0


def _run_queue_forecast(args: argparse.Namespace) -> int:
    """Forecast each queue of a history with a ``queue`` column; write one CSV, rows grouped per queue."""
    histories = load_queue_histories(
        args.history, timezone=args.timezone, gaps=args.gaps, max_rows=args.max_history_rows
    )
    forecasts = forecast_queues(
        histories,
        args.horizon_days,
        model=args.model,
        country=args.country,
        events=load_events(args.events) if args.events else (),
        quantiles=_quantiles(args.quantiles) if args.quantiles else (),
        aht_s=args.aht_s,
        weekend=_weekend(args.weekend),
        bias_correction=args.bias_correction,
    )
    frame = pd.concat([chosen.demand.assign(**{QUEUE_COLUMN: name}) for name, chosen in forecasts.items()])
    _write_demand(frame, args.out)
    print(f"wrote {args.out}: {len(forecasts)} queues, {len(frame)} rows")
    for name, chosen in forecasts.items():
        demand = chosen.demand
        print(
            f"queue {name}: {chosen.forecaster}, {len(demand)} intervals from {demand.index[0].isoformat()}, "
            f"{demand['volume'].sum():.0f} contacts{_scaled(chosen, args.bias_correction)}{_no_aht(demand)}"
        )
    return 0


def _weekend(text: str | None) -> tuple[int, ...] | None:
    """Parse ``--weekend fri,sat`` to weekday numbers (Monday = 0)."""
    if text is None:
        return None
    names = [part.strip().lower()[:3] for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in WEEKDAY_NAMES]
    if unknown or not names:
        problem = f"not a comma-separated list of weekdays (mon..sun): {text!r}"
        raise ForecastInputError(field="--weekend", problem=problem)
    return tuple(sorted({WEEKDAY_NAMES.index(n) for n in names}))


def run_backtest(args: argparse.Namespace) -> int:
    """Backtest every forecaster; print a table (or one JSON object) and the chosen forecaster.

    With ``--staffing``, then staff each fold from the chosen forecaster and simulate it on actual volumes.
    """
    _check_horizon(args.horizon_days)
    target = staffing_backtest.check(args)
    history = load_history(args.history, timezone=args.timezone, gaps=args.gaps, max_rows=args.max_history_rows)
    events = load_events(args.events) if args.events else ()
    report = backtest(
        history,
        candidate_forecasters(args.country, events, _weekend(args.weekend)),
        folds=args.folds,
        horizon_days=args.horizon_days,
        country=args.country,
    )
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    table = report.to_frame()[["wape", "mase", "bias", "post_holiday_wape", "post_holiday_bias"]]
    window = f"{report.first_test_day}..{report.last_test_day}"
    print(f"backtest: {report.folds} folds x {report.horizon_days} days, {window}")
    print(table.to_string(float_format=lambda x: f"{x:.4f}"))
    print(f"chosen: {report.chosen}")
    if target is not None:
        staffing_backtest.run(args, history, target, report.chosen)
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--history",
        type=Path,
        required=True,
        help="history CSV (interval_start,volume[,aht_s][,queue]); forecast: one forecast per queue",
    )
    parser.add_argument("--timezone", default=None, help="site IANA time zone (default: inferred)")
    parser.add_argument(
        "--country",
        type=_country,
        default=DEFAULT_COUNTRY,
        help=f"holiday calendar, ISO country code; 'none' for none (default {DEFAULT_COUNTRY}, as plan)",
    )
    parser.add_argument("--events", type=Path, default=None, help="events CSV date,name[,effect]")
    parser.add_argument(
        "--gaps",
        choices=GAP_POLICIES,
        default="error",
        help="missing intervals: error, zero (site closed) or seasonal (data missing)",
    )
    parser.add_argument(
        "--weekend", default=None, metavar="DAYS", help="weekend days, e.g. fri,sat (default: the country's)"
    )
    parser.add_argument(
        "--max-history-rows",
        type=int,
        default=MAX_HISTORY_ROWS,
        metavar="N",
        help=f"most history rows read (default {MAX_HISTORY_ROWS:,}); a longer history is an error",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` and ``backtest`` sub-commands."""
    fc = subparsers.add_parser("forecast", help="forecast volume and AHT per interval")
    _common(fc)
    fc.add_argument("--horizon-days", type=int, default=7, help="whole days to forecast [days]")
    fc.add_argument("--quantiles", default="", help="volume quantiles, e.g. 0.5,0.8")
    fc.add_argument("--model", choices=FORECASTER_NAMES, default="auto", help="forecaster (auto: by backtest)")
    fc.add_argument("--out", type=Path, required=True, help="demand CSV to write")
    fc.add_argument(
        "--aht-s", type=float, default=None, metavar="S", help="AHT [s] to assume where the history has none"
    )
    fc.add_argument(
        "--bias-correction",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --model auto, scale the forecast by its backtest's level correction (forecast.bias_correction; "
        "default on)",
    )
    fc.set_defaults(handler=run_forecast)

    bt = subparsers.add_parser("backtest", help="compare forecasters by rolling-origin backtest")
    _common(bt)
    bt.add_argument("--folds", type=int, default=8, help="number of test windows")
    bt.add_argument("--horizon-days", type=int, default=7, help="length of each test window [days]")
    bt.add_argument("--json", action="store_true", help="print one JSON object")
    staffing_backtest.add_arguments(bt)
    bt.set_defaults(handler=run_backtest)
