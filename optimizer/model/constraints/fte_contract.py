"""FTE contract: one shift a day, weekly paid hours and working days within the contract."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_fte_contract(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Each FTE works at most one shift a day and the contract's hours and days each week.

    For each crew c with e_c employed members (its size n, or a variable in [0, n] in HR mode), day d and
    (prorated) week k::

        sum_{o on d} fte[c, o] <= e_c
        e_c * min_paid_min[k] <= sum_{o in k} paid_min[o] * fte[c, o] <= e_c * max_paid_min[k]
        e_c * min_days[k]     <= sum_{o in k} fte[c, o]                <= e_c * max_days[k]

    (exact for a crew of one; summed over the crew's members otherwise).
    Names: ``one_shift[{crew_id},{d}]``, ``fte_hours[{crew_id},{k}]``, ``fte_days[{crew_id},{k}]``.
    Objective: ``fte_cost`` = sum cost_cents[o] * fte[c, o]; ``fte_fixed_cost`` = sum fixed_cost_cents[c] * e_c
    [cents] (a constant unless in HR mode).
    """
    cost = []
    fixed = []
    for i, c in enumerate(inp.crews):
        e = v.employed(i)
        if c.fixed_cost_cents:
            fixed.append(c.fixed_cost_cents * e)
        xs = v.fte(i)
        if not xs:
            continue
        for d in range(inp.grid.days):
            day = v.fte_on_day(i, d)
            if len(day) > 1 and c.size == 1 and not c.optional:
                m.add_at_most_one(day).with_name(f"one_shift[{c.crew_id},{d}]")
            elif day:
                m.add(cp_model.LinearExpr.sum(day) <= e).with_name(f"one_shift[{c.crew_id},{d}]")
        for wk in c.weeks:
            ks = [k for k, o in enumerate(c.options) if wk.first_day <= o.day <= wk.last_day]
            paid = cp_model.LinearExpr.weighted_sum([xs[k] for k in ks], [c.options[k].paid_min for k in ks])
            days = cp_model.LinearExpr.sum([xs[k] for k in ks])
            m.add(paid >= wk.min_paid_min * e).with_name(f"fte_hours[{c.crew_id},{wk.week}]")
            m.add(paid <= wk.max_paid_min * e).with_name(f"fte_hours_max[{c.crew_id},{wk.week}]")
            m.add(days >= wk.min_days * e).with_name(f"fte_days[{c.crew_id},{wk.week}]")
            m.add(days <= wk.max_days * e).with_name(f"fte_days_max[{c.crew_id},{wk.week}]")
        cost.append(cp_model.LinearExpr.weighted_sum(xs, [o.cost_cents for o in c.options]))
    terms = ObjectiveTerms.empty()
    if cost:
        terms = terms.merged(ObjectiveTerms.of("fte_cost", cp_model.LinearExpr.sum(cost)))
    if fixed:
        terms = terms.merged(ObjectiveTerms.of("fte_fixed_cost", cp_model.LinearExpr.sum(fixed)))
    return terms
