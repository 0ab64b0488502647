"""An independent MIP of the same rules, solved with HiGHS, to cross-check CP-SAT's optimal cost.

It differs from the CP-SAT model on purpose: breaks are per-person binaries (not per-shift-type counts),
rest is pairwise, gig coverage is written per interval from scratch, and there is no symmetry breaking.
A horizon goal picks one head count per interval from the staffing curve itself (in people scheduled, no
agent ratio, no concave piece, no floor rule): it counts the true curve at every head count, where the CP-SAT
model counts nothing below an interval's floor and may count a unit of rounding less above it.
"""

from __future__ import annotations

import highspy

from optimizer.model.inputs import FILL_RATE_SCALE, ModelInput


def _add_gigs(h: highspy.Highs, inp: ModelInput, cost: list) -> list[list]:
    """Add the gig starts (with their caps per interval and per day) and return the gigs covering each interval."""
    gig = inp.gig
    gig_cover: list[list] = [[] for _ in range(inp.intervals)]
    if gig is None:
        return gig_cover
    per_day: dict[int, list] = {}
    for t in gig.starts:
        g = h.addIntegral(lb=0, ub=gig.max_concurrent)
        cost.append(gig.cost_cents * g)
        per_day.setdefault(int(inp.grid.day_of[t]), []).append(g)
        for u in range(t, t + gig.length):
            gig_cover[u].append(g)
    for covering in gig_cover:
        if covering:
            h.addConstr(sum(covering) <= gig.max_concurrent)
    if gig.max_per_day is not None:
        for gs in per_day.values():
            h.addConstr(sum(gs) <= gig.max_per_day)
    return gig_cover


def _people_on_floor(h: highspy.Highs, inp: ModelInput, fte_terms: list, gig_terms: list):
    """Return the people on the floor in one interval: FTE terms plus the gigs there after the fill rate."""
    staffed = sum(fte_terms) if fte_terms else 0
    gig = inp.gig
    if gig is None or not gig_terms:
        return staffed
    if gig.fill_permille < FILL_RATE_SCALE:
        eff = h.addIntegral(lb=0, ub=gig.max_concurrent)
        h.addConstr(FILL_RATE_SCALE * eff - gig.fill_permille * sum(gig_terms) <= 0)
        return staffed + eff
    return staffed + sum(gig_terms)


def highs_optimal_cost(inp: ModelInput, rest_min: int) -> float:
    """Solve the per-person MIP (every crew must be a crew of one) and return its optimal objective [cents]."""
    assert all(c.size == 1 for c in inp.crews)
    rest = -(-rest_min // inp.grid.interval_min)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("random_seed", 0)
    T = inp.intervals
    on_floor = [[] for _ in range(T)]
    cost = []
    for w in inp.crews:
        xs = [h.addBinary() for _ in w.options]
        for o, x in zip(w.options, xs, strict=True):
            cost.append(o.cost_cents * x)
            st = inp.shift_types[o.shift_type]
            for t in range(o.start, o.end):
                on_floor[t].append(x)
            if st.break_len:
                ys = [h.addBinary() for _ in st.break_starts]
                h.addConstr(sum(ys) == x)
                for b, y in zip(st.break_starts, ys, strict=True):
                    for t in range(b, b + st.break_len):
                        on_floor[t].append(-1 * y)
        for d in range(inp.grid.days):
            day = [x for o, x in zip(w.options, xs, strict=True) if o.day == d]
            if len(day) > 1:
                h.addConstr(sum(day) <= 1)
        for wk in w.weeks:
            sel = [(o, x) for o, x in zip(w.options, xs, strict=True) if wk.first_day <= o.day <= wk.last_day]
            paid = sum(o.paid_min * x for o, x in sel) if sel else None
            if paid is not None:
                h.addConstr(paid >= wk.min_paid_min)
                h.addConstr(paid <= wk.max_paid_min)
                h.addConstr(sum(x for _, x in sel) >= wk.min_days)
                h.addConstr(sum(x for _, x in sel) <= wk.max_days)
        for k, a in enumerate(w.options):
            for j, b in enumerate(w.options):
                if b.day > a.day and b.start < a.end + rest:
                    h.addConstr(xs[k] + xs[j] <= 1)
        cap = w.max_consecutive_days
        for d in range(inp.grid.days - cap):
            window = [x for o, x in zip(w.options, xs, strict=True) if d <= o.day <= d + cap]
            if window:
                h.addConstr(sum(window) <= cap)
    gig_cover = _add_gigs(h, inp, cost)
    goal = inp.service
    answered = []
    for t in range(T):
        need = int(inp.required[t])
        if need == 0 and (goal is None or goal.curve[t][-1] == 0):
            continue
        staffed = _people_on_floor(h, inp, on_floor[t], gig_cover[t])
        if need > 0:
            short = h.addIntegral(lb=0, ub=need)
            cost.append(inp.shortfall_penalty_cents * short)
            h.addConstr(staffed + short >= need)
        if goal is not None and goal.curve[t][-1] > 0:
            # One head count s per interval, at most the people there; it answers the curve at s.
            picks = [h.addBinary() for _ in goal.curve[t]]
            h.addConstr(sum(picks) == 1)
            h.addConstr(sum(s * y for s, y in enumerate(picks)) - staffed <= 0)
            answered.extend(int(goal.curve[t][s]) * y for s, y in enumerate(picks))
    if goal is not None:
        missed = h.addVariable(lb=0)
        h.addConstr(sum(answered) + missed >= goal.goal)
        cost.append(goal.penalty_per_unit_cents * missed)
    h.minimize(sum(cost))
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, h.getModelStatus()
    return h.getInfo().objective_function_value


def highs_pooled_cost(inp: ModelInput) -> float:
    """Solve a pooled MIP of a crew input with HiGHS and return its optimal objective [cents].

    Written from scratch, and coarser than the CP-SAT crew model on purpose: each crew is a pool of counts
    with its weekly hours, days and one shift a day summed over the pool; rest, consecutive days and weekend
    rules are dropped; breaks are counted per shift type; gigs and shortfall as in ``highs_optimal_cost``.
    Dropping rules makes it a relaxation, so its optimum is at most the true optimum; where those rules do
    not bind (the bundled week) it equals it.
    """
    assert inp.service is None
    assert not any(c.optional for c in inp.crews)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("random_seed", 0)
    T = inp.intervals
    on_floor = [[] for _ in range(T)]
    cost = []
    of_type: dict[int, list] = {}
    for c in inp.crews:
        xs = [h.addIntegral(lb=0, ub=c.size) for _ in c.options]
        for o, x in zip(c.options, xs, strict=True):
            cost.append(o.cost_cents * x)
            of_type.setdefault(o.shift_type, []).append(x)
            for t in range(o.start, o.end):
                on_floor[t].append(x)
        for d in range(inp.grid.days):
            day = [x for o, x in zip(c.options, xs, strict=True) if o.day == d]
            if day:
                h.addConstr(sum(day) <= c.size)
        for wk in c.weeks:
            sel = [(o, x) for o, x in zip(c.options, xs, strict=True) if wk.first_day <= o.day <= wk.last_day]
            if sel:
                h.addConstr(sum(o.paid_min * x for o, x in sel) >= c.size * wk.min_paid_min)
                h.addConstr(sum(o.paid_min * x for o, x in sel) <= c.size * wk.max_paid_min)
                h.addConstr(sum(x for _, x in sel) >= c.size * wk.min_days)
                h.addConstr(sum(x for _, x in sel) <= c.size * wk.max_days)
    for s, xs in of_type.items():
        st = inp.shift_types[s]
        if st.break_len:
            ys = [h.addIntegral(lb=0, ub=len(inp.crews) * max(c.size for c in inp.crews)) for _ in st.break_starts]
            h.addConstr(sum(ys) - sum(xs) == 0)
            for b, y in zip(st.break_starts, ys, strict=True):
                for t in range(b, b + st.break_len):
                    on_floor[t].append(-1 * y)
    gig_cover = _add_gigs(h, inp, cost)
    for t in range(T):
        need = int(inp.required[t])
        if need == 0:
            continue
        staffed = _people_on_floor(h, inp, on_floor[t], gig_cover[t])
        short = h.addIntegral(lb=0, ub=need)
        cost.append(inp.shortfall_penalty_cents * short)
        h.addConstr(staffed + short >= need)
    h.minimize(sum(cost))
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, h.getModelStatus()
    return h.getInfo().objective_function_value
