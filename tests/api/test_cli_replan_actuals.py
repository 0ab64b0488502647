"""`shiftmix replan --actuals`: re-forecast from today's actuals, re-plan, write reforecast.csv and offers.csv."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from api.cli import main
from optimizer import check_plan
from optimizer.domain import Plan, PlanningProblem
from tests.conftest import example_config, run_bad_cli


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A published 2-day plan of the bundled example (30-minute intervals) and its demand frame."""
    cfg = example_config()
    cfg["days"] = 2
    cfg["forecast"]["model"] = "seasonal_naive"
    cfg["staff"] = [
        {"contract": "ft40", "count": 40, "id_prefix": "ft"},
        {"contract": "flex20", "count": 10, "id_prefix": "fx"},
    ]
    cfg["gig_pool"]["lead_time_min"] = 60
    cfg["solve"] = {"time_limit_s": 20, "num_workers": 1, "random_seed": 3, "relative_gap": 0.0}
    folder = tmp_path_factory.mktemp("published")
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = folder / "out"
    assert main(["plan", "--config", str(path), "--out", str(out)]) == 0
    doc = json.loads((out / "plan.json").read_text())
    demand = pd.DataFrame(doc["problem"]["demand"])
    demand["interval_start"] = pd.to_datetime(demand["interval_start"]).dt.tz_convert("Europe/Stockholm")
    return out, demand.set_index("interval_start")


def _day2(published) -> dt.date:
    return published[1].index[0].date() + dt.timedelta(days=1)


def _write_actuals(published, tmp_path, *, until: str, factor: float = 1.4, edit=None) -> str:
    demand = published[1]
    day2 = _day2(published)
    start = pd.Timestamp(f"{day2}T00:00", tz="Europe/Stockholm")
    rows = demand[(demand.index >= start) & (demand.index < pd.Timestamp(f"{day2}T{until}", tz="Europe/Stockholm"))]
    rows = rows.assign(volume=np.round(rows["volume"] * factor)).reset_index()
    rows["aht_s"] = np.where(rows["volume"] > 0, rows["aht_s"], np.nan)
    rows["interval_start"] = [t.isoformat() for t in rows["interval_start"]]
    if edit is not None:
        rows = edit(rows)
    path = tmp_path / "actuals.csv"
    rows[["interval_start", "volume", "aht_s"]].to_csv(path, index=False)
    return str(path)


def _argv(published, tmp_path, actuals: str, now: str, *extra: str) -> list[str]:
    plan = str(published[0] / "plan.json")
    return ["replan", "--plan", plan, "--actuals", actuals, "--now", now, "--out", str(tmp_path / "re"), *extra]


def test_actuals_round_trip_writes_reforecast_and_offers_that_the_plan_holds(published, tmp_path, capsys):
    day2 = _day2(published)
    actuals = _write_actuals(published, tmp_path, until="11:00")
    argv = _argv(published, tmp_path, actuals, f"{day2}T11:00+01:00", "--allow-extensions", "--time-limit-s", "20")
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "re-forecast " in printed
    assert "rest of today x1." in printed
    assert "check        passed" in printed
    assert "pp service from now" in printed
    out = tmp_path / "re"
    table = pd.read_csv(out / "reforecast.csv")
    assert pd.Timestamp(table["interval_start"].iloc[0]) == pd.Timestamp(f"{day2}T11:00+01:00")
    assert (table["day"] == "today").all()  # the plan's last day: no tomorrow inside the horizon
    assert table["volume_factor"].iloc[0] > 1.3
    np.testing.assert_allclose(table["volume_after"], table["volume_before"] * table["volume_factor"])
    doc = json.loads((out / "plan.json").read_text())
    plan, problem = Plan.model_validate(doc["plan"]), PlanningProblem.model_validate(doc["problem"])
    assert check_plan(problem, plan) == []
    offers = pd.read_csv(out / "offers.csv", keep_default_na=False)
    assert list(offers.columns) == [
        "action",
        "worker_id",
        "shift_start",
        "shift_end",
        "start",
        "end",
        "minutes",
        "count",
        "cost_cents",
    ]
    assert "gig" in set(offers["action"])
    schedule = pd.read_csv(out / "schedule.csv")
    for row in offers.itertuples():
        if row.action == "gig":
            slots = schedule[
                (schedule["kind"] == "gig") & (schedule["start"] == row.start) & (schedule["end"] == row.end)
            ]
            assert len(slots) >= row.count
        else:
            mine = schedule[(schedule["worker_id"] == row.worker_id) & (schedule["start"] == row.start)]
            assert (row.action == "extension") == (len(mine[mine["end"] == row.end]) == 1)


@pytest.mark.parametrize(
    ("until", "now", "expected"),
    [
        ("12:00", "11:00", "--actuals.interval_start[{day2}T11:00:00+01:00]: had not ended by now"),
        ("11:00", "2027-01-01T07:00+01:00", "--now: 2027-01-01T07:00:00+01:00 is at or after the plan's end"),
        ("11:00", "2026-01-01T07:00+01:00", "--now: 2026-01-01T07:00:00+01:00 is before the plan starts"),
    ],
)
def test_bad_now_or_actuals_after_now(published, tmp_path, capsys, until, now, expected):
    day2 = _day2(published)
    now_text = now if "T" in now else f"{day2}T{now}+01:00"
    actuals = _write_actuals(published, tmp_path, until=until)
    line = run_bad_cli(capsys, _argv(published, tmp_path, actuals, now_text))
    assert expected.format(day2=day2) in line


def _duplicate(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([rows.iloc[:3], rows.iloc[2:3], rows.iloc[3:]], ignore_index=True)


def _negative(rows: pd.DataFrame) -> pd.DataFrame:
    rows.loc[5, "volume"] = -1
    return rows


def _outside(rows: pd.DataFrame) -> pd.DataFrame:
    later = rows.copy()
    later["interval_start"] = [(pd.Timestamp(t) + pd.Timedelta(days=1)).isoformat() for t in later["interval_start"]]
    return later


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_duplicate, "--actuals.interval_start[row 3]: duplicate of row 2"),
        (_negative, "--actuals.volume[row 5]: must be >= 0"),
        (_outside, "is outside the plan's horizon"),
    ],
)
def test_bad_actual_rows_are_named(published, tmp_path, capsys, edit, expected):
    day2 = _day2(published)
    actuals = _write_actuals(published, tmp_path, until="11:00", edit=edit)
    line = run_bad_cli(capsys, _argv(published, tmp_path, actuals, f"{day2}T11:00+01:00"))
    assert expected in line
    if edit is _outside:
        assert f"--actuals.interval_start[{day2 + dt.timedelta(days=1)}T00:00:00+01:00]" in line


def test_missing_actuals_file(published, tmp_path, capsys):
    day2 = _day2(published)
    line = run_bad_cli(capsys, _argv(published, tmp_path, str(tmp_path / "none.csv"), f"{day2}T11:00+01:00"))
    assert line.startswith("shiftmix: error: --actuals: ")
