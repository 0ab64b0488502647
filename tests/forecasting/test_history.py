from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    ForecastInputError,
    HistoryError,
    aggregate_contacts,
    load_history,
    season_lengths,
    validate_history_frame,
)
from tests.forecasting.conftest import synthetic_history, write_history_csv


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_start": [t.isoformat() for t in frame.index],
            "volume": [str(v) for v in frame["volume"]],
            "aht_s": ["" if np.isnan(a) else str(a) for a in frame["aht_s"]],
        }
    )


def test_bundled_history_loads_with_dst_days(bundled_history):
    h = bundled_history
    assert h.index.name == "interval_start"
    assert str(h.index.tz) == "Europe/Stockholm"
    assert list(h.columns) == ["volume", "aht_s"]
    per_day = h.groupby(h.index.date).size()
    assert per_day[pd.Timestamp("2026-03-29").date()] == 46
    assert per_day[pd.Timestamp("2026-10-25").date()] == 50
    assert set(per_day.drop([pd.Timestamp("2026-03-29").date(), pd.Timestamp("2026-10-25").date()])) == {48}
    assert h.index[0].isoformat() == "2025-11-24T00:00:00+01:00"
    assert h.index[-1].isoformat() == "2026-11-29T23:30:00+01:00"
    assert (h["volume"] >= 0).all()
    assert (h.loc[h["volume"] > 0, "aht_s"] > 0).all()


def test_csv_round_trip(tmp_path):
    frame = synthetic_history(days=14)
    path = tmp_path / "h.csv"
    write_history_csv(frame, path)
    loaded = load_history(path)
    pd.testing.assert_frame_equal(loaded, frame, check_freq=False, check_index_type=False)


def test_all_problems_are_collected_with_column_and_first_row():
    rows = _rows(synthetic_history(days=1))
    rows.loc[17, "volume"] = "-3"
    rows.loc[20, "volume"] = "many"
    rows.loc[21, "aht_s"] = "0"
    rows.loc[25, "interval_start"] = rows.loc[24, "interval_start"]
    with pytest.raises(HistoryError) as info:
        load_history(rows)
    problems = [str(i) for i in info.value.issues]
    assert "volume[row 17]: must be >= 0 ('-3')" in problems
    assert "volume[row 20]: not a number ('many')" in problems
    assert any(p.startswith("aht_s[row 21]: must be > 0") for p in problems)
    assert "interval_start[row 25]: duplicate of row 24" in problems


def test_unsorted_rows_are_reported():
    rows = _rows(synthetic_history(days=1))
    rows = rows.iloc[[0, 1, 3, 2, *range(4, len(rows))]].reset_index(drop=True)
    with pytest.raises(HistoryError, match=r"interval_start\[row 3\]: earlier than the row before"):
        load_history(rows)


def test_gaps_are_reported_or_filled_with_zeros():
    rows = _rows(synthetic_history(days=1)).drop(index=[20, 21]).reset_index(drop=True)
    with pytest.raises(HistoryError, match=r"interval_start\[row 20\]: 2 missing interval\(s\)"):
        load_history(rows)
    filled = load_history(rows, fill_gaps=True)
    assert len(filled) == 48
    assert filled["volume"].iloc[20:22].tolist() == [0.0, 0.0]
    assert filled["aht_s"].iloc[20:22].isna().all()


def test_missing_offset_and_uninferable_zone():
    rows = _rows(synthetic_history(days=1))
    rows.loc[5, "interval_start"] = "2026-01-12T02:30:00"
    with pytest.raises(HistoryError, match=r"interval_start\[row 5\]: has no UTC offset"):
        load_history(rows)
    utc = _rows(synthetic_history(days=1, tz="UTC"))
    with pytest.raises(HistoryError, match="cannot tell the site's time zone"):
        load_history(utc)
    loaded = load_history(utc, timezone="Europe/Stockholm")
    assert str(loaded.index.tz) == "Europe/Stockholm"
    assert loaded.index[0].isoformat() == "2026-01-12T01:00:00+01:00"
    with pytest.raises(ForecastInputError, match="timezone: unknown IANA time zone"):
        load_history(utc, timezone="Mars/Olympus")


def test_bad_interval_length():
    rows = _rows(synthetic_history(days=1, interval_min=15))
    rows["interval_start"] = [
        (pd.Timestamp("2026-01-12T00:00:00+01:00") + pd.Timedelta(minutes=20 * i)).isoformat()
        for i in range(len(rows))
    ]
    with pytest.raises(HistoryError, match="interval length 20 min is not one of"):
        load_history(rows)
    with pytest.raises(HistoryError, match="rows are 30 min apart, expected interval_min=15"):
        load_history(_rows(synthetic_history(days=1)), interval_min=15)


def test_missing_file_and_missing_column(tmp_path):
    with pytest.raises(ForecastInputError, match="no such file"):
        load_history(tmp_path / "nope.csv")
    with pytest.raises(HistoryError, match="interval_start: missing column"):
        load_history(pd.DataFrame({"when": ["x"], "volume": ["1"]}))


def test_validate_history_frame_rejects_naive_index():
    frame = synthetic_history(days=1)
    naive = frame.tz_localize(None)
    with pytest.raises(HistoryError, match="tz-aware DatetimeIndex"):
        validate_history_frame(naive)
    negative = frame.copy()
    negative.iloc[10, 0] = -1.0
    with pytest.raises(HistoryError, match=r"volume\[row 10\]: must be >= 0"):
        validate_history_frame(negative)


def test_aggregate_contacts_across_spring_dst():
    contacts = pd.DataFrame(
        {
            "timestamp": [
                "2026-03-29T01:59:00+01:00",
                "2026-03-29T03:10:00+02:00",
                "2026-03-29T03:20:00+02:00",
            ],
            "handle_time_s": ["100", "200", "400"],
        }
    )
    frame = load_history(contacts)
    assert len(frame) == 46
    served = frame[frame["volume"] > 0]
    assert [t.isoformat() for t in served.index] == ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00"]
    assert served["volume"].tolist() == [1.0, 2.0]
    assert served["aht_s"].tolist() == [100.0, 300.0]
    hourly = aggregate_contacts(contacts, interval_min=60)
    assert len(hourly) == 23


def test_aggregate_contacts_reports_bad_rows():
    contacts = pd.DataFrame(
        {"timestamp": ["2026-01-12T08:00:00+01:00", "later"], "handle_time_s": ["-5", "10"]}
    )
    with pytest.raises(HistoryError) as info:
        aggregate_contacts(contacts)
    fields = [i.field for i in info.value.issues]
    assert fields == ["timestamp[row 1]", "handle_time_s[row 0]"]


@pytest.mark.parametrize(("interval_min", "per_day"), [(15, 96), (30, 48), (60, 24)])
def test_season_lengths(interval_min, per_day):
    lengths = season_lengths(interval_min)
    assert (lengths.per_day, lengths.per_week) == (per_day, 7 * per_day)


def test_season_lengths_rejects_other_intervals():
    with pytest.raises(ForecastInputError, match="interval_min"):
        season_lengths(20)


def test_a_history_over_the_row_cap_is_one_clear_error_read_no_further(tmp_path):
    frame = synthetic_history(days=2)
    path = tmp_path / "h.csv"
    out = frame.reset_index()
    out["interval_start"] = [t.isoformat() for t in frame.index]
    out.to_csv(path, index=False)
    assert len(load_history(path, max_rows=len(frame))) == len(frame)
    with pytest.raises(HistoryError, match=f"history: has more than {len(frame) - 1:,} rows"):
        load_history(path, max_rows=len(frame) - 1)


def test_volume_table_and_complete_days_match_on_a_dst_history():
    """The integer-day fast paths give the same complete days and weekly table as date objects would."""
    from forecasting._grid import complete_days, intervals_in_day, local_dates

    frame = synthetic_history(start="2026-03-02", days=60)  # spans the 23-hour day of 2026-03-29
    days = complete_days(frame.index, 30)
    dates, counts = np.unique(local_dates(frame.index), return_counts=True)
    zone = str(frame.index.tz)
    assert days == [d for d, n in zip(dates, counts, strict=True) if n == intervals_in_day(d, zone, 30)]
    assert intervals_in_day(dt.date(2026, 3, 29), zone, 30) == 46
    assert dt.date(2026, 3, 29) in days
