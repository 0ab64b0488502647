"""A solved plan and everything that explains it: shifts, coverage, solver report, KPIs."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from optimizer.domain._base import _Domain
from optimizer.domain.problem import SolveParams
from optimizer.domain.queues import Channel
from optimizer.domain.wishes import PersonSummary

ShiftKind = Literal["fte", "gig"]


class SolveStatus(StrEnum):
    """How a solve ended, with CP-SAT's names (the one home of status values; JSON carries the value).

    ``OPTIMAL``: the plan's objective meets a proven bound. ``FEASIBLE``: a plan, bound below it.
    ``INFEASIBLE``: no plan keeps the hard rules. ``MODEL_INVALID``: a bug in shiftmix. ``UNKNOWN``: no plan
    within the time limit.
    """

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    MODEL_INVALID = "MODEL_INVALID"
    UNKNOWN = "UNKNOWN"

    @property
    def has_plan(self) -> bool:
        """Whether a solve that ended so has a plan to read."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


class ShiftBreak(_Domain):
    """A break inside a shift, half-open ``[start, end)``."""

    start: AwareDatetime
    end: AwareDatetime


class PlannedShift(_Domain):
    """One shift in a plan: an FTE's shift or one gig micro-shift."""

    worker_id: str = Field(description="FTE id, or a generated gig slot id such as 'gig-0001'.")
    kind: ShiftKind = Field(description="'fte' or 'gig'.")
    start: AwareDatetime = Field(description="Shift start (timezone-aware).")
    end: AwareDatetime = Field(description="Shift end, exclusive (timezone-aware).")
    breaks: tuple[ShiftBreak, ...] = Field((), description="Breaks inside the shift.")
    paid_minutes: int = Field(ge=0, description="Paid time of the shift [min].")
    cost_cents: int = Field(ge=0, description="Cost of the shift [cents], overtime included.")
    extended_before_min: int = Field(
        0, ge=0, description="Minutes a re-plan added before the published start, paid as overtime [min]."
    )
    extended_after_min: int = Field(
        0, ge=0, description="Minutes a re-plan added after the published end, paid as overtime [min]."
    )
    overtime_cost_cents: int = Field(0, ge=0, description="Cost of the extension minutes [cents].")


class CoverageRow(_Domain):
    """Demand, requirement and staffing in one interval (the coverage CSV row)."""

    interval_start: AwareDatetime
    volume: float = Field(description="Contacts reaching people in the interval (after bot containment).")
    aht_s: float = Field(description="Average handle time of contacts reaching people [s].")
    required: int = Field(description="Agents to schedule, including shrinkage.")
    scheduled: int = Field(description="People on shift and not on break (gig counted at fill rate, rounded down).")
    service_level: float = Field(description="Forecast share answered within the target time at `scheduled`.")
    asa_s: float | None = Field(
        description="Forecast average speed of answer at `scheduled` [s]; null when the queue is unstable."
    )
    p_meet: float | None = Field(
        None,
        description=(
            "Modelled probability that the interval meets its service level at `scheduled` under random arrivals "
            "and forecast error (0-1); null in plans made before it existed."
        ),
    )


GAP_TOLERANCE = 1e-4
"""Gap [0-1] below which a plan counts as meeting its requested gap (CP-SAT stops a hair inside it)."""


def gap_note(gap_ratio: float | None, params: SolveParams) -> str | None:
    """Return a note when a plan's gap [0-1] is above the one its parameters requested, else ``None``."""
    if gap_ratio is None or gap_ratio <= params.relative_gap + GAP_TOLERANCE:
        return None
    return (
        f"the solver stopped (time limit {params.time_limit_s:g} s) with a gap of {gap_ratio:.1%}, above the "
        f"requested relative_gap {params.relative_gap:.1%}: a cheaper plan may exist; raise the time limit"
    )


class SolverReport(_Domain):
    """How the plan was produced: status, objective, bound, gap, time and parameters."""

    status: SolveStatus
    objective_cents: int | None = Field(description="Objective of the best plan found [cents].")
    best_bound_cents: int | None = Field(description="Proven lower bound on the objective [cents].")
    gap_ratio: float | None = Field(description="(objective - bound) / objective, 0 when optimal.")
    wall_time_s: float
    first_solution_s: float | None = Field(
        None, description="Seconds from the start until the search had its first solution [s]; null without one."
    )
    lp_bound_cents: int | None = Field(
        None, description="Bound from the LP relaxation alone [cents]; null when it was not solved."
    )
    message: str | None = Field(
        None, description="Why a solve has no plan, or how a plan was put together when its last step ran out of time."
    )
    params: SolveParams
    solver_version: str


class QueueCoverageRow(_Domain):
    """One queue in one interval of a several-queue plan (a row of coverage.csv with a ``queue``)."""

    interval_start: AwareDatetime
    queue: str = Field(description="Queue name.")
    channel: Channel = Field(description="'voice', 'chat' or 'email'.")
    volume: float = Field(description="Contacts of the queue reaching people in the interval (after its bot).")
    aht_s: float = Field(description="Average handle time of those contacts [s].")
    required: int = Field(description="Live queues: people to schedule, including shrinkage; e-mail: 0.")
    scheduled: int = Field(description="People on the floor routed to the queue.")
    service_level: float | None = Field(
        None, description="Live queues: forecast share answered within the target time at `scheduled`."
    )
    asa_s: float | None = Field(None, description="Live queues: forecast average speed of answer [s].")
    p_meet: float | None = Field(
        None, description="Live queues: modelled probability of meeting the service level at `scheduled` (0-1)."
    )
    email_backlog: float | None = Field(
        None, description="E-mail: work still open at the end of the interval [person-intervals]."
    )
    email_late: float | None = Field(
        None, description="E-mail: work due by the end of the interval (its share) and not done [person-intervals]."
    )


class QueueKpis(_Domain):
    """Headline numbers of one queue of a several-queue plan."""

    queue: str
    channel: Channel
    volume: float = Field(description="Contacts of the queue reaching people over the horizon.")
    service_level: float = Field(
        description=(
            "Live: volume-weighted forecast service level; e-mail: share of the work due in the horizon that "
            "is done within its window (in the queue's order)."
        )
    )
    expected_service_level: float | None = Field(
        None,
        description=(
            "What the plan's floor is expected to deliver, from its own skill-routed simulation with the forecast's "
            "error (live: share answered within target; e-mail: share handled within its window); null without a "
            "plan."
        ),
    )
    shortfall_agent_hours: float = Field(
        description="Live: person-hours below the requirement; e-mail: person-hours of work late, summed per interval."
    )
    understaffed_intervals: int = Field(description="Live: intervals below the requirement; e-mail: with late work.")
    overdue_intervals: int | None = Field(
        None, description="E-mail with `max_age_h`: intervals ending with work older than it still open; else null."
    )
    open_at_end_agent_hours: float | None = Field(
        None, description="E-mail: person-hours of work still open when the horizon ends; live: null."
    )


class PlanKpis(_Domain):
    """Headline numbers of a plan."""

    total_cost_cents: int = Field(description="FTE pay + FTE fixed cost + gig cost [cents].")
    fte_cost_cents: int = Field(description="Pay for FTE hours [cents].")
    fte_fixed_cost_cents: int = Field(0, description="Fixed cost of the employed FTEs over the horizon [cents].")
    gig_cost_cents: int
    fte_employed: int = Field(0, description="FTEs employed: all listed ones, or in HR mode those given shifts.")
    fte_hours: float = Field(description="Paid FTE hours [h].")
    gig_hours: float = Field(description="Posted gig hours [h].")
    gig_shifts: int
    service_level: float = Field(description="Volume-weighted forecast service level over the horizon.")
    asa_s: float | None = Field(
        description="Forecast average speed of answer over the contacts the plan answers [s]: volume-weighted "
        "over intervals whose queue is stable; null only when no contact can be answered."
    )
    overloaded_intervals: int = Field(
        0,
        description="Intervals with contacts but fewer agents than the offered load (none at all, or too few): "
        "their wait is unbounded, so they are counted here and left out of asa_s.",
    )
    overloaded_volume: float = Field(0.0, description="Forecast contacts in the overloaded intervals [contacts].")
    shortfall_agent_hours: float = Field(description="Agent-hours below the requirement [h].")
    understaffed_intervals: int = Field(description="Intervals with scheduled < required.")
    expected_service_level: float | None = Field(
        None,
        description=(
            "Modelled mean of the horizon's volume-weighted service level when contacts arrive at random around "
            "an uncertain forecast (`volume_cv`, `horizon_volume_cv`): what a replay of the plan is expected to "
            "find (each interval simulated as its `p_meet` is; past 50,000 forecast contacts an analytic law); "
            "`service_level` is the level at exactly the forecast volumes, which forecast error lowers. A "
            "several-queue plan: its live queues pooled, from its skill-routed simulation "
            "(`queues[].expected_service_level`)."
        ),
    )
    p_meet_horizon: float | None = Field(
        None,
        description=(
            "Modelled probability that the horizon's volume-weighted service level reaches the target's "
            "`service_level` under the forecast error the intervals share (`horizon_volume_cv`); only for "
            "one-queue plans with `scope: horizon`."
        ),
    )
    queues: tuple[QueueKpis, ...] = Field(
        (), description="Several queues: each queue's numbers (shortfall and understaffed above count per queue)."
    )


class Plan(_Domain):
    """A solved plan with everything needed to explain it."""

    inputs_digest: str = Field(description="SHA-256 of the canonical problem and solve parameters.")
    software_version: str
    timezone: str
    interval_min: int
    solver: SolverReport
    cost_terms_cents: dict[str, int] = Field(description="Objective split into named terms [cents].")
    kpis: PlanKpis
    shifts: tuple[PlannedShift, ...]
    coverage: tuple[CoverageRow, ...]
    queue_coverage: tuple[QueueCoverageRow, ...] = Field(
        (),
        description=(
            "Several queues: one row per interval and queue (people routed to it); `coverage` then adds up the "
            "live queues."
        ),
    )

    people: tuple[PersonSummary, ...] = Field(
        (), description="What the plan gives each FTE: hours, weekend days, night hours, preferences met."
    )

    @property
    def found(self) -> bool:
        """Whether the solver found a plan; without one, shifts, coverage and KPIs describe nothing."""
        # SolveStatus(...) as well for a status put in by model_copy, which does not validate
        return SolveStatus(self.solver.status).has_plan and self.solver.objective_cents is not None

    def gap_note(self) -> str | None:
        """Return why a found plan is not proven good enough: its gap is above the requested one, else ``None``."""
        s = self.solver
        if not self.found or s.status == SolveStatus.OPTIMAL:
            return None
        return gap_note(s.gap_ratio, s.params)
