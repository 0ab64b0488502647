"""Re-plans from today's actuals over HTTP: the job re-forecasts, lists offers, serves offers.csv and reforecast.csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.examples import EXAMPLE_DATE, EXAMPLE_TIMEZONE, example_demand
from optimizer.replan.offers import OFFER_COLUMNS
from scenarios.reforecast import REFORECAST_COLUMNS
from tests.api.conftest import TINY_PARAMS, wait_for

ZONE = ZoneInfo(EXAMPLE_TIMEZONE)
DAY = EXAMPLE_DATE.isoformat()
NOW = dt.datetime.combine(EXAMPLE_DATE, dt.time(12), tzinfo=ZONE)


def _actuals(factor: float = 3.0, until: dt.datetime = NOW) -> list[dict[str, Any]]:
    return [
        {
            "interval_start": d.interval_start.isoformat(),
            "volume": d.volume * factor,
            "aht_s": d.aht_s if d.volume > 0 else None,
        }
        for d in example_demand()
        if d.interval_start + dt.timedelta(hours=1) <= until
    ]


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "now": NOW.isoformat(),
        "actuals": _actuals(),
        "options": {"lead_time_min": 60},
        "params": TINY_PARAMS.model_dump(mode="json"),
    }
    body.update(changes)
    return body


def _rows(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, str]]:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))



def test_replan_from_actuals_reforecasts_and_lists_the_offers(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    r = client.post(f"/v1/schedules/{published['job']['job_id']}/replan", json=_body(), headers=auth)
    assert r.status_code == 202, r.json()
    done = wait_for(client, r.json()["job_id"], auth)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    report, plan = done["replan"], done["plan"]
    gigs = [o for o in report["offers"] if o["action"] == "gig"]
    assert gigs
    slots = {(s["start"], s["end"]) for s in plan["shifts"] if s["kind"] == "gig"}
    for o in gigs:
        assert (o["start"], o["end"]) in slots
        assert dt.datetime.fromisoformat(o["start"]) >= NOW + dt.timedelta(hours=1)
    (effect,) = report["effects"]
    assert effect["action"] == "gig"
    assert effect["service_level_after"] > effect["service_level_before"]

    url = f"/v1/schedules/{done['job']['job_id']}"
    offers = _rows(client, f"{url}/offers.csv", auth)
    assert tuple(offers[0]) == OFFER_COLUMNS
    assert sum(int(o["count"]) for o in offers) == sum(o["count"] for o in gigs)
    table = _rows(client, f"{url}/reforecast.csv", auth)
    assert tuple(table[0]) == REFORECAST_COLUMNS
    assert dt.datetime.fromisoformat(table[0]["interval_start"]) == NOW
    assert float(table[0]["ratio"]) == pytest.approx(3.0)
    factor = float(table[0]["volume_factor"])
    assert factor > 1.3
    by_start = {dt.datetime.fromisoformat(c["interval_start"]): c for c in plan["coverage"]}
    assert by_start[NOW]["volume"] == pytest.approx(24 * factor)


def test_reforecast_csv_of_an_uplift_replan_is_not_found(
    client: TestClient, auth: dict[str, str], published: dict[str, Any]
) -> None:
    body = _body(actuals=None, uplift=f"+40% {DAY}T13:00/{DAY}T17:00")
    r = client.post(f"/v1/schedules/{published['job']['job_id']}/replan", json=body, headers=auth)
    done = wait_for(client, r.json()["job_id"], auth)
    assert done["job"]["status"] == "succeeded"
    r = client.get(f"/v1/schedules/{done['job']['job_id']}/reforecast.csv", headers=auth)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def _duplicated() -> list[dict[str, Any]]:
    rows = _actuals()
    return [*rows[:3], rows[2], *rows[3:]]


def _negative() -> list[dict[str, Any]]:
    rows = _actuals()
    rows[10]["volume"] = -3
    return rows


def _outside() -> list[dict[str, Any]]:
    before = {"interval_start": f"{EXAMPLE_DATE - dt.timedelta(days=1)}T23:00:00+01:00", "volume": 0, "aht_s": None}
    return [before, *_actuals()]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"actuals": _actuals(until=NOW + dt.timedelta(hours=1))}, f"actuals.interval_start[{DAY}T12:00:00+01:00]"),
        ({"actuals": _outside()}, f"actuals.interval_start[{EXAMPLE_DATE - dt.timedelta(days=1)}T23:00:00+01:00]"),
        ({"actuals": _duplicated()}, "actuals.interval_start[row 3]"),
        ({"actuals": _negative()}, "actuals[10].volume"),
        ({"now": f"{EXAMPLE_DATE - dt.timedelta(days=1)}T12:00:00+01:00"}, "now"),
        ({"now": f"{EXAMPLE_DATE + dt.timedelta(days=1)}T00:00:00+01:00"}, "now"),
        ({"uplift": f"+40% {DAY}T13:00/{DAY}T17:00"}, "(body)"),
    ],
)
def test_bad_actuals_are_422_naming_the_field(
    client: TestClient, auth: dict[str, str], published: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    r = client.post(f"/v1/schedules/{published['job']['job_id']}/replan", json=_body(**changes), headers=auth)
    assert r.status_code == 422, r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == [field]
