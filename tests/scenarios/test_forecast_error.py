"""A forecast plan reads its forecaster's measured error as the service target's volume CV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting
from scenarios.pipeline import forecast_problem, handle_notes
from scenarios.spec import load_example


def test_a_forecast_plan_takes_the_forecasters_measured_volume_cv():
    config, base_dir = load_example()
    config = config.model_copy(update={"days": 2})
    problem, run = forecast_problem(config, base_dir)
    assert config.service_target.volume_cv is None
    history = forecasting.load_history(base_dir / "history.csv", timezone=config.timezone)
    assert run.backtest is not None  # the example forecasts with model auto: its backtest measures the error
    score = next(s for s in run.backtest["scores"] if s["forecaster"] == run.model)
    # the rate's miss with the AHT forecast's own miss beside it: a plan staffs for workload
    assert 0.0 < score["aht_cv"] < 0.1
    assert run.volume_cv == round(float(np.hypot(score["rate_cv"], score["aht_cv"])), 4)
    fitted = forecasting.make_forecaster(run.model, country=config.forecast.country).fit(history)
    assert run.volume_cv > fitted.error.rate_cv  # out of sample it misses by more than in sample
    assert 0.0 < run.volume_cv < 1.0
    assert problem.service_target.volume_cv == run.volume_cv
    # each interval carries its own CV by forecast size: small intervals miss by more
    spread = forecasting.RateSpread(score["spread_per_contact"], score["spread_share"] + score["aht_cv"] ** 2)
    rows = [r for r in problem.demand if r.volume > 0]
    assert [r.volume_cv for r in rows] == [round(float(spread.cv(np.array([r.volume]))[0]), 4) for r in rows]
    small, large = min(rows, key=lambda r: r.volume), max(rows, key=lambda r: r.volume)
    assert small.volume_cv > large.volume_cv


def test_a_volume_cv_in_the_config_is_kept():
    config, base_dir = load_example()
    target = config.service_target.model_copy(update={"volume_cv": 0.3})
    config = config.model_copy(update={"days": 2, "service_target": target})
    problem, run = forecast_problem(config, base_dir)
    assert run.volume_cv is not None
    assert run.volume_cv != 0.3
    assert problem.service_target.volume_cv == 0.3
    assert all(r.volume_cv is None for r in problem.demand)  # the configured CV holds for every interval


def test_a_forecast_plan_is_scaled_by_its_backtests_level_correction_and_says_so(tmp_path):
    """Under a year of the bundled history (the regression without its annual cycle, as in every fold) trails
    the autumn's rise: the plan's forecast is scaled by the correction its backtest measured (the default), a
    note says by how much; with ``bias_correction: false`` the raw forecast is planned."""
    config, base_dir = load_example()
    history = pd.read_csv(base_dir / "history.csv")
    history[history["interval_start"] >= "2026-02-02"].to_csv(tmp_path / "history.csv", index=False)
    config = config.model_copy(update={"days": 2, "history": "history.csv"})
    assert config.forecast.bias_correction
    scaled, run = forecast_problem(config, tmp_path)
    off = config.model_copy(update={"forecast": config.forecast.model_copy(update={"bias_correction": False})})
    raw, raw_run = forecast_problem(off, tmp_path)
    assert run.backtest is not None
    scale = next(s for s in run.backtest["scores"] if s["forecaster"] == run.model)["volume_scale"]
    assert scale > 1.0
    np.testing.assert_allclose(
        [r.volume for r in scaled.demand], [r.volume * scale for r in raw.demand], rtol=1e-9, atol=1e-9
    )
    assert [r.aht_s for r in scaled.demand] == [r.aht_s for r in raw.demand]
    assert any(f"scaled by {scale:.4f}" in note for note in run.notes)
    assert not any("scaled by" in note for note in raw_run.notes)


def test_a_correction_measured_without_the_annual_cycle_is_not_applied_to_a_fit_with_it():
    """The whole bundled history is a year: the final regression fits its annual cycle, which none of its
    backtest folds (each under a year) had, so their under-forecast is not this forecast's: it is planned
    unscaled, and a note says why. (The generator's expected volume for the plan week is 12,529 contacts; the
    unscaled forecast says 12,513, scaled it would say 12,814.)"""
    config, base_dir = load_example()
    assert config.forecast.bias_correction  # the example's setting, and the default
    problem, run = forecast_problem(config.model_copy(update={"days": 2}), base_dir)
    assert run.backtest is not None
    score = next(s for s in run.backtest["scores"] if s["forecaster"] == run.model)
    assert score["volume_scale"] > 1.0
    assert score["form"] == ""
    history = forecasting.load_history(base_dir / "history.csv", timezone=config.timezone)
    fitted = forecasting.make_forecaster(run.model, country=config.forecast.country).fit(history)
    assert fitted.form == "annual"
    assert [r.volume for r in problem.demand] == pytest.approx(list(fitted.forecast(96)["volume"]))
    assert any("not scaled by its backtest's" in note for note in run.notes)
    off = config.forecast.model_copy(update={"bias_correction": False})
    _, raw = forecast_problem(config.model_copy(update={"days": 2, "forecast": off}), base_dir)
    assert not any("scaled by" in note for note in raw.notes)  # nothing to say when it is off


def test_a_forecast_plan_takes_the_historys_handle_time_cv_and_says_so():
    config, base_dir = load_example()
    config = config.model_copy(update={"days": 2})
    assert config.service_target.handle_cv is None
    problem, run = forecast_problem(config, base_dir)
    history = forecasting.load_history(base_dir / "history.csv", timezone=config.timezone)
    measured = forecasting.measure_handle_cv(history)
    assert measured is not None
    assert run.handle == measured
    assert problem.service_target.handle_cv == measured.cv
    assert handle_notes(config, run) == (measured.note(),)
    assert "handle_cv 0.99 measured from the history's AHT spread over 9,717 intervals" in measured.note()


def test_a_handle_cv_in_the_config_is_kept_and_not_noted():
    config, base_dir = load_example()
    target = config.service_target.model_copy(update={"handle_cv": 1.3})
    config = config.model_copy(update={"days": 2, "service_target": target})
    problem, run = forecast_problem(config, base_dir)
    assert run.handle_cv is not None
    assert run.handle_cv != 1.3
    assert problem.service_target.handle_cv == 1.3
    assert handle_notes(config, run) == ()


def test_a_volume_only_history_plans_exponential_handle_times_and_says_why(tmp_path):
    config, base_dir = load_example()
    history = pd.read_csv(base_dir / "history.csv").drop(columns="aht_s")
    history[history["interval_start"] >= "2026-08-01"].to_csv(tmp_path / "history.csv", index=False)
    forecast = config.forecast.model_copy(update={"aht_s": 330.0})
    config = config.model_copy(update={"days": 2, "history": "history.csv", "forecast": forecast})
    problem, run = forecast_problem(config, tmp_path)
    assert run.handle is None
    assert problem.service_target.handle_cv is None
    assert problem.service_target.handle_law_cv == 1.0
    (note,) = handle_notes(config, run)
    assert note.startswith("handle_cv 1 assumed (exponential)")
    assert "set service_target.handle_cv" in note
