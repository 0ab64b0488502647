"""The several-queue example end to end: a config with queues and skills, a demand file with a queue column."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from api.cli import main
from scenarios.spec import example_config_path
from tests.conftest import run_bad_cli

BUNDLED = example_config_path().parent


def _config(tmp_path, demand_path, days=1):
    cfg = yaml.safe_load((BUNDLED / "multiskill.yaml").read_text())
    cfg.pop("history")
    cfg["demand"] = str(demand_path)
    cfg["start_date"] = "2026-11-30"
    cfg["days"] = days
    cfg["solve"] = {"time_limit_s": 20, "num_workers": 1, "random_seed": 1, "relative_gap": 0.01}
    path = tmp_path / "multi.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def demand_file(tmp_path_factory):
    """Monday 2026-11-23 of the bundled several-queue history, moved one week on: a demand file per queue."""
    history = pd.read_csv(BUNDLED / "multiskill-history.csv")
    stamps = pd.to_datetime(history["interval_start"], utc=True)
    day = history[(stamps >= "2026-11-22T23:00Z") & (stamps < "2026-11-23T23:00Z")].copy()
    moved = pd.to_datetime(day["interval_start"], utc=True) + pd.Timedelta(days=7)
    day["interval_start"] = [t.tz_convert("Europe/Stockholm").isoformat() for t in moved]
    day["aht_s"] = day["aht_s"].fillna(0)
    path = tmp_path_factory.mktemp("multi") / "demand.csv"
    day.to_csv(path, index=False)
    return path


def test_a_several_queue_config_plans_each_queue_and_writes_queue_rows(tmp_path, demand_file, capsys):
    out = tmp_path / "out"
    assert main(["plan", "--config", str(_config(tmp_path, demand_file)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ("phone (voice)", "chat (chat)", "email (email)"):
        assert f"queue        {name}" in printed
    assert "check        passed" in printed
    coverage = pd.read_csv(out / "coverage.csv")
    assert list(coverage.columns[:3]) == ["interval_start", "queue", "channel"]
    assert sorted(coverage["queue"].unique()) == ["chat", "email", "phone"]
    assert len(coverage) == 3 * 48
    document = json.loads((out / "plan.json").read_text())
    assert [k["queue"] for k in document["plan"]["kpis"]["queues"]] == ["phone", "chat", "email"]
    assert document["problem"]["queues"][2]["window_h"] == 4
    live = coverage[coverage["channel"] != "email"]
    assert (live["scheduled"] >= live["required"]).mean() > 0.9


def test_a_demand_file_without_the_configured_queues_is_refused(tmp_path, demand_file, capsys):
    frame = pd.read_csv(demand_file)
    frame[frame["queue"] != "chat"].to_csv(tmp_path / "two.csv", index=False)
    out = str(tmp_path / "o")
    line = run_bad_cli(capsys, ["plan", "--config", str(_config(tmp_path, tmp_path / "two.csv")), "--out", out])
    assert "demand.queue" in line
    assert "chat" in line
    frame.assign(queue=frame["queue"].replace({"email": "fax"})).to_csv(tmp_path / "fax.csv", index=False)
    line = run_bad_cli(capsys, ["plan", "--config", str(_config(tmp_path, tmp_path / "fax.csv")), "--out", out])
    assert "demand.queue" in line
    assert "fax" in line


def test_a_skill_naming_an_unknown_queue_is_refused(tmp_path, demand_file, capsys):
    path = _config(tmp_path, demand_file)
    cfg = yaml.safe_load(path.read_text())
    cfg["contracts"][0]["skills"] = ["phone", "telex"]
    path.write_text(yaml.safe_dump(cfg))
    line = run_bad_cli(capsys, ["plan", "--config", str(path), "--out", str(tmp_path / "o")])
    assert "contracts[0].skills" in line
    assert "telex" in line


def _history_config(tmp_path, history_path):
    cfg = yaml.safe_load((BUNDLED / "multiskill.yaml").read_text())
    cfg["history"] = str(history_path)
    cfg["days"] = 1
    cfg["forecast"] = {"model": "seasonal_naive", "country": "SE"}
    cfg["solve"] = {"time_limit_s": 20, "num_workers": 1, "random_seed": 1, "relative_gap": 0.01}
    path = tmp_path / "multi-history.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_a_history_with_a_queue_column_is_forecast_and_planned_per_queue(tmp_path, capsys):
    out = tmp_path / "out"
    path = _history_config(tmp_path, BUNDLED / "multiskill-history.csv")
    assert main(["plan", "--config", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "forecast     phone seasonal_naive, chat seasonal_naive, email seasonal_naive" in printed
    document = json.loads((out / "plan.json").read_text())
    queues = document["problem"]["queues"]
    assert all(q["service_target"]["volume_cv"] > 0 for q in queues)  # each queue's own measured error
    assert document["problem"]["service_target"]["volume_cv"] == max(q["service_target"]["volume_cv"] for q in queues)
    # and each queue's handle-time CV from its own history's AHT spread (the generator draws CV 1)
    assert all(q["service_target"]["handle_cv"] == pytest.approx(1.0, abs=0.08) for q in queues)
    assert len({q["service_target"]["handle_cv"] for q in queues}) > 1
    for queue in ("phone", "chat", "email"):
        assert f"note         {queue}: handle_cv " in printed
    history = pd.read_csv(BUNDLED / "multiskill-history.csv")
    last_monday = pd.to_datetime(history["interval_start"], utc=True) >= "2026-11-22T23:00Z"
    for queue in ("phone", "chat", "email"):  # seasonal naive: next Monday repeats the last one, per queue
        mine = history[last_monday & (history["queue"] == queue)]
        planned = [d["volume"] for d in document["problem"]["demand"] if d["queue"] == queue]
        assert planned[:48] == pytest.approx(mine["volume"].to_numpy()[:48].astype(float))


def test_a_history_whose_queues_disagree_with_the_config_is_refused(tmp_path, capsys):
    history = pd.read_csv(BUNDLED / "multiskill-history.csv")
    history.assign(queue=history["queue"].replace({"chat": "webchat"})).to_csv(tmp_path / "h.csv", index=False)
    path = _history_config(tmp_path, tmp_path / "h.csv")
    line = run_bad_cli(capsys, ["plan", "--config", str(path), "--out", str(tmp_path / "o")])
    assert "history.queue" in line
    assert "webchat" in line
