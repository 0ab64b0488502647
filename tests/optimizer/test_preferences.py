"""Preferences and fairness: validation, the priced term (exact per person), and crews handed out by wishes."""

import datetime as dt

import pytest
from pydantic import ValidationError

from optimizer import check_plan, plan
from optimizer.domain import Fairness, GigPool, PlanningProblem, Preference, Workforce
from optimizer.model import people
from optimizer.wishes import people_summary, preference_cents, preference_penalty_cents, problem_grid
from tests.conftest import DETERMINISTIC, MONDAY, make_contract, make_problem

PER_PERSON = DETERMINISTIC.model_copy(update={"method": "per_person"})
CREWS = DETERMINISTIC.model_copy(update={"method": "crews"})
NO_BREAK = {"break_rule": None}


def _with_wishes(problem, preferences, **workforce):
    wf = problem.workforce.model_copy(update={"preferences": tuple(preferences), **workforce})
    data = problem.model_copy(update={"workforce": Workforce.model_validate(wf.model_dump())}).model_dump()
    return PlanningProblem.model_validate(data)


def _one_agent(lo: int, hi: int):
    """A trickle of contacts [lo, hi) local that one agent answers within target."""
    return lambda ts: 2.0 if lo <= ts.hour < hi else 0.0


def _solved(problem, params):
    result = plan(problem, params)
    assert result.found
    assert check_plan(problem, result) == []
    assert sum(result.cost_terms_cents.values()) == result.solver.objective_cents
    return result


# ---- domain ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_a_weight_that_is_negative_or_not_finite_is_refused_naming_weight(weight):
    with pytest.raises(ValidationError) as err:
        Preference(worker_id="w00", day="mon", weight=weight)
    assert err.value.errors()[0]["loc"] == ("weight",)


def test_a_preference_needs_exactly_one_of_a_weekday_and_a_date():
    with pytest.raises(ValidationError, match="exactly one of `day`"):
        Preference(worker_id="w00")
    with pytest.raises(ValidationError, match="exactly one of `day`"):
        Preference(worker_id="w00", day="mon", date=MONDAY)


def test_a_preference_of_an_unknown_worker_is_refused_naming_it():
    with pytest.raises(ValidationError, match=r"preferences\[0\]\.worker_id 'ghost' is not one of the workers"):
        _with_wishes(make_problem(), [Preference(worker_id="ghost", day="mon")])


def test_a_dated_preference_outside_the_horizon_is_refused_naming_it():
    with pytest.raises(ValidationError, match=r"workforce\.preferences\[0\]\.date 2026-12-01 is outside the horizon"):
        _with_wishes(make_problem(days=1), [Preference(worker_id="w00", date=MONDAY + dt.timedelta(days=1))])


def test_a_window_may_cross_midnight_and_all_day_is_the_default():
    late = Preference(worker_id="w", day="fri", start_time=dt.time(22), end_time=dt.time(2))
    assert late.length_min == 4 * 60
    assert late.covers(dt.datetime(2026, 12, 5, 1, 30))  # Saturday 01:30, still Friday's window
    assert not late.covers(dt.datetime(2026, 12, 5, 2, 0))
    assert Preference(worker_id="w", day="sat").length_min == 24 * 60


# ---- the priced term ---------------------------------------------------------------------------------------


def test_a_free_preference_is_honoured_at_no_cost():
    # one agent 10:00-16:00; any 8-hour start 08:00-10:00 covers it at the same pay; 08:00-10:00 is undesired
    contract = make_contract(**NO_BREAK)
    base = make_problem(volume=_one_agent(10, 16), contracts=[contract], n_workers=1)
    wished = _with_wishes(base, [Preference(worker_id="w00", day="mon", start_time=dt.time(8), end_time=dt.time(10))])
    without, honoured = _solved(base, PER_PERSON), _solved(wished, PER_PERSON)
    assert [s.start.hour for s in honoured.shifts] == [10]
    assert honoured.cost_terms_cents["preference_penalty"] == 0
    assert honoured.kpis.total_cost_cents == without.kpis.total_cost_cents


@pytest.mark.parametrize(("rate", "works"), [(500, True), (1500, False)])
def test_an_unfree_preference_is_traded_against_cost_at_its_exact_price(rate, works):
    # the worker: 8 h x 20.00 = 160.00, plus 8 unmet hours at `rate`; the gigs: 2 x 4 h x 30.00 = 240.00
    contract = make_contract(**NO_BREAK)
    pool = GigPool(cost_per_hour_cents=3000, max_concurrent=1, earliest_start=dt.time(9), latest_start=dt.time(13))
    base = make_problem(volume=_one_agent(9, 17), contracts=[contract], n_workers=1, gig_pool=pool)
    wished = _with_wishes(
        base,
        [Preference(worker_id="w00", day="mon", start_time=dt.time(9), end_time=dt.time(17))],
        preference_per_hour_cents=rate,
    )
    result = _solved(wished, PER_PERSON)
    assert [r.required for r in result.coverage if r.required] == [1] * 8
    penalty = result.cost_terms_cents["preference_penalty"]
    if works:
        assert [s.kind for s in result.shifts] == ["fte"]
        assert penalty == 8 * rate
        assert result.solver.objective_cents == 8 * 2000 + 8 * rate
    else:
        assert [s.kind for s in result.shifts] == ["gig", "gig"]
        assert penalty == 0
        assert result.solver.objective_cents == 2 * 4 * 3000
    assert penalty == preference_penalty_cents(wished, result.shifts)


def test_a_desired_window_prices_each_hour_of_it_not_worked():
    contract = make_contract(**NO_BREAK)
    base = make_problem(volume=_one_agent(9, 17), contracts=[contract], n_workers=1)
    # the shift 09:00-17:00 is the only way to cover; 17:00-19:00 is wished for and cannot be worked too
    wished = _with_wishes(
        base,
        [Preference(worker_id="w00", kind="desired", day="mon", start_time=dt.time(15), end_time=dt.time(19))],
        preference_per_hour_cents=100,
    )
    result = _solved(wished, PER_PERSON)
    assert [(s.start.hour, s.end.hour) for s in result.shifts] == [(9, 17)]
    assert result.cost_terms_cents["preference_penalty"] == 2 * 100
    (person,) = people_summary(wished, result.shifts)
    assert (person.preferences, person.preferences_met, person.preference_hours_unmet) == (1, 0, 2.0)


def test_a_contract_price_overrides_the_workforce_price():
    contract = make_contract(preference_per_hour_cents=0, **NO_BREAK)
    base = make_problem(volume=_one_agent(9, 17), contracts=[contract], n_workers=1)
    wished = _with_wishes(base, [Preference(worker_id="w00", day="mon")], preference_per_hour_cents=10_000)
    result = _solved(wished, PER_PERSON)
    assert result.cost_terms_cents["preference_penalty"] == 0
    assert [s.kind for s in result.shifts] == ["fte"]


# ---- crews: shifts handed to people by wishes and fairness -------------------------------------------------


def test_a_crew_hands_an_undesired_day_to_someone_who_does_not_mind():
    contract = make_contract(**NO_BREAK)
    base = make_problem(volume=_one_agent(9, 17), contracts=[contract], n_workers=3, days=2)
    wished = _with_wishes(base, [Preference(worker_id=w, day="mon") for w in ("w00", "w01")])
    without, honoured = _solved(base, CREWS), _solved(wished, CREWS)
    monday = {s.worker_id for s in honoured.shifts if s.start.date() == MONDAY}
    assert monday == {"w02"}
    assert honoured.cost_terms_cents["preference_penalty"] == 0
    assert honoured.kpis.total_cost_cents == without.kpis.total_cost_cents
    assert honoured.solver.objective_cents == without.solver.objective_cents


def test_a_large_crew_swaps_whole_weeks_to_honour_wishes(monkeypatch):
    # as if the crew were too large to re-combine its shifts: only whole weeks move between people
    monkeypatch.setattr(people, "MAX_REHAND_PEOPLE", 0)
    contract = make_contract(max_days_per_week=1, **NO_BREAK)
    base = make_problem(volume=_one_agent(9, 17), contracts=[contract], n_workers=3, days=2)
    wished = _with_wishes(base, [Preference(worker_id="w00", day="mon"), Preference(worker_id="w01", day="tue")])
    honoured = _solved(wished, CREWS)
    by_day = {s.start.date(): s.worker_id for s in honoured.shifts}
    assert by_day[MONDAY] != "w00"
    assert by_day[MONDAY + dt.timedelta(days=1)] != "w01"
    assert honoured.cost_terms_cents["preference_penalty"] == 0


def test_fairness_spreads_weekend_days_evenly_across_a_crew():
    # 6 people, the same 3 on shift every day: without fairness one of them works both weekend days (measured)
    def busy(ts):
        return 3.0 if 9 <= ts.hour < 17 else 0.0

    def spread(result):
        days = {f"w{i:02d}": 0 for i in range(6)}
        for s in result.shifts:
            if s.start.weekday() >= 5:
                days[s.worker_id] += 1
        return max(days.values()) - min(days.values())

    fair = make_contract(fairness=Fairness(weekend_day_cents=1000), max_days_per_week=5, **NO_BREAK)
    unfair = make_contract(max_days_per_week=5, **NO_BREAK)
    results = [_solved(make_problem(days=7, volume=busy, contracts=[c], n_workers=6), CREWS) for c in (unfair, fair)]
    assert results[0].kpis.total_cost_cents == results[1].kpis.total_cost_cents
    assert spread(results[1]) <= 1
    assert spread(results[1]) < spread(results[0])
    people = {p.worker_id: p.weekend_days for p in results[1].people}
    assert max(people.values()) - min(people.values()) == spread(results[1])


def test_a_derived_problem_without_the_worker_prices_their_wish_at_nothing():
    # a re-plan's problem keeps only the people it re-plans (built by copy, not validated again)
    wished = _with_wishes(make_problem(n_workers=2), [Preference(worker_id="w01", day="mon")])
    fewer = wished.model_copy(
        update={"workforce": wished.workforce.model_copy(update={"workers": wished.workforce.workers[:1]})}
    )
    assert preference_cents(fewer, problem_grid(fewer)) == {}
    assert preference_penalty_cents(fewer, ()) == 0
