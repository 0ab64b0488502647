"""Several queues: people on the floor routed to the queues they are skilled for; live queues covered, e-mail worked.

Only problems with ``queues`` build anything here; with one queue ``coverage`` covers the pooled requirement.
The routing and e-mail variables are owned by ``ShiftVars.queues()`` (``QueueVars``); the data (each queue's
requirement or e-mail work, the skill groups) is prepared in ``prepare``.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars
from optimizer.skills import EMAIL_SCALE, email_missed_penalty_cents


def add_queues(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Route the floor to skilled queues, cover each live queue, and work each e-mail backlog within its window.

    For each interval t, skill group g (FTEs of one skill set; the gig pool last) and queue q::

        sum_q route[g,q,t] = on_floor(g, t)                      (everyone on the floor works a skilled queue)
        route[gig,q,t] <= gig cap of q                           (when the pool caps that queue)
        live q:   sum_g route[g,q,t] + short_q[q,t] >= required[q,t],   short_q = max(0, required - routed)
        e-mail q: done[q,t] = min(arrived[q,t], done[q,t-1] + EMAIL_SCALE x sum_g route[g,q,t])
                  within[q,a] = min(work[q,a], max(0, done[q,a+window-1] - arrived[q,a-1]))
                  sum_{a' <= a} within[q,a'] <= done[q,a+window-1]   (linear, valid, for the LP)
                  overdue[q,a] = max(0, arrived[q,a-1] - done[q,a+window-1])   (earlier work open at a's deadline)
                  sum_a within[q,a] + missed[q] >= goal[q],          missed = max(0, goal - sum_a within)

    E-mail work is in 1/EMAIL_SCALE person-intervals: ``done`` is what first-come-first-served routed people
    finish by each interval's end (exactly, so no solution can under-report it), ``within`` the part of an
    arrival finished inside its window. The equalities are kept exact with CP-SAT's min/max constraints (their
    linear halves stay in the LP relaxation), so the objective equals what ``check_plan`` recomputes from the
    plan's routing. Names: ``route_all[g,t]``, ``gig_queue_cap[q,t]``, ``queue_coverage[q,t]``,
    ``email_done[q,t]``, ``email_within[q,a]``, ``email_goal[q]``.
    Objective: ``shortfall_penalty`` = shortfall_penalty_cents x sum short_q, and ``email_missed_penalty`` =
    :func:`optimizer.skills.email_missed_penalty_cents` x (sum missed + sum overdue)   [cents]
    (:func:`optimizer.skills.email_missed`).
    """
    qv = v.queues()
    if qv is None:
        return ObjectiveTerms.empty()
    gig_group = len(inp.skill_groups)
    overdue_terms: list[cp_model.IntVar] = []
    for q, queue in enumerate(inp.queues):
        for t in range(inp.intervals):
            key = (gig_group, q, t)
            if queue.gig_cap is not None and key in qv.routed:
                m.add(qv.routed[key] <= queue.gig_cap).with_name(f"gig_queue_cap[{q},{t}]")
            people = v.routed_to(q, t)
            if queue.work is None:
                if (q, t) in qv.short:
                    need = int(queue.required[t])
                    short = qv.short[q, t]
                    m.add(people + short >= need).with_name(f"queue_coverage[{q},{t}]")
                    gap = m.new_int_var(-_most(v, inp), need, f"queue_gap[{q},{t}]")
                    m.add(gap == need - people)
                    m.add_max_equality(short, [0, gap])
                continue
            arrived = int(queue.work.arrived[t])
            before = qv.done[q, t - 1] if t > 0 else 0
            reach = m.new_int_var(0, arrived + EMAIL_SCALE * _most(v, inp), f"email_reach[{q},{t}]")
            m.add(reach == before + EMAIL_SCALE * people)
            m.add(qv.done[q, t] <= reach).with_name(f"email_done[{q},{t}]")
            m.add_min_equality(qv.done[q, t], [arrived, reach])
        work = queue.work
        if work is None:
            continue
        so_far: cp_model.LinearExpr = cp_model.LinearExpr.constant(0)
        for a in range(work.due_arrivals):
            if (q, a) not in qv.within:
                continue
            earlier = int(work.arrived[a - 1]) if a > 0 else 0
            size = int(work.arrived[a]) - earlier
            lead = m.new_int_var(-earlier, int(work.arrived[-1]), f"email_lead[{q},{a}]")
            m.add(lead == qv.done[q, a + work.window - 1] - earlier)
            floor = m.new_int_var(0, int(work.arrived[-1]), f"email_lead_pos[{q},{a}]")
            m.add_max_equality(floor, [0, lead])
            m.add_min_equality(qv.within[q, a], [size, floor])
            # earlier work still open at a's deadline is overdue (priced): within <= lead + overdue is linear,
            # valid and tight, and steers the search to clear the backlog in order
            overdue = m.new_int_var(0, earlier, f"email_overdue[{q},{a}]")
            m.add(qv.within[q, a] <= lead + overdue).with_name(f"email_in_order[{q},{a}]")
            m.add_max_equality(overdue, [0, -lead])
            overdue_terms.append(overdue)
            # linear and valid for the LP: work of arrivals up to a done in time is done by a's deadline
            cumulative = m.new_int_var(0, int(work.arrived[a]), f"email_within_sum[{q},{a}]")
            m.add(cumulative == so_far + qv.within[q, a])
            m.add(cumulative <= qv.done[q, a + work.window - 1]).with_name(f"email_within[{q},{a}]")
            so_far = cumulative
        parts = [qv.within[q, a] for a in range(work.due_arrivals) if (q, a) in qv.within]
        m.add(cp_model.LinearExpr.sum(parts) + qv.missed[q] >= work.goal).with_name(f"email_goal[{q}]")
        shortfall = m.new_int_var(-int(work.arrived[-1]), work.goal, f"email_shortfall[{q}]")
        m.add(shortfall == work.goal - cp_model.LinearExpr.sum(parts))
        m.add_max_equality(qv.missed[q], [0, shortfall])
    terms = ObjectiveTerms.empty()
    if qv.short:
        short_sum = cp_model.LinearExpr.sum(list(qv.short.values()))
        terms = terms.merged(ObjectiveTerms.of("shortfall_penalty", inp.shortfall_penalty_cents * short_sum))
    if qv.missed:
        missed = cp_model.LinearExpr.sum(list(qv.missed.values()) + overdue_terms)
        penalty = email_missed_penalty_cents(inp.shortfall_penalty_cents)
        terms = terms.merged(ObjectiveTerms.of("email_missed_penalty", penalty * missed))
    return terms


def _most(v: ShiftVars, inp: ModelInput) -> int:
    """Return the most people that can be on the floor in an interval (every FTE and the whole gig cap)."""
    gig = inp.gig.max_concurrent if inp.gig is not None else 0
    return sum(v.group_size(g) for g in range(len(inp.skill_groups))) + gig
