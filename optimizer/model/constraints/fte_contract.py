"""FTE contract: one shift a day, weekly paid hours and working days within the contract."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput, WeekLimit
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars

MAX_WEEK_PATTERNS = 2000
"""A crew week whose paid shift lengths combine into more week patterns than this keeps only the summed rows."""


def week_patterns(paid: Sequence[int], week: WeekLimit) -> tuple[tuple[int, ...], ...] | None:
    """Return the weeks one worker may work: how many shifts of each paid length, in ``paid``'s order.

    A pattern takes ``min_days`` to ``max_days`` shifts (at most one a day of the week) whose paid minutes
    are within the week's limits. None when there are more than ``MAX_WEEK_PATTERNS``.
    """
    most = min(week.max_days, week.last_day - week.first_day + 1)
    out: list[tuple[int, ...]] = []
    for n in range(week.min_days, most + 1):
        for combo in itertools.combinations_with_replacement(range(len(paid)), n):
            if week.min_paid_min <= sum(paid[i] for i in combo) <= week.max_paid_min:
                out.append(tuple(combo.count(i) for i in range(len(paid))))
                if len(out) > MAX_WEEK_PATTERNS:
                    return None
    return tuple(out)


def add_fte_contract(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Each FTE works at most one shift a day and the contract's hours and days each week.

    For each crew c with e_c employed members (its size n, or a variable in [0, n] in HR mode), day d and
    (prorated) week k::

        sum_{o on d} fte[c, o] <= e_c
        e_c * min_paid_min[k] <= sum_{o in k} paid_min[o] * fte[c, o] <= e_c * max_paid_min[k]
        e_c * min_days[k]     <= sum_{o in k} fte[c, o]                <= e_c * max_days[k]

    (exact for a crew of one; summed over the crew's members otherwise). A crew of several whose week offers
    shifts of several paid lengths also shares its shifts out as week patterns (:func:`week_patterns`): with
    p[c, k, j] members working pattern j, n_j(L) its shifts of paid length L::

        sum_j p[c, k, j] = e_c,      sum_j n_j(L) p[c, k, j] = sum_{o in k, paid_min[o] = L} fte[c, o]   for each L

    The summed rows alone let members with few long shifts and others with many short ones average out to
    the contract's hours where no member could work either week (measured: 500 people on 3 queues, the
    16-24 h flex crew's plan of 150 four-hour, 178 five-hour and 38 six-hour shifts for 106 people split into
    no set of personal weeks, and 58 shifts were left for the completion to re-plan).
    Names: ``one_shift[{crew_id},{d}]``, ``fte_hours[{crew_id},{k}]``, ``fte_days[{crew_id},{k}]``,
    ``fte_patterns[{crew_id},{k}]``, ``fte_pattern_shifts[{crew_id},{k},{L}]``, variables
    ``fte_pattern[{crew_id},{k},{j}]``.
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
            lengths = sorted({c.options[k].paid_min for k in ks})
            patterns = week_patterns(lengths, wk) if c.size > 1 and len(lengths) > 1 else None
            if patterns is not None:
                by_length = tuple(tuple(k for k in ks if c.options[k].paid_min == length) for length in lengths)
                counts = v.new_week_patterns(i, wk.week, tuple(lengths), by_length, patterns)
                m.add(cp_model.LinearExpr.sum(counts) == e).with_name(f"fte_patterns[{c.crew_id},{wk.week}]")
                for li, paid_min in enumerate(lengths):
                    worked = cp_model.LinearExpr.sum([xs[k] for k in by_length[li]])
                    shares = cp_model.LinearExpr.weighted_sum(counts, [p[li] for p in patterns])
                    m.add(shares == worked).with_name(f"fte_pattern_shifts[{c.crew_id},{wk.week},{paid_min}]")
        cost.append(cp_model.LinearExpr.weighted_sum(xs, [o.cost_cents for o in c.options]))
    terms = ObjectiveTerms.empty()
    if cost:
        terms = terms.merged(ObjectiveTerms.of("fte_cost", cp_model.LinearExpr.sum(cost)))
    if fixed:
        terms = terms.merged(ObjectiveTerms.of("fte_fixed_cost", cp_model.LinearExpr.sum(fixed)))
    return terms
