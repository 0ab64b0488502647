"""`shiftmix plan` on histories as real sites have them: volume only, 23 days, a gap, a given demand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from api.cli import main
from forecasting import select_forecaster
from scenarios.spec import ForecastSettings
from tests.conftest import run_bad_cli
from tests.forecasting.conftest import synthetic_history

TZ = "Europe/Stockholm"


def _write_history(frame: pd.DataFrame, path: Path, *, with_aht: bool = True) -> None:
    out = pd.DataFrame({"interval_start": [t.isoformat() for t in frame.index], "volume": frame["volume"].to_numpy()})
    if with_aht:
        out["aht_s"] = frame["aht_s"].to_numpy()
    out.to_csv(path, index=False)


def _config(folder: Path, **fields: object) -> Path:
    cfg: dict[str, object] = {
        "timezone": TZ,
        "days": 1,
        "forecast": {"model": "auto", "country": "SE", "backtest_folds": 4},
        "contracts": [
            {
                "name": "flex",
                "min_hours_per_week": 0,
                "max_hours_per_week": 40,
                "min_days_per_week": 0,
                "max_days_per_week": 5,
                "shift_lengths_min": [240, 480],
                "earliest_start": "07:00",
                "latest_start": "13:00",
                "cost_per_hour_cents": 3000,
            }
        ],
        "staff": [{"contract": "flex", "count": 6, "id_prefix": "fx"}],
        "gig_pool": {
            "shift_minutes": 240,
            "cost_per_hour_cents": 4600,
            "max_concurrent": 4,
            "max_shifts_per_day": 8,
            "earliest_start": "07:00",
            "latest_start": "13:00",
            "fill_rate": 1.0,
        },
        "solve": {"time_limit_s": 10, "num_workers": 1, "random_seed": 1, "relative_gap": 0.01},
    }
    cfg.update(fields)
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _plan(config: Path, out: Path, *extra: str) -> dict:
    assert main(["plan", "--config", str(config), "--out", str(out), *extra]) == 0
    return json.loads((out / "plan.json").read_text())


def test_volume_only_history_needs_forecast_aht_s_and_then_plans(tmp_path, capsys):
    _write_history(synthetic_history(days=21, level=300.0), tmp_path / "h.csv", with_aht=False)
    config = _config(tmp_path, history="h.csv")
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert line.startswith("shiftmix: error: forecast.aht_s: the history has no aht_s")
    config = _config(tmp_path, history="h.csv", forecast={"model": "seasonal_naive", "country": "SE", "aht_s": 280.0})
    document = _plan(config, tmp_path / "o")
    loaded = [r for r in document["problem"]["demand"] if r["volume"] > 0]
    assert loaded
    assert {r["aht_s"] for r in loaded} == {280.0}


def test_auto_on_23_days_of_history_falls_back_to_seasonal_naive(tmp_path, capsys):
    _write_history(synthetic_history(days=23, level=300.0), tmp_path / "h.csv")
    document = _plan(_config(tmp_path, history="h.csv"), tmp_path / "o")
    assert document["forecast"] == {"model": "seasonal_naive", "backtest": None}
    assert "forecast     seasonal_naive" in capsys.readouterr().out


def test_config_errors_name_the_config_field(tmp_path, capsys):
    _write_history(synthetic_history(days=23, level=300.0), tmp_path / "h.csv")
    config = _config(tmp_path, history="h.csv", forecast={"model": "auto", "backtest_folds": 0})
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert "forecast.backtest_folds: Input should be greater than or equal to 1" in line
    config = _config(tmp_path, history="h.csv", forecast={"weekend": ["fri", "caturday"]})
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert "forecast.weekend[1]" in line
    config = _config(tmp_path, history="h.csv", forecast={"bias_correction": "maybe"})
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert "forecast.bias_correction: Input should be a valid boolean" in line
    config = _config(tmp_path, history="h.csv", gaps="guess")
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert "gaps: Input should be 'error', 'zero' or 'seasonal'" in line
    config = _config(tmp_path)
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert "give history (to forecast) or demand" in line


def test_two_day_gap_is_named_then_filled_by_the_gaps_setting(tmp_path, capsys):
    frame = synthetic_history(days=21, level=300.0)
    frame = frame.drop(frame.index[9 * 48 : 11 * 48])
    _write_history(frame, tmp_path / "h.csv")
    config = _config(tmp_path, history="h.csv", forecast={"model": "seasonal_naive", "country": "SE"})
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o")])
    assert line.startswith("shiftmix: error: history.interval_start[row 432]: 96 missing interval(s)")
    assert "set gaps to 'zero'" in line
    document = _plan(config, tmp_path / "o", "--gaps", "seasonal")
    assert document["plan"]["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    line = run_bad_cli(capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o"), "--gaps", "x"])
    assert "--gaps: invalid choice" in line


def test_plan_a_given_demand_file_with_empty_aht_on_closed_intervals(tmp_path, capsys):
    starts = pd.date_range("2026-02-02", periods=48, freq="30min", tz=TZ)
    volume = np.where((starts.hour >= 9) & (starts.hour < 15), 12.0, 0.0)
    rows = pd.DataFrame(
        {
            "interval_start": [t.isoformat() for t in starts],
            "volume": volume,
            "aht_s": np.where(volume > 0, 300.0, np.nan),
        }
    )
    rows.loc[0, "aht_s"] = 0.0  # some exports write 0 where nothing was handled
    rows.to_csv(tmp_path / "demand.csv", index=False)
    config = _config(tmp_path, demand="demand.csv")
    document = _plan(config, tmp_path / "o")
    assert document["forecast"]["model"] == "given"
    assert document["problem"]["start_date"] == "2026-02-02"
    assert sum(r["volume"] for r in document["problem"]["demand"]) == pytest.approx(volume.sum())
    assert "demand       given" in capsys.readouterr().out
    # --demand on the command line overrides the config; a file too short for the horizon is named
    rows.iloc[:40].to_csv(tmp_path / "short.csv", index=False)
    config = _config(tmp_path, demand="demand.csv")
    line = run_bad_cli(
        capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o"), "--demand", str(tmp_path / "short.csv")]
    )
    assert line.startswith("shiftmix: error: demand: ")
    assert "lacks 8 interval(s)" in line
    rows.loc[20, "aht_s"] = np.nan
    rows.to_csv(tmp_path / "bad.csv", index=False)
    line = run_bad_cli(
        capsys, ["plan", "--config", str(config), "--out", str(tmp_path / "o"), "--demand", str(tmp_path / "bad.csv")]
    )
    assert "demand.aht_s[2026-02-02T09:00+00:00]: must be finite" in line


def test_plan_formats_write_calendars_workbook_and_report(tmp_path, capsys):
    _write_history(synthetic_history(days=21, level=300.0), tmp_path / "h.csv")
    config = _config(tmp_path, history="h.csv", forecast={"model": "seasonal_naive", "country": "SE"})
    document = _plan(config, tmp_path / "o", "--formats", "csv,ics,xlsx,html")
    workers = {s["worker_id"] for s in document["plan"]["shifts"]}
    assert {p.stem for p in (tmp_path / "o" / "calendars").glob("*.ics")} == workers
    assert (tmp_path / "o" / "plan.xlsx").is_file()
    page = (tmp_path / "o" / "report.html").read_text()
    assert "Forecast: seasonal_naive." in page
    assert "calendars/ (" in capsys.readouterr().out


def test_a_weekend_override_reaches_the_calendar_forecasters():
    assert ForecastSettings(weekend=("sat", "fri")).weekend_numbers() == (4, 5)
    assert ForecastSettings().weekend_numbers() is None
    history = synthetic_history(days=23)
    spec, _ = select_forecaster(history, "ets", country="IL", weekend=(4, 5))
    assert spec.weekend == (4, 5)
