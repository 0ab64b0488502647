from __future__ import annotations

import json

import pandas as pd
import pytest

from api.cli import main
from forecasting import DEFAULT_COUNTRY, forecast_queues, load_queue_histories
from tests.forecasting.conftest import (
    synthetic_history,
    three_queue_histories,
    write_history_csv,
    write_queue_history_csv,
)


@pytest.fixture
def history_csv(tmp_path):
    path = tmp_path / "history.csv"
    write_history_csv(synthetic_history(days=35), path)
    return path


def test_forecast_writes_demand_csv_with_quantiles(history_csv, tmp_path, capsys):
    out = tmp_path / "demand.csv"
    code = main(
        [
            "forecast",
            "--history",
            str(history_csv),
            "--horizon-days",
            "2",
            "--quantiles",
            "0.5,0.8",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["interval_start", "volume", "aht_s", "volume_p50", "volume_p80"]
    assert len(frame) == 2 * 48
    assert frame["interval_start"].iloc[0] == "2026-02-16T00:00:00+01:00"
    assert (frame["volume"] >= 0).all()
    assert (frame["aht_s"] > 0).all()
    assert "wrote" in capsys.readouterr().out


def test_backtest_prints_table_and_json(history_csv, capsys):
    assert main(["backtest", "--history", str(history_csv), "--folds", "1"]) == 0
    text = capsys.readouterr().out
    for name in ("seasonal_naive", "ets", "regression", "wape", "mase", "bias", "chosen:"):
        assert name in text
    assert main(["backtest", "--history", str(history_csv), "--folds", "1", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["folds"] == 1
    assert payload["chosen"] in {"seasonal_naive", "ets", "regression"}
    assert {"wape", "mase", "bias"} <= set(payload["scores"][0])


def test_bad_history_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("interval_start,volume\n2026-01-12T00:00:00+01:00,1\n2026-01-12T00:30:00+01:00,-4\n")
    code = main(["forecast", "--history", str(path), "--horizon-days", "1", "--out", str(tmp_path / "o.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert err == "shiftmix: error: volume[row 1]: must be >= 0 ('-4')\n"


def test_bad_quantiles_and_folds_exit_2(history_csv, tmp_path, capsys):
    out = str(tmp_path / "o.csv")
    assert main(["forecast", "--history", str(history_csv), "--quantiles", "0.5,x", "--out", out]) == 2
    assert "--quantiles" in capsys.readouterr().err
    assert main(["backtest", "--history", str(history_csv), "--folds", "9"]) == 2
    assert capsys.readouterr().err.startswith("shiftmix: error: folds:")


def test_forecast_per_queue_writes_a_queue_column_and_a_line_per_queue(tmp_path, capsys):
    frames = three_queue_histories()
    history = tmp_path / "queues.csv"
    write_queue_history_csv(frames, history)
    out = tmp_path / "demand.csv"
    args = ["--horizon-days", "2", "--quantiles", "0.8"]
    assert main(["forecast", "--history", str(history), *args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    lines = out.read_text().splitlines()
    assert lines[0] == "interval_start,volume,aht_s,volume_p80,queue"
    rows = [line.rsplit(",", 1) for line in lines[1:]]
    assert [queue for _, queue in rows] == ["voice"] * 96 + ["chat"] * 96 + ["email"] * 96
    expected = forecast_queues(load_queue_histories(history), 2, quantiles=(0.8,), country=DEFAULT_COUNTRY)
    assert printed[0] == f"wrote {out}: 3 queues, 288 rows"
    for n, (name, frame) in enumerate(frames.items()):
        alone = tmp_path / f"{name}.csv"
        write_history_csv(frame, alone)
        alone_out = tmp_path / f"{name}-demand.csv"
        assert main(["forecast", "--history", str(alone), *args, "--out", str(alone_out)]) == 0
        alone_printed = capsys.readouterr().out
        # the queue's rows are, byte for byte, the forecast of its history alone
        assert [row for row, queue in rows if queue == name] == alone_out.read_text().splitlines()[1:]
        summary = alone_printed.split(": ", 1)[1].strip()  # "ets, 96 intervals from ..., N contacts"
        assert printed[1 + n] == f"queue {name}: {summary}"
        assert summary.startswith(f"{expected[name].forecaster}, ")


def test_forecast_per_queue_errors_name_history_queue(tmp_path, capsys):
    frames = three_queue_histories(days=7)
    frames["chat"] = synthetic_history(days=7, interval_min=15)
    history = tmp_path / "queues.csv"
    write_queue_history_csv(frames, history)
    out = str(tmp_path / "o.csv")
    assert main(["forecast", "--history", str(history), "--out", out]) == 2
    assert capsys.readouterr().err == (
        "shiftmix: error: history.queue: queues must share one interval length, "
        "got voice 30 min, chat 15 min, email 30 min\n"
    )
    history.write_text("interval_start,volume,queue\n2026-01-12T00:00:00+01:00,1,voice one\n")
    assert main(["forecast", "--history", str(history), "--out", out]) == 2
    assert capsys.readouterr().err.startswith("shiftmix: error: queue[row 0]: not a queue name")


def test_forecast_says_whether_bias_correction_scaled_it(tmp_path, capsys):
    """Under a year of the bundled history the regression is scaled by its backtest's correction; the whole
    year fits the annual cycle its folds lacked, so it is not, and the line says why (both by default); with
    ``--no-bias-correction``, neither."""
    from scenarios.spec import load_example

    _, base_dir = load_example()
    history = pd.read_csv(base_dir / "history.csv")
    short = tmp_path / "short.csv"
    history[history["interval_start"] >= "2026-02-02"].to_csv(short, index=False)
    out = tmp_path / "fc.csv"
    for path, flag, expected in (
        (short, [], "(scaled by 1."),
        (base_dir / "history.csv", ["--bias-correction"], "(not scaled by its backtest's 1."),
        (short, ["--no-bias-correction"], None),
    ):
        assert main(["forecast", "--history", str(path), "--out", str(out), "--horizon-days", "2", *flag]) == 0
        line = capsys.readouterr().out.strip()
        if expected is None:
            assert "scaled" not in line
        else:
            assert expected in line
