"""The ``shiftmix`` console script.

Each sub-command lives in its own module under ``api/cli/`` and exposes ``register(subparsers)``, which adds
its parser and sets ``handler`` to a function ``(args) -> int``. This module only parses, dispatches and turns
our errors into one line on stderr with exit code 2 (argparse's convention); ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError

from api.cli import check_change, erlang, forecast, keys, plan, replan, scenario, serve, simulate, worker
from api.cli._errors import describe_validation_error
from forecasting.errors import ForecastingError
from optimizer.errors import ShiftmixError

EXIT_USAGE = 2

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are one line: ``shiftmix: error: <problem>``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"shiftmix: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command registered."""
    parser = _Parser(prog="shiftmix", description="Workforce and gig-shift scheduling optimiser.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for module in (plan, replan, check_change, scenario, forecast, erlang, serve, keys, simulate, worker):
        module.register(sub)
    return parser


def _fail(message: str) -> int:
    print(f"shiftmix: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``shiftmix`` command line; return the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors and --help: return the code instead of exiting the caller
        return int(exc.code or 0)
    try:
        return int(args.handler(args))
    except (ShiftmixError, ForecastingError) as exc:
        if args.debug:
            raise
        return _fail(str(exc))
    except ValidationError as exc:
        if args.debug:
            raise
        return _fail(describe_validation_error(exc))
