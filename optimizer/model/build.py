"""Build the CP-SAT model from prepared input and constraint families (``constraints.registry``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.errors import ModelError
from optimizer.model.constraints.registry import FAMILIES, Family
from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars

__all__ = ["FAMILIES", "BuiltModel", "Family", "build_model", "hint_values", "set_hints"]


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """A CP-SAT model with its variables, named objective terms and the input it was built from."""

    cp_model: cp_model.CpModel
    vars: ShiftVars
    objective: ObjectiveTerms
    inp: ModelInput
    families: tuple[Family, ...] = FAMILIES
    """The constraint families it was built with."""


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
    return BuiltModel(cp_model=m, vars=v, objective=terms, inp=inp, families=tuple(families))


def hint_values(model: cp_model.CpModel) -> dict[int, int]:
    """Return the model's hint as variable index -> value."""
    hint = model.proto.solution_hint
    return dict(zip(hint.vars, hint.values, strict=True))


def set_hints(model: cp_model.CpModel, hints: Mapping[int, int]) -> None:
    """Replace the model's hint with ``hints`` (variable index -> value)."""
    model.clear_hints()
    for index, value in hints.items():
        model.add_hint(model.get_int_var_from_proto_index(index), value)
