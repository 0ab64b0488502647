from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    ForecastInputError,
    HistoryError,
    choose_and_forecast,
    forecast_queues,
    has_queue_column,
    load_history,
    load_queue_histories,
)
from tests.forecasting.conftest import (
    queue_rows,
    synthetic_history,
    three_queue_histories,
    write_history_csv,
    write_queue_history_csv,
)

QUEUES = ("voice", "chat", "email")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return three_queue_histories()


@pytest.fixture(scope="module")
def histories(frames) -> dict[str, pd.DataFrame]:
    return load_queue_histories(queue_rows(frames))


def _problems(info: pytest.ExceptionInfo[HistoryError]) -> list[str]:
    return [str(issue) for issue in info.value.issues]


def test_one_csv_with_a_queue_column_gives_each_queue_its_own_history(frames, tmp_path):
    path = tmp_path / "history.csv"
    write_queue_history_csv(frames, path)
    assert has_queue_column(path)
    loaded = load_queue_histories(path)
    assert list(loaded) == list(QUEUES)  # first appearance in the file
    for name in QUEUES:
        alone = tmp_path / f"{name}.csv"
        write_history_csv(frames[name], alone)
        pd.testing.assert_frame_equal(loaded[name], load_history(alone))
        pd.testing.assert_frame_equal(loaded[name], frames[name], check_freq=False, check_index_type=False)


def test_one_file_per_queue_loads_the_same_histories(frames, histories, tmp_path):
    paths = {}
    for name in reversed(QUEUES):
        paths[name] = tmp_path / f"{name}.csv"
        write_history_csv(frames[name], paths[name])
    loaded = load_queue_histories(paths)
    assert list(loaded) == list(reversed(QUEUES))  # the mapping's order
    for name in QUEUES:
        pd.testing.assert_frame_equal(loaded[name], histories[name])


def test_configured_queues_set_the_order(frames):
    loaded = load_queue_histories(queue_rows(frames), queues=["email", "voice", "chat"])
    assert list(loaded) == ["email", "voice", "chat"]


def test_each_queue_is_forecast_as_its_history_alone(histories):
    forecasts = forecast_queues(histories, 2, quantiles=(0.8,), country="SE", folds=1)
    assert list(forecasts) == list(QUEUES)
    for name in QUEUES:
        alone = choose_and_forecast(histories[name], 2, quantiles=(0.8,), country="SE", folds=1)
        assert forecasts[name].forecaster == alone.forecaster
        assert forecasts[name].backtest == alone.backtest
        pd.testing.assert_frame_equal(forecasts[name].demand, alone.demand)
    peak_hour = {
        name: int(f.demand.groupby(f.demand.index.hour)["volume"].sum().idxmax()) for name, f in forecasts.items()
    }
    assert peak_hour["voice"] < 12
    assert peak_hour["chat"] >= 16


def test_a_named_forecaster_is_used_for_every_queue(histories):
    forecasts = forecast_queues(histories, 1, model="seasonal_naive")
    assert {f.forecaster for f in forecasts.values()} == {"seasonal_naive"}
    assert {f.backtest for f in forecasts.values()} == {None}
    email = forecasts["email"].demand
    # 2026-02-16 is a Monday: seasonal naive repeats last Monday, weekdays only
    pd.testing.assert_series_equal(
        email["volume"], histories["email"]["volume"].iloc[-7 * 48 : -6 * 48].set_axis(email.index)
    )


def test_unconfigured_and_absent_queues_are_named_together(frames):
    with pytest.raises(HistoryError) as info:
        load_queue_histories(queue_rows(frames), queues=["voice", "chat", "sms"])
    assert _problems(info) == [
        "history.queue: queue(s) 'email' in the history are not configured (configured: 'voice', 'chat', 'sms')",
        "history.queue: configured queue(s) 'sms' have no history rows",
    ]
    assert info.value.field == "history.queue"


def test_queues_with_different_interval_lengths_are_refused(frames):
    quarter = synthetic_history(days=35, seed=3, interval_min=15)
    with pytest.raises(HistoryError) as info:
        load_queue_histories(queue_rows({**frames, "chat": quarter}))
    assert _problems(info) == [
        "history.queue: queues must share one interval length, got voice 30 min, chat 15 min, email 30 min"
    ]
    with pytest.raises(HistoryError, match="history.queue: queues must share one interval length"):
        forecast_queues({"voice": frames["voice"], "chat": quarter}, 1, model="seasonal_naive")


def test_bad_and_missing_queue_names_name_the_first_row():
    rows = queue_rows(three_queue_histories(days=7))
    rows.loc[5, "queue"] = "bad name"
    rows.loc[9, "queue"] = "bad name"
    rows.loc[7, "queue"] = ""
    with pytest.raises(HistoryError) as info:
        load_queue_histories(rows)
    problems = _problems(info)
    assert problems[0] == "queue[row 7]: missing value"
    assert problems[1].startswith("queue[row 5]: not a queue name (1-64 letters")
    assert problems[1].endswith("('bad name') [2 rows]")


def test_a_problem_in_one_queue_names_the_file_row_and_the_queue(tmp_path):
    rows = queue_rows(three_queue_histories(days=7))
    chat_rows = np.flatnonzero(rows["queue"] == "chat")
    rows.loc[chat_rows[20], "volume"] = -4
    rows = rows.drop(index=chat_rows[[30, 31]]).reset_index(drop=True)  # a gap of two intervals in chat only
    path = tmp_path / "history.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(HistoryError) as info:
        load_queue_histories(path)
    problems = _problems(info)
    assert problems[0] == f"volume[row {chat_rows[20]}]: must be >= 0 ('-4.0') (queue 'chat')"
    # the file's row after the gap: chat_rows[32] moved up by the two dropped rows
    gap = f"interval_start[row {chat_rows[32] - 2}]: 2 missing interval(s) before this row, from 2026-01-12T15:00"
    assert problems[1].startswith(gap)
    assert problems[1].endswith("(queue 'chat')")
    assert len(problems) == 2
    filled = load_queue_histories(rows.assign(volume=rows["volume"].clip(lower=0)), gaps="zero")
    assert {len(h) for h in filled.values()} == {7 * 48}


def test_a_history_without_queue_column(frames, tmp_path):
    path = tmp_path / "voice.csv"
    write_history_csv(frames["voice"], path)
    assert not has_queue_column(path)
    assert not has_queue_column(tmp_path / "missing.csv")
    only = load_queue_histories(path, queues=["voice"])
    pd.testing.assert_frame_equal(only["voice"], load_history(path))
    with pytest.raises(HistoryError) as info:
        load_queue_histories(path, queues=["voice", "chat"])
    assert _problems(info) == [
        "history.queue: missing column: the history has no queue column to tell the queues' rows apart "
        "(configured: 'voice', 'chat')"
    ]
    with pytest.raises(HistoryError, match="history.queue: missing column"):
        load_queue_histories(path)


def test_a_file_per_queue_must_hold_only_its_queue(frames, tmp_path):
    path = tmp_path / "chat.csv"
    write_queue_history_csv({"chat": frames["chat"]}, path)
    loaded = load_queue_histories({"chat": path})
    pd.testing.assert_frame_equal(loaded["chat"], frames["chat"], check_freq=False, check_index_type=False)
    with pytest.raises(HistoryError) as info:
        load_queue_histories({"email": path, "bad name": path})
    assert _problems(info) == [
        "queue[row 0]: not this file's queue ('chat') [1680 rows] (queue 'email')",
        "history.queue: not a queue name (1-64 letters, digits, '_', '.', '-', starting with a letter or digit) "
        "('bad name')",
    ]


def test_configured_names_are_checked():
    with pytest.raises(ForecastInputError, match="queues: must be a sequence of queue names"):
        load_queue_histories(pd.DataFrame(), queues="voice")
    with pytest.raises(ForecastInputError, match="queues: not a queue name .*'no spaces'"):
        load_queue_histories(pd.DataFrame(), queues=["voice", "no spaces"])


def test_a_multi_queue_history_through_load_history_still_says_so(frames):
    with pytest.raises(HistoryError, match="queue: holds 3 queues"):
        load_history(queue_rows(frames))


def test_wall_clock_rows_over_a_dst_change_load_per_queue_as_alone():
    frames = {
        "voice": synthetic_history(start="2026-10-19", days=14, seed=4),
        "chat": synthetic_history(start="2026-10-19", days=14, seed=5, level=300.0),
    }
    rows = queue_rows(frames)
    # local wall clock without offset, as many exports write it: 2026-10-25 02:00-03:00 appears twice
    rows["interval_start"] = rows["interval_start"].str.slice(0, 19)
    loaded = load_queue_histories(rows, timezone="Europe/Stockholm")
    for name, frame in frames.items():
        alone = load_history(rows[rows["queue"] == name].drop(columns="queue"), timezone="Europe/Stockholm")
        pd.testing.assert_frame_equal(loaded[name], alone)
        pd.testing.assert_frame_equal(loaded[name], frame, check_freq=False, check_index_type=False)
        assert (loaded[name].index.date == pd.Timestamp("2026-10-25").date()).sum() == 50
