"""`shiftmix plan` rejects bad input with exit code 2 and one line naming the field."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import example_config, run_bad_cli


def _config(tmp_path, mutate) -> str:
    cfg = example_config()
    mutate(cfg)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)




def test_missing_config_file(tmp_path, capsys):
    line = run_bad_cli(capsys, ["plan", "--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    assert "config: file" in line
    assert "does not exist" in line


def test_unknown_key(tmp_path, capsys):
    path = _config(tmp_path, lambda c: c["contracts"][0].update(overtime=True))
    line = run_bad_cli(capsys, ["plan", "--config", path, "--out", str(tmp_path / "o")])
    assert "contracts[0].overtime: Extra inputs are not permitted" in line


def test_negative_cost(tmp_path, capsys):
    path = _config(tmp_path, lambda c: c["gig_pool"].update(cost_per_hour_cents=-5))
    line = run_bad_cli(capsys, ["plan", "--config", path, "--out", str(tmp_path / "o")])
    assert "gig_pool.cost_per_hour_cents: Input should be greater than 0" in line


def test_contract_that_cannot_fit_in_a_week(tmp_path, capsys):
    path = _config(tmp_path, lambda c: c["contracts"][1].update(min_hours_per_week=45, max_hours_per_week=50))
    line = run_bad_cli(capsys, ["plan", "--config", path, "--out", str(tmp_path / "o")])
    assert line.startswith("shiftmix: error: contracts[1]: min_hours_per_week 45 cannot be reached")


def test_unknown_contract_in_staff(tmp_path, capsys):
    path = _config(tmp_path, lambda c: c["staff"][0].update(contract="ft99"))
    line = run_bad_cli(capsys, ["plan", "--config", path, "--out", str(tmp_path / "o")])
    assert "staff[0].contract 'ft99' is not one of the contracts" in line


def test_overlapping_availability_names_the_group_and_both_windows(tmp_path, capsys):
    windows = [
        {"day": "sat", "start_time": "08:00", "end_time": "14:00"},
        {"day": "sat", "start_time": "12:00", "end_time": "20:00"},
    ]
    path = _config(tmp_path, lambda c: c["staff"][2].update(availability=windows))
    line = run_bad_cli(capsys, ["plan", "--config", path, "--out", str(tmp_path / "o")])
    assert "staff[2]: availability windows overlap (sat 08:00-14:00 and sat 12:00-20:00)" in line


def test_weekend_rule_asking_too_much_names_the_contract(tmp_path, capsys):
    path = _config(tmp_path, lambda c: c["contracts"][0].update(weekends_off={"min_off": 3, "per_weeks": 2}))
    line = run_bad_cli(capsys, ["plan", "--config", path, "--out", str(tmp_path / "o")])
    assert "contracts[0].weekends_off: min_off 3 cannot exceed per_weeks 2" in line


def test_not_yaml(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("contracts: [\n  - name: x\n bad indent")
    line = run_bad_cli(capsys, ["plan", "--config", str(path), "--out", str(tmp_path / "o")])
    assert "config:" in line
    assert "not valid YAML" in line


def test_bad_override_flag(tmp_path, capsys):
    line = run_bad_cli(capsys, ["plan", "--example", "--out", str(tmp_path / "o"), "--time-limit-s", "-1"])
    assert "--time-limit-s:" in line


@pytest.mark.parametrize(
    "argv", [["plan", "--out", "x"], ["plan", "--example", "--config", "a", "--out", "x"]]
)
def test_usage_errors_are_one_line(capsys, argv):
    run_bad_cli(capsys, argv)
