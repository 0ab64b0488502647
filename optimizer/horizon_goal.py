"""Goals over the whole horizon: concave curves per interval in integer units, the goal, and its penalty.

Two targets are goals over the horizon rather than a requirement in every interval, and the model, the
KPIs and the independent check all count them through this module, in the same integer units:

- ``ServiceTarget.scope == "horizon"``: a plan must answer ``service_level`` of all contacts of the horizon
  within ``answer_within_s`` (not every interval separately), and every interval must still reach
  ``interval_floor`` (that floor is the staff needed per interval, ``optimizer.requirement``). Spending staff
  where it buys the most service is cheaper at the same weekly service level than meeting the level in every
  interval. The curve counts contacts answered within target (1/``ANSWERED_SCALE``).
- ``confidence`` with ``confidence_scope == "share"`` (per-interval scope): the intervals with contacts must
  meet their level with probability ``confidence`` on average, every interval at least at the forecast-mean
  requirement. The curve is each interval's ``p_meet`` (:func:`optimizer.risk.meet_curve`, in
  1/``SHARE_SCALE``), so people a shift puts on the floor anyway count towards the share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from optimizer.arrival_law import horizon_factor, horizon_sigma, volume_sigma
from optimizer.domain import PlanningProblem, ServiceTarget
from optimizer.horizon_law import anchor_offset, level_law
from optimizer.queueing import offered_load
from optimizer.risk import meet_curve
from optimizer.staffing import effective_agents, staffing_curves

ANSWERED_SCALE = 100
"""Answered contacts are counted in hundredths inside the solver (integers)."""

MISSED_CONTACT_FACTOR = 10
"""A contact missing from the goal costs this many agent-intervals of shortfall penalty."""

SHARE_SCALE = 10_000
"""The share goal counts each interval's probability of meeting in 1/SHARE_SCALE (integers in the solver)."""

MISSED_INTERVAL_FACTOR = 10
"""An interval's whole chance of meeting missing from the share goal costs this many agent-intervals of
shortfall penalty (0.01 of chance costs a tenth of one)."""


@dataclass(frozen=True, slots=True)
class ServiceGoal:
    """Integer data of the horizon goal.

    Attributes
    ----------
    curve : numpy.ndarray, shape (T, S + 1)
        The goal's units in interval t with s people scheduled, floored; non-decreasing in s. Horizon scope:
        contacts answered within target in 1/ANSWERED_SCALE; share: ``p_meet`` in 1/SHARE_SCALE (0 in
        intervals without contacts).
    goal : int
        Units to reach over the horizon: ceil(service_level x total volume x ANSWERED_SCALE), or
        ceil(confidence x intervals with contacts x SHARE_SCALE).
    penalty_per_unit_cents : int
        Penalty per unit below the goal [cents].
    shrinkage : float
        Share of scheduled people off the phones: ``effective_agents(s, shrinkage)`` maps the curve's index
        to agents, in which the curve is concave above the load (see :func:`staffing_curves`).
    """

    curve: np.ndarray
    goal: int
    penalty_per_unit_cents: int
    shrinkage: float

    def answered(self, scheduled: np.ndarray) -> int:
        """Return the units answered at the given head counts per interval."""
        s = np.clip(np.asarray(scheduled, dtype=np.int64), 0, self.curve.shape[1] - 1)
        return int(self.curve[np.arange(len(s)), s].sum())

    def missed_cents(self, scheduled: np.ndarray) -> int:
        """Return the penalty of the goal missed at the given head counts per interval [cents]."""
        return self.penalty_per_unit_cents * max(0, self.goal - self.answered(scheduled))


def goal_factor(demand: pd.DataFrame, target: ServiceTarget) -> float:
    """Return the factor on every interval's volume that the horizon goal is met at: 1 without ``confidence``.

    With ``confidence`` c it is the c-quantile of the horizon's common forecast-error factor
    (:mod:`optimizer.arrival_law`): the goal's curves put people where a week that high needs them, and
    :func:`goal_level` adds what the randomness inside the week asks on top.
    """
    if target.confidence is None:
        return 1.0
    volume = demand["volume"].to_numpy(dtype=np.float64)
    sigma = volume_sigma(demand[["volume"]], target.volume_cv)[volume > 0]  # quantile columns left to intervals
    return horizon_factor(horizon_sigma(sigma, target.horizon_volume_cv), target.confidence)


def service_goal(
    demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int, max_scheduled: int, shortfall_penalty_cents: int
) -> ServiceGoal | None:
    """Return the horizon goal's integer data, the share goal's, or None when the target is per interval.

    Horizon scope: with ``target.confidence`` the curves and the goal are those of the volumes times
    :func:`goal_factor`, and the goal's level is :func:`goal_level` (the target without it). Per-interval
    scope with a ``share`` confidence: :func:`share_goal`.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people.
    target : ServiceTarget
        The service target.
    interval_min : int
        Interval length [min].
    max_scheduled : int
        Most people that can be on the floor in any interval (FTEs plus the gig cap).
    shortfall_penalty_cents : int
        Penalty per agent-interval of shortfall [cents]; a missed contact costs ``MISSED_CONTACT_FACTOR`` of them.
    """
    if target.scope == "interval":
        if target.confidence is None or target.confidence_scope != "share":
            return None
        return share_goal(
            demand,
            target,
            interval_min=interval_min,
            max_scheduled=max_scheduled,
            shortfall_penalty_cents=shortfall_penalty_cents,
        )
    level = goal_level(demand, target, interval_min=interval_min)
    demand = demand.assign(volume=demand["volume"] * goal_factor(demand, target))
    curve = staffing_curves(demand, target, interval_min=interval_min, max_scheduled=max_scheduled)
    units = np.floor(curve * ANSWERED_SCALE + 1e-9).astype(np.int64)
    goal = math.ceil(level * float(demand["volume"].sum()) * ANSWERED_SCALE - 1e-9)
    penalty = max(1, round(MISSED_CONTACT_FACTOR * shortfall_penalty_cents / ANSWERED_SCALE))
    return ServiceGoal(curve=units, goal=goal, penalty_per_unit_cents=penalty, shrinkage=target.shrinkage)


def share_goal(
    demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int, max_scheduled: int, shortfall_penalty_cents: int
) -> ServiceGoal:
    """Return the share goal: the chances of meeting summed over intervals with contacts reach ``confidence`` of them.

    The expected share of intervals with contacts that meet ``service_level`` is the mean of their
    ``p_meet``; in the model it is a sum of concave pieces like the horizon's answered contacts, so a
    shift's people count wherever they stand, and the cheapest plan adds people where a shift buys the most
    chance. Without shifts the same goal is met by :func:`optimizer.risk.share_requirement`.

    Parameters are those of :func:`service_goal`; ``target.confidence`` must be set.
    """
    assert target.confidence is not None
    volume = demand["volume"].to_numpy(dtype=np.float64)
    curve = meet_curve(
        demand, target, interval_min=interval_min, level=target.service_level, max_scheduled=max_scheduled
    )
    curve[volume <= 0] = 0.0
    units = np.floor(curve * SHARE_SCALE + 1e-9).astype(np.int64)
    goal = math.ceil(target.confidence * int((volume > 0).sum()) * SHARE_SCALE - 1e-9)
    penalty = max(1, round(MISSED_INTERVAL_FACTOR * shortfall_penalty_cents / SHARE_SCALE))
    return ServiceGoal(curve=units, goal=goal, penalty_per_unit_cents=penalty, shrinkage=target.shrinkage)


GOAL_LEVEL_STEPS = 10
"""Bisection steps on the goal's level under ``confidence`` (a 2**-10 share of the room above the target)."""


def goal_level(demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int) -> float:
    """Return the horizon level the goal asks at its volumes: the target, raised under ``confidence``.

    With ``confidence`` c the goal's volumes are the forecast times :func:`goal_factor`, which covers the
    error the week shares but not the randomness inside it (each interval's own error, Poisson arrivals, the
    queue), which lowers and spreads the week's level (:mod:`optimizer.horizon_law`). The level is raised,
    by bisection, until the cheapest staffing that answers it at the goal's volumes
    (:func:`cheapest_staffing`) is modelled to reach ``target.service_level`` with probability c
    (:func:`optimizer.horizon_law.level_law`, its mean anchored on the interval law's: ``anchor_offset``); at
    most the level that staffing saturates at. A plan's shifts
    and floors put people elsewhere too, so its own probability (``kpis.p_meet_horizon``) is near c, mostly
    above: 0.90-0.93 on the bundled week at 0.9, 0.89 on a one-day test whose three shifts cannot follow it.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people (the forecast).
    target : ServiceTarget
        The service target.
    interval_min : int
        Interval length [min].

    Returns
    -------
    float
        Level of the goal (0-1); ``target.service_level`` without ``confidence`` or when that suffices.
    """
    if target.confidence is None or float(demand["volume"].sum()) <= 0:
        return target.service_level
    confidence = target.confidence
    scaled = demand.assign(volume=demand["volume"] * goal_factor(demand, target))
    curve = staffing_curves(
        scaled, target, interval_min=interval_min, max_scheduled=_saturating_head_count(scaled, target, interval_min)
    )
    total = float(scaled["volume"].sum())
    low, high = target.service_level, float(curve[:, -1].sum()) / total
    if high <= low:
        return low

    def probability(level: float, offset: float) -> float:
        staff = cheapest_staffing(curve, level * total)
        law = level_law(demand, staff, target, interval_min=interval_min)
        return law.shifted(offset).meet_probability(target.service_level)

    def offset_at(level: float) -> float:
        staff = cheapest_staffing(curve, level * total)
        return anchor_offset(demand, staff, target, interval_min=interval_min)

    # The law's mean is anchored on the interval law's (horizon_law.anchor_offset), which simulates each
    # interval: measured at the target's staffing, then once more at the level found.
    offset = offset_at(low)
    level = _bisect_level(lambda x: probability(x, offset) >= confidence, low, high)
    moved = offset_at(level)
    if abs(moved - offset) > ANCHOR_TOLERANCE:
        level = _bisect_level(lambda x: probability(x, moved) >= confidence, low, high)
    return level


ANCHOR_TOLERANCE = 0.002
"""How far the anchoring offset at the level found may differ from the target staffing's before the level is
sought again with it (0-1)."""


def _bisect_level(meets: Callable[[float], bool], low: float, high: float) -> float:
    """Return the least level in [low, high] that ``meets`` (increasing in the level) accepts, by bisection.

    ``high`` when none does, ``low`` when it does.
    """
    if meets(low):
        return low
    if not meets(high):
        return high
    for _ in range(GOAL_LEVEL_STEPS):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if meets(mid) else (mid, high)
    return high


PRICE_STEPS = 60
"""Bisection steps on the price per person of :func:`cheapest_staffing` (to float precision)."""


def cheapest_staffing(curve: np.ndarray, answered: float) -> np.ndarray:
    """Return people per interval that answer ``answered`` contacts in time, adding where a person buys most.

    Each interval takes every person up to its last one whose gain is at least a common price ``lambda``,
    ``lambda`` the highest (bisection) at which the total reaches ``answered``, and the people that price
    adds at once are then added one at a time, largest gain first, until it does: the cheapest allocation in
    people when the curves are concave, ignoring shifts and floors.

    Parameters
    ----------
    curve : numpy.ndarray, shape (T, S + 1)
        Contacts answered in time with 0..S people scheduled (:func:`optimizer.staffing.staffing_curves`).
    answered : float
        Contacts to answer in time over the horizon.

    Returns
    -------
    numpy.ndarray of int64, shape (T,)
        People per interval; ``S`` everywhere when even that answers fewer.
    """
    gain = np.diff(curve, axis=1)
    top = curve.shape[1] - 1

    def staff(price: float) -> np.ndarray:
        taken = gain >= price
        last = top - np.argmax(taken[:, ::-1], axis=1)
        return np.where(taken.any(axis=1), last, 0).astype(np.int64)

    def total(people: np.ndarray) -> float:
        return float(curve[np.arange(len(people)), people].sum())

    lo, hi = 0.0, float(gain.max(initial=0.0)) + 1.0  # staff(lo) is everyone, staff(hi) nobody
    if gain.size == 0 or total(staff(lo)) < answered:
        return np.full(len(curve), top, dtype=np.int64)
    for _ in range(PRICE_STEPS):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if total(staff(mid)) >= answered else (lo, mid)
    # Intervals with equal curves reach a price together: add those people one at a time, largest gain first.
    people, enough = staff(hi), staff(lo)
    steps = sorted(
        ((float(gain[t, k]), t) for t in np.flatnonzero(enough > people) for k in range(people[t], enough[t])),
        key=lambda step: -step[0],
    )
    for _, t in steps:
        if total(people) >= answered:
            break
        people[t] += 1
    return people


def _saturating_head_count(demand: pd.DataFrame, target: ServiceTarget, interval_min: int) -> int:
    """Return a head count above which no interval's answered curve still rises noticeably.

    Six standard deviations of a Poisson load above the largest load, on the phones after shrinkage and
    concurrency: data-derived, so the goal's level does not depend on how wide a caller tabulates curves.
    """
    load = offered_load(demand["volume"].to_numpy(dtype=np.float64), demand["aht_s"].to_numpy(), interval_min)
    busiest = float(np.max(load, initial=0.0))
    servers = busiest + 6.0 * math.sqrt(busiest) + 6.0
    return int(math.ceil(servers / ((1.0 - target.shrinkage) * target.concurrency))) + 1


SATURATION = 0.999
"""Head counts past the one answering this share of an interval's contacts add no modelled service."""

RATIO_DENOMINATORS = (100, 10_000, 1_000_000)
"""Denominators tried for the integer ratio that maps people scheduled to agents on the phones."""


@dataclass(frozen=True, slots=True)
class GoalPiece:
    """The concave answered-within-target function of one interval, in agents on the phones.

    ``values[i]`` is the modelled answer count at ``first_agents + i`` agents; it is concave in i and
    never above the curve. ``floor`` is the interval's floor requirement in people scheduled.
    """

    interval: int
    floor: int
    first_agents: int
    values: tuple[int, ...]

    def at(self, agents: int) -> int:
        """Return the modelled answer count at a number of agents (0 below the first, flat past the last)."""
        if agents < self.first_agents:
            return 0
        return self.values[min(agents - self.first_agents, len(self.values) - 1)]

    def answered(self, people: int, ratio: tuple[int, int]) -> int:
        """Return the modelled answer count with ``people`` on the floor.

        Nothing below the floor requirement; else the count at ``floor(N people / D)`` agents, ``ratio`` = (N, D).
        """
        if people < self.floor:
            return 0
        return self.at(people * ratio[0] // ratio[1])


def agent_ratio(shrinkage: float, top: int) -> tuple[int, int]:
    """Return (N, D) such that ``floor(N s / D)`` agents stay on the phones of ``s`` people scheduled.

    Exactly ``effective_agents(s, shrinkage)`` for s in 0..top when a fraction with a denominator up to 10^6
    matches it (every shrinkage given in decimals does); otherwise the largest fraction below
    ``1 - shrinkage`` with that denominator, which never counts more agents than there are.
    """
    people = np.arange(top + 1, dtype=np.int64)
    agents = effective_agents(people, shrinkage)
    kept = 1.0 - shrinkage
    for limit in RATIO_DENOMINATORS:
        ratio = Fraction(kept).limit_denominator(limit)
        if np.array_equal(people * ratio.numerator // ratio.denominator, agents):
            return ratio.numerator, ratio.denominator
    scale = RATIO_DENOMINATORS[-1]
    return math.floor(kept * scale), scale


def concave_minorant(values: np.ndarray) -> tuple[int, ...]:
    """Return the concave sequence m <= values built by never letting a step exceed the one before it.

    Above the load the Erlang curve in agents is concave (see ``staffing_curves``), so ``m`` equals it up
    to the flooring of integer units: measured on the bundled week at 15 minutes, 42 of 372 intervals lose
    one unit (1/100 contact), 0.42 contacts in all.
    """
    out = [int(values[0])]
    step = None
    for v in values[1:]:
        rise = int(v) - out[-1]
        step = rise if step is None else min(step, rise)
        if step <= 0:
            break
        out.append(out[-1] + step)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PreparedGoal(ServiceGoal):
    """The horizon goal as the CP-SAT model reads it: the goal's data plus each interval's concave piece.

    Attributes
    ----------
    agent_ratio : tuple of int
        (N, D) such that ``floor(N s / D)`` agents stay on the phones of ``s`` people scheduled.
    pieces : tuple of GoalPiece
        The concave answered-within-target piece of every interval with demand, in interval order.
    """

    agent_ratio: tuple[int, int]
    pieces: tuple[GoalPiece, ...]

    def answered(self, scheduled: np.ndarray) -> int:
        """Return the units the pieces count at the given head counts per interval (what the model counts).

        Nothing below an interval's floor, the concave piece above it: never more than the curve, so the
        goal a plan is priced on is the one its solver proved, and ``check_plan`` recounts the same.
        """
        s = np.asarray(scheduled, dtype=np.int64)
        return sum(p.answered(int(s[p.interval]), self.agent_ratio) for p in self.pieces)


def plan_goal(
    problem: PlanningProblem, demand: pd.DataFrame, required: np.ndarray, *, shortfall_penalty_cents: int
) -> PreparedGoal | None:
    """Return the goal a plan of ``problem`` is priced on (:func:`service_goal` with its pieces), or None.

    ``demand`` is the demand frame of the contacts reaching people and ``required`` the floor requirement per
    interval. The curves run up to the most people the workforce can put on the floor at once (workers plus
    the gig cap), so the model, ``check_plan`` and a recount all price a plan on the same pieces.
    """
    pool = problem.workforce.gig_pool
    goal = service_goal(
        demand,
        problem.service_target,
        interval_min=problem.interval_min,
        max_scheduled=len(problem.workforce.workers) + (pool.max_concurrent if pool is not None else 0),
        shortfall_penalty_cents=shortfall_penalty_cents,
    )
    return prepare_goal(goal, required) if goal is not None else None


def prepare_goal(goal: ServiceGoal, required: np.ndarray) -> PreparedGoal:
    """Return the goal with its agent ratio and concave pieces, each floored at ``required[t]`` people.

    Parameters
    ----------
    goal : ServiceGoal
        The horizon goal's data.
    required : numpy.ndarray
        People to schedule per interval for the interval floor (the model's requirement).
    """
    top = goal.curve.shape[1] - 1
    numerator, denominator = agent_ratio(goal.shrinkage, top)
    agents = effective_agents(np.arange(top + 1), goal.shrinkage)
    first_person = np.searchsorted(agents, np.arange(int(agents[-1]) + 1), side="left")
    pieces = []
    for t in range(len(required)):
        curve = goal.curve[t]
        if curve[-1] == 0:
            continue
        lo = min(int(required[t]), top)
        hi = max(lo, int(np.searchsorted(curve, SATURATION * curve[-1], side="left")))
        first, last = int(lo * numerator // denominator), int(agents[min(hi, top)])
        by_agents = curve[first_person[first : last + 1]]
        pieces.append(GoalPiece(t, lo, first, concave_minorant(by_agents)))
    return PreparedGoal(
        curve=goal.curve,
        goal=goal.goal,
        penalty_per_unit_cents=goal.penalty_per_unit_cents,
        shrinkage=goal.shrinkage,
        agent_ratio=(numerator, denominator),
        pieces=tuple(pieces),
    )
