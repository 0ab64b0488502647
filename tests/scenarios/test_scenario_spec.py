"""Scenario files: validation names the field, deltas derive the right plan configs, demand what-ifs scale right."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from optimizer.domain import Automation
from optimizer.errors import InputError
from optimizer.grid import build_grid
from optimizer.staffing import human_demand
from scenarios.derive import load_scenario, prepare_scenario
from scenarios.scenario import DemandUplift, Scenario
from scenarios.spec import example_config_path
from scenarios.sweep import adjust_demand

TZ = "Europe/Stockholm"


def _data(**extra) -> dict:
    data = {
        "title": "t",
        "base_config": "bundled:example.yaml",
        "variations": [{"name": "v0", "fte_scale": 0.5}],
    }
    data.update(extra)
    return data


def _prepare(tmp_path, **extra):
    return prepare_scenario(Scenario.model_validate(_data(**extra)), tmp_path)


def _counts(config) -> dict[str, int]:
    return {g.id_prefix: g.count for g in config.staff}


def _input_error(tmp_path, **extra) -> InputError:
    with pytest.raises(InputError) as info:
        _prepare(tmp_path, **extra)
    return info.value


def test_base_runs_first_and_fte_scale_rounds_each_group(tmp_path):
    prepared = _prepare(tmp_path, variations=[{"name": "cut", "fte_scale": 0.6}])
    assert [r.name for r in prepared.runs] == ["base", "cut"]
    assert _counts(prepared.runs[0].config) == {"ft": 36, "pt": 14, "fx": 10}
    assert _counts(prepared.runs[1].config) == {"ft": 22, "pt": 8, "fx": 6}
    assert len(prepared.runs[1].config.workforce().workers) == 36
    assert prepared.base_dir == example_config_path().parent


def test_staff_counts_contract_mix_and_gig_patch(tmp_path):
    variation = {
        "name": "mix",
        "staff_counts": {"ft": 20, "fx": 0},
        "gig_pool": {"max_concurrent": 35},
        "service_target": {"answer_within_s": 30},
    }
    run = _prepare(tmp_path, variations=[variation]).runs[1]
    assert _counts(run.config) == {"ft": 20, "pt": 14}
    assert run.config.gig_pool.max_concurrent == 35
    assert run.config.gig_pool.cost_per_hour_cents == 4600  # untouched fields of the patched pool stay
    assert run.config.service_target.answer_within_s == 30
    assert run.config.service_target.service_level == 0.8
    assert "gig_pool.max_concurrent 20->35" in run.differs
    assert "staff[fx].count 10->-" in run.differs


def test_domain_rule_in_a_patch_names_the_variation_field(tmp_path):
    variations = [{"name": "ok"}, {"name": "still-ok"}, {"name": "bad", "automation": {"containment": 1.5}}]
    err = _input_error(tmp_path, variations=variations)
    assert err.field == "variations[2].automation.containment"
    assert "less than 1" in err.problem


def test_cross_field_rule_of_a_patched_pool_names_the_pool(tmp_path):
    variation = {"name": "v", "gig_pool": {"earliest_start": "20:00", "latest_start": "08:00"}}
    err = _input_error(tmp_path, variations=[variation])
    assert err.field == "variations[0].gig_pool"
    assert "earliest_start must not be after latest_start" in err.problem


def test_unknown_staff_group_is_named(tmp_path):
    err = _input_error(tmp_path, variations=[{"name": "v", "staff_counts": {"zz": 3}}])
    assert err.field == "variations[0].staff_counts.zz"
    assert "ft, pt, fx" in err.problem


@pytest.mark.parametrize(
    ("data", "loc", "fragment"),
    [
        (_data(variations=[{"name": "v", "automation": {"containmnt": 0.5}}]), ("variations", 0, "automation"),
         "unknown field 'containmnt'"),
        (_data(variations=[{"name": "v", "headcount": 3}]), ("variations", 0, "headcount"), "Extra inputs"),
        (_data(variations=[{"name": "v", "fte_scale": -1}]), ("variations", 0, "fte_scale"), "greater than 0"),
        (_data(variations=[{"name": "base"}]), (), "is taken"),
        (_data(base_config=None), (), "exactly one of base"),
        (_data(variations=[], sweep={}), (), "at least one variation"),
        (_data(sweep={"name": ["a"]}), ("sweep",), "sweep keys must be variation fields"),
        (_data(sweep={"fte_scale.x": [1]}), ("sweep",), "take dotted keys"),
        (_data(variations=[{"name": "v", "demand_uplift": {"factor": 1.2, "start_time": "10:00",
                                                          "end_time": "09:00"}}]),
         ("variations", 0, "demand_uplift", 0), "end_time must be after start_time"),
    ],
)  # fmt: skip
def test_shape_errors_name_the_field(data, loc, fragment):
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    first = info.value.errors()[0]
    assert first["loc"] == loc
    assert fragment in first["msg"]


def test_sweep_generates_one_variation_per_combination(tmp_path):
    sweep = {"fte_scale": [0.5, 0.75], "gig_pool.max_concurrent": [10, 30], "solve.random_seed": [4]}
    scenario = Scenario.model_validate(_data(variations=[], sweep=sweep))
    variations = scenario.all_variations()
    assert [v.name for v in variations] == [
        "fte_scale=0.5,gig_pool.max_concurrent=10",
        "fte_scale=0.5,gig_pool.max_concurrent=30",
        "fte_scale=0.75,gig_pool.max_concurrent=10",
        "fte_scale=0.75,gig_pool.max_concurrent=30",
    ]
    last = prepare_scenario(scenario, tmp_path).runs[-1].config
    assert last.gig_pool.max_concurrent == 30
    assert last.solve.random_seed == 4
    assert len(last.workforce().workers) == 27 + 11 + 8


def test_bad_sweep_value_names_key_and_position(tmp_path):
    err = _input_error(tmp_path, variations=[], sweep={"fte_scale": [0.5, -2.0]})
    assert err.field == "sweep.fte_scale[1]"
    err = _input_error(tmp_path, variations=[], sweep={"automation.containment": [0.2, 0.4, 1.2]})
    assert err.field == "sweep[automation.containment=1.2].automation.containment"


def test_base_overrides_are_validated_with_their_path(tmp_path):
    err = _input_error(tmp_path, base_overrides={"solve": {"time_limit_s": -3}})
    assert err.field == "base_overrides.solve.time_limit_s"
    with pytest.raises(ValidationError, match="unknown field 'dayz'"):
        Scenario.model_validate(_data(base_overrides={"dayz": 3}))


def test_base_config_relative_to_the_scenario_file(tmp_path):
    cfg = yaml.safe_load(example_config_path().read_text())
    cfg["history"] = str(example_config_path().parent / cfg["history"])
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(_data(base_config="plan.yaml")))
    scenario, folder = load_scenario(tmp_path / "s.yaml")
    assert prepare_scenario(scenario, folder).runs[0].config.days == 7
    err = _input_error(tmp_path, base_config="missing.yaml")
    assert err.field == "base_config"
    assert "does not exist" in err.problem


def test_baseline_automation_becomes_the_base_automation(tmp_path):
    prepared = _prepare(
        tmp_path,
        baseline_automation={"containment": 0.66, "escalated_aht_uplift": 0.1},
        variations=[{"name": "drop", "automation": {"containment": 0.5}}],
    )
    base, drop = prepared.runs
    assert base.config.automation == Automation(containment=0.66, escalated_aht_uplift=0.1)
    assert drop.config.automation == Automation(containment=0.5, escalated_aht_uplift=0.1)
    assert drop.baseline_automation == base.config.automation
    conflicting = {"automation": {"containment": 0.3}}
    err = _input_error(tmp_path, baseline_automation={"containment": 0.66}, base_overrides=conflicting)
    assert err.field == "base.automation"


def _demand(days: int = 2) -> pd.DataFrame:
    starts = build_grid(TZ, dt.date(2026, 12, 28), days, 60).starts
    rng = np.random.default_rng(3)
    return pd.DataFrame({"volume": rng.uniform(5, 50, len(starts)), "aht_s": 300.0}, index=starts)


def test_containment_drop_grows_human_volume_by_the_ratio_of_non_contained_shares():
    recorded = _demand()
    baseline = Automation(containment=0.66, escalated_aht_uplift=0.2)
    all_contacts, ratio = adjust_demand(recorded, TZ, baseline, ())
    assert ratio == 1.0
    same = human_demand(all_contacts, baseline)
    np.testing.assert_allclose(same["volume"], recorded["volume"])
    np.testing.assert_allclose(same["aht_s"], recorded["aht_s"])
    dropped = human_demand(all_contacts, Automation(containment=0.5, escalated_aht_uplift=0.2))
    np.testing.assert_allclose(dropped["volume"], recorded["volume"] * 0.5 / 0.34)
    assert math.isclose(dropped["volume"].sum() / recorded["volume"].sum(), 1.4705882, rel_tol=1e-6)
    longer = human_demand(all_contacts, Automation(containment=0.66, escalated_aht_uplift=0.5))
    np.testing.assert_allclose(longer["aht_s"], 300.0 * 1.5 / 1.2)


def test_uplift_applies_only_on_its_local_days_and_hours():
    recorded = _demand(days=2)
    uplifts = (
        DemandUplift(factor=1.5, dates=(dt.date(2026, 12, 29),)),
        DemandUplift(factor=2.0, dates=(dt.date(2026, 12, 29),), start_time=dt.time(8), end_time=dt.time(10)),
    )
    out, ratio = adjust_demand(recorded, TZ, None, uplifts)
    local = out.index.tz_convert(TZ)
    factor = out["volume"] / recorded["volume"]
    first_day = local.date == dt.date(2026, 12, 28)
    rush = (~first_day) & (local.hour >= 8) & (local.hour < 10)
    np.testing.assert_allclose(factor[first_day], 1.0)
    np.testing.assert_allclose(factor[rush], 3.0)
    np.testing.assert_allclose(factor[~first_day & ~rush], 1.5)
    assert math.isclose(ratio, out["volume"].sum() / recorded["volume"].sum())
    assert ratio > 1.0


def test_bare_number_is_an_uplift_everywhere(tmp_path):
    run = _prepare(tmp_path, variations=[{"name": "v", "demand_uplift": 1.3}]).runs[1]
    assert run.demand_uplift == (DemandUplift(factor=1.3),)
    assert run.differs == "demand x1.3"
