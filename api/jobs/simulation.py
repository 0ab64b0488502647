"""Simulation jobs: simulate a succeeded schedule job's plan (:mod:`optimizer.simulation`) as a job.

:func:`submit_simulation` checks the request against the server's limits and stores it as a queued job of kind
``simulation`` that names the schedule job in its parameters; the worker (:func:`run_simulation_job`) reads
that job's problem and plan (:func:`api.jobs.replan.published_inputs`), simulates, and stores the summary and
``simulation.csv``. A several-queue plan is simulated with its skills
(:func:`optimizer.simulation.simulate_queue_plan`): the summary then has ``queues`` and the CSV a row per
interval and queue.
"""

from __future__ import annotations

import hashlib
import json

from api.errors import ensure_at_most
from api.jobs import JobRunner, abandon_on_stop, watch_for_stop
from api.jobs.replan import PublishedGone, published_inputs
from api.jobs.schedule import ensure_same_request
from api.schemas.simulation import SimulationJobParams, SimulationRequest
from api.settings import Settings
from api.storage import JobRecord, Principal, Storage
from optimizer.errors import InputError
from optimizer.model.solve import SOLVER_VERSION
from optimizer.simulation import (
    QueueSimulationResult,
    SimulationResult,
    SimulationSummary,
    contacts_frame,
    simulate_plan,
    simulate_queue_plan,
)

MAX_REPS = 1000
"""Most replications one API simulation may ask for (memory grows with replications x contacts)."""

MAX_CONTACTS = 200_000
"""Most contacts one API simulation may replay."""


def submit_simulation(
    storage: Storage,
    runner: JobRunner,
    settings: Settings,
    principal: Principal,
    published: JobRecord,
    request: SimulationRequest,
    idempotency_key: str | None,
) -> JobRecord:
    """Validate, store and enqueue a simulation of a succeeded job's plan.

    Raises
    ------
    InputError
        Naming ``options.reps`` above :data:`MAX_REPS`, ``contacts`` above :data:`MAX_CONTACTS`, or the
        idempotency key reused for another request.
    """
    if request.options.reps > MAX_REPS:
        raise InputError.single("options.reps", f"is {request.options.reps}; this server runs at most {MAX_REPS}")
    if request.contacts is not None:
        ensure_at_most(len(request.contacts), MAX_CONTACTS, "contacts")
    params = SimulationJobParams(schedule_job=published.job_id, time_limit_s=settings.max_time_limit_s)
    digest = hashlib.sha256(
        json.dumps([published.inputs_digest, published.job_id, request.model_dump(mode="json")]).encode()
    ).hexdigest()
    record, created = storage.create_job(
        principal,
        request_json=request.model_dump_json(),
        inputs_digest=digest,
        params_json=params.model_dump_json(),
        solver_version=SOLVER_VERSION,
        idempotency_key=idempotency_key,
        kind="simulation",
    )
    ensure_same_request(record, created, digest)
    if created:
        runner.enqueue(record.job_id)
    return record


def stored_simulation(storage: Storage, job: JobRecord) -> tuple[SimulationSummary, str] | None:
    """Return a finished simulation's summary and ``simulation.csv`` text, or ``None`` without them."""
    text = storage.result_json(job.job_id) if job.has_result else None
    if text is None:
        return None
    document = json.loads(text)
    return SimulationSummary.model_validate(document["summary"]), str(document["simulation_csv"])


def run_simulation_job(storage: Storage, record: JobRecord) -> None:
    """Simulate a claimed job's plan and store the result (the worker's work for ``kind="simulation"``)."""
    request_json = storage.request_json(record.job_id)
    if request_json is None:
        return
    request = SimulationRequest.model_validate_json(request_json)
    params = SimulationJobParams.model_validate_json(record.params_json)
    published = storage.get_job(params.schedule_job)
    if published is None:
        gone = f"the schedule job {params.schedule_job} was deleted before the simulation ran"
        storage.finish(record.job_id, "failed", result_json=None, error=gone)
        return
    try:
        problem, plan = published_inputs(storage, published)
        with watch_for_stop(storage, record.job_id, abandon_on_stop(storage, record.job_id)):
            if problem.queues:
                if request.contacts:
                    raise InputError.single("contacts", "replays one queue; this plan has several")
                result: SimulationResult | QueueSimulationResult = simulate_queue_plan(problem, plan, request.options)
            else:
                contacts = contacts_frame(request.contacts) if request.contacts else None
                result = simulate_plan(problem, plan, request.options, contacts)
    except (InputError, PublishedGone) as exc:
        storage.finish(record.job_id, "failed", result_json=None, error=f"invalid input: {exc}")
        return
    document = {
        "summary": result.summary().model_dump(mode="json"),
        "simulation_csv": result.frame().to_csv(index=False),
    }
    storage.finish(record.job_id, "succeeded", result_json=json.dumps(document))
