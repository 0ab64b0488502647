import datetime as dt

import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.grid import align_demand, build_grid

TZ = "Europe/Stockholm"


@pytest.mark.parametrize(
    ("day", "intervals"),
    [(dt.date(2026, 3, 29), 46), (dt.date(2026, 10, 25), 50), (dt.date(2026, 11, 30), 48)],
)
def test_local_days_have_23_24_or_25_hours(day, intervals):
    g = build_grid(TZ, day - dt.timedelta(days=1), 3, 30)
    assert list(g.day_first[1:3] - g.day_first[0:2]) == [48, intervals]
    assert g.starts[g.day_first[1]].hour == 0
    assert g.starts[g.day_first[2]].hour == 0


def test_wall_clock_lookup_skips_the_spring_gap_and_takes_the_first_autumn_repeat():
    spring = build_grid(TZ, dt.date(2026, 3, 29), 1, 30)
    assert spring.index_at(0, 2 * 60) is None
    assert spring.starts[spring.index_at(0, 3 * 60)].hour == 3
    autumn = build_grid(TZ, dt.date(2026, 10, 25), 1, 30)
    t = autumn.index_at(0, 2 * 60 + 30)
    assert autumn.starts[t].utcoffset() == dt.timedelta(hours=2)
    assert autumn.starts[t + 2].hour == 2  # the repeated 02:30, now at +01:00
    assert autumn.starts[t + 2].utcoffset() == dt.timedelta(hours=1)


def test_intervals_are_evenly_spaced_in_absolute_time():
    g = build_grid(TZ, dt.date(2026, 3, 28), 3, 15)
    diffs = pd.Series(g.starts.tz_convert("UTC")).diff().dropna().unique()
    assert list(diffs) == [pd.Timedelta(minutes=15)]
    assert g.timestamp(g.size) == pd.Timestamp("2026-03-31T00:00", tz=TZ)


def test_demand_that_misses_a_row_is_named():
    g = build_grid(TZ, dt.date(2026, 11, 30), 1, 60)
    with pytest.raises(InputError, match="has 23 rows but the horizon has 24 intervals"):
        align_demand(g, g.starts[:-1])
    shifted = g.starts + pd.Timedelta(minutes=30)
    with pytest.raises(InputError) as err:
        align_demand(g, shifted)
    assert err.value.field == "demand[0].interval_start"
