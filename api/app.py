"""The FastAPI application factory.

``create_app(settings)`` builds a new app each call (tests build their own; ``shiftmix serve`` builds one from
the environment). Nothing happens at import time: the job store is created, stale jobs are recovered and the
job runner starts in the app's lifespan, and shutdown stops the runner and closes the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.compute import ComputePool
from api.errors import PROBLEM_JSON, BodySizeLimit, install_error_handlers
from api.hosts import make_runner
from api.jobs import JobWork
from api.jobs.replan import solve_replan
from api.jobs.scenario import run_scenario_job
from api.jobs.schedule import solve_schedule
from api.jobs.simulation import run_simulation_job
from api.metrics import Metrics, MetricsMiddleware
from api.ratelimit import RateLimiter
from api.routes import (
    DEV_ORG,
    Services,
    changes,
    forecasts,
    health,
    replans,
    scenarios,
    schedules,
    simulations,
    staffing,
)
from api.routes import webhooks as webhook_routes
from api.schemas import ProblemDetails
from api.settings import Settings
from api.storage import JobKind, Principal, Storage
from api.webhooks import webhook_services
from optimizer.model import software_version

API_DESCRIPTION = """\
Forecast contacts, turn them into staffing needs (Erlang C / A), and plan FTE shifts and 4-hour gig
micro-shifts that meet the service target at the lowest cost. Re-plan a published plan after a peak
(`POST /v1/schedules/{job_id}/replan`) and run what-if scenarios (`POST /v1/scenarios`) as jobs too.

Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>` (create one with
`shiftmix keys create --org NAME`). Every error is `application/problem+json` (RFC 9457) with
`errors: [{field, problem}]`.
"""


JOB_WORK: dict[JobKind, JobWork] = {
    "schedule": solve_schedule,
    "replan": solve_replan,
    "scenario": run_scenario_job,
    "simulation": run_simulation_job,
}
"""What a worker process does for each kind of job."""

REQUEST_THREADS = 8
"""Threads that run synchronous route handlers (database reads, plan serialisation)."""


def operation_id(route: APIRoute) -> str:
    """Return a route's stable OpenAPI operation id: its function name (``get_schedule``)."""
    return route.name


def create_app(settings: Settings) -> FastAPI:
    """Build the shiftmix REST API.

    Parameters
    ----------
    settings : Settings
        Database, auth mode, limits and worker count (see :mod:`api.settings`).

    Returns
    -------
    FastAPI
        The app; its lifespan creates the tables, queues jobs a dead server left running again, queues
        jobs left queued again, and starts the solver worker pool.
    """
    storage = Storage(settings.database_url, schema=settings.db_schema)
    runner = make_runner(storage, settings, JOB_WORK)
    services = Services(
        settings=settings,
        storage=storage,
        runner=runner,
        metrics=Metrics(storage, runner.running_jobs),
        compute=ComputePool(settings),
        limiter=RateLimiter(settings),
    )
    hook_store, dispatcher = webhook_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        storage.create_all()
        if settings.dev:
            services.dev_principal = Principal(
                org_id=storage.ensure_org(DEV_ORG), org_name=DEV_ORG, api_key_id=None
            )
        # fewer request threads than Starlette's 40: CPU-bound handlers then queue instead of all holding
        # the GIL at once, which keeps the event loop (and /healthz) responsive under many pollers
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        hook_store.create_all()
        runner.start()
        dispatcher.start()
        try:
            yield
        finally:
            dispatcher.stop()
            hook_store.close()
            runner.stop()
            services.compute.shutdown()
            storage.close()

    app = FastAPI(
        title="shiftmix",
        version=software_version(),
        description=API_DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # any authenticated route may answer 429 (rate limit per key; the compute pool's quota)
        responses={429: {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}}},
    )
    app.state.services = services
    app.state.webhooks = webhook_routes.WebhookServices(hook_store, dispatcher, settings.webhook_allow_hosts)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=services.metrics)
    for module in (schedules, replans, changes, simulations, scenarios, staffing, forecasts, health):
        app.include_router(module.router)
    app.include_router(webhook_routes.router)
    app.include_router(webhook_routes.publish_router)
    return app


def app_from_env() -> FastAPI:
    """Build the app from ``SHIFTMIX_*`` variables (for ``uvicorn --factory api.app:app_from_env``)."""
    return create_app(Settings.from_env())
