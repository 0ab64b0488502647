"""Complete a several-queue solution from its shifts: route the people on the floor, then work e-mail.

Once the shifts are chosen, every other variable of the queues family follows from the people on the floor
and how they are routed. With every e-mail queue worked in-window first, the routing is the least-cost one:
the queues family with the floor fixed is a linear programme (:func:`_routed_in_window_first`, HiGHS), whose
people are rounded keeping each e-mail queue's running capacity (measured on the bundled week's crew start:
the same cost as CP-SAT's and HiGHS's optimal routing of those shifts, in 0.2 s). With a queue worked first
come, first served, :func:`optimizer.skills.route` covers the live queues first and puts every free
e-mail-skilled person on e-mail; :func:`_keep_up` then moves people from live queues to e-mail where a
backlog falling behind its window (every later e-mail is late too) costs more than the live shortfall the
move adds. Shortfall, e-mail done and done within its window follow.

CP-SAT left to find the routing by search was measured far worse: on the bundled several-queue week a dive's
plan cost 77,785 SEK as CP-SAT had routed it and 72,778 SEK with the same shifts routed here. So the starts
of a several-queue model (a dive's plan, the crew plan handed to people) hint the queue variables from here.

The gig pool's per-queue caps bound the linear programme but are not part of the first-come rule:
:func:`rerouted` gives up on a routing that breaks one, and a hint that breaks one is left to the search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.optimize import linprog

from optimizer.model.build import BuiltModel, hint_values, set_hints
from optimizer.model.inputs import FILL_RATE_SCALE, QueueInput
from optimizer.model.variables import QueueVars
from optimizer.skills import (
    EMAIL_SCALE,
    EmailUnits,
    email_missed_penalty_cents,
    email_overdue,
    email_served,
    email_within,
    route,
)

__all__ = ["email_exact", "evaluate", "floor_values", "hint_routing", "queue_values", "rerouted"]


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


SPARE_TO_EMAIL_CENTS = 1e-3
"""A token reward per person on e-mail in the routing LP: people no queue needs work e-mail (as in
:func:`optimizer.skills.route`), so rounding the e-mail people rarely costs e-mail done in time."""


def _routed_in_window_first(
    floor: np.ndarray,
    skills: Sequence[frozenset[int]],
    queues: Sequence[QueueInput],
    shortfall_penalty_cents: int,
) -> np.ndarray | None:
    """Return the routing (G, Q, T) that costs least when every e-mail queue is worked in-window first.

    With the floor fixed, the queues family is one linear programme: everyone on the floor on a skilled
    queue (``sum_q x[g,q,t] = floor[g,t]``, gig workers within their per-queue caps), live shortfall
    ``short >= required - sum_g x``, e-mail ``serve`` as in ``constraints/queues.py`` (a transportation
    problem, capacity ``EMAIL_SCALE x sum_g x``), ``missed >= goal - sum serve``, with a ``max_age`` also
    ``done`` and ``overdue`` as there; minimise the model's penalties (less a token for spare people on
    e-mail). Solved by HiGHS and rounded by
    :func:`_rounded_routing`; the e-mail credit is then the order's own (``_served_values``). None when the
    LP fails.
    """
    groups, intervals = floor.shape
    n_queues = len(queues)
    unit = email_missed_penalty_cents(shortfall_penalty_cents)
    cols: list[tuple[str, tuple[int, ...]]] = []
    index: dict[tuple[str, tuple[int, ...]], int] = {}

    def col(kind: str, key: tuple[int, ...]) -> int:
        index[kind, key] = len(cols)
        cols.append((kind, key))
        return len(cols) - 1

    upper: list[float] = []
    cost: list[float] = []
    for t in range(intervals):
        for g in range(groups):
            for q in sorted(skills[g]):
                col("x", (g, q, t))
                cap = queues[q].gig_cap if g == groups - 1 else None
                upper.append(float(min(floor[g, t], cap)) if cap is not None else float(floor[g, t]))
                cost.append(-SPARE_TO_EMAIL_CENTS if queues[q].email else 0.0)
        for q, queue in enumerate(queues):
            if not queue.email and queue.required[t] > 0:
                col("short", (q, t))
                upper.append(float(queue.required[t]))
                cost.append(float(shortfall_penalty_cents))
    for q, queue in enumerate(queues):
        work = queue.work
        if work is None:
            continue
        sizes = work.sizes
        for a in range(work.due_arrivals):
            for t in range(a, a + work.window):
                if sizes[a] > 0:
                    col("serve", (q, a, t))
                    upper.append(float(sizes[a]))
                    cost.append(0.0)
        col("missed", (q,))
        upper.append(float(work.goal))
        cost.append(float(unit))
        if work.max_age is not None:
            for t in range(intervals):
                col("done", (q, t))
                upper.append(float(work.arrived[t]))
                cost.append(0.0)
                if t >= work.max_age - 1:
                    col("overdue", (q, t))
                    upper.append(float(work.arrived[t - work.max_age + 1]))
                    cost.append(float(unit))
    eq_rows: list[int] = []
    eq_cols: list[int] = []
    eq_vals: list[float] = []
    eq_rhs: list[float] = []
    ub_rows: list[int] = []
    ub_cols: list[int] = []
    ub_vals: list[float] = []
    ub_rhs: list[float] = []

    def ub(entries: list[tuple[int, float]], rhs: float) -> None:
        for c, v in entries:
            ub_rows.append(len(ub_rhs))
            ub_cols.append(c)
            ub_vals.append(v)
        ub_rhs.append(rhs)

    for t in range(intervals):
        for g in range(groups):
            if not skills[g]:
                continue
            for q in sorted(skills[g]):
                eq_rows.append(len(eq_rhs))
                eq_cols.append(index["x", (g, q, t)])
                eq_vals.append(1.0)
            eq_rhs.append(float(floor[g, t]))
        for q, queue in enumerate(queues):
            people = [(index["x", (g, q, t)], -1.0) for g in range(groups) if q in skills[g]]
            if queue.work is not None:
                window = range(t - queue.work.window + 1, t + 1)
                served = [(index[k], 1.0) for a in window if (k := ("serve", (q, a, t))) in index]
                if served:
                    ub(served + [(c, -float(EMAIL_SCALE)) for c, _ in people], 0.0)
                if ("done", (q, t)) in index:  # done[t] <= done[t-1] + EMAIL_SCALE x people
                    before = [(index["done", (q, t - 1)], -1.0)] if t > 0 else []
                    ub([(index["done", (q, t)], 1.0), *before, *((c, -float(EMAIL_SCALE)) for c, _ in people)], 0.0)
                if ("overdue", (q, t)) in index:  # overdue[t] >= arrived[t - max_age + 1] - done[t]
                    due = float(queue.work.arrived[t - queue.work.max_age + 1])  # type: ignore[operator]
                    ub([(index["overdue", (q, t)], -1.0), (index["done", (q, t)], -1.0)], -due)
            elif ("short", (q, t)) in index:
                ub(people + [(index["short", (q, t)], -1.0)], -float(queue.required[t]))
    for q, queue in enumerate(queues):
        work = queue.work
        if work is None:
            continue
        for a in range(work.due_arrivals):
            mine = [(index[k], 1.0) for t in range(a, a + work.window) if (k := ("serve", (q, a, t))) in index]
            if mine:
                ub(mine, float(work.sizes[a]))
        credited = [(i, -1.0) for (kind, key), i in index.items() if kind == "serve" and key[0] == q]
        ub(credited + [(index["missed", (q,)], -1.0)], -float(work.goal))
    width = len(cols)
    result = linprog(
        np.array(cost),
        A_ub=sparse.csr_matrix((ub_vals, (ub_rows, ub_cols)), shape=(len(ub_rhs), width)),
        b_ub=np.array(ub_rhs),
        A_eq=sparse.csr_matrix((eq_vals, (eq_rows, eq_cols)), shape=(len(eq_rhs), width)),
        b_eq=np.array(eq_rhs),
        bounds=np.column_stack([np.zeros(width), np.array(upper)]),
        method="highs",
    )
    if result.status != 0:
        return None
    share = np.zeros((groups, n_queues, intervals))
    for (kind, key), i in index.items():
        if kind == "x":
            share[key] = result.x[i]
    return _rounded_routing(share, floor, skills, [q.email for q in queues])


def _rounded_routing(
    share: np.ndarray, floor: np.ndarray, skills: Sequence[frozenset[int]], email: Sequence[bool]
) -> np.ndarray:
    """Round a fractional routing (G, Q, T) to people, keeping each group's floor per interval.

    A group's e-mail people are rounded on their running sum over the horizon (so every stretch of
    intervals, an e-mail window included, keeps the LP's e-mail capacity to within one person-interval),
    then its live queues share the rest by largest remainder of the LP's split.
    """
    groups, _, intervals = share.shape
    out = np.zeros(share.shape, dtype=np.int64)
    for g in range(groups):
        own = sorted(skills[g])
        mail = [q for q in own if email[q]]
        live = [q for q in own if not email[q]]
        for q in mail:
            running = np.rint(np.cumsum(share[g, q]) + 1e-9).astype(np.int64)
            out[g, q] = np.diff(running, prepend=0)
        for t in range(intervals):
            extra = int(out[g, mail, t].sum()) - int(floor[g, t])
            for q in reversed(mail):  # the running sum asked for more than the floor: keep the floor
                cut = min(extra, int(out[g, q, t]))
                if cut > 0:
                    out[g, q, t] -= cut
                    extra -= cut
            out[g, mail, t] = np.maximum(out[g, mail, t], 0)
            left = int(floor[g, t]) - int(out[g, mail, t].sum())
            if not live:
                if mail and left > 0:
                    out[g, mail[0], t] += left
                continue
            part = np.maximum(share[g, live, t], 0.0)
            part = part * left / part.sum() if part.sum() > 1e-9 else np.full(len(live), left / len(live))
            whole = np.floor(part + 1e-9).astype(np.int64)
            for k in np.argsort(-(part - whole), kind="stable")[: max(0, left - int(whole.sum()))]:
                whole[k] += 1
            out[g, live, t] = whole
    return out


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
    allocation = None
    if all(q.work is None or q.work.order == "in_window_first" for q in inp.queues):
        allocation = _routed_in_window_first(floor, skills, inp.queues, inp.shortfall_penalty_cents)
    if allocation is None:
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
        if work.order == "in_window_first":
            out.update(_served_values(qv, q, work, people[q]))
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
        out.update(_overdue_values(qv, q, work, people[q]))
    return out


def _served_values(qv: QueueVars, q: int, work: EmailUnits, people: np.ndarray) -> dict[int, int]:
    """Return the in-window-first e-mail variables of queue q (serve, within, missed, done, overdue)."""
    done, served = email_served(work, people)
    out = _overdue_values(qv, q, work, people)
    for t in range(len(done)):
        if (q, t) in qv.done:
            out[qv.done[q, t].index] = int(done[t])
    credited = 0
    for a in range(work.due_arrivals):
        if (q, a) not in qv.within:
            continue
        for k in range(work.window):
            out[qv.serve[q, a, a + k].index] = int(served[a, k])
        out[qv.within[q, a].index] = int(served[a].sum())
        credited += int(served[a].sum())
    out[qv.missed[q].index] = max(0, work.goal - credited)
    return out


def _overdue_values(qv: QueueVars, q: int, work: EmailUnits, people: np.ndarray) -> dict[int, int]:
    """Return queue q's ``overdue`` variables for its people (none without a ``max_age``)."""
    if work.max_age is None:
        return {}
    overdue = email_overdue(work, people)
    return {var.index: int(overdue[t]) for (queue, t), var in qv.overdue.items() if queue == q}


def email_exact(built: BuiltModel, values: np.ndarray) -> np.ndarray | None:
    """Return a solution's values with its in-window-first e-mail credited as that order works it.

    The routing (people on each queue) is the solution's own; only ``serve``, ``within``, ``missed``, ``done``
    and ``overdue`` are set. The model's rows let a solution credit less than the order does and count more
    overdue (``constraints/queues.py``), never the reverse, so the result satisfies the model and costs no more.
    None when no queue is worked in-window first.
    """
    qv = built.vars.queues()
    inp = built.inp
    if qv is None or not any(q.work is not None and q.work.order == "in_window_first" for q in inp.queues):
        return None
    out = np.array(values, dtype=np.int64)
    for q, queue in enumerate(inp.queues):
        if queue.work is None or queue.work.order != "in_window_first":
            continue
        people = np.array([evaluate(built.vars.routed_to(q, t), out) for t in range(inp.intervals)])
        for index, value in _served_values(qv, q, queue.work, people).items():
            out[index] = value
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
    hints = hint_values(built.cp_model)
    hints.update(queue_values(built, floor_values(built, values)))
    set_hints(built.cp_model, hints)
