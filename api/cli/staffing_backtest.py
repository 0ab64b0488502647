"""``shiftmix backtest --staffing``: claimed against realised service level on every backtest fold.

The flags of the service target live here; ``api/cli/forecast.py`` adds them to ``backtest`` and calls
:func:`run` after the forecaster backtest, with the forecaster it chose.
"""

from __future__ import annotations

import argparse

import pandas as pd
from pydantic import ValidationError

from api.cli._errors import describe_validation_error
from optimizer.domain import ServiceTarget
from optimizer.errors import InputError
from scenarios.staffing_backtest import staffing_backtest

_TARGET_FLAGS = {
    "service_level": "--service-level",
    "answer_within_s": "--answer-within-s",
    "shrinkage": "--shrinkage",
    "patience_s": "--patience-s",
    "confidence": "--confidence",
    "confidence_scope": "--confidence-scope",
    "handle_cv": "--handle-cv",
    "volume_cv": "--volume-cv",
}
"""Service-target fields and the flags that set them, so errors name what the user typed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--staffing`` and the service-target flags to the ``backtest`` parser."""
    group = parser.add_argument_group("staffing backtest (--staffing)")
    group.add_argument(
        "--staffing",
        action="store_true",
        help="also staff each fold from its forecast and simulate it on the fold's actual volumes",
    )
    group.add_argument("--service-level", type=float, metavar="R", help="target share answered in time (0.80)")
    group.add_argument("--answer-within-s", type=float, metavar="S", help="answer-time threshold [s] (20)")
    group.add_argument("--shrinkage", type=float, metavar="R", help="share of scheduled time off the phones (0.30)")
    group.add_argument("--patience-s", type=float, metavar="S", help="mean patience [s]: Erlang A (default: C)")
    group.add_argument(
        "--confidence", type=float, metavar="P", help="staff to meet the target with probability P (scope below)"
    )
    group.add_argument(
        "--confidence-scope",
        choices=("share", "interval"),
        help="'share': P of the intervals are expected to meet (default); 'interval': each meets with P",
    )
    group.add_argument(
        "--handle-cv", type=float, metavar="X", help="handle-time CV (default: measured from the history, else 1)"
    )
    group.add_argument("--volume-cv", type=float, metavar="X", help="forecast-error CV of volumes (0.10)")
    group.add_argument(
        "--bias-correction",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scale each fold's forecast by its training backtest's level correction (forecast.bias_correction; "
        "default on)",
    )
    group.add_argument("--reps", type=int, default=50, metavar="N", help="replications per fold (50)")
    group.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (0)")


def _target(args: argparse.Namespace) -> ServiceTarget:
    given = {field: getattr(args, field) for field in _TARGET_FLAGS if getattr(args, field) is not None}
    try:
        return ServiceTarget.model_validate(given)
    except ValidationError as exc:
        loc = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        flag = _TARGET_FLAGS.get(loc, loc or "service target")
        raise InputError.single(flag, describe_validation_error(exc).split(": ", 1)[-1]) from None


def check(args: argparse.Namespace) -> ServiceTarget | None:
    """Return the service target of ``--staffing`` (None without it), checked before any forecasting.

    Raises
    ------
    InputError
        Naming the flag: a bad service-target value, or ``--reps`` below 1.
    """
    if not args.staffing:
        return None
    if args.reps < 1:
        raise InputError.single("--reps", f"must be >= 1, got {args.reps}")
    return _target(args)


def run(args: argparse.Namespace, history: pd.DataFrame, target: ServiceTarget, model: str) -> None:
    """Run the staffing backtest with ``model`` and print its table and pooled figures."""
    result = staffing_backtest(
        history,
        target,
        model=model,
        folds=args.folds,
        horizon_days=args.horizon_days,
        country=args.country,
        reps=args.reps,
        seed=args.seed,
        bias_correction=args.bias_correction,
    )
    table = result.folds.set_index("fold")[
        [
            "start",
            "agent_hours",
            "forecast_service_level",
            "claimed_service_level",
            "realised_service_level",
            "claimed_share_below",
            "realised_share_below",
        ]
    ].assign(start=lambda f: f["start"].str[:10])
    level = target.service_level if target.scope == "interval" else target.interval_floor
    confidence = (
        f", confidence {target.confidence:g} ({target.confidence_scope})" if target.confidence is not None else ""
    )
    corrected = (
        " scaled by its training backtest's level correction" if args.bias_correction else " (no level correction)"
    )
    print(
        f"staffing: {result.model}, target {target.service_level:.0%} within {target.answer_within_s:g} s"
        f"{confidence}; each fold staffed from its forecast{corrected}, simulated on its actual volumes "
        f"({args.reps} reps)"
    )
    print(table.to_string(float_format=lambda x: f"{x:.4f}"))
    print(
        f"pooled: claimed {result.claimed_service_level:.1%}, realised {result.realised_service_level:.1%}; "
        f"intervals below {level:.0%}: claimed {result.claimed_share_below:.1%}, "
        f"realised {result.realised_share_below:.1%}"
    )
