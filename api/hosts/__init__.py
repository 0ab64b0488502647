"""Worker hosts: run jobs on any number of machines that share the PostgreSQL job store.

``SHIFTMIX_JOB_ENGINE=procrastinate`` on the server makes it hand each job to the engine
(:class:`api.hosts.runner.EngineRunner`); ``shiftmix worker`` processes, on this host or others, fetch and run
them (:class:`api.hosts.worker.WorkerHost`). The default (``local``) is unchanged: one server process runs its
jobs in its own worker processes, on SQLite or PostgreSQL, with no engine. See the README, "Worker hosts".
"""

from __future__ import annotations

from collections.abc import Mapping

from api.jobs import JobRunner, JobWork
from api.settings import Settings
from api.storage import JobKind, Storage

__all__ = ["make_runner"]


def make_runner(storage: Storage, settings: Settings, work: Mapping[JobKind, JobWork]) -> JobRunner:
    """Return the job runner the settings ask for: processes on this host (default) or worker hosts.

    The engine (``pip install shiftmix[hosts]``) is imported only when asked for.
    """
    if settings.job_engine == "procrastinate":
        from api.hosts.runner import EngineRunner  # noqa: PLC0415 - optional dependency

        return EngineRunner(storage, settings, work)
    return JobRunner(storage, settings, work)
