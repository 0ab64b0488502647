"""Plan KPIs: ASA over the contacts a plan answers; intervals nobody can answer are counted apart."""

from __future__ import annotations

import datetime as dt

import pytest

from optimizer.domain import CoverageRow
from optimizer.kpis import plan_kpis

T0 = dt.datetime(2026, 2, 2, 9, tzinfo=dt.UTC)


def _row(i: int, volume: float, asa_s: float | None, scheduled: int) -> CoverageRow:
    return CoverageRow(
        interval_start=T0 + dt.timedelta(minutes=30 * i),
        volume=volume,
        aht_s=300.0,
        required=1 if volume else 0,
        scheduled=scheduled,
        service_level=0.0 if asa_s is None else 0.9,
        asa_s=asa_s,
    )


def test_one_unstaffed_interval_with_a_contact_does_not_make_the_week_unbounded():
    rows = (_row(0, 30.0, 10.0, 3), _row(1, 10.0, 30.0, 2), _row(2, 1.2, None, 0), _row(3, 0.0, None, 0))
    kpis = plan_kpis((), rows, 30)
    assert kpis.asa_s == pytest.approx((30 * 10 + 10 * 30) / 40)
    assert kpis.overloaded_intervals == 1
    assert kpis.overloaded_volume == pytest.approx(1.2)


def test_asa_is_null_only_when_no_contact_can_be_answered_and_zero_without_contacts():
    assert plan_kpis((), (_row(0, 5.0, None, 0),), 30).asa_s is None
    quiet = plan_kpis((), (_row(0, 0.0, None, 0),), 30)
    assert quiet.asa_s == 0.0
    assert quiet.overloaded_intervals == 0
