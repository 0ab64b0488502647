"""``shiftmix check-change``: answer whether a swap or time-off request keeps every rule and the coverage target.

Reads a published ``plan.json`` (``plan`` and ``problem``, as ``shiftmix plan`` writes it), applies the request to
a copy and re-verifies it with ``check_plan``; prints the answer, the rules it would break and the coverage and
cost delta. Exit 0 when accepted, 1 when refused, 2 on bad input. With ``--apply --out DIR`` an accepted change
is written as the plan's next version, its ``changes`` audit trail saying who, when and what.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from api.cli._errors import describe_validation_error
from api.cli._paths import check_output_dir
from api.cli.replan import read_published
from optimizer.change_check import check_change
from optimizer.domain.changes import ChangeCheck, ChangeRequest, ShiftRef, SwapRequest, TimeOffRequest
from optimizer.errors import InputError

EXIT_REFUSED = 1
"""Exit code when the change breaks a rule or the coverage target (nothing is applied)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``check-change`` sub-command."""
    p = sub.add_parser(
        "check-change",
        help="check a shift swap or time-off request against a published plan",
        description=(
            "Answer whether a swap of two people's shifts, or a time-off request, keeps every rule and the "
            "coverage target of a published plan, with the rules it breaks and the coverage and cost delta."
        ),
    )
    p.add_argument("--plan", type=Path, required=True, metavar="FILE", help="published plan.json (plan + problem)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--swap",
        metavar="W1:DATE,W2:DATE",
        help="trade W1's shift starting on local DATE with W2's (e.g. ft-001:2026-12-01,ft-002:2026-12-02)",
    )
    what.add_argument(
        "--time-off",
        metavar="W:FROM/TO",
        help="time off [FROM, TO) for W; ISO 8601, local unless an offset is given; a date is its local midnight",
    )
    p.add_argument("--apply", action="store_true", help="write an accepted change as the plan's next version")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for the new plan.json (with --apply)")
    p.add_argument("--by", default="cli", metavar="NAME", help="who asks, for the audit trail (default: cli)")
    p.set_defaults(handler=run)


def _ref(text: str, field: str) -> ShiftRef:
    worker, sep, day = text.strip().rpartition(":")
    if not sep or not worker:
        raise InputError.single(field, f"{text!r} is not WORKER:DATE (e.g. ft-001:2026-12-01)")
    try:
        return ShiftRef(worker_id=worker, date=dt.date.fromisoformat(day))
    except ValueError:
        raise InputError.single(f"{field}.date", f"{day!r} is not an ISO 8601 date") from None


def _moment(text: str, zone: ZoneInfo, field: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError.single(field, f"{text!r} is not an ISO 8601 date or date-time") from None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def parse_change(swap: str | None, time_off: str | None, timezone: str) -> ChangeRequest:
    """Parse ``--swap W1:DATE,W2:DATE`` or ``--time-off W:FROM/TO`` into a change request.

    Raises
    ------
    InputError
        Naming ``--swap`` or ``--time-off`` (and the part) when the text does not parse.
    """
    try:
        if swap is not None:
            parts = swap.split(",")
            if len(parts) != 2:
                raise InputError.single("--swap", f"{swap!r} is not W1:DATE,W2:DATE")
            return SwapRequest(first=_ref(parts[0], "--swap.first"), second=_ref(parts[1], "--swap.second"))
        assert time_off is not None
        worker, sep, span = time_off.partition(":")
        start, slash, end = span.partition("/")
        if not sep or not slash:
            raise InputError.single("--time-off", f"{time_off!r} is not W:FROM/TO")
        zone = ZoneInfo(timezone)
        return TimeOffRequest(
            worker_id=worker,
            start=_moment(start, zone, "--time-off.from"),
            end=_moment(end, zone, "--time-off.to"),
        )
    except ValidationError as exc:
        flag = "--swap" if swap is not None else "--time-off"
        raise InputError.single(flag, describe_validation_error(exc)) from None


def _money(cents: int) -> str:
    return f"{cents / 100:+,.2f}"


def answer_lines(change: ChangeRequest, answer: ChangeCheck, currency: str) -> list[str]:
    """Return the printed answer: verdict, first findings, coverage and cost delta."""
    if isinstance(change, SwapRequest):
        a, b = change.first, change.second
        what = f"swap {a.worker_id}:{a.date.isoformat()} with {b.worker_id}:{b.date.isoformat()}"
    else:
        what = f"time off for {change.worker_id} {change.start.isoformat()} .. {change.end.isoformat()}"
    verdict = "accepted: keeps every rule and the coverage target"
    if not answer.findings:
        lines = [f"change       {what}", f"answer       {verdict}"]
    else:
        rules = sorted({f.rule for f in answer.findings})
        lines = [f"change       {what}", f"answer       refused: breaks {', '.join(rules)}"]
        shown = answer.findings[:5]
        lines += [f"finding      {f.rule} at {f.where}: {f.detail}" for f in shown]
        if len(answer.findings) > len(shown):
            lines.append(f"finding      ... and {len(answer.findings) - len(shown)} more")
    lines += [
        f"coverage     understaffed intervals {answer.understaffed_intervals_delta:+d}, shortfall "
        f"{answer.shortfall_delta_agent_hours:+g} agent-hours, service level {answer.service_level_delta:+.2%}",
        f"cost         {_money(answer.cost_delta_cents)} {currency} (objective {_money(answer.objective_delta_cents)}"
        f", preferences {_money(answer.preference_penalty_delta_cents)})",
    ]
    return lines


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix check-change``; exit 0 when accepted, 1 when refused."""
    if args.apply and args.out is None:
        raise InputError.single("--out", "--apply needs --out DIR for the new plan version")
    if args.out is not None and not args.apply:
        raise InputError.single("--out", "--out is only used with --apply")
    if args.apply:
        check_output_dir(args.out)
    published, problem = read_published(args.plan)
    document = json.loads(args.plan.read_text(encoding="utf-8"))
    change = parse_change(args.swap, args.time_off, problem.timezone)
    answer, changed_problem, changed = check_change(problem, published, change, expected=args.apply)
    currency = str(document.get("currency", ""))
    print("\n".join(answer_lines(change, answer, currency)))
    if not answer.accepted:
        return EXIT_REFUSED
    if args.apply:
        version = int(document.get("version", 1)) + 1
        audit = [
            *document.get("changes", []),
            {
                "version": version,
                "at": dt.datetime.now(dt.UTC).isoformat(),
                "by": args.by,
                "change": change.model_dump(mode="json"),
            },
        ]
        new = {
            **document,
            "version": version,
            "plan": changed.model_dump(mode="json"),
            "problem": changed_problem.model_dump(mode="json"),
            "changes": audit,
            "check": [],
        }
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "plan.json"
        path.write_text(json.dumps(new, indent=1) + "\n", encoding="utf-8")
        print(f"wrote        {path} (version {version})")
    return 0
