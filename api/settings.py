"""Service settings: one frozen object, read from the environment once and passed down explicitly.

Variables (all optional), with their defaults:

- ``SHIFTMIX_DATABASE_URL``: SQLAlchemy URL of the job store, SQLite or PostgreSQL
  (``sqlite:///shiftmix.sqlite3`` in the working directory).
- ``SHIFTMIX_DB_SCHEMA``: PostgreSQL schema holding the tables (the default schema).
- ``SHIFTMIX_DEV``: ``1`` disables API-key checks, for local development only (``0``).
- ``SHIFTMIX_MAX_TIME_LIMIT_S``: server cap on a solve's ``time_limit_s`` [s] (``300``).
- ``SHIFTMIX_WORKERS``: solver worker processes running at once (``2``).
- ``SHIFTMIX_WATCHDOG_MARGIN_S``: overrun past the time limit before a worker is killed [s] (``30``).
- ``SHIFTMIX_MAX_BODY_BYTES``: largest accepted request body [bytes] (``5000000``).
- ``SHIFTMIX_MAX_DEMAND_ROWS``: most demand or history rows in one request (``10000``).
- ``SHIFTMIX_MAX_WORKERS``: most FTEs in one planning problem (``2000``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///shiftmix.sqlite3"
"""Job store in the working directory when no URL is given."""


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = f"{name} must be an integer, got {raw!r}"
        raise ValueError(msg) from None
    if value < minimum:
        msg = f"{name} must be at least {minimum}, got {value}"
        raise ValueError(msg)
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        msg = f"{name} must be a number, got {raw!r}"
        raise ValueError(msg) from None
    if value <= 0:
        msg = f"{name} must be positive, got {value}"
        raise ValueError(msg)
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its environment.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL of the job store, e.g. ``sqlite:///shiftmix.sqlite3`` or
        ``postgresql+psycopg://user@host/db``.
    db_schema : str or None
        PostgreSQL schema for the tables (created when missing); ``None`` uses the default schema.
    dev : bool
        Disable API-key checks; every request acts for the ``dev`` organisation.
    max_time_limit_s : float
        Server cap on a solve's requested time limit [s].
    workers : int
        Solver worker processes that may run at once.
    watchdog_margin_s : float
        How long a worker may overrun its time limit before it is killed [s]; covers process start,
        model building and plan extraction.
    max_body_bytes : int
        Largest accepted request body [bytes]; larger bodies get 413.
    max_demand_rows : int
        Most demand rows (schedules, staffing) or history rows (forecasts) in one request.
    max_workers_per_problem : int
        Most FTEs in one planning problem.
    """

    database_url: str = DEFAULT_DATABASE_URL
    db_schema: str | None = None
    dev: bool = False
    max_time_limit_s: float = 300.0
    workers: int = 2
    watchdog_margin_s: float = 30.0
    max_body_bytes: int = 5_000_000
    max_demand_rows: int = 10_000
    max_workers_per_problem: int = 2_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``SHIFTMIX_*`` environment variables.

        Parameters
        ----------
        environ : mapping, optional
            Variables to read; defaults to ``os.environ``.

        Raises
        ------
        ValueError
            When a variable is set but is not a valid value; the message names the variable.
        """
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("SHIFTMIX_DATABASE_URL") or DEFAULT_DATABASE_URL,
            db_schema=env.get("SHIFTMIX_DB_SCHEMA") or None,
            dev=_flag(env, "SHIFTMIX_DEV"),
            max_time_limit_s=_float(env, "SHIFTMIX_MAX_TIME_LIMIT_S", cls.max_time_limit_s),
            workers=_int(env, "SHIFTMIX_WORKERS", cls.workers),
            watchdog_margin_s=_float(env, "SHIFTMIX_WATCHDOG_MARGIN_S", cls.watchdog_margin_s),
            max_body_bytes=_int(env, "SHIFTMIX_MAX_BODY_BYTES", cls.max_body_bytes),
            max_demand_rows=_int(env, "SHIFTMIX_MAX_DEMAND_ROWS", cls.max_demand_rows),
            max_workers_per_problem=_int(env, "SHIFTMIX_MAX_WORKERS", cls.max_workers_per_problem),
        )
