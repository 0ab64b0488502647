"""The engine that spreads jobs over worker hosts: procrastinate, a PostgreSQL-backed task queue.

One procrastinate task, ``shiftmix.run_job(job_id)``, stands for a stored job. The API server defers it when a
job is submitted; any ``shiftmix worker`` on any host that reaches the database fetches it (``SELECT … FOR
UPDATE SKIP LOCKED``: one worker per task), woken at once by ``LISTEN/NOTIFY``. Workers write heartbeats;
a task whose worker stopped beating is found by the others and retried (``api.hosts.worker``). The job
store stays the record of the job itself: its ``queued → running`` claim is the second guard that no job runs
twice.

Procrastinate's objects (tables ``procrastinate_*``, functions, a type) live in the job store's database, in
its schema when ``SHIFTMIX_DB_SCHEMA`` is set, and are created on first use.
"""

from __future__ import annotations

import zlib
from typing import Any

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

TASK_NAME = "shiftmix.run_job"
QUEUE = "jobs"


def conninfo(database_url: str) -> str:
    """Return the libpq connection string of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://…``)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        msg = f"worker hosts need a PostgreSQL job store; SHIFTMIX_DATABASE_URL is {url.get_backend_name()}"
        raise ValueError(msg)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def connection_kwargs(database_url: str, schema: str | None) -> dict[str, Any]:
    """Return psycopg connection arguments: the URL, and the schema first on the search path when given."""
    kwargs: dict[str, Any] = {"conninfo": conninfo(database_url)}
    if schema is not None:
        kwargs["kwargs"] = {"options": f"-c search_path={schema}"}
    return kwargs


def _exists(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return row is not None and row[0] is not None


def ensure_schema(database_url: str, schema: str | None) -> bool:
    """Create procrastinate's objects when missing (under an advisory lock: servers and workers may race).

    When they exist this only reads, so a worker whose role may not create anything passes. Returns whether
    they were created now.
    """
    info = conninfo(database_url)
    if schema is not None:
        info = make_conninfo(info, options=f"-c search_path={schema}")
    lock = zlib.crc32(f"shiftmix-procrastinate-schema:{schema}".encode())
    with psycopg.connect(info, autocommit=False) as conn:
        if _exists(conn, "procrastinate_jobs"):
            return False
        if schema is not None:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')  # noqa: S608 - a setting, not user input
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
        if _exists(conn, "procrastinate_jobs"):
            return False
        conn.execute(SchemaManager.get_schema().encode())
        conn.commit()
    return True


ENGINE_TABLES = ("procrastinate_jobs", "procrastinate_workers", "procrastinate_events", "procrastinate_periodic_defers")


def worker_grants(role: str, schema: str = "public") -> list[str]:
    """Return the SQL that lets a worker's own role do its work and nothing else.

    It may read and update jobs (claim, progress, result), use the engine's tables and functions, and
    nothing more: no API keys, organisations, audit trail or webhooks.
    """
    tables = ", ".join(f'"{schema}"."{t}"' for t in ENGINE_TABLES)
    return [
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT, UPDATE ON "{schema}"."jobs" TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        f'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "{schema}" TO "{role}"',
    ]


def engine_app(database_url: str, schema: str | None) -> procrastinate.App:
    """Return a procrastinate app on the job store's database (not opened; the worker registers the task)."""
    params = connection_kwargs(database_url, schema)
    pool_kwargs: dict[str, Any] = {"conninfo": params["conninfo"]}
    if "kwargs" in params:
        pool_kwargs["kwargs"] = params["kwargs"]
    return procrastinate.App(connector=procrastinate.PsycopgConnector(**pool_kwargs))
