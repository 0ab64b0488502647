"""Re-planning a published plan on new demand: minimal change, lead time, coverage, and the new-demand inputs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optimizer import GigPool, InputError, check_plan, plan
from optimizer.demand import demand_frame
from optimizer.domain import DemandInterval, PlannedShift
from optimizer.errors import DataError
from optimizer.replan import replan
from optimizer.replan.demand import parse_uplift, read_demand_csv, uplift_demand, with_demand
from optimizer.replan.domain import ReplanOptions
from tests.conftest import DETERMINISTIC, TZ, make_problem, office_hours

LEAD_MIN = 60
POOL = GigPool(
    cost_per_hour_cents=3000,
    max_concurrent=8,
    max_shifts_per_day=12,
    earliest_start=dt.time(7),
    latest_start=dt.time(16),
    lead_time_min=LEAD_MIN,
)
DEAR_POOL = POOL.model_copy(update={"cost_per_hour_cents": 9000})
NOW = dt.datetime.fromisoformat("2026-11-30T11:00+01:00")


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def published():
    problem = make_problem(days=2, interval_min=30, n_workers=4, gig_pool=POOL, volume=office_hours(20.0))
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    return problem, result


@pytest.fixture(scope="module")
def published_dear_gigs():
    problem = make_problem(days=2, interval_min=30, n_workers=4, gig_pool=DEAR_POOL, volume=office_hours(20.0))
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    return problem, result


def _uplift(problem, spec: str) -> pd.DataFrame:
    return uplift_demand(problem, parse_uplift(spec, problem.timezone))


def _fte(shifts) -> set[tuple]:
    return {(s.worker_id, s.start, s.end, s.breaks, s.paid_minutes, s.cost_cents) for s in shifts if s.kind == "fte"}


def _gigs(shifts) -> dict[str, PlannedShift]:
    return {s.worker_id: s for s in shifts if s.kind == "gig"}


def _assert_solved_and_checked(result) -> None:
    assert result.plan.solver.status == "OPTIMAL"
    assert check_plan(result.problem, result.plan) == []
    assert result.plan.solver.objective_cents == sum(result.plan.cost_terms_cents.values())


def _assert_service_not_lower(result) -> None:
    assert result.plan.kpis.service_level >= result.before.service_level - 1e-12
    assert result.days
    for day in result.days:
        assert day.service_level_after >= day.service_level_before - 1e-12, day
        assert day.shortfall_agent_hours_after <= day.shortfall_agent_hours_before, day


def test_uplift_adds_gigs_in_the_window_and_keeps_every_published_shift(published):
    problem, pub = published
    window = (_at("2026-12-01T09:00+01:00"), _at("2026-12-01T14:00+01:00"))
    result = replan(
        problem, pub, _uplift(problem, "+40% 2026-12-01T09:00/2026-12-01T14:00"), now=NOW, params=DETERMINISTIC
    )
    _assert_solved_and_checked(result)
    _assert_service_not_lower(result)
    assert _fte(result.plan.shifts) == _fte(pub.shifts)
    new_gigs = _gigs(result.plan.shifts)
    for gid, gig in _gigs(pub.shifts).items():
        assert new_gigs[gid] == gig
    added = [c for c in result.changes if c.change == "added"]
    assert added
    assert {c.change for c in result.changes} == {"added"}
    for c in added:
        assert c.kind == "gig"
        assert c.start >= NOW + dt.timedelta(minutes=LEAD_MIN)
        assert c.start < window[1]
        assert c.end > window[0]
    assert len(new_gigs) == len(_gigs(pub.shifts)) + len(added)
    day2 = next(d for d in result.days if d.date == dt.date(2026, 12, 1))
    assert day2.shortfall_agent_hours_before > 0
    assert day2.service_level_after > day2.service_level_before
    assert day2.cost_after_cents > day2.cost_before_cents


def test_no_gig_starts_before_now_plus_lead_time_even_when_short_now(published):
    problem, pub = published
    result = replan(
        problem, pub, _uplift(problem, "+60% 2026-11-30T09:00/2026-11-30T17:00"), now=NOW, params=DETERMINISTIC
    )
    _assert_solved_and_checked(result)
    _assert_service_not_lower(result)
    first = NOW + dt.timedelta(minutes=LEAD_MIN)
    assert result.first_new_start == first
    added = [c for c in result.changes if c.change == "added"]
    assert added
    assert min(c.start for c in added) >= first
    before_first = [r for r in result.plan.coverage if r.interval_start < first and r.volume > 0]
    assert any(r.scheduled < r.required for r in before_first), "the uplift should leave a gap nobody can fill"
    assert _fte(result.plan.shifts) == _fte(pub.shifts)


def test_explicit_lead_time_overrides_the_pool(published):
    problem, pub = published
    demand = _uplift(problem, "+60% 2026-11-30T09:00/2026-11-30T17:00")
    result = replan(problem, pub, demand, now=NOW, params=DETERMINISTIC, options=ReplanOptions(lead_time_min=180))
    _assert_solved_and_checked(result)
    assert result.first_new_start == _at("2026-11-30T14:00+01:00")
    assert all(c.start >= result.first_new_start for c in result.changes)


def test_forecast_frame_for_part_of_the_horizon_keeps_the_rest(published):
    problem, pub = published
    frame = demand_frame(problem.demand, timezone=problem.timezone)
    day2 = frame[frame.index >= pd.Timestamp("2026-12-01T00:00+01:00")]
    forecast = day2.assign(volume=day2["volume"] * 1.3)
    result = replan(problem, pub, forecast, now=NOW, params=DETERMINISTIC)
    _assert_solved_and_checked(result)
    _assert_service_not_lower(result)
    volumes = [d.volume for d in result.problem.demand]
    assert volumes[: len(frame) - len(day2)] == frame["volume"].tolist()[: len(frame) - len(day2)]
    assert volumes[len(frame) - len(day2) :] == pytest.approx(forecast["volume"].tolist())


def test_demand_intervals_and_lower_demand_change_nothing_without_vto(published):
    problem, pub = published
    lower = tuple(d.model_copy(update={"volume": d.volume * 0.5}) for d in problem.demand)
    result = replan(problem, pub, lower, now=NOW, params=DETERMINISTIC)
    _assert_solved_and_checked(result)
    assert result.changes == ()
    assert _fte(result.plan.shifts) == _fte(pub.shifts)
    assert _gigs(result.plan.shifts) == _gigs(pub.shifts)


def test_vto_releases_only_unstarted_shifts_and_saves_their_cost(published):
    problem, pub = published
    demand = _uplift(problem, "-60% 2026-11-30T00:00/2026-12-02T00:00")
    result = replan(
        problem, pub, demand, now=NOW, params=DETERMINISTIC, options=ReplanOptions(allow_voluntary_time_off=True)
    )
    _assert_solved_and_checked(result)
    removed = [c for c in result.changes if c.change == "removed"]
    assert removed
    assert {c.change for c in result.changes} == {"removed"}
    assert all(c.old_start >= NOW for c in removed)
    started = {(s.worker_id, s.start) for s in pub.shifts if s.kind == "fte" and s.start < NOW}
    assert started <= {(s.worker_id, s.start) for s in result.plan.shifts if s.kind == "fte"}
    saved = sum(
        s.cost_cents for s in pub.shifts if (s.worker_id, s.start) in {(c.worker_id, c.old_start) for c in removed}
    )
    assert result.plan.kpis.total_cost_cents == result.before.total_cost_cents - saved


def test_extensions_add_overtime_at_one_end_after_now_plus_lead(published_dear_gigs):
    problem, pub = published_dear_gigs
    options = ReplanOptions(allow_extensions=True, max_extension_min=90, overtime_rate_ratio=1.5)
    # Contacts now arrive until 18:00 on day 2, when most published shifts end at 17:00.
    evening = [
        DemandInterval(interval_start=_at(f"2026-12-01T17:{m}+01:00"), volume=20.0, aht_s=300.0) for m in ("00", "30")
    ]
    result = replan(problem, pub, evening, now=NOW, params=DETERMINISTIC, options=options)
    assert result.plan.solver.status == "OPTIMAL"
    _assert_service_not_lower(result)
    extended = [c for c in result.changes if c.change == "extended"]
    assert extended
    published_by_key = {(s.worker_id, s.start, s.end): s for s in pub.shifts if s.kind == "fte"}
    new_by_key = {(s.worker_id, s.start, s.end): s for s in result.plan.shifts if s.kind == "fte"}
    first = NOW + dt.timedelta(minutes=LEAD_MIN)
    rate = problem.workforce.contracts[0].cost_per_hour_cents * 1.5
    for c in extended:
        old = published_by_key[(c.worker_id, c.old_start, c.old_end)]
        new = new_by_key[(c.worker_id, c.start, c.end)]
        before_min = (old.start - new.start).total_seconds() / 60
        after_min = (new.end - old.end).total_seconds() / 60
        assert min(before_min, after_min) == 0
        assert 0 < before_min + after_min <= 90
        assert (new.start if before_min else old.end) >= first
        assert new.breaks == old.breaks
        extra = before_min + after_min
        assert new.paid_minutes == old.paid_minutes + extra
        assert new.cost_cents == old.cost_cents + round(extra * rate / 60)
        assert (new.extended_before_min, new.extended_after_min) == (before_min, after_min)
        assert new.overtime_cost_cents == round(extra * rate / 60)
    unchanged = set(published_by_key) - {(c.worker_id, c.old_start, c.old_end) for c in extended}
    assert unchanged <= set(new_by_key)
    assert check_plan(result.problem, result.plan) == []


def test_extensions_off_keep_shapes_even_when_gigs_are_dear(published_dear_gigs):
    problem, pub = published_dear_gigs
    demand = _uplift(problem, "+50% 2026-12-01T15:00/2026-12-01T19:00")
    result = replan(problem, pub, demand, now=NOW, params=DETERMINISTIC)
    _assert_solved_and_checked(result)
    assert _fte(result.plan.shifts) == _fte(pub.shifts)


def test_warm_start_does_not_change_the_optimum(published):
    problem, pub = published
    demand = _uplift(problem, "+40% 2026-12-01T09:00/2026-12-01T17:00")
    warm = replan(problem, pub, demand, now=NOW, params=DETERMINISTIC)
    cold = replan(problem, pub, demand, now=NOW, params=DETERMINISTIC, options=ReplanOptions(warm_start=False))
    assert warm.plan.solver.objective_cents == cold.plan.solver.objective_cents
    assert warm.plan.inputs_digest != cold.plan.inputs_digest


@pytest.mark.parametrize(
    ("now", "problem_text"),
    [
        (dt.datetime(2026, 11, 30, 11), "must have a UTC offset"),
        (_at("2026-12-02T00:00+01:00"), "is outside the horizon"),
        (_at("2026-11-29T23:59+01:00"), "is outside the horizon"),
    ],
)
def test_now_must_be_aware_and_inside_the_horizon(published, now, problem_text):
    problem, pub = published
    with pytest.raises(InputError) as err:
        replan(problem, pub, problem.demand, now=now, params=DETERMINISTIC)
    assert err.value.field == "now"
    assert problem_text in err.value.problem


def test_published_plan_must_fit_the_problem(published):
    problem, pub = published
    stranger = pub.shifts[0].model_copy(update={"worker_id": "nobody"})
    bad = pub.model_copy(update={"shifts": (stranger, *pub.shifts[1:])})
    with pytest.raises(InputError) as err:
        replan(problem, bad, problem.demand, now=NOW, params=DETERMINISTIC)
    assert err.value.field == "published.shifts[0]"
    assert "nobody" in err.value.problem
    with pytest.raises(InputError) as err:
        replan(problem, pub.model_copy(update={"interval_min": 60}), problem.demand, now=NOW, params=DETERMINISTIC)
    assert err.value.field == "published.interval_min"


def test_extension_length_must_be_on_the_grid(published):
    problem, pub = published
    options = ReplanOptions(allow_extensions=True, max_extension_min=45)
    with pytest.raises(InputError) as err:
        replan(problem, pub, problem.demand, now=NOW, params=DETERMINISTIC, options=options)
    assert err.value.field == "options.max_extension_min"


def test_uplift_grammar_terms_and_local_times():
    terms = parse_uplift(
        ["+40% 2026-12-27T08:00/2026-12-27T14:00; -10.5%2026-12-28T08:00+00:00 / 2026-12-28T09:00+00:00"], TZ
    )
    assert [t.factor for t in terms] == pytest.approx([1.4, 0.895])
    assert terms[0].start == _at("2026-12-27T08:00+01:00")
    assert terms[1].end == _at("2026-12-28T10:00+01:00")
    assert (
        len(parse_uplift(["+1% 2026-12-27T08:00/2026-12-27T09:00", "+2% 2026-12-27T08:00/2026-12-27T09:00"], TZ)) == 2
    )


@pytest.mark.parametrize(
    ("spec", "field", "problem_text"),
    [
        ("40% 2026-12-27T08:00/2026-12-27T14:00", "uplift[0]", "is not of the form"),
        ("+40% 2026-12-27T08:00/2026-12-27T14:00;+5% tomorrow/2026-12-27T14:00", "uplift[1]", "start 'tomorrow'"),
        ("+40% 2026-12-27T14:00/2026-12-27T08:00", "uplift[0]", "end must be after start"),
        ("-150% 2026-12-27T08:00/2026-12-27T14:00", "uplift[0]", "greater than or equal to -100"),
        ("  ;  ", "uplift", "is empty"),
    ],
)
def test_bad_uplift_terms_name_the_term(spec, field, problem_text):
    with pytest.raises(InputError) as err:
        parse_uplift(spec, TZ)
    assert err.value.field == field
    assert problem_text in err.value.problem


@pytest.mark.parametrize(
    ("spec", "problem_text"),
    [
        ("+40% 2026-12-01T20:00/2026-12-02T08:00", "reaches outside the horizon"),
        ("+40% 2026-12-01T08:10/2026-12-01T08:20", "covers no interval start"),
    ],
)
def test_uplift_windows_must_lie_in_the_horizon(published, spec, problem_text):
    problem, _ = published
    with pytest.raises(InputError) as err:
        uplift_demand(problem, parse_uplift(spec, TZ))
    assert err.value.field == "uplift[0]"
    assert problem_text in err.value.problem


def test_uplift_multiplies_volume_in_the_window_only(published):
    problem, _ = published
    frame = uplift_demand(problem, parse_uplift("+50% 2026-11-30T10:00/2026-11-30T11:00", TZ))
    old = demand_frame(problem.demand, timezone=problem.timezone)
    changed = frame["volume"] != old["volume"]
    assert list(frame.index[changed]) == list(pd.date_range("2026-11-30T10:00+01:00", periods=2, freq="30min"))
    assert (frame.loc[changed, "volume"] == old.loc[changed, "volume"] * 1.5).all()


def test_forecast_rows_off_the_horizon_are_rejected(published):
    problem, _ = published
    outside = DemandInterval(interval_start=_at("2026-12-02T09:00+01:00"), volume=1.0, aht_s=300.0)
    with pytest.raises(InputError) as err:
        with_demand(problem, (outside,))
    assert err.value.field == "new_demand.interval_start[2026-12-02T09:00:00+01:00]"
    off_grid = [
        DemandInterval(interval_start=_at(f"2026-11-30T09:{m}+01:00"), volume=1.0, aht_s=300.0) for m in ("10", "40")
    ]
    with pytest.raises(InputError) as err:
        with_demand(problem, off_grid)
    assert "not intervals of the horizon" in err.value.problem
    uneven = [
        DemandInterval(interval_start=_at(f"2026-11-30T09:{m}+01:00"), volume=1.0, aht_s=300.0) for m in ("00", "15")
    ]
    with pytest.raises(DataError):
        with_demand(problem, uneven)


def test_read_demand_csv_requires_offsets(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("interval_start,volume,aht_s\n2026-03-29T01:30:00+01:00,4,300\n2026-03-29T03:00:00+02:00,5,310\n")
    frame = read_demand_csv(good)
    assert frame["volume"].tolist() == [4.0, 5.0]
    assert str(frame.index.tz) == "UTC"
    naive = tmp_path / "naive.csv"
    naive.write_text("interval_start,volume,aht_s\n2026-12-01T09:00:00,4,300\n")
    with pytest.raises(InputError) as err:
        read_demand_csv(naive, field="--forecast")
    assert err.value.field == "--forecast.interval_start"
    assert "row 2" in err.value.problem
    with pytest.raises(InputError) as err:
        read_demand_csv(tmp_path / "missing.csv")
    assert err.value.field == "forecast"
