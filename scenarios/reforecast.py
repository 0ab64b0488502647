"""The operations loop: today's actuals in, re-forecast the rest of today and tomorrow, re-plan, offers out.

``forecasting`` and ``optimizer`` never import each other; this module joins them. The forecast that is
corrected is the published plan's own demand (what the plan was staffed for), compared with the actuals on
the basis the history counts, the contacts that reach people (``optimizer.staffing.human_demand``). The
factors of :func:`forecasting.intraday.intraday_factors` then scale the plan's demand from ``now`` to the
end of tomorrow (inside the horizon), and :func:`optimizer.replan.replan` re-plans on it.

``reforecast.csv`` (written by ``shiftmix replan --actuals``), one row per re-forecast interval:

=========================  ====================================================================================
``interval_start``         ISO 8601 with offset; from ``now`` to the end of tomorrow (or of the horizon)
``day``                    ``today`` or ``tomorrow`` (local days of the site)
``volume_before/after``    the plan's demand and the re-forecast [contacts, before bot containment]
``aht_s_before/after``     the plan's handle time and the re-forecast [s]
``volume_factor``          ``today_factor`` or ``tomorrow_factor``; ``aht_factor`` today, 1 tomorrow
``ratio``, ``credibility``  actual / forecast contacts so far, and the weight ``Z`` given to it
=========================  ====================================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from forecasting import IntradayFactors, IntradayParams, intraday_factors, load_history, scale_rest
from forecasting.errors import ForecastInputError, HistoryError
from optimizer.demand import demand_frame
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.errors import DataError, InputError, Issue
from optimizer.replan import replan
from optimizer.replan.domain import ReplanOptions, ReplanResult
from optimizer.staffing import human_demand

REFORECAST_COLUMNS = (
    "interval_start",
    "day",
    "volume_before",
    "volume_after",
    "aht_s_before",
    "aht_s_after",
    "volume_factor",
    "aht_factor",
    "ratio",
    "credibility",
)

__all__ = [
    "REFORECAST_COLUMNS",
    "ActualInterval",
    "DemandReforecast",
    "OpsLoopResult",
    "check_actuals",
    "read_actuals",
    "reforecast_demand",
    "replan_from_actuals",
]


class ActualInterval(BaseModel):
    """Contacts that reached people in one finished interval of today (a row of the history format)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_start: AwareDatetime = Field(description="Start of the interval (timezone-aware).")
    volume: float = Field(ge=0.0, description="Contacts that reached people in the interval [contacts].")
    aht_s: float | None = Field(None, gt=0.0, description="Their average handle time [s]; null when none.")


@dataclass(frozen=True, slots=True)
class DemandReforecast:
    """The demand to re-plan on, the ``reforecast.csv`` table and the factors.

    ``demand`` holds the re-forecast rows (the plan's demand from now to the end of tomorrow, scaled), or the
    plan's whole demand unchanged when no interval of the horizon starts at or after now.
    """

    demand: pd.DataFrame
    table: pd.DataFrame
    factors: IntradayFactors


@dataclass(frozen=True, slots=True)
class OpsLoopResult:
    """A re-plan made from today's actuals, and the re-forecast it was made on."""

    replan: ReplanResult
    reforecast: DemandReforecast


def _frame(rows: Sequence[ActualInterval]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_start": [r.interval_start for r in rows],
            "volume": [r.volume for r in rows],
            "aht_s": [np.nan if r.aht_s is None else r.aht_s for r in rows],
        }
    )


def read_actuals(
    source: str | Path | pd.DataFrame | Sequence[ActualInterval], problem: PlanningProblem, *, field: str = "actuals"
) -> pd.DataFrame:
    """Read today's actuals (history format ``interval_start,volume[,aht_s]``) on the problem's grid.

    Parameters
    ----------
    source : path, pandas.DataFrame or sequence of ActualInterval
        A history CSV, a frame with its columns, or rows.
    problem : PlanningProblem
        The published plan's problem: its time zone and interval length.
    field : str, default "actuals"
        Name of the input in error messages (``--actuals`` on the command line).

    Returns
    -------
    pandas.DataFrame
        History frame (``forecasting.history``) in the site's time zone.

    Raises
    ------
    InputError
        ``field``: a missing file, no rows; ``field.column[row N]``: duplicate or unsorted timestamps,
        negative volume, a missing handle time, a gap, an interval length other than the plan's.
    """
    if isinstance(source, str | Path):
        frame: pd.DataFrame | str | Path = source
    elif isinstance(source, pd.DataFrame):
        frame = source
    else:
        rows = tuple(source)
        if not rows:
            raise InputError.single(field, "has no rows")
        frame = _frame(rows)
    if isinstance(frame, pd.DataFrame) and len(frame) == 0:
        raise InputError.single(field, "has no rows")
    try:
        return load_history(frame, timezone=problem.timezone, interval_min=problem.interval_min)
    except HistoryError as exc:
        raise DataError([Issue(f"{field}.{i.field}", i.problem) for i in exc.issues]) from None
    except ForecastInputError as exc:
        raise InputError.single(field, exc.problem) from None


def check_actuals(problem: PlanningProblem, actuals: pd.DataFrame, now: dt.datetime, *, field: str = "actuals") -> None:
    """Check ``now`` against the horizon and every actual row against ``now`` and the horizon.

    Raises
    ------
    InputError
        ``now``: naive, before the plan starts or at or after its end; ``field.interval_start[T]``: a row
        outside the horizon, one that had not ended by ``now``, or one of an earlier day than ``now``'s.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError.single("now", "must have a UTC offset (e.g. 2026-12-01T10:00+01:00)")
    demand = demand_frame(problem.demand, timezone=problem.timezone)
    first = demand.index[0]
    end = demand.index[-1] + pd.Timedelta(minutes=problem.interval_min)
    stamp = pd.Timestamp(now).tz_convert(problem.timezone)
    if stamp < first:
        raise InputError.single("now", f"{now.isoformat()} is before the plan starts ({first.isoformat()})")
    if stamp >= end:
        raise InputError.single("now", f"{now.isoformat()} is at or after the plan's end ({end.isoformat()})")
    index = pd.DatetimeIndex(actuals.index).tz_convert(problem.timezone)
    length = pd.Timedelta(minutes=problem.interval_min)
    today_start = pd.Timestamp(stamp.date().isoformat()).tz_localize(problem.timezone)
    rules = (
        ((index < first) | (index >= end), f"is outside the plan's horizon {first.isoformat()} .. {end.isoformat()}"),
        (index + length > stamp, f"had not ended by now ({stamp.isoformat()}); actuals stop at now"),
        (index < today_start, f"is before today ({today_start.date()}, now's local day); give today's actuals"),
    )
    for mask, problem_text in rules:
        bad = np.flatnonzero(np.asarray(mask))
        if bad.size:
            more = f" [{bad.size} rows]" if bad.size > 1 else ""
            raise InputError.single(f"{field}.interval_start[{index[bad[0]].isoformat()}]", problem_text + more)


def reforecast_demand(
    problem: PlanningProblem,
    actuals: pd.DataFrame,
    now: dt.datetime,
    params: IntradayParams | None = None,
    *,
    field: str = "actuals",
) -> DemandReforecast:
    """Re-forecast the plan's demand from ``now`` to the end of tomorrow from today's actuals.

    Raises
    ------
    InputError
        As :func:`check_actuals`.
    """
    check_actuals(problem, actuals, now, field=field)
    demand = demand_frame(problem.demand, timezone=problem.timezone)
    people = human_demand(demand, problem.automation)
    stamp = pd.Timestamp(now).tz_convert(problem.timezone)
    today = stamp.date()
    is_today = np.asarray(pd.DatetimeIndex(demand.index).date) == today
    factors = intraday_factors(people[is_today], actuals.tz_convert(problem.timezone), params)
    after = scale_rest(demand, stamp, factors)
    before = demand.loc[after.index]
    on_today = np.asarray(pd.DatetimeIndex(after.index).date) == today
    table = pd.DataFrame(
        {
            "interval_start": [t.isoformat() for t in after.index],
            "day": np.where(on_today, "today", "tomorrow"),
            "volume_before": before["volume"].to_numpy(),
            "volume_after": after["volume"].to_numpy(),
            "aht_s_before": before["aht_s"].to_numpy(),
            "aht_s_after": after["aht_s"].to_numpy(),
            "volume_factor": np.where(on_today, factors.today_factor, factors.tomorrow_factor),
            "aht_factor": np.where(on_today, factors.aht_factor, 1.0),
            "ratio": factors.ratio,
            "credibility": factors.credibility,
        },
        columns=list(REFORECAST_COLUMNS),
    )
    # With nothing left of the horizon after now, the re-plan runs on the plan's demand unchanged.
    return DemandReforecast(demand=after if len(after) else demand, table=table, factors=factors)


def replan_from_actuals(
    problem: PlanningProblem,
    published: Plan,
    actuals: pd.DataFrame,
    *,
    now: dt.datetime,
    params: SolveParams,
    options: ReplanOptions,
    intraday: IntradayParams | None = None,
    field: str = "actuals",
) -> OpsLoopResult:
    """Re-forecast from today's actuals and re-plan the published plan on the result.

    Parameters
    ----------
    problem, published : PlanningProblem, Plan
        The published plan and the problem it solved.
    actuals : pandas.DataFrame
        Today's actuals up to ``now`` (:func:`read_actuals`).
    now : datetime.datetime
        The moment of the re-plan (timezone-aware, inside the horizon).
    params, options : SolveParams, ReplanOptions
        As :func:`optimizer.replan.replan`.
    intraday : IntradayParams, optional
        Credibility and tomorrow weight of the re-forecast.
    field : str, default "actuals"
        Name of the actuals in error messages.

    Returns
    -------
    OpsLoopResult

    Raises
    ------
    InputError
        As :func:`check_actuals` and :func:`optimizer.replan.replan`.
    """
    reforecast = reforecast_demand(problem, actuals, now, intraday, field=field)
    result = replan(problem, published, reforecast.demand, now=now, params=params, options=options)
    return OpsLoopResult(replan=result, reforecast=reforecast)
