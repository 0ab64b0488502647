"""Wire format of re-plans: the request that wraps ``ReplanOptions`` and the report that wraps a ``ReplanResult``.

Field descriptions of the report are those of :class:`optimizer.replan.domain.ReplanResult`, read from it, so
the API and the library describe a re-plan the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from api.examples import EXAMPLE_DATE, EXAMPLE_TIMEZONE
from optimizer.domain import DemandInterval, DomainType, PlanKpis, SolveParams
from optimizer.replan.domain import ActionEffect, DayComparison, Offer, PlanChange, ReplanOptions, ReplanResult
from scenarios.reforecast import ActualInterval

_RESULT = ReplanResult.model_fields


def _replan_example(schema: dict[str, Any]) -> None:
    zone = ZoneInfo(EXAMPLE_TIMEZONE)
    now = dt.datetime.combine(EXAMPLE_DATE, dt.time(10), tzinfo=zone)
    window = f"{EXAMPLE_DATE.isoformat()}T12:00/{EXAMPLE_DATE.isoformat()}T16:00"
    schema["examples"] = [
        {
            "now": now.isoformat(),
            "uplift": f"+40% {window}",
            "options": ReplanOptions(lead_time_min=60).model_dump(mode="json"),
            "params": SolveParams(time_limit_s=10, num_workers=1).model_dump(mode="json"),
        }
    ]


class ReplanRequest(DomainType):
    """New demand for a published plan, the moment of the re-plan, and how far it may depart from the plan."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, json_schema_extra=_replan_example)

    now: AwareDatetime = Field(
        description=(
            "The moment of the re-plan, with its UTC offset, inside the horizon. Nothing starting before it "
            "changes; new gigs start at or after now + lead time."
        )
    )
    uplift: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description=(
            "Volume changes '±P% START/END', ';'-separated, e.g. '+40% 2026-12-01T08:00/2026-12-01T14:00' "
            "(times without an offset are local to the problem's time zone; windows are half-open and must "
            "lie inside the horizon). Give this, demand or actuals."
        ),
    )
    demand: tuple[DemandInterval, ...] | None = Field(
        None,
        min_length=1,
        description=(
            "New demand rows (interval_start, volume, aht_s) on the horizon's grid, for all or part of it; "
            "intervals without a row keep the published demand. Give this, uplift or actuals."
        ),
    )
    actuals: tuple[ActualInterval, ...] | None = Field(
        None,
        min_length=1,
        description=(
            "Today's actuals (interval_start, volume, aht_s; the contacts that reached people) of intervals that "
            "ended by now: the rest of today and tomorrow are re-forecast from them (credibility-weighted ratio "
            "to date, see reforecast.csv). Give this, uplift or demand."
        ),
    )
    options: ReplanOptions = Field(
        default_factory=ReplanOptions, description="What the re-plan may change; by default it only adds gigs."
    )
    params: SolveParams | None = Field(
        None,
        description="Solver knobs; null reuses the published job's. time_limit_s is capped at the server's limit.",
    )

    @model_validator(mode="after")
    def _one_demand_source(self) -> Self:
        if sum(x is not None for x in (self.uplift, self.demand, self.actuals)) != 1:
            msg = "give exactly one of uplift (a volume change), demand (new demand rows) and actuals (today so far)"
            raise ValueError(msg)
        return self


class ReplanReport(DomainType):
    """What a re-plan changed, and each local day before and after, both plans measured on the new demand."""

    replan_of: str = Field(description="The published job that was re-planned.")
    now: AwareDatetime = Field(description=_RESULT["now"].description)
    first_new_start: AwareDatetime | None = Field(description=_RESULT["first_new_start"].description)
    before: PlanKpis = Field(description=_RESULT["before"].description)
    changes: tuple[PlanChange, ...] = Field(description=_RESULT["changes"].description)
    days: tuple[DayComparison, ...] = Field(description=_RESULT["days"].description)
    offers: tuple[Offer, ...] = Field(description="Extensions and VTO per person, gig postings per slot (offers.csv).")
    effects: tuple[ActionEffect, ...] = Field(description="Service level from now and cost, per kind of action.")

    @classmethod
    def from_result(cls, replan_of: str, result: ReplanResult) -> ReplanReport:
        """Map a stored re-plan result to its wire form (its plan is served as the job's plan)."""
        return cls(
            replan_of=replan_of,
            now=result.now,
            first_new_start=result.first_new_start,
            before=result.before,
            changes=result.changes,
            days=result.days,
            offers=result.offers.offers,
            effects=result.offers.effects,
        )
