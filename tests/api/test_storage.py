"""The job store on SQLite and on PostgreSQL (``SHIFTMIX_TEST_POSTGRES_URL``; a throwaway schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.storage import Principal, Storage

POSTGRES_URL = os.environ.get("SHIFTMIX_TEST_POSTGRES_URL")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "sqlite":
        store = Storage(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    else:
        if not POSTGRES_URL:
            pytest.skip(
                "SHIFTMIX_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
            )
        store = Storage(POSTGRES_URL, schema=f"shiftmix_test_{uuid.uuid4().hex[:12]}")
    store.create_all()
    try:
        yield store
    finally:
        store.drop_all()
        store.close()


def _principal(storage: Storage, org: str) -> Principal:
    principal = storage.principal_for_key(storage.create_api_key(org))
    assert principal is not None
    return principal


def _submit(storage: Storage, principal: Principal, key: str | None = None, digest: str = "d" * 64) -> str:
    record, _ = storage.create_job(
        principal,
        request_json='{"problem": {}, "params": {}}',
        inputs_digest=digest,
        params_json='{"time_limit_s": 5.0}',
        solver_version="ortools test",
        idempotency_key=key,
    )
    return record.job_id


def test_schema_is_created_idempotently(storage: Storage) -> None:
    storage.create_all()
    storage.ping()


def test_api_keys_map_to_their_organisation(storage: Storage) -> None:
    token = storage.create_api_key("acme")
    principal = storage.principal_for_key(token)
    assert principal is not None
    assert principal.org_name == "acme"
    assert storage.principal_for_key(token + "x") is None
    assert storage.ensure_org("acme") == principal.org_id
    assert _principal(storage, "acme").org_id == principal.org_id
    assert _principal(storage, "other").org_id != principal.org_id


def test_a_job_stores_the_request_and_an_audit_event(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    job_id = _submit(storage, acme)
    record = storage.get_job(job_id, acme.org_id)
    assert record is not None
    assert (record.status, record.has_result, record.cancel_requested) == ("queued", False, False)
    assert record.submitted_at.tzinfo is not None
    assert storage.request_json(job_id) == '{"problem": {}, "params": {}}'
    (event,) = storage.audit_events(job_id)
    assert (event["action"], event["org_id"], event["api_key_id"]) == ("submit", acme.org_id, acme.api_key_id)
    assert (event["inputs_digest"], event["solver_version"]) == ("d" * 64, "ortools test")


def test_idempotency_key_is_per_organisation(storage: Storage) -> None:
    acme, other = _principal(storage, "acme"), _principal(storage, "other")
    first = _submit(storage, acme, key="k")
    assert _submit(storage, acme, key="k") == first
    assert _submit(storage, other, key="k") != first
    assert _submit(storage, acme) != _submit(storage, acme)


def test_jobs_are_visible_to_their_organisation_only(storage: Storage) -> None:
    acme, other = _principal(storage, "acme"), _principal(storage, "other")
    job_id = _submit(storage, acme)
    assert storage.get_job(job_id, other.org_id) is None
    assert storage.list_jobs(other.org_id, limit=10, offset=0) == ([], 0)
    assert storage.request_cancel(other, job_id) is None
    assert storage.delete_job(other, job_id) is False
    assert storage.get_job(job_id, acme.org_id) is not None


def test_paging_is_newest_first(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    ids = [_submit(storage, acme) for _ in range(5)]
    pages = [storage.list_jobs(acme.org_id, limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [total for _, total in pages] == [5, 5, 5]
    assert [r.job_id for page, _ in pages for r in page] == ids[::-1]


def test_a_job_runs_records_progress_and_finishes_once(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    job_id = _submit(storage, acme)
    assert storage.claim(job_id, worker_pid=4242)
    assert not storage.claim(job_id, worker_pid=4243)
    assert not storage.stop_requested(job_id)
    storage.record_progress(job_id, 12_345, 12_000, 0.5)
    running = storage.get_job(job_id)
    assert running is not None
    assert (running.status, running.worker_pid) == ("running", 4242)
    assert (running.best_objective_cents, running.best_bound_cents, running.progress_wall_time_s) == (
        12_345,
        12_000,
        0.5,
    )

    assert storage.finish(job_id, "succeeded", result_json='{"plan": 1}')
    assert not storage.fail(job_id, "too late")
    assert not storage.finish(job_id, "failed", result_json=None, error="again")
    done = storage.get_job(job_id)
    assert done is not None
    assert (done.status, done.error, done.has_result) == ("succeeded", None, True)
    assert storage.result_json(job_id) == '{"plan": 1}'
    assert storage.counts_by_status()["succeeded"] == 1


def test_a_checkpoint_is_kept_while_a_job_is_active_and_cleared_when_it_ends(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    resumed, failed, cancelled = _submit(storage, acme), _submit(storage, acme), _submit(storage, acme)
    for job_id in (resumed, failed, cancelled):
        storage.claim(job_id, worker_pid=1)
        storage.record_progress(job_id, 12_345, 12_000, 0.5, checkpoint_json='{"at": 1}')
        storage.record_progress(job_id, 12_300, 12_000, 0.7)  # a progress write without one keeps the last
    assert storage.checkpoint_json(resumed) == '{"at": 1}'
    assert storage.get_job(resumed).resumed_from_cents is None  # type: ignore[union-attr]
    requeued, twice = storage.requeue_stale_running("queued again", "died twice")
    assert (set(requeued), twice) == ({resumed, failed, cancelled}, [])
    assert storage.checkpoint_json(resumed) == '{"at": 1}'  # the re-run resumes from it

    storage.claim(resumed, worker_pid=2)
    assert storage.record_resume(resumed, 12_345)
    assert storage.get_job(resumed).resumed_from_cents == 12_345  # type: ignore[union-attr]
    assert storage.finish(resumed, "succeeded", result_json='{"plan": 1}')
    assert storage.checkpoint_json(resumed) is None
    assert storage.fail(failed, "the server could not start a solver worker")
    assert storage.checkpoint_json(failed) is None
    assert storage.request_cancel(acme, cancelled) is not None
    assert storage.checkpoint_json(cancelled) is None


def test_cancel_is_immediate_when_queued_and_a_request_when_running(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    queued, running = _submit(storage, acme), _submit(storage, acme)
    storage.claim(running, worker_pid=1)

    cancelled = storage.request_cancel(acme, queued)
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    assert not storage.claim(queued, worker_pid=2)

    asked = storage.request_cancel(acme, running)
    assert asked is not None
    assert (asked.status, asked.cancel_requested) == ("running", True)
    assert storage.stop_requested(running)
    assert storage.finish(running, "cancelled", result_json='{"plan": "best so far"}')
    assert [e["action"] for e in storage.audit_events(running)] == ["submit", "cancel"]


def test_deleting_a_running_job_tells_its_worker_to_stop(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    job_id = _submit(storage, acme)
    storage.claim(job_id, worker_pid=1)
    assert storage.delete_job(acme, job_id)
    assert storage.stop_requested(job_id)
    assert not storage.finish(job_id, "succeeded", result_json="{}")
    assert storage.get_job(job_id) is None


def test_startup_recovery_queues_running_jobs_again_once(storage: Storage) -> None:
    acme = _principal(storage, "acme")
    running, queued = _submit(storage, acme), _submit(storage, acme)
    storage.claim(running, worker_pid=1)
    assert storage.requeue_stale_running("queued again", "died twice") == ([running], [])
    again = storage.get_job(running)
    assert again is not None
    assert (again.status, again.error, again.worker_pid, again.started_at) == ("queued", "queued again", None, None)
    assert set(storage.queued_job_ids()) == {running, queued}
    storage.claim(running, worker_pid=2)
    assert storage.requeue_stale_running("queued again", "died twice") == ([], [running])
    failed = storage.get_job(running)
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", "died twice")
    assert failed.finished_at is not None
    assert storage.requeue_stale_running("queued again", "died twice") == ([], [])
