"""Event types and the JSON body each one sends; a published plan's gig micro-shifts to post.

Every body is ``{id, type, created_at, data}``. ``data`` of a job event is the job's id, kind, status, error
and finish time; of ``plan.published`` it adds the plan's time zone, inputs digest, cost and the
``gig_shifts`` a marketplace posts: one row per distinct ``(start, end)`` with the ``count`` of micro-shifts
and the ``skills`` (queues) a gig worker needs (``null``: any queue).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from enum import StrEnum
from typing import Any

from optimizer.domain import Plan, PlanningProblem


class EventType(StrEnum):
    """What a webhook can be told about."""

    JOB_SUCCEEDED = "job.succeeded"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    PLAN_PUBLISHED = "plan.published"


JOB_EVENT_OF_STATUS: dict[str, EventType] = {
    "succeeded": EventType.JOB_SUCCEEDED,
    "failed": EventType.JOB_FAILED,
    "cancelled": EventType.JOB_CANCELLED,
}
"""The event a job's final status sends."""


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def event_body(event_id: str, type_: EventType, created_at: dt.datetime, data: dict[str, Any]) -> str:
    """Return the JSON body of an event (compact, keys in a fixed order: the bytes that are signed)."""
    body = {"id": event_id, "type": str(type_), "created_at": _iso(created_at), "data": data}
    return json.dumps(body, separators=(",", ":"))


def job_event_data(
    job_id: str, kind: str, status: str, error: str | None, finished_at: dt.datetime | None
) -> dict[str, Any]:
    """Return ``data`` of a job event."""
    return {"job_id": job_id, "kind": kind, "status": status, "error": error, "finished_at": _iso(finished_at)}


def gig_micro_shifts(problem: PlanningProblem, plan: Plan) -> list[dict[str, Any]]:
    """Return the plan's gig shifts to post: ``[{start, end, count, skills}]`` by start, in the site's zone.

    ``skills`` are the queues the gig pool's workers serve (``None``: every queue); every micro-shift of a
    plan draws on the one pool, so they share them.
    """
    pool = problem.workforce.gig_pool
    skills = None if pool is None or pool.skills is None else list(pool.skills)
    counts = Counter((s.start, s.end) for s in plan.shifts if s.kind == "gig")
    return [
        {"start": start.isoformat(), "end": end.isoformat(), "count": n, "skills": skills}
        for (start, end), n in sorted(counts.items())
    ]


def published_data(
    job_id: str, kind: str, published_at: dt.datetime, problem: PlanningProblem, plan: Plan
) -> dict[str, Any]:
    """Return ``data`` of a ``plan.published`` event."""
    return {
        "job_id": job_id,
        "kind": kind,
        "published_at": _iso(published_at),
        "timezone": plan.timezone,
        "inputs_digest": plan.inputs_digest,
        "total_cost_cents": plan.kpis.total_cost_cents,
        "gig_shifts": gig_micro_shifts(problem, plan),
    }
