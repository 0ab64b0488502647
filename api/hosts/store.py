"""What worker hosts read and change in the job store beyond ``api.storage``: fair priorities, recovery.

Kept apart from :class:`api.storage.Storage` (the API's store) so the server's single-host path is untouched.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from api.tables import ACTIVE_STATUSES, create_engine, define_tables

REQUEUED_AFTER_HOST_DEATH = "queued again: its worker host stopped answering while the job was running"
FAILED_AFTER_TWO_HOST_DEATHS = (
    "two worker hosts stopped answering while running this job (killed, out of memory or cut off); submit it again"
)


class HostStore:
    """The jobs table, as worker hosts and the engine runner use it.

    Parameters
    ----------
    database_url, schema : str
        The job store (the worker's own credentials when it has them).
    """

    def __init__(self, database_url: str, *, schema: str | None = None) -> None:
        self._engine = create_engine(database_url)
        self._jobs = define_tables(sa.MetaData(schema=schema)).jobs

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def fair_priority(self, job_id: str) -> int:
        """Return the engine priority of a job: minus the organisation's other queued or running jobs.

        The engine runs higher priorities first (oldest first among equals), so each organisation's first
        waiting job goes ahead of any organisation's second, and so on: round robin between organisations,
        and one organisation's 50 jobs cannot starve another's one.
        """
        j = self._jobs.c
        org = sa.select(j.org_id).where(j.id == job_id).scalar_subquery()
        query = sa.select(sa.func.count()).where(j.org_id == org, j.status.in_(ACTIVE_STATUSES), j.id != job_id)
        with self._engine.connect() as conn:
            return -int(conn.execute(query).scalar_one())

    def status(self, job_id: str) -> str | None:
        """Return a job's status, ``None`` when it is gone."""
        j = self._jobs.c
        with self._engine.connect() as conn:
            return conn.execute(sa.select(j.status).where(j.id == job_id)).scalar()

    def queued_job_ids(self) -> list[str]:
        """Return the queued jobs, oldest first."""
        j = self._jobs.c
        with self._engine.connect() as conn:
            return list(conn.execute(sa.select(j.id).where(j.status == "queued").order_by(j.submitted_at)).scalars())

    def running_count(self) -> int:
        """Return how many jobs run now, on any host."""
        j = self._jobs.c
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(j.status == "running")).scalar_one())

    def recover(self, job_id: str) -> str | None:
        """Queue a job whose worker host died again (once), or fail it with the reason the second time.

        Returns the job's status afterwards: ``queued`` (run it again), ``failed``, another final state
        (it had finished), or ``None`` (deleted).
        """
        j = self._jobs.c
        now = dt.datetime.now(dt.UTC)
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(j.status, j.error).where(j.id == job_id).with_for_update()).first()
            if row is None:
                return None
            if row.status != "running":
                return str(row.status)
            if row.error != REQUEUED_AFTER_HOST_DEATH:
                conn.execute(
                    self._jobs.update()
                    .where(j.id == job_id, j.status == "running")
                    .values(status="queued", error=REQUEUED_AFTER_HOST_DEATH, started_at=None, worker_pid=None)
                )
                return "queued"
            conn.execute(
                self._jobs.update()
                .where(j.id == job_id, j.status == "running")
                .values(status="failed", error=FAILED_AFTER_TWO_HOST_DEATHS, checkpoint_json=None, finished_at=now)
            )
            return "failed"

    def fail_if_run_by(self, job_id: str, pid: int | None, reason: str) -> bool:
        """Fail a job still running in process ``pid`` (a solve that died or overran); ``False`` otherwise."""
        j = self._jobs.c
        with self._engine.begin() as conn:
            done = conn.execute(
                self._jobs.update()
                .where(j.id == job_id, j.status == "running", j.worker_pid == pid)
                .values(status="failed", error=reason, checkpoint_json=None, finished_at=dt.datetime.now(dt.UTC))
            ).rowcount
        return done == 1
