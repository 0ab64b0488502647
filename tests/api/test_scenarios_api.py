"""Scenarios over HTTP: submit a scenario, poll it, fetch its results rows and results.csv; limits and errors."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import scenarios.backends
import scenarios.sweep
from api.app import create_app
from api.jobs import CANCELLED_WHILE_RUNNING
from api.jobs.scenario import capped_scenario, run_scenario_job
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.model import plan as real_plan
from scenarios.compare import COLUMNS
from scenarios.scenario import Scenario
from scenarios.spec import load_example
from tests.api.conftest import api_settings, key_headers, schedule_body, storage_of, wait_for

SOLVED = {"OPTIMAL", "FEASIBLE"}
SOLVE = {"time_limit_s": 5, "num_workers": 1, "random_seed": 3}


def inline_base(**changes: Any) -> dict[str, Any]:
    """The bundled example as an inline base: one day, three flexible FTEs, seasonal-naive forecast."""
    base = load_example()[0].model_dump(mode="json")
    base.update(
        days=1,
        forecast={"model": "seasonal_naive"},
        staff=[{"contract": "flex20", "count": 3, "id_prefix": "fx"}],
        preferences=[],  # an inline config of its own: the example's wishes name people it does not have
        solve=SOLVE,
    )
    base.update(changes)
    return base


def scenario_body(**changes: Any) -> dict[str, Any]:
    """A small inline scenario with two variations."""
    body: dict[str, Any] = {
        "title": "api test",
        "base": inline_base(),
        "variations": [
            {"name": "fewer", "fte_scale": 0.5},
            {"name": "small-pool", "gig_pool": {"max_concurrent": 5}},
        ],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _run(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/scenarios", json=body, headers=headers)
    assert r.status_code == 202, r.json()
    done = wait_for(client, r.json()["job_id"], headers, resource="scenarios")
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    return done


@pytest.fixture(scope="module")
def finished(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """The small inline scenario, run to the end by ``auth``'s organisation."""
    return _run(client, auth, scenario_body())


def test_small_scenario_runs_to_results(client: TestClient, auth: dict[str, str], finished: dict[str, Any]) -> None:
    job, results = finished["job"], finished["results"]
    assert results["title"] == "api test"
    assert [row["name"] for row in results["runs"]] == ["base", "fewer", "small-pool"]
    assert all(tuple(row) == COLUMNS for row in results["runs"])
    assert {row["status"] for row in results["runs"]} <= SOLVED
    assert [row["violations"] for row in results["runs"]] == [0, 0, 0]  # every run's plan passed check_plan
    base, fewer, small_pool = results["runs"]
    assert (base["fte_headcount"], fewer["fte_headcount"]) == (3, 2)
    assert (base["gig_cap"], small_pool["gig_cap"]) == (20, 5)
    assert small_pool["differs"] == "gig_pool.max_concurrent 20->5"
    assert not any(row["meets_target"] for row in results["runs"])  # three FTEs and 20 gigs fall short
    assert results["headcount_optimum"] is None
    assert job["params"]["runs"] == 3
    assert job["params"]["run_time_limit_s"] == client.app.state.services.settings.max_time_limit_s  # type: ignore[attr-defined]

    r = client.get(f"/v1/scenarios/{job['job_id']}/results.csv", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert tuple(rows[0]) == COLUMNS
    assert [(row["name"], int(row["total_cost_cents"])) for row in rows] == [
        (row["name"], row["total_cost_cents"]) for row in results["runs"]
    ]
    listed = client.get("/v1/scenarios", headers=auth).json()
    assert job["job_id"] in {j["job_id"] for j in listed["items"]}
    assert [e["action"] for e in storage_of(client).audit_events(job["job_id"])] == ["submit"]


def test_headcount_sweep_reports_the_cost_optimal_headcount(client: TestClient, auth: dict[str, str]) -> None:
    base = inline_base(
        staff=[{"contract": "flex20", "count": 10, "id_prefix": "fx"}],
        gig_pool={**inline_base()["gig_pool"], "max_concurrent": 60, "max_shifts_per_day": 200},
    )
    done = _run(client, auth, scenario_body(base=base, variations=None, sweep={"fte_scale": [0.5, 2.0]}))
    runs, optimum = done["results"]["runs"], done["results"]["headcount_optimum"]
    meeting = [row for row in runs if row["meets_target"]]
    assert [row["fte_headcount"] for row in runs] == [10, 5, 20]
    assert optimum is not None
    assert optimum["points_compared"] == len(meeting) >= 2
    best = min(meeting, key=lambda row: (row["total_cost_cents"], row["fte_headcount"]))
    assert (optimum["label"], optimum["total_cost_cents"]) == (best["name"], best["total_cost_cents"])


def test_bundled_base_config_is_accepted(client: TestClient, auth: dict[str, str]) -> None:
    overrides = {k: v for k, v in inline_base().items() if k in ("days", "forecast", "staff", "solve")}
    body = scenario_body(base=None, base_config="bundled:example.yaml", base_overrides=overrides)
    done = _run(client, auth, body)
    assert len(done["results"]["runs"]) == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base": None, "base_config": "/etc/passwd"}, "base_config"),
        ({"base": None, "base_config": "example.yaml"}, "base_config"),
        ({"base": None, "base_config": "bundled:../../pyproject.toml"}, "base_config"),
        ({"base": inline_base(history="/etc/passwd")}, "base.history"),
        ({"base": inline_base(history="../bundled/history.csv")}, "base.history"),
        ({"base_overrides": {"history": "/var/data/history.csv"}}, "base_overrides.history"),
        ({"base_overrides": {"demand": "/var/data/demand.csv"}}, "base_overrides.demand"),
        ({"base": inline_base(demand="/etc/passwd")}, "base.demand"),
    ],
)
def test_a_filesystem_path_is_rejected(
    client: TestClient, auth: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    r = client.post("/v1/scenarios", json=scenario_body(**changes), headers=auth)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"variations": [{"name": f"v{i}", "fte_scale": 1.0} for i in range(51)]}, "variations"),
        ({"sweep": {"fte_scale": [0.1 * (i + 1) for i in range(50)]}}, "sweep"),
        # 8 million combinations in a small body: refused before the sweep is expanded
        ({"sweep": dict.fromkeys(("fte_scale", "solve.random_seed", "gig_pool.max_concurrent"), [1] * 200)}, "sweep"),
    ],
)
def test_too_many_variations_is_422(
    client: TestClient, auth: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    r = client.post("/v1/scenarios", json=scenario_body(**changes), headers=auth)
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == field
    assert "at most 50" in error["problem"]


def test_a_bad_variation_names_its_field_and_nothing_is_stored(client: TestClient) -> None:
    headers = key_headers(client, "org-scenario-bad")
    variations = [{"name": "ok"}, {"name": "bad", "automation": {"containment": 1.5}}]
    r = client.post("/v1/scenarios", json=scenario_body(variations=variations), headers=headers)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["variations[1].automation.containment"]
    unknown = client.post("/v1/scenarios", json=scenario_body(variatons=[]), headers=headers)
    assert [e["field"] for e in unknown.json()["errors"]] == ["variatons"]
    assert client.get("/v1/scenarios", headers=headers).json()["total"] == 0


def test_another_organisations_scenario_is_not_found(
    client: TestClient, auth: dict[str, str], finished: dict[str, Any]
) -> None:
    other = key_headers(client, "org-scenario-other")
    job_id = finished["job"]["job_id"]
    for url in (f"/v1/scenarios/{job_id}", f"/v1/scenarios/{job_id}/results.csv"):
        r = client.get(url, headers=other)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
    assert client.delete(f"/v1/scenarios/{job_id}", headers=other).status_code == 404
    assert client.get("/v1/scenarios", headers=other).json()["total"] == 0
    assert client.get(f"/v1/scenarios/{job_id}", headers=auth).status_code == 200


def test_scenario_and_schedule_ids_do_not_mix(
    client: TestClient, auth: dict[str, str], finished: dict[str, Any]
) -> None:
    scenario_id = finished["job"]["job_id"]
    assert client.get(f"/v1/schedules/{scenario_id}", headers=auth).status_code == 404
    assert scenario_id not in {j["job_id"] for j in client.get("/v1/schedules?limit=100", headers=auth).json()["items"]}
    schedule_id = client.post("/v1/schedules", json=schedule_body(), headers=auth).json()["job_id"]
    assert client.get(f"/v1/scenarios/{schedule_id}", headers=auth).status_code == 404
    wait_for(client, schedule_id, auth)


def test_time_limits_are_capped_where_they_are_set() -> None:
    scenario = Scenario.model_validate(
        scenario_body(
            base=inline_base(solve={**SOLVE, "time_limit_s": 1000}),
            variations=[{"name": "long", "solve": {"time_limit_s": 2000}}, {"name": "inherits", "fte_scale": 0.5}],
            sweep={"solve.time_limit_s": [3, 500]},
        )
    )
    capped, prepared = capped_scenario(scenario, 90.0)
    limits = {run.name: run.config.solve.time_limit_s for run in prepared.runs}
    assert limits == {
        "base": 90.0,
        "long": 90.0,
        "inherits": 90.0,
        "solve.time_limit_s=3": 3.0,
        "solve.time_limit_s=90": 90.0,
    }
    assert capped.variations[1] == scenario.variations[1]
    assert capped_scenario(capped, 90.0)[0] == capped


def test_threads_are_capped_where_they_are_set() -> None:
    scenario = Scenario.model_validate(
        scenario_body(
            base=inline_base(solve={**SOLVE, "num_workers": 8}),
            variations=[
                {"name": "wide", "solve": {"num_workers": 16}},
                {"name": "narrow", "solve": {"num_workers": 1}},
            ],
            sweep={"solve.num_workers": [1, 32]},
        )
    )
    capped, prepared = capped_scenario(scenario, 90.0, threads=2)
    threads = {run.name: run.config.solve.num_workers for run in prepared.runs}
    assert threads == {"base": 2, "wide": 2, "narrow": 1, "solve.num_workers=1": 1, "solve.num_workers=2": 2}
    assert capped_scenario(capped, 90.0, threads=2)[0] == capped
    assert capped_scenario(scenario, 90.0)[0] == scenario  # no thread cap given: threads are left alone


def test_scenario_solves_keep_to_the_servers_threads_per_job_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(api_settings(tmp_path, cores_per_job=2))) as app_client:
        headers = key_headers(app_client, "org-threads")
        app_client.app.state.services.runner.stop()  # type: ignore[attr-defined]
        body = scenario_body(
            base=inline_base(solve={**SOLVE, "num_workers": 8}),
            variations=[
                {"name": "wide", "solve": {"num_workers": 16}},
                {"name": "narrow", "solve": {"num_workers": 1}},
            ],
        )
        r = app_client.post("/v1/scenarios", json=body, headers=headers)
        assert r.status_code == 202, r.json()
        job_id = r.json()["job_id"]
        job = app_client.get(f"/v1/scenarios/{job_id}", headers=headers).json()["job"]
        assert (job["params"]["run_threads"], job["params"]["runs_over_threads"]) == (2, 2)
        assert job["notes"] == [
            "solve.num_workers: 2 of 3 runs requested more than 2 threads, capped at 2 threads by this server"
        ]

        # run the job's work in this process (the local backend with jobs=1 solves inline) and see what each
        # solve is given
        received: list[int] = []

        def spy(problem: PlanningProblem, params: SolveParams | None = None, **kw: Any) -> Plan:
            assert params is not None
            received.append(params.num_workers)
            return real_plan(problem, params, **kw)

        monkeypatch.setattr(scenarios.sweep, "plan", spy)
        # on a machine with more cores than the cap, each inline run would get them all (up to its num_workers)
        monkeypatch.setattr(scenarios.backends, "_local_cpus", lambda: 16)
        storage = storage_of(app_client)
        assert storage.claim(job_id, os.getpid())
        record = storage.get_job(job_id)
        assert record is not None
        run_scenario_job(storage, record)
        done = app_client.get(f"/v1/scenarios/{job_id}", headers=headers).json()
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    assert sorted(received) == [1, 2, 2]


def test_openapi_scenario_example_runs(client: TestClient, auth: dict[str, str]) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/scenarios"]["post"]["requestBody"]["content"]["application/json"]
    description = spec["paths"]["/v1/scenarios"]["post"]["description"]
    assert "Charts are not served" in description
    done = _run(client, auth, body["examples"]["headcount"]["value"])
    assert [row["name"] for row in done["results"]["runs"]] == ["base", "cut-50", "cut-50-pool-x2"]


def test_cancel_stops_a_running_scenario(client: TestClient, auth: dict[str, str]) -> None:
    # ten runs of the bundled week take about ten seconds; the cancel lands within a poll interval
    body = {
        "title": "long",
        "base_config": "bundled:example.yaml",
        "base_overrides": {"forecast": {"model": "seasonal_naive"}, "solve": SOLVE},
        "sweep": {"solve.random_seed": list(range(10))},
    }
    job_id = client.post("/v1/scenarios", json=body, headers=auth).json()["job_id"]
    running = wait_for(client, job_id, auth, ("running",), resource="scenarios")
    assert running["results"] is None
    r = client.post(f"/v1/scenarios/{job_id}/cancel", headers=auth)
    assert r.status_code == 202
    assert r.json()["cancel_requested"] is True
    done = wait_for(client, job_id, auth, timeout_s=5, resource="scenarios")
    assert done["job"]["status"] == "cancelled"
    assert done["job"]["error"] == CANCELLED_WHILE_RUNNING
    assert done["results"] is None
    assert client.get(f"/v1/scenarios/{job_id}/results.csv", headers=auth).status_code == 409
    assert client.post(f"/v1/scenarios/{job_id}/cancel", headers=auth).status_code == 409
    assert client.delete(f"/v1/scenarios/{job_id}", headers=auth).status_code == 204
    assert client.get(f"/v1/scenarios/{job_id}", headers=auth).status_code == 404
