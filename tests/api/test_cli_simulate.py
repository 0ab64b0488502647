"""`shiftmix simulate`: simulate a published plan, write simulation.csv, name intervals at risk; reject bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from api.cli import main
from optimizer import plan as solve
from optimizer.simulation import QUEUE_SIMULATION_COLUMNS, SIMULATION_COLUMNS
from tests.conftest import DETERMINISTIC, make_problem, run_bad_cli
from tests.optimizer.test_queues import three_queue_problem


def publish(problem, folder):
    """Solve ``problem`` and write plan.json as ``shiftmix plan`` writes it (plan + problem)."""
    result = solve(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    path = folder / "plan.json"
    document = {"plan": result.model_dump(mode="json"), "problem": problem.model_dump(mode="json")}
    path.write_text(json.dumps(document))
    return path, result


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A solved one-day plan."""
    return publish(make_problem(n_workers=4), tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="module")
def several(tmp_path_factory):
    """A solved phone + chat + e-mail day."""
    return publish(three_queue_problem(), tmp_path_factory.mktemp("several"))


def test_simulate_writes_the_csv_and_a_summary_naming_intervals_at_risk(published, tmp_path, capsys):
    path, result = published
    argv = ["simulate", "--plan", str(path), "--out", str(tmp_path), "--reps", "40", "--seed", "3"]
    assert main([*argv, "--risk-below", "0.99"]) == 0
    out = capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "simulation.csv")
    assert tuple(frame.columns) == SIMULATION_COLUMNS
    assert len(frame) == len(result.coverage)
    assert list(frame["scheduled"]) == [r.scheduled for r in result.coverage]
    assert "40 replications, arrivals: forecast" in out
    assert f"the plan claims {result.kpis.service_level:.1%}" in out
    assert "horizon      level >= 80% in " in out  # an interval-scope plan models no horizon probability
    assert "the plan models" not in out
    risky = frame[frame["at_risk"]]
    assert len(risky) > 0
    first = pd.Timestamp(risky.sort_values("p_meet").iloc[0]["interval_start"])
    assert f"at risk      {first:%Y-%m-%d %H:%M} P(meet)" in out
    assert main(argv) == 0
    again = pd.read_csv(tmp_path / "simulation.csv")
    pd.testing.assert_frame_equal(frame.drop(columns="at_risk"), again.drop(columns="at_risk"))


def test_simulate_replays_contacts(published, tmp_path, capsys):
    path, result = published
    start = result.coverage[9].interval_start
    rows = [f"{(start + pd.Timedelta(seconds=30 * i)).isoformat()},240" for i in range(40)]
    rows.append("2030-01-01T00:00:00+01:00,240")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("arrival,handle_s\n" + "\n".join(rows) + "\n")
    assert main(["simulate", "--plan", str(path), "--contacts", str(contacts), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 replications, arrivals: replay" in out
    assert "1 replayed contacts outside the horizon were ignored" in out
    assert "contacts     41 in the file; handle time mean 240 s, CV 0.00" in out
    frame = pd.read_csv(tmp_path / "simulation.csv")
    assert frame["contacts"].sum() == 40


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--reps", "0"], "shiftmix: error: --reps: Input should be greater than or equal to 1"),
        (["--handle-cv", "-1"], "shiftmix: error: --handle-cv: Input should be greater than 0"),
        (["--risk-below", "1.5"], "shiftmix: error: --risk-below: Input should be less than 1"),
        (
            ["--horizon-volume-cv", "-0.1"],
            "shiftmix: error: --horizon-volume-cv: Input should be greater than or equal to 0",
        ),
    ],
)
def test_bad_flags_name_the_flag(published, tmp_path, capsys, extra, expected):
    path, _ = published
    line = run_bad_cli(capsys, ["simulate", "--plan", str(path), "--out", str(tmp_path), *extra])
    assert line == expected


def test_bad_files_name_the_input(published, tmp_path, capsys):
    path, _ = published
    line = run_bad_cli(capsys, ["simulate", "--plan", str(tmp_path / "none.json"), "--out", str(tmp_path)])
    assert line.startswith("shiftmix: error: --plan: file")
    bad = tmp_path / "contacts.csv"
    bad.write_text("arrival,handle_s\nyesterday,100\n")
    line = run_bad_cli(capsys, ["simulate", "--plan", str(path), "--contacts", str(bad), "--out", str(tmp_path)])
    assert line.startswith("shiftmix: error: contacts.arrival[row 0]: is not an ISO 8601 time")


def test_a_several_queue_plan_is_simulated_per_queue_beside_the_plans_figures(several, tmp_path, capsys):
    path, result = several
    argv = ["simulate", "--plan", str(path), "--out", str(tmp_path), "--reps", "60", "--volumes", "poisson"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "simulation.csv")
    assert tuple(frame.columns) == QUEUE_SIMULATION_COLUMNS
    assert len(frame) == len(result.queue_coverage)
    assert list(frame["scheduled"]) == [r.scheduled for r in result.queue_coverage]
    assert "60 replications, arrivals: poisson; e-mail worked as planned" in out
    lines = {line.split(":")[0]: line for line in out.splitlines() if line.startswith("queue ")}
    assert list(lines) == ["queue phone", "queue chat", "queue email"]
    phone = next(k for k in result.kpis.queues if k.queue == "phone")
    assert lines["queue phone"].endswith(
        f" vs plan {100 * phone.service_level:.1f}% at the forecast, {100 * phone.expected_service_level:.1f}% expected"
    )
    email = next(k for k in result.kpis.queues if k.queue == "email")
    assert lines["queue email"].endswith(
        f"vs plan 100.0% at the forecast, {100 * email.expected_service_level:.1f}% expected, handled within 4 h"
    )
    assert main([*argv, "--email", "when_idle"]) == 0
    assert "e-mail worked when idle" in capsys.readouterr().out


def test_contacts_cannot_be_replayed_through_several_queues(several, tmp_path, capsys):
    path, _ = several
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("arrival,handle_s\n2026-11-30T09:00:00+01:00,100\n")
    line = run_bad_cli(capsys, ["simulate", "--plan", str(path), "--contacts", str(contacts), "--out", str(tmp_path)])
    assert line == "shiftmix: error: --contacts: replays one queue; this plan has several (phone, chat, email)"
