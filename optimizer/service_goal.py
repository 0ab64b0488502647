"""The horizon-wide service goal: answered-within-target curves in integer units, the goal, and its penalty.

With ``ServiceTarget.scope == "horizon"`` a plan must answer ``service_level`` of all contacts of the horizon
within ``answer_within_s`` (not every interval separately), and every interval must still reach
``interval_floor``. Spending staff where it buys the most service is cheaper at the same weekly service
level than meeting the level in every interval. The model, the KPIs and the independent check all count
answered contacts through this module, in the same integer units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.domain import ServiceTarget
from optimizer.staffing import staffing_curves, staffing_requirements

ANSWERED_SCALE = 100
"""Answered contacts are counted in hundredths inside the solver (integers)."""

MISSED_CONTACT_FACTOR = 10
"""A contact missing from the goal costs this many agent-intervals of shortfall penalty."""


@dataclass(frozen=True, slots=True)
class ServiceGoal:
    """Integer data of the horizon goal.

    Attributes
    ----------
    curve : numpy.ndarray, shape (T, S + 1)
        Contacts answered within target in interval t with s people scheduled, in 1/ANSWERED_SCALE units,
        floored; non-decreasing in s.
    goal : int
        Units to answer over the horizon: ceil(service_level x total volume x ANSWERED_SCALE).
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


def floor_target(target: ServiceTarget) -> ServiceTarget:
    """Return the per-interval target that sets the requirement: the target itself, or its interval floor."""
    if target.scope == "interval":
        return target
    return target.model_copy(update={"service_level": target.interval_floor, "max_asa_s": None})


def interval_requirement(demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int) -> pd.DataFrame:
    """Return the staffing frame (``agents``, ``required``) of the per-interval part of the target."""
    return staffing_requirements(demand, floor_target(target), interval_min=interval_min)


def service_goal(
    demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int, max_scheduled: int, shortfall_penalty_cents: int
) -> ServiceGoal | None:
    """Return the horizon goal's integer data, or None when the target is per interval.

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
        return None
    curve = staffing_curves(demand, target, interval_min=interval_min, max_scheduled=max_scheduled)
    units = np.floor(curve * ANSWERED_SCALE + 1e-9).astype(np.int64)
    goal = math.ceil(target.service_level * float(demand["volume"].sum()) * ANSWERED_SCALE - 1e-9)
    penalty = max(1, round(MISSED_CONTACT_FACTOR * shortfall_penalty_cents / ANSWERED_SCALE))
    return ServiceGoal(curve=units, goal=goal, penalty_per_unit_cents=penalty, shrinkage=target.shrinkage)
