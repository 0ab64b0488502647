"""API keys: required, hashed at rest, scoped to one organisation; dev mode turns them off."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import keys
from api.storage import API_KEY_PREFIX, hash_api_key
from optimizer.errors import InputError
from tests.api.conftest import api_settings, key_headers, schedule_body, storage_of, wait_for

PROTECTED = [
    ("GET", "/v1/schedules"),
    ("POST", "/v1/schedules"),
    ("GET", "/v1/schedules/0123456789abcdef"),
    ("POST", "/v1/staffing"),
    ("POST", "/v1/forecasts"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer smx_not-a-key"},
        {"X-API-Key": "smx_not-a-key"},
        {"Authorization": "Basic eDp5"},
    ],
    ids=["missing", "unknown-bearer", "unknown-x-api-key", "wrong-scheme"],
)
def test_requests_without_a_valid_key_are_401(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    r = client.request(method, path, headers=headers, json=schedule_body() if method == "POST" else None)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["type"] == "urn:shiftmix:problem:unauthorized"


def test_bearer_and_x_api_key_both_authenticate(client: TestClient) -> None:
    token = storage_of(client).create_api_key("org-headers")
    assert token.startswith(API_KEY_PREFIX)
    assert client.get("/v1/schedules", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/v1/schedules", headers={"X-API-Key": token}).status_code == 200


def test_health_endpoints_need_no_key_but_metrics_does(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok"
    assert ready["saturated"] is False
    assert ready["compute_in_use"] == 0
    assert client.get("/metrics").status_code == 401


def test_another_organisations_job_is_not_found(client: TestClient) -> None:
    alice, bob = key_headers(client, "org-alice"), key_headers(client, "org-bob")
    job_id = client.post("/v1/schedules", json=schedule_body(), headers=alice).json()["job_id"]
    wait_for(client, job_id, alice)

    for method, path in [
        ("GET", f"/v1/schedules/{job_id}"),
        ("GET", f"/v1/schedules/{job_id}/schedule.csv"),
        ("GET", f"/v1/schedules/{job_id}/coverage.csv"),
        ("POST", f"/v1/schedules/{job_id}/cancel"),
        ("DELETE", f"/v1/schedules/{job_id}"),
    ]:
        r = client.request(method, path, headers=bob)
        assert r.status_code == 404, (method, path)
        assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/schedules", headers=bob).json()["total"] == 0
    assert client.get(f"/v1/schedules/{job_id}", headers=alice).json()["job"]["status"] == "succeeded"


def test_two_keys_of_one_organisation_share_its_jobs(client: TestClient) -> None:
    first, second = key_headers(client, "org-shared"), key_headers(client, "org-shared")
    job_id = client.post("/v1/schedules?validate_only=false", json=schedule_body(), headers=first).json()[
        "job_id"
    ]
    assert client.get(f"/v1/schedules/{job_id}", headers=second).status_code == 200
    wait_for(client, job_id, second)


def test_keys_are_stored_only_as_digests(client: TestClient) -> None:
    token = storage_of(client).create_api_key("org-digest")
    path = storage_of(client).database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        stored = [row[0] for row in db.execute("SELECT key_hash FROM api_keys")]
    db.close()
    assert hash_api_key(token) in stored
    assert all(token not in value for value in stored)


@pytest.fixture
def dev_client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings(tmp_path, dev=True))) as test_client:
        yield test_client


def test_dev_mode_needs_no_key(dev_client: TestClient) -> None:
    r = dev_client.post("/v1/schedules", json=schedule_body())
    assert r.status_code == 202
    done = wait_for(dev_client, r.json()["job_id"], {})
    assert done["job"]["status"] == "succeeded"
    assert dev_client.get("/v1/schedules").json()["total"] == 1


def test_keys_create_prints_a_working_key(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = storage_of(client)
    monkeypatch.setenv("SHIFTMIX_DATABASE_URL", storage.database_url)
    assert keys.create_key(argparse.Namespace(org="org-cli")) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith(API_KEY_PREFIX)
    principal = storage.principal_for_key(token)
    assert principal is not None
    assert principal.org_name == "org-cli"


def test_keys_create_rejects_an_empty_org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHIFTMIX_DATABASE_URL", f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    with pytest.raises(InputError, match="--org"):
        keys.create_key(argparse.Namespace(org="  "))
