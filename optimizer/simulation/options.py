"""How to simulate a plan: replications, seed, arrival randomness, handle-time spread, risk threshold."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SimulationOptions(BaseModel):
    """Knobs of one simulation of a plan's floor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reps: int = Field(200, ge=1, le=10_000, description="Replications of the horizon.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of the random number generator.")
    volumes: Literal["poisson", "forecast", "counts"] = Field(
        "forecast",
        description=(
            "'poisson': contacts arrive as a Poisson process at each interval's forecast volume; 'forecast': "
            "each replication first draws the interval's true volume from the forecast's uncertainty "
            "(quantile columns, else `volume_cv`; a share `horizon_volume_cv` common to the horizon), then "
            "Poisson arrivals at it; 'counts': exactly the "
            "interval's volume (rounded) arrives, at uniform times (actual volumes, e.g. in backtests)."
        ),
    )
    volume_cv: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description=(
            "Coefficient of variation of an interval's true volume around the forecast when the demand has no "
            "quantile columns; null: the service target's `volume_cv`, else the built-in default (0.10)."
        ),
    )
    horizon_volume_cv: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "Coefficient of variation of the forecast error the whole horizon shares (one draw per replication, "
            "part of `volume_cv`, so each interval's law is unchanged); null: the service target's "
            "`horizon_volume_cv`, else the built-in default (0.05)."
        ),
    )
    handle_cv: float | None = Field(
        None,
        gt=0.0,
        le=5.0,
        description=(
            "Coefficient of variation of handle times (lognormal; 1 is exponential); "
            "null: the service target's `handle_cv`."
        ),
    )
    aht: Literal["expected", "realised"] = Field(
        "expected",
        description=(
            "'expected': each interval's `aht_s` is the mean its handle times are drawn around (a forecast); "
            "'realised': it is what the interval's contacts averaged (a history's actual AHT, with `volumes: "
            "counts`), so each replication's draws in the interval are scaled to average it exactly and the "
            "spread between contacts is not added twice."
        ),
    )
    email: Literal["when_idle", "as_planned"] = Field(
        "as_planned",
        description=(
            "Several queues: 'as_planned' (default): an agent with no live contact of their skills waiting "
            "takes the oldest e-mail of their skills, while fewer agents work that e-mail queue than the plan "
            "routes to it in the interval (the plan's model of e-mail, which its levels assume); 'when_idle': "
            "no such limit (a floor where every idle blended agent starts an e-mail, so the live queues lose "
            "the agents an e-mail ties up)."
        ),
    )
    risk_below: float | None = Field(
        None,
        gt=0.0,
        lt=1.0,
        description=(
            "An interval is at risk when its probability of meeting the target is below this (0-1); "
            "null: the service target's `confidence`, else 0.7."
        ),
    )

    @model_validator(mode="after")
    def _realised_aht_needs_counts(self) -> Self:
        if self.aht == "realised" and self.volumes != "counts":
            raise ValueError("aht: 'realised' is an interval's actual mean, so it needs volumes: 'counts'")
        return self
