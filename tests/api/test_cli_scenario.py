"""`shiftmix scenario run`: bad input exits 2 with one line naming the field; a small scenario writes its files."""

from __future__ import annotations

import sys

import pytest
import yaml

from api.cli import main
from tests.conftest import example_config, run_bad_cli


def _base() -> dict:
    cfg = example_config()
    cfg.update(
        days=1,
        forecast={"model": "seasonal_naive"},
        staff=[{"contract": "ft40", "count": 30, "id_prefix": "ft"}],
        solve={"time_limit_s": 10, "num_workers": 1, "random_seed": 1},
    )
    return cfg


def _write(tmp_path, **extra) -> str:
    data = {"title": "cli", "base": _base(), "variations": [{"name": "v", "fte_scale": 0.5}]}
    data.update(extra)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)




def test_domain_rule_in_a_variation_names_the_field(tmp_path, capsys):
    path = _write(tmp_path, variations=[{"name": "a"}, {"name": "b", "automation": {"containment": 1.5}}])
    line = run_bad_cli(capsys, ["scenario", "run", path, "--out", str(tmp_path / "o")])
    assert "variations[1].automation.containment: Input should be less than 1" in line
    assert not (tmp_path / "o").exists()


def test_unknown_variation_key_names_the_field(tmp_path, capsys):
    path = _write(tmp_path, variations=[{"name": "a", "fte_scal": 0.5}])
    line = run_bad_cli(capsys, ["scenario", "run", path, "--out", str(tmp_path / "o")])
    assert "variations[0].fte_scal: Extra inputs are not permitted" in line


def test_bad_sweep_value_names_its_position(tmp_path, capsys):
    path = _write(tmp_path, variations=[], sweep={"fte_scale": [0.5, 0]})
    line = run_bad_cli(capsys, ["scenario", "run", path, "--out", str(tmp_path / "o")])
    assert "sweep.fte_scale[1]: Input should be greater than 0" in line


def test_missing_file(tmp_path, capsys):
    line = run_bad_cli(capsys, ["scenario", "run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    assert "scenario: file" in line
    assert "does not exist" in line


def test_not_a_mapping(tmp_path, capsys):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    line = run_bad_cli(capsys, ["scenario", "run", str(path), "--out", str(tmp_path / "o")])
    assert "must hold a mapping" in line


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [(["--jobs", "0"], "--jobs: must be >= 1"), (["--address", "10.0.0.1:6379"], "--address: only the ray backend")],
)
def test_bad_backend_flags(tmp_path, capsys, flags, fragment):
    line = run_bad_cli(capsys, ["scenario", "run", _write(tmp_path), "--out", str(tmp_path / "o"), *flags])
    assert fragment in line


def test_ray_backend_without_ray_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if it were not installed
    line = run_bad_cli(capsys, ["scenario", "run", _write(tmp_path), "--out", str(tmp_path / "o"), "--backend", "ray"])
    assert "backend ray needs `pip install shiftmix[ray]`" in line


def test_small_scenario_writes_results_and_prints_a_table(tmp_path, capsys):
    out = tmp_path / "out"
    path = _write(tmp_path)
    assert main(["scenario", "run", path, "--out", str(out), "--jobs", "1", "--no-progress", "--no-charts"]) == 0
    printed = capsys.readouterr().out
    assert "scenario     cli" in printed
    assert "\nbase " in printed
    assert "\nv " in printed
    assert (out / "results.csv").read_text().splitlines()[0].startswith("name,status,meets_target,total_cost")
    assert (out / "runs" / "v" / "plan.json").is_file()
    assert not list(out.glob("*.png"))
    report = (out / "report.html").read_text()
    assert ": base run</title>" in report
    assert 'id="gantt"' in report
