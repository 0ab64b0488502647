"""``POST /v1/staffing`` answers the planner's requirement: the same people per interval as ``prepare``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.examples import example_problem
from optimizer.domain import ServiceTarget, SolveParams
from optimizer.model import prepare

HORIZON = ServiceTarget(
    service_level=0.8, answer_within_s=20, shrinkage=0.25, scope="horizon", interval_floor=0.5
)
INTERVAL = HORIZON.model_copy(update={"scope": "interval"})


@pytest.mark.parametrize("target", [HORIZON, INTERVAL], ids=["horizon", "interval"])
def test_staffing_reports_what_the_planner_requires(
    client: TestClient, auth: dict[str, str], target: ServiceTarget
) -> None:
    problem = example_problem().model_copy(update={"service_target": target})
    body = {
        "interval_min": problem.interval_min,
        "demand": [d.model_dump(mode="json") for d in problem.demand],
        "service_target": target.model_dump(mode="json"),
        "automation": problem.automation.model_dump(mode="json"),
    }
    r = client.post("/v1/staffing", json=body, headers=auth)
    assert r.status_code == 200
    reported = [row["required"] for row in r.json()["rows"]]
    planned = prepare(problem, SolveParams()).required.tolist()
    assert reported == planned
    assert sum(planned) > 0


def test_horizon_scope_needs_fewer_people_per_interval_than_the_full_level(
    client: TestClient, auth: dict[str, str]
) -> None:
    """The horizon goal spends staff where it pays; each interval only has to reach the floor."""
    demand = [d.model_dump(mode="json") for d in example_problem().demand]

    def total(target: ServiceTarget) -> int:
        body = {"interval_min": 60, "demand": demand, "service_target": target.model_dump(mode="json")}
        r = client.post("/v1/staffing", json=body, headers=auth)
        assert r.status_code == 200
        return sum(row["required"] for row in r.json()["rows"])

    assert total(HORIZON) < total(INTERVAL)
