"""Persisted state of the service: organisations, API keys, jobs and the audit trail (SQLAlchemy 2 Core).

Works on SQLite (the default, WAL mode so worker processes and the server can share the file) and on
PostgreSQL through its URL. Nothing submitted is lost: a job's request JSON is written, together with its
audit event, in the transaction that creates the job, before the job is queued.

Job states::

    queued ──► running ──► succeeded | failed | cancelled
       └──────────────────► cancelled            (cancelled before a worker picked it up)

Every state change is a conditional ``UPDATE … WHERE status = …``, so the server, the workers and a restart
cannot overwrite each other's final states.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from api.plan_versions import PlanVersions, define_plan_versions
from api.tables import (
    ACTIVE_STATUSES,
    JOB_STATUSES,
    JobKind,
    JobRecord,
    JobStatus,
    Principal,
    add_missing_columns,
    create_engine,
    define_tables,
    enable_wal,
)

__all__ = ["API_KEY_PREFIX", "JobKind", "JobRecord", "JobStatus", "Principal", "Storage", "hash_api_key"]

API_KEY_PREFIX = "smx_"
"""Every key starts with this, so a leaked key is easy to recognise."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def hash_api_key(token: str) -> str:
    """Return the SHA-256 hex digest under which an API key is stored (the key itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Storage:
    """The job store.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL (SQLite or PostgreSQL).
    schema : str, optional
        PostgreSQL schema holding the tables; created by :meth:`create_all` when missing.
    """

    def __init__(self, database_url: str, *, schema: str | None = None) -> None:
        self.database_url = database_url
        self.schema = schema
        self._engine = create_engine(database_url)
        self._metadata = sa.MetaData(schema=schema)
        self._tables = define_tables(self._metadata)
        self._orgs, self._keys, self._jobs, self._audit = self._tables
        self.plan_versions = PlanVersions(self._engine, define_plan_versions(self._metadata, self._jobs))
        large = ("request_json", "result_json", "check_json", "checkpoint_json")
        self._summary = [c for c in self._jobs.c if c.name not in large]
        self._claims: dict[str, int] = {}
        """Jobs this store's process claimed, and the ``worker_pid`` it claimed them with (:meth:`claim`)."""

    # ---- lifecycle -----------------------------------------------------------------------------------------

    def create_all(self) -> None:
        """Create the schema (PostgreSQL) and the tables when missing; add columns newer versions define."""
        with self._engine.connect() as conn:
            enable_wal(conn)
        with self._engine.begin() as conn:
            if self.schema is not None:
                conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
            add_missing_columns(conn, self._tables)
            self._metadata.create_all(conn)

    def drop_all(self) -> None:
        """Drop the tables, and the schema when one was given (tests use this to clean up)."""
        with self._engine.begin() as conn:
            self._metadata.drop_all(conn)
            if self.schema is not None:
                conn.execute(sa.schema.DropSchema(self.schema, cascade=True, if_exists=True))

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def ping(self) -> None:
        """Run a trivial query; raises when the database is unreachable."""
        with self._engine.connect() as conn:
            conn.execute(sa.select(1))

    # ---- organisations and keys ----------------------------------------------------------------------------

    def ensure_org(self, name: str) -> int:
        """Return the id of the organisation called ``name``, creating it when missing."""
        with self._engine.begin() as conn:
            found = conn.execute(sa.select(self._orgs.c.id).where(self._orgs.c.name == name)).scalar()
            if found is not None:
                return int(found)
            try:
                with conn.begin_nested():
                    return int(
                        conn.execute(
                            self._orgs.insert()
                            .values(name=name, created_at=_now())
                            .returning(self._orgs.c.id)
                        ).scalar_one()
                    )
            except IntegrityError:
                return int(
                    conn.execute(sa.select(self._orgs.c.id).where(self._orgs.c.name == name)).scalar_one()
                )

    def create_api_key(self, org_name: str) -> str:
        """Create an API key for an organisation (created when missing) and return it.

        The key is returned once and stored only as its SHA-256 digest.
        """
        org_id = self.ensure_org(org_name)
        token = API_KEY_PREFIX + secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            conn.execute(
                self._keys.insert().values(org_id=org_id, key_hash=hash_api_key(token), created_at=_now())
            )
        return token

    def principal_for_key(self, token: str) -> Principal | None:
        """Return who owns an API key, or ``None`` for an unknown or revoked key."""
        query = (
            sa.select(self._keys.c.id, self._orgs.c.id.label("org_id"), self._orgs.c.name)
            .join(self._orgs, self._orgs.c.id == self._keys.c.org_id)
            .where(self._keys.c.key_hash == hash_api_key(token), self._keys.c.revoked_at.is_(None))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else Principal(org_id=row.org_id, org_name=row.name, api_key_id=row.id)

    # ---- jobs: submission and queries ----------------------------------------------------------------------

    def _record(self, row: Row[Any]) -> JobRecord:
        m = row._mapping
        return JobRecord(
            job_id=m["id"],
            org_id=m["org_id"],
            status=m["status"],
            idempotency_key=m["idempotency_key"],
            inputs_digest=m["inputs_digest"],
            params_json=m["params_json"],
            best_objective_cents=m["best_objective_cents"],
            best_bound_cents=m["best_bound_cents"],
            progress_wall_time_s=m["progress_wall_time_s"],
            error=m["error"],
            cancel_requested=m["cancel_requested_at"] is not None,
            worker_pid=m["worker_pid"],
            submitted_at=_aware(m["submitted_at"]) or _now(),
            started_at=_aware(m["started_at"]),
            finished_at=_aware(m["finished_at"]),
            has_result=bool(m["has_result"]),
            kind=m["kind"],
            replan_of=m["replan_of"],
            resumed_from_cents=m["resumed_from_cents"],
        )

    def _audit_event(
        self, conn: Connection, principal: Principal, action: str, job_id: str, **details: str | None
    ) -> None:
        conn.execute(
            self._audit.insert().values(
                at=_now(),
                org_id=principal.org_id,
                api_key_id=principal.api_key_id,
                action=action,
                job_id=job_id,
                **details,
            )
        )

    def _select(self) -> sa.Select[Any]:
        return sa.select(*self._summary, self._jobs.c.result_json.is_not(None).label("has_result"))

    def _find_idempotent(self, conn: Connection, org_id: int, key: str) -> JobRecord | None:
        j = self._jobs.c
        row = conn.execute(self._select().where(j.org_id == org_id, j.idempotency_key == key)).first()
        return None if row is None else self._record(row)

    def create_job(
        self,
        principal: Principal,
        *,
        request_json: str,
        inputs_digest: str,
        params_json: str,
        solver_version: str,
        idempotency_key: str | None = None,
        kind: JobKind = "schedule",
        replan_of: str | None = None,
    ) -> tuple[JobRecord, bool]:
        """Store a submitted request as a queued job, with its audit event, in one transaction.

        ``kind`` says which worker runs the job; ``replan_of`` is the published job a re-plan starts from.

        Returns
        -------
        (JobRecord, bool)
            The job, and whether it was created (``False``: the organisation already used
            ``idempotency_key`` and this is that job).
        """
        if idempotency_key is not None:
            with self._engine.connect() as conn:
                existing = self._find_idempotent(conn, principal.org_id, idempotency_key)
            if existing is not None:
                return existing, False
        job_id = uuid.uuid4().hex
        now = _now()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    self._jobs.insert().values(
                        id=job_id,
                        org_id=principal.org_id,
                        status="queued",
                        idempotency_key=idempotency_key,
                        request_json=request_json,
                        inputs_digest=inputs_digest,
                        params_json=params_json,
                        submitted_at=now,
                        kind=kind,
                        replan_of=replan_of,
                    )
                )
                self._audit_event(
                    conn,
                    principal,
                    "submit",
                    job_id,
                    inputs_digest=inputs_digest,
                    solver_version=solver_version,
                    params_json=params_json,
                    replan_of=replan_of,
                )
        except IntegrityError:
            if idempotency_key is None:
                raise
            with self._engine.connect() as conn:
                raced = self._find_idempotent(conn, principal.org_id, idempotency_key)
            if raced is None:
                raise
            return raced, False
        found = self.get_job(job_id)
        if found is None:
            msg = f"job {job_id} vanished right after it was stored"
            raise RuntimeError(msg)
        return found, True

    def get_job(
        self, job_id: str, org_id: int | None = None, kinds: Iterable[JobKind] | None = None
    ) -> JobRecord | None:
        """Return a job, or ``None`` when it does not exist, belongs to another organisation or is of another kind."""
        query = self._select().where(self._jobs.c.id == job_id)
        if org_id is not None:
            query = query.where(self._jobs.c.org_id == org_id)
        if kinds is not None:
            query = query.where(self._jobs.c.kind.in_(tuple(kinds)))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else self._record(row)

    def _text(self, column: sa.Column[Any], job_id: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(sa.select(column).where(self._jobs.c.id == job_id)).scalar()

    def request_json(self, job_id: str) -> str | None:
        """Return the request JSON exactly as submitted."""
        return self._text(self._jobs.c.request_json, job_id)

    def result_json(self, job_id: str) -> str | None:
        """Return the plan JSON, once the worker stored one."""
        return self._text(self._jobs.c.result_json, job_id)

    def check_json(self, job_id: str) -> str | None:
        """Return ``check_plan``'s findings on the stored plan as a JSON list, once the worker stored them."""
        return self._text(self._jobs.c.check_json, job_id)

    def checkpoint_json(self, job_id: str) -> str | None:
        """Return the best solution a job stored while it ran (kept while it is active, cleared when it ends)."""
        return self._text(self._jobs.c.checkpoint_json, job_id)

    def list_jobs(
        self, org_id: int, *, limit: int, offset: int, kinds: Iterable[JobKind] | None = None
    ) -> tuple[list[JobRecord], int]:
        """Return one page of an organisation's jobs (of the given kinds), newest first, and the total count."""
        j = self._jobs.c
        mine = j.org_id == org_id
        if kinds is not None:
            mine = sa.and_(mine, j.kind.in_(tuple(kinds)))
        page = (
            self._select()
            .where(mine)
            .order_by(j.submitted_at.desc(), j.id)
            .limit(limit)
            .offset(offset)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(page).all()
            total = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
        return [self._record(r) for r in rows], int(total)

    def audit_events(self, job_id: str) -> list[dict[str, Any]]:
        """Return a job's audit trail, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(self._audit).where(self._audit.c.job_id == job_id).order_by(self._audit.c.id)
            ).all()
        return [dict(r._mapping) for r in rows]

    def counts_by_status(self) -> dict[str, int]:
        """Return how many jobs are in each state (all organisations; for metrics)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(self._jobs.c.status, sa.func.count()).group_by(self._jobs.c.status)
            ).all()
        counts: dict[str, int] = dict.fromkeys(JOB_STATUSES, 0)
        counts.update({str(status): int(n) for status, n in rows})
        return counts

    def queued_job_ids(self) -> list[str]:
        """Return the ids of queued jobs, oldest first (re-queued after a restart)."""
        j = self._jobs.c
        with self._engine.connect() as conn:
            return list(
                conn.execute(sa.select(j.id).where(j.status == "queued").order_by(j.submitted_at)).scalars()
            )

    # ---- jobs: state changes -------------------------------------------------------------------------------

    def _update(self, job_id: str, statuses: Iterable[JobStatus], *, fenced: bool = False, **values: Any) -> bool:
        j = self._jobs.c
        where = [j.id == job_id, j.status.in_(tuple(statuses))]
        if fenced and job_id in self._claims:  # a worker's write: only while the job is still its claim
            where.append(j.worker_pid == self._claims[job_id])
        with self._engine.begin() as conn:
            result = conn.execute(self._jobs.update().where(*where).values(**values))
        return result.rowcount == 1

    def claim(self, job_id: str, worker_pid: int) -> bool:
        """Move a queued job to running for the given worker process; ``False`` if it is no longer queued.

        From then on this store's writes of the job's run (progress, checkpoint, resume, result) hold only while
        the job is still claimed by ``worker_pid``: a worker whose job was queued again and claimed elsewhere (its host
        stopped answering, then came back) can no longer overwrite the new run, and is told to stop
        (:meth:`stop_requested`).
        """
        j = self._jobs.c
        with self._engine.begin() as conn:
            result = conn.execute(
                self._jobs.update()
                .where(j.id == job_id, j.status == "queued")
                .values(status="running", started_at=_now(), worker_pid=worker_pid)
            )
        if result.rowcount != 1:
            return False
        self._claims[job_id] = worker_pid
        return True

    def record_progress(
        self,
        job_id: str,
        objective_cents: int,
        bound_cents: int,
        wall_time_s: float,
        checkpoint_json: str | None = None,
    ) -> None:
        """Store the best objective and bound found so far [cents] of a running job, and its solution if given."""
        checkpoint = {} if checkpoint_json is None else {"checkpoint_json": checkpoint_json}
        self._update(
            job_id,
            ("running",),
            fenced=True,
            best_objective_cents=objective_cents,
            best_bound_cents=bound_cents,
            progress_wall_time_s=wall_time_s,
            **checkpoint,
        )

    def record_resume(self, job_id: str, objective_cents: int) -> bool:
        """Record that a running job resumed from a checkpoint of this objective [cents]."""
        return self._update(job_id, ("running",), fenced=True, resumed_from_cents=objective_cents)

    def stop_requested(self, job_id: str) -> bool:
        """Whether a running job should stop: cancel requested, deleted, no longer running, or claimed elsewhere."""
        j = self._jobs.c
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(j.status, j.cancel_requested_at, j.worker_pid).where(j.id == job_id)).first()
        lost = job_id in self._claims and row is not None and row.worker_pid != self._claims[job_id]
        return row is None or row.status != "running" or row.cancel_requested_at is not None or lost

    def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        result_json: str | None,
        error: str | None = None,
        check_json: str | None = None,
    ) -> bool:
        """Store a running job's final state, plan and the plan's check; ``False`` if it was no longer running.

        From the process that claimed the job, ``False`` also when the job has since been claimed by another.
        """
        return self._update(
            job_id,
            ("running",),
            fenced=True,
            status=status,
            result_json=result_json,
            error=error,
            check_json=check_json,
            checkpoint_json=None,
            finished_at=_now(),
        )

    def fail(self, job_id: str, error: str) -> bool:
        """Mark a queued or running job failed with a reason; ``False`` if it had already finished."""
        return self._update(
            job_id, ACTIVE_STATUSES, status="failed", error=error, checkpoint_json=None, finished_at=_now()
        )

    def request_cancel(self, principal: Principal, job_id: str) -> JobRecord | None:
        """Cancel a job: a queued one at once, a running one by asking its worker to stop.

        Returns the job afterwards (``None`` if it does not belong to the organisation). A finished job is
        returned unchanged.
        """
        now = _now()
        j = self._jobs.c
        mine = sa.and_(j.id == job_id, j.org_id == principal.org_id)
        with self._engine.begin() as conn:
            conn.execute(
                self._jobs.update()
                .where(mine, j.status == "queued")
                .values(status="cancelled", checkpoint_json=None, finished_at=now)
            )
            conn.execute(
                self._jobs.update()
                .where(mine, j.status == "running", j.cancel_requested_at.is_(None))
                .values(cancel_requested_at=now)
            )
            self._audit_event(conn, principal, "cancel", job_id)
        return self.get_job(job_id, principal.org_id)

    def delete_job(self, principal: Principal, job_id: str) -> bool:
        """Delete a job and its stored request and plan (a running worker sees it gone and stops)."""
        j = self._jobs.c
        with self._engine.begin() as conn:
            gone = conn.execute(
                self._jobs.delete().where(j.id == job_id, j.org_id == principal.org_id)
            ).rowcount
            if gone:
                self._audit_event(conn, principal, "delete", job_id)
        return gone == 1

    def requeue_stale_running(self, note: str, reason: str) -> tuple[list[str], list[str]]:
        """Queue again every running job (at startup no worker of this server runs them); return the ids.

        A job is queued again once: its ``error`` carries ``note`` while it waits, and a job found running
        again with that note (it took a server down twice, or the server died twice under it) is marked
        failed with ``reason``. A re-queued job keeps its checkpoint, to resume from. Returns
        ``(requeued, failed)``.
        """
        j = self._jobs.c
        with self._engine.begin() as conn:
            rows = list(conn.execute(sa.select(j.id, j.error).where(j.status == "running")))
            again = [r.id for r in rows if r.error != note]
            twice = [r.id for r in rows if r.error == note]
            if again:
                conn.execute(
                    self._jobs.update()
                    .where(j.id.in_(again), j.status == "running")
                    .values(status="queued", error=note, started_at=None, worker_pid=None)
                )
            if twice:
                conn.execute(
                    self._jobs.update()
                    .where(j.id.in_(twice), j.status == "running")
                    .values(status="failed", error=reason, checkpoint_json=None, finished_at=_now())
                )
        return again, twice
