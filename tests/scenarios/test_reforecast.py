"""The operations loop: actuals -> re-forecast -> re-plan -> offers, and bad actuals named by field."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasting import IntradayParams
from forecasting.intraday import DEFAULT_CREDIBILITY_CONTACTS
from optimizer import GigPool, InputError, check_plan, plan
from optimizer.demand import demand_frame
from optimizer.domain import Automation
from optimizer.replan.domain import ReplanOptions
from scenarios.reforecast import (
    REFORECAST_COLUMNS,
    ActualInterval,
    read_actuals,
    reforecast_demand,
    replan_from_actuals,
)
from tests.conftest import DETERMINISTIC, make_problem, office_hours

POOL = GigPool(
    cost_per_hour_cents=3000,
    max_concurrent=8,
    max_shifts_per_day=12,
    earliest_start=dt.time(7),
    latest_start=dt.time(16),
    lead_time_min=60,
)
NOW = dt.datetime.fromisoformat("2026-11-30T11:00+01:00")


@pytest.fixture(scope="module")
def published():
    problem = make_problem(days=2, interval_min=30, n_workers=4, gig_pool=POOL, volume=office_hours(20.0))
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    return problem, result


def _actuals(problem, until: dt.datetime, factor: float, *, since: str = "2026-11-30T00:00+01:00") -> pd.DataFrame:
    demand = demand_frame(problem.demand, timezone=problem.timezone)
    seen = demand[(demand.index >= pd.Timestamp(since)) & (demand.index < pd.Timestamp(until))].copy()
    seen["volume"] = np.round(seen["volume"] * factor)
    seen["aht_s"] = np.where(seen["volume"] > 0, seen["aht_s"], np.nan)
    return seen


def _csv(tmp_path, frame: pd.DataFrame) -> str:
    out = frame.reset_index()
    out["interval_start"] = [t.isoformat() for t in out["interval_start"]]
    path = tmp_path / "actuals.csv"
    out.to_csv(path, index=False)
    return str(path)


def test_actuals_above_forecast_raise_today_and_half_of_it_tomorrow(published):
    problem, _ = published
    actuals = read_actuals(_actuals(problem, NOW, 1.5), problem)
    params = IntradayParams(credibility_contacts=0.0)
    result = reforecast_demand(problem, actuals, NOW, params)
    assert result.factors.ratio == pytest.approx(1.5)
    assert result.factors.today_factor == pytest.approx(1.5)
    assert result.factors.tomorrow_factor == pytest.approx(1.25)
    table = result.table
    assert tuple(table.columns) == REFORECAST_COLUMNS
    assert pd.Timestamp(table["interval_start"].iloc[0]) == pd.Timestamp(NOW)
    assert set(table["day"]) == {"today", "tomorrow"}
    np.testing.assert_allclose(table["volume_after"], table["volume_before"] * table["volume_factor"])
    assert len(result.demand) == len(table)  # the horizon's last day has no tomorrow inside the plan


def test_actuals_are_compared_with_the_contacts_that_reach_people(published):
    problem, _ = published
    bot = problem.model_copy(update={"automation": Automation(containment=0.5)})
    actuals = read_actuals(_actuals(problem, NOW, 0.5), bot)  # half of all contacts reach people: on forecast
    result = reforecast_demand(bot, actuals, NOW)
    assert result.factors.ratio == pytest.approx(1.0)
    assert result.factors.today_factor == pytest.approx(1.0)


def test_loop_replans_on_the_reforecast_and_every_offer_is_in_the_checked_plan(published):
    problem, pub = published
    actuals = read_actuals(_actuals(problem, NOW, 1.8), problem)
    options = ReplanOptions(allow_extensions=True, max_extension_min=60, allow_voluntary_time_off=True)
    loop = replan_from_actuals(problem, pub, actuals, now=NOW, params=DETERMINISTIC, options=options)
    result = loop.replan
    assert result.plan.solver.status == "OPTIMAL"
    assert check_plan(result.problem, result.plan) == []
    seen = 80.0  # 4 half-hours of 20 expected contacts, 09:00-11:00
    credibility = seen / (seen + DEFAULT_CREDIBILITY_CONTACTS)
    assert loop.reforecast.factors.today_factor == pytest.approx(1 + credibility * 0.8)
    offers = result.offers
    assert offers.offers
    assert offers.service_level_after > offers.service_level_before
    new = {(s.worker_id, s.start, s.end) for s in result.plan.shifts}
    old_fte = {(s.worker_id, s.start, s.end) for s in pub.shifts if s.kind == "fte"}
    for o in offers.offers:
        if o.action == "extension":
            assert (o.worker_id, o.start, o.end) in new
            assert (o.worker_id, o.shift_start, o.shift_end) in old_fte
            assert o.minutes > 0
            assert o.cost_cents > 0
        elif o.action == "vto":
            assert (o.worker_id, o.shift_start, o.shift_end) not in new
            assert o.cost_cents < 0
        else:
            slots = [s for s in result.plan.shifts if s.kind == "gig" and (s.start, s.end) == (o.start, o.end)]
            assert len(slots) >= o.count
            assert o.start >= NOW + dt.timedelta(minutes=POOL.lead_time_min)
    added = [s for s in result.plan.shifts if s.kind == "gig" and s.worker_id not in {p.worker_id for p in pub.shifts}]
    assert sum(o.count for o in offers.offers if o.action == "gig") == len(added)
    extra = sum(o.cost_cents for o in offers.offers)
    assert result.plan.kpis.total_cost_cents == result.before.total_cost_cents + extra
    gig_effect = next(e for e in offers.effects if e.action == "gig")
    assert gig_effect.service_level_after > gig_effect.service_level_before


@pytest.mark.parametrize(
    ("now", "field", "problem_text"),
    [
        ("2026-11-29T23:00+01:00", "now", "before the plan starts"),
        ("2026-12-02T00:00+01:00", "now", "at or after the plan's end"),
    ],
)
def test_now_outside_the_plan_is_named(published, now, field, problem_text):
    problem, _ = published
    actuals = read_actuals(_actuals(problem, NOW, 1.0), problem)
    with pytest.raises(InputError) as err:
        reforecast_demand(problem, actuals, dt.datetime.fromisoformat(now))
    assert err.value.field == field
    assert problem_text in err.value.problem


def test_actuals_after_now_are_named(published):
    problem, _ = published
    actuals = read_actuals(_actuals(problem, NOW + dt.timedelta(hours=1), 1.0), problem)
    with pytest.raises(InputError) as err:
        reforecast_demand(problem, actuals, NOW)
    assert err.value.field == "actuals.interval_start[2026-11-30T11:00:00+01:00]"
    assert "had not ended by now" in err.value.problem


def test_actuals_outside_the_horizon_are_named(published):
    problem, _ = published
    frame = _actuals(problem, NOW, 1.0)
    before = frame.iloc[:2].copy()
    before.index = before.index - pd.Timedelta(hours=1)
    rows = pd.concat([before, frame])
    actuals = read_actuals(rows, problem)
    with pytest.raises(InputError) as err:
        reforecast_demand(problem, actuals, NOW)
    assert err.value.field == "actuals.interval_start[2026-11-29T23:00:00+01:00]"
    assert "outside the plan's horizon" in err.value.problem


def test_actuals_of_an_earlier_day_are_named(published):
    problem, _ = published
    later = dt.datetime.fromisoformat("2026-12-01T09:00+01:00")
    actuals = read_actuals(_actuals(problem, later, 1.0), problem)
    with pytest.raises(InputError) as err:
        reforecast_demand(problem, actuals, later)
    assert err.value.field == "actuals.interval_start[2026-11-30T00:00:00+01:00]"
    assert "before today" in err.value.problem


@pytest.mark.parametrize(
    ("change", "field", "problem_text"),
    [
        ("duplicate", "actuals.interval_start[row 5]", "duplicate of row 4"),
        ("negative", "actuals.volume[row 3]", "must be >= 0"),
    ],
)
def test_duplicate_or_negative_rows_are_named(published, tmp_path, change, field, problem_text):
    problem, _ = published
    rows = _actuals(problem, NOW, 1.0).reset_index()
    if change == "duplicate":
        rows = pd.concat([rows.iloc[:5], rows.iloc[4:5], rows.iloc[5:]], ignore_index=True)
    else:
        rows.loc[3, "volume"] = -4
    with pytest.raises(InputError) as err:
        read_actuals(_csv(tmp_path, rows.set_index("interval_start")), problem)
    assert err.value.field == field
    assert problem_text in err.value.problem


def test_rows_and_an_empty_list_are_read_or_named(published):
    problem, _ = published
    rows = [
        ActualInterval(interval_start=dt.datetime.fromisoformat(f"2026-11-30T10:{m}+01:00"), volume=30.0, aht_s=280.0)
        for m in ("00", "30")
    ]
    actuals = read_actuals(rows, problem)
    assert list(actuals["volume"]) == [30.0, 30.0]
    with pytest.raises(InputError) as err:
        read_actuals([], problem)
    assert err.value.field == "actuals"


def test_nothing_left_to_reforecast_replans_on_the_published_demand():
    problem = make_problem(days=1, interval_min=60, n_workers=3)
    published = plan(problem, DETERMINISTIC)
    now = dt.datetime.fromisoformat("2026-11-30T23:30+01:00")
    actuals = read_actuals(_actuals(problem, dt.datetime.fromisoformat("2026-11-30T23:00+01:00"), 1.0), problem)
    loop = replan_from_actuals(problem, published, actuals, now=now, params=DETERMINISTIC, options=ReplanOptions())
    assert loop.reforecast.table.empty
    assert loop.replan.plan.solver.status == "OPTIMAL"
    assert loop.replan.problem.demand == problem.demand
    assert loop.replan.offers.offers == ()
