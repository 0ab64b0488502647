"""User-facing inputs and outputs of the optimizer (pydantic v2 domain types), one module per concept.

Every field names its unit (``_s``, ``_min``, ``_cents``, ``_per_hour_cents``); ratios in 0-1 are named as such.
Money is integer minor units (cents). Times of day are local to the problem's IANA time zone; timestamps
are timezone-aware. Validation lives here, so the CLI, the API and the tests get the same field-named errors.

- ``_base``: ``DomainType`` (the shared base) and the week clock (``minute_of_week``, ``weekend_saturdays``).
- ``target``: what the service must reach (``ServiceTarget``, ``Automation``).
- ``workforce``: who can work and on what terms (``Contract``, ``Worker``, ``GigPool``, ``Workforce``, …).
- ``queues``: several queues (``Queue``: voice, chat, e-mail) and the skills that route people to them.
- ``problem``: one planning problem and its solve knobs (``DemandInterval``, ``PlanningProblem``, ``SolveParams``).
- ``wishes``: people's priced preferences and fairness per contract (``Preference``, ``Fairness``, ``PersonSummary``).
- ``plan``: a solved plan and what explains it (``Plan``, ``PlannedShift``, ``SolverReport``, ``PlanKpis``, …).
"""

from optimizer.domain._base import (
    MINUTES_PER_WEEK,
    WEEKDAYS,
    DomainType,
    Ratio,
    Weekday,
    minute_of_week,
    weekend_saturdays,
)
from optimizer.domain._base import _Domain as _Domain  # private, but importable here as from the old module
from optimizer.domain.plan import (
    GAP_TOLERANCE,
    CoverageRow,
    Plan,
    PlanKpis,
    PlannedShift,
    QueueCoverageRow,
    QueueKpis,
    ShiftBreak,
    ShiftKind,
    SolverReport,
    SolveStatus,
    gap_note,
)
from optimizer.domain.problem import (
    IDLE_AHT_S,
    INTERVAL_MINUTES_ALLOWED,
    MAX_HORIZON_DAYS,
    DemandInterval,
    IntervalMinutes,
    PlanningProblem,
    SolveParams,
)
from optimizer.domain.queues import Channel, Queue
from optimizer.domain.target import MAX_ANSWER_WITHIN_S, Automation, ServiceTarget
from optimizer.domain.wishes import (
    NIGHT_END,
    NIGHT_START,
    PREFERENCE_PER_HOUR_CENTS,
    Fairness,
    PersonSummary,
    Preference,
    PreferenceKind,
    in_window,
)
from optimizer.domain.workforce import (
    GIG_SHIFT_MINUTES,
    MAX_CONSECUTIVE_DAYS,
    MIN_REST_MINUTES,
    Availability,
    BreakRule,
    Contract,
    GigPool,
    TimeOff,
    WeekendsOff,
    Worker,
    Workforce,
    check_disjoint,
)

__all__ = [
    "NIGHT_END",
    "NIGHT_START",
    "PREFERENCE_PER_HOUR_CENTS",
    "Fairness",
    "PersonSummary",
    "Preference",
    "PreferenceKind",
    "in_window",
    "GAP_TOLERANCE",
    "GIG_SHIFT_MINUTES",
    "IDLE_AHT_S",
    "INTERVAL_MINUTES_ALLOWED",
    "MAX_ANSWER_WITHIN_S",
    "MAX_CONSECUTIVE_DAYS",
    "MAX_HORIZON_DAYS",
    "MINUTES_PER_WEEK",
    "MIN_REST_MINUTES",
    "WEEKDAYS",
    "Automation",
    "Channel",
    "Availability",
    "BreakRule",
    "Contract",
    "CoverageRow",
    "DemandInterval",
    "DomainType",
    "GigPool",
    "IntervalMinutes",
    "Plan",
    "PlanKpis",
    "PlannedShift",
    "Queue",
    "QueueCoverageRow",
    "QueueKpis",
    "PlanningProblem",
    "Ratio",
    "ServiceTarget",
    "ShiftBreak",
    "ShiftKind",
    "SolveParams",
    "SolveStatus",
    "SolverReport",
    "TimeOff",
    "Weekday",
    "WeekendsOff",
    "Worker",
    "Workforce",
    "check_disjoint",
    "gap_note",
    "minute_of_week",
    "weekend_saturdays",
]
