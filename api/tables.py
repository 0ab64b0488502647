"""What the job store holds: its tables, the records read from them, and the engine (SQLite or PostgreSQL).

- ``organisations``: tenants; every API key and job belongs to one.
- ``api_keys``: SHA-256 digests of API keys (the keys themselves are never stored), revocable.
- ``jobs``: one row per submitted job: its kind (``schedule``, ``replan`` or ``scenario``), the request JSON as
  submitted, inputs digest, effective parameters, state, progress (best objective and bound), result JSON,
  ``check_plan``'s findings on the stored plan (check JSON),
  error, timestamps, worker pid, an idempotency key unique per organisation, and for a re-plan the id of the
  published job it re-plans (``replan_of``). While a schedule job runs, ``checkpoint_json`` holds its best
  solution so far (``api.jobs.checkpoint``); a job re-queued after a crash resumes from it and records its
  objective in ``resumed_from_cents``.
- ``audit_events``: who submitted, cancelled or deleted which job, with digest, solver version, parameters and
  ``replan_of``.

Columns added after a store was first created are nullable or have a server default, so
:func:`add_missing_columns` can add them to an existing database when the app starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
ACTIVE_STATUSES: tuple[JobStatus, ...] = ("queued", "running")

JobKind = Literal["schedule", "replan", "scenario", "simulation"]
SCHEDULE_KINDS: tuple[JobKind, ...] = ("schedule", "replan")
"""Kinds served under ``/v1/schedules``: both produce a plan."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the organisation and, unless in dev mode, the API key used."""

    org_id: int
    org_name: str
    api_key_id: int | None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job's state, without its (possibly large) request and result JSON."""

    job_id: str
    org_id: int
    status: JobStatus
    idempotency_key: str | None
    inputs_digest: str
    params_json: str
    best_objective_cents: int | None
    best_bound_cents: int | None
    progress_wall_time_s: float | None
    error: str | None
    cancel_requested: bool
    worker_pid: int | None
    submitted_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    has_result: bool
    kind: JobKind = "schedule"
    replan_of: str | None = None
    resumed_from_cents: int | None = None
    """Objective of the checkpoint a re-queued job resumed from [cents]; None when it started afresh."""

    @property
    def is_active(self) -> bool:
        """Whether the job is still queued or running."""
        return self.status in ACTIVE_STATUSES


class Tables(NamedTuple):
    """The job store's tables."""

    organisations: sa.Table
    api_keys: sa.Table
    jobs: sa.Table
    audit_events: sa.Table


def define_tables(metadata: sa.MetaData) -> Tables:
    """Define the four tables on ``metadata`` (whose ``schema`` places them)."""
    ts = sa.DateTime(timezone=True)
    orgs = sa.Table(
        "organisations",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False),
    )
    keys = sa.Table(
        "api_keys",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey(orgs.c.id, ondelete="CASCADE"), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("revoked_at", ts),
    )
    jobs = sa.Table(
        "jobs",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey(orgs.c.id, ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("request_json", sa.Text, nullable=False),
        sa.Column("inputs_digest", sa.String(64), nullable=False),
        sa.Column("params_json", sa.Text, nullable=False),
        sa.Column("best_objective_cents", sa.BigInteger),
        sa.Column("best_bound_cents", sa.BigInteger),
        sa.Column("progress_wall_time_s", sa.Float),
        sa.Column("result_json", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("cancel_requested_at", ts),
        sa.Column("worker_pid", sa.Integer),
        sa.Column("submitted_at", ts, nullable=False),
        sa.Column("started_at", ts),
        sa.Column("finished_at", ts),
        sa.Column("kind", sa.String(16), nullable=False, server_default="schedule"),
        sa.Column("replan_of", sa.String(32)),
        sa.Column("check_json", sa.Text),
        sa.Column("checkpoint_json", sa.Text),
        sa.Column("resumed_from_cents", sa.BigInteger),
        sa.UniqueConstraint("org_id", "idempotency_key", name="uq_jobs_org_idempotency_key"),
        sa.Index("ix_jobs_org_submitted", "org_id", "submitted_at"),
        sa.Index("ix_jobs_status", "status"),
    )
    audit = sa.Table(
        "audit_events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", ts, nullable=False),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("api_key_id", sa.Integer),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("inputs_digest", sa.String(64)),
        sa.Column("solver_version", sa.String(64)),
        sa.Column("params_json", sa.Text),
        sa.Column("replan_of", sa.String(32)),
    )
    return Tables(organisations=orgs, api_keys=keys, jobs=jobs, audit_events=audit)


POOL_SIZE = 20
"""Pooled connections per process; above the default because every request thread may hold one."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> Engine:
    """Create an engine for the job store; SQLite connections get a busy timeout for multi-process use.

    The SQLite file itself is switched to WAL mode (persistent) by :func:`enable_wal`, so readers never block
    the worker processes writing progress.
    """
    sqlite = url.startswith("sqlite")
    engine = sa.create_engine(url, pool_pre_ping=not sqlite, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def add_missing_columns(conn: sa.Connection, tables: Tables) -> list[str]:
    """Add columns this version defines but an existing database lacks; return them as ``table.column``.

    Only nullable columns or columns with a server default are ever added to a table after its creation,
    so ``ALTER TABLE … ADD COLUMN`` is enough and existing rows stay valid.
    """
    inspector = sa.inspect(conn)
    added = []
    for table in tables:
        if not inspector.has_table(table.name, schema=table.schema):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)}
        for column in table.columns:
            if column.name in present:
                continue
            ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
            name = conn.dialect.identifier_preparer.format_table(table)
            conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {ddl}")
            added.append(f"{table.name}.{column.name}")
    return added


def enable_wal(conn: sa.Connection) -> None:
    """Switch a SQLite database to write-ahead logging (stored in the file; a no-op elsewhere)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
