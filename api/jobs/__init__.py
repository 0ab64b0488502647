"""Jobs: the runner that runs each job in its own worker process, and what every kind of job's work shares.

A job's life:

1. A route validates the request and its job module (``api.jobs.schedule``, ``api.jobs.replan``,
   ``api.jobs.scenario``) stores it as a queued job of its ``kind`` before the runner sees its id.
2. :class:`JobRunner` starts a worker process per job (``forkserver``, else ``spawn``; never a fork of the
   threaded server), at most ``settings.workers`` at once. The
   solver never runs in the server process, let alone on its event loop.
3. The worker (:func:`run_job`) claims the job and calls the work registered for its kind, which stores the
   result. A thread in the worker polls storage (:func:`watch_for_stop`), so a cancel (or a delete) stops the
   work: a schedule solve keeps its best plan so far; work that cannot be interrupted ends the worker
   (:func:`abandon_on_stop`).
4. A monitor thread in the server joins each worker. A worker that overruns its job's ``time_limit_s`` (in its
   parameters) by ``settings.watchdog_margin_s`` is killed; a worker that dies leaves its job ``failed`` with
   the exit code, never ``running``. Each worker watches the server process and ends itself within
   ``SERVER_WATCH_INTERVAL_S`` of its death (:func:`watch_server`). At startup, jobs left ``running`` by a
   dead server are queued again (once; a second time they fail), then the queued jobs. A schedule job
   resumes from the best solution it stored before the crash (``api.jobs.checkpoint``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing
import multiprocessing.forkserver
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.process import BaseProcess

from api.jobs.checkpoint import CHECKPOINT_INTERVAL_S, Checkpoint
from api.settings import Settings
from api.storage import JobKind, JobRecord, Storage
from optimizer.domain import Plan, SolveParams
from optimizer.model import software_version
from optimizer.model.solve import Progress

logger = logging.getLogger(__name__)

STOP_POLL_INTERVAL_S = 0.2
"""How often a worker checks storage for a cancel [s]."""

PROGRESS_WRITE_INTERVAL_S = 0.25
"""Least time between two progress writes of one worker [s]; the final plan carries the last values."""

REQUEUED_NOTE = "queued again: the server stopped while the job was running"
STOPPED_TWICE_ERROR = "the server stopped twice while the job was running; submit it again"
SERVER_WATCH_INTERVAL_S = 0.5
"""How often a worker checks that its server is alive [s]; it ends itself within this after a crash."""
SHUTDOWN_ERROR = "the server shut down while the job was running; submit it again"
CANCELLED_WHILE_RUNNING = "cancelled while running; the work done so far is not kept"


JobWork = Callable[[Storage, JobRecord], None]
"""The work of one kind of job, run in the worker on a claimed job; a module-level function (it is pickled)."""

# ---- shared by the work of every kind ----------------------------------------------------------------------


def effective_params(params: SolveParams, settings: Settings) -> SolveParams:
    """Return the parameters a job runs with: time limit [s] and threads capped at the server's.

    Threads are capped so that quality does not depend on load: ten jobs asking for 8 threads each on 2 cores
    would each get a sliver of a core and stop with wide gaps (issue 18). The job's notes say what was capped.
    """
    update: dict[str, float | int] = {}
    if params.time_limit_s > settings.max_time_limit_s:
        update["time_limit_s"] = settings.max_time_limit_s
    if params.num_workers > settings.threads_per_job:
        update["num_workers"] = settings.threads_per_job
    return params.model_copy(update=update) if update else params


class ProgressWriter:
    """Write improving solutions to storage, at most every ``PROGRESS_WRITE_INTERVAL_S``.

    Their decisions go with them as the job's checkpoint (``api.jobs.checkpoint``) at most every
    ``CHECKPOINT_INTERVAL_S``, and only when better than the last one written.
    """

    def __init__(self, storage: Storage, job_id: str) -> None:
        self._storage = storage
        self._job_id = job_id
        self._last = -math.inf
        self._last_checkpoint = -math.inf
        self._checkpoint_objective = math.inf

    def __call__(self, progress: Progress) -> None:
        """Store ``progress`` unless the last write was too recent."""
        now = time.monotonic()
        if now - self._last < PROGRESS_WRITE_INTERVAL_S:
            return
        self._last = now
        checkpoint = None
        if (
            progress.read_decisions is not None
            and now - self._last_checkpoint >= CHECKPOINT_INTERVAL_S
            and progress.objective_cents < self._checkpoint_objective
        ):
            self._last_checkpoint = now
            self._checkpoint_objective = progress.objective_cents
            checkpoint = Checkpoint(progress.objective_cents, software_version(), progress.read_decisions()).to_json()
        self._storage.record_progress(
            self._job_id,
            progress.objective_cents,
            progress.best_bound_cents,
            progress.wall_time_s,
            checkpoint_json=checkpoint,
        )


def record_final_progress(storage: Storage, job_id: str, solved: Plan) -> None:
    """Store a finished plan's objective and bound [cents] as the job's last progress."""
    if solved.solver.objective_cents is not None and solved.solver.best_bound_cents is not None:
        storage.record_progress(
            job_id, solved.solver.objective_cents, solved.solver.best_bound_cents, solved.solver.wall_time_s
        )


@contextlib.contextmanager
def watch_for_stop(storage: Storage, job_id: str, on_stop: Callable[[], None]) -> Iterator[None]:
    """Call ``on_stop`` (once, from a thread) when the job is cancelled, deleted or no longer running."""
    done = threading.Event()

    def poll_for_stop() -> None:
        while not done.wait(STOP_POLL_INTERVAL_S):
            if storage.stop_requested(job_id):
                on_stop()
                return

    poller = threading.Thread(target=poll_for_stop, name=f"stop-poll-{job_id}", daemon=True)
    poller.start()
    try:
        yield
    finally:
        done.set()
        poller.join()


def abandon_on_stop(storage: Storage, job_id: str) -> Callable[[], None]:
    """Return an ``on_stop`` that marks the job cancelled and ends the worker process at once.

    For work without a stop hook (a re-plan, a scenario's runs): the watchdog would otherwise let it run to
    its whole time limit. A deleted job is simply left gone. The monitor sees the worker end and, the job
    being no longer active, changes nothing.
    """

    def stop() -> None:
        storage.finish(job_id, "cancelled", result_json=None, error=CANCELLED_WHILE_RUNNING)
        logging.shutdown()
        os._exit(0)

    return stop


def watch_server(server_pid: int, interval_s: float = SERVER_WATCH_INTERVAL_S) -> threading.Thread:
    """Start a thread that ends this worker process at once when the server process is gone.

    A worker's parent is the fork server, not the API server, so a parent-death signal would not fire when
    the server is killed; polling the server's pid does. Without it a killed server's workers kept solving.
    """

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid was reused by another user's process: ours is gone
                os._exit(1)

    thread = threading.Thread(target=watch, name="server-watch", daemon=True)
    thread.start()
    return thread


def run_job(
    database_url: str, schema: str | None, job_id: str, work: JobWork, server_pid: int | None = None
) -> None:
    """Run one job; the entry point of a worker process.

    Parameters
    ----------
    database_url, schema : str
        Where the job store is (the worker opens its own connections).
    job_id : str
        The queued job to claim and run. Nothing happens when it is no longer queued.
    work : JobWork
        The work of the job's kind; it stores the job's final state and result.
    server_pid : int, optional
        The API server's process; the worker ends itself when it is gone (:func:`watch_server`).
    """
    if server_pid is not None:
        watch_server(server_pid)
    storage = Storage(database_url, schema=schema)
    try:
        if not storage.claim(job_id, os.getpid()):
            return
        record = storage.get_job(job_id)
        if record is None:
            return
        try:
            work(storage, record)
        except Exception as exc:
            logger.exception("job %s failed in its worker", job_id)
            storage.finish(
                job_id,
                "failed",
                result_json=None,
                error=f"internal error in the solver ({type(exc).__name__})",
            )
    finally:
        storage.close()


# ---- the runner (server process) ---------------------------------------------------------------------------


FORKSERVER_PRELOAD = ("api.jobs", "api.app", "api.cli")
"""Modules the fork server imports once, so forked workers start without importing them again."""


def worker_context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    """Return the multiprocessing context that starts solver workers.

    ``forkserver`` where available: a clean single-threaded server process imports ``FORKSERVER_PRELOAD``
    (pandas, OR-Tools, the optimizer and the entry points that may be ``__main__``) once and forks each
    worker from it, so a worker starts in milliseconds rather than seconds and never inherits the API
    server's threads or connections. Elsewhere ``spawn``.

    Notes
    -----
    Python 3.11's fork server never preloads ``__main__`` (it looks for a ``main_path`` key that
    ``spawn.get_preparation_data`` does not write), so each worker imports the entry script again; that is
    cheap only when what the script imports is preloaded.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(FORKSERVER_PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"the solver worker process was killed by signal {-code}"
    return f"the solver worker process exited with code {code} before finishing the job"


class JobRunner:
    """Run queued jobs in worker processes, at most ``settings.workers`` at once.

    Parameters
    ----------
    storage : Storage
        The job store shared with the workers.
    settings : Settings
        Worker count, watchdog margin and the database location the workers connect to.
    work : mapping of JobKind to JobWork
        What a worker does for each kind of job (``create_app`` registers every kind).
    """

    def __init__(self, storage: Storage, settings: Settings, work: Mapping[JobKind, JobWork]) -> None:
        self._storage = storage
        self._settings = settings
        self._work = dict(work)
        self._ctx = worker_context()
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(settings.workers)
        self._lock = threading.Lock()
        self._live: dict[str, BaseProcess] = {}
        self._monitors: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch, name="job-dispatcher", daemon=True)

    def start(self) -> list[str]:
        """Recover from a previous run, then start dispatching; return the ids of jobs marked failed.

        Jobs a dead server left running are queued again (their workers died with it, see
        :func:`watch_server`), ahead of the jobs that were waiting; one left running twice is failed.
        """
        requeued, stale = self._storage.requeue_stale_running(REQUEUED_NOTE, STOPPED_TWICE_ERROR)
        for job_id in requeued:
            logger.warning("job %s was left running by a previous server; queued again", job_id)
        for job_id in stale:
            logger.warning("job %s was left running by a previous server twice; marked failed", job_id)
        for job_id in requeued:
            self._queue.put(job_id)
        for job_id in (j for j in self._storage.queued_job_ids() if j not in requeued):
            self._queue.put(job_id)
        if self._ctx.get_start_method() == "forkserver":
            # start the fork server (and its preload) now rather than on the first job
            multiprocessing.forkserver.ensure_running()
        self._dispatcher.start()
        return stale

    def enqueue(self, job_id: str) -> None:
        """Queue a stored job for solving."""
        self._queue.put(job_id)

    def running_jobs(self) -> int:
        """Return how many worker processes are alive."""
        with self._lock:
            return sum(1 for p in self._live.values() if p.is_alive())

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop dispatching, kill live workers and mark their jobs failed."""
        self._stopping.set()
        self._queue.put(None)
        if self._dispatcher.is_alive():
            self._dispatcher.join(timeout_s)
        with self._lock:
            live = dict(self._live)
        for job_id, proc in live.items():
            with contextlib.suppress(ValueError):  # its monitor closed it: the worker has exited
                proc.kill()
            self._storage.fail(job_id, SHUTDOWN_ERROR)
        for monitor in list(self._monitors):
            monitor.join(timeout_s)

    def _dispatch(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            while not self._slots.acquire(timeout=0.2):
                if self._stopping.is_set():
                    return
            try:
                self._launch(job_id)
            except Exception:
                self._slots.release()
                logger.exception("could not start a worker for job %s", job_id)
                self._storage.fail(job_id, "the server could not start a solver worker")

    def _launch(self, job_id: str) -> None:
        record = self._storage.get_job(job_id)
        if record is None or record.status != "queued":
            self._slots.release()
            return
        time_limit_s = float(json.loads(record.params_json)["time_limit_s"])
        work = self._work.get(record.kind)
        if work is None:
            self._slots.release()
            self._storage.fail(job_id, f"this server cannot run jobs of kind {record.kind!r}")
            return
        proc = self._ctx.Process(
            target=run_job,
            args=(self._storage.database_url, self._storage.schema, job_id, work, os.getpid()),
            name=f"shiftmix-job-{job_id}",
            daemon=True,
        )
        proc.start()
        with self._lock:
            self._live[job_id] = proc
        monitor = threading.Thread(
            target=self._watch,
            args=(job_id, proc, time_limit_s + self._settings.watchdog_margin_s),
            name=f"job-monitor-{job_id}",
            daemon=True,
        )
        self._monitors = [m for m in self._monitors if m.is_alive()]
        self._monitors.append(monitor)
        monitor.start()

    def _watch(self, job_id: str, proc: BaseProcess, deadline_s: float) -> None:
        try:
            proc.join(deadline_s)
            if proc.is_alive():
                proc.kill()
                proc.join()
                self._storage.fail(
                    job_id,
                    f"the solver worker overran its time limit by {self._settings.watchdog_margin_s:g} s "
                    "and was stopped",
                )
            elif not self._stopping.is_set() and self._storage.fail(job_id, _exit_reason(proc.exitcode)):
                logger.error("job %s: %s", job_id, _exit_reason(proc.exitcode))
        except Exception:
            logger.exception("monitor of job %s failed", job_id)
        finally:
            proc.close()
            with self._lock:
                self._live.pop(job_id, None)
            self._slots.release()
