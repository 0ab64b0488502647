"""Schedule jobs: check and store a planning problem, solve it in a worker, and read its plan back.

:func:`submit_schedule` checks the problem (sizes, then ``prepare()`` for horizon-dependent rules), caps the
time limit at the server's, and stores the request as a queued job before the runner sees its id. In the
worker, :func:`solve_schedule` calls :func:`optimizer.model.plan`, writes every improving objective and bound
(and, now and then, the solution as a checkpoint) to storage, and stores the plan; a cancel (or a delete) stops
the solver and the best plan so far is kept. A job re-queued after its server died resumes from its checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import threading

from api.jobs import JobRunner, ProgressWriter, effective_params, record_final_progress, watch_for_stop
from api.jobs.checkpoint import stored_checkpoint
from api.schemas import ScheduleRequest
from api.settings import Settings
from api.storage import JobRecord, JobStatus, Principal, Storage
from optimizer.check import Violation, check_plan
from optimizer.domain import Plan, PlanningProblem, SolveParams, SolveStatus
from optimizer.errors import InputError, Issue
from optimizer.model import inputs_digest, plan, prepare
from optimizer.model.solve import SOLVER_VERSION
from optimizer.replan.domain import ReplanResult

IDEMPOTENCY_FIELD = "header.idempotency-key"


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


def ensure_same_request(record: JobRecord, created: bool, digest: str) -> None:
    """Reject an idempotency key the organisation already used for a different request.

    Raises
    ------
    InputError
        Naming ``header.idempotency-key``.
    """
    if not created and record.inputs_digest != digest:
        raise InputError.single(IDEMPOTENCY_FIELD, "was already used for a different request")


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
    ensure_same_request(record, created, digest)
    if created:
        runner.enqueue(record.job_id)
    return record, created


# ---- results -----------------------------------------------------------------------------------------------


def check_json(problem: PlanningProblem, solved: Plan, params: SolveParams) -> str | None:
    """Return ``check_plan``'s findings on a plan as a JSON list of ``{rule, where, detail}`` (empty: it passed).

    ``None`` when the plan has no solution to check.
    """
    if not solved.found:
        return None
    return json.dumps([dataclasses.asdict(v) for v in check_plan(problem, solved, params)])


def stored_violations(storage: Storage, job: JobRecord) -> list[Violation] | None:
    """Return the check of a schedule or re-plan job's stored plan, or ``None`` while it has none."""
    text = storage.check_json(job.job_id)
    return None if text is None else [Violation(**v) for v in json.loads(text)]


def stored_replan(storage: Storage, job: JobRecord) -> ReplanResult | None:
    """Return a re-plan job's stored result (new plan, problem, changes, days), or ``None`` without one."""
    text = storage.result_json(job.job_id) if job.has_result and job.kind == "replan" else None
    return None if text is None else ReplanResult.model_validate_json(text)


def stored_plan(storage: Storage, job: JobRecord) -> Plan | None:
    """Return the plan of a schedule or re-plan job, or ``None`` while it has none."""
    if job.kind == "replan":
        result = stored_replan(storage, job)
        return None if result is None else result.plan
    text = storage.result_json(job.job_id) if job.has_result else None
    return None if text is None else Plan.model_validate_json(text)


def requested_params(storage: Storage, job: JobRecord) -> SolveParams | None:
    """Return the solve parameters a schedule job's request asked for (before the server capped them)."""
    text = storage.request_json(job.job_id) if job.kind == "schedule" else None
    return None if text is None else ScheduleRequest.model_validate_json(text).params


def stored_problem(storage: Storage, job: JobRecord) -> PlanningProblem | None:
    """Return the problem a schedule or re-plan job's plan solves (a re-plan's carries the new demand)."""
    if job.kind == "replan":
        result = stored_replan(storage, job)
        return None if result is None else result.problem
    text = storage.request_json(job.job_id)
    return None if text is None else ScheduleRequest.model_validate_json(text).problem


# ---- the worker process ------------------------------------------------------------------------------------


def no_plan_reason(solved: Plan) -> str:
    """Return why a job has no plan, with what to do about it."""
    s = solved.solver
    if s.status == SolveStatus.UNKNOWN:
        return (
            f"no plan found (solver status UNKNOWN): the {s.params.time_limit_s:g} s time limit ran out before "
            "a first plan; submit it again with a larger params.time_limit_s"
        )
    return f"no plan found (solver status {s.status})"


def _final_state(solved: Plan, stopped: bool) -> tuple[JobStatus, str | None]:
    if stopped:
        return "cancelled", None
    if solved.found:
        return "succeeded", None
    return "failed", no_plan_reason(solved)


def solve_schedule(storage: Storage, record: JobRecord) -> None:
    """Solve a claimed schedule job and store its plan (the worker's work for ``kind="schedule"``)."""
    request_json = storage.request_json(record.job_id)
    if request_json is None:
        return
    problem = ScheduleRequest.model_validate_json(request_json).problem
    params = SolveParams.model_validate_json(record.params_json)
    resume = stored_checkpoint(storage, record)
    if resume is not None:
        storage.record_resume(record.job_id, resume.objective_cents)
    stop = threading.Event()
    try:
        with watch_for_stop(storage, record.job_id, stop.set):
            solved = plan(
                problem,
                params,
                on_progress=ProgressWriter(storage, record.job_id),
                stop_event=stop,
                start=None if resume is None else resume.decisions,
            )
    except InputError as exc:
        storage.finish(record.job_id, "failed", result_json=None, error=f"invalid input: {exc}")
        return
    record_final_progress(storage, record.job_id, solved)
    status, error = _final_state(solved, stop.is_set())
    # a solve without a solution has empty shifts and KPIs that read "100% service, no cost": never store it
    storage.finish(
        record.job_id,
        status,
        result_json=solved.model_dump_json() if solved.found else None,
        error=error,
        check_json=check_json(problem, solved, params),
    )
