"""The tiny valid inputs behind the OpenAPI examples: one day of 60-minute intervals, three workers.

Built from the domain types, so the examples cannot drift from them; tests use them as fixtures too.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from optimizer.domain import (
    BreakRule,
    Contract,
    DemandInterval,
    GigPool,
    PlanningProblem,
    ServiceTarget,
    TimeOff,
    Worker,
    Workforce,
)
from optimizer.grid import build_grid

EXAMPLE_TIMEZONE = "Europe/Stockholm"
EXAMPLE_DATE = dt.date(2026, 3, 2)
"""A Monday without a DST change, so the example day has 24 hourly intervals."""


def _office_volume(hour: int) -> float:
    return 24.0 if 9 <= hour < 17 else 0.0


def example_demand(days: int = 1, start_date: dt.date = EXAMPLE_DATE) -> tuple[DemandInterval, ...]:
    """Return hourly demand rows: 24 contacts an hour 09:00-17:00 local, none otherwise, AHT 300 s."""
    grid = build_grid(EXAMPLE_TIMEZONE, start_date, days, 60)
    return tuple(
        DemandInterval(interval_start=ts.to_pydatetime(), volume=_office_volume(ts.hour), aht_s=300.0)
        for ts in grid.starts
    )


def example_problem() -> PlanningProblem:
    """Return the tiny valid problem behind the OpenAPI examples (1 day, 60-min intervals, 3 workers)."""
    contract = Contract(
        name="full_time",
        min_hours_per_week=0,
        max_hours_per_week=40,
        shift_lengths_min=(480,),
        earliest_start=dt.time(8),
        latest_start=dt.time(10),
        break_rule=BreakRule(length_min=60, earliest_after_start_min=180, latest_before_end_min=180),
        cost_per_hour_cents=2500,
    )
    return PlanningProblem(
        timezone=EXAMPLE_TIMEZONE,
        start_date=EXAMPLE_DATE,
        days=1,
        interval_min=60,
        demand=example_demand(),
        service_target=ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.0),
        workforce=Workforce(
            contracts=(contract,),
            workers=tuple(Worker(worker_id=f"agent-{i}", contract="full_time") for i in range(1, 4)),
            gig_pool=GigPool(cost_per_hour_cents=3500, max_concurrent=4),
        ),
    )


def busy_week_problem(workers: int = 40) -> PlanningProblem:
    """Return a week whose workers each have their own absence: plans in seconds, is never proved optimal.

    Distinct absences keep workers from being solved as crews of identical people, so CP-SAT keeps improving
    for the whole time limit. Tests use it to act on a running solve that already has a plan (cancel, kill);
    the API benchmark uses it to keep a worker busy while clients poll.
    """
    zone = ZoneInfo("Europe/Stockholm")
    start = dt.date(2026, 3, 2)
    grid = build_grid("Europe/Stockholm", start, 7, 60)
    demand = tuple(
        DemandInterval(
            interval_start=ts.to_pydatetime(),
            volume=(30 + 17 * math.sin(i * 0.37) + 11 * math.cos(i * 1.3)) if 7 <= ts.hour < 21 else 0.0,
            aht_s=300.0,
        )
        for i, ts in enumerate(grid.starts)
    )
    full = Contract(
        name="ft",
        min_hours_per_week=30,
        max_hours_per_week=40,
        shift_lengths_min=(360, 480),
        earliest_start=dt.time(6),
        latest_start=dt.time(14),
        break_rule=BreakRule(length_min=60, earliest_after_start_min=120, latest_before_end_min=120),
        cost_per_hour_cents=2500,
    )
    part = Contract(
        name="pt",
        min_hours_per_week=0,
        max_hours_per_week=24,
        shift_lengths_min=(240, 360),
        earliest_start=dt.time(7),
        latest_start=dt.time(16),
        break_rule=None,
        cost_per_hour_cents=2300,
    )
    staff = tuple(
        Worker(
            worker_id=f"w{i:02d}",
            contract="ft" if i % 2 else "pt",
            time_off=(
                TimeOff(
                    start=dt.datetime(2026, 3, 2 + i % 7, 6 + i % 11, tzinfo=zone),
                    end=dt.datetime(2026, 3, 2 + i % 7, 8 + i % 11, tzinfo=zone),
                ),
            ),
        )
        for i in range(workers)
    )
    return PlanningProblem(
        timezone="Europe/Stockholm",
        start_date=start,
        days=7,
        interval_min=60,
        demand=demand,
        service_target=ServiceTarget(),
        workforce=Workforce(
            contracts=(full, part), workers=staff, gig_pool=GigPool(cost_per_hour_cents=3300, max_concurrent=10)
        ),
    )
