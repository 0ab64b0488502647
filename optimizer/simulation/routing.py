"""The event loop of several queues: contacts routed to the people on the floor by their skills.

A plan's floor is a set of **skill groups** (people who may work the same queues) with a number of agents of
each group on duty per interval. Contacts of every queue arrive on one clock; this module plays them through
the floor one event at a time (``heapq`` of completions, arrivals in time order, interval boundaries), one
replication after another.

Routing rule
------------
Agents are idle, on one exclusive contact (a call or an e-mail), or holding one to ``concurrency`` chats
(the chat queue's target: the plan's virtual-server model, each chat taking ``aht_s * f(concurrency)``). A
chatting agent takes only more chats; a call or an e-mail needs an idle agent.

* **Arriving contact.** A call or an e-mail goes to the *longest-idle* idle agent skilled for its queue
  (ties to the lower group). A chat goes first to an agent already chatting with a free slot (the one with a
  free slot the longest; fill before spill, which keeps idle blended agents free for calls), else to the
  longest-idle skilled agent. With no such agent the contact waits in its queue, first come first served.
* **Freed agent** (a contact ends, or the agent comes on duty at a boundary). An agent still holding chats
  fills its free slots with the oldest waiting chats of its skills, unless a call of its skills has waited
  longer: then it *drains* (takes no new chat, arriving ones included) and answers the call once its chats
  end; when someone else answers that call first, its free slots take chats again at once. An idle agent
  takes the *oldest* waiting live contact (voice, chat) among all the queues it is skilled for, voice
  before chat on equal arrival times (then fills its other chat slots likewise); only when no live contact
  of its skills waits does it take the oldest e-mail of its skills; else it becomes idle.
* **Skill priority** (optional, ``primary``): a group's primary queues come first. An idle agent takes the
  oldest waiting contact of its primary queues (live, then e-mail) and looks at its other queues only when
  none waits; an arriving contact goes to the longest-idle agent among those with its queue as primary, and
  to the others only when none of them is idle. Without primaries the rule above is unchanged.
* **E-mail order** (``mail_window_s``): an e-mail queue with a window is worked in-window first: the oldest
  e-mail still inside its window, and e-mail already past it only when none inside waits; a queue without
  one (``None``) oldest first (:mod:`optimizer.skills`, ``Queue.order``).
* **E-mail limit** (optional, ``email_limit``): an e-mail is started only while fewer agents than the
  interval's limit work its queue; idle agents take waiting e-mail when the limit rises or frees up.

This is FCFS across the queues an agent serves with longest-idle-agent assignment (FCFS-ALIS, as in
Adan & Weiss), with e-mail as a non-preemptive background queue: an agent on an e-mail finishes it while a
call waits.

Floor changes
-------------
Agent ``i`` of group ``g`` is on duty in interval ``t`` when ``i < agents[g, t]``. Agents leaving at a
boundary finish what they hold and take nothing new; agents joining are idle from the boundary on and pull
waiting work at once. After the horizon the last interval's floor stays on until the queues drain (as the
one-queue engine, :mod:`optimizer.simulation.engine`). A live contact whose wait would pass its patience
abandons at that moment (checked when an agent would take it).

References
----------
.. [1] I. Adan, G. Weiss, "A skill based parallel service system under FCFS-ALIS: steady state, overloads
   and abandonments", Stochastic Systems 4(1), 2014, 250-299.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

VOICE, CHAT, EMAIL = 0, 1, 2
"""Channel codes of the event loop (voice has priority over chat on equal waits)."""

CHANNEL_CODE = {"voice": VOICE, "chat": CHAT, "email": EMAIL}
"""Channel name (:data:`optimizer.domain.Channel`) to its code."""


@dataclass(frozen=True, slots=True)
class Contacts:
    """Every replication's contacts of all queues merged in arrival order, arrays of shape (R, J).

    ``queue`` is the contact's queue index (-1 on padding, where ``arrival_s`` is ``inf``); ``patience_s`` is
    ``inf`` for none (always for e-mail).
    """

    queue: np.ndarray
    arrival_s: np.ndarray
    handle_s: np.ndarray
    patience_s: np.ndarray


@dataclass(frozen=True, slots=True)
class Routed:
    """What happened to every contact, arrays of shape (R, J) aligned with :class:`Contacts`."""

    start_s: np.ndarray
    """When an agent took the contact [s]; ``inf`` when none did (abandoned, or never served)."""
    group: np.ndarray
    """Skill group of the agent who handled it; -1 when none did."""


def merge_queues(
    arrival_s: Sequence[np.ndarray], handle_s: Sequence[np.ndarray], patience_s: Sequence[np.ndarray]
) -> tuple[Contacts, np.ndarray]:
    """Merge per-queue contacts, each (R, J_q) sorted and ``inf``-padded, into one arrival order.

    Returns the merged :class:`Contacts` and the permutation ``order`` (R, sum J_q): merged column ``j`` of
    replication ``r`` is column ``order[r, j]`` of the queues' arrays laid side by side.
    """
    arrival = np.concatenate(arrival_s, axis=1)
    ids = np.concatenate([np.full(a.shape, q, dtype=np.int64) for q, a in enumerate(arrival_s)], axis=1)
    order = np.argsort(arrival, axis=1, kind="stable")
    queue = np.take_along_axis(ids, order, axis=1)
    merged = np.take_along_axis(arrival, order, axis=1)
    queue[~np.isfinite(merged)] = -1
    return (
        Contacts(
            queue=queue,
            arrival_s=merged,
            handle_s=np.take_along_axis(np.concatenate(handle_s, axis=1), order, axis=1),
            patience_s=np.take_along_axis(np.concatenate(patience_s, axis=1), order, axis=1),
        ),
        order,
    )


def run_queues(
    contacts: Contacts,
    channel: Sequence[int],
    concurrency: Sequence[int],
    skills: Sequence[Sequence[int]],
    agents: np.ndarray,
    interval_s: float,
    email_limit: np.ndarray | None = None,
    primary: Sequence[Sequence[int]] | None = None,
    mail_window_s: Sequence[float | None] | None = None,
) -> Routed:
    """Play every replication's contacts through the skill groups' floor by the module's routing rule.

    Parameters
    ----------
    contacts : Contacts
        Merged contacts (:func:`merge_queues`).
    channel : sequence of int, length Q
        Each queue's channel code (:data:`VOICE`, :data:`CHAT`, :data:`EMAIL`).
    concurrency : sequence of int, length Q
        Chats one agent may hold at once for each chat queue (1 for the others).
    skills : sequence of sequence of int, length G
        Queue indices each skill group may work.
    agents : ndarray of int, shape (G, T)
        Agents of each group on duty per interval.
    interval_s : float
        Interval length [s].
    email_limit : ndarray of int, shape (Q, T), optional
        Most agents working each e-mail queue at once per interval (the plan's e-mail people); an agent then
        takes an e-mail only below that number (entries of other queues are ignored). None: no limit.
    primary : sequence of sequence of int, length G, optional
        Queue indices each skill group serves first (module rule, skill priority); None or empty: none.
    mail_window_s : sequence of float or None, length Q, optional
        Each e-mail queue's window [s] when it is worked in-window first (module rule, e-mail order); None
        (or no sequence): oldest first.

    Returns
    -------
    Routed
        Start time and handling group of every contact.
    """
    reps = contacts.arrival_s.shape[0]
    start = np.full(contacts.arrival_s.shape, np.inf)
    group = np.full(contacts.arrival_s.shape, -1, dtype=np.int64)
    floor = np.asarray(agents, dtype=np.int64).reshape(len(skills), -1)
    unlimited = contacts.arrival_s.shape[1] + 1
    if email_limit is None:
        limit = [[unlimited] * floor.shape[1] for _ in channel]
    else:
        limit = np.asarray(email_limit, dtype=np.int64).reshape(len(channel), floor.shape[1]).tolist()
    firsts = [list(p) for p in primary] if primary is not None else [[] for _ in skills]
    never = float("inf")
    windows = [never if w is None else w for w in (mail_window_s or [None] * len(channel))]
    for r in range(reps):
        size = int(np.isfinite(contacts.arrival_s[r]).sum())
        s, g = _replicate(
            contacts.queue[r, :size].tolist(),
            contacts.arrival_s[r, :size].tolist(),
            contacts.handle_s[r, :size].tolist(),
            contacts.patience_s[r, :size].tolist(),
            list(channel),
            list(concurrency),
            [list(k) for k in skills],
            floor,
            interval_s,
            limit,
            firsts,
            windows,
        )
        start[r, :size] = s
        group[r, :size] = g
    return Routed(start_s=start, group=group)


def _replicate(
    queue_of: list[int],
    arr: list[float],
    hold: list[float],
    pat: list[float],
    channel: list[int],
    cap: list[int],
    skills: list[list[int]],
    floor: np.ndarray,
    interval_s: float,
    limit: list[list[int]],
    primary: list[list[int]],
    mail_window: list[float],
) -> tuple[list[float], list[int]]:
    """Run one replication (module rule); return each contact's start time and handling group."""
    inf = float("inf")
    heappush, heappop = heapq.heappush, heapq.heappop
    n_groups, n_int = floor.shape
    size = len(arr)
    start = [inf] * size
    handled_by = [-1] * size
    width = [int(floor[g].max(initial=0)) for g in range(n_groups)]
    first = [sum(width[:g]) for g in range(n_groups)]
    n_agents = sum(width)
    group_of = [g for g in range(n_groups) for _ in range(width[g])]
    load = [0] * n_agents
    chatting_now = [False] * n_agents
    on = [False] * n_agents
    since = [0.0] * n_agents
    n_queues = len(channel)
    first_for = [[g for g in range(n_groups) if q in skills[g] and q in primary[g]] for q in range(n_queues)]
    then_for = [[g for g in range(n_groups) if q in skills[g] and q not in primary[g]] for q in range(n_queues)]
    groups_of = [first_for[q] + then_for[q] for q in range(n_queues)]
    by_priority = sorted(range(n_queues), key=lambda q: channel[q])
    live_of = [[q for q in by_priority if q in skills[g] and channel[q] != EMAIL] for g in range(n_groups)]
    chats_of = [[q for q in live_of[g] if channel[q] == CHAT] for g in range(n_groups)]
    calls_of = [[q for q in live_of[g] if channel[q] == VOICE] for g in range(n_groups)]
    mail_of = [[q for q in range(n_queues) if q in skills[g] and channel[q] == EMAIL] for g in range(n_groups)]
    # an idle agent looks at its primary queues first, then the rest; each tier live before e-mail
    tiers: list[list[tuple[list[int], list[int]]]] = []
    for g in range(n_groups):
        parts = [set(primary[g]), set(skills[g]) - set(primary[g])] if primary[g] else [set(skills[g])]
        tiers.append([([q for q in live_of[g] if q in part], [q for q in mail_of[g] if q in part]) for part in parts])
    most_chats = [max((cap[q] for q in chats_of[g]), default=0) for g in range(n_groups)]
    idle: list[deque[int]] = [deque() for _ in range(n_groups)]
    chatting: list[dict[int, None]] = [{} for _ in range(n_groups)]
    waiting: list[deque[int]] = [deque() for _ in range(n_queues)]
    overdue: list[deque[int]] = [deque() for _ in range(n_queues)]  # e-mail past its window, in-window-first queues
    events: list[tuple[float, int, int, int]] = []
    seq = 0
    mailing = [0] * n_queues  # agents on each e-mail queue now
    mail_queues = [q for q in range(n_queues) if channel[q] == EMAIL]
    now_t = 0

    def take(agent: int, c: int, now: float) -> None:
        nonlocal seq
        start[c] = now
        g = group_of[agent]
        handled_by[c] = g
        load[agent] += 1
        if channel[queue_of[c]] == EMAIL:
            mailing[queue_of[c]] += 1
        elif channel[queue_of[c]] == CHAT:
            chatting_now[agent] = True
            if load[agent] < most_chats[g]:
                chatting[g][agent] = None
            else:
                chatting[g].pop(agent, None)
        heappush(events, (now + hold[c], seq, agent, c))
        seq += 1

    def mail_line(q: int, now: float) -> deque[int]:
        # the line an e-mail queue's next contact comes from: in its window first, then past it
        line = waiting[q]
        while line and arr[line[0]] + mail_window[q] <= now:
            overdue[q].append(line.popleft())
        return line if line else overdue[q]

    def head(q: int, now: float) -> int:
        line = waiting[q]
        while line and arr[line[0]] + pat[line[0]] < now:
            line.popleft()  # abandoned before anyone was free
        return line[0] if line else -1

    def oldest_call(g: int, now: float) -> float:
        oldest = inf
        for q in calls_of[g]:
            c = head(q, now)
            if c >= 0 and arr[c] < oldest:
                oldest = arr[c]
        return oldest

    def fill_chats(agent: int, now: float) -> None:
        g = group_of[agent]
        while True:
            best, best_q = -1, -1
            for q in chats_of[g]:
                if load[agent] < cap[q]:
                    c = head(q, now)
                    if c >= 0 and (best < 0 or arr[c] < arr[best]):
                        best, best_q = c, q
            if best < 0 or (calls_of[g] and oldest_call(g, now) <= arr[best]):
                return  # drain: an older call waits for this agent to be free
            waiting[best_q].popleft()
            take(agent, best, now)

    def pull(agent: int, now: float) -> None:
        g = group_of[agent]
        if load[agent]:
            fill_chats(agent, now)
            return
        best, best_q = -1, -1
        for tier_live, tier_mail in tiers[g]:
            for q in tier_live:
                c = head(q, now)
                if c >= 0 and (best < 0 or arr[c] < arr[best]):
                    best, best_q = c, q
            best_line = None
            if best < 0:
                for q in tier_mail:
                    line = mail_line(q, now)
                    if line and mailing[q] < limit[q][now_t] and (best < 0 or arr[line[0]] < arr[best]):
                        best, best_q, best_line = line[0], q, line
            if best >= 0:
                break
        if best < 0:
            since[agent] = now
            idle[g].append(agent)
            return
        (best_line if best_line is not None else waiting[best_q]).popleft()
        take(agent, best, now)
        if channel[best_q] == CHAT:
            fill_chats(agent, now)
        elif channel[best_q] == VOICE:
            wake_chatters(best_q, now)

    def wake_chatters(q: int, now: float) -> None:
        # the call some chatting agents were draining for is answered: their free slots take chats again
        for g in groups_of[q]:
            for chatter in list(chatting[g]) if chats_of[g] else ():
                fill_chats(chatter, now)

    def longest_idle(q: int) -> int:
        chosen, best_since = -1, inf
        for tier in (first_for[q], then_for[q]):  # people serving q first, then the rest
            for g in tier:
                line = idle[g]
                if line and since[line[0]] < best_since:
                    chosen, best_since = line[0], since[line[0]]
            if chosen >= 0:
                break
        if chosen >= 0:
            idle[group_of[chosen]].popleft()
        return chosen

    def dispatch_mail(now: float) -> None:
        # idle agents may wait below an e-mail limit that has just risen or freed up
        for q in mail_queues:
            while mailing[q] < limit[q][now_t]:
                line = mail_line(q, now)
                if not line:
                    break
                agent = longest_idle(q)
                if agent < 0:
                    break
                take(agent, line.popleft(), now)

    def boundary(t: int, now: float) -> None:
        nonlocal now_t
        now_t = t
        for g in range(n_groups):
            before = int(floor[g, t - 1]) if t else 0
            after = int(floor[g, t])
            if after < before:
                leaving = set(range(first[g] + after, first[g] + before))
                for agent in leaving:
                    on[agent] = False
                    chatting[g].pop(agent, None)
                idle[g] = deque(a for a in idle[g] if a not in leaving)
            for agent in range(first[g] + before, first[g] + after):
                on[agent] = True
                if load[agent] == 0:
                    pull(agent, now)
                elif chatting_now[agent]:
                    if load[agent] < most_chats[g]:
                        chatting[g][agent] = None
                    fill_chats(agent, now)
        dispatch_mail(now)

    boundary(0, 0.0)
    nxt = 1
    i = 0
    while True:
        ta = arr[i] if i < size else inf
        tc = events[0][0] if events else inf
        tb = nxt * interval_s if nxt < n_int else inf
        if tb <= tc and tb <= ta:
            if tb == inf:
                break
            boundary(nxt, tb)
            nxt += 1
        elif tc <= ta:
            now, _, agent, c = heappop(events)
            load[agent] -= 1
            mailed = channel[queue_of[c]] == EMAIL
            if mailed:
                mailing[queue_of[c]] -= 1
            if load[agent] == 0:
                chatting_now[agent] = False
                chatting[group_of[agent]].pop(agent, None)
            if on[agent]:
                if chatting_now[agent] and load[agent] < most_chats[group_of[agent]]:
                    chatting[group_of[agent]][agent] = None
                pull(agent, now)
            if mailed:
                dispatch_mail(now)
        else:
            c, q = i, queue_of[i]
            i += 1
            chosen = -1
            if channel[q] == CHAT:
                for g in groups_of[q]:
                    if calls_of[g] and oldest_call(g, ta) < inf:
                        continue  # this group's chatting agents drain for a waiting call
                    for agent in chatting[g]:
                        if load[agent] < cap[q]:
                            chosen = agent
                            break
                    if chosen >= 0:
                        break
            if chosen < 0 and (channel[q] != EMAIL or mailing[q] < limit[q][now_t]):
                chosen = longest_idle(q)
            if chosen >= 0:
                take(chosen, c, ta)
            else:
                waiting[q].append(c)
    return start, handled_by
