"""Per-interval and horizon-wide measures of a simulation, and which intervals are at risk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from optimizer.domain import Channel
from optimizer.simulation.engine import Outcome

SIMULATION_COLUMNS = (
    "interval_start",
    "volume",
    "scheduled",
    "agents",
    "contacts",
    "service_level",
    "service_level_p10",
    "service_level_p90",
    "p_meet",
    "asa_s",
    "abandon_rate",
    "at_risk",
)
"""Columns of ``simulation.csv``, in order."""

HORIZON_INTERVAL = (0.05, 0.95)
"""Quantiles of the replications' horizon service level reported as its 90 % interval."""


class QueueSimulationSummary(BaseModel):
    """Headline numbers of one queue of a several-queue simulation, next to what the plan modelled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queue: str = Field(description="Queue name.")
    channel: Channel = Field(description="'voice', 'chat' or 'email'.")
    service_level: float = Field(
        description=(
            "Live: share of the simulated contacts answered within the target time; e-mail: share handled "
            "within the window, of the e-mails due inside the horizon (0-1)."
        )
    )
    service_level_low: float = Field(description="5th percentile over replications (0-1).")
    service_level_high: float = Field(description="95th percentile over replications (0-1).")
    plan_service_level: float | None = Field(
        description="The plan's modelled figure for the queue at the forecast (`kpis.queues`); null when the plan "
        "has none."
    )
    plan_expected_level: float | None = Field(
        None,
        description="The plan's expected level for the queue (`kpis.queues[].expected_service_level`, from its own "
        "simulation with the forecast's error); null when the plan has none.",
    )
    level: float = Field(description="Level an interval must reach to count as met (0-1).")
    share_below_target: float = Field(
        description="Expected share of intervals with forecast contacts that miss the level (0-1)."
    )
    handled_by: dict[str, float] = Field(
        description="Contacts handled per replication by each skill set (queue names joined by '+')."
    )


class SimulationSummary(BaseModel):
    """Headline numbers of a simulation (the JSON form of :class:`SimulationResult` without its rows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reps: int = Field(description="Replications simulated.")
    mode: str = Field(description="How contacts arrived: 'poisson', 'forecast' (uncertain volumes) or 'replay'.")
    level: float = Field(description="Service level an interval must reach to count as met (0-1).")
    risk_below: float = Field(description="An interval is at risk when its probability of meeting is below this.")
    service_level: float = Field(description="Horizon service level over all replications (0-1).")
    service_level_low: float = Field(description="5th percentile of the replications' horizon service level.")
    service_level_high: float = Field(description="95th percentile of the replications' horizon service level.")
    share_below_target: float = Field(
        description="Expected share of intervals with forecast contacts that miss the level (0-1)."
    )
    intervals_at_risk: tuple[AwareDatetime, ...] = Field(
        description="Starts of the intervals at risk, least likely to meet the level first."
    )
    dropped_contacts: int = Field(0, description="Replayed contacts outside the horizon, ignored.")
    horizon_met_share: float | None = Field(
        None,
        description=(
            "Share of replications whose horizon service level reaches the target's `service_level` (0-1): the "
            "simulated counterpart of the plan's `p_meet_horizon`; null for several queues."
        ),
    )
    queues: tuple[QueueSimulationSummary, ...] = Field(
        (),
        description=(
            "Several queues: each queue's numbers; the headline numbers above then pool the live queues. "
            "Empty with one queue."
        ),
    )


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What a simulation found.

    Attributes
    ----------
    intervals : pandas.DataFrame
        One row per interval, indexed by ``interval_start``:

        =====================  ==============================================================================
        ``volume``             forecast contacts reaching people
        ``scheduled``          people on shift and not on break
        ``agents``             agents taking contacts (after shrinkage)
        ``contacts``           simulated arrivals, mean over replications
        ``service_level``      share of all simulated arrivals answered within the threshold (pooled); 1.0
                               when none arrived
        ``service_level_p10``  10th percentile over replications of the interval's service level (a
                               replication without arrivals counts 1.0)
        ``service_level_p90``  90th percentile, likewise
        ``p_meet``             share of replications whose interval reaches ``level``
        ``asa_s``              mean time in queue of all arrivals [s], abandoned ones until they left;
                               ``inf`` when contacts were never served
        ``abandon_rate``       share of arrivals that abandoned
        ``at_risk``            ``volume > 0`` and ``p_meet < risk_below``
        =====================  ==============================================================================
    service_level : float
        Horizon service level over all replications (pooled).
    service_level_low, service_level_high : float
        5th and 95th percentile of the replications' horizon service levels (a 90 % interval).
    reps : int
        Replications simulated.
    level : float
        Service level an interval must reach to count as met.
    risk_below : float
        ``p_meet`` under which an interval is at risk.
    mode : str
        'poisson', 'forecast' or 'replay'.
    dropped_contacts : int
        Replayed contacts outside the horizon (ignored).
    horizon_met_share : float, optional
        Share of replications whose horizon service level reaches the target's level (None if not asked).
    """

    intervals: pd.DataFrame
    service_level: float
    service_level_low: float
    service_level_high: float
    reps: int
    level: float
    risk_below: float
    mode: str
    dropped_contacts: int = 0
    horizon_met_share: float | None = None

    def at_risk(self) -> pd.DataFrame:
        """Return the rows of the intervals at risk, least likely to meet the target first."""
        rows = self.intervals[self.intervals["at_risk"]]
        return rows.sort_values(["p_meet", "service_level"], kind="stable")

    def share_below_target(self) -> float:
        """Return the expected share of intervals with forecast contacts that miss the level (0-1)."""
        loaded = self.intervals["volume"] > 0
        return float(1.0 - self.intervals.loc[loaded, "p_meet"].mean()) if loaded.any() else 0.0

    def summary(self) -> SimulationSummary:
        """Return the headline numbers and the intervals at risk."""
        return SimulationSummary(
            reps=self.reps,
            mode=self.mode,
            level=self.level,
            risk_below=self.risk_below,
            service_level=self.service_level,
            service_level_low=self.service_level_low,
            service_level_high=self.service_level_high,
            share_below_target=self.share_below_target(),
            intervals_at_risk=tuple(ts.to_pydatetime() for ts in self.at_risk().index),
            dropped_contacts=self.dropped_contacts,
            horizon_met_share=self.horizon_met_share,
        )

    def frame(self) -> pd.DataFrame:
        """Return ``simulation.csv``'s frame: ``interval_start`` as ISO 8601 text, rounded measures."""
        out = self.intervals.reset_index()
        out["interval_start"] = [ts.isoformat() for ts in out["interval_start"]]
        rounding = {"volume": 3, "contacts": 3, "asa_s": 2}
        for column in SIMULATION_COLUMNS:
            if out[column].dtype.kind == "f":
                out[column] = out[column].round(rounding.get(column, 4))
        return out[list(SIMULATION_COLUMNS)]


def summarise(
    demand: pd.DataFrame,
    scheduled: np.ndarray,
    agents: np.ndarray,
    arrival_s: np.ndarray,
    outcome: Outcome,
    *,
    interval_s: float,
    within_s: float,
    level: float,
    risk_below: float,
    mode: str,
    dropped: int,
    horizon_level: float | None = None,
) -> SimulationResult:
    """Aggregate every contact's outcome to intervals and replications (see :class:`SimulationResult`).

    With ``horizon_level`` the result also counts the replications whose horizon level reaches it.
    """
    reps = arrival_s.shape[0]
    size = len(demand)
    valid = np.isfinite(arrival_s)
    t_of = np.minimum(np.where(valid, arrival_s, 0.0) / interval_s, size - 1).astype(np.int64)
    key = (np.arange(reps)[:, None] * size + t_of)[valid]
    fast = (outcome.answered & (outcome.wait_s <= within_s))[valid]
    abandoned = (~outcome.answered)[valid]
    wait = outcome.wait_s[valid]

    def per(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=reps * size).reshape(reps, size).astype(np.float64)

    arrived = per(None)
    met = per(fast.astype(np.float64))
    with np.errstate(invalid="ignore"):
        waited = per(wait)
    total = arrived.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sl_rep = np.where(arrived > 0, met / np.maximum(arrived, 1.0), 1.0)
        pooled = np.where(total > 0, met.sum(axis=0) / np.maximum(total, 1.0), 1.0)
        asa = np.where(total > 0, waited.sum(axis=0) / np.maximum(total, 1.0), 0.0)
        abandon = np.where(total > 0, per(abandoned.astype(np.float64)).sum(axis=0) / np.maximum(total, 1.0), 0.0)
    p_meet = (sl_rep >= level - 1e-12).mean(axis=0)
    volume = demand["volume"].to_numpy()
    intervals = pd.DataFrame(
        {
            "volume": volume,
            "scheduled": np.asarray(scheduled, dtype=np.int64),
            "agents": np.asarray(agents, dtype=np.int64),
            "contacts": total / reps,
            "service_level": pooled,
            "service_level_p10": np.quantile(sl_rep, 0.1, axis=0),
            "service_level_p90": np.quantile(sl_rep, 0.9, axis=0),
            "p_meet": p_meet,
            "asa_s": asa,
            "abandon_rate": abandon,
            "at_risk": (volume > 0) & (p_meet < risk_below),
        },
        index=demand.index,
    )
    horizon_arrived = arrived.sum(axis=1)
    horizon = np.where(horizon_arrived > 0, met.sum(axis=1) / np.maximum(horizon_arrived, 1.0), 1.0)
    low, high = np.quantile(horizon, HORIZON_INTERVAL)
    return SimulationResult(
        intervals=intervals,
        service_level=float(met.sum() / arrived.sum()) if arrived.sum() > 0 else 1.0,
        service_level_low=float(low),
        service_level_high=float(high),
        reps=reps,
        level=level,
        risk_below=risk_below,
        mode=mode,
        dropped_contacts=dropped,
        horizon_met_share=None if horizon_level is None else float((horizon >= horizon_level - 1e-12).mean()),
    )
