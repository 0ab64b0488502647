"""Queueing maths, staffing, and the CP-SAT shift-mix model of shiftmix.

``forecasting`` and ``optimizer`` never import each other; their contract is the demand frame
(``optimizer.demand.validate_demand_frame``).
"""

from optimizer.check import Violation, check_plan
from optimizer.demand import DemandUplift, demand_frame, demand_rows
from optimizer.domain import (
    Automation,
    Availability,
    BreakRule,
    Contract,
    DemandInterval,
    GigPool,
    Plan,
    PlanningProblem,
    ServiceTarget,
    SolveParams,
    TimeOff,
    WeekendsOff,
    Worker,
    Workforce,
)
from optimizer.errors import DataError, InputError, ModelError, ShiftmixError
from optimizer.export import coverage_frame, schedule_frame, unmet_frame
from optimizer.model import plan
from optimizer.replan import replan
from optimizer.replan.domain import ReplanOptions, ReplanResult
from optimizer.requirement import interval_staffing, staff_needed

__all__ = [
    "Automation",
    "Availability",
    "BreakRule",
    "Contract",
    "DataError",
    "DemandInterval",
    "DemandUplift",
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
    "WeekendsOff",
    "Worker",
    "Workforce",
    "check_plan",
    "coverage_frame",
    "demand_frame",
    "demand_rows",
    "plan",
    "replan",
    "schedule_frame",
    "interval_staffing",
    "staff_needed",
    "unmet_frame",
]
