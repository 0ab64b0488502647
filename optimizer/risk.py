"""How likely an interval is to meet its service target, and which intervals of a plan are at risk.

An interval meets its target when the share of its contacts answered within the threshold reaches the
level. ``p_meet(n)``, its probability with ``n`` people scheduled, is the law of :mod:`optimizer.interval_law`:
the interval simulated on its own in steady state, over the forecast error of its rate
(:mod:`optimizer.arrival_law`), Poisson arrivals and the spread of handle times, so it counts how arrivals
bunch inside the interval, which the mean level of Erlang C/A does not. It warms each interval up with one
before it at a rate of its own, and leaves out a backlog built over several intervals, which the plan
simulator (:mod:`optimizer.simulation`) measures. Staffing to a
confidence ``c`` (:func:`optimizer.staffing.staffing_requirements`) is its inverse: the fewest agents with
``p_meet >= c``.

The horizon's level (the volume-weighted service level over all intervals, ``scope: horizon``) has its own
law in :mod:`optimizer.horizon_law`: the forecast error the intervals share (the common factor ``F`` of
:mod:`optimizer.arrival_law`) moves it most, and the randomness inside the horizon (each interval's own
error, Poisson arrivals, the queue) spreads it around its mean given ``F``. Its probability of meeting the
target, :func:`horizon_meet_probability`, is re-exported here beside the interval's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.demand import validate_demand_frame
from optimizer.domain import Plan, ServiceTarget
from optimizer.horizon_law import horizon_level, horizon_meet_probability
from optimizer.interval_law import meet_at, meet_table
from optimizer.staffing import effective_agents, wait_within_s

DEFAULT_RISK_CONFIDENCE = 0.7
"""Without ``service_target.confidence`` an interval is at risk when its chance of missing exceeds 30 %.

A plan staffed to the forecast mean meets each interval with probability 0.59-1.0, median 0.75 (the bundled
week's plan), so 0.5 would flag nothing and 0.8 most intervals; 0.7 names the weakest third or so (64 of
186)."""

__all__ = [
    "AT_RISK_COLUMNS",
    "DEFAULT_RISK_CONFIDENCE",
    "at_risk_frame",
    "expected_share_below",
    "horizon_level",
    "horizon_meet_probability",
    "meet_curve",
    "meet_probability",
    "risk_threshold",
    "share_requirement",
]


def risk_threshold(target: ServiceTarget) -> float:
    """Return the probability of meeting below which an interval is at risk: the confidence, else 0.7."""
    return target.confidence if target.confidence is not None else DEFAULT_RISK_CONFIDENCE


def meet_probability(
    demand: pd.DataFrame, scheduled: np.ndarray, target: ServiceTarget, *, interval_min: int, level: float
) -> np.ndarray:
    """Return the modelled probability that each interval reaches ``level`` with ``scheduled`` people.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people (quantile columns widen the law, else ``volume_cv``).
    scheduled : ndarray
        People on shift and not on break per interval; shrinkage applies as in the plan.
    target : ServiceTarget
        Threshold, shrinkage, patience, concurrency, handle-time CV and volume CV.
    interval_min : int
        Interval length [min].
    level : float
        Service level the interval must reach (0-1).

    Returns
    -------
    ndarray of float
        ``p_meet`` per interval (:mod:`optimizer.interval_law`); 1.0 where the volume is 0.
    """
    frame = validate_demand_frame(demand, interval_min=interval_min)
    agents = effective_agents(np.asarray(scheduled), target.shrinkage)
    return meet_at(frame, agents, target, interval_min=interval_min, level=level, erlang_within_s=wait_within_s(target))


MEET_SATURATED = 1.0 - 1e-9
"""Head counts past the one at which every interval's ``p_meet`` reaches this repeat its column."""


def meet_curve(
    demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int, level: float, max_scheduled: int
) -> np.ndarray:
    """Return ``p_meet`` of every interval with 0..``max_scheduled`` people scheduled.

    Column ``s`` is :func:`meet_probability` at ``s`` people in every interval; columns past the head count
    at which every interval meets with probability ``MEET_SATURATED`` repeat that column.

    Returns
    -------
    numpy.ndarray, shape (T, max_scheduled + 1)
        Non-decreasing along each row; 1.0 in the rows of intervals without contacts.
    """
    frame = validate_demand_frame(demand, interval_min=interval_min)
    table = meet_table(frame, target, interval_min=interval_min, level=level, erlang_within_s=wait_within_s(target))
    out = np.ones((len(frame), max(0, max_scheduled) + 1))
    for s in range(out.shape[1]):
        column = table.at(effective_agents(np.full(len(frame), s), target.shrinkage))
        out[:, s] = column
        if column.min(initial=1.0) >= MEET_SATURATED:
            out[:, s:] = column[:, None]
            break
    return out


AT_RISK_COLUMNS = ("interval_start", "volume", "scheduled", "required", "service_level", "p_meet")


def at_risk_frame(plan: Plan, below: float) -> pd.DataFrame:
    """Return the plan's intervals with contacts and ``p_meet < below``, least likely to meet first.

    Columns: ``interval_start`` (ISO 8601), ``volume``, ``scheduled``, ``required``, ``service_level``,
    ``p_meet``. Plans from before ``p_meet`` existed give an empty frame. A several-queue plan lists its live
    queues' rows, with a ``queue`` column after ``interval_start``.
    """
    if plan.queue_coverage:
        queued = [
            {
                "interval_start": r.interval_start.isoformat(),
                "queue": r.queue,
                "volume": round(r.volume, 3),
                "scheduled": r.scheduled,
                "required": r.required,
                "service_level": round(r.service_level or 0.0, 4),
                "p_meet": round(r.p_meet, 4),
            }
            for r in plan.queue_coverage
            if r.p_meet is not None and r.volume > 0 and r.p_meet < below
        ]
        columns = ["interval_start", "queue", *AT_RISK_COLUMNS[1:]]
        frame = pd.DataFrame(queued, columns=columns)
        return frame.sort_values(["p_meet", "interval_start", "queue"], kind="stable").reset_index(drop=True)
    rows = [
        {
            "interval_start": r.interval_start.isoformat(),
            "volume": round(r.volume, 3),
            "scheduled": r.scheduled,
            "required": r.required,
            "service_level": round(r.service_level, 4),
            "p_meet": round(r.p_meet, 4),
        }
        for r in plan.coverage
        if r.p_meet is not None and r.volume > 0 and r.p_meet < below
    ]
    frame = pd.DataFrame(rows, columns=list(AT_RISK_COLUMNS))
    return frame.sort_values(["p_meet", "interval_start"], kind="stable").reset_index(drop=True)


def expected_share_below(plan: Plan) -> float | None:
    """Return the expected share of intervals with contacts that miss their level, or None without ``p_meet``.

    A several-queue plan counts each live queue's intervals with contacts.
    """
    rows = plan.queue_coverage or plan.coverage
    probs = [r.p_meet for r in rows if r.volume > 0 and r.p_meet is not None]
    return float(1.0 - np.mean(probs)) if probs else None


SHARE_CEILING = 0.999
"""An interval whose probability of meeting reaches this is not offered more people by the share allocation."""

SHARE_MAX_EXTRA = 200
"""Most people the share allocation adds to one interval above its forecast-mean requirement."""


def share_requirement(
    demand: pd.DataFrame, base: np.ndarray, target: ServiceTarget, *, interval_min: int, level: float
) -> np.ndarray:
    """Return people per interval, at least ``base``, whose mean ``p_meet`` over busy intervals is ``confidence``.

    The ``confidence_scope: share`` requirement: the expected share of intervals with contacts that miss
    ``level`` is at most ``1 - confidence``. Starting from ``base`` (the forecast-mean requirement), people
    are added where one more person buys the most probability of meeting: per interval the upper concave
    envelope of ``k -> p_meet(base + k)``, its segments taken steepest first across all intervals until the
    mean reaches ``confidence``. For a sum of concave gains this greedy order is the cheapest in people per
    interval; an interval whose meeting is dear (few contacts and a wide spread of service levels) keeps its
    risk, a busy interval where one person lifts the probability steeply gets that person.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people.
    base : numpy.ndarray
        People per interval at the forecast-mean requirement (the floor of the allocation).
    target : ServiceTarget
        The target; ``confidence`` must be set.
    interval_min : int
        Interval length [min].
    level : float
        Service level an interval must reach (0-1).

    Returns
    -------
    numpy.ndarray of int64
        People to schedule per interval (``base`` where the volume is 0).
    """
    if target.confidence is None:
        raise ValueError("share_requirement needs target.confidence")
    base = np.asarray(base, dtype=np.int64)
    frame = validate_demand_frame(demand, interval_min=interval_min)
    busy = np.flatnonzero(frame["volume"].to_numpy() > 0)
    if busy.size == 0:
        return base.copy()
    meets = meet_table(frame, target, interval_min=interval_min, level=level, erlang_within_s=wait_within_s(target))

    def p_with(people: np.ndarray) -> np.ndarray:
        return meets.at(effective_agents(people, target.shrinkage))[busy]

    table = [p_with(base)]
    while table[-1].min() < SHARE_CEILING and len(table) <= SHARE_MAX_EXTRA:
        extra = np.zeros_like(base)
        extra[busy] = len(table)
        table.append(p_with(base + extra))
    probs = np.stack(table, axis=1)  # (busy intervals, extra people 0..K)
    need = target.confidence * busy.size - float(probs[:, 0].sum())
    added = np.zeros(busy.size, dtype=np.int64)
    if need > 0:
        segments = [(slope, i, k) for i in range(busy.size) for slope, k in _envelope_steps(probs[i])]
        segments.sort(key=lambda s: (-s[0], s[1], s[2]))
        for slope, i, k in segments:
            if need <= 1e-12:
                break
            need -= slope * (k - added[i])
            added[i] = k
    out = base.copy()
    out[busy] += added
    return out


def _envelope_steps(values: np.ndarray) -> list[tuple[float, int]]:
    """Return the upper concave envelope of ``values`` from index 0 as (slope, end index) segments.

    Slopes are strictly decreasing and positive; flat or falling tails are dropped.
    """
    out: list[tuple[float, int]] = []
    start = 0
    while start < len(values) - 1:
        rises = (values[start + 1 :] - values[start]) / np.arange(1, len(values) - start)
        best = int(np.argmax(rises))
        if rises[best] <= 0:
            break
        end = start + 1 + int(np.flatnonzero(rises == rises[best])[-1])
        out.append((float(rises[best]), end))
        start = end
    return out
