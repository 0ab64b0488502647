"""Rest between shifts, a cap on consecutive working days, and weekends off."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import Crew, ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_rest_and_days(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Shifts keep the rest; no worker exceeds the consecutive-day cap or the weekends its contract leaves.

    For each crew c with e_c employed members and each rest cut (``RestLimit``: shifts L on one day ending
    less than the rest before a threshold, shifts E on a later day starting at or before it)::

        sum_{o in L} fte[c, o] + sum_{o in E} fte[c, o] <= e_c

    and for each window of ``max_consecutive_days + 1`` days: sum of shifts in the window
    <= e_c * max_consecutive_days. With a weekends-off rule each member follows one of the crew's weekend
    patterns P (0/1 per weekend slot, listed in ``prepare`` to keep the rule, the weekly day counts and the
    cap), n[c, p] members following pattern p::

        sum_p n[c, p] = e_c,       sum_{o in slot j} fte[c, o] = sum_{p: p_j = 1} n[c, p]

    (or, when there are too many patterns, worked[c, w] >= the shifts on each day of weekend w and
    sum_{w = first..last} worked[c, w] <= e_c * max_worked for each ``WeekendLimit``).
    All are exact for a crew of one and necessary for larger crews.
    Names: ``rest[{crew_id},{d1},{d2},{threshold}]``, ``consecutive[{crew_id},{d}]``,
    ``weekend_patterns[{crew_id}]``, ``weekend_slot[{crew_id},{j}]``, ``weekends_off[{crew_id},{first}]``.
    Objective: none.
    """
    for i, c in enumerate(inp.crews):
        xs = v.fte(i)
        if not xs:
            continue
        e = v.employed(i)
        for cut in c.rest_limits:
            group = [xs[k] for k in (*cut.ending_late, *cut.starting_early)]
            name = f"rest[{c.crew_id},{cut.first_day},{cut.later_day},{cut.threshold}]"
            if c.size == 1 and not c.optional:
                m.add_at_most_one(group).with_name(name)
            else:
                m.add(cp_model.LinearExpr.sum(group) <= e).with_name(name)
        _add_weekends_off(m, c, xs, e)
        cap = c.max_consecutive_days
        days = inp.grid.days
        if days <= cap:
            continue
        worked = [cp_model.LinearExpr.sum(v.fte_on_day(i, d)) for d in range(days)]
        for d in range(days - cap):
            m.add(cp_model.LinearExpr.sum(worked[d : d + cap + 1]) <= cap * e).with_name(
                f"consecutive[{c.crew_id},{d}]"
            )
    return ObjectiveTerms.empty()


def _add_weekends_off(m: cp_model.CpModel, c: Crew, xs: list[cp_model.IntVar], e: cp_model.LinearExprT) -> None:
    if not c.weekend_limits:
        return
    if c.weekend_patterns:
        # Each member follows one pattern; a slot's shifts are the members whose pattern works it.
        follow = [m.new_int_var(0, c.size, f"weekend_pattern[{c.crew_id},{p}]") for p in range(len(c.weekend_patterns))]
        m.add(cp_model.LinearExpr.sum(follow) == e).with_name(f"weekend_patterns[{c.crew_id}]")
        for j, slot in enumerate(c.weekend_slots):
            working = [n for n, pattern in zip(follow, c.weekend_patterns, strict=True) if pattern.works[j]]
            shifts = cp_model.LinearExpr.sum([xs[k] for k in slot.options])
            m.add(shifts == cp_model.LinearExpr.sum(working)).with_name(f"weekend_slot[{c.crew_id},{j}]")
        # The days a pattern decides: its followers work them (or rest), whatever else they do.
        on_day: dict[int, list[cp_model.IntVar]] = {}
        for k, o in enumerate(c.options):
            on_day.setdefault(o.day, []).append(xs[k])
        for d, day_xs in on_day.items():
            must = [n for n, pattern in zip(follow, c.weekend_patterns, strict=True) if d in pattern.must_work]
            rest = [n for n, pattern in zip(follow, c.weekend_patterns, strict=True) if d in pattern.must_rest]
            worked = cp_model.LinearExpr.sum(day_xs)
            if must:
                m.add(worked >= cp_model.LinearExpr.sum(must)).with_name(f"weekend_must_work[{c.crew_id},{d}]")
            if rest:
                m.add(worked + cp_model.LinearExpr.sum(rest) <= e).with_name(f"weekend_must_rest[{c.crew_id},{d}]")
        return
    weekends_worked = []
    for w in range(max(sl.weekend for sl in c.weekend_slots) + 1):
        count = m.new_int_var(0, c.size, f"weekend_worked[{c.crew_id},{w}]")
        for slot in c.weekend_slots:
            if slot.weekend == w:
                m.add(cp_model.LinearExpr.sum([xs[k] for k in slot.options]) <= count)
        m.add(count <= e)
        weekends_worked.append(count)
    for limit in c.weekend_limits:
        m.add(cp_model.LinearExpr.sum(weekends_worked[limit.first : limit.last + 1]) <= limit.max_worked * e).with_name(
            f"weekends_off[{c.crew_id},{limit.first}]"
        )
