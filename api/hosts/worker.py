"""``shiftmix worker``'s work: fetch job tasks from the engine, run each job in a child process, recover.

A worker host runs ``concurrency`` jobs at once. Each job runs as the single-host runner runs it
(:func:`api.jobs.run_job` in a ``forkserver`` child: it claims the job ``queued → running``, polls for a
cancel, checkpoints a schedule solve), and the child ends itself when its worker dies
(:func:`api.jobs.watch_server` on the worker's pid), so a killed worker leaves no solve behind.

Recovery: every ``recover_every_s`` each worker asks the engine for tasks whose worker stopped sending
heartbeats for ``stalled_after_s`` (killed, out of memory, host gone). Such a job is queued again and its
task retried, resuming from its checkpoint; a job that loses a second host is failed with the reason
(:meth:`api.hosts.store.HostStore.recover`). Never left ``running``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import procrastinate
from procrastinate.jobs import Status

from api.hosts.engine import QUEUE, TASK_NAME, engine_app, ensure_schema
from api.hosts.store import HostStore
from api.jobs import FORKSERVER_PRELOAD, JobWork, run_job, worker_context
from api.settings import Settings
from api.storage import JobKind, Storage

logger = logging.getLogger(__name__)

POSTGRES_PRELOAD = ("psycopg", "sqlalchemy.dialects.postgresql.psycopg")


@dataclass(frozen=True, slots=True)
class HostOptions:
    """How a worker host runs.

    Parameters
    ----------
    concurrency : int
        Jobs this host runs at once (each in its own process).
    heartbeat_s : float
        Time between two heartbeats of this worker [s].
    stalled_after_s : float
        Silence after which another worker's jobs are recovered [s]; several heartbeats long.
    recover_every_s : float
        Time between two looks for stalled jobs [s].
    poll_s : float
        Longest wait for a new task when a notification is missed [s].
    name : str
        The worker's name in logs and in the engine's tables.
    """

    concurrency: int = 1
    heartbeat_s: float = 5.0
    stalled_after_s: float = 20.0
    recover_every_s: float = 5.0
    poll_s: float = 2.0
    name: str = "shiftmix-worker"


def exit_reason(code: int | None) -> str:
    """Return why a job's process ended without finishing it."""
    if code is not None and code < 0:
        return f"the solver process on worker host {os.uname().nodename} was killed by signal {-code}"
    return f"the solver process on worker host {os.uname().nodename} exited with code {code} before finishing"


class WorkerHost:
    """One ``shiftmix worker`` process.

    Parameters
    ----------
    settings : Settings
        The job store (this worker's credentials), watchdog margin.
    work : mapping of JobKind to JobWork
        What each kind of job does (``api.app.JOB_WORK``).
    options : HostOptions
        Concurrency, heartbeat and recovery timing.
    """

    def __init__(self, settings: Settings, work: Mapping[JobKind, JobWork], options: HostOptions) -> None:
        self._settings = settings
        self._work = dict(work)
        self._options = options
        self._storage = Storage(settings.database_url, schema=settings.db_schema)
        self._store = HostStore(settings.database_url, schema=settings.db_schema)
        self._ctx = worker_context()
        if self._ctx.get_start_method() == "forkserver":
            # job processes connect to PostgreSQL: import its driver once in the fork server, not in each job
            self._ctx.set_forkserver_preload([*FORKSERVER_PRELOAD, *POSTGRES_PRELOAD])
        self.app = engine_app(settings.database_url, settings.db_schema)
        self.app.task(name=TASK_NAME, queue=QUEUE, pass_context=False)(self.run_one)

    def run_one(self, job_id: str) -> None:
        """Run one stored job in a child process and wait for it (a procrastinate task; runs in a thread)."""
        record = self._storage.get_job(job_id)
        if record is None or record.status != "queued":
            return  # cancelled, deleted, or already run: the task has nothing to do
        work = self._work.get(record.kind)
        if work is None:
            self._storage.fail(job_id, f"this worker cannot run jobs of kind {record.kind!r}")
            return
        deadline_s = float(json.loads(record.params_json)["time_limit_s"]) + self._settings.watchdog_margin_s
        proc = self._ctx.Process(
            target=run_job,
            args=(self._settings.database_url, self._settings.db_schema, job_id, work, os.getpid()),
            name=f"shiftmix-job-{job_id}",
            daemon=True,
        )
        proc.start()
        pid = proc.pid
        proc.join(deadline_s)
        if proc.is_alive():
            proc.kill()
            proc.join()
            reason = f"the solver overran its time limit by {self._settings.watchdog_margin_s:g} s and was stopped"
            self._store.fail_if_run_by(job_id, pid, reason)
        elif self._store.fail_if_run_by(job_id, pid, exit_reason(proc.exitcode)):
            logger.error("job %s: %s", job_id, exit_reason(proc.exitcode))
        elif proc.exitcode != 0 and self._store.status(job_id) == "queued":
            # it died before claiming the job: the task ends here, so the job must not stay queued
            self._storage.fail(job_id, exit_reason(proc.exitcode))
        proc.close()

    async def recover_stalled(self) -> list[str]:
        """Queue again (or fail) the jobs of workers that stopped sending heartbeats; return their ids."""
        stalled = await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=self._options.stalled_after_s)
        recovered = []
        for task in stalled:
            job_id = str(task.task_kwargs.get("job_id"))
            status = await asyncio.to_thread(self._store.recover, job_id)
            assert task.id is not None
            if status == "queued":
                logger.warning("job %s: its worker stopped answering; queued again", job_id)
                await self.app.job_manager.retry_job(task)
            else:
                logger.warning("job %s: its worker stopped answering; the job is %s", job_id, status)
                await self.app.job_manager.finish_job_by_id_async(task.id, Status.FAILED, delete_job=False)
            recovered.append(job_id)
        return recovered

    async def _recover_forever(self) -> None:
        while True:
            await asyncio.sleep(self._options.recover_every_s)
            try:
                await self.recover_stalled()
            except Exception:
                logger.exception("looking for stalled jobs failed")

    async def run_async(self) -> None:
        """Run until SIGINT or SIGTERM (running jobs finish first)."""
        async with self.app.open_async():
            recovery = asyncio.create_task(self._recover_forever(), name="recover-stalled")
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE],
                    name=self._options.name,
                    concurrency=self._options.concurrency,
                    fetch_job_polling_interval=self._options.poll_s,
                    update_heartbeat_interval=self._options.heartbeat_s,
                    stalled_worker_timeout=self._options.stalled_after_s,
                    delete_jobs="successful",
                )
            finally:
                recovery.cancel()

    def run(self) -> None:
        """Create the engine's tables when missing, then run until stopped (the server creates the job tables)."""
        ensure_schema(self._settings.database_url, self._settings.db_schema)
        # start the fork server and wait for its preload (seconds) before taking a job, not on the first job
        warm_up = self._ctx.Process(target=os.getpid, name="shiftmix-warm-up")
        warm_up.start()
        warm_up.join()
        warm_up.close()
        try:
            asyncio.run(self.run_async())
        finally:
            self._storage.close()
            self._store.close()


def defer_job(app: procrastinate.App, store: HostStore, job_id: str) -> bool:
    """Hand a stored job to the engine with its fair priority; ``False`` when it is already waiting there."""
    try:
        app.configure_task(TASK_NAME, queue=QUEUE, priority=store.fair_priority(job_id), queueing_lock=job_id).defer(
            job_id=job_id
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True
