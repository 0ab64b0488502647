"""FTE contract: one shift a day, weekly paid hours and working days within the contract."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_fte_contract(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Each FTE works at most one shift a day and the contract's hours and days each week.

    For each worker w, day d and (prorated) week k::

        sum_{o on d} fte[w, o] <= 1
        min_paid_min[k] <= sum_{o in k} paid_min[o] * fte[w, o] <= max_paid_min[k]
        min_days[k]     <= sum_{o in k} fte[w, o]                <= max_days[k]

    Names: ``one_shift[{worker_id},{d}]``, ``fte_hours[{worker_id},{k}]``, ``fte_days[{worker_id},{k}]``.
    Objective: ``fte_cost`` = sum cost_cents[o] * fte[w, o]   [cents].
    """
    cost = []
    for i, w in enumerate(inp.workers):
        xs = v.fte(i)
        if not xs:
            continue
        for d in range(inp.grid.days):
            day = v.fte_on_day(i, d)
            if len(day) > 1:
                m.add_at_most_one(day).with_name(f"one_shift[{w.worker_id},{d}]")
        for wk in w.weeks:
            ks = [k for k, o in enumerate(w.options) if wk.first_day <= o.day <= wk.last_day]
            paid = cp_model.LinearExpr.weighted_sum([xs[k] for k in ks], [w.options[k].paid_min for k in ks])
            m.add_linear_constraint(paid, wk.min_paid_min, wk.max_paid_min).with_name(
                f"fte_hours[{w.worker_id},{wk.week}]"
            )
            days = cp_model.LinearExpr.sum([xs[k] for k in ks])
            m.add_linear_constraint(days, wk.min_days, wk.max_days).with_name(f"fte_days[{w.worker_id},{wk.week}]")
        cost.append(cp_model.LinearExpr.weighted_sum(xs, [o.cost_cents for o in w.options]))
    if not cost:
        return ObjectiveTerms.empty()
    return ObjectiveTerms.of("fte_cost", cp_model.LinearExpr.sum(cost))
