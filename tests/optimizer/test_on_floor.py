"""on_floor counts a shift (less its breaks) in every interval it covers whole, as a brute-force count does."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from optimizer.domain import PlannedShift, ShiftBreak
from optimizer.kpis import on_floor

TZ = "Europe/Stockholm"


def _brute(starts: pd.DatetimeIndex, step: dt.timedelta, shifts: list[PlannedShift], kind: str) -> np.ndarray:
    out = np.zeros(len(starts), dtype=np.int64)
    utc = dt.UTC  # aware arithmetic within one zone is wall-clock; compare absolute times
    for i, t in enumerate(starts.tz_convert(utc).to_pydatetime()):
        for s in shifts:
            if s.kind != kind:
                continue
            out[i] += s.start.astimezone(utc) <= t and t + step <= s.end.astimezone(utc)
            out[i] -= sum(b.start.astimezone(utc) <= t and t + step <= b.end.astimezone(utc) for b in s.breaks)
    return out


def test_on_floor_matches_a_brute_force_count_with_breaks_and_off_grid_edges():
    starts = pd.date_range("2026-03-29", "2026-03-30", freq="30min", tz=TZ, inclusive="left")  # a 23-hour day
    step = dt.timedelta(minutes=30)
    rng = np.random.default_rng(4)
    shifts = []
    for i in range(60):
        begin = starts[0].to_pydatetime() + dt.timedelta(minutes=int(rng.integers(0, 20 * 60)))
        end = begin + dt.timedelta(minutes=int(rng.integers(30, 9 * 60)))
        pause = begin + (end - begin) / 2
        breaks = (ShiftBreak(start=pause, end=pause + dt.timedelta(minutes=45)),) if i % 2 else ()
        kind = "gig" if i % 5 == 0 else "fte"
        shifts.append(
            PlannedShift(
                worker_id=f"w{i}", kind=kind, start=begin, end=end, breaks=breaks, paid_minutes=0, cost_cents=0
            )
        )
    for kind in ("fte", "gig"):
        np.testing.assert_array_equal(on_floor(starts, 30, shifts, kind), _brute(starts, step, shifts, kind))
    assert on_floor(starts, 30, [], "fte").tolist() == [0] * len(starts)
