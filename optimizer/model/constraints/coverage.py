"""Coverage: staffed agents plus shortfall meet the requirement in every interval."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_coverage(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Staffed agents plus shortfall meet the requirement in every interval.

    For each interval t with ``required[t] > 0``::

        fte_on_floor(t) + gig_effective(t) + short[t] >= required[t]

    where ``fte_on_floor`` counts FTEs on shift minus those on break. Names: ``coverage[t]``.
    Objective: ``shortfall_penalty`` = shortfall_penalty_cents * sum_t short[t]   [cents].
    """
    penalty = []
    for t in range(inp.intervals):
        need = int(inp.required[t])
        if need == 0:
            continue
        m.add(v.staffed(t) + v.short(t) >= need).with_name(f"coverage[{t}]")
        penalty.append(v.short(t))
    if not penalty:
        return ObjectiveTerms.empty()
    return ObjectiveTerms.of(
        "shortfall_penalty", inp.shortfall_penalty_cents * cp_model.LinearExpr.sum(penalty)
    )
