"""Schemathesis over every operation of the OpenAPI, in process (issue 6): no 5xx, and responses as documented.

Each operation runs against a fresh app on a temporary SQLite file with a tiny solve cap (1 s, one worker
process, 2 s watchdog margin), so any job the fuzzing manages to submit ends fast; the app's lifespan (and with
it the worker pool) is shut down when the test ends. Once with API keys off (``dev``), once with them on and
a valid key sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from starlette.types import ASGIApp, Receive, Scope, Send

from api.app import create_app
from api.routes import Services
from api.settings import Settings
from tests.api.conftest import api_settings


class AppUnderTest:
    """The ASGI app every case (and every check's own probe) is sent to: each test plugs in its fresh app."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request (or the lifespan) to the current app."""
        assert self.app is not None, "no app under test: use the fuzz_target fixture"
        await self.app(scope, receive, send)


APP_UNDER_TEST = AppUnderTest()
# the OpenAPI document does not depend on the settings, and building an app starts nothing
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
schema.app = APP_UNDER_TEST


@dataclass(frozen=True)
class FuzzTarget:
    """An app under fuzzing and the headers every request to it carries."""

    app: FastAPI
    dev: bool
    headers: dict[str, str]


@pytest.fixture(params=["dev", "api-key"])
def fuzz_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    dev = request.param == "dev"
    app = create_app(
        api_settings(
            tmp_path_factory.mktemp("fuzz"),
            dev=dev,
            workers=1,
            max_time_limit_s=1.0,
            watchdog_margin_s=2.0,
            max_scenario_variations=2,
        )
    )
    services: Services = app.state.services
    APP_UNDER_TEST.app = app
    try:
        with asgi.get_client(APP_UNDER_TEST):  # starts the lifespan (tables, worker pool) until shutdown_lifespans()
            pass
        headers = {} if dev else {"Authorization": f"Bearer {services.storage.create_api_key('fuzz')}"}
        yield FuzzTarget(app=app, dev=dev, headers=headers)
    finally:
        asgi.shutdown_lifespans()  # the schemathesis plugin does it too, at each test's teardown
        APP_UNDER_TEST.app = None
    assert services.runner.running_jobs() == 0


@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    # one app per operation on purpose: its examples share the app (and the jobs they submit)
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_conforms(case: schemathesis.Case, fuzz_target: FuzzTarget) -> None:
    excluded = [
        # JSON Schema cannot express the domain's cross-field rules (demand on the horizon's grid, workers naming
        # a contract, ...), so schema-valid bodies are rightly refused with a 422 naming the field
        schemathesis.checks.positive_data_acceptance,
        # pydantic's lax mode coerces JSON ``false`` to 0.0 and ``"300"`` to 300.0, which the schema calls invalid
        schemathesis.checks.negative_data_rejection,
    ]
    if fuzz_target.dev:
        excluded.append(schemathesis.checks.ignored_auth)  # dev mode ignores keys by design
    case.call_and_validate(headers=fuzz_target.headers, excluded_checks=excluded)
