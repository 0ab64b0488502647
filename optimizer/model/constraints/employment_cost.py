"""Employment cost (re-plan): the fixed cost of the staff a published plan employs, as a constant term."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_employment_cost(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Price the FTEs the published plan employs: a constant, since a re-plan hires and releases nobody.

    Objective: ``fte_fixed_cost`` = ``inp.employment_cost_cents``   [cents], so the re-plan's bound and cost
    compare like ``plan()``'s. Adds nothing when that is None (no re-plan, or no contract has a fixed cost).
    """
    if inp.employment_cost_cents is None:
        return ObjectiveTerms.empty()
    return ObjectiveTerms.of("fte_fixed_cost", cp_model.LinearExpr.constant(inp.employment_cost_cents))
