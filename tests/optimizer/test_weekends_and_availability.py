"""Weekends-off rules and weekly availability windows: domain validation, the model, and the independent check."""

import datetime as dt
import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from optimizer import check_plan, plan
from optimizer.domain import Availability, WeekendsOff, Worker
from optimizer.errors import InputError
from optimizer.model import build_model, prepare, solve
from optimizer.model.assign import assign
from optimizer.model.inputs import WeekLimit, day_choices
from tests.conftest import DETERMINISTIC, make_contract, make_problem

PER_PERSON = DETERMINISTIC.model_copy(update={"method": "per_person"})
CREWS = DETERMINISTIC.model_copy(update={"method": "crews"})
NO_BREAK = {"break_rule": None}


def _every_day(ts):
    """Open every day 09:00-17:00 and busiest at the weekend, so the weekend rule costs something."""
    if not 9 <= ts.hour < 17:
        return 0.0
    return 12.0 if ts.weekday() >= 5 else 4.0


def _weekend_problem(rule, n_workers=3, days=14):
    contract = make_contract(max_days_per_week=6, weekends_off=rule, **NO_BREAK)
    return make_problem(days=days, n_workers=n_workers, contracts=[contract], volume=_every_day)


def _weekends_worked(result, worker_id):
    days = {s.start.astimezone(dt.UTC).date() for s in result.shifts if s.worker_id == worker_id}
    return sorted({d - dt.timedelta(days=d.weekday() - 5) for d in days if d.weekday() >= 5})


# ---- domain ------------------------------------------------------------------------------------------------


def test_weekend_rule_cannot_ask_for_more_weekends_than_its_window():
    with pytest.raises(ValidationError, match="min_off 3 cannot exceed per_weeks 2"):
        WeekendsOff(min_off=3, per_weeks=2)


@pytest.mark.parametrize(("weekends", "needed"), [(1, 0), (2, 1), (3, 1)])
def test_weekends_outside_the_horizon_count_as_off(weekends, needed):
    assert WeekendsOff(min_off=1, per_weeks=2).required_off(min(2, weekends)) == needed


@pytest.mark.parametrize(
    ("windows", "clash"),
    [
        ([("mon", "08:00", "12:00"), ("mon", "11:00", "15:00")], "mon 08:00-12:00 and mon 11:00-15:00"),
        ([("sun", "22:00", "06:00"), ("mon", "05:00", "09:00")], "sun 22:00-06:00 and mon 05:00-09:00"),
        ([("tue", "00:00", "00:00"), ("tue", "10:00", "11:00")], "tue 00:00-00:00 and tue 10:00-11:00"),
    ],
)
def test_overlapping_availability_is_rejected_naming_both_windows(windows, clash):
    with pytest.raises(ValidationError, match=f"availability windows overlap \\({clash}\\)"):
        Worker(
            worker_id="w",
            contract="ft",
            availability=[{"day": d, "start_time": a, "end_time": b} for d, a, b in windows],
        )


def test_adjacent_availability_windows_are_fine_and_a_window_may_cross_midnight():
    w = Worker(
        worker_id="w",
        contract="ft",
        availability=[
            {"day": "mon", "start_time": "08:00", "end_time": "12:00"},
            {"day": "mon", "start_time": "12:00", "end_time": "16:00"},
            {"day": "sun", "start_time": "20:00", "end_time": "02:00"},
        ],
    )
    assert w.available_minutes() == [(480, 720), (720, 960), (6 * 1440 + 1200, 7 * 1440 + 120)]


def test_availability_times_must_be_local():
    with pytest.raises(ValidationError, match="start_time must be a local time of day"):
        Availability(day="mon", start_time=dt.time(8, tzinfo=dt.UTC), end_time=dt.time(16))


# ---- weekends off -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [PER_PERSON, CREWS], ids=["per_person", "crews"])
def test_one_weekend_in_two_off_holds_for_everyone_and_passes_the_check(params):
    problem = _weekend_problem(WeekendsOff(min_off=1, per_weeks=2))
    result = plan(problem, params)
    assert result.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(problem, result) == []
    for w in problem.workforce.workers:
        assert len(_weekends_worked(result, w.worker_id)) <= 1
    # Without the rule the same demand has people working both weekends, so the rule is what holds them back.
    free = plan(_weekend_problem(None), params)
    assert any(len(_weekends_worked(free, w.worker_id)) == 2 for w in problem.workforce.workers)
    assert result.solver.objective_cents >= free.solver.objective_cents


def test_crew_bound_is_below_the_per_person_optimum_with_weekends():
    problem = _weekend_problem(WeekendsOff(min_off=1, per_weeks=2), n_workers=4)
    exact = plan(problem, PER_PERSON)
    crews = plan(problem, CREWS)
    assert exact.solver.status == "OPTIMAL"
    assert crews.solver.best_bound_cents <= exact.solver.objective_cents <= crews.solver.objective_cents


def test_a_friday_night_shift_into_saturday_works_that_weekend():
    night = make_contract(
        earliest_start=dt.time(20),
        latest_start=dt.time(22),
        max_days_per_week=6,
        weekends_off=WeekendsOff(min_off=1, per_weeks=1),
        **NO_BREAK,
    )
    problem = make_problem(days=7, n_workers=2, contracts=[night], volume=lambda ts: 10.0)
    result = plan(problem, PER_PERSON)
    assert check_plan(problem, result) == []
    saturday = dt.datetime(2026, 12, 5, tzinfo=dt.UTC) - dt.timedelta(hours=1)  # local midnight, UTC+1
    assert not [s for s in result.shifts if s.end > saturday]


def test_check_flags_a_plan_that_works_too_many_weekends():
    free = plan(_weekend_problem(None), PER_PERSON)
    ruled = _weekend_problem(WeekendsOff(min_off=1, per_weeks=2))
    rules = {v.rule for v in check_plan(ruled, free)}
    assert "weekends_off" in rules


def test_weekend_rule_that_leaves_too_few_days_is_explained():
    strict = make_contract(
        min_hours_per_week=48,
        max_hours_per_week=48,
        min_days_per_week=6,
        max_days_per_week=6,
        weekends_off=WeekendsOff(min_off=1, per_weeks=1),
        **NO_BREAK,
    )
    problem = make_problem(days=7, n_workers=1, contracts=[strict])
    with pytest.raises(InputError) as err:
        plan(problem, PER_PERSON)
    issue = err.value.issues[0]
    assert issue.field == "workforce.workers[0]"
    assert "weekends off" in issue.problem


# ---- availability -------------------------------------------------------------------------------------------

MON_TO_WED = tuple(Availability(day=d, start_time=dt.time(9), end_time=dt.time(17)) for d in ("mon", "tue", "wed"))


def _available_problem(availability, contract=None):
    contract = contract or make_contract(**NO_BREAK)
    workers = [
        Worker(worker_id="limited", contract="ft", availability=availability),
        Worker(worker_id="open", contract="ft"),
    ]
    return make_problem(days=7, workers=workers, contracts=[contract], volume=_every_day)


@pytest.mark.parametrize("params", [PER_PERSON, CREWS], ids=["per_person", "crews"])
def test_shifts_lie_inside_the_availability_windows(params):
    problem = _available_problem(MON_TO_WED)
    result = plan(problem, params)
    assert check_plan(problem, result) == []
    limited = [s for s in result.shifts if s.worker_id == "limited"]
    assert limited
    for s in limited:
        local = s.start.astimezone(dt.timezone(dt.timedelta(hours=1)))
        assert local.weekday() <= 2
        assert local.hour >= 9
    assert any(s.start.astimezone(dt.UTC).weekday() > 2 for s in result.shifts if s.worker_id == "open")


def test_check_flags_shifts_outside_availability():
    problem = _available_problem(MON_TO_WED)
    anywhere = plan(_available_problem(()), PER_PERSON)
    found = [v for v in check_plan(problem, anywhere) if v.rule == "availability"]
    assert all(v.where.startswith("limited ") for v in found)
    assert any(s.worker_id == "limited" and s.start.astimezone(dt.UTC).weekday() > 2 for s in anywhere.shifts) == bool(
        found
    )


def test_availability_too_narrow_for_the_weekly_minimum_is_explained():
    contract = make_contract(min_hours_per_week=32, min_days_per_week=4, **NO_BREAK)
    with pytest.raises(InputError) as err:
        plan(_available_problem(MON_TO_WED, contract), PER_PERSON)
    fields = {i.field for i in err.value.issues}
    assert fields == {"workforce.workers[0]"}
    assert "availability" in err.value.issues[0].problem


# ---- weekend patterns in the crew model ----------------------------------------------------------------------


def _five_day_weeks(weeks=3, n_workers=4):
    """Exactly 5 days a week, at most 6 in a row, one weekend in two off, and the work is at the weekend."""
    contract = make_contract(
        min_hours_per_week=40,
        min_days_per_week=5,
        max_days_per_week=5,
        weekends_off=WeekendsOff(min_off=1, per_weeks=2),
        **NO_BREAK,
    )
    return make_problem(days=7 * weeks, n_workers=n_workers, contracts=[contract], volume=_every_day)


def test_weekend_patterns_know_a_worked_weekend_before_an_off_one_cannot_take_both_days():
    inp = prepare(_five_day_weeks(), CREWS, aggregate=True)
    crew = inp.crews[0]
    whole = [j for j, sl in enumerate(crew.weekend_slots) if sl.whole_day]
    assert len(whole) == 6  # Saturday and Sunday of three weekends
    first_weekend = [j for j in whole if crew.weekend_slots[j].weekend == 0]
    both_then_off = [p for p in crew.weekend_patterns if all(p.works[j] for j in first_weekend)]
    # Saturday and Sunday, then the next weekend off and five weekdays: seven days in a row.
    assert both_then_off == []
    # A worker off the first weekend must work every weekday of the week before it.
    off_first = next(p for p in crew.weekend_patterns if not any(p.works[j] for j in first_weekend))
    assert set(range(5)) <= set(off_first.must_work)


def test_crew_plan_with_weekend_rules_is_handed_to_people_without_losing_a_shift():
    problem = _five_day_weeks()
    crews = prepare(problem, CREWS, aggregate=True)
    built = build_model(crews)
    outcome = solve(built, CREWS)
    assert outcome.status == "OPTIMAL"
    assignment = assign(crews, built, outcome, CREWS, deadline=time.monotonic() + 10)
    assert assignment.unmatched_shifts == 0
    exact = plan(problem, PER_PERSON)
    result = plan(problem, CREWS)
    assert check_plan(problem, result) == []
    assert result.solver.best_bound_cents <= exact.solver.objective_cents <= result.solver.objective_cents


@settings(max_examples=60, deadline=None)
@given(
    days=st.integers(1, 10),
    cap=st.integers(1, 6),
    min_days=st.integers(0, 5),
    extra=st.integers(0, 3),
    forced=st.dictionaries(st.integers(0, 9), st.integers(0, 1), max_size=4),
    closed=st.sets(st.integers(0, 9), max_size=3),
)
def test_day_choices_match_every_day_plan_enumerated(days, cap, min_days, extra, forced, closed):
    weeks = tuple(
        WeekLimit(
            week=i,
            first_day=f,
            last_day=min(f + 6, days - 1),
            min_paid_min=0,
            max_paid_min=0,
            min_days=min(min_days, min(f + 6, days - 1) - f + 1),
            max_days=min_days + extra,
        )
        for i, f in enumerate(range(0, days, 7))
    )
    workable = frozenset(range(days)) - closed
    forced = {d: c for d, c in forced.items() if d < days}

    def fits(plan):
        if any(plan[d] != c for d, c in forced.items()) or any(plan[d] and d not in workable for d in range(days)):
            return False
        run = 0
        for worked in plan:
            run = run + 1 if worked else 0
            if run > cap:
                return False
        return all(wk.min_days <= sum(plan[wk.first_day : wk.last_day + 1]) <= wk.max_days for wk in weeks)

    plans = [p for p in itertools.product((0, 1), repeat=days) if fits(p)]
    choices = day_choices(forced, workable, weeks, cap, days)
    if not plans:
        assert choices is None
    else:
        assert choices == [{p[d] for p in plans} for d in range(days)]
