"""Several queues simulated with skills: one queue as before, a plan's day against its model, skills kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import plan
from optimizer.domain import PlanningProblem, Queue, ServiceTarget
from optimizer.errors import InputError
from optimizer.simulation import SimulationOptions, simulate_plan, simulate_queue_floor, simulate_queue_plan
from tests.conftest import DETERMINISTIC, make_problem, office_hours
from tests.optimizer.test_queues import three_queue_problem

POISSON = SimulationOptions(reps=400, seed=3, volumes="poisson")


def one_queue(channel: str, target: ServiceTarget) -> tuple[PlanningProblem, PlanningProblem]:
    single = make_problem(n_workers=8, volume=office_hours(40.0), target=target)
    rows = tuple(d.model_copy(update={"queue": "main"}) for d in single.demand)
    data = single.model_dump() | {"queues": [Queue(name="main", channel=channel).model_dump()]}
    queued = PlanningProblem.model_validate(data | {"demand": [r.model_dump() for r in rows]})
    return single, queued


@pytest.mark.parametrize(
    ("channel", "target"),
    [
        ("voice", ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.2, handle_cv=1.3)),
        ("voice", ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.2, patience_s=120.0)),
        ("chat", ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.2, concurrency=2)),
    ],
)
def test_one_queue_as_a_single_queue_simulates_as_the_one_queue_simulator(channel, target):
    single, queued = one_queue(channel, target)
    result = plan(queued, DETERMINISTIC)
    several = simulate_queue_plan(queued, result, POISSON)
    one = simulate_plan(single, result, POISSON.model_copy(update={"seed": 4}))
    mine = several.queue("main").result
    assert mine.service_level == pytest.approx(one.service_level, abs=0.01)
    assert several.service_level == pytest.approx(mine.service_level)
    assert (mine.intervals["agents"] == one.intervals["agents"]).all()
    loaded = one.intervals["volume"] > 0
    gap = (mine.intervals["service_level"] - one.intervals["service_level"])[loaded].abs()
    assert gap.mean() < 0.02


@pytest.fixture(scope="module")
def day():
    problem = three_queue_problem()
    return problem, plan(problem, DETERMINISTIC)


def test_a_three_queue_day_worked_as_planned_meets_the_plans_levels(day):
    problem, result = day
    sim = simulate_queue_plan(problem, result, POISSON)  # e-mail as planned, the default
    claimed = {k.queue: k.service_level for k in result.kpis.queues}
    # measured (400 reps): phone 91.6 % vs 91.2 %, chat 99.0 % vs 96.4 % (pooled skills help), e-mail 95.9 %
    for name in ("phone", "chat"):
        q = sim.queue(name)
        assert q.plan_service_level == claimed[name]
        assert q.result.service_level == pytest.approx(claimed[name], abs=0.03)
        assert q.result.service_level_low < q.result.service_level < q.result.service_level_high
    # the plan's e-mail capacity is just enough for the forecast backlog, so random arrivals make some late
    assert claimed["email"] == pytest.approx(1.0)
    assert 0.9 < sim.queue("email").result.service_level < 1.0


def test_a_three_queue_plan_expects_per_queue_what_an_independent_simulation_finds(day):
    """The plan's expected level per queue (its own 64-replication skill-routed simulation with the forecast's
    error) against 400 replications with another seed: within 2 points on the live queues (3 on this one day's
    e-mail), where the level at the forecast misses chat's pooling gain by 2."""
    from optimizer.simulation.queues import EXPECTED_REPS, EXPECTED_SEED, expected_queue_levels

    problem, result = day
    expected = {k.queue: k.expected_service_level for k in result.kpis.queues}
    assert set(expected) == {"phone", "chat", "email"}
    assert all(v is not None and 0.0 < v <= 1.0 for v in expected.values())
    found = expected_queue_levels(problem, result)  # the same draws: the same figures
    assert found is not None
    levels, pooled = found
    assert {q: round(v, 4) for q, v in levels.items()} == expected
    assert result.kpis.expected_service_level == round(pooled, 4)
    check = SimulationOptions(reps=400, seed=EXPECTED_SEED + 1)
    assert check.reps > EXPECTED_REPS
    sim = simulate_queue_plan(problem, result, check)
    for name, level in expected.items():
        assert sim.queue(name).plan_expected_level == level
        # a one-day e-mail backlog's share in time varies most between replicated days (SD ~1 point at 64)
        assert sim.queue(name).result.service_level == pytest.approx(level, abs=0.03 if name == "email" else 0.02)
    assert sim.service_level == pytest.approx(result.kpis.expected_service_level, abs=0.02)


def test_a_large_weeks_expected_levels_draw_fewer_replications_down_to_a_floor():
    from optimizer.simulation.queues import EXPECTED_CONTACT_REPS, EXPECTED_REPS, MIN_EXPECTED_REPS, expected_reps

    assert expected_reps(12_300) == EXPECTED_REPS  # the bundled several-queue week: all of them
    assert expected_reps(EXPECTED_CONTACT_REPS / 20) == 20
    assert expected_reps(93_000) == MIN_EXPECTED_REPS  # the week scaled to 500 people
    assert expected_reps(0) == EXPECTED_REPS


def test_past_its_contact_budget_a_plan_leaves_its_expected_levels_null(day, monkeypatch):
    import importlib

    queues = importlib.import_module("optimizer.simulation.queues")
    problem, _ = day
    monkeypatch.setattr(queues, "MAX_EXPECTED_CONTACTS", 100)  # the day has 336 contacts
    result = plan(problem, DETERMINISTIC)
    assert result.kpis.queues
    assert all(k.expected_service_level is None for k in result.kpis.queues)
    assert result.kpis.expected_service_level is None


def test_a_three_queue_day_with_e_mail_worked_whenever_idle_hands_waits_to_the_live_queues(day):
    problem, result = day
    sim = simulate_queue_plan(problem, result, POISSON.model_copy(update={"email": "when_idle"}))
    claimed = {k.queue: k.service_level for k in result.kpis.queues}
    assert sim.queue("email").result.service_level == pytest.approx(1.0)
    # measured (400 reps): phone 86.1 % vs 91.2 %, chat 88.5 % vs 96.4 %: a blended agent on a 10-minute
    # e-mail is not there for the next call or chat, which the plan's separate queues do not see
    for name in ("phone", "chat"):
        simulated = sim.queue(name).result.service_level
        assert claimed[name] - 0.09 < simulated < claimed[name] - 0.03
    rows = sim.frame()
    assert len(rows) == 24 * 3
    assert list(rows["queue"].iloc[:3]) == ["phone", "chat", "email"]
    loaded = rows[(rows["channel"] != "email") & (rows["volume"] > 0)]
    assert loaded["plan_service_level"].notna().all()


def test_contacts_are_handled_only_by_people_skilled_for_their_queue(day):
    problem, result = day
    sim = simulate_queue_plan(problem, result, SimulationOptions(reps=50, seed=5))
    by = sim.handled_by
    assert set(by.columns) == {"phone", "chat+email", "phone+chat+email"}
    assert by.loc["chat", "phone"] == 0.0
    assert by.loc["email", "phone"] == 0.0
    assert by.loc["phone", "chat+email"] == 0.0
    assert (by.loc["chat"] > 0).sum() == 2  # both chat-skilled sets did take chats
    volume = {k.queue: k.volume for k in result.kpis.queues}
    assert by.loc["phone"].sum() == pytest.approx(volume["phone"], rel=0.1)
    assert sim.summary().queues[1].handled_by["phone"] == 0.0


def test_a_one_queue_plan_or_a_plan_of_another_problem_is_refused(day):
    problem, result = day
    with pytest.raises(InputError, match="problem.queues"):
        simulate_queue_plan(make_problem(), result)
    other = three_queue_problem(days=2)
    with pytest.raises(InputError, match="plan.queue_coverage"):
        simulate_queue_plan(other, result)


def _with_primary(problem: PlanningProblem, contract: str, primary: tuple[str, ...]) -> PlanningProblem:
    workforce = problem.workforce
    contracts = tuple(
        c.model_copy(update={"primary_skills": primary}) if c.name == contract else c for c in workforce.contracts
    )
    return problem.model_copy(update={"workforce": workforce.model_copy(update={"contracts": contracts})})


def test_primary_skills_put_a_groups_own_queue_first(day):
    problem, result = day
    first = _with_primary(problem, "all", ("phone",))
    idle = POISSON.model_copy(update={"email": "when_idle"})  # no e-mail cap: priority alone moves the work
    plain = simulate_queue_plan(problem, result, idle)
    phone_first = simulate_queue_plan(first, result, idle)
    # the same arrivals (same seed); all-round people now answer waiting calls before chats and e-mail
    label = "phone+chat+email (phone first)"
    assert label in phone_first.handled_by.columns
    assert "phone+chat+email" not in phone_first.handled_by.columns
    assert phone_first.handled_by.loc["phone", label] > plain.handled_by.loc["phone", "phone+chat+email"]
    assert phone_first.handled_by.loc["email", label] < plain.handled_by.loc["email", "phone+chat+email"]
    assert phone_first.queue("phone").result.service_level >= plain.queue("phone").result.service_level
    # e-mail first for the chat+e-mail people: they take the backlog before chats
    mail_first = simulate_queue_plan(_with_primary(problem, "digital", ("email",)), result, idle)
    assert mail_first.queue("email").result.service_level >= plain.queue("email").result.service_level
    assert mail_first.queue("chat").result.service_level <= plain.queue("chat").result.service_level


@pytest.mark.parametrize(
    ("primary", "message"),
    [(("phone",), "not among the worker's skills"), (("fax",), "not among the queues")],
)
def test_primary_skills_outside_the_skills_or_the_queues_name_the_field(day, primary, message):
    problem, _ = day
    data = problem.model_dump()
    data["workforce"]["contracts"][1]["primary_skills"] = list(primary)  # the chat+e-mail contract
    with pytest.raises(ValueError, match=r"primary_skills") as caught:
        PlanningProblem.model_validate(data)
    assert message in str(caught.value)


def test_a_floor_without_the_plans_people_per_queue_needs_the_e_mail_rule_named():
    index = pd.date_range("2026-03-02 08:00", periods=4, freq="30min", tz="Europe/Stockholm", name="interval_start")
    frame = pd.DataFrame({"volume": [10.0] * 4, "aht_s": [300.0] * 4}, index=index)
    queues = [Queue(name="phone", channel="voice"), Queue(name="email", channel="email", window_h=4)]
    args = (queues, [frame, frame], [["phone", "email"]], np.full((1, 4), 4, dtype=np.int64))
    kwargs = {"target": ServiceTarget(), "interval_min": 30}
    # as planned (the default) caps e-mail at the plan's people on it, which a bare floor does not have
    with pytest.raises(InputError, match="'as_planned' \\(the default\\) needs the plan's people per queue"):
        simulate_queue_floor(*args, SimulationOptions(reps=5, seed=1), **kwargs)
    idle = simulate_queue_floor(*args, SimulationOptions(reps=5, seed=1, email="when_idle"), **kwargs)
    assert idle.queue("email").result.service_level > 0.9
