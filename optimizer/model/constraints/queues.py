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
from optimizer.skills import EMAIL_SCALE, email_late_penalty_cents


def add_queues(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Route the floor to skilled queues, cover each live queue, and work each e-mail backlog within its window.

    For each interval t, skill group g (FTEs of one skill set; the gig pool last) and queue q::

        sum_q route[g,q,t] = on_floor(g, t)                      (everyone on the floor works a skilled queue)
        route[gig,q,t] <= gig cap of q                           (when the pool caps that queue)
        live q:   sum_g route[g,q,t] + short_q[q,t] >= required[q,t]
        e-mail q: 0 <= handled[q,t] - handled[q,t-1] <= EMAIL_SCALE * sum_g route[g,q,t]
                  handled[q,t] <= arrived[q,t]                   (no work before it arrives; variable bound)
                  handled[q,t] + late[q,t] >= due[q,t]           (the window's share done by t)

    ``handled``, ``arrived`` and ``due`` are cumulative e-mail work in 1/EMAIL_SCALE person-intervals, so the
    backlog is worked in arrival order as the independent check replays it. Names: ``route_all[g,t]``,
    ``gig_queue_cap[q,t]``, ``queue_coverage[q,t]``, ``email_rate[q,t]``, ``email_order[q,t]``,
    ``email_due[q,t]``.
    Objective: ``shortfall_penalty`` = shortfall_penalty_cents x sum short_q, and ``email_late_penalty`` =
    :func:`email_late_penalty_cents` x sum late   [cents].
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
            if not queue.email:
                if (q, t) in qv.short:
                    need = int(queue.required[t])
                    m.add(people + qv.short[q, t] >= need).with_name(f"queue_coverage[{q},{t}]")
                continue
            done = qv.handled[q, t]
            before = qv.handled[q, t - 1] if t > 0 else 0
            m.add(done - before <= EMAIL_SCALE * people).with_name(f"email_rate[{q},{t}]")
            m.add(done - before >= 0).with_name(f"email_order[{q},{t}]")
            m.add(done + qv.late[q, t] >= int(queue.due[t])).with_name(f"email_due[{q},{t}]")
    terms = ObjectiveTerms.empty()
    if qv.short:
        short = cp_model.LinearExpr.sum(list(qv.short.values()))
        terms = terms.merged(ObjectiveTerms.of("shortfall_penalty", inp.shortfall_penalty_cents * short))
    if qv.late:
        late = cp_model.LinearExpr.sum(list(qv.late.values()))
        terms = terms.merged(
            ObjectiveTerms.of("email_late_penalty", email_late_penalty_cents(inp.shortfall_penalty_cents) * late)
        )
    return terms
