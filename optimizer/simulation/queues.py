"""Several queues simulated together: a plan's skill groups on the floor, each queue's contacts, one routing rule.

The plan models each queue on its own: the people it routes to a queue meet that queue's Erlang C/A level
(chat with concurrency), and e-mail is a backlog worked with the people left. Here every contact of every
queue is played through one floor of skilled agents (:mod:`optimizer.simulation.routing`, whose docstring
states the routing rule), so the pooling of skills, a call waiting behind an e-mail, and chats holding a
blended agent all show.

* **Agents**: the plan's people on the floor per skill set and primary skills
  (:func:`optimizer.kpis.skill_groups_with_priority`:
  FTEs by their worker's or contract's skills, gig workers by the pool's at the fill rate), less
  shrinkage as the plan applies it: each queue's shrinkage on the people the plan routes to it. The plan
  reports people per queue, not per skill set, so the split per skill set is
  :func:`optimizer.skills.route` with the plan's per-queue people as the requirement.
* **Contacts**: per queue, by the options' ``volumes`` law at the queue's volume after its bot
  (:func:`optimizer.simulation.arrivals.draw_contacts`: Poisson, forecast uncertainty, lognormal handle
  times with the queue target's ``handle_cv``); chats take ``aht_s * f(concurrency)`` as in the plan's model;
  live contacts abandon after an exponential patience when the queue's target has ``patience_s``.
* **E-mail**: an idle skilled agent takes e-mail when no live contact of theirs waits, in the queue's order
  (``Queue.order``: in-window first by default); ``options.email == "as_planned"`` (default) caps the agents
  on an e-mail queue at the people the plan routes to it in the interval, the plan's own model of e-mail
  (the plan's levels assume it); ``"when_idle"`` has no cap, the floor without that discipline.
* **Measures**: live queues as the one-queue simulator (:func:`optimizer.simulation.result.summarise`); an
  e-mail counts as met when it is *handled* (finished) within ``window_h`` of its arrival, over the e-mails
  whose window ends inside the horizon (the plan counts the same work). Random streams are independent
  between queues (no common day-level shock).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizer._erlang import virtual_servers
from optimizer.demand import validate_demand_frame
from optimizer.domain import Plan, PlanningProblem, Queue, ServiceTarget
from optimizer.errors import InputError
from optimizer.kpis import skill_groups_with_priority
from optimizer.requirement import floor_target, queue_needs
from optimizer.risk import risk_threshold
from optimizer.simulation.arrivals import draw_contacts
from optimizer.simulation.engine import Outcome
from optimizer.simulation.options import SimulationOptions
from optimizer.simulation.queue_result import QueueSimulation, QueueSimulationResult, pooled_interval
from optimizer.simulation.result import summarise
from optimizer.simulation.routing import CHANNEL_CODE, CHAT, merge_queues, run_queues
from optimizer.skills import route
from optimizer.staffing import ROUNDING_TOL, effective_agents


def _groups(queues: Sequence[Queue], skills: Sequence[Sequence[str]], field: str = "skills") -> list[list[int]]:
    index = {q.name: i for i, q in enumerate(queues)}
    out = []
    for g, names in enumerate(skills):
        unknown = [n for n in names if n not in index]
        if unknown:
            raise InputError.single(f"{field}[{g}]", f"{unknown} not among the queues ({', '.join(index)})")
        out.append(sorted(index[n] for n in names))
    return out


def _measured(
    queue: Queue,
    target: ServiceTarget,
    arrival: np.ndarray,
    began: np.ndarray,
    handle: np.ndarray,
    patience: np.ndarray,
    horizon_s: float,
) -> tuple[np.ndarray, Outcome, float, float]:
    """Return what one queue's measures count: arrivals (``inf`` where not counted), outcome, threshold, level.

    Live: waited until answered (or patience) within ``answer_within_s``; e-mail: handled within ``window_h``
    of arriving, over the e-mails whose window ends inside the horizon.
    """
    answered = np.isfinite(began) & np.isfinite(arrival)
    with np.errstate(invalid="ignore"):  # padding: inf - inf
        if queue.live:
            wait = np.where(answered, began - arrival, patience)
            return arrival, Outcome(answered, wait), target.answer_within_s, floor_target(target).service_level
        window_s = (queue.window_h or 0.0) * 3600.0
        wait = np.where(answered, began + handle - arrival, np.inf)
        counted = np.where(arrival + window_s <= horizon_s, arrival, np.inf)
    return counted, Outcome(answered, wait), window_s, queue.share_within


def simulate_queue_floor(
    queues: Sequence[Queue],
    demand: Sequence[pd.DataFrame],
    skills: Sequence[Sequence[str]],
    agents: np.ndarray,
    options: SimulationOptions | None = None,
    *,
    target: ServiceTarget,
    interval_min: int,
    scheduled: np.ndarray | None = None,
    primary: Sequence[Sequence[str]] | None = None,
) -> QueueSimulationResult:
    """Simulate several queues served by skill groups of agents, replication by replication.

    Parameters
    ----------
    queues : sequence of Queue
        The queues (channel, own target, e-mail window).
    demand : sequence of pandas.DataFrame
        Per queue, the demand frame of its contacts reaching people (``volume``, ``aht_s``, optional
        ``volume_pXX``), all on the same intervals.
    skills : sequence of sequence of str
        Queue names each skill group may work.
    agents : ndarray of int, shape (G, T)
        Agents of each group taking contacts per interval (after shrinkage).
    options : SimulationOptions, optional
        Replications, seed, arrival law, handle-time CV (overrides every queue's), risk threshold.
    target : ServiceTarget
        Target of the queues without their own.
    interval_min : int
        Interval length [min].
    scheduled : ndarray of int, shape (Q, T), optional
        People the plan routes to each queue, reported per queue with the agents its shrinkage leaves;
        by default every agent skilled for the queue.
    primary : sequence of sequence of str, optional
        Queue names each skill group serves first (skill priority, ``routing`` module rule); None: none.

    Returns
    -------
    QueueSimulationResult

    Raises
    ------
    DataError, InputError
        On a bad demand frame, frames of different lengths, ``agents`` of the wrong shape, or an unknown
        queue in ``skills``.
    """
    opts = options or SimulationOptions()
    frames = [validate_demand_frame(d, interval_min=interval_min) for d in demand]
    size = len(frames[0]) if frames else 0
    if len(frames) != len(queues) or any(len(f) != size for f in frames):
        lengths = [len(f) for f in frames]
        problem = f"needs one frame per queue ({len(queues)}) of equal length, got lengths {lengths}"
        raise InputError.single("demand", problem)
    groups = _groups(queues, skills)
    firsts = _groups(queues, primary, "primary") if primary is not None else [[] for _ in groups]
    if len(firsts) != len(groups):
        raise InputError.single("primary", f"has {len(firsts)} groups, skills {len(groups)}")
    floor = np.asarray(agents, dtype=np.int64)
    if floor.shape != (len(groups), size):
        raise InputError.single("agents", f"has shape {floor.shape}, expected ({len(groups)}, {size})")
    if scheduled is not None and np.shape(scheduled) != (len(queues), size):
        expected = f"({len(queues)}, {size})"
        raise InputError.single("scheduled", f"has shape {np.shape(scheduled)}, expected {expected}")
    targets = [q.service_target or target for q in queues]
    interval_s = interval_min * 60.0
    rng = np.random.default_rng(opts.seed)
    arrivals, handles, patiences = [], [], []
    for queue, frame, tgt in zip(queues, frames, targets, strict=True):
        k = tgt.concurrency if queue.channel == "chat" else 1
        aht = virtual_servers(np.zeros(()), np.zeros(()), frame["aht_s"].to_numpy(), k)[2]
        cv = opts.handle_cv if opts.handle_cv is not None else tgt.handle_law_cv
        arrival, handle = draw_contacts(
            rng,
            frame,
            aht,
            opts,
            volume_cv=tgt.volume_cv,
            handle_cv=cv,
            interval_s=interval_s,
            horizon_cv=tgt.horizon_volume_cv,
        )
        arrivals.append(arrival)
        handles.append(handle)
        if queue.live and tgt.patience_s is not None:
            patiences.append(rng.exponential(tgt.patience_s, arrival.shape))
        else:
            patiences.append(np.full(arrival.shape, np.inf))
    contacts, order = merge_queues(arrivals, handles, patiences)
    codes = [CHANNEL_CODE[q.channel] for q in queues]
    caps = [t.concurrency if c == CHAT else 1 for t, c in zip(targets, codes, strict=True)]
    if scheduled is None and opts.email == "as_planned":
        raise InputError.single(
            "options.email",
            "'as_planned' (the default) needs the plan's people per queue (`scheduled`); pass them, or 'when_idle'",
        )
    limit = scheduled if opts.email == "as_planned" else None
    windows = [
        (q.window_h or 0.0) * 3600.0 if not q.live and q.email_order == "in_window_first" else None for q in queues
    ]
    routed = run_queues(contacts, codes, caps, groups, floor, interval_s, limit, firsts, windows)
    start = np.empty_like(routed.start_s)
    handler = np.empty_like(routed.group)
    np.put_along_axis(start, order, routed.start_s, axis=1)
    np.put_along_axis(handler, order, routed.group, axis=1)
    bounds = np.cumsum([0] + [a.shape[1] for a in arrivals])
    if scheduled is None:
        able = [[g for g, s in enumerate(groups) if q in s] for q in range(len(queues))]
        scheduled = np.array([floor[rows].sum(axis=0) for rows in able]).reshape(len(queues), size)
    labels = [
        "+".join(queues[q].name for q in s) + (f" ({'+'.join(queues[q].name for q in p)} first)" if p else "")
        for s, p in zip(groups, firsts, strict=True)
    ]
    handled: dict[str, dict[str, float]] = {}
    per_queue, met_live, arrived_live = [], np.zeros(opts.reps), np.zeros(opts.reps)
    for q, (queue, frame, tgt) in enumerate(zip(queues, frames, targets, strict=True)):
        cols = slice(bounds[q], bounds[q + 1])
        counts = dict.fromkeys(labels, 0.0)  # a plan's gig group may share its skill set with FTEs
        for g, label in enumerate(labels):
            counts[label] += float((handler[:, cols] == g).sum()) / opts.reps
        handled[queue.name] = counts
        arrival, outcome, within_s, level = _measured(
            queue, tgt, arrivals[q], start[:, cols], handles[q], patiences[q], size * interval_s
        )
        result = summarise(
            frame,
            scheduled[q],
            effective_agents(scheduled[q], tgt.shrinkage),
            arrival,
            outcome,
            interval_s=interval_s,
            within_s=within_s,
            level=level,
            risk_below=opts.risk_below or risk_threshold(tgt),
            mode=opts.volumes,
            dropped=0,
        )
        result.intervals["plan_service_level"] = np.nan
        per_queue.append(QueueSimulation(queue.name, queue.channel, result, None))
        if queue.live:
            valid = np.isfinite(arrival)
            met_live += (outcome.answered & (outcome.wait_s <= within_s) & valid).sum(axis=1)
            arrived_live += valid.sum(axis=1)
    level, low, high = pooled_interval(met_live, arrived_live)
    return QueueSimulationResult(
        queues=tuple(per_queue),
        handled_by=pd.DataFrame(handled).T.rename_axis("queue"),
        service_level=level,
        service_level_low=low,
        service_level_high=high,
        reps=opts.reps,
        mode=opts.volumes,
    )


EXPECTED_REPS = 64
"""Most replications of the skill-routed simulation that gives a several-queue plan its expected level per queue.

On the bundled several-queue week, 64 replications put phone, chat and e-mail within 0.3-0.4 points (SD over
seeds) of their mean; most of that noise is the horizon's shared forecast error."""

EXPECTED_CONTACT_REPS = 1_000_000
"""Contacts times replications that simulation may draw: a week past ``EXPECTED_CONTACT_REPS / EXPECTED_REPS``
contacts gets fewer replications (at least ``MIN_EXPECTED_REPS``). Measured: the bundled several-queue week
(12,300 contacts) takes 1.8 s at 64 replications, the same week scaled to 500 people (about 93,000) 6.7 s:
the simulation runs after the solve's time limit, so it is kept near 2 s (3.5 s at 500 people, at the floor)."""

MIN_EXPECTED_REPS = 16
"""Fewest replications, whatever the size: below it one queue's weekly level moves by more than a point between
seeds (phone on the bundled week: SD 1.1 points at 16 replications, 0.3 at 64)."""

MAX_EXPECTED_CONTACTS = 150_000
"""Largest horizon (forecast contacts) that gets expected levels per queue: at ``MIN_EXPECTED_REPS`` it takes
about 5.5 s (2.3 us a contact-replication); past it the plan leaves them null (``shiftmix simulate`` gives them)."""

EXPECTED_SEED = 20_261_207
"""Seed of that simulation: not ``shiftmix simulate``'s default, so a check of the plan draws other weeks."""


def expected_reps(contacts: float) -> int:
    """Return the replications of a plan's expected-level simulation for a horizon of ``contacts``."""
    budget = int(EXPECTED_CONTACT_REPS // max(contacts, 1.0))
    return max(MIN_EXPECTED_REPS, min(EXPECTED_REPS, budget))


def expected_queue_levels(problem: PlanningProblem, plan: Plan) -> tuple[dict[str, float], float] | None:
    """Return each queue's expected level and the live queues' pooled one, from the plan's skill-routed floor.

    The plan's own check of what its floor delivers under its forecast's error, Poisson arrivals, handle-time
    spread and skill routing (:func:`simulate_queue_plan`, :func:`expected_reps` replications with
    forecast-error volumes, seed ``EXPECTED_SEED``): live queues the share answered within target, e-mail the
    share handled within its window. Unlike the level at the
    forecast it counts what skill pooling gains (an all-round agent answers whichever queue waits) and what
    forecast error costs. Why a simulation: the one-queue interval law has no routing; a per-queue law on
    each queue's routed people missed the pooling (chat 86.2% against 89.5% simulated on the bundled week).
    None past ``MAX_EXPECTED_CONTACTS``.
    """
    contacts = sum(d.volume for d in problem.demand)
    if contacts > MAX_EXPECTED_CONTACTS:
        return None
    reps = expected_reps(contacts)
    result = simulate_queue_plan(problem, plan, SimulationOptions(reps=reps, seed=EXPECTED_SEED))
    return {q.queue: q.result.service_level for q in result.queues}, result.service_level


def simulate_queue_plan(
    problem: PlanningProblem, plan: Plan, options: SimulationOptions | None = None
) -> QueueSimulationResult:
    """Simulate a several-queue plan's floor on its problem's queues (module notes) and set it beside the plan.

    Each queue's result carries the plan's modelled figure (``Plan.kpis.queues``) and, per interval, the
    plan's modelled level (``Plan.queue_coverage``).

    Raises
    ------
    InputError
        When the problem has one queue (use :func:`optimizer.simulation.simulate_plan`), or the plan does not
        belong to the problem.
    """
    if not problem.queues:
        raise InputError.single("problem.queues", "is empty: a one-queue plan is simulated by simulate_plan")
    needs = queue_needs(problem)
    starts = pd.DatetimeIndex(needs[0].people.index)
    if plan.interval_min != problem.interval_min or len(plan.queue_coverage) != len(starts) * len(needs):
        problem_text = (
            f"has {len(plan.queue_coverage)} rows of {plan.interval_min} min, the problem's queues need "
            f"{len(starts) * len(needs)} of {problem.interval_min} min"
        )
        raise InputError.single("plan.queue_coverage", problem_text)
    rows = {(r.queue, pd.Timestamp(r.interval_start)): r for r in plan.queue_coverage}
    people = np.array([[rows[n.name, ts].scheduled for ts in starts] for n in needs], dtype=np.int64)
    modelled = np.array(
        [[np.nan if (s := rows[n.name, ts].service_level) is None else s for ts in starts] for n in needs]
    )
    skills, primary, floor = skill_groups_with_priority(problem, starts, plan.shifts)
    split = route(floor, skills, people, [not n.live for n in needs])
    kept = 1.0 - np.array([n.target.shrinkage for n in needs])
    agents = np.floor((split * kept[None, :, None]).sum(axis=1) + ROUNDING_TOL).astype(np.int64)
    names = problem.queue_names
    result = simulate_queue_floor(
        problem.queues,
        [n.people for n in needs],
        [[names[q] for q in sorted(s)] for s in skills],
        agents,
        options,
        target=problem.service_target,
        interval_min=problem.interval_min,
        scheduled=people,
        primary=[[names[q] for q in sorted(p)] for p in primary],
    )
    claimed = {k.queue: k.service_level for k in plan.kpis.queues}
    expected = {k.queue: k.expected_service_level for k in plan.kpis.queues}
    for q, sim in enumerate(result.queues):
        sim.result.intervals["plan_service_level"] = modelled[q]
    return QueueSimulationResult(
        queues=tuple(
            QueueSimulation(s.queue, s.channel, s.result, claimed.get(s.queue), expected.get(s.queue))
            for s in result.queues
        ),
        handled_by=result.handled_by,
        service_level=result.service_level,
        service_level_low=result.service_level_low,
        service_level_high=result.service_level_high,
        reps=result.reps,
        mode=result.mode,
    )
