"""Staff needed per interval: the one home of what every plan, check and staffing answer must meet.

The requirement is the per-interval part of the service target: the target itself when its scope is the
interval, its ``interval_floor`` when the scope is the horizon (the horizon goal, ``optimizer.horizon_goal``,
then asks for more where it is cheapest), the forecast-mean requirement under a ``share`` confidence (the
share goal, also in ``optimizer.horizon_goal``, then asks for more where a shift's people buy the most
chance). ``prepare``, the plan's coverage rows and ``check_plan`` read it from here, so they cannot
disagree; ``POST /v1/staffing``, which has no shifts, answers :func:`interval_staffing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.demand import demand_frame
from optimizer.domain import Automation, PlanningProblem, ServiceTarget
from optimizer.risk import share_requirement
from optimizer.skills import EmailOrder, EmailUnits, email_units, email_work
from optimizer.staffing import effective_agents, human_demand, staffing_requirements

__all__ = [
    "QueueNeed",
    "floor_target",
    "interval_staffing",
    "people_demand",
    "problem_staff_needed",
    "queue_needs",
    "staff_for_target",
    "staff_needed",
]


def floor_target(target: ServiceTarget) -> ServiceTarget:
    """Return the per-interval target that sets the requirement: the target itself, or its interval floor.

    Under ``scope: horizon`` the floor is met at the forecast volume: ``confidence`` is the horizon level's
    (:func:`optimizer.horizon_goal.goal_factor`), not each floor's.
    """
    if target.scope == "interval":
        return target
    return target.model_copy(update={"service_level": target.interval_floor, "max_asa_s": None, "confidence": None})


def staff_needed(
    demand: pd.DataFrame, target: ServiceTarget, automation: Automation, *, interval_min: int
) -> pd.DataFrame:
    """Return the agents and people to schedule per interval that a plan must meet in every interval.

    Under a ``share`` confidence that is the forecast-mean requirement: the share itself is a goal over the
    horizon (:func:`optimizer.horizon_goal.share_goal`), which the plan's shifts meet.

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
    floor = floor_target(target)
    if floor.confidence is not None and floor.confidence_scope == "share":
        floor = floor.model_copy(update={"confidence": None})
    return staff_for_target(human_demand(demand, automation), floor, interval_min=interval_min)


def interval_staffing(
    demand: pd.DataFrame, target: ServiceTarget, automation: Automation, *, interval_min: int
) -> pd.DataFrame:
    """Return the people each interval needs on its own, with no shifts to place them (``POST /v1/staffing``).

    :func:`staff_needed`, except under a ``share`` confidence, where it is the cheapest people per
    interval whose mean ``p_meet`` reaches the confidence (:func:`optimizer.risk.share_requirement`); a
    plan meets the same share over its shifts, which put people on the floor where the curve alone would not.
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


@dataclass(frozen=True, slots=True)
class QueueNeed:
    """What one queue of a several-queue problem needs (live: people per interval; e-mail: work in time).

    Attributes
    ----------
    name, channel : str
        The queue and its channel (``voice`` and ``chat`` are live, ``email`` a backlog).
    target : ServiceTarget
        The queue's service target (its own, else the problem's).
    people : pandas.DataFrame
        Demand frame of the queue's contacts that reach people (after its bot).
    required : numpy.ndarray of int64
        Live: people to schedule per interval (:func:`staff_for_target`); e-mail: zeros.
    work : numpy.ndarray of float
        E-mail: work arriving per interval [person-intervals] (:func:`optimizer.skills.email_work`); live: zeros.
    window : int
        E-mail: intervals within which work is due (``window_h`` on the grid, at least 1); live: 0.
    share_within : float
        E-mail: share of the work due within the window; live: 1.
    order : str
        E-mail: the order the work is done in (:data:`optimizer.skills.EmailOrder`).
    max_age : int or None
        E-mail: intervals within which all work is due (``max_age_h`` on the grid, at least ``window``); None:
        no limit.
    """

    name: str
    channel: str
    target: ServiceTarget
    people: pd.DataFrame
    required: np.ndarray
    work: np.ndarray
    window: int
    share_within: float
    order: EmailOrder = "first_come"
    max_age: int | None = None

    def units(self) -> EmailUnits:
        """Return an e-mail queue's work in the model's integers (:func:`optimizer.skills.email_units`)."""
        return email_units(self.work, self.window, self.share_within, self.order, self.max_age)

    @property
    def live(self) -> bool:
        """Whether contacts wait on the line (voice, chat) rather than in a backlog (e-mail)."""
        return self.channel != "email"


def queue_needs(problem: PlanningProblem) -> tuple[QueueNeed, ...]:
    """Return every queue's need of a several-queue problem (empty with one queue), in ``problem.queues`` order."""
    out = []
    for queue in problem.queues:
        frame = demand_frame(problem.demand_of(queue.name), timezone=problem.timezone)
        people = human_demand(frame, queue.automation or problem.automation)
        target = queue.service_target or problem.service_target
        size = len(people)
        if queue.live:
            required = staff_for_target(people, floor_target(target), interval_min=problem.interval_min)[
                "required"
            ].to_numpy(dtype=np.int64)
            work, window, share = np.zeros(size), 0, 1.0
        else:
            required = np.zeros(size, dtype=np.int64)
            work = email_work(
                people["volume"].to_numpy(),
                people["aht_s"].to_numpy(),
                problem.interval_min,
                (1.0 - target.shrinkage) * target.max_occupancy,
            )
            window = max(1, int((queue.window_h or 0.0) * 60 // problem.interval_min))
            share = queue.share_within
        max_age = None
        if not queue.live and queue.max_age_h is not None:
            max_age = max(window, int(queue.max_age_h * 60 // problem.interval_min))
        need = QueueNeed(
            queue.name, queue.channel, target, people, required, work, window, share, queue.email_order, max_age
        )
        out.append(need)
    return tuple(out)
