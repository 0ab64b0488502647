"""The bad-input corpus: every case exits 2 with one traceback-free line that names the field or flag.

Cases are argv templates: ``{d}`` is a folder of prepared bad files (see :func:`corpus_dir`) and ``{plan}`` a
published ``plan.json``. Each case fails before any solve, so the whole corpus runs in seconds.
"""

from __future__ import annotations

import json
import shlex
import socket
from pathlib import Path

import pytest
import yaml

from api.cli import build_parser, main
from api.schemas import ForecastRequest
from forecasting import DEFAULT_COUNTRY
from optimizer.errors import InputError
from scenarios.backends import check_reachable
from scenarios.spec import ForecastSettings, example_config_path
from tests.conftest import example_config, run_bad_cli

NOT_UTF8 = b"\xff\xfe\x00 not utf-8 \xc3\x28"
SMALL_HISTORY_DAYS = 42


def _history_rows(days: int) -> list[str]:
    """Half-hourly rows of ``days`` days of the bundled history's tail (enough for seasonal naive)."""
    lines = Path(example_config()["history"]).read_text().splitlines()
    return [lines[0], *lines[-days * 48 :]]


def _config(d: Path, name: str, mutate) -> None:  # type: ignore[no-untyped-def]
    cfg = example_config()
    cfg["history"] = str(d / "small.csv")
    cfg["days"] = 1
    cfg["forecast"] = {"model": "seasonal_naive", "country": "SE", "quantile": None, "backtest_folds": 2}
    mutate(cfg)
    (d / name).write_text(yaml.safe_dump(cfg))


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    rows = _history_rows(SMALL_HISTORY_DAYS)
    (d / "small.csv").write_text("\n".join(rows) + "\n")
    (d / "header.csv").write_text(rows[0] + "\n")
    (d / "one_row.csv").write_text("\n".join(rows[:2]) + "\n")
    (d / "nan_volume.csv").write_text(rows[0] + "\n" + rows[1].replace(",0,", ",nan,", 1) + "\n" + rows[2] + "\n")
    (d / "neg_volume.csv").write_text("\n".join([rows[0], *(r.replace(",0,", ",-4,", 1) for r in rows[1:50])]) + "\n")
    (d / "bad_ts.csv").write_text("\n".join([rows[0], "yesterday,3,200", *rows[2:50]]) + "\n")
    for name in ("bin.yaml", "bin.json", "bin.csv"):
        (d / name).write_bytes(NOT_UTF8)
    (d / "adir").mkdir()
    (d / "afile").write_text("x")
    (d / "bad.yaml").write_text("a: [1, 2\n")
    (d / "list.yaml").write_text("- 1\n- 2\n")
    (d / "events_bad.csv").write_text("date,name\nnot-a-date,launch\n")
    (d / "notjson.json").write_text("{plan: ")
    (d / "list.json").write_text("[1, 2]")
    (d / "noproblem.json").write_text(json.dumps({"plan": {}}))
    (d / "badplan.json").write_text(json.dumps({"plan": {"timezone": 3}, "problem": {}}))
    mutations = {
        "sl_nan.yaml": lambda c: c["service_target"].update(service_level=float("nan")),
        "sl_big.yaml": lambda c: c["service_target"].update(service_level=1.5),
        "within_inf.yaml": lambda c: c["service_target"].update(answer_within_s=float("inf")),
        "within_neg.yaml": lambda c: c["service_target"].update(answer_within_s=-1),
        "shrink_nan.yaml": lambda c: c["service_target"].update(shrinkage=float("nan")),
        "occ_zero.yaml": lambda c: c["service_target"].update(max_occupancy=0),
        "days0.yaml": lambda c: c.update(days=0),
        "days36.yaml": lambda c: c.update(days=36),
        "tz.yaml": lambda c: c.update(timezone="Mars/Base"),
        "start_text.yaml": lambda c: c.update(start_date="soon"),
        "start_far.yaml": lambda c: c.update(start_date="2098-01-05"),
        "start_inside.yaml": lambda c: c.update(start_date="2026-11-02"),
        "hist_missing.yaml": lambda c: c.update(history=str(d / "nope.csv")),
        "hist_dir.yaml": lambda c: c.update(history=str(d / "adir")),
        "hist_header.yaml": lambda c: c.update(history=str(d / "header.csv")),
        "hist_bin.yaml": lambda c: c.update(history=str(d / "bin.csv")),
        "hist_nan.yaml": lambda c: c.update(history=str(d / "nan_volume.csv")),
        "cost_nan.yaml": lambda c: c["contracts"][0].update(cost_per_hour_cents=float("nan")),
        "gig_cost.yaml": lambda c: c["gig_pool"].update(cost_per_hour_cents=-5),
        "gig_cap.yaml": lambda c: c["gig_pool"].update(max_concurrent=-1),
        "extra.yaml": lambda c: c.update(colour="blue"),
        "staff_contract.yaml": lambda c: c["staff"][0].update(contract="ft99"),
        "model.yaml": lambda c: c["forecast"].update(model="crystal_ball"),
        "quantile.yaml": lambda c: c["forecast"].update(quantile=1.5),
        "country.yaml": lambda c: c["forecast"].update(country="XX"),
        "solve_nan.yaml": lambda c: c.update(solve={"time_limit_s": float("nan")}),
        "solve_workers.yaml": lambda c: c.update(solve={"num_workers": 0}),
        "containment.yaml": lambda c: c["automation"].update(containment=2),
    }
    for name, mutate in mutations.items():
        _config(d, name, mutate)
    _config(d, "good.yaml", lambda c: c.update(solve={"time_limit_s": 5, "num_workers": 1}))
    assert main(["plan", "--config", str(d / "good.yaml"), "--out", str(d / "published")]) == 0
    return d


PLAN = "plan --config {d}/good.yaml --out {o}"
REPLAN = "replan --plan {plan} --uplift '+10% 2026-12-01T08:00/2026-12-01T10:00' --now 2026-11-30T07:00+01:00"
REPLAN_OUT = REPLAN + " --out {o}"
FORECAST = "forecast --history {d}/small.csv --out {d}/f.csv"
BACKTEST = "backtest --history {d}/small.csv"
ERLANG = "erlang --volume 100 --interval-minutes 30 --aht-s 300 --service-level 0.8 --within-s 20"

CASES: list[tuple[str, str, str]] = [
    # plan: files and flags
    ("plan-config-not-utf8", "plan --config {d}/bin.yaml --out {o}", "config: "),
    ("plan-config-json-not-utf8", "plan --config {d}/bin.json --out {o}", "config: "),
    ("plan-config-folder", "plan --config {d}/adir --out {o}", "config: "),
    ("plan-config-missing", "plan --config {d}/nope.yaml --out {o}", "config: file"),
    ("plan-config-bad-yaml", "plan --config {d}/bad.yaml --out {o}", "config: "),
    ("plan-config-list", "plan --config {d}/list.yaml --out {o}", "config: "),
    ("plan-out-file", "plan --config {d}/good.yaml --out {d}/afile", "--out: "),
    ("plan-out-under-file", "plan --config {d}/good.yaml --out {d}/afile/x", "--out: "),
    ("plan-time-nan", PLAN + " --time-limit-s nan", "argument --time-limit-s: "),
    ("plan-time-inf", PLAN + " --time-limit-s inf", "argument --time-limit-s: "),
    ("plan-time-text", PLAN + " --time-limit-s soon", "argument --time-limit-s: "),
    ("plan-time-negative", PLAN + " --time-limit-s -1", "--time-limit-s: "),
    ("plan-time-huge", PLAN + " --time-limit-s 99999", "--time-limit-s: "),
    ("plan-workers-zero", PLAN + " --workers 0", "--workers: "),
    ("plan-workers-many", PLAN + " --workers 65", "--workers: "),
    ("plan-seed-negative", PLAN + " --seed -1", "--seed: "),
    ("plan-no-source", "plan --out {o}", "one of the arguments --example --config"),
    # plan: config fields
    ("plan-service-level-nan", "plan --config {d}/sl_nan.yaml --out {o}", "service_target.service_level: "),
    ("plan-service-level-big", "plan --config {d}/sl_big.yaml --out {o}", "service_target.service_level: "),
    ("plan-within-inf", "plan --config {d}/within_inf.yaml --out {o}", "service_target.answer_within_s: "),
    ("plan-within-negative", "plan --config {d}/within_neg.yaml --out {o}", "service_target.answer_within_s: "),
    ("plan-shrinkage-nan", "plan --config {d}/shrink_nan.yaml --out {o}", "service_target.shrinkage: "),
    ("plan-occupancy-zero", "plan --config {d}/occ_zero.yaml --out {o}", "service_target.max_occupancy: "),
    ("plan-days-zero", "plan --config {d}/days0.yaml --out {o}", "days: "),
    ("plan-days-36", "plan --config {d}/days36.yaml --out {o}", "days: "),
    ("plan-timezone", "plan --config {d}/tz.yaml --out {o}", "timezone"),
    ("plan-start-text", "plan --config {d}/start_text.yaml --out {o}", "start_date: "),
    ("plan-start-decades-ahead", "plan --config {d}/start_far.yaml --out {o}", "start_date: "),
    ("plan-start-inside-history", "plan --config {d}/start_inside.yaml --out {o}", "start_date: "),
    ("plan-history-missing", "plan --config {d}/hist_missing.yaml --out {o}", "history: "),
    ("plan-history-folder", "plan --config {d}/hist_dir.yaml --out {o}", "history: "),
    ("plan-history-header-only", "plan --config {d}/hist_header.yaml --out {o}", "history: "),
    ("plan-history-not-utf8", "plan --config {d}/hist_bin.yaml --out {o}", "history: "),
    ("plan-history-nan", "plan --config {d}/hist_nan.yaml --out {o}", "volume"),
    ("plan-contract-cost-nan", "plan --config {d}/cost_nan.yaml --out {o}", "contracts[0].cost_per_hour_cents: "),
    ("plan-gig-cost-negative", "plan --config {d}/gig_cost.yaml --out {o}", "gig_pool.cost_per_hour_cents: "),
    ("plan-gig-cap-negative", "plan --config {d}/gig_cap.yaml --out {o}", "gig_pool.max_concurrent: "),
    ("plan-extra-key", "plan --config {d}/extra.yaml --out {o}", "colour: "),
    ("plan-unknown-contract", "plan --config {d}/staff_contract.yaml --out {o}", "staff[0]"),
    ("plan-unknown-model", "plan --config {d}/model.yaml --out {o}", "forecast.model: "),
    ("plan-quantile-big", "plan --config {d}/quantile.yaml --out {o}", "forecast.quantile: "),
    ("plan-country-unknown", "plan --config {d}/country.yaml --out {o}", "country: "),
    ("plan-solve-time-nan", "plan --config {d}/solve_nan.yaml --out {o}", "solve.time_limit_s: "),
    ("plan-solve-workers-zero", "plan --config {d}/solve_workers.yaml --out {o}", "solve.num_workers: "),
    ("plan-containment-big", "plan --config {d}/containment.yaml --out {o}", "automation.containment: "),
    # replan
    ("replan-plan-not-utf8", "replan --plan {d}/bin.json --uplift '+10% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: "),
    ("replan-plan-folder", "replan --plan {d}/adir --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: "),
    ("replan-plan-missing", "replan --plan {d}/nope.json --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: "),
    ("replan-plan-not-json", "replan --plan {d}/notjson.json --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: "),
    ("replan-plan-list", "replan --plan {d}/list.json --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: "),
    ("replan-plan-no-problem", "replan --plan {d}/noproblem.json --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: "),
    ("replan-plan-bad-schema", "replan --plan {d}/badplan.json --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00+01:00 --out {o}", "--plan: plan."),
    ("replan-now-text", "replan --plan {plan} --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' --now soon "
     "--out {o}", "--now: "),
    ("replan-now-naive", "replan --plan {plan} --uplift '+1% 2026-12-01T08:00/2026-12-01T10:00' "
     "--now 2026-11-30T07:00 --out {o}", "--now: "),
    ("replan-uplift-garbage", "replan --plan {plan} --uplift 'lots more' --now 2026-11-30T07:00+01:00 "
     "--out {o}", "--uplift"),
    ("replan-forecast-missing", "replan --plan {plan} --forecast {d}/nope.csv --now 2026-11-30T07:00+01:00 "
     "--out {o}", "--forecast: "),
    ("replan-forecast-not-utf8", "replan --plan {plan} --forecast {d}/bin.csv --now 2026-11-30T07:00+01:00 "
     "--out {o}", "--forecast: "),
    ("replan-forecast-folder", "replan --plan {plan} --forecast {d}/adir --now 2026-11-30T07:00+01:00 "
     "--out {o}", "--forecast: "),
    ("replan-out-file", REPLAN + " --out {d}/afile", "--out: "),
    ("replan-time-nan", REPLAN_OUT + " --time-limit-s nan", "argument --time-limit-s: "),
    ("replan-time-negative", REPLAN_OUT + " --time-limit-s -3", "--time-limit-s: "),
    ("replan-extension-negative", REPLAN_OUT + " --allow-extensions --max-extension-min -5", "--max-extension-min"),
    ("replan-overtime-nan", REPLAN_OUT + " --overtime-rate-ratio nan", "argument --overtime-rate-ratio: "),
    ("replan-workers-zero", REPLAN_OUT + " --workers 0", "--workers: "),
    ("replan-seed-negative", REPLAN_OUT + " --seed -2", "--seed: "),
    ("replan-lead-negative", REPLAN_OUT + " --lead-time-min -30", "--lead-time-min"),
    # scenario
    ("scenario-not-utf8", "scenario run {d}/bin.yaml --out {o}", "scenario: "),
    ("scenario-folder", "scenario run {d}/adir --out {o}", "scenario: "),
    ("scenario-missing", "scenario run {d}/nope.yaml --out {o}", "scenario: "),
    ("scenario-bad-yaml", "scenario run {d}/bad.yaml --out {o}", "scenario: "),
    ("scenario-out-file", "scenario run {s} --out {d}/afile", "--out: "),
    ("scenario-jobs-zero", "scenario run {s} --out {o} --jobs 0", "--jobs: "),
    ("scenario-address-local", "scenario run {s} --out {o} --address 127.0.0.1:1", "--address: "),
    ("scenario-backend-unknown", "scenario run {s} --out {o} --backend spark", "argument --backend"),
    # forecast and backtest
    ("forecast-history-header-only", "forecast --history {d}/header.csv --out {d}/f.csv", "history: "),
    ("forecast-history-one-row", "forecast --history {d}/one_row.csv --out {d}/f.csv", "history: "),
    ("forecast-history-folder", "forecast --history {d}/adir --out {d}/f.csv", "history: "),
    ("forecast-history-not-utf8", "forecast --history {d}/bin.csv --out {d}/f.csv", "history: "),
    ("forecast-history-missing", "forecast --history {d}/nope.csv --out {d}/f.csv", "history: "),
    ("forecast-history-nan", "forecast --history {d}/nan_volume.csv --out {d}/f.csv", "volume"),
    ("forecast-history-negative", "forecast --history {d}/neg_volume.csv --out {d}/f.csv", "volume"),
    ("forecast-history-bad-time", "forecast --history {d}/bad_ts.csv --out {d}/f.csv", "interval_start"),
    ("forecast-out-folder", "forecast --history {d}/small.csv --out {d}/adir", "--out: "),
    ("forecast-out-no-parent", "forecast --history {d}/small.csv --out {d}/nodir/f.csv", "--out: "),
    ("forecast-out-under-file", "forecast --history {d}/small.csv --out {d}/afile/f.csv", "--out: "),
    ("forecast-horizon-3650", FORECAST + " --horizon-days 3650", "--horizon-days: "),
    ("forecast-horizon-zero", FORECAST + " --horizon-days 0", "--horizon-days: "),
    ("forecast-horizon-text", FORECAST + " --horizon-days week", "argument --horizon-days: "),
    ("forecast-quantile-big", FORECAST + " --quantiles 2", "quantiles[0]: "),
    ("forecast-quantile-nan", FORECAST + " --quantiles nan", "quantiles[0]: "),
    ("forecast-quantile-text", FORECAST + " --quantiles high", "--quantiles: "),
    ("forecast-timezone", FORECAST + " --timezone Mars/Base", "timezone: "),
    ("forecast-country", FORECAST + " --country XX", "country: "),
    ("forecast-events-folder", FORECAST + " --events {d}/adir", "events: "),
    ("forecast-events-not-utf8", FORECAST + " --events {d}/bin.csv", "events: "),
    ("forecast-events-missing", FORECAST + " --events {d}/nope.csv", "events: "),
    ("forecast-events-bad-date", FORECAST + " --events {d}/events_bad.csv", "events.date"),
    ("forecast-model-unknown", FORECAST + " --model crystal_ball", "argument --model: "),
    ("backtest-history-header-only", "backtest --history {d}/header.csv", "history: "),
    ("backtest-history-folder", "backtest --history {d}/adir", "history: "),
    ("backtest-folds-zero", BACKTEST + " --folds 0", "folds: "),
    ("backtest-folds-many", BACKTEST + " --folds 1000", "folds: "),
    ("backtest-horizon-3650", BACKTEST + " --horizon-days 3650", "--horizon-days: "),
    # erlang
    ("erlang-volume-nan", ERLANG + " --volume nan", "argument --volume: "),
    ("erlang-volume-negative", ERLANG + " --volume -1", "--volume"),
    ("erlang-aht-inf", ERLANG + " --aht-s inf", "argument --aht-s: "),
    ("erlang-aht-zero", ERLANG + " --aht-s 0", "--aht-s"),
    ("erlang-within-huge", ERLANG + " --within-s 1e308", "--within-s: "),
    ("erlang-within-inf", ERLANG + " --within-s inf", "argument --within-s: "),
    ("erlang-service-level-big", ERLANG + " --service-level 1.5", "--service-level: "),
    ("erlang-service-level-nan", ERLANG + " --service-level nan", "argument --service-level: "),
    ("erlang-interval", ERLANG + " --interval-minutes 7", "--interval-minutes: "),
    ("erlang-patience-zero", ERLANG + " --patience-s 0", "--patience-s: "),
    ("erlang-concurrency-zero", ERLANG + " --concurrency 0", "--concurrency: "),
    ("erlang-shrinkage-nan", ERLANG + " --shrinkage nan", "argument --shrinkage: "),
    ("erlang-occupancy-big", ERLANG + " --max-occupancy 2", "--max-occupancy: "),
    ("erlang-asa-negative", ERLANG + " --max-asa-s -1", "--max-asa-s: "),
    # keys and the command itself
    ("keys-org-empty", "keys create --org ''", "--org: "),
    ("keys-org-long", "keys create --org " + "x" * 65, "--org: "),
    ("command-unknown", "teleport", "invalid choice"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "names"), [pytest.param(a, n, id=i) for i, a, n in CASES])
def test_bad_input_exits_2_with_one_line_naming_the_field(corpus_dir, tmp_path, capsys, argv, names):
    plan = corpus_dir / "published" / "plan.json"
    out = tmp_path / "out"
    scenario = example_config_path().parent / "headcount-cut.yaml"
    line = run_bad_cli(capsys, shlex.split(argv.format(d=corpus_dir, plan=plan, o=out, s=scenario)))
    assert names in line, line
    assert "(input)" not in line
    assert not out.exists(), "a rejected run must not leave output behind"


def test_the_corpus_holds_about_a_hundred_distinct_cases():
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES)


def test_an_unreachable_ray_address_is_one_line_naming_the_flag():
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError) as caught:
        check_reachable(f"127.0.0.1:{port}", timeout_s=1.0)
    assert caught.value.field == "--address"
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in caught.value.problem
    with pytest.raises(InputError, match="is not host:port"):
        check_reachable("ray://head:port")


def test_forecast_and_plan_share_one_default_holiday_calendar():
    parser = build_parser()
    args = parser.parse_args(["forecast", "--history", "h.csv", "--out", "f.csv"])
    assert args.country == DEFAULT_COUNTRY == ForecastSettings().country
    assert ForecastRequest.model_fields["country"].default == DEFAULT_COUNTRY
    assert parser.parse_args(["forecast", "--history", "h", "--out", "f", "--country", "none"]).country is None


def test_a_horizon_months_after_the_history_plans_with_a_note(corpus_dir, tmp_path, capsys):
    cfg = yaml.safe_load((corpus_dir / "good.yaml").read_text())
    cfg["start_date"] = "2027-02-01"
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["plan", "--config", str(path), "--out", str(tmp_path / "o")]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note")]
    assert any("start_date 2027-02-01 is 63 days after the history ends (2026-11-30)" in n for n in notes), notes
