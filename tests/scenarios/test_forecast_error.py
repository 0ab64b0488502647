"""A forecast plan reads its forecaster's measured error as the service target's volume CV."""

from __future__ import annotations

import forecasting
from scenarios.pipeline import forecast_problem
from scenarios.spec import load_example


def test_a_forecast_plan_takes_the_forecasters_measured_volume_cv():
    config, base_dir = load_example()
    config = config.model_copy(update={"days": 2})
    problem, run = forecast_problem(config, base_dir)
    assert config.service_target.volume_cv is None
    history = forecasting.load_history(base_dir / "history.csv", timezone=config.timezone)
    fitted = forecasting.make_forecaster(run.model, country=config.forecast.country).fit(history)
    assert run.volume_cv == round(fitted.error.rate_cv, 4)
    assert 0.0 < run.volume_cv < 1.0
    assert problem.service_target.volume_cv == run.volume_cv


def test_a_volume_cv_in_the_config_is_kept():
    config, base_dir = load_example()
    target = config.service_target.model_copy(update={"volume_cv": 0.3})
    config = config.model_copy(update={"days": 2, "service_target": target})
    problem, run = forecast_problem(config, base_dir)
    assert run.volume_cv is not None
    assert run.volume_cv != 0.3
    assert problem.service_target.volume_cv == 0.3
