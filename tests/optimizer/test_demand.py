"""The demand-frame contract: what passes, and that every problem is named and collected."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from optimizer.demand import INDEX_NAME, DemandUplift, uplift_factors, validate_demand_frame
from optimizer.errors import DataError, InputError

ZONE = "Europe/Stockholm"


def frame(start: str = "2026-01-05 08:00", periods: int = 4, freq: str = "30min", **columns) -> pd.DataFrame:
    index = pd.date_range(start, periods=periods, freq=freq, tz=ZONE, name="interval_start")
    data = {"volume": np.full(periods, 10.0), "aht_s": np.full(periods, 180.0)} | columns
    return pd.DataFrame(data, index=index)


def problems(call) -> list[tuple[str, str]]:
    with pytest.raises(DataError) as info:
        call()
    return [(i.field, i.problem) for i in info.value.issues]


def test_valid_frame_passes_with_float_columns_and_extras_kept():
    raw = frame(volume=np.array([0, 1, 2, 3]), volume_p80=np.arange(4.0))
    out = validate_demand_frame(raw, interval_min=30)
    assert out["volume"].dtype == np.float64
    assert out["aht_s"].dtype == np.float64
    assert list(out.columns) == ["volume", "aht_s", "volume_p80"]
    assert out.index.equals(raw.index)
    assert raw["volume"].dtype == np.int64  # the input is not modified


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25), ("2026-06-01", 24)])
def test_dst_days_have_23_or_25_hours_of_intervals(day, hours):
    start = pd.Timestamp(day, tz=ZONE)
    local_day = pd.date_range(start, start + pd.DateOffset(days=1), freq="15min", inclusive="left")
    assert len(local_day) == hours * 4
    demand = pd.DataFrame({"volume": 1.0, "aht_s": 60.0}, index=local_day.rename("interval_start"))
    assert len(validate_demand_frame(demand, interval_min=15)) == hours * 4


def test_row_problems_name_column_and_first_bad_row_and_are_all_collected():
    raw = frame(volume=np.array([5.0, -1.0, -2.0, 3.0]), aht_s=np.array([60.0, 60.0, 60.0, 0.0]))
    assert problems(lambda: validate_demand_frame(raw, interval_min=30)) == [
        ("volume[2026-01-05T08:30+01:00]", "must be >= 0, got -1 (2 bad rows, the first shown)"),
        ("aht_s[2026-01-05T09:30+01:00]", "must be >= 0.001 s, got 0"),
    ]


def test_non_finite_values_are_rejected():
    raw = frame(volume=np.array([5.0, np.nan, 1.0, 1.0]), aht_s=np.array([60.0, np.inf, 60.0, 60.0]))
    assert problems(lambda: validate_demand_frame(raw)) == [
        ("volume[2026-01-05T08:30+01:00]", "must be finite, got nan"),
        ("aht_s[2026-01-05T08:30+01:00]", "must be finite, got inf"),
    ]


def test_missing_and_non_numeric_columns():
    raw = frame().drop(columns="aht_s").assign(volume=["a", "b", "c", "d"])
    (volume, volume_problem), missing = problems(lambda: validate_demand_frame(raw))
    assert volume == "volume"
    assert volume_problem.startswith("must be numeric, got dtype")
    assert missing == ("aht_s", "column is missing")
    flags = frame().assign(volume=[True, False, True, True])
    assert problems(lambda: validate_demand_frame(flags))[0][1].startswith("must be numeric")


def test_index_must_be_named_tz_aware_datetimes():
    naive = frame()
    naive.index = naive.index.tz_localize(None)
    assert problems(lambda: validate_demand_frame(naive)) == [
        ("interval_start", "must be timezone-aware (e.g. 2026-01-05T08:00+01:00)")
    ]
    unnamed = frame().rename_axis(None)
    assert problems(lambda: validate_demand_frame(unnamed))[0][1].startswith("the index must be named")
    numbered = frame().reset_index(drop=True)
    assert problems(lambda: validate_demand_frame(numbered))[0] == (
        "interval_start",
        "must be a DatetimeIndex, got RangeIndex",
    )


def test_gaps_duplicates_and_wrong_spacing_are_named():
    gap = frame(periods=5).drop(index=frame(periods=5).index[2])
    assert problems(lambda: validate_demand_frame(gap, interval_min=30)) == [
        (
            "interval_start[2026-01-05T09:30+01:00]",
            "must start 30 min after the previous interval, got 60 min (an interval is missing or misplaced)",
        )
    ]
    backwards = frame().iloc[[0, 2, 1, 3]]
    assert problems(lambda: validate_demand_frame(backwards))[0] == (
        "interval_start[2026-01-05T08:30+01:00]",
        "must be strictly increasing (follows 2026-01-05T09:00+01:00)",
    )
    assert problems(lambda: validate_demand_frame(frame(), interval_min=15))[0][0] == (
        "interval_start[2026-01-05T08:30+01:00]"
    )
    assert problems(lambda: validate_demand_frame(frame(freq="20min")))[0] == (
        "interval_start",
        "intervals are 20 min apart; allowed: 15, 30, 60",
    )


def test_index_and_row_problems_are_reported_together():
    raw = frame(volume=np.array([-1.0, 1.0, 1.0, 1.0])).rename_axis("start")
    fields = [f for f, _ in problems(lambda: validate_demand_frame(raw))]
    assert fields == ["interval_start", "volume[2026-01-05T08:00+01:00]"]


def test_bad_arguments():
    with pytest.raises(InputError) as info:
        validate_demand_frame(frame(), interval_min=20)
    assert info.value.field == "interval_min"
    assert problems(lambda: validate_demand_frame(frame().iloc[:0])) == [("demand", "has no rows")]
    assert problems(lambda: validate_demand_frame([1, 2]))[0][0] == "demand"  # type: ignore[arg-type]


# ---- uplifts: one type for scenarios (local days and times) and re-plans (absolute spans) -------------------


def _hourly_index(days: int = 2) -> pd.DatetimeIndex:
    return pd.date_range("2026-12-28T00:00+01:00", periods=24 * days, freq="h", name=INDEX_NAME).tz_convert(
        "Europe/Stockholm"
    )


def test_local_and_absolute_windows_of_one_uplift_type_agree() -> None:
    index = _hourly_index()
    local = DemandUplift(factor=1.4, dates=(dt.date(2026, 12, 28),), start_time=dt.time(8), end_time=dt.time(14))
    cet = dt.timezone(dt.timedelta(hours=1))
    span = DemandUplift.change(40, dt.datetime(2026, 12, 28, 8, tzinfo=cet), dt.datetime(2026, 12, 28, 14, tzinfo=cet))
    for u in (local, span):
        factors = uplift_factors(index, [u], "Europe/Stockholm")
        assert factors[8:14] == pytest.approx([1.4] * 6)
        assert (factors[:8] == 1).all()
        assert (factors[14:] == 1).all()


def test_overlapping_uplifts_multiply() -> None:
    index = _hourly_index(1)
    factors = uplift_factors(
        index, [DemandUplift(factor=2.0), DemandUplift(factor=1.5, start_time=dt.time(12))], "Europe/Stockholm"
    )
    assert factors[11] == 2.0
    assert factors[12] == 3.0


def test_uplift_window_problems_name_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        DemandUplift(factor=1.2, start_time=dt.time(12), end_time=dt.time(8))
    assert "end_time must be after start_time" in str(err.value)
    with pytest.raises(ValidationError) as err:
        DemandUplift(factor=-1.0)
    assert err.value.errors()[0]["loc"] == ("factor",)


def test_an_intervals_own_volume_cv_travels_with_its_row_and_sets_its_spread():
    """Rows may carry their rate's CV (a forecast plan measures it by size): it survives rows -> frame -> rows,
    the bot's containment leaves it (a share of a rate has the same CV), and each interval's spread reads it,
    the target's ``volume_cv`` where a row has none."""
    from optimizer.arrival_law import volume_sigma
    from optimizer.demand import demand_frame, demand_rows
    from optimizer.domain import Automation
    from optimizer.staffing import human_demand

    given = frame(volume_cv=[0.3, np.nan, 0.1, 0.0])
    rows = demand_rows(given)
    assert [r.volume_cv for r in rows] == [0.3, None, 0.1, 0.0]
    back = demand_frame(rows, timezone=ZONE)
    np.testing.assert_array_equal(back["volume_cv"].to_numpy(), [0.3, np.nan, 0.1, 0.0])
    people = human_demand(back, Automation(containment=0.4))
    np.testing.assert_array_equal(people["volume_cv"].to_numpy(), back["volume_cv"].to_numpy())
    np.testing.assert_allclose(people["volume"].to_numpy(), 6.0)
    sigma = volume_sigma(back, 0.2)
    np.testing.assert_allclose(sigma, np.sqrt(np.log1p(np.square([0.3, 0.2, 0.1, 0.0]))))
    assert "volume_cv" not in demand_frame(demand_rows(frame())).columns  # rows without it: no column
