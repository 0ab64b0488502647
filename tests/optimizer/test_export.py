"""The exchange-format frames: the unmet-interval list of a plan that cannot cover its demand."""

import datetime as dt

from optimizer import plan, unmet_frame
from tests.conftest import DETERMINISTIC, make_problem


def _short_plan():
    """One worker against a busy morning and a busy evening: two separate runs of understaffing."""
    problem = make_problem(
        n_workers=1, volume=lambda ts: 40.0 if ts.hour in (8, 9, 10, 18, 19) else (2.0 if 11 <= ts.hour < 18 else 0.0)
    )
    return plan(problem, DETERMINISTIC)


def test_unmet_runs_merge_consecutive_intervals_and_add_up_to_the_shortfall():
    result = _short_plan()
    runs = unmet_frame(result)
    short = [r for r in result.coverage if r.scheduled < r.required]
    assert short
    assert runs["intervals"].sum() == len(short)
    assert runs["short_agent_hours"].sum() == result.kpis.shortfall_agent_hours
    assert runs["most_short"].max() == max(r.required - r.scheduled for r in short)
    starts = [dt.datetime.fromisoformat(s) for s in runs["start"]]
    ends = [dt.datetime.fromisoformat(s) for s in runs["end"]]
    for start, end, n in zip(starts, ends, runs["intervals"], strict=True):
        assert end - start == dt.timedelta(minutes=result.interval_min * n)
    for prev_end, next_start in zip(ends, starts[1:], strict=False):
        assert next_start > prev_end  # runs are separated by at least one covered interval
    assert len(runs) >= 2


def test_a_covered_plan_has_no_unmet_runs():
    result = plan(make_problem(n_workers=6, volume=lambda ts: 10.0 if 10 <= ts.hour < 15 else 0.0), DETERMINISTIC)
    runs = unmet_frame(result)
    assert runs.empty
    assert list(runs.columns) == [
        "start",
        "end",
        "intervals",
        "most_short",
        "short_agent_hours",
        "volume",
        "service_level",
    ]
