"""Contacts for every replication (Poisson, forecast-uncertain, or replayed) through a plan's floor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer._erlang import virtual_servers
from optimizer.demand import validate_demand_frame
from optimizer.domain import Plan, PlanningProblem, ServiceTarget
from optimizer.errors import InputError
from optimizer.kpis import scheduled_agents
from optimizer.requirement import floor_target, people_demand
from optimizer.risk import risk_threshold
from optimizer.simulation.arrivals import draw_contacts
from optimizer.simulation.engine import run_floor
from optimizer.simulation.options import SimulationOptions
from optimizer.simulation.result import SimulationResult, summarise
from optimizer.staffing import effective_agents


def _replay(contacts: pd.DataFrame, index: pd.DatetimeIndex, interval_s: float) -> tuple[pd.DataFrame, int]:
    """Return the contacts inside the horizon with ``offset_s`` after its start, and how many were outside."""
    start = index[0].as_unit("ns").value
    offset_s = (contacts["arrival"].dt.as_unit("ns").astype("int64").to_numpy() - start) / 1e9
    inside = (offset_s >= 0) & (offset_s < len(index) * interval_s)
    if not inside.any():
        problem = f"no contact arrives inside the horizon {index[0].isoformat()} .. {index[-1].isoformat()}"
        raise InputError.single("contacts.arrival", problem)
    kept = contacts.loc[inside].assign(offset_s=offset_s[inside]).reset_index(drop=True)
    return kept, int((~inside).sum())


def simulate_floor(
    demand: pd.DataFrame,
    scheduled: np.ndarray,
    target: ServiceTarget,
    options: SimulationOptions | None = None,
    contacts: pd.DataFrame | None = None,
    *,
    interval_min: int,
    level: float | None = None,
) -> SimulationResult:
    """Simulate the floor ``scheduled`` people give against ``demand``, replication by replication.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people (``volume``, ``aht_s``, optional ``volume_pXX``).
    scheduled : ndarray of int
        People on shift and not on break per interval; ``effective_agents(scheduled, shrinkage)`` take contacts.
    target : ServiceTarget
        Threshold, shrinkage, patience (abandonment when set), concurrency, ``handle_cv`` and ``volume_cv``.
    options : SimulationOptions, optional
        Replications, seed, arrival mode and overrides; defaults when None.
    contacts : pandas.DataFrame, optional
        Contacts frame (:mod:`optimizer.simulation.contacts`) to replay instead of drawing arrivals.
    interval_min : int
        Interval length [min].
    level : float, optional
        Service level an interval must reach to count as met; ``target.service_level`` when None.

    Returns
    -------
    SimulationResult

    Raises
    ------
    DataError, InputError
        On a bad demand frame, a ``scheduled`` of the wrong length, or contacts outside the horizon.

    Notes
    -----
    With concurrency ``k`` every agent is ``k`` servers working at ``aht_s * f(k)`` (the queueing module's
    model). Replayed handle times are used as recorded; missing patience is drawn exponential with mean
    ``target.patience_s`` (none when unset). A replay without anything random runs one replication.
    """
    opts = options or SimulationOptions()
    frame = validate_demand_frame(demand, interval_min=interval_min)
    people = np.asarray(scheduled)
    if people.shape != (len(frame),):
        field = "scheduled"
        raise InputError.single(field, f"has shape {people.shape}, expected one value per interval ({len(frame)})")
    interval_s = interval_min * 60.0
    agents = effective_agents(people, target.shrinkage)
    servers, _, aht = virtual_servers(agents, np.zeros(()), frame["aht_s"].to_numpy(), target.concurrency)
    rng = np.random.default_rng(opts.seed)
    cv = opts.handle_cv if opts.handle_cv is not None else target.handle_law_cv
    dropped = 0
    if contacts is None:
        arrival, handle = draw_contacts(
            rng,
            frame,
            aht,
            opts,
            volume_cv=target.volume_cv,
            handle_cv=cv,
            interval_s=interval_s,
            horizon_cv=target.horizon_volume_cv,
        )
        mode: str = opts.volumes
        patience_known = np.zeros(arrival.shape, dtype=bool)
        patience = np.full(arrival.shape, np.inf)
    else:
        kept, dropped = _replay(contacts, pd.DatetimeIndex(frame.index), interval_s)
        known = kept["patience_s"].to_numpy() if "patience_s" in kept.columns else np.full(len(kept), np.nan)
        random = target.patience_s is not None and bool(np.isnan(known).any())
        reps = opts.reps if random else 1
        arrival = np.broadcast_to(kept["offset_s"].to_numpy(), (reps, len(kept))).copy()
        handle = np.broadcast_to(kept["handle_s"].to_numpy(), arrival.shape).copy()
        patience_known = np.broadcast_to(~np.isnan(known), arrival.shape)
        patience = np.broadcast_to(np.where(np.isnan(known), np.inf, known), arrival.shape).copy()
        mode = "replay"
    if target.patience_s is not None:
        draws = rng.exponential(target.patience_s, arrival.shape)
        patience = np.where(patience_known, patience, draws)
    outcome = run_floor(arrival, handle, patience, servers, interval_s)
    return summarise(
        frame,
        people,
        agents,
        arrival,
        outcome,
        interval_s=interval_s,
        within_s=target.answer_within_s,
        level=target.service_level if level is None else level,
        risk_below=opts.risk_below or risk_threshold(target),
        mode=mode,
        dropped=dropped,
        horizon_level=target.service_level,
    )


def simulate_plan(
    problem: PlanningProblem,
    plan: Plan,
    options: SimulationOptions | None = None,
    contacts: pd.DataFrame | None = None,
) -> SimulationResult:
    """Simulate a plan's floor on its problem's demand (after the bot), counted as the plan counts it.

    People on the floor are :func:`optimizer.kpis.scheduled_agents` of the plan's shifts (gig at the fill
    rate), less shrinkage (:func:`optimizer.staffing.effective_agents`); each interval must reach the
    target's per-interval level (the interval floor under ``scope: horizon``).

    Raises
    ------
    InputError
        When the plan does not belong to the problem, or as :func:`simulate_floor`.
    """
    if plan.interval_min != problem.interval_min or len(plan.coverage) != len(problem.demand):
        problem_text = (
            f"has {len(plan.coverage)} intervals of {plan.interval_min} min, the problem "
            f"{len(problem.demand)} of {problem.interval_min} min"
        )
        raise InputError.single("plan.coverage", problem_text)
    demand = people_demand(problem)
    pool = problem.workforce.gig_pool
    scheduled = scheduled_agents(
        pd.DatetimeIndex(demand.index), problem.interval_min, plan.shifts, pool.fill_rate if pool else 1.0
    )
    target = problem.service_target
    return simulate_floor(
        demand,
        scheduled,
        target,
        options,
        contacts,
        interval_min=problem.interval_min,
        level=floor_target(target).service_level,
    )
