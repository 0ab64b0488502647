"""Complete a several-queue solution from its shifts: route the people on the floor, then work e-mail.

Once the shifts are chosen, every other variable of the queues family follows from the people on the floor
and how they are routed. :func:`optimizer.skills.route` covers the live queues first and puts every free
e-mail-skilled person on e-mail; :func:`_keep_up` then moves people from live queues to e-mail where a
backlog falling behind its window (first come, first served, so every later e-mail is late too) costs more
than the live shortfall the move adds. Shortfall, e-mail done and done within its window follow.

CP-SAT left to find the routing by search was measured far worse: on the bundled several-queue week a dive's
plan cost 77,785 SEK as CP-SAT had routed it and 72,778 SEK with the same shifts routed here. So the starts
of a several-queue model (a dive's plan, the crew plan handed to people) hint the queue variables from here.

The gig pool's per-queue caps are not part of the rule: :func:`rerouted` gives up on a routing that breaks
one, and a hint that breaks one is left to the search to repair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model

from optimizer.model.build import BuiltModel
from optimizer.model.inputs import FILL_RATE_SCALE
from optimizer.skills import EMAIL_SCALE, EmailUnits, email_missed_penalty_cents, email_within, route

__all__ = ["evaluate", "floor_values", "hint_routing", "queue_values", "rerouted"]


def evaluate(expr: cp_model.LinearExprT, values: np.ndarray) -> int:
    """Return a linear expression's value at ``values`` (one value per variable index)."""
    if isinstance(expr, int | np.integer):
        return int(expr)
    flat = cp_model.FlatIntExpr(expr)
    return int(flat.offset + sum(c * int(values[x.index]) for x, c in zip(flat.vars, flat.coeffs, strict=True)))


def floor_values(built: BuiltModel, values: np.ndarray) -> np.ndarray:
    """Return people on the floor per skill group (the gig pool last) and interval, shape (G + 1, T).

    ``values`` holds one integer per variable index; only the shift decisions are read. Gig workers are
    counted at the fill rate, rounded down (the most ``gig_eff`` may be).
    """
    v, inp = built.vars, built.inp
    groups = len(inp.skill_groups)
    out = np.zeros((groups + 1, inp.intervals), dtype=np.int64)
    for t in range(inp.intervals):
        for g in range(groups):
            expr = v.group_on_floor(t, g)
            if expr is not None:
                out[g, t] = max(0, evaluate(expr, values))
        posted = sum(int(values[x.index]) for x in v.gig_covering(t))
        fill = inp.gig.fill_permille if inp.gig is not None else FILL_RATE_SCALE
        out[groups, t] = posted * fill // FILL_RATE_SCALE
    return out


def _keep_up(
    allocation: np.ndarray,
    skills: Sequence[frozenset[int]],
    required: np.ndarray,
    q: int,
    work: EmailUnits,
    shortfall_penalty_cents: int,
) -> None:
    """Move e-mail-skilled people from live queues to e-mail queue q where that saves more than it costs.

    :func:`optimizer.skills.route` covers the live queues first, which is best while e-mail keeps up, but
    first-come first-served e-mail that falls behind its window makes every later contact late too, so one
    person-interval on e-mail can save many. For the first arrival short of its window, one person is moved
    (in place, in ``allocation``) at the earliest interval of its busy period that can use them, when the
    e-mail done in time gained is worth more than the live shortfall it adds; repeated until the goal is met
    or no move pays. Gig workers stay where the rule put them (their per-queue caps).
    """
    unit = email_missed_penalty_cents(shortfall_penalty_cents)
    people = allocation[:, q, :].sum(axis=0)
    done, within = email_within(work, people)
    sizes = np.diff(work.arrived[: work.due_arrivals], prepend=0)
    skipped = -1
    while int(within.sum()) < work.goal:
        late = np.flatnonzero((within < sizes) & (np.arange(len(sizes)) > skipped))
        if not len(late):
            return
        first = int(late[0])
        cleared = np.flatnonzero(done[:first] >= work.arrived[:first])
        start = int(cleared[-1]) + 1 if len(cleared) else 0
        moved = False
        for t in range(start, first + work.window):
            if done[t] >= work.arrived[t]:
                continue
            move = _live_to_email(allocation, skills, required, q, t)
            if move is None:
                continue
            g, live, cost = move
            people[t] += 1
            new_done, new_within = email_within(work, people)
            gain = min(work.goal, int(new_within.sum())) - min(work.goal, int(within.sum()))
            if unit * gain > cost * shortfall_penalty_cents:
                allocation[g, live, t] -= 1
                allocation[g, q, t] += 1
                done, within = new_done, new_within
                moved = True
                break
            people[t] -= 1
        if not moved:
            skipped = first


def _live_to_email(
    allocation: np.ndarray, skills: Sequence[frozenset[int]], required: np.ndarray, q: int, t: int
) -> tuple[int, int, int] | None:
    """Return (group, live queue, shortfall added) of the cheapest person skilled for q to move to q at t.

    Only people on queues with a requirement are moved (live queues; an e-mail queue's is zero).
    """
    best: tuple[int, int, int] | None = None
    for g, own in enumerate(skills):
        if q not in own:
            continue
        for live in sorted(own - {q}):
            if allocation[g, live, t] <= 0 or not required[live].any():
                continue
            cost = 1 if allocation[:, live, t].sum() <= required[live, t] else 0
            if best is None or cost < best[2]:
                best = (g, live, cost)
    return best


def queue_values(built: BuiltModel, floor: np.ndarray) -> dict[int, int]:
    """Return the value of every queue variable (and gig fill counter) for a floor, by variable index.

    The floor is routed by :func:`optimizer.skills.route` and :func:`_keep_up`; shortfall, e-mail reach, done,
    ahead, within, within_by and missed follow the equalities of ``add_queues``.
    """
    v, inp = built.vars, built.inp
    qv = v.queues()
    if qv is None:
        return {}
    groups = len(inp.skill_groups)
    skills = [*inp.skill_groups, inp.gig.skills if inp.gig is not None else frozenset()]
    required = np.array([q.required for q in inp.queues], dtype=np.int64)
    allocation = route(floor, skills, required, [q.email for q in inp.queues])
    for q, queue in enumerate(inp.queues):
        if queue.work is not None:
            _keep_up(allocation, skills[:groups], required, q, queue.work, inp.shortfall_penalty_cents)
    people = allocation.sum(axis=0)
    out: dict[int, int] = {}
    for t in range(inp.intervals):
        eff = v.gig_effective_var(t)
        if eff is not None:
            out[eff.index] = int(floor[groups, t])
    for (g, q, t), expr in qv.routed.items():
        if isinstance(expr, cp_model.IntVar):
            out[expr.index] = int(allocation[g, q, t])
    for (q, t), short in qv.short.items():
        out[short.index] = max(0, int(inp.queues[q].required[t]) - int(people[q, t]))
    for q, queue in enumerate(inp.queues):
        work = queue.work
        if work is None:
            continue
        done, within = email_within(work, people[q])
        for t in range(inp.intervals):
            out[qv.reach[q, t].index] = (int(done[t - 1]) if t > 0 else 0) + EMAIL_SCALE * int(people[q, t])
            out[qv.done[q, t].index] = int(done[t])
        within_by = 0
        for a in range(work.due_arrivals):
            if (q, a) not in qv.within:
                continue
            earlier = int(work.arrived[a - 1]) if a > 0 else 0
            within_by += int(within[a])
            out[qv.ahead[q, a].index] = max(0, int(done[a + work.window - 1]) - earlier)
            out[qv.within[q, a].index] = int(within[a])
            out[qv.within_by[q, a].index] = within_by
        out[qv.missed[q].index] = max(0, work.goal - within_by)
    return out


def rerouted(built: BuiltModel, values: np.ndarray) -> np.ndarray | None:
    """Return a solution's values with its queue variables replaced by its shifts' routing.

    ``values`` holds one integer per variable index and satisfies the model; so does the result. None with
    one queue, or when the routing puts more gig workers on a queue than the pool's cap for it.
    """
    qv = built.vars.queues()
    if qv is None:
        return None
    out = np.array(values, dtype=np.int64)
    for index, value in queue_values(built, floor_values(built, out)).items():
        out[index] = value
    gig = len(built.inp.skill_groups)
    for (g, q, _), expr in qv.routed.items():
        cap = built.inp.queues[q].gig_cap
        if g == gig and cap is not None and evaluate(expr, out) > cap:
            return None
    return out


def hint_routing(built: BuiltModel, values: np.ndarray) -> None:
    """Hint the queue variables with the routing of the shifts in ``values``; keep the other hints.

    ``values`` holds one integer per variable index (a solution, or a rounded LP point); only its shift
    decisions are read. A model without queues is left as it is.
    """
    if built.vars.queues() is None:
        return
    m = built.cp_model
    hints = dict(zip(m.proto.solution_hint.vars, m.proto.solution_hint.values, strict=True))
    hints.update(queue_values(built, floor_values(built, values)))
    m.clear_hints()
    for index, value in hints.items():
        m.add_hint(m.get_int_var_from_proto_index(index), value)
