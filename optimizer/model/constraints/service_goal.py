"""Service goal over the horizon: answered-within-target contacts summed over all intervals."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars

SATURATION = 0.999
"""Head counts past the one answering this share of an interval's contacts add no modelled service."""


def _levels(inp: ModelInput) -> list[tuple[int, int, int]]:
    """Return (interval, floor head count L_t, saturation head count H_t) for every interval with demand."""
    assert inp.service is not None
    curves = inp.service.curve
    top = curves.shape[1] - 1
    out = []
    for t in range(inp.intervals):
        curve = curves[t]
        if curve[-1] == 0:
            continue
        lo = min(int(inp.required[t]), top)
        hi = int(np.searchsorted(curve, SATURATION * curve[-1], side="left"))
        out.append((t, lo, max(lo, min(hi, top))))
    return out


def add_service_goal(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Answer the horizon's share of contacts within target, counted with the exact staffing curves.

    For each interval t with demand, s_t people on the floor, curve g_t (contacts answered within target
    with s people, in 1/100 units), floor requirement L_t and saturation head count H_t, unary levels
    b[t,k] (k = L_t+1 .. H_t, ordered b[t,k] >= b[t,k+1]) and z[t] = [s_t >= L_t]::

        L_t * z[t] + sum_k b[t,k] <= s_t,       b[t,k] <= z[t]
        answered[t] <= g_t(L_t) * z[t] + sum_k (g_t(k) - g_t(k-1)) * b[t,k]
        sum_t answered[t] + missed >= goal

    Exact for s_t in [L_t, H_t] whatever the curve's shape (Erlang curves are S-shaped, and shrinkage
    adds flat steps); below L_t it counts nothing answered (conservative: the interval is short there and
    pays the coverage penalty too); above H_t it counts g_t(H_t).
    Names: ``answered[t]``, ``level[t,k]``, ``service_goal``.
    Objective: ``missed_service_penalty`` = penalty_per_unit_cents * missed   [cents].
    """
    goal = inp.service
    if goal is None:
        return ObjectiveTerms.empty()
    answered = []
    for t, lo, hi in _levels(inp):
        curve = goal.curve[t]
        staffed = v.fte_on_floor(t) + v.gig_effective(t)
        reached = m.new_bool_var(f"reached[{t}]")
        levels = [m.new_bool_var(f"level[{t},{k}]") for k in range(lo + 1, hi + 1)]
        m.add(lo * reached + cp_model.LinearExpr.sum(levels) <= staffed).with_name(f"levels[{t}]")
        for b in levels[:1]:
            m.add_implication(b, reached)
        for b0, b1 in zip(levels, levels[1:], strict=False):
            m.add_implication(b1, b0)
        gains = [int(curve[k] - curve[k - 1]) for k in range(lo + 1, hi + 1)]
        a = m.new_int_var(0, int(curve[hi]), f"answered[{t}]")
        m.add(a <= int(curve[lo]) * reached + cp_model.LinearExpr.weighted_sum(levels, gains)).with_name(
            f"answered_def[{t}]"
        )
        answered.append(a)
    missed = m.new_int_var(0, goal.goal, "missed")
    m.add(cp_model.LinearExpr.sum(answered) + missed >= goal.goal).with_name("service_goal")
    return ObjectiveTerms.of("missed_service_penalty", goal.penalty_per_unit_cents * missed)


def hint_service_goal(m: cp_model.CpModel, inp: ModelInput, staffed: list[int]) -> None:
    """Hint shortfall and service-goal variables for given head counts per interval.

    With the shift decisions hinted too, the hint is complete, so CP-SAT starts from it at once.
    """
    goal = inp.service
    if goal is None:
        return
    index = {v.name: i for i, v in enumerate(m.proto.variables)}
    for t, need in enumerate(inp.required):
        if f"short[{t}]" in index:
            m.add_hint(m.get_int_var_from_proto_index(index[f"short[{t}]"]), max(0, int(need) - staffed[t]))
    total = 0
    for t, lo, hi in _levels(inp):
        s = staffed[t]
        reached = s >= lo
        m.add_hint(m.get_bool_var_from_proto_index(index[f"reached[{t}]"]), reached)
        for k in range(lo + 1, hi + 1):
            m.add_hint(m.get_bool_var_from_proto_index(index[f"level[{t},{k}]"]), reached and s >= k)
        value = int(goal.curve[t][min(max(s, lo), hi)]) if reached else 0
        m.add_hint(m.get_int_var_from_proto_index(index[f"answered[{t}]"]), value)
        total += value
    m.add_hint(m.get_int_var_from_proto_index(index["missed"]), max(0, goal.goal - total))
