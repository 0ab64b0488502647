"""``shiftmix erlang``: agents needed for one interval, and the service they give (Erlang C or Erlang A)."""

from __future__ import annotations

import argparse
import json

import pandas as pd
from pydantic import ValidationError

from api.cli._args import finite_float
from api.cli._errors import validation_problem
from optimizer.demand import INDEX_NAME
from optimizer.domain import ServiceTarget
from optimizer.errors import InputError
from optimizer.staffing import service_at, staffing_requirements

_FLAGS = {
    "volume": "--volume",
    "interval_min": "--interval-minutes",
    "aht_s": "--aht-s",
    "service_level": "--service-level",
    "answer_within_s": "--within-s",
    "max_asa_s": "--max-asa-s",
    "patience_s": "--patience-s",
    "concurrency": "--concurrency",
    "max_occupancy": "--max-occupancy",
    "shrinkage": "--shrinkage",
}
"""Library field names (before any ``[row]``) to the flags that set them."""

_INTERVAL = pd.Timestamp("2000-01-03T00:00", tz="UTC")
"""Start of the single interval the calculator evaluates; any timestamp would do."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``erlang`` sub-command."""
    p = sub.add_parser(
        "erlang",
        help="agents needed for one interval and the service they give (Erlang C, or Erlang A with patience)",
        description=(
            "Print the fewest agents on the floor that meet the service target in one interval, the people "
            "to schedule after shrinkage, and the service level, ASA and occupancy at that staffing."
        ),
    )
    p.add_argument("--volume", type=finite_float, metavar="V", help="contacts in the interval", required=True)
    p.add_argument("--interval-minutes", type=int, metavar="M", help="15, 30 or 60", required=True)
    p.add_argument("--aht-s", type=finite_float, metavar="H", help="average handle time [s]", required=True)
    p.add_argument("--service-level", type=finite_float, metavar="SL", help="target share, e.g. 0.8", required=True)
    p.add_argument("--within-s", type=finite_float, metavar="T", help="answer-time threshold [s]", required=True)
    p.add_argument("--max-asa-s", type=finite_float, metavar="S", help="ceiling on the average speed of answer [s]")
    p.add_argument("--patience-s", type=finite_float, metavar="P", help="mean patience [s]: Erlang A (abandonment)")
    p.add_argument("--concurrency", type=int, default=1, metavar="K", help="contacts per agent at once (1)")
    p.add_argument("--max-occupancy", type=finite_float, default=1.0, metavar="X", help="occupancy cap (1: none)")
    p.add_argument("--shrinkage", type=finite_float, default=0.0, metavar="X", help="share of time lost (0)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(handler=run)


def _target(args: argparse.Namespace) -> ServiceTarget:
    try:
        return ServiceTarget(
            service_level=args.service_level,
            answer_within_s=args.within_s,
            max_asa_s=args.max_asa_s,
            max_occupancy=args.max_occupancy,
            shrinkage=args.shrinkage,
            patience_s=args.patience_s,
            concurrency=args.concurrency,
        )
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        field = str(loc[0]) if loc else "service_level"
        problem = validation_problem(exc)
        raise InputError.single(_FLAGS.get(field, field), problem) from None


def evaluate(args: argparse.Namespace) -> dict[str, float | int]:
    """Return ``agents``, ``required``, ``service_level``, ``asa_s``, ``occupancy`` (and ``abandon_rate``).

    Raises
    ------
    InputError
        Naming the flag of the first bad value (``--aht-s: must be > 0, got 0``).
    """
    target = _target(args)
    demand = pd.DataFrame(
        {"volume": [args.volume], "aht_s": [args.aht_s]},
        index=pd.DatetimeIndex([_INTERVAL], name=INDEX_NAME),
    )
    try:
        need = staffing_requirements(demand, target, interval_min=args.interval_minutes)
        service = service_at(demand, need["required"].to_numpy(), target, interval_min=args.interval_minutes)
    except InputError as exc:
        field = exc.field.split("[", 1)[0]
        raise InputError.single(_FLAGS.get(field, field), exc.problem) from None
    out: dict[str, float | int] = {column: int(need[column].iloc[0]) for column in ("agents", "required")}
    out.update({column: float(service[column].iloc[0]) for column in service.columns})
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix erlang``."""
    result = evaluate(args)
    if args.json:
        print(json.dumps(result))
        return 0
    model = "Erlang C" if args.patience_s is None else f"Erlang A, patience {args.patience_s:g} s"
    lines = [
        f"agents         {result['agents']}  ({model}, concurrency {args.concurrency})",
        f"required       {result['required']}  (scheduled, shrinkage {args.shrinkage:.0%})",
        f"service_level  {result['service_level']:.4f}  (within {args.within_s:g} s)",
        f"asa_s          {result['asa_s']:.2f}",
        f"occupancy      {result['occupancy']:.4f}",
    ]
    if "abandon_rate" in result:
        lines.append(f"abandon_rate   {result['abandon_rate']:.4f}")
    print("\n".join(lines))
    return 0
