"""Several queues and skills: routing, per-queue coverage, e-mail backlogs, the independent check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer import check_plan, plan
from optimizer.domain import GigPool, PlanningProblem, Queue, ServiceTarget, Worker, Workforce
from optimizer.requirement import queue_needs
from optimizer.skills import (
    EMAIL_SCALE,
    email_backlog,
    email_missed,
    email_overdue,
    email_served,
    email_units,
    route,
)
from tests.conftest import DETERMINISTIC, MONDAY, TZ, demand_rows, make_contract, make_problem

TARGET = ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.0, max_occupancy=1.0)


def queued(rows, name):
    return tuple(r.model_copy(update={"queue": name}) for r in rows)


def three_queue_problem(
    *,
    days: int = 1,
    voice: float = 20.0,
    chat: float = 12.0,
    email: float = 10.0,
    gig: GigPool | None = None,
    order: str | None = None,
    max_age_h: float | None = None,
) -> PlanningProblem:
    """Phone, chat (concurrency 2) and e-mail (4 h window, worked in ``order``); phone-only, chat+e-mail and
    all-round people."""
    hours = lambda peak: lambda ts: peak if 9 <= ts.hour < 17 else 0.0  # noqa: E731
    rows = (
        queued(demand_rows(MONDAY, days, 60, hours(voice)), "phone")
        + queued(demand_rows(MONDAY, days, 60, hours(chat)), "chat")
        + queued(demand_rows(MONDAY, days, 60, hours(email), aht_s=600.0), "email")
    )
    contracts = (
        make_contract("phone", skills=("phone",)),
        make_contract("digital", skills=("chat", "email")),
        make_contract("all", cost_per_hour_cents=2300),
    )
    workers = [Worker(worker_id=f"p{i}", contract="phone") for i in range(3)]
    workers += [Worker(worker_id=f"d{i}", contract="digital") for i in range(3)]
    workers += [Worker(worker_id=f"a{i}", contract="all") for i in range(3)]
    return PlanningProblem(
        timezone=TZ,
        start_date=MONDAY,
        days=days,
        interval_min=60,
        demand=rows,
        queues=(
            Queue(name="phone", channel="voice"),
            Queue(name="chat", channel="chat", service_target=TARGET.model_copy(update={"concurrency": 2})),
            Queue(name="email", channel="email", window_h=4, order=order, max_age_h=max_age_h),
        ),
        service_target=TARGET,
        workforce=Workforce(contracts=contracts, workers=tuple(workers), gig_pool=gig),
    )


def test_route_covers_live_queues_first_and_keeps_email_skills_for_email():
    floor = np.array([[3, 3], [2, 0], [4, 4]])  # phone only, chat+email, all three
    skills = [frozenset({0}), frozenset({1, 2}), frozenset({0, 1, 2})]
    required = np.array([[5, 2], [3, 3], [0, 0]])
    routed = route(floor, skills, required, [False, False, True])
    assert (routed.sum(axis=1) == floor).all()  # everyone on the floor works a queue
    per_queue = routed.sum(axis=0)
    assert (per_queue[:2] >= required[:2]).all()
    assert per_queue[2, 0] == 1  # 9 people, 8 needed live: the one left works e-mail
    for g, s in enumerate(skills):
        assert all(routed[g, q].sum() == 0 for q in range(3) if q not in s)


def test_email_backlog_is_worked_first_come_first_served_within_its_window():
    done = email_backlog(np.array([2.0, 2.0, 0.0, 0.0, 0.0]), np.array([0, 1, 1, 1, 1]), window=2, order="first_come")
    # interval 0's work: 1 done in interval 1 (in time), 1 in interval 2 (late); interval 1's work late too
    assert done.share_within == pytest.approx(0.25)
    assert done.backlog.tolist() == [2.0, 3.0, 2.0, 1.0, 0.0]
    units = email_units(np.array([2.0, 2.0, 0.0, 0.0, 0.0]), window=2, share=1.0, order="first_come")
    assert units.arrived.tolist() == [200, 400, 400, 400, 400]
    assert units.goal == 400  # arrivals of intervals 0-3 fall due inside the horizon
    assert email_missed(units, np.array([0, 1, 1, 1, 1])) == 300  # as the first-come-first-served replay
    assert email_missed(units, np.array([0, 2, 2, 0, 0])) == 0
    half = email_units(np.array([2.0, 2.0, 0.0, 0.0, 0.0]), window=2, share=0.5, order="first_come")
    assert email_missed(half, np.array([0, 1, 1, 1, 1])) == 100


def test_email_worked_in_window_first_leaves_work_past_its_window_for_later():
    work, capacity = np.array([2.0, 2.0, 0.0, 0.0, 0.0]), np.array([0, 1, 1, 1, 1])
    done = email_backlog(work, capacity, window=2, order="in_window_first")
    # interval 1: one of interval 0's (in time); interval 2: interval 0's are late, interval 1's in time
    assert done.share_within == pytest.approx(0.5)
    assert done.backlog.tolist() == [2.0, 3.0, 2.0, 1.0, 0.0]  # the same work done, in another order
    assert done.late.tolist() == [0.0, 1.0, 2.0, 1.0, 0.0]
    units = email_units(work, window=2, share=1.0, order="in_window_first")
    assert email_missed(units, capacity) == 200
    _, served = email_served(units, capacity)
    assert served.tolist() == [[0, 100], [0, 100], [0, 0], [0, 0]]  # [arrival, interval of its window]


def _most_in_time(units, people) -> float:
    """Most work any order does within the windows: arrival a's work in intervals a..a+w-1 (an LP)."""
    sizes, w, due = units.sizes, units.window, units.due_arrivals
    cells = [(a, t) for a in range(due) for t in range(a, a + w)]
    rows = [[1.0 if a == b else 0.0 for b, _ in cells] for a in range(due)]
    rows += [[1.0 if t == u else 0.0 for _, u in cells] for t in range(len(sizes))]
    caps = [*sizes[:due], *(EMAIL_SCALE * np.asarray(people))]
    result = linprog(-np.ones(len(cells)), A_ub=rows, b_ub=caps, bounds=(0, None), method="highs")
    return -result.fun


def test_in_window_first_does_the_most_work_in_time_that_any_order_can():
    rng = np.random.default_rng(7)
    for _ in range(60):
        size = int(rng.integers(3, 12))
        work = rng.integers(0, 4, size) * rng.random(size)
        people = rng.integers(0, 3, size)
        window = int(rng.integers(1, 5))
        best = email_units(work, window, 0.9, order="in_window_first")
        if not best.due_arrivals:
            continue
        in_time = email_served(best, people)[1].sum()
        assert in_time == pytest.approx(_most_in_time(best, people))
        fcfs = email_units(work, window, 0.9, order="first_come")
        assert email_missed(best, people) <= email_missed(fcfs, people)
        shares = [email_backlog(work, people, window, o).share_within for o in ("in_window_first", "first_come")]
        assert shares[0] >= shares[1] - 1e-9
        aged = email_units(work, window, 0.9, max_age=window + 1)
        late = email_backlog(work, people, window, "in_window_first", window + 1).overdue
        assert late * EMAIL_SCALE == pytest.approx(email_overdue(aged, people), abs=1.0)  # KPI and model agree


def test_email_worked_in_window_first_plans_no_dearer_than_first_come_and_both_pass_the_check():
    results = {}
    for order in ("first_come", "in_window_first"):
        problem = three_queue_problem(voice=8.0, chat=4.0, email=14.0, order=order)
        results[order] = plan(problem, SHORT)  # first come stops at its limit: its bound is loose
        assert check_plan(problem, results[order]) == []
    fcfs, best = results["first_come"], results["in_window_first"]
    assert best.solver.objective_cents <= fcfs.solver.objective_cents
    # first come's LP keeps only the prefix rows, a relaxation of in-window first's transportation rows
    assert best.solver.lp_bound_cents >= fcfs.solver.lp_bound_cents
    email = next(k for k in best.kpis.queues if k.queue == "email")
    assert email.service_level >= 1.0 - 1e-9 or best.cost_terms_cents["email_missed_penalty"] > 0


def test_a_backlog_bound_is_planned_and_rechecked_in_either_order():
    for order in ("first_come", "in_window_first"):
        problem = three_queue_problem(voice=8.0, chat=4.0, email=14.0, order=order, max_age_h=6)
        result = plan(problem, SHORT)
        assert check_plan(problem, result) == []  # the objective's overdue term recounted from the routing
        email = next(k for k in result.kpis.queues if k.queue == "email")
        assert email.overdue_intervals == 0  # the day's people can keep the backlog within 6 h
        assert email.open_at_end_agent_hours is not None


def test_a_backlog_bound_shorter_than_the_window_is_refused_naming_both():
    with pytest.raises(ValueError, match="max_age_h 2 h is shorter than window_h 4 h"):
        Queue(name="email", channel="email", window_h=4, max_age_h=2)


def test_an_order_on_a_live_queue_is_refused_naming_it():
    with pytest.raises(ValueError, match="order applies to email queues only"):
        Queue(name="phone", channel="voice", order="first_come")


SHORT = DETERMINISTIC.model_copy(update={"time_limit_s": 4.0})
"""One worker and a seed, and a limit that a first-come e-mail day (loose bound) runs to."""


def test_a_three_queue_day_is_planned_per_queue_and_passes_the_independent_check():
    problem = three_queue_problem()
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    names = [k.queue for k in result.kpis.queues]
    assert names == ["phone", "chat", "email"]
    assert len(result.queue_coverage) == 24 * 3
    for need in queue_needs(problem):
        rows = [r for r in result.queue_coverage if r.queue == need.name]
        if need.live:
            assert all(r.scheduled >= r.required for r in rows)
            assert all(r.service_level >= 0.8 for r in rows if r.volume > 0)
    email = next(k for k in result.kpis.queues if k.queue == "email")
    assert email.service_level == pytest.approx(1.0)
    assert result.kpis.understaffed_intervals == 0
    assert result.cost_terms_cents["shortfall_penalty"] == 0
    assert result.cost_terms_cents["email_missed_penalty"] == 0
    phone_only = {s.worker_id for s in result.shifts if s.worker_id.startswith("p")}
    assert phone_only  # the cheaper single-skill contract is used


def test_a_queue_nobody_is_skilled_for_is_reported_unmet():
    base = three_queue_problem()
    contracts = tuple(c.model_copy(update={"skills": ("phone", "email")}) for c in base.workforce.contracts)
    problem = base.model_copy(update={"workforce": base.workforce.model_copy(update={"contracts": contracts})})
    result = plan(problem, DETERMINISTIC)
    assert check_plan(problem, result) == []
    chat = next(k for k in result.kpis.queues if k.queue == "chat")
    assert chat.understaffed_intervals == 8
    assert all(r.scheduled == 0 for r in result.queue_coverage if r.queue == "chat")
    assert problem.unskilled_queues() == ("chat",)


def test_gigs_work_only_their_skills_and_the_per_queue_cap():
    pool = GigPool(cost_per_hour_cents=2500, max_concurrent=20, skills=("chat",), max_per_queue={"chat": 2})
    problem = three_queue_problem(chat=60.0, gig=pool)
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    gigs = [s for s in result.shifts if s.kind == "gig"]
    assert gigs
    assert all(c.scheduled <= 9 + 2 for c in result.queue_coverage if c.queue == "chat")


def test_one_queue_problems_are_unchanged_by_the_queue_model():
    problem = make_problem(n_workers=4)
    result = plan(problem, DETERMINISTIC)
    assert result.queue_coverage == ()
    assert result.kpis.queues == ()
    assert "email_missed_penalty" not in result.cost_terms_cents


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: {"queues": p.queues[:2]}, "demand[48].queue"),
        (
            lambda p: {"workforce": p.workforce.model_copy(update={"contracts": (
                make_contract("phone", skills=("fax",)), *p.workforce.contracts[1:])})},
            "workforce.contracts[0].skills",
        ),
        (
            lambda p: {"queues": (*p.queues[:2], p.queues[2].model_copy(update={"window_h": 0.5}))},
            "queues[2].window_h",
        ),
        (lambda p: {"service_target": TARGET.model_copy(update={"scope": "horizon"})}, "service_target.scope"),
        (lambda p: {"demand": p.demand[:-1]}, "demand"),
    ],
)
def test_bad_queue_input_names_the_field(change, field):
    base = three_queue_problem()
    data = base.model_copy(update=change(base)).model_dump()
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        PlanningProblem.model_validate(data)


def test_an_email_queue_needs_a_window():
    with pytest.raises(ValueError, match="window_h is required"):
        Queue(name="mail", channel="email")
    with pytest.raises(ValueError, match="email queues only"):
        Queue(name="phone", window_h=2)


def test_an_email_backlog_is_worked_within_its_window_by_the_people_skilled_for_it():
    problem = three_queue_problem(voice=0.0, chat=0.0, email=30.0)
    result = plan(problem, DETERMINISTIC)
    assert check_plan(problem, result) == []
    email = [r for r in result.queue_coverage if r.queue == "email"]
    done = email_backlog(queue_needs(problem)[2].work, np.array([r.scheduled for r in email]), window=4)
    assert done.share_within == pytest.approx(1.0)
    assert not [s for s in result.shifts if s.worker_id.startswith("p")]  # phone-only people cannot help
    work = queue_needs(problem)[2].work
    late_start = [r.scheduled for r in email][: int(np.flatnonzero(work)[0])]
    assert sum(late_start) == 0  # no one works e-mail before any has arrived


def test_an_email_backlog_beyond_its_staff_is_planned_late_not_refused():
    """More e-mail than its skilled people can clear in a window: the plan says how much is late (no INFEASIBLE)."""
    problem = three_queue_problem(voice=0.0, chat=0.0, email=90.0)
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status.has_plan
    assert check_plan(problem, result) == []
    email = next(k for k in result.kpis.queues if k.queue == "email")
    assert email.service_level < 0.9
    assert result.cost_terms_cents["email_missed_penalty"] > 0


def test_an_email_backlog_too_big_for_the_skilled_people_is_planned_late_not_refused():
    base = three_queue_problem(voice=0.0, chat=0.0, email=40.0)
    workers = tuple(w for w in base.workforce.workers if w.worker_id == "d0")
    problem = base.model_copy(update={"workforce": base.workforce.model_copy(update={"workers": workers})})
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    assert result.cost_terms_cents["email_missed_penalty"] > 0
