"""A forecast plan reads its forecaster's measured error as the service target's volume CV."""

from __future__ import annotations

import numpy as np

import forecasting
from scenarios.pipeline import forecast_problem
from scenarios.spec import load_example


def test_a_forecast_plan_takes_the_forecasters_measured_volume_cv():
    config, base_dir = load_example()
    config = config.model_copy(update={"days": 2})
    problem, run = forecast_problem(config, base_dir)
    assert config.service_target.volume_cv is None
    history = forecasting.load_history(base_dir / "history.csv", timezone=config.timezone)
    assert run.backtest is not None  # the example forecasts with model auto: its backtest measures the error
    score = next(s for s in run.backtest["scores"] if s["forecaster"] == run.model)
    assert run.volume_cv == round(score["rate_cv"], 4)
    fitted = forecasting.make_forecaster(run.model, country=config.forecast.country).fit(history)
    assert run.volume_cv > fitted.error.rate_cv  # out of sample it misses by more than in sample
    assert 0.0 < run.volume_cv < 1.0
    assert problem.service_target.volume_cv == run.volume_cv
    # each interval carries its own CV by forecast size: small intervals miss by more
    spread = forecasting.RateSpread(score["spread_per_contact"], score["spread_share"])
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
