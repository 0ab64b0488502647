"""Re-plan jobs: add cover to a published plan after a peak, as a job of kind ``replan``.

:func:`submit_replan` reads the published job's problem and plan (a schedule job's, or a previous re-plan's),
turns the request's uplift or demand rows into the new demand, and checks everything a re-plan would
(``now`` inside the horizon, the grid, the options) without solving; only then is the request stored as a
queued job recording ``replan_of``. In the worker, :func:`solve_replan` runs :func:`optimizer.replan.replan`
and stores its whole :class:`~optimizer.replan.domain.ReplanResult` (new problem and plan, changes, days).
"""

from __future__ import annotations

import pandas as pd

from api.errors import ensure_at_most
from api.jobs import JobRunner, abandon_on_stop, effective_params, record_final_progress, watch_for_stop
from api.jobs.schedule import check_json, ensure_same_request, no_plan_reason, stored_plan, stored_problem
from api.schemas.replan import ReplanRequest
from api.settings import Settings
from api.storage import JobRecord, JobStatus, Principal, Storage
from optimizer.domain import DemandInterval, Plan, PlanningProblem, SolveParams
from optimizer.errors import InputError
from optimizer.model.solve import SOLVER_VERSION
from optimizer.replan import replan, replan_digest
from optimizer.replan.demand import parse_uplift, uplift_demand, with_demand
from optimizer.replan.inputs import replan_input
from scenarios.reforecast import DemandReforecast, read_actuals, reforecast_demand

UPLIFT_FIELD = "uplift"
DEMAND_FIELD = "demand"
ACTUALS_FIELD = "actuals"


class PublishedGone(LookupError):
    """The published job of a re-plan no longer has its problem or plan (it was deleted)."""


def published_inputs(storage: Storage, published: JobRecord) -> tuple[PlanningProblem, Plan]:
    """Return the problem and plan of a succeeded schedule or re-plan job.

    Raises
    ------
    PublishedGone
        When the job's request or result is no longer stored.
    """
    problem, plan = stored_problem(storage, published), stored_plan(storage, published)
    if problem is None or plan is None:
        msg = f"the published job {published.job_id} was deleted"
        raise PublishedGone(msg)
    return problem, plan


def new_demand(problem: PlanningProblem, request: ReplanRequest) -> pd.DataFrame | tuple[DemandInterval, ...]:
    """Return the request's new demand: the problem's demand with the uplift applied, or the demand rows.

    Raises
    ------
    InputError
        For a bad uplift term or window (``uplift[i]``).
    """
    if request.uplift is not None:
        uplifts = parse_uplift(request.uplift, problem.timezone, field=UPLIFT_FIELD)
        return uplift_demand(problem, uplifts, field=UPLIFT_FIELD)
    reforecast = request_reforecast(problem, request)
    if reforecast is not None:
        return reforecast.demand
    return request.demand or ()


def request_reforecast(problem: PlanningProblem, request: ReplanRequest) -> DemandReforecast | None:
    """Return the re-forecast a request's ``actuals`` make of the published demand, or ``None`` without actuals.

    Raises
    ------
    InputError
        Naming ``actuals.<column>[row N]``, ``actuals.interval_start[T]`` or ``now``.
    """
    if request.actuals is None:
        return None
    actuals = read_actuals(request.actuals, problem, field=ACTUALS_FIELD)
    return reforecast_demand(problem, actuals, request.now, field=ACTUALS_FIELD)


def stored_reforecast(storage: Storage, record: JobRecord) -> DemandReforecast | None:
    """Return the re-forecast of a stored re-plan job made from actuals (recomputed: it is deterministic).

    Raises
    ------
    PublishedGone
        When the published job was deleted.
    """
    request_json = storage.request_json(record.job_id)
    published = storage.get_job(record.replan_of) if record.replan_of else None
    if request_json is None or published is None:
        return None
    request = ReplanRequest.model_validate_json(request_json)
    problem, _ = published_inputs(storage, published)
    return request_reforecast(problem, request)


def validate_replan(
    problem: PlanningProblem, published: Plan, request: ReplanRequest, settings: Settings
) -> tuple[str, SolveParams]:
    """Check a re-plan request as the re-plan would, without solving; return its digest and effective parameters.

    Raises
    ------
    InputError
        Naming the request field: ``uplift[i]``, ``demand.interval_start[…]`` (rows off the horizon's grid),
        ``demand`` or ``actuals`` (too many rows), ``actuals.…`` (see :func:`request_reforecast`), ``now``
        (outside the horizon) or ``options.max_extension_min``.
    """
    if request.demand is not None:
        ensure_at_most(len(request.demand), settings.max_demand_rows, DEMAND_FIELD)
    if request.actuals is not None:
        ensure_at_most(len(request.actuals), settings.max_demand_rows, ACTUALS_FIELD)
    params = effective_params(request.params or published.solver.params, settings)
    field = UPLIFT_FIELD if request.uplift is not None else ACTUALS_FIELD if request.actuals else DEMAND_FIELD
    new_problem = with_demand(problem, new_demand(problem, request), field=field)
    replan_input(new_problem, published, now=request.now, params=params, options=request.options)
    return replan_digest(new_problem, params, published, request.now, request.options), params


def submit_replan(
    storage: Storage,
    runner: JobRunner,
    settings: Settings,
    principal: Principal,
    published: JobRecord,
    request: ReplanRequest,
    idempotency_key: str | None,
) -> JobRecord:
    """Validate, store and enqueue a re-plan of a succeeded job of the caller's organisation.

    Raises
    ------
    InputError
        As :func:`validate_replan`, or when an idempotency key is reused for a different request.
    PublishedGone
        When the published job was deleted meanwhile.
    """
    problem, plan = published_inputs(storage, published)
    digest, params = validate_replan(problem, plan, request, settings)
    record, created = storage.create_job(
        principal,
        request_json=request.model_dump_json(),
        inputs_digest=digest,
        params_json=params.model_dump_json(),
        solver_version=SOLVER_VERSION,
        idempotency_key=idempotency_key,
        kind="replan",
        replan_of=published.job_id,
    )
    ensure_same_request(record, created, digest)
    if created:
        runner.enqueue(record.job_id)
    return record


def solve_replan(storage: Storage, record: JobRecord) -> None:
    """Re-plan a claimed ``replan`` job and store its result (the worker's work for ``kind="replan"``).

    A cancel ends the worker (``replan`` has no stop hook), leaving the job cancelled without a plan.
    """
    request_json = storage.request_json(record.job_id)
    if request_json is None:
        return
    request = ReplanRequest.model_validate_json(request_json)
    published = storage.get_job(record.replan_of) if record.replan_of else None
    if published is None:
        gone = f"the published job {record.replan_of} was deleted before the re-plan ran"
        storage.finish(record.job_id, "failed", result_json=None, error=gone)
        return
    try:
        problem, plan = published_inputs(storage, published)
        params = SolveParams.model_validate_json(record.params_json)
        with watch_for_stop(storage, record.job_id, abandon_on_stop(storage, record.job_id)):
            result = replan(
                problem, plan, new_demand(problem, request), now=request.now, params=params, options=request.options
            )
    except (InputError, PublishedGone) as exc:
        storage.finish(record.job_id, "failed", result_json=None, error=f"invalid input: {exc}")
        return
    record_final_progress(storage, record.job_id, result.plan)
    solved = result.plan.found
    error = None if solved else no_plan_reason(result.plan)
    status: JobStatus = "succeeded" if solved else "failed"
    storage.finish(
        record.job_id,
        status,
        result_json=result.model_dump_json() if solved else None,
        error=error,
        check_json=check_json(result.problem, result.plan, params),
    )
