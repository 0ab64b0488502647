"""A run without a plan says so and only so: exit 3, one line, no KPI lines, no plan files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

import scenarios.pipeline
from api.cli import main
from api.cli import replan as replan_cli
from api.cli._errors import EXIT_NO_PLAN
from optimizer.domain import Plan, PlanningProblem, SolveParams, SolveStatus
from optimizer.model import plan as real_plan
from tests.conftest import example_config, run_bad_cli


def _no_plan(problem: PlanningProblem, params: SolveParams | None = None, **kw: object) -> Plan:
    """What a solve that ran out of time before any solution returns (forced, so the test never depends on
    how fast the solver finds a first plan)."""
    solved = real_plan(problem, params, **kw)
    solver = solved.solver.model_copy(
        update={"status": SolveStatus.UNKNOWN, "objective_cents": None, "best_bound_cents": None, "gap_ratio": None}
    )
    return solved.model_copy(update={"solver": solver, "shifts": (), "cost_terms_cents": {}})


@pytest.fixture
def short_config(tmp_path):
    cfg = example_config()
    cfg["days"] = 1
    cfg["forecast"]["model"] = "seasonal_naive"
    cfg["solve"] = {"time_limit_s": 5, "num_workers": 1, "random_seed": 3}
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_plan_without_a_solution_prints_one_line_exits_3_and_writes_nothing(
    short_config, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(scenarios.pipeline, "plan", _no_plan)
    out = tmp_path / "o"
    code = main(["plan", "--config", str(short_config), "--out", str(out), "--time-limit-s", "0.01"])
    captured = capsys.readouterr()
    assert code == EXIT_NO_PLAN == 3
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("shiftmix: error: no plan found (solver status UNKNOWN")
    assert "raise --time-limit-s" in lines[0]
    assert "0.01 s" in lines[0]
    assert not out.exists()


def test_plan_of_a_solution_still_writes_files_and_summary(short_config, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["plan", "--config", str(short_config), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "service " in printed
    assert {p.name for p in out.iterdir()} == {"schedule.csv", "coverage.csv", "unmet.csv", "people.csv", "plan.json"}


def test_replan_without_a_solution_exits_3_and_writes_nothing(short_config, tmp_path, capsys, monkeypatch):
    published = tmp_path / "pub"
    assert main(["plan", "--config", str(short_config), "--out", str(published)]) == 0
    doc = json.loads((published / "plan.json").read_text())
    day = dt.date.fromisoformat(doc["problem"]["start_date"])
    capsys.readouterr()
    real_solve = replan_cli.replan

    def no_replan(*args: object, **kw: object):
        result = real_solve(*args, **kw)
        return result.model_copy(update={"plan": _force_unknown(result.plan)})

    monkeypatch.setattr(replan_cli, "replan", no_replan)
    out = tmp_path / "re"
    argv = ["replan", "--plan", str(published / "plan.json"), "--uplift", f"+40% {day}T10:00/{day}T14:00"]
    code = main([*argv, "--now", f"{day}T07:00+01:00", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == EXIT_NO_PLAN
    assert captured.out == ""
    assert captured.err.strip().startswith("shiftmix: error: no re-plan found (solver status UNKNOWN")
    assert not out.exists()


def _force_unknown(solved: Plan) -> Plan:
    update = {"status": SolveStatus.UNKNOWN, "objective_cents": None, "gap_ratio": None}
    solver = solved.solver.model_copy(update=update)
    return solved.model_copy(update={"solver": solver})


def test_replan_writes_unmet_csv_and_names_the_intervals_still_short(short_config, tmp_path, capsys):
    cfg = yaml.safe_load(short_config.read_text())
    cfg["gig_pool"]["max_concurrent"] = 1
    short_config.write_text(yaml.safe_dump(cfg))
    published = tmp_path / "pub"
    assert main(["plan", "--config", str(short_config), "--out", str(published)]) == 0
    doc = json.loads((published / "plan.json").read_text())
    day = dt.date.fromisoformat(doc["problem"]["start_date"])
    capsys.readouterr()
    out = tmp_path / "re"
    argv = ["replan", "--plan", str(published / "plan.json"), "--uplift", f"+300% {day}T10:00/{day}T14:00"]
    assert main([*argv, "--now", f"{day}T07:00+01:00", "--out", str(out), "--time-limit-s", "10"]) == 0
    printed = capsys.readouterr().out
    unmet = (out / "unmet.csv").read_text().splitlines()
    assert unmet[0].startswith("start,end,intervals,most_short")
    assert len(unmet) > 1, "a 4x peak with one gig at a time must leave intervals short"
    shortfall = next(line for line in printed.splitlines() if line.startswith("shortfall"))
    assert f"{day} 1" in shortfall
    assert "(unmet.csv)" in shortfall


def test_gap_note_names_a_gap_above_the_requested_one():
    solver = {
        "status": "FEASIBLE",
        "objective_cents": 1000,
        "best_bound_cents": 700,
        "gap_ratio": 0.3,
        "wall_time_s": 5.0,
        "params": SolveParams(time_limit_s=5, relative_gap=0.01).model_dump(),
        "solver_version": "x",
    }
    base = {
        "inputs_digest": "d",
        "software_version": "v",
        "timezone": "UTC",
        "interval_min": 60,
        "cost_terms_cents": {},
        "kpis": {
            "total_cost_cents": 0, "fte_cost_cents": 0, "gig_cost_cents": 0, "fte_hours": 0, "gig_hours": 0,
            "gig_shifts": 0, "service_level": 1, "asa_s": 0, "shortfall_agent_hours": 0, "understaffed_intervals": 0,
        },  # fmt: skip
        "shifts": (),
        "coverage": (),
    }
    loose = Plan.model_validate({**base, "solver": solver})
    assert loose.found
    note = loose.gap_note()
    assert note is not None
    assert "30.0%" in note
    assert "relative_gap 1.0%" in note
    tight = Plan.model_validate({**base, "solver": {**solver, "gap_ratio": 0.005}})
    assert tight.gap_note() is None
    none = Plan.model_validate({**base, "solver": {**solver, "status": "UNKNOWN", "objective_cents": None}})
    assert not none.found
    assert none.gap_note() is None


def test_summary_names_the_currency_and_why_the_objective_exceeds_the_cost(short_config, tmp_path, capsys):
    cfg = yaml.safe_load(short_config.read_text())
    cfg["currency"] = "EUR"
    cfg["gig_pool"]["max_concurrent"] = 1
    cfg["staff"] = [{"contract": "ft40", "count": 3, "id_prefix": "ft"}]
    short_config.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "o"
    assert main(["plan", "--config", str(short_config), "--out", str(out)]) == 0
    lines = {line[:12].strip(): line for line in capsys.readouterr().out.splitlines()}
    assert " EUR total = FTE " in lines["cost"]
    assert "(= cost + shortfall_penalty " in lines["solver"], lines["solver"]
    assert json.loads((out / "plan.json").read_text())["currency"] == "EUR"


def test_currency_must_be_an_iso_code(short_config, tmp_path, capsys):
    cfg = yaml.safe_load(short_config.read_text())
    cfg["currency"] = "kr"
    short_config.write_text(yaml.safe_dump(cfg))
    line = run_bad_cli(capsys, ["plan", "--config", str(short_config), "--out", str(tmp_path / "o")])
    assert line.startswith("shiftmix: error: currency: String should match pattern")
