"""Gig pool: micro-shifts capped per interval and per day, counted at the expected fill rate."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from optimizer.model.inputs import FILL_RATE_SCALE, ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_gig_pool(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Keep posted gig shifts within the pool's caps and count them at the fill rate.

    For each interval t and local day d::

        sum_{s covering t} gig_start[s] <= max_concurrent
        sum_{s starting on d} gig_start[s] <= max_per_day                        (when set)
        FILL_RATE_SCALE * gig_eff[t] <= fill_permille * sum_{s covering t} gig_start[s]   (when fill < 1)

    Names: ``gig_cap[t]``, ``gig_day[d]``, ``gig_fill[t]``.
    Objective: ``gig_cost`` = gig cost_cents * sum_t gig_start[t]   [cents] (posted shifts are paid).
    """
    gig = inp.gig
    starts = v.gig_starts()
    if gig is None or not starts:
        return ObjectiveTerms.empty()
    for t in range(inp.intervals):
        covering = v.gig_covering(t)
        if not covering:
            continue
        posted = cp_model.LinearExpr.sum(covering)
        if len(covering) > 1:
            m.add(posted <= gig.max_concurrent).with_name(f"gig_cap[{t}]")
        eff = v.gig_effective_var(t)
        if eff is not None:
            m.add(FILL_RATE_SCALE * eff <= gig.fill_permille * posted).with_name(f"gig_fill[{t}]")
    if gig.max_per_day is not None:
        per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for t, var in starts.items():
            per_day[int(inp.grid.day_of[t])].append(var)
        for d, vars_ in sorted(per_day.items()):
            m.add(cp_model.LinearExpr.sum(vars_) <= gig.max_per_day).with_name(f"gig_day[{d}]")
    return ObjectiveTerms.of("gig_cost", gig.cost_cents * cp_model.LinearExpr.sum(list(starts.values())))
