"""The server's side of worker hosts: hand submitted jobs to the engine instead of starting processes."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from api.hosts.engine import engine_app, ensure_schema
from api.hosts.store import HostStore
from api.hosts.worker import defer_job
from api.jobs import JobRunner, JobWork
from api.settings import Settings
from api.storage import JobKind, Storage

logger = logging.getLogger(__name__)


class EngineRunner(JobRunner):
    """A :class:`api.jobs.JobRunner` for ``SHIFTMIX_JOB_ENGINE=procrastinate``: jobs run on worker hosts.

    ``enqueue`` defers the job's task with its fair priority; nothing runs in the server. At startup it defers
    the queued jobs the engine does not hold yet (a server that died between storing and deferring). Jobs
    left running are not the server's to recover: the workers find them through the heartbeats.
    """

    def __init__(self, storage: Storage, settings: Settings, work: Mapping[JobKind, JobWork]) -> None:
        # the base class's process machinery is not used: no super().__init__
        self._storage = storage
        self._settings = settings
        self._work = dict(work)
        self._store = HostStore(settings.database_url, schema=settings.db_schema)
        self._app = engine_app(settings.database_url, settings.db_schema)
        self._open = False

    def start(self) -> list[str]:
        """Create the engine's tables when missing, open it and defer the queued jobs it does not hold."""
        ensure_schema(self._settings.database_url, self._settings.db_schema)
        self._app.open()
        self._open = True
        for job_id in self._store.queued_job_ids():
            if defer_job(self._app, self._store, job_id):
                logger.info("job %s was queued but not with the engine; handed to it", job_id)
        return []

    def enqueue(self, job_id: str) -> None:
        """Hand a stored job to the engine."""
        defer_job(self._app, self._store, job_id)

    def running_jobs(self) -> int:
        """Return how many jobs run now on all worker hosts."""
        return self._store.running_count()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Close the engine's connections (running jobs go on on their hosts)."""
        if self._open:
            self._app.close()
            self._open = False
        self._store.close()
