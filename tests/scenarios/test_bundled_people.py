"""The bundled week's people: what honouring wishes costs, how evenly weekends are shared, and change requests."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from api.cli import main
from optimizer import check_plan, plan
from optimizer.change_check import check_change
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.domain.changes import ShiftRef, SwapRequest, TimeOffRequest
from optimizer.errors import InputError
from optimizer.export import fairness_spreads
from scenarios.derive import prepare_scenario
from scenarios.pipeline import run_plan
from scenarios.scenario import Scenario
from scenarios.spec import PlanConfig, load_example
from tests.conftest import example_config, run_bad_cli

PARAMS = SolveParams(time_limit_s=20.0, num_workers=1, random_seed=0, relative_gap=0.001)


def _without(problem: PlanningProblem, *, preferences: bool, fairness: bool) -> PlanningProblem:
    wf = problem.workforce
    contracts = wf.contracts if fairness else tuple(c.model_copy(update={"fairness": None}) for c in wf.contracts)
    wf = wf.model_copy(update={"contracts": contracts, "preferences": wf.preferences if preferences else ()})
    return problem.model_copy(update={"workforce": wf})


@pytest.fixture(scope="module")
def bundled() -> dict[str, tuple[PlanningProblem, Plan]]:
    config, folder = load_example()
    problem = run_plan(config, folder, PARAMS.model_copy(update={"time_limit_s": 1.0})).problem
    out = {}
    for name, prefs, fair in (("all", True, True), ("no_preferences", False, True), ("no_fairness", True, False)):
        variant = _without(problem, preferences=prefs, fairness=fair)
        out[name] = (variant, plan(variant, PARAMS))
    return out


def test_the_bundled_week_honours_its_wishes_for_what_the_priced_term_says(bundled):
    problem, honoured = bundled["all"]
    _, without = bundled["no_preferences"]
    assert check_plan(problem, honoured) == []
    assert problem.workforce.preferences
    extra = honoured.kpis.total_cost_cents - without.kpis.total_cost_cents
    assert extra <= 0.02 * without.kpis.total_cost_cents
    penalty = honoured.cost_terms_cents["preference_penalty"]
    assert honoured.solver.objective_cents == honoured.kpis.total_cost_cents + penalty
    assert sum(p.preference_penalty_cents for p in honoured.people) == penalty
    assert sum(p.preferences_met for p in honoured.people) == len(problem.workforce.preferences)


def test_fairness_shares_the_bundled_weeks_weekends_within_one_day_per_contract(bundled):
    _, fair = bundled["all"]
    _, unfair = bundled["no_fairness"]
    with_it, without_it = fairness_spreads(fair), fairness_spreads(unfair)
    assert all(s["weekend_days"] <= 1 for s in with_it.values())
    assert sum(s["weekend_days"] for s in with_it.values()) < sum(s["weekend_days"] for s in without_it.values())
    assert fair.kpis.total_cost_cents == unfair.kpis.total_cost_cents


# ---- change requests against the published bundled week ---------------------------------------------------


def _starts(problem: PlanningProblem, published: Plan) -> dict[str, dict[dt.date, tuple[dt.datetime, dt.datetime]]]:
    zone = ZoneInfo(problem.timezone)
    out: dict[str, dict[dt.date, tuple[dt.datetime, dt.datetime]]] = {}
    for s in published.shifts:
        if s.kind == "fte":
            start = s.start.astimezone(zone)
            out.setdefault(s.worker_id, {})[start.date()] = (start, s.end.astimezone(zone))
    return out


def _rest_breaking_swap(problem: PlanningProblem, published: Plan) -> SwapRequest:
    """Return a same-day swap between two ft40 people that leaves the first less than 11 h rest (found by time)."""
    shifts = _starts(problem, published)
    people = sorted(w for w in shifts if w.startswith("ft-"))
    for a, b in itertools.permutations(people, 2):
        for day, (b_start, _) in sorted(shifts[b].items()):
            before = shifts[a].get(day - dt.timedelta(days=1))
            if day in shifts[a] and before is not None and b_start - before[1] < dt.timedelta(hours=11):
                return SwapRequest(first=ShiftRef(worker_id=a, date=day), second=ShiftRef(worker_id=b, date=day))
    raise AssertionError("the bundled plan has no rest-breaking swap")


def test_a_swap_that_breaks_rest_is_refused_with_the_rule_named(bundled):
    problem, published = bundled["all"]
    swap = _rest_breaking_swap(problem, published)
    answer, _, changed = check_change(problem, published, swap)
    assert not answer.accepted
    assert "rest" in {f.rule for f in answer.findings}
    assert any(f.where.startswith(swap.first.worker_id) for f in answer.findings if f.rule == "rest")
    assert answer.cost_delta_cents == 0
    assert changed.kpis.total_cost_cents == published.kpis.total_cost_cents


def test_a_swap_between_two_free_people_of_one_contract_is_accepted_and_changes_no_cost(bundled):
    problem, published = bundled["all"]
    shifts = _starts(problem, published)
    # two ft40 people with shifts on the same day and nothing around it that rest could break
    for a, b in itertools.combinations(sorted(w for w in shifts if w.startswith("ft-")), 2):
        common = sorted(set(shifts[a]) & set(shifts[b]))
        for day in common:
            swap = SwapRequest(first=ShiftRef(worker_id=a, date=day), second=ShiftRef(worker_id=b, date=day))
            answer, changed_problem, changed = check_change(problem, published, swap)
            if answer.accepted:
                assert answer.cost_delta_cents == answer.shortfall_delta_agent_hours == 0
                assert check_plan(changed_problem, changed) == []
                return
    raise AssertionError("no same-day swap between ft40 people was accepted")


def test_time_off_that_leaves_a_gap_is_refused_with_the_coverage_delta(bundled):
    problem, published = bundled["all"]
    worker = "ft-005"
    day, (start, end) = min(_starts(problem, published)[worker].items())
    answer, changed_problem, changed = check_change(
        problem, published, TimeOffRequest(worker_id=worker, start=start, end=end)
    )
    assert worker not in {s.worker_id for s in changed.shifts if s.start.date() == day}
    assert changed_problem.workforce.workers[4].time_off[-1].start == start
    hours = next(s.paid_minutes for s in published.shifts if s.worker_id == worker and s.start == start) / 60
    assert answer.cost_delta_cents == -round(hours * 3200)
    # the week is staffed tight: the lost shift leaves intervals short (time off lowers the weekly minimum, so
    # the contract's hours still hold)
    assert answer.understaffed_intervals_delta > 0
    assert answer.shortfall_delta_agent_hours > 0
    assert not answer.accepted
    assert {f.rule for f in answer.findings} == {"coverage_target"}


def test_a_swap_between_incompatible_contracts_is_bad_input_naming_swap(bundled):
    problem, published = bundled["all"]
    shifts = _starts(problem, published)
    day = sorted(set(shifts["ft-001"]) & set(shifts["fx-001"]))[0]
    swap = SwapRequest(first=ShiftRef(worker_id="ft-001", date=day), second=ShiftRef(worker_id="fx-001", date=day))
    with pytest.raises(InputError) as err:
        check_change(problem, published, swap)
    assert err.value.field == "swap"
    assert "flex20 cannot take a 510-minute shift" in err.value.problem


@pytest.fixture(scope="module")
def plan_file(bundled, tmp_path_factory) -> Path:
    problem, published = bundled["all"]
    path = tmp_path_factory.mktemp("published") / "plan.json"
    document = {
        "currency": "SEK",
        "plan": published.model_dump(mode="json"),
        "problem": problem.model_dump(mode="json"),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_cli_refuses_a_rest_breaking_swap_and_names_the_rule(bundled, plan_file, capsys):
    problem, published = bundled["all"]
    swap = _rest_breaking_swap(problem, published)
    text = f"{swap.first.worker_id}:{swap.first.date},{swap.second.worker_id}:{swap.second.date}"
    assert main(["check-change", "--plan", str(plan_file), "--swap", text]) == 1
    out = capsys.readouterr().out
    assert "refused: breaks rest" in out
    assert f"finding      rest at {swap.first.worker_id}" in out


def test_cli_applies_an_accepted_change_as_the_next_version_with_its_audit(bundled, plan_file, tmp_path, capsys):
    problem, published = bundled["all"]
    shifts = _starts(problem, published)
    worker = "fx-003"
    day = sorted(shifts[worker])[0]
    free = next(d for d in (day + dt.timedelta(days=n) for n in range(7)) if d not in shifts[worker])
    off = f"{worker}:{free.isoformat()}/{(free + dt.timedelta(days=1)).isoformat()}"
    argv = [
        "check-change",
        "--plan",
        str(plan_file),
        "--time-off",
        off,
        "--apply",
        "--out",
        str(tmp_path),
        "--by",
        "kim",
    ]
    assert main(argv) == 0
    assert "accepted" in capsys.readouterr().out
    document = json.loads((tmp_path / "plan.json").read_text())
    assert document["version"] == 2
    (entry,) = document["changes"]
    assert (entry["by"], entry["change"]["kind"], entry["change"]["worker_id"]) == ("kim", "time_off", worker)
    changed_problem = PlanningProblem.model_validate(document["problem"])
    (person,) = [w for w in changed_problem.workforce.workers if w.worker_id == worker]
    assert [t.start.date() for t in person.time_off] == [free]
    # the new version reports its expected level, recounted on its floor (time off on a day without a shift:
    # the same floor, the same level)
    assert document["plan"]["kpis"]["expected_service_level"] == published.kpis.expected_service_level


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--swap", "ft-001:2026-12-01", "--swap"),
        ("--swap", "ft-001:2026-12-01,ghost:2026-12-01", "swap.second.worker_id"),
        ("--swap", "ft-001:2026-12-01,ft-002:tomorrow", "--swap.second.date"),
        ("--time-off", "ft-001:2026-12-02/2026-12-01", "--time-off"),
        ("--time-off", "ghost:2026-12-01/2026-12-02", "time_off.worker_id"),
    ],
)
def test_cli_bad_change_input_exits_2_naming_the_field(plan_file, capsys, flag, value, field):
    line = run_bad_cli(capsys, ["check-change", "--plan", str(plan_file), flag, value])
    assert line.startswith(f"shiftmix: error: {field}")


# ---- what-ifs that reshape the staff -----------------------------------------------------------------------


def test_a_what_if_that_removes_people_takes_their_wishes_with_them():
    scenario = Scenario.model_validate(
        {
            "title": "cut",
            "base_config": "bundled:example.yaml",
            "base_overrides": {"staff": [{"contract": "ft40", "count": 2, "id_prefix": "ft"}]},
            "variations": [{"name": "one", "staff_counts": {"ft": 1}}],
        }
    )
    prepared = prepare_scenario(scenario, Path.cwd())
    base, one = (r.config for r in prepared.runs)
    assert {p.worker_id for p in base.preferences} == {"ft-001", "ft-002"}
    assert {p.worker_id for p in one.preferences} == {"ft-001"}


def test_a_config_naming_an_unknown_worker_is_still_refused():
    config, _ = load_example()
    data = config.model_dump(mode="json")
    data["preferences"] = [{"worker_id": "nobody", "day": "mon"}]
    with pytest.raises(ValidationError, match=r"preferences\[0\]\.worker_id 'nobody' is not one of the workers"):
        PlanConfig.model_validate(data).workforce()


@pytest.mark.parametrize(
    ("preference", "field"),
    [
        ({"worker_id": "ft-001", "day": "mon", "weight": float("inf")}, "preferences[0].weight"),
        ({"worker_id": "ft-001", "day": "mon", "weight": -0.5}, "preferences[0].weight"),
        ({"worker_id": "ghost", "day": "mon"}, "preferences[0].worker_id 'ghost' is not one of the workers"),
    ],
)
def test_cli_bad_preference_exits_2_naming_the_field(tmp_path, capsys, preference, field):
    cfg = example_config()
    cfg["preferences"] = [preference]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    line = run_bad_cli(capsys, ["plan", "--config", str(path), "--out", str(tmp_path / "out")])
    assert field in line
