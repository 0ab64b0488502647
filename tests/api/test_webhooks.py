"""Webhooks: registration and its validation, signed deliveries of job events, retries with a log, publish."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from api.app import create_app
from api.webhooks.dispatch import WebhookDispatcher, backoff_s
from api.webhooks.security import SecretBox, pinned, sign, url_problem, verify
from api.webhooks.store import DueDelivery
from tests.api.conftest import HARD_PARAMS, api_settings, key_headers, schedule_body, wait_for
from tests.api.test_schedules import busy_week_problem
from tests.api.webhook_receiver import webhook_receiver

ALLOW = ("127.0.0.1",)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(
        tmp_path_factory.mktemp("webhooks"),
        webhook_allow_hosts=ALLOW,
        webhook_retry_base_s=0.05,
        webhook_max_attempts=3,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def register(client: TestClient, headers: dict[str, str], url: str, **extra: object) -> dict[str, object]:
    r = client.post("/v1/webhooks", json={"url": url, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def first_field(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    return body["errors"][0]["field"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "http://[::1"}, "url"),
        ({"url": "http://example.com/hook"}, "url"),  # plain http to a host not on the allowlist
        ({"url": "https://10.1.2.3/hook"}, "url"),  # private
        ({"url": "https://169.254.169.254/latest"}, "url"),  # link-local (cloud metadata)
        ({"url": "https://[::1]/hook"}, "url"),  # loopback, not allowlisted as ::1
        ({"url": "https://user:pw@127.0.0.1/hook"}, "url"),
        ({"url": "https://127.0.0.1/hook", "events": ["job.exploded"]}, "events[0]"),
        ({"url": "https://127.0.0.1/hook", "events": []}, "events"),
        ({"url": "https://127.0.0.1/hook", "secret": "short"}, "secret"),
        ({"url": "https://127.0.0.1/hook", "colour": "red"}, "colour"),
    ],
)
def test_bad_webhooks_are_422_naming_the_field(client: TestClient, body: dict[str, object], field: str) -> None:
    r = client.post("/v1/webhooks", json=body, headers=key_headers(client, "org-bad"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert first_field(r) == field


def test_url_check_resolves_names_and_blocks_private_addresses() -> None:
    public = lambda _host: ["93.184.215.14"]  # noqa: E731
    private = lambda _host: ["93.184.215.14", "192.168.1.4"]  # noqa: E731
    assert url_problem("https://hooks.example.com/x", (), public) is None
    assert "private" in (url_problem("https://hooks.example.com/x", (), private) or "")
    assert "does not resolve" in (url_problem("https://nowhere.invalid/x", (), lambda _h: []) or "")
    assert url_problem("https://intranet.local/x", ("intranet.local",), private) is None
    assert "private" in (url_problem("https://[::ffff:10.0.0.1]/x", (), lambda h: [h]) or "")


def test_pinned_requests_go_to_the_checked_address_under_the_receivers_name() -> None:
    url, host, extensions = pinned("https://hooks.example.com:8443/in?x=1", "93.184.216.34")
    assert url == "https://93.184.216.34:8443/in?x=1"
    assert host == {"Host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    url, host, extensions = pinned("https://hooks.example.com/in", "2606:2800:220:1::1")
    assert url == "https://[2606:2800:220:1::1]/in"
    assert host == {"Host": "hooks.example.com"}


class _Attempts:
    """A store that only logs attempts (what the dispatcher's send writes)."""

    def __init__(self) -> None:
        self.logged: list[dict[str, object]] = []

    def record_attempt(self, delivery: DueDelivery, **kwargs: object) -> None:
        self.logged.append(kwargs)


def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_not_followed() -> None:
    import datetime as dt

    import httpx

    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # public when checked, loopback on any second lookup
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    store = _Attempts()
    dispatcher = WebhookDispatcher(
        store,  # type: ignore[arg-type]
        allow_hosts=(),
        max_attempts=3,
        retry_base_s=1.0,
        resolver=lambda _host: next(answers),
        transport=httpx.MockTransport(receiver),
    )
    delivery = DueDelivery(
        delivery_id=1,
        attempt=1,
        url="https://hooks.example.com/in",
        secret="s" * 32,
        event_id="e1",
        event_type="job.done",  # type: ignore[arg-type]
        body=b"{}",
        event_created_at=dt.datetime.now(dt.UTC),
    )
    dispatcher._send(delivery)
    assert [r.url.host for r in seen] == ["93.184.216.34"]  # one lookup: the one checked
    assert seen[0].headers["host"] == "hooks.example.com"
    assert seen[0].extensions["sni_hostname"] == "hooks.example.com"
    assert store.logged[0]["error"] is None
    dispatcher._send(delivery)  # the next attempt checks again and refuses the loopback answer
    assert len(seen) == 1
    assert "private, loopback" in str(store.logged[1]["error"])


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"id":"e1"}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret-s3cret-s3cret", 1700000000, body) == f"v1={expected}"
    assert verify("s3cret-s3cret-s3cret", 1700000000, body, f"v1={expected}")
    assert not verify("s3cret-s3cret-s3cret", 1700000001, body, f"v1={expected}")


def test_secret_box_needs_its_own_key(tmp_path: Path) -> None:
    box = SecretBox.from_key_file(tmp_path / "key")
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0  # only the owner reads it
    assert SecretBox.from_key_file(tmp_path / "key").decrypt(box.encrypt("x")) == "x"  # made once, then read
    other = SecretBox(Fernet.generate_key().decode())
    stored = box.encrypt("whsec_abc")
    assert "whsec_abc" not in stored
    assert box.decrypt(stored) == "whsec_abc"
    with pytest.raises(ValueError, match="another SHIFTMIX_WEBHOOK_KEY"):
        other.decrypt(stored)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(n, 2.0) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert backoff_s(40, 2.0) == 3600.0


def test_secret_is_shown_once_and_stored_encrypted(client: TestClient) -> None:
    headers = key_headers(client, "org-secret")
    created = register(client, headers, "https://127.0.0.1/hook", secret="a-very-long-secret-123")
    assert created["secret"] == "a-very-long-secret-123"
    made = register(client, headers, "https://127.0.0.1/other")
    assert str(made["secret"]).startswith("whsec_")
    listed = client.get("/v1/webhooks", headers=headers).json()["items"]
    assert [w["webhook_id"] for w in listed] == [created["webhook_id"], made["webhook_id"]]
    assert all("secret" not in w for w in listed)
    assert "secret" not in client.get(f"/v1/webhooks/{created['webhook_id']}", headers=headers).json()
    engine = client.app.state.webhooks.store._engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret_encrypted FROM webhooks")).scalars().all()
    assert all("a-very-long-secret-123" not in s and "whsec_" not in s for s in stored)
    # another organisation sees none of it
    other = key_headers(client, "org-other")
    assert client.get(f"/v1/webhooks/{created['webhook_id']}", headers=other).status_code == 404
    assert client.delete(f"/v1/webhooks/{created['webhook_id']}", headers=other).status_code == 404
    assert client.delete(f"/v1/webhooks/{created['webhook_id']}", headers=headers).status_code == 204
    assert client.get(f"/v1/webhooks/{created['webhook_id']}", headers=headers).status_code == 404


def test_job_done_is_delivered_signed_retried_and_logged(client: TestClient) -> None:
    headers = key_headers(client, "org-retry")
    with webhook_receiver(fail_first=2) as receiver:
        hook = register(client, headers, receiver.url, events=["job.succeeded", "job.failed"])
        job_id = client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"]
        wait_for(client, job_id, headers)
        got = receiver.wait_for(lambda r: r.json["data"]["job_id"] == job_id and len(receiver.requests) >= 3)
    attempts = [r for r in receiver.requests if r.json["data"]["job_id"] == job_id]
    assert len(attempts) == 3  # 500, 500, then 200
    assert len({r.headers["shiftmix-event-id"] for r in attempts}) == 1  # the same event each time
    for r in attempts:
        assert r.headers["shiftmix-event-type"] == "job.succeeded"
        assert verify(
            str(hook["secret"]), int(r.headers["shiftmix-timestamp"]), r.body, r.headers["shiftmix-signature"]
        )
        assert abs(int(r.headers["shiftmix-timestamp"]) - time.time()) < 60
    assert got[0].json["data"] == {**got[0].json["data"], "status": "succeeded", "kind": "schedule", "error": None}
    log = client.get(f"/v1/webhooks/{hook['webhook_id']}/deliveries", headers=headers).json()["items"]
    assert len(log) == 1
    assert log[0]["status"] == "delivered"
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 500, 200]
    assert log[0]["attempts"][0]["error"] == "the receiver answered 500"


def test_a_receiver_that_never_answers_2xx_fails_after_the_last_attempt(client: TestClient) -> None:
    headers = key_headers(client, "org-down")
    with webhook_receiver(fail_first=100) as receiver:
        hook = register(client, headers, receiver.url)
        job_id = client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"]
        wait_for(client, job_id, headers)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            log = client.get(f"/v1/webhooks/{hook['webhook_id']}/deliveries", headers=headers).json()["items"]
            if log and log[0]["status"] == "failed":
                break
            time.sleep(0.05)
    assert log[0]["status"] == "failed"
    assert len(log[0]["attempts"]) == 3
    assert log[0]["next_attempt_at"] is None


def test_cancel_sends_job_cancelled(client: TestClient) -> None:
    headers = key_headers(client, "org-cancel")
    with webhook_receiver() as receiver:
        register(client, headers, receiver.url, events=["job.cancelled"])
        job_id = client.post(
            "/v1/schedules", json=schedule_body(busy_week_problem(), HARD_PARAMS), headers=headers
        ).json()["job_id"]
        wait_for(client, job_id, headers, until="progress")
        client.post(f"/v1/schedules/{job_id}/cancel", headers=headers)
        got = receiver.wait_for(lambda r: r.json["data"]["job_id"] == job_id)
    assert got[0].json["type"] == "job.cancelled"
    assert got[0].json["data"]["status"] == "cancelled"


def test_publish_sends_the_gig_micro_shifts_once(client: TestClient) -> None:
    headers = key_headers(client, "org-publish")
    with webhook_receiver() as receiver:
        register(client, headers, receiver.url, events=["plan.published"])
        job_id = client.post("/v1/schedules", json=schedule_body(), headers=headers).json()["job_id"]
        done = wait_for(client, job_id, headers)
        r = client.post(f"/v1/schedules/{job_id}/publish", headers=headers)
        assert r.status_code == 200, r.text
        publication = r.json()
        got = receiver.wait_for(lambda r: r.json["type"] == "plan.published")
        again = client.post(f"/v1/schedules/{job_id}/publish", headers=headers).json()
        time.sleep(0.5)
    assert publication["newly_published"] is True
    assert again["newly_published"] is False
    assert again["published_at"] == publication["published_at"]
    assert len(receiver.requests) == 1  # published once; no job events were asked for
    data = got[0].json["data"]
    gigs = [s for s in done["plan"]["shifts"] if s["kind"] == "gig"]
    assert gigs
    assert sum(g["count"] for g in data["gig_shifts"]) == len(gigs)
    assert data["gig_shifts"] == json.loads(json.dumps(publication["gig_shifts"]))
    for slot in data["gig_shifts"]:
        assert set(slot) == {"start", "end", "count", "skills"}
    assert data["job_id"] == job_id


def test_publish_without_a_plan_is_a_conflict(client: TestClient) -> None:
    headers = key_headers(client, "org-early")
    job_id = client.post("/v1/schedules", json=schedule_body(busy_week_problem(), HARD_PARAMS), headers=headers).json()[
        "job_id"
    ]
    r = client.post(f"/v1/schedules/{job_id}/publish", headers=headers)
    assert r.status_code == 409
    assert r.json()["type"] == "urn:shiftmix:problem:no-plan"
    client.post(f"/v1/schedules/{job_id}/cancel", headers=headers)
    assert client.post("/v1/schedules/nope/publish", headers=headers).status_code == 404
