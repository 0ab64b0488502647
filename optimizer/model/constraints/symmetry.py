"""Symmetry breaking between interchangeable workers."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_symmetry(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Order interchangeable one-worker crews by paid time, so the search does not revisit permutations.

    Crews of one in the same symmetry class (same contract, same absences) have identical options, so any
    plan can be relabelled to satisfy, for consecutive members a, b of a class::

        sum_o paid_min[o] * fte[a, o] >= sum_o paid_min[o] * fte[b, o]

    Larger crews have no symmetry to break: their variables are counts.
    Names: ``symmetry[{crew_a},{crew_b}]``. Objective: none.
    """
    members: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(inp.crews):
        if c.size == 1:
            members[c.symmetry_class].append(i)
    for group in members.values():
        for a, b in zip(group, group[1:], strict=False):
            ca, cb = inp.crews[a], inp.crews[b]
            paid_a = cp_model.LinearExpr.weighted_sum(v.fte(a), [o.paid_min for o in ca.options])
            paid_b = cp_model.LinearExpr.weighted_sum(v.fte(b), [o.paid_min for o in cb.options])
            m.add(paid_a >= paid_b).with_name(f"symmetry[{ca.crew_id},{cb.crew_id}]")
    return ObjectiveTerms.empty()
