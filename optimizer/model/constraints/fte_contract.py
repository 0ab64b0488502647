"""FTE contract: one shift a day, weekly paid hours and working days within the contract."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_fte_contract(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Each FTE works at most one shift a day and the contract's hours and days each week.

    For each crew c of n workers, day d and (prorated) week k::

        sum_{o on d} fte[c, o] <= n
        n * min_paid_min[k] <= sum_{o in k} paid_min[o] * fte[c, o] <= n * max_paid_min[k]
        n * min_days[k]     <= sum_{o in k} fte[c, o]                <= n * max_days[k]

    (exact for a crew of one; summed over the crew's members otherwise).
    Names: ``one_shift[{crew_id},{d}]``, ``fte_hours[{crew_id},{k}]``, ``fte_days[{crew_id},{k}]``.
    Objective: ``fte_cost`` = sum cost_cents[o] * fte[c, o]   [cents].
    """
    cost = []
    for i, c in enumerate(inp.crews):
        xs = v.fte(i)
        if not xs:
            continue
        n = c.size
        for d in range(inp.grid.days):
            day = v.fte_on_day(i, d)
            if len(day) > 1 and n == 1:
                m.add_at_most_one(day).with_name(f"one_shift[{c.crew_id},{d}]")
            elif len(day) > 1:
                m.add(cp_model.LinearExpr.sum(day) <= n).with_name(f"one_shift[{c.crew_id},{d}]")
        for wk in c.weeks:
            ks = [k for k, o in enumerate(c.options) if wk.first_day <= o.day <= wk.last_day]
            paid = cp_model.LinearExpr.weighted_sum([xs[k] for k in ks], [c.options[k].paid_min for k in ks])
            m.add_linear_constraint(paid, n * wk.min_paid_min, n * wk.max_paid_min).with_name(
                f"fte_hours[{c.crew_id},{wk.week}]"
            )
            days = cp_model.LinearExpr.sum([xs[k] for k in ks])
            m.add_linear_constraint(days, n * wk.min_days, n * wk.max_days).with_name(
                f"fte_days[{c.crew_id},{wk.week}]"
            )
        cost.append(cp_model.LinearExpr.weighted_sum(xs, [o.cost_cents for o in c.options]))
    if not cost:
        return ObjectiveTerms.empty()
    return ObjectiveTerms.of("fte_cost", cp_model.LinearExpr.sum(cost))
