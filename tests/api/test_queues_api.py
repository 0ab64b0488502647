"""`POST /v1/schedules` with several queues: the plan routes people per queue and every export carries the queue."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.errors import PROBLEM_JSON
from optimizer.domain import SolveParams
from tests.api.conftest import schedule_body, wait_for
from tests.optimizer.test_queues import three_queue_problem

PARAMS = SolveParams(time_limit_s=20, num_workers=1, random_seed=1)


def test_a_several_queue_schedule_job_plans_each_queue(client: TestClient, auth: dict[str, str]) -> None:
    job_id = client.post("/v1/schedules", json=schedule_body(three_queue_problem(), PARAMS), headers=auth).json()[
        "job_id"
    ]
    done = wait_for(client, job_id, auth)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    plan = done["plan"]
    assert [k["queue"] for k in plan["kpis"]["queues"]] == ["phone", "chat", "email"]
    assert len(plan["queue_coverage"]) == 3 * 24
    assert done["violations"] == []  # the worker ran check_plan: routing, per-queue needs, objective

    r = client.get(f"/v1/schedules/{job_id}/coverage.csv", headers=auth)
    assert r.status_code == 200
    assert r.text.splitlines()[0].startswith("interval_start,queue,channel,")
    book = load_workbook(io.BytesIO(client.get(f"/v1/schedules/{job_id}/plan.xlsx", headers=auth).content))
    assert [c.value for c in book["coverage"][1]][:3] == ["interval_start", "queue", "channel"]


def test_a_skill_for_an_unknown_queue_is_a_422_naming_the_field(client: TestClient, auth: dict[str, str]) -> None:
    body = schedule_body(three_queue_problem(), PARAMS)
    body["problem"]["workforce"]["workers"][0]["skills"] = ["telex"]
    r = client.post("/v1/schedules", json=body, headers=auth)
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_JSON
    assert "telex" in r.text
    assert "workforce.workers[0].skills" in r.text


def test_an_e_mail_order_or_age_that_does_not_fit_its_queue_is_a_422_naming_the_field(
    client: TestClient, auth: dict[str, str]
) -> None:
    for index, extra, said in (
        (2, {"max_age_h": 2}, "max_age_h 2 h is shorter than window_h 4 h"),
        (2, {"order": "newest_first"}, "order"),
        (0, {"max_age_h": 24}, "max_age_h applies to email queues only"),
        (0, {"order": "first_come"}, "order applies to email queues only"),
    ):
        body = schedule_body(three_queue_problem(), PARAMS)
        body["problem"]["queues"][index].update(extra)
        r = client.post("/v1/schedules", json=body, headers=auth)
        assert r.status_code == 422, extra
        assert r.headers["content-type"] == PROBLEM_JSON
        assert f"queues[{index}]" in r.text, r.text
        assert said in r.text, r.text
