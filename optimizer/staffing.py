"""Staffing: demand frames and a service target in, agents and service measures per interval out.

Two head counts appear throughout. **Agents** are people on the floor handling contacts, what the queueing
maths needs. **Scheduled** people are on shift and not on a scheduled break; shrinkage (absence, training,
meetings) takes a share of them, so ``agents = floor(scheduled (1 - shrinkage))`` and the requirement is
its inverse ``required = ceil(agents / (1 - shrinkage))``. Both round with a tolerance of ``ROUNDING_TOL``
so that, e.g., 10 scheduled at 30 % shrinkage give exactly 7 agents, and ``scheduled >= required`` always
implies ``effective_agents(scheduled) >= agents``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.demand import validate_demand_frame
from optimizer.domain import Automation, ServiceTarget
from optimizer.errors import InputError
from optimizer.interval_law import meet_table
from optimizer.queueing import agents_for_target, offered_load, queue_measures

ROUNDING_TOL = 1e-9
"""Slack of the shrinkage roundings, so that float noise never costs or gains a person."""

__all__ = [
    "ROUNDING_TOL",
    "effective_agents",
    "human_demand",
    "required_staff",
    "service_at",
    "staffing_curves",
    "staffing_requirements",
    "wait_scale",
    "wait_within_s",
]


def wait_scale(target: ServiceTarget) -> float:
    """Return the factor by which non-exponential handle times stretch waiting: ``(1 + handle_cv**2) / 2``.

    1 with patience (Erlang A) and for exponential handle times (``handle_cv = 1``): both are today's maths.

    Notes
    -----
    Allen-Cunneen's approximation for the G/G/n queue scales the M/M/n waiting time by
    ``(ca**2 + cs**2) / 2``; with Poisson arrivals (``ca = 1``) and handle-time coefficient of variation
    ``cs`` that is ``(1 + cs**2) / 2`` (1.345 at ``cs = 1.3``). Waiting scaled by ``g`` is within ``T`` when
    the M/M/n wait is within ``T / g``, so service levels are evaluated at :func:`wait_within_s` and ASA is
    multiplied by ``g``. Measured against the simulator with lognormal handle times of CV 1.3 (tests:
    ``test_handle_cv``): for Erlang C the corrected ASA is within about 6 % of the simulated one (uncorrected:
    21 % low) and the corrected service level is closer where the threshold is long against the handle time
    (60 s on 120 s: 1.0-2.4 points off against 3.5); at 20-30 s on 240-300 s the simulated loss lies about
    half-way between the two, so there the correction errs by as much as none, on the safe side. With
    abandonment the simulated level hardly moves (impatient callers cap the waits) and the correction
    overshot by 1-3 points, so Erlang A is left uncorrected.

    References
    ----------
    .. [1] A. O. Allen, "Probability, Statistics, and Queueing Theory", 2nd ed., Academic Press, 1990,
       section 6.4 (the Allen-Cunneen approximation).
    .. [2] W. Whitt, "Approximations for the GI/G/m queue", Production and Operations Management 2(2), 1993.
    """
    if target.patience_s is not None:
        return 1.0
    return (1.0 + target.handle_law_cv**2) / 2.0


def wait_within_s(target: ServiceTarget) -> float:
    """Return the answer threshold the Erlang formulas are evaluated at [s]: ``answer_within_s / wait_scale``."""
    return target.answer_within_s / wait_scale(target)


def _asa_ceiling_s(target: ServiceTarget) -> float | None:
    return None if target.max_asa_s is None else target.max_asa_s / wait_scale(target)


def human_demand(demand: pd.DataFrame, automation: Automation) -> pd.DataFrame:
    """Return the demand that reaches people after the bot: fewer contacts, longer handle times.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame (:func:`optimizer.demand.validate_demand_frame`) of all incoming contacts.
    automation : Automation
        Bot containment and the handle-time uplift of escalated contacts.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; ``volume`` and every ``volume_*`` column (quantiles) times
        ``1 - containment``, ``aht_s`` and every ``aht_s_*`` column times ``1 + escalated_aht_uplift``.

    Raises
    ------
    DataError
        When ``demand`` breaks the demand-frame contract.

    Notes
    -----
    The bot resolves a fixed share of contacts in every interval, and contacts reaching a person take longer
    because the easy ones were contained and the customer has already explained the problem once.
    Practitioner reports put containment of chat bots at 40-60 % and the handle-time increase of what reaches
    people at 15-40 %; neither is a default here, both come from :class:`~optimizer.domain.Automation`.
    Quantile columns scale like the mean, which assumes containment does not vary with volume.
    """
    out = validate_demand_frame(demand)
    for column in out.columns:
        if column == "volume" or (column.startswith("volume_") and column != "volume_cv"):  # a CV has no unit
            out[column] = out[column] * (1.0 - automation.containment)
        elif column == "aht_s" or column.startswith("aht_s_"):
            out[column] = out[column] * (1.0 + automation.escalated_aht_uplift)
    return out


def required_staff(agents: np.ndarray, shrinkage: float) -> np.ndarray:
    """Return the people to schedule so that ``agents`` remain on the floor after shrinkage.

    Parameters
    ----------
    agents : ndarray of int
        Agents needed on the floor.
    shrinkage : float
        Share of scheduled time lost to absence, training and meetings, in [0, 1).

    Returns
    -------
    ndarray of int64
        ``ceil(agents / (1 - shrinkage) - ROUNDING_TOL)``.
    """
    return np.ceil(np.asarray(agents, dtype=np.float64) / (1.0 - shrinkage) - ROUNDING_TOL).astype(np.int64)


def effective_agents(scheduled: np.ndarray, shrinkage: float) -> np.ndarray:
    """Return the agents on the floor when ``scheduled`` people are on shift and not on break.

    Parameters
    ----------
    scheduled : ndarray
        People on shift and not on break.
    shrinkage : float
        Share of scheduled time lost to absence, training and meetings, in [0, 1).

    Returns
    -------
    ndarray of int64
        ``floor(scheduled * (1 - shrinkage) + ROUNDING_TOL)``, the inverse of :func:`required_staff`.
    """
    people = np.asarray(scheduled, dtype=np.float64)
    return np.floor(people * (1.0 - shrinkage) + ROUNDING_TOL).astype(np.int64)


def _loads(demand: pd.DataFrame, interval_min: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame = validate_demand_frame(demand, interval_min=interval_min)
    aht = frame["aht_s"].to_numpy()
    return frame, offered_load(frame["volume"].to_numpy(), aht, interval_min), aht


def staffing_requirements(demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int) -> pd.DataFrame:
    """Return the agents and the people to schedule that meet the service target in every interval.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people (see :func:`human_demand`).
    target : ServiceTarget
        Service level within ``answer_within_s``, optional ASA ceiling, occupancy cap, shrinkage, patience
        (Erlang A when set, else Erlang C) and concurrency.
    interval_min : int
        Interval length [min].

    Returns
    -------
    pandas.DataFrame
        Indexed like ``demand``:

        ============  ======================================================================================
        ``volume``    contacts reaching people (float)
        ``aht_s``     their average handle time [s] (float)
        ``agents``    fewest agents on the floor meeting every part of the target (int); 0 when volume is 0
        ``required``  people to schedule on shift and not on break, ``ceil(agents / (1 - shrinkage))`` (int)
        ============  ======================================================================================

    Raises
    ------
    DataError
        When ``demand`` breaks the demand-frame contract.
    ValueError
        When ``target`` has a ``confidence`` with ``confidence_scope == "share"`` (not an interval's own need).

    Notes
    -----
    With ``target.confidence`` set and ``confidence_scope == "interval"``, ``agents`` is also at least the
    fewest whose modelled probability of meeting the service level (:mod:`optimizer.interval_law`, over a rate
    read from the frame's ``volume_pXX`` columns, else ``target.volume_cv``) is ``confidence``, so
    :func:`optimizer.risk.meet_probability` is at least ``confidence`` in every interval. The ASA ceiling and
    the occupancy cap still apply at the forecast volume only. The
    ``"share"`` scope spreads people across intervals and lives in :func:`optimizer.requirement.staff_for_target`.
    """
    if target.confidence is not None and target.confidence_scope == "share":
        raise ValueError(
            "staffing_requirements staffs each interval on its own; a 'share' confidence spreads people across "
            "intervals: use optimizer.requirement.staff_for_target"
        )
    frame, load, aht = _loads(demand, interval_min)

    def agents_at(offered: np.ndarray, max_occupancy: float) -> np.ndarray:
        return np.asarray(
            agents_for_target(
                offered,
                aht,
                service_level=target.service_level,
                within_s=wait_within_s(target),
                max_asa_s=_asa_ceiling_s(target),
                max_occupancy=max_occupancy,
                patience_s=target.patience_s,
                concurrency=target.concurrency,
            )
        )

    agents = agents_at(load, target.max_occupancy)
    if target.confidence is not None and target.confidence_scope == "interval":
        meets = meet_table(
            frame, target, interval_min=interval_min, level=target.service_level, erlang_within_s=wait_within_s(target)
        )
        agents = np.maximum(agents, meets.fewest(target.confidence))
    return pd.DataFrame(
        {
            "volume": frame["volume"],
            "aht_s": frame["aht_s"],
            "agents": agents,
            "required": required_staff(agents, target.shrinkage),
        },
        index=frame.index,
    )


def _scheduled(scheduled: np.ndarray | pd.Series, size: int) -> np.ndarray:
    values = np.asarray(scheduled, dtype=np.float64)
    field = "scheduled"
    if values.shape != (size,):
        raise InputError.single(field, f"has shape {values.shape}, expected one value per interval ({size})")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = f"{field}[{i}]"
        raise InputError.single(row, f"must be finite and >= 0, got {values[i]:g}")
    return values


def service_at(
    demand: pd.DataFrame, scheduled: np.ndarray | pd.Series, target: ServiceTarget, *, interval_min: int
) -> pd.DataFrame:
    """Return the forecast service measures when ``scheduled`` people are on shift in each interval.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people.
    scheduled : ndarray or Series
        People on shift and not on break per interval (positionally aligned with ``demand``), >= 0.
    target : ServiceTarget
        Answer threshold, shrinkage, patience and concurrency are used; the target levels are not.
    interval_min : int
        Interval length [min].

    Returns
    -------
    pandas.DataFrame
        Indexed like ``demand``, measured at ``effective_agents(scheduled, shrinkage)`` agents:

        =================  =================================================================================
        ``service_level``  share answered within ``answer_within_s``; 1.0 when volume is 0; 0.0 for an
                           unstable Erlang C queue (agents x concurrency <= load)
        ``asa_s``          average speed of answer [s]; 0.0 when volume is 0; ``inf`` for an unstable Erlang
                           C queue (callers serialising to JSON write null)
        ``occupancy``      busy share of agents' time; 0.0 when volume is 0 or nobody is on the floor
        ``abandon_rate``   share of contacts abandoning; only when ``target.patience_s`` is set
        =================  =================================================================================

    Raises
    ------
    DataError
        When ``demand`` breaks the demand-frame contract.
    InputError
        When ``scheduled`` has the wrong length or a negative or non-finite value.
    """
    frame, load, aht = _loads(demand, interval_min)
    agents = effective_agents(_scheduled(scheduled, len(frame)), target.shrinkage)
    m = queue_measures(
        agents,
        load,
        aht,
        wait_within_s(target),
        patience_s=target.patience_s,
        concurrency=target.concurrency,
    )
    columns = {"service_level": m.service_level, "asa_s": m.asa_s * wait_scale(target), "occupancy": m.occupancy}
    if target.patience_s is not None:
        columns["abandon_rate"] = m.p_abandon
    return pd.DataFrame(columns, index=frame.index)


def staffing_curves(
    demand: pd.DataFrame, target: ServiceTarget, *, interval_min: int, max_scheduled: int
) -> np.ndarray:
    """Return the expected contacts answered within the target time for every head count 0..max_scheduled.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people.
    target : ServiceTarget
        Answer threshold, shrinkage, patience and concurrency are used.
    interval_min : int
        Interval length [min].
    max_scheduled : int
        Largest head count to tabulate, >= 0.

    Returns
    -------
    ndarray, shape (T, max_scheduled + 1)
        ``curve[t, s] = volume[t] * service_level(effective_agents(s), t)``: contacts answered within
        ``answer_within_s`` in interval ``t`` with ``s`` people scheduled. Non-decreasing in ``s``.

    Raises
    ------
    DataError
        When ``demand`` breaks the demand-frame contract.
    InputError
        When ``max_scheduled`` is negative.

    Notes
    -----
    The curve is **not** concave everywhere, so a linear objective needs its upper concave envelope or
    integrality:

    * In effective agents ``n``, Erlang C gives 0 while ``n`` (times concurrency) is at or below the load and
      then jumps: ``1 - C(n, a) exp(-(n - a) T / aht)`` is concave only above the load (``C`` is decreasing
      and convex in ``n`` there, Harel 1990), so the whole curve is S-shaped around the load.
    * Through shrinkage, ``effective_agents(s)`` rises by 0 or 1 per person, so the curve has flat steps in
      ``s`` whenever shrinkage > 0.
    * Erlang A (``patience_s`` set) is smooth across the load but is not proven concave.

    References
    ----------
    .. [1] A. Harel, "Convexity properties of the Erlang loss formula", Operations Research 38(3), 1990.
    """
    if isinstance(max_scheduled, bool) or int(max_scheduled) != max_scheduled or max_scheduled < 0:
        field = "max_scheduled"
        raise InputError.single(field, f"must be an integer >= 0, got {max_scheduled!r}")
    frame, load, aht = _loads(demand, interval_min)
    agents = effective_agents(np.arange(int(max_scheduled) + 1), target.shrinkage)
    levels, position = np.unique(agents, return_inverse=True)
    m = queue_measures(
        levels[None, :],
        load[:, None],
        aht[:, None],
        wait_within_s(target),
        patience_s=target.patience_s,
        concurrency=target.concurrency,
    )
    volume = frame["volume"].to_numpy()
    return volume[:, None] * m.service_level[:, position]
