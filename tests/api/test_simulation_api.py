"""Simulations over HTTP: simulate a succeeded schedule job's plan as a job, read its summary and CSV; errors."""

from __future__ import annotations

import csv
import datetime as dt
import io

from optimizer.simulation import QUEUE_SIMULATION_COLUMNS, SIMULATION_COLUMNS
from tests.api.conftest import key_headers, schedule_body, wait_for
from tests.optimizer.test_queues import three_queue_problem


def test_simulate_a_plan_as_a_job_and_fetch_its_summary_and_csv(client, auth, published):
    job_id = published["job"]["job_id"]
    body = {"options": {"reps": 30, "seed": 4, "risk_below": 0.99}}
    r = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers=auth)
    assert r.status_code == 202, r.json()
    sim_id = r.json()["job_id"]
    assert r.headers["location"].endswith(f"/v1/simulations/{sim_id}")
    done = wait_for(client, sim_id, auth, resource="simulations")
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    assert done["job"]["params"]["schedule_job"] == job_id
    summary = done["summary"]
    assert summary["reps"] == 30
    assert summary["mode"] == "forecast"
    assert summary["service_level_low"] <= summary["service_level"] <= summary["service_level_high"]
    r = client.get(f"/v1/simulations/{sim_id}/simulation.csv", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert tuple(rows[0]) == SIMULATION_COLUMNS
    assert len(rows) == len(published["plan"]["coverage"])
    risky = {row["interval_start"] for row in rows if row["at_risk"] == "True"}
    assert set(summary["intervals_at_risk"]) == risky
    again = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers={**auth, "Idempotency-Key": "k1"})
    same = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers={**auth, "Idempotency-Key": "k1"})
    assert again.json()["job_id"] == same.json()["job_id"]


def test_bad_simulation_requests_are_problems_naming_the_field(client, auth, published):
    job_id = published["job"]["job_id"]
    r = client.post(f"/v1/schedules/{job_id}/simulate", json={"options": {"reps": 0}}, headers=auth)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["options.reps"]
    r = client.post(f"/v1/schedules/{job_id}/simulate", json={"options": {"reps": 5000}}, headers=auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "options.reps"
    realised = {"options": {"aht": "realised"}}  # an actual AHT needs the actual counts it averaged
    r = client.post(f"/v1/schedules/{job_id}/simulate", json=realised, headers=auth)
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "options"
    assert "aht: 'realised'" in error["problem"]
    assert "volumes: 'counts'" in error["problem"]
    r = client.post("/v1/schedules/nope/simulate", json={}, headers=auth)
    assert r.status_code == 404
    assert client.get("/v1/simulations/nope", headers=auth).status_code == 404
    other = key_headers(client, "org-b")
    assert client.post(f"/v1/schedules/{job_id}/simulate", json={}, headers=other).status_code == 404


def test_simulate_replays_contacts_sent_in_the_body(client, auth, published):
    job_id = published["job"]["job_id"]
    first = published["plan"]["coverage"][9]["interval_start"]
    start = dt.datetime.fromisoformat(first)
    contacts = [{"arrival": (start + dt.timedelta(seconds=40 * i)).isoformat(), "handle_s": 200.0} for i in range(30)]
    contacts.append({"arrival": "2031-01-01T00:00:00+01:00", "handle_s": 5.0, "patience_s": 30.0})
    r = client.post(f"/v1/schedules/{job_id}/simulate", json={"contacts": contacts}, headers=auth)
    assert r.status_code == 202, r.json()
    done = wait_for(client, r.json()["job_id"], auth, resource="simulations")
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    assert done["summary"]["mode"] == "replay"
    assert done["summary"]["reps"] == 1
    assert done["summary"]["dropped_contacts"] == 1
    bad = client.post(
        f"/v1/schedules/{job_id}/simulate",
        json={"contacts": [{"arrival": "2026-01-01T08:00", "handle_s": 1}]},
        headers=auth,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "contacts[0].arrival"


def test_a_several_queue_plan_is_simulated_per_queue_over_http(client, auth):
    problem = three_queue_problem()
    job_id = client.post("/v1/schedules", json=schedule_body(problem), headers=auth).json()["job_id"]
    published = wait_for(client, job_id, auth)
    assert published["job"]["status"] == "succeeded", published["job"]["error"]
    body = {"options": {"reps": 20, "seed": 2, "email": "as_planned"}}
    r = client.post(f"/v1/schedules/{job_id}/simulate", json=body, headers=auth)
    assert r.status_code == 202, r.json()
    done = wait_for(client, r.json()["job_id"], auth, resource="simulations")
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    queues = done["summary"]["queues"]
    assert [q["queue"] for q in queues] == ["phone", "chat", "email"]
    claimed = {k["queue"]: k["service_level"] for k in published["plan"]["kpis"]["queues"]}
    assert all(q["plan_service_level"] == claimed[q["queue"]] for q in queues)
    expected = {k["queue"]: k["expected_service_level"] for k in published["plan"]["kpis"]["queues"]}
    assert all(q["plan_expected_level"] == expected[q["queue"]] is not None for q in queues)
    assert queues[1]["handled_by"]["phone"] == 0.0
    csv_text = client.get(f"/v1/simulations/{r.json()['job_id']}/simulation.csv", headers=auth).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert tuple(rows[0]) == QUEUE_SIMULATION_COLUMNS
    assert len(rows) == len(published["plan"]["queue_coverage"])
    contacts = [{"arrival": rows[30]["interval_start"], "handle_s": 100.0}]
    r = client.post(f"/v1/schedules/{job_id}/simulate", json={"contacts": contacts}, headers=auth)
    failed = wait_for(client, r.json()["job_id"], auth, resource="simulations")
    assert failed["job"]["status"] == "failed"
    assert "contacts: replays one queue" in failed["job"]["error"]
