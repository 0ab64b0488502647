"""The event loop: one FCFS queue served by a floor whose size changes at interval boundaries.

Every replication is simulated at once: the ``j``-th contact of all replications is routed in one vectorised
step, so the Python loop runs once per contact of the busiest replication, not once per contact in total.

Rules
-----
* Virtual servers (agents times concurrency, :mod:`optimizer.queueing`) are numbered ``0 .. S-1``; server
  ``i`` is on duty in interval ``t`` when ``i < servers[t]``. When the floor shrinks at a boundary the
  highest-numbered servers leave: they finish the contact in hand and take no new one. When it grows, the new
  servers are free from the boundary on. After the horizon the last interval's floor stays on to drain the
  queue (so late contacts are not stranded by the end of the plan).
* FCFS: contacts are taken in arrival order; each starts on the server that can start it earliest (free and
  on duty), ties to the lowest number, which is the one staying on longest.
* A contact whose start would come later than ``arrival + patience`` abandons at that moment and uses no
  server (Erlang A's exponential patience when the caller draws it so; ``inf`` for none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to every contact, arrays of shape (R, J) aligned with the inputs."""

    answered: np.ndarray
    """True when the contact reached a server."""
    wait_s: np.ndarray
    """Time in queue [s]: until answered, or until abandoning (its patience); ``inf`` if never served."""


def on_duty_from(servers: np.ndarray, interval_s: float) -> np.ndarray:
    """Return ``(T + 1, S)`` earliest on-duty times: entry ``[t, i]`` is when server ``i`` is next on duty.

    The time is ``interval_s * u`` for the first ``u >= t`` with ``servers[u] > i`` (row ``T`` stands for
    everything after the horizon, with the last interval's floor), ``inf`` when there is none.
    """
    n = np.asarray(servers, dtype=np.int64)
    size = max(int(n.max(initial=0)), 1)
    ids = np.arange(size)
    t_max = len(n)
    out = np.empty((t_max + 1, size))
    last = n[-1] if t_max else 0
    out[t_max] = np.where(ids < last, t_max * interval_s, np.inf)
    for t in range(t_max - 1, -1, -1):
        out[t] = np.where(ids < n[t], t * interval_s, out[t + 1])
    return out


def run_floor(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    servers: np.ndarray,
    interval_s: float,
) -> Outcome:
    """Simulate every replication's contacts through the floor.

    Parameters
    ----------
    arrival_s : ndarray, shape (R, J)
        Arrival times after the horizon start [s], sorted along each row; ``inf`` pads rows with fewer contacts.
    handle_s : ndarray, shape (R, J)
        Time the contact occupies its server [s].
    patience_s : ndarray, shape (R, J)
        Longest wait before abandoning [s]; ``inf`` for none.
    servers : ndarray of int, shape (T,)
        Virtual servers on duty in each interval.
    interval_s : float
        Interval length [s].

    Returns
    -------
    Outcome
        ``answered`` and ``wait_s`` per contact; padding entries are meaningless.
    """
    reps, contacts = arrival_s.shape
    on_from = on_duty_from(servers, interval_s)
    last, size = on_from.shape[0] - 1, on_from.shape[1]
    flat = on_from.ravel()
    slot = np.arange(size)
    rows = np.arange(reps)
    free = np.zeros((reps, size))
    answered = np.zeros((reps, contacts), dtype=bool)
    wait = np.empty((reps, contacts))
    per_s = 1.0 / interval_s
    with np.errstate(invalid="ignore"):  # padding: inf - inf where a replication has no contact
        for j in range(contacts):
            a = arrival_s[:, j]
            ready = np.maximum(free, a[:, None])
            t = np.minimum(ready * per_s, last).astype(np.intp)
            start_at = np.maximum(ready, flat[t * size + slot])
            best = start_at.argmin(axis=1)
            start = start_at[rows, best]
            go = start <= a + patience_s[:, j]
            go &= np.isfinite(start)
            free[rows[go], best[go]] = start[go] + handle_s[go, j]
            answered[:, j] = go
            wait[:, j] = np.where(go, start - a, patience_s[:, j])
    return Outcome(answered=answered, wait_s=wait)
