"""What a several-queue simulation found: each queue's :class:`SimulationResult`, who handled what, the pool."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.domain import Channel
from optimizer.simulation.result import (
    HORIZON_INTERVAL,
    SIMULATION_COLUMNS,
    QueueSimulationSummary,
    SimulationResult,
    SimulationSummary,
)

QUEUE_SIMULATION_COLUMNS = ("interval_start", "queue", "channel", *SIMULATION_COLUMNS[1:], "plan_service_level")
"""Columns of a several-queue ``simulation.csv``, in order (one row per interval and queue, interval-major)."""


@dataclass(frozen=True, slots=True)
class QueueSimulation:
    """One queue of a several-queue simulation.

    Attributes
    ----------
    queue, channel : str
        The queue and its channel.
    result : SimulationResult
        Its rows and horizon numbers, as the one-queue simulator reports them. ``scheduled`` and ``agents``
        are the people the plan routes to the queue and those left after its shrinkage (the simulation
        itself routes every contact to any skilled agent); ``intervals`` also has ``plan_service_level``
        (the plan's modelled level of the interval; NaN for e-mail). For e-mail, ``service_level`` is the
        share handled within the window, ``asa_s`` the mean time to handle [s] and ``abandon_rate`` the
        share never handled; e-mails whose window ends after the horizon are not counted (as the plan).
    plan_service_level : float or None
        The plan's modelled figure for the queue (``Plan.kpis.queues``), None without one.
    plan_expected_level : float or None
        The plan's expected level for the queue (``QueueKpis.expected_service_level``), None without one.
    """

    queue: str
    channel: Channel
    result: SimulationResult
    plan_service_level: float | None
    plan_expected_level: float | None = None


@dataclass(frozen=True, slots=True)
class QueueSimulationResult:
    """What a several-queue simulation found.

    Attributes
    ----------
    queues : tuple of QueueSimulation
        One per queue, in the problem's order.
    handled_by : pandas.DataFrame
        Contacts handled per replication (mean), indexed by queue, one column per skill set (its queue
        names joined by ``+``): who worked what under the routing rule.
    service_level, service_level_low, service_level_high : float
        The live queues pooled: share of all live contacts answered within their queue's threshold, and the
        5th and 95th percentile of the replications' pooled level.
    reps : int
        Replications simulated.
    mode : str
        'poisson', 'forecast' or 'counts'.
    """

    queues: tuple[QueueSimulation, ...]
    handled_by: pd.DataFrame
    service_level: float
    service_level_low: float
    service_level_high: float
    reps: int
    mode: str

    def queue(self, name: str) -> QueueSimulation:
        """Return one queue's simulation by name.

        Raises
        ------
        KeyError
            When no queue has that name.
        """
        for q in self.queues:
            if q.queue == name:
                return q
        raise KeyError(name)

    def frame(self) -> pd.DataFrame:
        """Return ``simulation.csv``'s frame: one row per interval and queue, with ``queue`` and ``channel``."""
        parts = []
        for q in self.queues:
            part = q.result.frame()
            part.insert(1, "queue", q.queue)
            part.insert(2, "channel", q.channel)
            part["plan_service_level"] = q.result.intervals["plan_service_level"].round(4).to_numpy()
            parts.append(part.assign(_order=np.arange(len(part))))
        out = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
        return out[list(QUEUE_SIMULATION_COLUMNS)].reset_index(drop=True)

    def summary(self) -> SimulationSummary:
        """Return the headline numbers: the live queues pooled, then each queue's.

        ``level`` and ``risk_below`` are the lowest of the live queues'; intervals at risk are those where any
        live queue is, least likely to meet first.
        """
        live = [q.result for q in self.queues if q.channel != "email"]
        rows = [r.intervals.loc[r.intervals["volume"] > 0, "p_meet"] for r in live]
        loaded = pd.concat(rows) if rows else pd.Series(dtype=float)
        risky = pd.concat([r.at_risk()["p_meet"] for r in live]) if live else pd.Series(dtype=float)
        worst = risky.groupby(level=0).min().sort_values(kind="stable")
        labels = [str(c) for c in self.handled_by.columns]
        per_queue = tuple(
            QueueSimulationSummary(
                queue=q.queue,
                channel=q.channel,
                service_level=q.result.service_level,
                service_level_low=q.result.service_level_low,
                service_level_high=q.result.service_level_high,
                plan_service_level=q.plan_service_level,
                plan_expected_level=q.plan_expected_level,
                level=q.result.level,
                share_below_target=q.result.share_below_target(),
                handled_by=dict(zip(labels, self.handled_by.loc[q.queue].to_numpy(dtype=float).tolist(), strict=True)),
            )
            for q in self.queues
        )
        return SimulationSummary(
            reps=self.reps,
            mode=self.mode,
            level=min((r.level for r in live), default=1.0),
            risk_below=min((r.risk_below for r in live), default=0.0),
            service_level=self.service_level,
            service_level_low=self.service_level_low,
            service_level_high=self.service_level_high,
            share_below_target=1.0 - float(loaded.to_numpy().mean()) if len(loaded) else 0.0,
            intervals_at_risk=tuple(pd.Timestamp(ts).to_pydatetime() for ts in worst.index),
            queues=per_queue,
        )


def pooled_interval(met: np.ndarray, arrived: np.ndarray) -> tuple[float, float, float]:
    """Return the pooled share ``met / arrived`` and its 90 % interval over replications (1.0 without arrivals).

    ``met`` and ``arrived`` are per replication (shape (R,)), summed over the pooled queues.
    """
    share = np.where(arrived > 0, met / np.maximum(arrived, 1.0), 1.0)
    low, high = np.quantile(share, HORIZON_INTERVAL)
    total = float(arrived.sum())
    return (float(met.sum()) / total if total > 0 else 1.0), float(low), float(high)
