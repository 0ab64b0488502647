"""End to end: `shiftmix plan --config` on a short horizon of the bundled example."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from api.cli import main
from tests.conftest import example_config


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    cfg = example_config()
    cfg["days"] = 2
    cfg["forecast"]["model"] = "seasonal_naive"
    cfg["staff"] = [
        {"contract": "ft40", "count": 40, "id_prefix": "ft"},
        {"contract": "flex20", "count": 10, "id_prefix": "fx"},
    ]
    cfg["solve"] = {"time_limit_s": 20, "num_workers": 1, "random_seed": 3, "relative_gap": 0.0}
    folder = tmp_path_factory.mktemp("short")
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = folder / "out"
    assert main(["plan", "--config", str(path), "--out", str(out)]) == 0
    return out


def _recount(schedule: pd.DataFrame, starts: pd.Series, interval_min: int) -> list[int]:
    """Recount people on shift and not on break from schedule.csv alone."""
    starts = pd.to_datetime(starts, utc=True)
    ends = starts + pd.Timedelta(minutes=interval_min)
    counts = []
    s_start = pd.to_datetime(schedule["start"], utc=True)
    s_end = pd.to_datetime(schedule["end"], utc=True)
    b_start = pd.to_datetime(schedule["break_start"], utc=True)
    b_end = pd.to_datetime(schedule["break_end"], utc=True)
    for lo, hi in zip(starts, ends, strict=True):
        on = (s_start <= lo) & (s_end >= hi)
        on_break = b_start.notna() & (b_start < hi) & (b_end > lo)
        counts.append(int((on & ~on_break).sum()))
    return counts


def test_coverage_recomputed_from_schedule_matches_and_meets_requirement(short_run):
    schedule = pd.read_csv(short_run / "schedule.csv")
    coverage = pd.read_csv(short_run / "coverage.csv")
    assert list(coverage.columns) == [
        "interval_start",
        "volume",
        "aht_s",
        "required",
        "scheduled",
        "service_level",
        "asa_s",
        "p_meet",
    ]
    assert set(schedule["kind"]) <= {"fte", "gig"}
    assert len(coverage) == 96
    recount = _recount(schedule, coverage["interval_start"], 30)
    assert recount == coverage["scheduled"].tolist()
    assert (coverage["scheduled"] >= coverage["required"]).all()
    assert coverage.loc[coverage["volume"] > 0, "service_level"].min() >= 0.8


def test_plan_json_explains_itself(short_run):
    doc = json.loads((short_run / "plan.json").read_text())
    solver = doc["plan"]["solver"]
    assert solver["status"] in ("OPTIMAL", "FEASIBLE")
    assert solver["best_bound_cents"] <= solver["objective_cents"]
    assert len(doc["plan"]["inputs_digest"]) == 64
    assert doc["check"] == []
    assert doc["plan"]["kpis"]["total_cost_cents"] == sum(
        v for k, v in doc["plan"]["cost_terms_cents"].items() if k != "shortfall_penalty"
    )


def test_plan_json_lists_the_intervals_at_risk(short_run):
    doc = json.loads((short_run / "plan.json").read_text())
    risk = doc["risk"]
    assert risk["below"] == 0.7
    coverage = doc["plan"]["coverage"]
    loaded = [r for r in coverage if r["volume"] > 0]
    assert risk["expected_share_below_target"] == pytest.approx(1 - sum(r["p_meet"] for r in loaded) / len(loaded))
    expected = {r["interval_start"] for r in loaded if r["p_meet"] < 0.7}
    assert {r["interval_start"] for r in risk["intervals_at_risk"]} == expected
    frame = pd.read_csv(short_run / "coverage.csv")
    assert list(frame["p_meet"]) == pytest.approx([round(r["p_meet"], 4) for r in coverage])
