"""Domain types of re-planning: the options of a re-plan, its changes and its before/after table.

A re-plan takes a published plan and new demand and adds cover with as little change as possible: published
FTE shifts stay as they are (unless extensions or voluntary time off are allowed), posted gig shifts stay, and
new gig micro-shifts start no earlier than ``now`` plus the lead time.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from optimizer.domain import DomainType, Plan, PlanKpis, PlanningProblem, ShiftKind

MAX_EXTENSION_MINUTES = 240
"""Longest extension of one published shift a re-plan may propose [min]."""

DEFAULT_OVERTIME_RATE_RATIO = 1.5
"""Default pay of extension minutes as a multiple of the contract's hourly rate (time and a half)."""

ChangeKind = Literal["added", "extended", "removed"]
OfferAction = Literal["extension", "vto", "gig"]


class ReplanOptions(DomainType):
    """How far a re-plan may depart from the published plan."""

    allow_extensions: bool = Field(
        False,
        description=(
            "Let the re-plan extend published FTE shifts at one end (overtime); only the added part must start "
            "at or after now + lead time."
        ),
    )
    max_extension_min: int = Field(
        60,
        ge=0,
        le=MAX_EXTENSION_MINUTES,
        description="Longest extension of one shift [min]; a multiple of the interval.",
    )
    overtime_rate_ratio: float = Field(
        DEFAULT_OVERTIME_RATE_RATIO,
        ge=1.0,
        le=5.0,
        description="Pay of extension minutes as a multiple of the contract's hourly rate (1.5 = +50%).",
    )
    allow_voluntary_time_off: bool = Field(
        False,
        description=(
            "Let the re-plan release published FTE shifts that start at or after now (voluntary time off). "
            "VTO is unpaid: a released shift's whole cost is saved."
        ),
    )
    lead_time_min: int | None = Field(
        None,
        ge=0,
        le=7 * 24 * 60,
        description=(
            "Least notice for a new gig shift or a shift extension [min]; null uses the gig pool's "
            "lead_time_min (0 without a pool)."
        ),
    )
    warm_start: bool = Field(True, description="Hint CP-SAT with the published plan (every shift kept as is).")

    @model_validator(mode="after")
    def _extension_has_room(self) -> Self:
        if self.allow_extensions and self.max_extension_min == 0:
            msg = "max_extension_min must be > 0 when allow_extensions is set"
            raise ValueError(msg)
        return self


class PlanChange(DomainType):
    """One difference between the published plan and the re-plan (a row of ``changes.csv``)."""

    change: ChangeKind = Field(description="'added' (new gig), 'extended' (FTE overtime) or 'removed' (VTO).")
    worker_id: str = Field(description="FTE id or gig slot id.")
    kind: ShiftKind = Field(description="'fte' or 'gig'.")
    start: AwareDatetime | None = Field(description="Start of the shift in the re-plan; null when removed.")
    end: AwareDatetime | None = Field(description="End of the shift in the re-plan, exclusive; null when removed.")
    old_start: AwareDatetime | None = Field(description="Start of the published shift; null when added.")
    old_end: AwareDatetime | None = Field(description="End of the published shift, exclusive; null when added.")


class DayComparison(DomainType):
    """The published plan and the re-plan on one local day, both measured on the new demand."""

    date: dt.date = Field(description="Local day.")
    volume: float = Field(description="Contacts reaching people on the day (new demand, after bot containment).")
    cost_before_cents: int = Field(description="Cost of published shifts starting on the day [cents].")
    cost_after_cents: int = Field(description="Cost of re-planned shifts starting on the day [cents].")
    service_level_before: float = Field(description="Volume-weighted service level of the published plan (0-1).")
    service_level_after: float = Field(description="Volume-weighted service level of the re-plan (0-1).")
    shortfall_agent_hours_before: float = Field(description="Agent-hours below the requirement, published [h].")
    shortfall_agent_hours_after: float = Field(description="Agent-hours below the requirement, re-plan [h].")


class Offer(DomainType):
    """One action of a re-plan to send out (a row of ``offers.csv``): an overtime extension, VTO, or gig posting."""

    action: OfferAction = Field(
        description="'extension' (overtime on a published shift), 'vto' (release it) or 'gig' (post micro-shifts)."
    )
    worker_id: str | None = Field(description="The FTE offered the extension or the VTO; null for gig postings.")
    shift_start: AwareDatetime | None = Field(description="Start of the published shift; null for gig postings.")
    shift_end: AwareDatetime | None = Field(description="End of the published shift, exclusive; null for gigs.")
    start: AwareDatetime = Field(description="Start of the shift as offered (extended, released, or the gig).")
    end: AwareDatetime = Field(description="End of the shift as offered, exclusive.")
    minutes: int = Field(ge=0, description="Extension minutes, released paid minutes, or paid minutes per gig [min].")
    count: int = Field(ge=1, description="Gig shifts to post with this start and end; 1 for a person's offer.")
    cost_cents: int = Field(
        description="What the action adds to the plan's cost [cents]: overtime pay, all gigs' pay, or minus "
        "the released shift's cost."
    )


class ActionEffect(DomainType):
    """What one kind of action alone does to the published plan from ``now`` on, measured on the new demand."""

    action: OfferAction = Field(description="The kind of action.")
    offers: int = Field(ge=0, description="Offers of this kind (gig postings counted by shift).")
    service_level_before: float = Field(description="Volume-weighted service level from now, published plan.")
    service_level_after: float = Field(description="The same with only this kind of action applied.")
    cost_cents: int = Field(description="Cost the actions of this kind add [cents] (negative: saved).")


class ReplanOffers(DomainType):
    """The offers a supervisor sends after a re-plan, and what each kind of action recovers."""

    offers: tuple[Offer, ...] = Field((), description="Extensions and VTO per person, gig postings per slot.")
    effects: tuple[ActionEffect, ...] = Field((), description="Service level from now and cost, per kind.")
    service_level_before: float | None = Field(None, description="Service level from now, published plan.")
    service_level_after: float | None = Field(None, description="Service level from now, the whole re-plan.")


class ReplanResult(DomainType):
    """A re-plan: the new plan, what changed, and how the day looks before and after on the new demand."""

    problem: PlanningProblem = Field(description="The published problem with the new demand.")
    plan: Plan = Field(description="The re-plan, in the format of ``optimizer.plan``.")
    before: PlanKpis = Field(description="Headline numbers of the published plan on the new demand.")
    changes: tuple[PlanChange, ...] = Field(description="Added gigs, extended and removed FTE shifts.")
    days: tuple[DayComparison, ...] = Field(description="Before/after cost and service level per local day.")
    now: AwareDatetime = Field(description="The moment of the re-plan; nothing starting before it changed.")
    first_new_start: AwareDatetime | None = Field(
        description="Earliest start of a new gig or an extension part (now + lead time, on the grid)."
    )
    offers: ReplanOffers = Field(
        default_factory=ReplanOffers, description="The re-plan's actions as offers, and what each kind recovers."
    )
