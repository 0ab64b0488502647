"""Queueing maths, staffing, and the CP-SAT shift-mix model of shiftmix.

``forecasting`` and ``optimizer`` never import each other; their contract is the demand frame
(``optimizer.demand.validate_demand_frame``).
"""

from optimizer.check import Violation, check_plan
from optimizer.domain import (
    Automation,
    BreakRule,
    Contract,
    DemandInterval,
    GigPool,
    Plan,
    PlanningProblem,
    ServiceTarget,
    SolveParams,
    TimeOff,
    Worker,
    Workforce,
)
from optimizer.errors import DataError, InputError, ModelError, ShiftmixError
from optimizer.export import coverage_frame, schedule_frame
from optimizer.model import plan
from optimizer.replan import replan
from optimizer.replan_domain import ReplanOptions, ReplanResult

__all__ = [
    "Automation",
    "BreakRule",
    "Contract",
    "DataError",
    "DemandInterval",
    "GigPool",
    "InputError",
    "ModelError",
    "Plan",
    "PlanningProblem",
    "ReplanOptions",
    "ReplanResult",
    "ServiceTarget",
    "ShiftmixError",
    "SolveParams",
    "TimeOff",
    "Violation",
    "Worker",
    "Workforce",
    "check_plan",
    "coverage_frame",
    "plan",
    "replan",
    "schedule_frame",
]
