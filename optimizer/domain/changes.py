"""Change requests against a published plan: a swap of two people's shifts, or time off, and the answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from optimizer.domain._base import _Domain
from optimizer.domain.workforce import TimeOff


class ShiftRef(_Domain):
    """One person's shift in a plan, named by the local date it starts on (a person works one shift a day)."""

    worker_id: str = Field(description="The FTE whose shift it is.")
    date: dt.date = Field(description="Local date the shift starts on.")


class SwapRequest(_Domain):
    """Two people trade shifts: ``first``'s shift goes to ``second``'s worker and the other way round."""

    kind: Literal["swap"] = "swap"
    first: ShiftRef
    second: ShiftRef

    @model_validator(mode="after")
    def _two_people(self) -> Self:
        if self.first.worker_id == self.second.worker_id:
            msg = "a swap needs two different workers"
            raise ValueError(msg)
        return self


class TimeOffRequest(TimeOff):
    """A person asks for time off ``[start, end)`` (a :class:`TimeOff`); their shifts that overlap it are dropped."""

    kind: Literal["time_off"] = "time_off"
    worker_id: str


ChangeRequest = Annotated[SwapRequest | TimeOffRequest, Field(discriminator="kind")]


class ChangeFinding(_Domain):
    """A rule the changed plan breaks (a ``check_plan`` rule code, or ``coverage_target``)."""

    rule: str
    where: str
    detail: str


class ChangeCheck(_Domain):
    """Whether a change keeps every rule and the coverage target, and what it does to coverage and cost."""

    accepted: bool = Field(description="True when the changed plan breaks no rule and covers no less.")
    findings: tuple[ChangeFinding, ...] = Field(description="Rules the changed plan breaks that the plan kept.")
    cost_delta_cents: int = Field(description="Change in FTE + gig + fixed cost [cents].")
    objective_delta_cents: int = Field(description="Change in the objective (penalties included) [cents].")
    shortfall_delta_agent_hours: float = Field(description="Change in agent-hours below the requirement [h].")
    understaffed_intervals_delta: int = Field(description="Change in intervals with scheduled < required.")
    service_level_delta: float = Field(description="Change in the volume-weighted forecast service level (0-1).")
    preference_penalty_delta_cents: int = Field(0, description="Change in the priced unmet preferences [cents].")
