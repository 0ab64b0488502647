"""Several queues: people on the floor routed to the queues they are skilled for; live queues covered, e-mail worked.

Only problems with ``queues`` build anything here; with one queue ``coverage`` covers the pooled requirement.
The routing and e-mail variables are owned by ``ShiftVars.queues()`` (``QueueVars``); the data (each queue's
requirement or e-mail work, the skill groups) is prepared in ``prepare``.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import QueueVars, ShiftVars
from optimizer.skills import EMAIL_SCALE, EmailUnits, email_missed_penalty_cents


def add_queues(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Route the floor to skilled queues, cover each live queue, and work each e-mail backlog within its window.

    For each interval t, skill group g (FTEs of one skill set; the gig pool last), queue q and e-mail
    arrival a (due inside the horizon, with work)::

        sum_q route[g,q,t] = on_floor(g, t)                      (everyone on the floor works a skilled queue)
        route[gig,q,t] <= gig cap of q                           (when the pool caps that queue)
        live q:   sum_g route[g,q,t] + short_q[q,t] >= required[q,t],   short_q = max(0, required - routed)
        e-mail q worked in-window first (the default; ``_add_in_window_first``):
                  sum_a serve[q,a,t] <= EMAIL_SCALE x sum_g route[g,q,t]   (a's window holds t)
                  within[q,a] = sum_t serve[q,a,t],  sum_a within[q,a] + missed[q] >= goal[q]
        e-mail q worked first come, first served:
                  reach[q,t] = done[q,t-1] + EMAIL_SCALE x sum_g route[g,q,t],
                  done[q,t] <= reach[q,t],   done[q,t] = min(arrived[q,t], reach[q,t])
                  ahead[q,a] = max(0, done[q,a+window-1] - arrived[q,a-1]),  within[q,a] = min(work[q,a], ahead)
                  within_by[q,a] = within_by[q,a-1] + within[q,a] <= done[q,a+window-1]
                  within_by[q,last] + missed[q] >= goal[q],          missed = max(0, goal - within_by[q,last])

    E-mail work is in 1/EMAIL_SCALE person-intervals. In-window first, the rows are a transportation problem
    whose maximum is that order's in-window work (``optimizer.skills``): linear and exact. First come, first
    served: ``done`` is what first-come-first-served routed people
    finish by each interval's end (exactly, so no solution can under-report it), ``within`` the part of an
    arrival finished inside its window. The equalities are kept exact with CP-SAT's min/max constraints, so
    the objective equals what ``check_plan`` recomputes from the plan's routing. ``within_by <= done`` is
    implied by them (work done within the windows of arrivals up to a was done by a's window's end); it is
    there for the LP relaxation, which drops min/max and would otherwise count any e-mail as done in time.
    Names: ``route_all[g,t]``, ``gig_queue_cap[q,t]``, ``queue_coverage[q,t]``, ``email_capacity[q,t]``,
    ``email_done[q,t]``, ``email_within[q,a]``, ``email_goal[q]``.
    With a ``max_age``, ``overdue[q,t]`` counts the work past it still open at the end of t (``_add_overdue``;
    in-window first, ``done[q,t] <= done[q,t-1] + EMAIL_SCALE x people``, the most the people can have done).
    Objective: ``shortfall_penalty`` = shortfall_penalty_cents x sum short_q, and ``email_missed_penalty`` =
    :func:`optimizer.skills.email_missed_penalty_cents` x (sum missed + sum overdue)   [cents].
    """
    qv = v.queues()
    if qv is None:
        return ObjectiveTerms.empty()
    gig_group = len(inp.skill_groups)
    for q, queue in enumerate(inp.queues):
        for t in range(inp.intervals):
            key = (gig_group, q, t)
            if queue.gig_cap is not None and key in qv.routed:
                m.add(qv.routed[key] <= queue.gig_cap).with_name(f"gig_queue_cap[{q},{t}]")
            people = v.routed_to(q, t)
            if queue.work is None:
                if (q, t) in qv.short:
                    need = int(queue.required[t])
                    m.add(people + qv.short[q, t] >= need).with_name(f"queue_coverage[{q},{t}]")
                    if not inp.email_keep_up:
                        m.add_max_equality(qv.short[q, t], [0, need - people])
                continue
            if queue.work.order == "in_window_first":
                due = [qv.serve[q, a, t] for a in range(t - queue.work.window + 1, t + 1) if (q, a, t) in qv.serve]
                if due:
                    m.add(cp_model.LinearExpr.sum(due) <= EMAIL_SCALE * people).with_name(f"email_capacity[{q},{t}]")
                if (q, t) in qv.done:  # work done so far, for the age limit; at most what people can do
                    before = qv.done[q, t - 1] if t > 0 else 0
                    m.add(qv.done[q, t] <= before + EMAIL_SCALE * people).with_name(f"email_done[{q},{t}]")
                _add_overdue(m, qv, q, t, queue.work)
                continue
            # ``reach`` as a variable, not an expression inside min(): presolve then keeps its domain an
            # interval (measured: with the expression, presolve of the bundled week took over 5 s).
            reach = qv.reach[q, t]
            m.add(reach == (qv.done[q, t - 1] if t > 0 else 0) + EMAIL_SCALE * people)
            m.add(qv.done[q, t] <= reach).with_name(f"email_done[{q},{t}]")
            if not inp.email_keep_up:
                m.add_min_equality(qv.done[q, t], [int(queue.work.arrived[t]), reach])
            _add_overdue(m, qv, q, t, queue.work)
        work = queue.work
        if work is None:
            continue
        if work.order == "in_window_first":
            _add_in_window_first(m, qv, q, work)
            continue
        if inp.email_keep_up:
            _add_keep_up(m, qv, q, work)
            continue
        so_far: cp_model.LinearExpr = cp_model.LinearExpr.sum([])
        for a in range(work.due_arrivals):
            if (q, a) not in qv.within:
                continue
            earlier = int(work.arrived[a - 1]) if a > 0 else 0
            by_deadline = qv.done[q, a + work.window - 1]
            m.add_max_equality(qv.ahead[q, a], [0, by_deadline - earlier])
            m.add_min_equality(qv.within[q, a], [int(work.arrived[a]) - earlier, qv.ahead[q, a]])
            m.add(qv.within_by[q, a] == so_far + qv.within[q, a])
            m.add(qv.within_by[q, a] <= by_deadline).with_name(f"email_within[{q},{a}]")
            so_far = qv.within_by[q, a]
        m.add(so_far + qv.missed[q] >= work.goal).with_name(f"email_goal[{q}]")
        m.add_max_equality(qv.missed[q], [0, work.goal - so_far])
    terms = ObjectiveTerms.empty()
    if qv.short:
        short_sum = cp_model.LinearExpr.sum(list(qv.short.values()))
        terms = terms.merged(ObjectiveTerms.of("shortfall_penalty", inp.shortfall_penalty_cents * short_sum))
    if qv.missed:
        missed = cp_model.LinearExpr.sum([*qv.missed.values(), *qv.overdue.values()])
        penalty = email_missed_penalty_cents(inp.shortfall_penalty_cents)
        terms = terms.merged(ObjectiveTerms.of("email_missed_penalty", penalty * missed))
    return terms


def _add_overdue(m: cp_model.CpModel, qv: QueueVars, q: int, t: int, work: EmailUnits) -> None:
    """Count e-mail queue q's work past its ``max_age`` still open at the end of t (when it has a limit).

    ``overdue[q,t] = max(0, arrived[q, t - max_age + 1] - done[q,t])``: every arrival up to
    ``t - max_age + 1`` is due by then, in either order (both do the same amount of work). Name:
    ``email_overdue[q,t]``.
    """
    if (q, t) not in qv.overdue:
        return
    due = int(work.arrived[t - work.max_age + 1])  # type: ignore[operator]
    m.add(qv.overdue[q, t] >= due - qv.done[q, t]).with_name(f"email_overdue[{q},{t}]")
    m.add_max_equality(qv.overdue[q, t], [0, due - qv.done[q, t]])


def _add_in_window_first(m: cp_model.CpModel, qv: QueueVars, q: int, work: EmailUnits) -> None:
    """Credit e-mail queue q's work done within its windows when it is worked in-window first.

    For each due arrival a with work and interval t of its window (the capacity rows, per interval, are
    ``email_capacity[q,t]``: ``sum_a serve[q,a,t] <= EMAIL_SCALE x people on q at t``)::

        within[q,a] = sum_t serve[q,a,t] <= work[q,a]
        sum_a within[q,a] + missed[q] >= goal[q],   missed = max(0, goal - sum_a within)

    This is a transportation problem whose maximum is the in-window work of the in-window-first order
    (``optimizer.skills``), so the rows are exact and linear and the LP relaxation loses nothing to e-mail.
    The objective pushes ``within`` up to that maximum; a solution that leaves it lower is costed higher, and
    the solve's last step (``guided.py``) sets it from the order itself. Names: ``email_capacity[q,t]``,
    ``email_goal[q]``.
    """
    credited = []
    for a in range(work.due_arrivals):
        if (q, a) not in qv.within:
            continue
        parts = [qv.serve[q, a, t] for t in range(a, a + work.window)]
        m.add(qv.within[q, a] == cp_model.LinearExpr.sum(parts))
        credited.append(qv.within[q, a])
    so_far = cp_model.LinearExpr.sum(credited)
    m.add(so_far + qv.missed[q] >= work.goal).with_name(f"email_goal[{q}]")
    m.add_max_equality(qv.missed[q], [0, work.goal - so_far])


def _add_keep_up(m: cp_model.CpModel, qv: QueueVars, q: int, work: EmailUnits) -> None:
    """Credit e-mail queue q's arrivals only as far as the work before them is done (``email_keep_up``).

    For each arrival a (due, with work)::

        keep_up[q,a] <= work[q,a],   keep_up[q,a] <= done[q,a+window-1] - arrived[q,a-1]   (may be negative)
        sum_a keep_up[q,a] + missed[q] >= goal[q]

    Every row is linear, and the objective pushes ``done`` up to first-come first-served and ``missed`` down
    to its least, so for the same routing its cost is at least the exact one (``keep_up <= within``); it is
    no relaxation, and its plans are starts, re-costed in the exact model. It exists because the exact
    model's LP relaxation leaves an early peak of e-mail undone for good and credits everything after it
    (measured on the bundled week: the whole 10% the goal allows, 68 person-intervals of Monday's e-mail),
    which first-come first-served then works before every later contact: the rounded plan had 15% of its
    e-mail in time. Names: ``keep_up[q,a]``, ``email_keep_up[q,a]``, ``email_goal[q]``.
    """
    credits = []
    for a in range(work.due_arrivals):
        if (q, a) not in qv.within:
            continue
        earlier = int(work.arrived[a - 1]) if a > 0 else 0
        credit = m.new_int_var(-earlier, int(work.arrived[a]) - earlier, f"keep_up[{q},{a}]")
        m.add(credit <= qv.done[q, a + work.window - 1] - earlier).with_name(f"email_keep_up[{q},{a}]")
        credits.append(credit)
    m.add(cp_model.LinearExpr.sum(credits) + qv.missed[q] >= work.goal).with_name(f"email_goal[{q}]")
