"""Staff needed per interval: the one home of what every plan, check and staffing answer must meet.

The requirement is the per-interval part of the service target: the target itself when its scope is the
interval, its ``interval_floor`` when the scope is the horizon (the horizon goal, ``optimizer.horizon_goal``,
then asks for more where it is cheapest). ``prepare``, the plan's coverage rows, ``check_plan`` and
``POST /v1/staffing`` all read it from here, so they cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.demand import demand_frame
from optimizer.domain import Automation, PlanningProblem, ServiceTarget
from optimizer.risk import share_requirement
from optimizer.staffing import effective_agents, human_demand, staffing_requirements

__all__ = ["floor_target", "people_demand", "problem_staff_needed", "staff_for_target", "staff_needed"]


def floor_target(target: ServiceTarget) -> ServiceTarget:
    """Return the per-interval target that sets the requirement: the target itself, or its interval floor."""
    if target.scope == "interval":
        return target
    return target.model_copy(update={"service_level": target.interval_floor, "max_asa_s": None})


def staff_needed(
    demand: pd.DataFrame, target: ServiceTarget, automation: Automation, *, interval_min: int
) -> pd.DataFrame:
    """Return the agents and people to schedule per interval that a plan must meet.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of all incoming contacts (before the bot).
    target : ServiceTarget
        The service target; with ``scope == "horizon"`` its ``interval_floor`` sets the requirement.
    automation : Automation
        Bot containment and the handle-time uplift of escalated contacts.
    interval_min : int
        Interval length [min].

    Returns
    -------
    pandas.DataFrame
        The :func:`optimizer.staffing.staffing_requirements` frame (``volume`` and ``aht_s`` of the contacts
        reaching people, ``agents``, ``required``) of the per-interval target (:func:`floor_target`).

    Raises
    ------
    DataError
        When ``demand`` breaks the demand-frame contract.
    """
    return staff_for_target(human_demand(demand, automation), floor_target(target), interval_min=interval_min)


def staff_for_target(people: pd.DataFrame, target: ServiceTarget, *, interval_min: int) -> pd.DataFrame:
    """Return the staffing frame that meets a per-interval target on the contacts reaching people.

    :func:`optimizer.staffing.staffing_requirements`, and with ``confidence`` and ``confidence_scope ==
    "share"`` the people :func:`optimizer.risk.share_requirement` adds to it where they raise the chance of
    meeting most (``agents`` then counts the agents those people leave on the phones).
    """
    if target.confidence is None or target.confidence_scope != "share":
        return staffing_requirements(people, target, interval_min=interval_min)
    frame = staffing_requirements(people, target.model_copy(update={"confidence": None}), interval_min=interval_min)
    required = share_requirement(
        people, frame["required"].to_numpy(), target, interval_min=interval_min, level=target.service_level
    )
    agents = np.maximum(frame["agents"].to_numpy(), effective_agents(required, target.shrinkage))
    return frame.assign(agents=agents, required=required)


def people_demand(problem: PlanningProblem) -> pd.DataFrame:
    """Return the demand frame of the contacts of a problem that reach people (after the bot)."""
    return human_demand(demand_frame(problem.demand, timezone=problem.timezone), problem.automation)


def problem_staff_needed(problem: PlanningProblem) -> pd.DataFrame:
    """Return :func:`staff_needed` of a planning problem's demand, target and automation."""
    return staff_needed(
        demand_frame(problem.demand, timezone=problem.timezone),
        problem.service_target,
        problem.automation,
        interval_min=problem.interval_min,
    )
