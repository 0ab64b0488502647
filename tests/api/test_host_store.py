"""Worker-host bookkeeping in the job store (SQLite here; PostgreSQL in test_worker_hosts): recovery, fairness."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from api.hosts.store import FAILED_AFTER_TWO_HOST_DEATHS, REQUEUED_AFTER_HOST_DEATH, HostStore
from api.settings import Settings
from api.storage import Principal, Storage


def _job(storage: Storage, principal: Principal) -> str:
    record, _ = storage.create_job(
        principal,
        request_json="{}",
        inputs_digest="d" * 64,
        params_json='{"time_limit_s": 5.0}',
        solver_version="test",
    )
    return record.job_id


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Storage, HostStore]:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    storage = Storage(url)
    storage.create_all()
    yield storage, HostStore(url)
    storage.close()


def _org(storage: Storage, name: str) -> Principal:
    principal = storage.principal_for_key(storage.create_api_key(name))
    assert principal is not None
    return principal


def test_a_job_whose_host_died_is_queued_again_once_then_failed_with_the_reason(
    stores: tuple[Storage, HostStore],
) -> None:
    storage, hosts = stores
    job_id = _job(storage, _org(storage, "a"))
    assert hosts.recover(job_id) == "queued"  # never claimed: nothing to change
    assert storage.claim(job_id, 101)
    assert hosts.recover(job_id) == "queued"
    again = storage.get_job(job_id)
    assert again is not None
    assert again.status == "queued"
    assert again.error == REQUEUED_AFTER_HOST_DEATH
    assert again.worker_pid is None
    assert storage.claim(job_id, 202)
    assert hosts.recover(job_id) == "failed"
    failed = storage.get_job(job_id)
    assert failed is not None
    assert failed.status == "failed"
    assert failed.error == FAILED_AFTER_TWO_HOST_DEATHS
    assert hosts.recover(job_id) == "failed"  # final states stay
    assert hosts.recover("gone") is None


def test_only_the_process_running_a_job_can_fail_it(stores: tuple[Storage, HostStore]) -> None:
    storage, hosts = stores
    job_id = _job(storage, _org(storage, "a"))
    assert not hosts.fail_if_run_by(job_id, 101, "died")  # queued: not run by anyone
    assert storage.claim(job_id, 101)
    assert not storage.claim(job_id, 202)  # at most one claim
    assert not hosts.fail_if_run_by(job_id, 202, "died")
    assert hosts.fail_if_run_by(job_id, 101, "died")
    record = storage.get_job(job_id)
    assert record is not None
    assert (record.status, record.error) == ("failed", "died")


def test_priority_is_minus_the_organisation_s_other_active_jobs(stores: tuple[Storage, HostStore]) -> None:
    storage, hosts = stores
    a, b = _org(storage, "a"), _org(storage, "b")
    many = [_job(storage, a) for _ in range(5)]
    few = _job(storage, b)
    assert hosts.fair_priority(many[0]) == -4
    assert hosts.fair_priority(few) == 0
    storage.claim(many[1], 1)
    storage.finish(many[1], "succeeded", result_json=None)
    assert hosts.fair_priority(many[0]) == -3
    assert hosts.queued_job_ids() == [many[0], *many[2:], few]
    storage.claim(many[0], 2)
    assert hosts.running_count() == 1


def test_worker_needs_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHIFTMIX_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.delenv("SHIFTMIX_WORKER_DATABASE_URL", raising=False)
    assert main(["worker"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("shiftmix: error: SHIFTMIX_WORKER_DATABASE_URL")
    assert len(err.splitlines()) == 1
    assert main(["worker", "--concurrency", "0"]) == 2
    assert "--concurrency" in capsys.readouterr().err
    assert main(["worker", "--heartbeat-s", "5", "--stalled-after-s", "6"]) == 2
    assert "--stalled-after-s" in capsys.readouterr().err


def test_settings_read_the_engine_and_webhook_variables() -> None:
    settings = Settings.from_env(
        {
            "SHIFTMIX_JOB_ENGINE": "Procrastinate",
            "SHIFTMIX_WEBHOOK_ALLOW_HOSTS": " 127.0.0.1, Hooks.Internal ,",
            "SHIFTMIX_WEBHOOK_MAX_ATTEMPTS": "3",
        }
    )
    assert settings.job_engine == "procrastinate"
    assert settings.webhook_allow_hosts == ("127.0.0.1", "hooks.internal")
    assert settings.webhook_max_attempts == 3
    assert Settings.from_env({}).job_engine == "local"
    with pytest.raises(ValueError, match="SHIFTMIX_JOB_ENGINE must be one of local, procrastinate"):
        Settings.from_env({"SHIFTMIX_JOB_ENGINE": "celery"})


def test_a_worker_whose_job_was_claimed_elsewhere_can_no_longer_write_it(stores: tuple[Storage, HostStore]) -> None:
    storage, hosts = stores
    job_id = _job(storage, _org(storage, "acme"))
    cut_off = Storage(storage.database_url)  # the first worker's own store, as run_job opens it
    assert cut_off.claim(job_id, worker_pid=111)
    assert hosts.recover(job_id) == "queued"  # its host went silent: the others queue the job again
    again = Storage(storage.database_url)
    assert again.claim(job_id, worker_pid=222)
    # the first worker comes back: its progress and result no longer land, and it is told to stop
    cut_off.record_progress(job_id, 1, 1, 0.1)
    assert not cut_off.finish(job_id, "succeeded", result_json='{"plan": "stale"}')
    assert not cut_off.record_resume(job_id, 1)
    assert cut_off.stop_requested(job_id)
    assert not again.stop_requested(job_id)
    assert again.finish(job_id, "succeeded", result_json='{"plan": "fresh"}')
    record = storage.get_job(job_id)
    assert record is not None
    assert (record.status, record.best_objective_cents) == ("succeeded", None)
    assert storage.result_json(job_id) == '{"plan": "fresh"}'
    cut_off.close()
    again.close()
