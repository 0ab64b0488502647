"""Forecasts and staffing run in a bounded pool with a per-organisation quota; keys are rate limited."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.compute import ComputePool
from api.errors import ApiProblem
from api.settings import Settings
from api.storage import Principal
from optimizer.errors import InputError
from tests.api.conftest import api_settings, storage_of


def _slow_square(x: float) -> float:
    import time

    time.sleep(x)
    return x * x


def _bad_input(_: object) -> None:
    raise InputError.single("history.volume[row 3]", "not a number")


ALICE = Principal(org_id=1, org_name="alice", api_key_id=1)
BOB = Principal(org_id=2, org_name="bob", api_key_id=2)


def test_an_organisation_over_its_quota_gets_429_while_another_still_computes():
    pool = ComputePool(Settings(compute_workers=2, org_compute_quota=1))
    try:
        with pool.slot(ALICE):
            with pytest.raises(ApiProblem) as refused, pool.slot(ALICE):
                pass
            with pool.slot(BOB):
                assert asyncio.run(pool.run(_slow_square, 0.5)) == 0.25
                assert pool.in_pool() == 2
    finally:
        pool.shutdown()
    assert refused.value.status == 429
    assert refused.value.headers is not None
    assert refused.value.headers["Retry-After"].isdigit()
    assert "'alice' already has 1" in refused.value.detail
    assert pool.in_pool() == 0


def test_the_pool_refuses_past_its_capacity():
    pool = ComputePool(Settings(compute_workers=1, org_compute_quota=100))
    principals = [Principal(org_id=k, org_name=f"org{k}", api_key_id=k) for k in range(pool.capacity + 1)]
    with contextlib.ExitStack() as held:
        for p in principals[:-1]:
            held.enter_context(pool.slot(p))
        with pytest.raises(ApiProblem) as refused, pool.slot(principals[-1]):
            pass
    assert refused.value.title == "Server busy"
    assert pool.in_pool() == 0


def test_input_errors_of_pool_work_come_back_with_their_fields():
    pool = ComputePool(Settings(compute_workers=1))
    try:
        with pytest.raises(InputError) as caught:
            asyncio.run(pool.run(_bad_input, None))
    finally:
        pool.shutdown()
    assert caught.value.issues[0].field == "history.volume[row 3]"


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(tmp_path):
    app = create_app(api_settings(tmp_path, rate_limit="3/minute"))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {storage_of(client).create_api_key('acme')}"}
        other = {"Authorization": f"Bearer {storage_of(client).create_api_key('other')}"}
        codes = [client.get("/v1/schedules", headers=headers).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.get("/v1/schedules", headers=headers)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["type"] == "urn:shiftmix:problem:rate-limited"
        assert client.get("/v1/schedules", headers=other).status_code == 200


def test_a_bad_rate_limit_setting_names_the_variable():
    with pytest.raises(ValueError, match="SHIFTMIX_RATE_LIMIT must look like 600/minute"):
        Settings.from_env({"SHIFTMIX_RATE_LIMIT": "lots"})
    assert Settings.from_env({"SHIFTMIX_RATE_LIMIT": ""}).rate_limit == ""
