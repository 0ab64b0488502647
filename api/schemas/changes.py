"""Envelopes of ``/v1/schedules/{job_id}/changes``: check or apply a swap or time-off request."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from optimizer.domain import DomainType, Plan
from optimizer.domain.changes import ChangeCheck, ChangeRequest


class ChangeCheckRequest(DomainType):
    """A change to check against a schedule job's current plan."""

    change: ChangeRequest = Field(description="A swap (`kind: swap`) or a time-off request (`kind: time_off`).")
    version: int | None = Field(
        None,
        ge=1,
        description="The plan version the caller saw (1: the solved plan); 409 when the plan has moved on. "
        "Null: check against the current version.",
    )


class ChangeApplyRequest(ChangeCheckRequest):
    """A change to apply as the plan's next version, when it keeps every rule and the coverage target."""

    requested_by: str | None = Field(
        None, max_length=128, description="Who asks (a person or system), kept in the audit trail with the API key."
    )


class ChangeCheckResponse(DomainType):
    """The answer to a change check."""

    job_id: str
    version: int = Field(description="The plan version the change was checked against.")
    check: ChangeCheck


class PlanVersionInfo(DomainType):
    """One changed version of a plan: who, when and what."""

    version: int
    at: AwareDatetime
    api_key_id: int | None
    requested_by: str | None
    change: ChangeRequest


class ChangeApplied(DomainType):
    """An accepted change, stored as the plan's new version."""

    job_id: str
    version: int = Field(description="The new plan version.")
    audit: PlanVersionInfo
    check: ChangeCheck
    plan: Plan


class ChangeHistory(DomainType):
    """A plan's changed versions, oldest first (version 1, the solved plan, has none)."""

    job_id: str
    current_version: int
    versions: list[PlanVersionInfo]
