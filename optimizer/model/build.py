"""Build the CP-SAT model from prepared input: the ordered list of constraint families."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.errors import ModelError
from optimizer.model.constraints import (
    add_breaks,
    add_coverage,
    add_fte_contract,
    add_gig_pool,
    add_locks,
    add_rest_and_days,
    add_service_goal,
    add_symmetry,
)
from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars

Family = Callable[[cp_model.CpModel, ShiftVars, ModelInput], ObjectiveTerms]

FAMILIES: tuple[Family, ...] = (
    add_coverage,
    add_service_goal,
    add_fte_contract,
    add_rest_and_days,
    add_breaks,
    add_gig_pool,
    add_locks,
    add_symmetry,
)
"""What the model contains, in build order."""


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """A CP-SAT model with its variables and named objective terms."""

    cp_model: cp_model.CpModel
    vars: ShiftVars
    objective: ObjectiveTerms


def build_model(inp: ModelInput, families: Sequence[Family] = FAMILIES) -> BuiltModel:
    """Build the CP-SAT model: variables, each family's constraints, and the objective (their named terms).

    Raises
    ------
    ModelError
        When CP-SAT rejects the model (a bug in shiftmix).
    """
    m = cp_model.CpModel()
    m.name = "shiftmix"
    v = ShiftVars(m, inp)
    terms = ObjectiveTerms.empty()
    for family in families:
        terms = terms.merged(family(m, v, inp))
    m.minimize(terms.total())
    problem = m.validate()
    if problem:
        msg = f"CP-SAT rejected the model: {problem}"
        raise ModelError(msg)
    return BuiltModel(cp_model=m, vars=v, objective=terms)
