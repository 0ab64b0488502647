"""The API takes histories and demand as sites have them: volume only, gaps, null AHT on idle intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas import example_demand
from scenarios.spec import example_config_path
from tests.api.conftest import api_settings, key_headers, schedule_body
from tests.api.test_errors import assert_problem, fields


def _volume_only(days: int) -> list[dict[str, Any]]:
    return [{"interval_start": d.interval_start.isoformat(), "volume": d.volume} for d in example_demand(days=days)]


def test_volume_only_history_forecasts_with_a_default_aht(client: TestClient, auth: dict[str, str]) -> None:
    body = {"history": _volume_only(7), "model": "seasonal_naive", "horizon_days": 1}
    r = client.post("/v1/forecasts", json=body, headers=auth)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert sum(row["volume"] for row in rows) > 0
    assert all(row["aht_s"] is None for row in rows)
    r = client.post("/v1/forecasts", json={**body, "aht_s": 250.0}, headers=auth)
    assert {row["aht_s"] for row in r.json()["rows"]} == {250.0}
    bad = assert_problem(client.post("/v1/forecasts", json={**body, "aht_s": 0}, headers=auth), 422)
    assert fields(bad) == ["aht_s"]


def test_history_gap_policy_is_a_request_field(client: TestClient, auth: dict[str, str]) -> None:
    rows = _volume_only(7)
    del rows[40:42]
    body = {"history": rows, "model": "seasonal_naive", "horizon_days": 1, "aht_s": 300.0}
    refused = assert_problem(client.post("/v1/forecasts", json=body, headers=auth), 422)
    assert fields(refused)[0].startswith("history.interval_start[row 40]")
    assert "set gaps to" in refused["errors"][0]["problem"]
    for policy in ("zero", "seasonal"):
        r = client.post("/v1/forecasts", json={**body, "gaps": policy}, headers=auth)
        assert r.status_code == 200, r.text
    bad = assert_problem(client.post("/v1/forecasts", json={**body, "gaps": "fill"}, headers=auth), 422)
    assert fields(bad) == ["gaps"]


def test_schedule_accepts_null_or_zero_aht_on_zero_volume_rows(client: TestClient, auth: dict[str, str]) -> None:
    body = schedule_body()
    demand = body["problem"]["demand"]
    idle = [i for i, row in enumerate(demand) if row["volume"] == 0]
    demand[idle[0]]["aht_s"] = None
    demand[idle[1]]["aht_s"] = 0
    r = client.post("/v1/schedules?validate_only=true", json=body, headers=auth)
    assert r.status_code == 200, r.text
    busy = next(i for i, row in enumerate(demand) if row["volume"] > 0)
    demand[busy]["aht_s"] = None
    bad = assert_problem(client.post("/v1/schedules?validate_only=true", json=body, headers=auth), 422)
    assert fields(bad) == [f"problem.demand[{busy}].aht_s"]


def test_forecast_weekend_override_is_checked(client: TestClient, auth: dict[str, str]) -> None:
    body = {"history": _volume_only(7), "model": "seasonal_naive", "horizon_days": 1, "aht_s": 300.0}
    assert client.post("/v1/forecasts", json={**body, "weekend": [4, 5]}, headers=auth).status_code == 200
    bad = assert_problem(client.post("/v1/forecasts", json={**body, "weekend": [4, 9]}, headers=auth), 422)
    assert fields(bad) == ["weekend[1]"]


def test_a_forecast_request_is_level_corrected_unless_it_turns_it_off(client: TestClient, auth: dict[str, str]) -> None:
    """``auto`` scales its forecast by its backtest's level correction unless ``bias_correction`` is false.

    Seven weeks of history exceed the test server's row limit, so the request's work runs as the pool runs it.
    """
    from api.compute import forecast_response
    from api.schemas import ForecastRequest
    from tests.forecasting.test_backtest import _growing

    frame = _growing(0.05)
    history = [
        {"interval_start": t.isoformat(), "volume": float(v)} for t, v in zip(frame.index, frame["volume"], strict=True)
    ]
    body = {"history": history, "horizon_days": 1, "aht_s": 300.0, "country": None}
    scaled = forecast_response(ForecastRequest.model_validate(body))  # the default: corrected
    raw = forecast_response(ForecastRequest.model_validate({**body, "bias_correction": False}))
    total = [sum(row.volume for row in r.rows) for r in (scaled, raw)]
    assert total[0] > 1.02 * total[1]
    small = {"history": _volume_only(7), "model": "seasonal_naive", "horizon_days": 1, "bias_correction": "maybe"}
    bad = assert_problem(client.post("/v1/forecasts", json=small, headers=auth), 422)
    assert fields(bad) == ["bias_correction"]


def test_a_forecast_says_the_handle_time_cv_its_history_shows(tmp_path: Path) -> None:
    """Four weeks of the bundled history (its generator draws single handle times of CV 1): the response
    carries the CV to set as a schedule's ``service_target.handle_cv``; a volume-only history has none."""
    history = pd.read_csv(example_config_path().parent / "history.csv").tail(28 * 48)
    rows = [
        {"interval_start": r.interval_start, "volume": int(r.volume), "aht_s": None if pd.isna(r.aht_s) else r.aht_s}
        for r in history.itertuples()
    ]
    body = {"history": rows, "model": "seasonal_naive", "horizon_days": 1}
    volume_only = [{k: v for k, v in row.items() if k != "aht_s"} for row in rows]
    settings = api_settings(tmp_path, max_body_bytes=1_000_000, max_demand_rows=2_000)
    with TestClient(create_app(settings)) as client:
        auth = key_headers(client, "org-a")
        r = client.post("/v1/forecasts", json=body, headers=auth)
        assert r.status_code == 200, r.text
        assert abs(r.json()["handle_cv"] - 1.0) < 0.1
        r = client.post("/v1/forecasts", json={**body, "history": volume_only, "aht_s": 300.0}, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json()["handle_cv"] is None
