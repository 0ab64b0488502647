"""Schedule jobs: submission, and the runner that solves each job in its own worker process.

A job's life:

1. :func:`submit_schedule` checks the problem (sizes, then ``prepare()`` for horizon-dependent rules), caps
   the time limit at the server's, and stores the request as a queued job before the runner sees its id.
2. :class:`JobRunner` starts a worker process per job (``forkserver``, else ``spawn``; never a fork of the
   threaded server), at most ``settings.workers`` at once. The
   solver never runs in the server process, let alone on its event loop.
3. The worker (:func:`run_job`) claims the job, calls :func:`optimizer.model.plan`, writes every improving
   objective and bound to storage, and stores the plan. A thread in the worker polls storage, so a cancel
   (or a delete) sets the solver's ``stop_event`` and the best plan so far is kept.
4. A monitor thread in the server joins each worker. A worker that overruns its time limit by
   ``settings.watchdog_margin_s`` is killed; a worker that dies leaves its job ``failed`` with the exit code,
   never ``running``. At startup, jobs left ``running`` by a dead server are marked failed and queued jobs are
   queued again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import queue
import threading
import time
from multiprocessing.process import BaseProcess

from api.settings import Settings
from api.storage import JobRecord, JobStatus, Principal, Storage
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.errors import InputError, Issue
from optimizer.model import inputs_digest, plan, prepare
from optimizer.model.solve import SOLVER_VERSION, Progress

logger = logging.getLogger(__name__)

STOP_POLL_INTERVAL_S = 0.2
"""How often a worker checks storage for a cancel [s]."""

PROGRESS_WRITE_INTERVAL_S = 0.25
"""Least time between two progress writes of one worker [s]; the final plan carries the last values."""

SOLVED: frozenset[str] = frozenset({"OPTIMAL", "FEASIBLE"})
STALE_RUNNING_ERROR = "the server stopped while the job was running; submit it again"
SHUTDOWN_ERROR = "the server shut down while the job was running; submit it again"


# ---- submission (server process) ---------------------------------------------------------------------------


def check_problem_size(problem: PlanningProblem, settings: Settings) -> None:
    """Reject problems larger than the server accepts.

    Raises
    ------
    InputError
        Naming ``problem.demand`` or ``problem.workforce.workers`` and the limit.
    """
    issues = []
    if len(problem.demand) > settings.max_demand_rows:
        issues.append(
            Issue(
                "problem.demand",
                f"has {len(problem.demand)} rows; this server accepts at most {settings.max_demand_rows}",
            )
        )
    if len(problem.workforce.workers) > settings.max_workers_per_problem:
        issues.append(
            Issue(
                "problem.workforce.workers",
                f"has {len(problem.workforce.workers)} workers; this "
                f"server accepts at most {settings.max_workers_per_problem}",
            )
        )
    if issues:
        raise InputError(issues)


def effective_params(params: SolveParams, settings: Settings) -> SolveParams:
    """Return the parameters a job runs with: the requested ones, time limit capped at the server's [s]."""
    if params.time_limit_s <= settings.max_time_limit_s:
        return params
    return params.model_copy(update={"time_limit_s": settings.max_time_limit_s})


def validate_schedule(
    problem: PlanningProblem, params: SolveParams, settings: Settings
) -> tuple[str, SolveParams]:
    """Check a problem as a solve would, without solving; return its inputs digest and effective parameters.

    Raises
    ------
    InputError
        For a problem over the size limits, or one that breaks a horizon-dependent rule (``prepare()``); field
        paths are prefixed with ``problem.`` to match the request body.
    """
    check_problem_size(problem, settings)
    run_params = effective_params(params, settings)
    try:
        prepare(problem, run_params)
    except InputError as exc:
        raise InputError([Issue(f"problem.{i.field}", i.problem) for i in exc.issues]) from None
    return inputs_digest(problem, run_params), run_params


def submit_schedule(
    storage: Storage,
    runner: JobRunner,
    settings: Settings,
    principal: Principal,
    request_json: str,
    problem: PlanningProblem,
    params: SolveParams,
    idempotency_key: str | None,
) -> tuple[JobRecord, bool]:
    """Validate, store and enqueue a schedule request.

    Returns
    -------
    (JobRecord, bool)
        The job, and whether it is new (``False`` when the organisation used ``idempotency_key`` before).

    Raises
    ------
    InputError
        As :func:`validate_schedule`, or when an idempotency key is reused for a different request.
    """
    digest, run_params = validate_schedule(problem, params, settings)
    record, created = storage.create_job(
        principal,
        request_json=request_json,
        inputs_digest=digest,
        params_json=run_params.model_dump_json(),
        solver_version=SOLVER_VERSION,
        idempotency_key=idempotency_key,
    )
    if not created and record.inputs_digest != digest:
        field = "header.idempotency-key"
        raise InputError.single(field, "was already used for a different request")
    if created:
        runner.enqueue(record.job_id)
    return record, created


# ---- the worker process ------------------------------------------------------------------------------------


class _ProgressWriter:
    """Write improving solutions to storage, at most every ``PROGRESS_WRITE_INTERVAL_S``."""

    def __init__(self, storage: Storage, job_id: str) -> None:
        self._storage = storage
        self._job_id = job_id
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_WRITE_INTERVAL_S:
            return
        self._last = now
        self._storage.record_progress(
            self._job_id, progress.objective_cents, progress.best_bound_cents, progress.wall_time_s
        )


def _final_state(solved: Plan, stopped: bool) -> tuple[JobStatus, str | None]:
    if stopped:
        return "cancelled", None
    if solved.solver.status in SOLVED:
        return "succeeded", None
    return "failed", f"no plan found (solver status {solved.solver.status})"


def _solve_claimed(storage: Storage, job_id: str) -> None:
    request_json = storage.request_json(job_id)
    record = storage.get_job(job_id)
    if request_json is None or record is None:
        return
    problem = PlanningProblem.model_validate(json.loads(request_json)["problem"])
    params = SolveParams.model_validate_json(record.params_json)
    stop = threading.Event()
    done = threading.Event()

    def poll_for_stop() -> None:
        while not done.wait(STOP_POLL_INTERVAL_S):
            if storage.stop_requested(job_id):
                stop.set()
                return

    poller = threading.Thread(target=poll_for_stop, name=f"stop-poll-{job_id}", daemon=True)
    poller.start()
    try:
        solved = plan(problem, params, on_progress=_ProgressWriter(storage, job_id), stop_event=stop)
    except InputError as exc:
        storage.finish(job_id, "failed", result_json=None, error=f"invalid input: {exc}")
        return
    finally:
        done.set()
        poller.join()
    if solved.solver.objective_cents is not None and solved.solver.best_bound_cents is not None:
        storage.record_progress(
            job_id, solved.solver.objective_cents, solved.solver.best_bound_cents, solved.solver.wall_time_s
        )
    status, error = _final_state(solved, stop.is_set())
    storage.finish(job_id, status, result_json=solved.model_dump_json(), error=error)


def run_job(database_url: str, schema: str | None, job_id: str) -> None:
    """Solve one job; the entry point of a worker process.

    Parameters
    ----------
    database_url, schema : str
        Where the job store is (the worker opens its own connections).
    job_id : str
        The queued job to claim and solve. Nothing happens when it is no longer queued.
    """
    storage = Storage(database_url, schema=schema)
    try:
        if not storage.claim(job_id, os.getpid()):
            return
        try:
            _solve_claimed(storage, job_id)
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


def worker_context() -> multiprocessing.context.BaseContext:
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
    """

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self._storage = storage
        self._settings = settings
        self._ctx = worker_context()
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(settings.workers)
        self._lock = threading.Lock()
        self._live: dict[str, BaseProcess] = {}
        self._monitors: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch, name="job-dispatcher", daemon=True)

    def start(self) -> list[str]:
        """Recover from a previous run, then start dispatching; return the ids of jobs marked failed."""
        stale = self._storage.fail_stale_running(STALE_RUNNING_ERROR)
        for job_id in stale:
            logger.warning("job %s was left running by a previous server; marked failed", job_id)
        for job_id in self._storage.queued_job_ids():
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
        proc = self._ctx.Process(
            target=run_job,
            args=(self._storage.database_url, self._storage.schema, job_id),
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
