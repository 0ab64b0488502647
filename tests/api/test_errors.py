"""Every bad request gets one problem+json shape naming the fields, never a 500 with a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import example_demand, example_problem
from tests.api.conftest import MAX_BODY_BYTES, MAX_DEMAND_ROWS, key_headers, schedule_body

PROBLEM_JSON = "application/problem+json"


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status
    assert "Traceback" not in r.text
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


def _bad_body(mutate: Any) -> dict[str, Any]:
    body = schedule_body()
    mutate(body)
    return body


def _negative_cost(body: dict[str, Any]) -> None:
    body["problem"]["workforce"]["contracts"][0]["cost_per_hour_cents"] = -100


def _unknown_contract(body: dict[str, Any]) -> None:
    body["problem"]["workforce"]["workers"][1]["contract"] = "night_shift"


def _bad_timezone(body: dict[str, Any]) -> None:
    body["problem"]["timezone"] = "Europe/Atlantis"


def _missing_demand_row(body: dict[str, Any]) -> None:
    body["problem"]["demand"].pop()


def _negative_volume(body: dict[str, Any]) -> None:
    body["problem"]["demand"][3]["volume"] = -1


def _bad_param(body: dict[str, Any]) -> None:
    body["params"]["time_limit_s"] = 0


def _overlapping_availability(body: dict[str, Any]) -> None:
    body["problem"]["workforce"]["workers"][0]["availability"] = [
        {"day": "mon", "start_time": "08:00", "end_time": "16:00"},
        {"day": "mon", "start_time": "15:00", "end_time": "18:00"},
    ]


@pytest.mark.parametrize(
    ("mutate", "field", "says"),
    [
        (_negative_cost, "problem.workforce.contracts[0].cost_per_hour_cents", "greater than 0"),
        (_unknown_contract, "problem.workforce", "workers[1].contract 'night_shift' is not one of"),
        (_bad_timezone, "problem.timezone", "not an IANA time zone"),
        (_missing_demand_row, "problem.demand", "has 23 rows but the horizon has 24 intervals"),
        (_negative_volume, "problem.demand[3].volume", "greater than or equal to 0"),
        (_bad_param, "params.time_limit_s", "greater than 0"),
        (_overlapping_availability, "problem.workforce.workers[0]", "availability windows overlap (mon 08:00-16:00"),
    ],
    ids=[
        "negative-cost",
        "unknown-contract",
        "bad-timezone",
        "demand-row-count",
        "negative-volume",
        "bad-param",
        "overlapping-availability",
    ],
)
@pytest.mark.parametrize("validate_only", [False, True], ids=["submit", "validate-only"])
def test_bad_schedule_input_is_422_with_field_paths(
    client: TestClient, auth: dict[str, str], mutate: Any, field: str, says: str, validate_only: bool
) -> None:
    query = "?validate_only=true" if validate_only else ""
    body = assert_problem(client.post(f"/v1/schedules{query}", json=_bad_body(mutate), headers=auth), 422)
    assert body["type"] == "urn:shiftmix:problem:invalid-input"
    # a bad contract also makes pydantic report the contracts tuple as empty after validation
    assert fields(body)[0] == field
    assert says in body["errors"][0]["problem"]
    assert body["detail"].startswith(f"{field}: ")


def test_rejected_input_is_not_stored(client: TestClient) -> None:
    headers = key_headers(client, "org-rejected")
    client.post("/v1/schedules", json=_bad_body(_missing_demand_row), headers=headers)
    assert client.get("/v1/schedules", headers=headers).json()["total"] == 0


def test_every_problem_is_reported_at_once(client: TestClient, auth: dict[str, str]) -> None:
    def two_problems(body: dict[str, Any]) -> None:
        _negative_cost(body)
        _bad_timezone(body)

    body = assert_problem(client.post("/v1/schedules", json=_bad_body(two_problems), headers=auth), 422)
    assert {"problem.workforce.contracts[0].cost_per_hour_cents", "problem.timezone"} <= set(fields(body))
    assert f"(and {len(body['errors']) - 1} more problems)" in body["detail"]


def test_unknown_field_is_rejected(client: TestClient, auth: dict[str, str]) -> None:
    body = schedule_body()
    body["problem"]["workforce"]["workers"][0]["salary"] = 1
    problem = assert_problem(client.post("/v1/schedules", json=body, headers=auth), 422)
    assert fields(problem) == ["problem.workforce.workers[0].salary"]


def test_malformed_json_is_422(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post(
        "/v1/schedules", content=b'{"problem": ', headers={**auth, "Content-Type": "application/json"}
    )
    body = assert_problem(r, 422)
    assert body["errors"]


def test_query_parameters_are_validated(client: TestClient, auth: dict[str, str]) -> None:
    body = assert_problem(client.get("/v1/schedules?limit=0", headers=auth), 422)
    assert fields(body) == ["query.limit"]


def test_oversized_body_is_413(client: TestClient, auth: dict[str, str]) -> None:
    body = schedule_body()
    body["problem"]["workforce"]["workers"][0]["worker_id"] = "x" * (MAX_BODY_BYTES + 1)
    problem = assert_problem(client.post("/v1/schedules", json=body, headers=auth), 413)
    assert problem["type"] == "urn:shiftmix:problem:body-too-large"


def test_oversized_streamed_body_is_413(client: TestClient, auth: dict[str, str]) -> None:
    payload = json.dumps(schedule_body()).encode() + b" " * MAX_BODY_BYTES

    def chunks() -> Any:
        for i in range(0, len(payload), 16_384):
            yield payload[i : i + 16_384]

    r = client.post("/v1/schedules", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert_problem(r, 413)


def test_streamed_body_within_the_limit_is_accepted(client: TestClient, auth: dict[str, str]) -> None:
    payload = json.dumps(schedule_body()).encode()
    r = client.post(
        "/v1/schedules?validate_only=true",
        content=iter([payload[:1000], payload[1000:]]),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text


def test_unknown_job_and_unknown_route_are_404(client: TestClient, auth: dict[str, str]) -> None:
    for path in (
        "/v1/schedules/0123456789abcdef",
        "/v1/schedules/0123456789abcdef/coverage.csv",
        "/v1/nothing",
    ):
        body = assert_problem(client.get(path, headers=auth), 404)
        assert body["title"] == "Not found"
    assert_problem(client.post("/v1/schedules/0123456789abcdef/cancel", headers=auth), 404)
    assert_problem(client.delete("/v1/schedules/0123456789abcdef", headers=auth), 404)


def test_wrong_method_is_problem_json(client: TestClient, auth: dict[str, str]) -> None:
    assert_problem(client.put("/v1/schedules", headers=auth), 405)


def test_too_many_rows_is_422(client: TestClient, auth: dict[str, str]) -> None:
    rows = [d.model_dump(mode="json") for d in example_demand(days=(MAX_DEMAND_ROWS // 24) + 1)]
    r = client.post("/v1/staffing", json={"interval_min": 60, "demand": rows}, headers=auth)
    body = assert_problem(r, 422)
    assert fields(body) == ["demand"]
    assert f"at most {MAX_DEMAND_ROWS}" in body["errors"][0]["problem"]


def test_staffing_demand_problems_name_the_row(client: TestClient, auth: dict[str, str]) -> None:
    rows = [d.model_dump(mode="json") for d in example_problem().demand]
    rows[5]["aht_s"] = 0  # no contacts at 05:00: no handle time is fine (issue 14)
    rows[10]["aht_s"] = 0
    body = assert_problem(
        client.post("/v1/staffing", json={"interval_min": 60, "demand": rows}, headers=auth), 422
    )
    assert fields(body) == ["demand[10].aht_s"]


def test_a_demand_rows_own_volume_cv_out_of_range_is_422_naming_the_row(
    client: TestClient, auth: dict[str, str]
) -> None:
    rows = [d.model_dump(mode="json") for d in example_problem().demand]
    rows[3]["volume_cv"] = -0.1
    rows[8]["volume_cv"] = 0.2  # a measured CV on the row: accepted
    body = assert_problem(
        client.post("/v1/staffing", json={"interval_min": 60, "demand": rows}, headers=auth), 422
    )
    assert fields(body) == ["demand[3].volume_cv"]


def test_staffing_grid_problems_are_422(client: TestClient, auth: dict[str, str]) -> None:
    rows = [d.model_dump(mode="json") for d in example_problem().demand]
    del rows[7]
    body = assert_problem(
        client.post("/v1/staffing", json={"interval_min": 60, "demand": rows}, headers=auth), 422
    )
    assert fields(body)[0].startswith("demand.interval_start")


def test_forecast_history_problems_are_422(client: TestClient, auth: dict[str, str]) -> None:
    rows = [d.model_dump(mode="json", exclude={"volume_cv"}) for d in example_demand(days=7)]
    del rows[30]
    r = client.post(
        "/v1/forecasts", json={"history": rows, "model": "seasonal_naive", "horizon_days": 1}, headers=auth
    )
    body = assert_problem(r, 422)
    assert all(f.startswith("history") for f in fields(body))


def test_forecast_too_short_history_is_422(client: TestClient, auth: dict[str, str]) -> None:
    rows = [d.model_dump(mode="json", exclude={"volume_cv"}) for d in example_demand(days=2)]
    r = client.post("/v1/forecasts", json={"history": rows, "model": "ets", "horizon_days": 1}, headers=auth)
    body = assert_problem(r, 422)
    assert fields(body) == ["history"]


# ---- found by the schemathesis run (test_openapi_fuzz.py) --------------------------------------------------


def test_wrong_method_lists_every_method_of_the_path(client: TestClient, auth: dict[str, str]) -> None:
    r = client.put("/v1/schedules/0123456789abcdef", headers=auth)
    assert_problem(r, 405)
    assert r.headers["allow"] == "DELETE, GET"


def test_body_that_is_not_utf8_json_is_422(client: TestClient, auth: dict[str, str]) -> None:
    headers = {**auth, "content-type": "application/json"}
    body = assert_problem(client.post("/v1/forecasts", content=b"\xff\xfe{", headers=headers), 422)
    assert fields(body) == ["(body)"]


@pytest.mark.parametrize("key", ["earliest_start", "latest_start"])
def test_start_window_with_a_utc_offset_is_422(client: TestClient, auth: dict[str, str], key: str) -> None:
    body = schedule_body()
    body["problem"]["workforce"]["contracts"][0][key] = "08:00:00Z"
    body["problem"]["workforce"]["gig_pool"] = {"cost_per_hour_cents": 3500, key: "09:00+01:00"}
    r = client.post("/v1/schedules", params={"validate_only": True}, json=body, headers=auth)
    assert fields(assert_problem(r, 422)) == [
        f"problem.workforce.contracts[0].{key}",
        f"problem.workforce.gig_pool.{key}",
    ]


def test_scenario_uplift_window_with_a_utc_offset_is_422(client: TestClient, auth: dict[str, str]) -> None:
    uplift = {"factor": 1.2, "start_time": "08:00Z", "end_time": "09:00"}
    scenario = {
        "title": "peak",
        "base_config": "bundled:example.yaml",
        "variations": [{"name": "peak", "demand_uplift": [uplift]}],
    }
    r = client.post("/v1/scenarios", json=scenario, headers=auth)
    assert fields(assert_problem(r, 422)) == ["variations[0].demand_uplift[0].start_time"]


def test_timestamps_pandas_cannot_hold_are_422(client: TestClient, auth: dict[str, str]) -> None:
    far = {"interval_start": "2263-01-01T00:00:00Z", "volume": 0.0, "aht_s": 300.0}
    staffing = client.post("/v1/staffing", json={"interval_min": 60, "demand": [far]}, headers=auth)
    assert fields(assert_problem(staffing, 422)) == ["demand[0].interval_start"]
    forecast = client.post("/v1/forecasts", json={"history": [far]}, headers=auth)
    assert "history[0].interval_start" in fields(assert_problem(forecast, 422))
    body = schedule_body()
    body["problem"]["start_date"] = "2263-01-01"
    r = client.post("/v1/schedules", params={"validate_only": True}, json=body, headers=auth)
    assert "problem.start_date" in fields(assert_problem(r, 422))


def test_staffing_demand_over_a_dst_change_is_planned(client: TestClient, auth: dict[str, str]) -> None:
    rows = [
        {"interval_start": "2026-03-29T01:00:00+01:00", "volume": 10.0, "aht_s": 300.0},
        {"interval_start": "2026-03-29T03:00:00+02:00", "volume": 10.0, "aht_s": 300.0},
    ]
    r = client.post("/v1/staffing", json={"interval_min": 60, "demand": rows}, headers=auth)
    assert r.status_code == 200, r.text
    starts = [row["interval_start"] for row in r.json()["rows"]]
    assert starts == ["2026-03-29T01:00:00+01:00", "2026-03-29T02:00:00+01:00"]  # same instants, first offset


def test_a_paging_offset_past_the_database_integer_is_a_422_not_a_500(client, auth):
    for path in ("/v1/schedules", "/v1/scenarios"):
        response = client.get(path, params={"offset": 2**64}, headers=auth)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert any("offset" in e["field"] for e in response.json()["errors"])
