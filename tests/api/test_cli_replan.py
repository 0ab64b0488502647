"""`shiftmix replan`: plan a short horizon, re-plan it with an uplift or a forecast, and reject bad input."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import yaml

from api.cli import main
from tests.conftest import example_config, run_bad_cli


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A published 2-day plan of the bundled example (30-minute intervals), with its horizon."""
    cfg = example_config()
    cfg["days"] = 2
    cfg["forecast"]["model"] = "seasonal_naive"
    cfg["staff"] = [
        {"contract": "ft40", "count": 40, "id_prefix": "ft"},
        {"contract": "flex20", "count": 10, "id_prefix": "fx"},
    ]
    cfg["gig_pool"]["lead_time_min"] = 120
    cfg["solve"] = {"time_limit_s": 20, "num_workers": 1, "random_seed": 3, "relative_gap": 0.0}
    folder = tmp_path_factory.mktemp("published")
    path = folder / "short.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = folder / "out"
    assert main(["plan", "--config", str(path), "--out", str(out)]) == 0
    doc = json.loads((out / "plan.json").read_text())
    start = dt.date.fromisoformat(doc["problem"]["start_date"])
    return out, start


def _replan(published, tmp_path, *extra: str) -> tuple[int, object]:
    out_dir, start = published
    day2 = start + dt.timedelta(days=1)
    argv = [
        "replan",
        "--plan",
        str(out_dir / "plan.json"),
        "--now",
        f"{day2}T07:00+01:00",
        "--out",
        str(tmp_path / "re"),
        "--time-limit-s",
        "20",
        *extra,
    ]
    return main(argv), tmp_path / "re"


def test_uplift_round_trip_adds_gigs_after_now_plus_lead_and_keeps_published_shifts(published, tmp_path, capsys):
    out_dir, start = published
    day2 = start + dt.timedelta(days=1)
    code, re_dir = _replan(published, tmp_path, "--uplift", f"+40% {day2}T08:00/{day2}T14:00")
    assert code == 0
    printed = capsys.readouterr().out
    assert "gigs added" in printed
    assert "check        passed" in printed

    before = pd.read_csv(out_dir / "schedule.csv")
    after = pd.read_csv(re_dir / "schedule.csv")
    fte_cols = ["worker_id", "start", "end", "break_start", "break_end", "paid_minutes", "cost_cents"]
    pd.testing.assert_frame_equal(
        before[before["kind"] == "fte"][fte_cols].reset_index(drop=True),
        after[after["kind"] == "fte"][fte_cols].reset_index(drop=True),
    )
    gig_cols = ["worker_id", "start", "end"]
    kept = before[before["kind"] == "gig"][gig_cols].merge(after[gig_cols], how="left", indicator=True)
    assert (kept["_merge"] == "both").all()

    changes = pd.read_csv(re_dir / "changes.csv")
    assert list(changes.columns) == ["change", "worker_id", "kind", "start", "end", "old_start", "old_end"]
    assert len(changes) > 0
    assert set(changes["change"]) == {"added"}
    assert set(changes["kind"]) == {"gig"}
    first_new = pd.Timestamp(f"{day2}T09:00+01:00")
    window_end = pd.Timestamp(f"{day2}T14:00+01:00")
    starts = pd.to_datetime(changes["start"], utc=True)
    assert (starts >= first_new).all()
    assert (starts < window_end).all()
    assert len(after) == len(before) + len(changes)

    days = pd.read_csv(re_dir / "days.csv")
    assert len(days) == 2
    assert (days["service_level_after"] >= days["service_level_before"] - 1e-12).all()
    assert days.loc[1, "cost_after_cents"] > days.loc[1, "cost_before_cents"]
    assert days.loc[0, "cost_after_cents"] == days.loc[0, "cost_before_cents"]

    doc = json.loads((re_dir / "plan.json").read_text())
    assert doc["check"] == []
    assert doc["plan"]["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert doc["problem"]["start_date"] == start.isoformat()
    assert len(pd.read_csv(re_dir / "coverage.csv")) == 96


def test_forecast_csv_round_trip_and_replan_of_a_replan(published, tmp_path):
    out_dir, start = published
    day2 = start + dt.timedelta(days=1)
    coverage = pd.read_csv(out_dir / "coverage.csv")
    tomorrow = coverage[coverage["interval_start"].str.startswith(day2.isoformat())]
    forecast = tomorrow.assign(volume=tomorrow["volume"] * 1.25)[["interval_start", "volume", "aht_s"]]
    path = tmp_path / "fc.csv"
    forecast.to_csv(path, index=False)
    code, re_dir = _replan(published, tmp_path, "--forecast", str(path))
    assert code == 0
    assert len(pd.read_csv(re_dir / "changes.csv")) > 0
    again = main(
        [
            "replan",
            "--plan",
            str(re_dir / "plan.json"),
            "--forecast",
            str(path),
            "--now",
            f"{day2}T12:00+01:00",
            "--out",
            str(tmp_path / "again"),
        ]
    )
    assert again == 0
    assert len(pd.read_csv(tmp_path / "again" / "changes.csv")) == 0


def _argv(
    plan_json,
    tmp_path,
    *,
    now: str = "2026-12-01T07:00+01:00",
    source=("--uplift", "+10% 2026-12-01T08:00/2026-12-01T10:00"),
):
    return ["replan", "--plan", str(plan_json), *source, "--now", now, "--out", str(tmp_path / "o")]


def test_missing_plan_file(tmp_path, capsys):
    line = run_bad_cli(capsys, _argv(tmp_path / "nope.json", tmp_path))
    assert "--plan: file" in line
    assert "does not exist" in line


def test_malformed_plan_json(tmp_path, capsys):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    assert "--plan: " in run_bad_cli(capsys, _argv(bad, tmp_path))
    bad.write_text(json.dumps({"plan": {}}))
    assert "must hold 'plan' and 'problem'" in run_bad_cli(capsys, _argv(bad, tmp_path))


def test_plan_json_with_a_bad_field_names_it(published, tmp_path, capsys):
    doc = json.loads((published[0] / "plan.json").read_text())
    doc["problem"]["days"] = 0
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(doc))
    line = run_bad_cli(capsys, _argv(bad, tmp_path))
    assert "--plan: problem.days:" in line


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-12-01T07:00", "--now: '2026-12-01T07:00' needs a UTC offset"),
        ("yesterday", "--now: 'yesterday' is not an ISO 8601 date-time"),
        ("2027-01-01T07:00+01:00", "--now: 2027-01-01T07:00:00+01:00 is outside the horizon"),
    ],
)
def test_bad_now(published, tmp_path, capsys, now, expected):
    line = run_bad_cli(capsys, _argv(published[0] / "plan.json", tmp_path, now=_shift(published, now)))
    assert _shift(published, expected) in line


def _shift(published, text: str) -> str:
    return text.replace("2026-12-01", str(published[1] + dt.timedelta(days=1)))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "+40 2026-12-01T08:00/2026-12-01T10:00",
            "--uplift[0]: '+40 2026-12-01T08:00/2026-12-01T10:00' is not of the form",
        ),
        (
            "+40% 2026-12-01T10:00/2026-12-01T08:00",
            "--uplift[0]: '+40% 2026-12-01T10:00/2026-12-01T08:00': end must be",
        ),
        ("+40% 2026-12-01T08:00/2026-12-05T08:00", "--uplift[0]: window"),
    ],
)
def test_bad_uplift(published, tmp_path, capsys, spec, expected):
    argv = _argv(published[0] / "plan.json", tmp_path, source=("--uplift", _shift(published, spec)))
    line = run_bad_cli(capsys, argv)
    assert _shift(published, expected) in line


def test_forecast_rows_off_the_horizon(published, tmp_path, capsys):
    path = tmp_path / "fc.csv"
    path.write_text("interval_start,volume,aht_s\n2030-01-01T08:00:00+01:00,5,300\n2030-01-01T08:30:00+01:00,5,300\n")
    line = run_bad_cli(capsys, _argv(published[0] / "plan.json", tmp_path, source=("--forecast", str(path))))
    assert "--forecast.interval_start[2030-01-01T08:00:00+01:00]: 2 row(s) are not intervals of the horizon" in line


def test_forecast_with_the_wrong_interval(published, tmp_path, capsys):
    path = tmp_path / "fc.csv"
    path.write_text("interval_start,volume,aht_s\n2026-12-01T08:00:00+01:00,5,300\n2026-12-01T08:15:00+01:00,5,300\n")
    line = run_bad_cli(capsys, _argv(published[0] / "plan.json", tmp_path, source=("--forecast", str(path))))
    assert "--forecast.interval_start[" in line
    assert "must start 30 min after the previous interval" in line


def test_extension_off_the_grid(published, tmp_path, capsys):
    argv = [*_argv(published[0] / "plan.json", tmp_path), "--allow-extensions", "--max-extension-min", "45"]
    line = run_bad_cli(capsys, argv)
    assert "--max-extension-min: 45 is not a multiple of interval_min 30" in line


def test_extensions_need_room(published, tmp_path, capsys):
    argv = [*_argv(published[0] / "plan.json", tmp_path), "--allow-extensions", "--max-extension-min", "0"]
    line = run_bad_cli(capsys, argv)
    assert "--max-extension-min: max_extension_min must be > 0" in line


def test_replan_writes_its_report_with_the_changes_and_a_workbook(published, tmp_path):
    out_dir, start = published
    day2 = start + dt.timedelta(days=1)
    code, re_dir = _replan(
        published, tmp_path, "--uplift", f"+40% {day2}T08:00/{day2}T14:00", "--formats", "csv,html,xlsx"
    )
    assert code == 0
    report = (re_dir / "report.html").read_text()
    assert "What the re-plan changed" in report
    changes = pd.read_csv(re_dir / "changes.csv")
    assert len(changes) > 0
    assert report.count("<tr>") >= len(changes) + 1
    assert 'Independent check: <span class="ok">passed</span>' in report
    assert (re_dir / "plan.xlsx").stat().st_size > 0


def test_replan_unknown_format_is_named(published, tmp_path, capsys):
    out_dir, _ = published
    line = run_bad_cli(
        capsys,
        [
            "replan",
            "--plan",
            str(out_dir / "plan.json"),
            "--now",
            "2026-12-01T07:00+01:00",
            "--uplift",
            "+1%",
            "--out",
            str(tmp_path / "x"),
            "--formats",
            "pdf",
        ],
    )
    assert "--formats: unknown format(s) pdf" in line
