"""Several queues and skills: who on the floor works which queue, and how an e-mail backlog is worked.

A plan says who is on shift; with several queues it must also say which queue each person on the floor works
in each interval. People come in **skill groups** (the set of queues they may work: a contract's or worker's
skills, or the gig pool's). Voice and chat queues need their per-interval requirement (Erlang C/A per queue);
an e-mail queue is deferrable work that must be done within its window, so it takes whatever skilled time the
live queues leave.

:func:`route` is the one routing rule plans report and simulate with, evaluated from the people on the floor:

1. cover the live (voice, chat) queues' requirements as far as the skills allow (a maximum flow from groups
   to queues, capped at each requirement);
2. among those allocations, give the e-mail queues as many people as possible (an e-mail-skilled person is
   kept off a live queue that someone without e-mail skills can cover);
3. people still free work their live queues in turn (e-mail when they have no live skill), so no one on the
   floor is left out of the service level.

Steps 1-2 are one linear programme per horizon (integral: it is a network flow), solved by HiGHS.
:func:`email_backlog` works an e-mail queue's contacts with the capacity routed to it, in the queue's
order, and reports the share handled within the window.

E-mail order (``Queue.order``): ``first_come`` (the default) works the oldest first; ``in_window_first``
works the oldest e-mail still inside its window first and e-mail already past it only when none inside waits.
For the same capacity, in-window-first does the most work within the windows that any order can (all
contacts have the same window, so this is earliest-deadline-first with the hopeless ones last, optimal for
identical jobs): its share within equals the maximum of a transportation problem (arrival ``a``'s work done
in intervals ``a .. a + window - 1``, each interval's capacity shared), which is linear, so the plan's model
states it exactly and its LP bound is tight. First come, first served is what a plain ticket queue does;
its share is not a concave function of the capacity (a backlog that falls behind makes every later e-mail
late), so its model needs min/max rows and its LP bound is loose (README, several queues). In-window first
answers newer e-mail before older e-mail past its window, which may then wait long: ``max_age`` bounds the
backlog (by each interval's end the work that arrived ``max_age`` intervals before is done, in amount), which
first come, first served turns into every e-mail's age and in-window first does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

__all__ = [
    "EMAIL_SCALE",
    "EmailBacklog",
    "EmailOrder",
    "email_backlog",
    "EmailUnits",
    "email_done",
    "email_missed",
    "email_missed_penalty_cents",
    "email_overdue",
    "email_penalty_units",
    "email_served",
    "email_units",
    "email_within",
    "email_work",
    "route",
]

EmailOrder = Literal["in_window_first", "first_come"]
"""The order an e-mail queue is worked in (module notes)."""

EMAIL_SCALE = 100
"""E-mail work is counted in 1/EMAIL_SCALE person-intervals inside the solver and by the check (integers)."""

LIVE_WEIGHT = 1000.0
"""Objective weight of a person covering a live requirement against one working the e-mail backlog."""


def route(
    floor: np.ndarray, skills: Sequence[frozenset[int]], required: np.ndarray, email: Sequence[bool]
) -> np.ndarray:
    """Return people of each skill group working each queue per interval (the module's routing rule).

    Parameters
    ----------
    floor : numpy.ndarray, shape (G, T)
        People of each skill group on the floor (on shift, not on break) per interval.
    skills : sequence of frozenset of int, length G
        Queue indices each group may work.
    required : numpy.ndarray, shape (Q, T)
        People each live queue needs per interval (ignored for e-mail queues).
    email : sequence of bool, length Q
        Which queues are e-mail backlogs.

    Returns
    -------
    numpy.ndarray of int64, shape (G, Q, T)
        The allocation; ``allocation.sum(axis=1) == floor`` wherever a group has a skill.
    """
    floor = np.asarray(floor, dtype=np.int64)
    required = np.asarray(required, dtype=np.int64)
    groups, intervals = floor.shape
    queues = required.shape[0]
    is_email = np.asarray(email, dtype=bool)
    out = np.zeros((groups, queues, intervals), dtype=np.int64)
    edges = [(g, q) for g in range(groups) for q in sorted(skills[g])]
    if not edges or intervals == 0:
        return out
    live = [q for q in range(queues) if not is_email[q]]
    n_x, n_c = len(edges), len(live)
    width = n_x + n_c  # per interval: x[g,q] for each edge, then covered[q] for each live queue
    cost = np.concatenate(
        [[-1.0 if is_email[q] else 0.0 for _, q in edges], [-LIVE_WEIGHT] * n_c]
    )
    rows, cols, vals, rhs = [], [], [], []
    row = 0
    for t in range(intervals):
        base = t * width
        for g in range(groups):
            for j, (gg, _) in enumerate(edges):
                if gg == g:
                    rows.append(row)
                    cols.append(base + j)
                    vals.append(1.0)
            rhs.append(float(floor[g, t]))
            row += 1
        for i, q in enumerate(live):
            rows.append(row)
            cols.append(base + n_x + i)
            vals.append(1.0)
            for j, (_, qq) in enumerate(edges):
                if qq == q:
                    rows.append(row)
                    cols.append(base + j)
                    vals.append(-1.0)
            rhs.append(0.0)
            row += 1
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(row, width * intervals))
    upper = np.concatenate(
        [np.concatenate([np.full(n_x, np.inf), required[live, t].astype(float)]) for t in range(intervals)]
    )
    result = linprog(
        np.tile(cost, intervals),
        A_ub=matrix,
        b_ub=np.array(rhs),
        bounds=np.column_stack([np.zeros(width * intervals), upper]),
        method="highs-ds",
    )
    if result.status != 0:  # a flow with zero lower bounds is always feasible and bounded
        raise RuntimeError(f"routing LP failed: {result.message}")
    x = np.rint(result.x).astype(np.int64).reshape(intervals, width)[:, :n_x]
    for j, (g, q) in enumerate(edges):
        out[g, q] = x[:, j]
    for g in range(groups):
        order = [q for q in sorted(skills[g]) if not is_email[q]] or sorted(skills[g])
        if not order:
            continue
        free = floor[g] - out[g].sum(axis=0)
        for k, q in enumerate(order):  # round robin: queue k of n gets ceil((free - k) / n)
            out[g, q] += np.maximum(0, (free - k + len(order) - 1) // len(order))
    return out


def email_work(volume: np.ndarray, aht_s: np.ndarray, interval_min: int, productive: float) -> np.ndarray:
    """Return an e-mail queue's work per interval in person-intervals.

    ``volume x aht_s / (interval_min x 60 x productive)``, with ``productive`` the share of a person's time
    on the floor that works contacts (``(1 - shrinkage) x max_occupancy``).
    """
    return np.asarray(volume, dtype=np.float64) * np.asarray(aht_s, dtype=np.float64) / (
        interval_min * 60.0 * productive
    )


def email_missed_penalty_cents(shortfall_penalty_cents: int) -> int:
    """Return the penalty of one unit of e-mail work below the share due within its window [cents].

    A person-interval of e-mail work missing from the target costs what a person-interval of live shortfall does.
    """
    return max(1, round(shortfall_penalty_cents / EMAIL_SCALE))


@dataclass(frozen=True, slots=True)
class EmailUnits:
    """An e-mail queue's work in the model's integers (1/:data:`EMAIL_SCALE` person-intervals).

    ``arrived[t]`` is the work arrived by the end of interval ``t``; work arriving in interval ``a`` is due by
    the end of ``a + window - 1``, so only arrivals up to ``len - window`` are due inside the horizon; ``goal``
    is ``ceil(share x`` their work ``)``, the units that must be done within their windows; ``order`` is the
    order the queue is worked in (module notes); ``max_age`` the backlog bound in intervals (module notes,
    :func:`email_overdue`; None: none).
    """

    arrived: np.ndarray
    window: int
    goal: int
    order: EmailOrder = "first_come"
    max_age: int | None = None

    @property
    def due_arrivals(self) -> int:
        """Number of leading intervals whose arrivals fall due inside the horizon."""
        return max(0, len(self.arrived) - self.window + 1)

    @property
    def sizes(self) -> np.ndarray:
        """Units arriving in each interval."""
        return np.diff(self.arrived, prepend=0)


def email_units(
    work: np.ndarray, window: int, share: float, order: EmailOrder = "first_come", max_age: int | None = None
) -> EmailUnits:
    """Return an e-mail queue's work (person-intervals per interval) in integer units with its goal."""
    if window < 1:
        raise ValueError(f"window must be at least one interval, got {window}")
    if max_age is not None and max_age < window:
        raise ValueError(f"max_age must be at least the window ({window} intervals), got {max_age}")
    arrived = np.rint(np.cumsum(np.asarray(work, dtype=np.float64)) * EMAIL_SCALE).astype(np.int64)
    units = EmailUnits(arrived=arrived, window=window, goal=0, order=order, max_age=max_age)
    due = int(arrived[units.due_arrivals - 1]) if units.due_arrivals else 0
    goal = math.ceil(share * due - 1e-9)
    return EmailUnits(arrived=arrived, window=window, goal=goal, order=order, max_age=max_age)


def email_done(units: EmailUnits, people: np.ndarray) -> np.ndarray:
    """Return the units done by each interval's end: ``min(arrived[t], done[t-1] + EMAIL_SCALE x people[t])``.

    Either order does the same amount of work; only which e-mail it is differs.
    """
    arrived = units.arrived.tolist()
    staffed = np.asarray(people, dtype=np.int64).tolist()
    done = [0] * len(arrived)
    total = 0
    for t in range(len(arrived)):
        total = min(arrived[t], total + EMAIL_SCALE * staffed[t])
        done[t] = total
    return np.array(done, dtype=np.int64)


def email_overdue(units: EmailUnits, people: np.ndarray) -> np.ndarray:
    """Return the units short of the ``max_age`` backlog bound at each interval's end (zeros without one).

    At the end of ``t`` the work of every arrival up to ``t - max_age + 1`` is due in amount: ``overdue[t] =
    max(0, arrived[t - max_age + 1] - done[t])``, the same in either order (the amount done is).
    """
    overdue = np.zeros(len(units.arrived), dtype=np.int64)
    if units.max_age is None or len(units.arrived) < units.max_age:
        return overdue
    done = email_done(units, people)
    due = units.arrived[: len(units.arrived) - units.max_age + 1]
    overdue[units.max_age - 1 :] = np.maximum(0, due - done[units.max_age - 1 :])
    return overdue


def email_penalty_units(units: EmailUnits, people: np.ndarray) -> int:
    """Return the units the model prices: short of the goal (:func:`email_missed`) plus overdue per interval."""
    return email_missed(units, people) + int(email_overdue(units, people).sum())


def email_within(units: EmailUnits, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the units done by each interval's end and each due arrival's units done within its window.

    Each person on the queue does ``EMAIL_SCALE`` units per interval as early as the work allows (``done[t] =
    min(arrived[t], done[t-1] + EMAIL_SCALE x people[t])``, either order). First come, first served, arrival
    ``a``'s work done within its window is ``clamp(done[a + window - 1] - arrived[a - 1], 0, its work)``;
    in-window first it is :func:`email_served`'s.
    """
    if units.order == "in_window_first":
        done, served = email_served(units, people)
        return done, served.sum(axis=1)
    arrived = units.arrived
    done = email_done(units, people)
    due = units.due_arrivals
    before = np.concatenate([[0], arrived[: max(0, due - 1)]]).astype(np.int64)[:due]
    by_deadline = done[units.window - 1 : units.window - 1 + due]
    return done, np.clip(by_deadline - before, 0, arrived[:due] - before)


def email_served(units: EmailUnits, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Work an e-mail queue in-window first; return units done by each interval's end and the in-window work.

    Returns ``done`` (shape (T,), cumulative, as :func:`email_within`) and ``served`` (shape (due arrivals,
    window)): ``served[a, k]`` units of arrival ``a``'s work done in interval ``a + k``, inside its window.
    Each interval's ``EMAIL_SCALE x people[t]`` units go to the arrivals still inside their windows, oldest
    first, then to the oldest work already past its window.
    """
    left = units.sizes.tolist()  # plain ints: this runs for every move the routing rule tries
    staffed = np.asarray(people, dtype=np.int64).tolist()
    window, due = units.window, units.due_arrivals
    done = [0] * len(left)
    served = np.zeros((due, window), dtype=np.int64)
    total = 0
    late = 0  # arrivals before this one have no work left past their windows
    for t in range(len(left)):
        capacity = EMAIL_SCALE * staffed[t]
        opened = max(0, t - window + 1)
        for a in range(opened, t + 1):
            if capacity <= 0:
                break
            take = min(capacity, left[a])
            if take:
                left[a] -= take
                capacity -= take
                total += take
                if a < due:
                    served[a, t - a] = take
        for a in range(late, opened):
            if capacity <= 0:
                break
            take = min(capacity, left[a])
            left[a] -= take
            capacity -= take
            total += take
        while late < opened and not left[late]:
            late += 1
        done[t] = total
    return np.array(done, dtype=np.int64), served


def email_missed(units: EmailUnits, people: np.ndarray) -> int:
    """Return the units short of the goal when ``people`` work the backlog in the queue's order.

    The work done within each arrival's window is :func:`email_within`'s.
    """
    return max(0, units.goal - int(email_within(units, people)[1].sum()))


@dataclass(frozen=True, slots=True)
class EmailBacklog:
    """How an e-mail queue's contacts were worked.

    Attributes
    ----------
    share_within : float
        Share of the work that arrived at least one window before the horizon's end and was done within its
        window (1.0 when there was none).
    late : numpy.ndarray, shape (T,)
        Work past its window still open at the end of each interval [person-intervals].
    backlog : numpy.ndarray, shape (T,)
        Open work at the end of each interval [person-intervals].
    overdue : numpy.ndarray, shape (T,)
        Work short of the ``max_age`` backlog bound at the end of each interval (zeros without one): the work
        that arrived up to ``t - max_age + 1`` less all work done by ``t``, at least 0.
    """

    share_within: float
    late: np.ndarray
    backlog: np.ndarray
    overdue: np.ndarray


def email_backlog(
    work: np.ndarray,
    capacity: np.ndarray,
    window: int,
    order: EmailOrder = "first_come",
    max_age: int | None = None,
) -> EmailBacklog:
    """Work an e-mail queue in ``order`` and measure how much was done within ``window`` intervals.

    Work arriving in interval ``t`` is due by the end of interval ``t + window - 1``; an interval's capacity
    works open work in the queue's order (module notes), never work that has not arrived yet.
    """
    work = np.asarray(work, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    size = len(work)
    left = work.copy()
    done_in_time = 0.0
    late = np.zeros(size)
    backlog = np.zeros(size)
    overdue = np.zeros(size)
    arrived = np.cumsum(work)
    first = 0  # arrivals before it are done
    for t in range(size):
        opened = max(0, t - window + 1)
        if order == "in_window_first":
            turn = [*range(max(first, opened), t + 1), *range(first, opened)]
        else:
            turn = list(range(first, t + 1))
        free = capacity[t]
        for arrival in turn:
            if free <= 1e-12:
                break
            take = min(free, left[arrival])
            if take <= 0:
                continue
            if t < arrival + window <= size:  # done within the window, of work due inside the horizon
                done_in_time += take
            free -= take
            left[arrival] -= take
            if left[arrival] <= 1e-12:
                left[arrival] = 0.0
        while first <= t and left[first] <= 0:
            first += 1
        backlog[t] = left[first : t + 1].sum()
        late[t] = left[first : max(first, t - window + 2)].sum()
        if max_age is not None and t >= max_age - 1:  # the backlog bound, in amount (module notes)
            overdue[t] = max(0.0, arrived[t - max_age + 1] - (arrived[t] - backlog[t]))
    due = work[: max(0, size - window + 1)].sum()
    share = float(done_in_time / due) if due > 0 else 1.0
    return EmailBacklog(share_within=share, late=late, backlog=backlog, overdue=overdue)
