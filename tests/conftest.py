"""Shared factories for small, structured planning problems, and the hypothesis profiles."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, settings

from api.cli import main
from optimizer.domain import (
    BreakRule,
    Contract,
    DemandInterval,
    GigPool,
    PlanningProblem,
    ServiceTarget,
    SolveParams,
    Worker,
    Workforce,
)
from optimizer.grid import build_grid
from scenarios.spec import example_config_path

settings.register_profile(
    "default", max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TZ = "Europe/Stockholm"
MONDAY = dt.date(2026, 11, 30)

DETERMINISTIC = SolveParams(time_limit_s=20.0, num_workers=1, random_seed=7, relative_gap=0.0)


def make_contract(name: str = "ft", **kw: object) -> Contract:
    base: dict[str, object] = {
        "name": name,
        "min_hours_per_week": 0,
        "max_hours_per_week": 40,
        "min_days_per_week": 0,
        "max_days_per_week": 5,
        "shift_lengths_min": (480,),
        "earliest_start": dt.time(8),
        "latest_start": dt.time(12),
        "break_rule": BreakRule(length_min=60, earliest_after_start_min=180, latest_before_end_min=180),
        "cost_per_hour_cents": 2000,
    }
    base.update(kw)
    return Contract.model_validate(base)


def demand_rows(
    start_date: dt.date,
    days: int,
    interval_min: int,
    volume: Callable[[pd.Timestamp], float],
    aht_s: float = 300.0,
) -> tuple[DemandInterval, ...]:
    grid = build_grid(TZ, start_date, days, interval_min)
    return tuple(
        DemandInterval(interval_start=ts.to_pydatetime(), volume=volume(ts), aht_s=aht_s)
        for ts in grid.starts
    )


def office_hours(peak: float) -> Callable[[pd.Timestamp], float]:
    """Volume `peak` per interval 09:00-17:00 local, none otherwise."""
    return lambda ts: peak if 9 <= ts.hour < 17 else 0.0


def make_problem(
    *,
    days: int = 1,
    interval_min: int = 60,
    start_date: dt.date = MONDAY,
    volume: Callable[[pd.Timestamp], float] | None = None,
    contracts: Sequence[Contract] | None = None,
    workers: Sequence[Worker] | None = None,
    n_workers: int = 3,
    gig_pool: GigPool | None = None,
    target: ServiceTarget | None = None,
) -> PlanningProblem:
    contracts = tuple(contracts or (make_contract(),))
    if workers is None:
        workers = tuple(Worker(worker_id=f"w{i:02d}", contract=contracts[0].name) for i in range(n_workers))
    return PlanningProblem(
        timezone=TZ,
        start_date=start_date,
        days=days,
        interval_min=interval_min,
        demand=demand_rows(start_date, days, interval_min, volume or office_hours(20.0)),
        service_target=target
        or ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.0, max_occupancy=1.0),
        workforce=Workforce(contracts=contracts, workers=tuple(workers), gig_pool=gig_pool),
    )


def example_config() -> dict:
    """Return the bundled example config as a dict, its history path made absolute (to write elsewhere).

    Without the example's preferences: tests reshape its staff, and a preference of a worker no longer
    listed is bad input (tests/scenarios/test_bundled_people.py plans the example with them).
    """
    cfg = yaml.safe_load(example_config_path().read_text())
    cfg.pop("preferences", None)
    cfg["history"] = str(example_config_path().parent / cfg["history"])
    return cfg


def run_bad_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI on bad input; assert exit 2 and one traceback-free error line on stderr; return it."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith("shiftmix: error: ")
    return lines[0]


@pytest.fixture
def deterministic() -> SolveParams:
    return DETERMINISTIC
