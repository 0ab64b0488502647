from __future__ import annotations

import json

import pandas as pd
import pytest

from api.cli import main
from tests.forecasting.conftest import synthetic_history, write_history_csv


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
