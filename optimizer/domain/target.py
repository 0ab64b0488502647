"""What the service must reach: the wait-time target and the bot's share of contacts."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from optimizer.domain._base import _Domain

MAX_ANSWER_WITHIN_S = 7 * 24 * 3600.0
"""Longest answer-time threshold [s] (a week, for e-mail queues); longer ones only overflow the queueing maths."""


class ServiceTarget(_Domain):
    """Wait-time target and the staffing assumptions that turn it into agents."""

    service_level: float = Field(
        0.80, gt=0.0, lt=1.0, description="Share of contacts answered within `answer_within_s` (0-1)."
    )
    answer_within_s: float = Field(
        20.0, ge=0.0, le=MAX_ANSWER_WITHIN_S, description="Answer-time threshold of the service level [s]."
    )
    max_asa_s: float | None = Field(None, gt=0.0, description="Optional ceiling on the average speed of answer [s].")
    max_occupancy: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description="Highest share of staffed time agents may spend handling contacts (0-1].",
    )
    shrinkage: float = Field(
        0.30,
        ge=0.0,
        lt=1.0,
        description=(
            "Share of scheduled (on-shift, not on break) time lost to absence, training and meetings [0-1). "
            "Scheduled breaks are modelled explicitly and are not part of it."
        ),
    )
    patience_s: float | None = Field(
        None,
        ge=1e-3,
        description="Mean customer patience [s]; when set, staffing uses Erlang A (abandonment) instead of Erlang C.",
    )
    concurrency: int = Field(1, ge=1, le=10, description="Contacts one agent handles at once (chat), 1 for voice.")
    scope: Literal["interval", "horizon"] = Field(
        "interval",
        description=(
            "'interval': every interval meets the service level; 'horizon': the volume-weighted service level "
            "over the whole horizon meets it, with every interval at least `interval_floor`."
        ),
    )
    interval_floor: float = Field(
        0.5, gt=0.0, lt=1.0, description="Least service level of any interval when `scope` is 'horizon' (0-1)."
    )
    confidence: float | None = Field(
        None,
        gt=0.0,
        lt=1.0,
        description=(
            "Probability of meeting the service level under random arrivals and forecast error (e.g. 0.9), "
            "read by `confidence_scope`; with `scope: horizon` the horizon's level is met with this probability "
            "(see `horizon_volume_cv`); null staffs to the forecast volume."
        ),
    )
    confidence_scope: Literal["share", "interval"] = Field(
        "share",
        description=(
            "'share': the expected share of intervals with contacts that meet their service level is at least "
            "`confidence`, people added where they raise the chance of meeting most; 'interval': every interval "
            "meets it with at least that probability (dearer)."
        ),
    )
    handle_cv: float | None = Field(
        None,
        gt=0.0,
        le=5.0,
        description=(
            "Coefficient of variation of single handle times (std / mean); 1 is the exponential law Erlang C/A "
            "assume. The staffing maths correct waiting for it (Allen-Cunneen) and the simulator draws lognormal "
            "handle times with it. null: measured from the history's per-interval AHT spread when planning from "
            "one that shows it, else 1."
        ),
    )
    volume_cv: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description=(
            "Coefficient of variation of an interval's true volume around its forecast, used where the demand "
            "has no quantile columns; null for the built-in default (0.10)."
        ),
    )
    horizon_volume_cv: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "Coefficient of variation of the horizon's total volume around its forecast: the part of the forecast "
            "error every interval shares (a week forecast too low throughout). With `scope: horizon` and "
            "`confidence` the horizon's level is met with that probability against it; null: measured by the "
            "forecaster's backtest when planning from history, else the built-in default (0.05)."
        ),
    )

    @property
    def handle_law_cv(self) -> float:
        """Return the handle-time CV the maths use: ``handle_cv``, or 1 (exponential) where it is null."""
        return 1.0 if self.handle_cv is None else self.handle_cv

    @model_validator(mode="after")
    def _floor_below_target(self) -> Self:
        if self.scope == "horizon" and self.interval_floor > self.service_level:
            msg = "interval_floor must not exceed service_level"
            raise ValueError(msg)
        return self


class Automation(_Domain):
    """Hybrid service: the share of contacts a bot resolves and the extra effort of what it escalates."""

    containment: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Share of incoming contacts resolved by the bot without a person [0-1).",
    )
    escalated_aht_uplift: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="Relative increase of handle time on contacts that reach a person (0.25 = +25%).",
    )
