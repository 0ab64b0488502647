"""Breaks: every shift long enough for a break takes exactly one, inside its window."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_breaks(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Every shift of a type with a break window takes exactly one break in it.

    For each shift type s with allowed break starts B_s::

        sum_{b in B_s} brk[s, b] == sum_w fte[w, k of type s]

    Breaks are counted per shift type (identical shifts are interchangeable); the extractor hands the
    slots to people. Names: ``breaks[s]``. Objective: none (break pay is in the shift's paid minutes).
    """
    for s in v.used_shift_types():
        st = inp.shift_types[s]
        if st.break_len == 0:
            continue
        m.add(
            cp_model.LinearExpr.sum(v.breaks_of_type(s)) == cp_model.LinearExpr.sum(v.shifts_of_type(s))
        ).with_name(f"breaks[{s}]")
    return ObjectiveTerms.empty()
