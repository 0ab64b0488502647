"""``shiftmix serve``: run the REST API with uvicorn, configured from ``SHIFTMIX_*`` environment variables.

``python -m api.cli.serve`` does the same without the console script.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from api.app import create_app
from api.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` sub-command."""
    p = sub.add_parser(
        "serve",
        help="run the REST API (settings from SHIFTMIX_* environment variables)",
        description=(
            "Run the shiftmix REST API with uvicorn. Settings come from the environment: "
            "SHIFTMIX_DATABASE_URL, SHIFTMIX_DEV, SHIFTMIX_WORKERS, SHIFTMIX_MAX_TIME_LIMIT_S, … "
            "(see api/settings.py)."
        ),
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix serve`` until interrupted; return the exit code."""
    settings = Settings.from_env()
    if settings.dev:
        print("shiftmix: warning: SHIFTMIX_DEV=1, API keys are not checked", file=sys.stderr)
    # one server process: it owns the job runner, and recovers the jobs a previous server left running
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level, workers=1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``serve``'s own arguments and run it (``python -m api.cli.serve``)."""
    parser = argparse.ArgumentParser(prog="shiftmix")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
