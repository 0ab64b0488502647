"""Offers of a re-plan, and VTO recorded as time off so that check_plan accepts the released hours."""

from __future__ import annotations

import datetime as dt

from optimizer import check_plan, plan
from optimizer.replan import replan
from optimizer.replan.demand import parse_uplift, uplift_demand
from optimizer.replan.domain import ReplanOptions
from optimizer.replan.offers import OFFER_COLUMNS, offers_frame
from tests.conftest import DETERMINISTIC, make_contract, make_problem, office_hours


def test_vto_under_a_weekly_minimum_becomes_time_off_and_the_replan_checks_clean():
    contract = make_contract(min_hours_per_week=24, min_days_per_week=3, max_days_per_week=5)
    problem = make_problem(days=7, interval_min=60, n_workers=3, contracts=(contract,), volume=office_hours(30.0))
    published = plan(problem, DETERMINISTIC)
    assert published.solver.status == "OPTIMAL"
    assert check_plan(problem, published) == []
    now = dt.datetime.fromisoformat("2026-12-02T06:00+01:00")
    demand = uplift_demand(problem, parse_uplift("-90% 2026-12-02T00:00/2026-12-07T00:00", problem.timezone))
    options = ReplanOptions(allow_voluntary_time_off=True)
    result = replan(problem, published, demand, now=now, params=DETERMINISTIC, options=options)
    assert result.plan.solver.status == "OPTIMAL"
    vto = [o for o in result.offers.offers if o.action == "vto"]
    assert vto
    released = {(o.worker_id, o.shift_start, o.shift_end) for o in vto}
    recorded = {(w.worker_id, t.start, t.end) for w in result.problem.workforce.workers for t in w.time_off}
    assert recorded == released
    assert check_plan(result.problem, result.plan) == []
    untold = result.problem.model_copy(update={"workforce": problem.workforce})
    assert {v.rule for v in check_plan(untold, result.plan)} <= {"min_hours", "min_days"}  # explained by time off
    assert check_plan(untold, result.plan)
    assert sum(o.cost_cents for o in vto) == result.plan.kpis.total_cost_cents - result.before.total_cost_cents
    (effect,) = result.offers.effects
    assert effect.action == "vto"
    assert effect.service_level_after <= effect.service_level_before
    frame = offers_frame(result.offers.offers)
    assert tuple(frame.columns) == OFFER_COLUMNS
    assert (frame["action"] == "vto").all()
    assert (frame["count"] == 1).all()
