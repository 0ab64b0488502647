"""``shiftmix worker``: run jobs from the shared PostgreSQL job store on this host (any number of hosts).

The job store is ``SHIFTMIX_WORKER_DATABASE_URL`` (the worker's own credentials), else
``SHIFTMIX_DATABASE_URL``; the server hands jobs over when it runs with ``SHIFTMIX_JOB_ENGINE=procrastinate``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import socket

from api.settings import Settings
from optimizer.errors import InputError

WORKER_URL_VARIABLE = "SHIFTMIX_WORKER_DATABASE_URL"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``worker`` sub-command."""
    p = sub.add_parser(
        "worker",
        help="run jobs from the shared PostgreSQL job store on this host (server: SHIFTMIX_JOB_ENGINE=procrastinate)",
        description=(
            "Fetch solve, re-plan, scenario and simulation jobs from the job store and run them, each in its own "
            f"process. The store is {WORKER_URL_VARIABLE} (the worker's own credentials), else "
            "SHIFTMIX_DATABASE_URL; it must be PostgreSQL. Stop with SIGTERM or Ctrl-C: running jobs finish first."
        ),
    )
    p.add_argument("--concurrency", type=int, default=1, help="jobs run at once on this host (default 1)")
    p.add_argument("--heartbeat-s", type=float, default=5.0, help="time between heartbeats [s] (default 5)")
    p.add_argument(
        "--stalled-after-s",
        type=float,
        default=20.0,
        help="silence after which another worker's jobs are recovered [s] (default 20)",
    )
    p.add_argument("--recover-every-s", type=float, default=5.0, help="time between looks for stalled jobs [s]")
    p.add_argument("--name", default=None, help="worker name in logs (default: host and pid)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix worker`` until stopped; return the exit code."""
    if args.concurrency < 1:
        raise InputError.single("--concurrency", "must be at least 1")
    if args.heartbeat_s <= 0 or args.stalled_after_s <= 2 * args.heartbeat_s:
        raise InputError.single("--stalled-after-s", "must be more than two heartbeats (--heartbeat-s)")
    settings = Settings.from_env()
    url = os.environ.get(WORKER_URL_VARIABLE) or settings.database_url
    if not url.startswith("postgresql"):
        raise InputError.single(WORKER_URL_VARIABLE, "must be a PostgreSQL URL (postgresql+psycopg://…)")
    settings = dataclasses.replace(settings, database_url=url)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # imported here: the engine is an optional dependency (shiftmix[hosts]), and the job kinds pull in the solver
    from api.app import JOB_WORK  # noqa: PLC0415
    from api.hosts.worker import HostOptions, WorkerHost  # noqa: PLC0415

    options = HostOptions(
        concurrency=args.concurrency,
        heartbeat_s=args.heartbeat_s,
        stalled_after_s=args.stalled_after_s,
        recover_every_s=args.recover_every_s,
        name=args.name or f"{socket.gethostname()}-{os.getpid()}",
    )
    WorkerHost(settings, JOB_WORK, options).run()
    return 0
