"""``/v1/webhooks``: register, list and delete an organisation's receivers, and read their delivery log.

``POST /v1/schedules/{job_id}/publish`` lives here too: publishing is what sends ``plan.published``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.errors import ApiProblem
from api.jobs.schedule import stored_plan, stored_problem
from api.routes import JOB_ERRORS, PROBLEM, JobDep, PrincipalDep
from api.schemas.webhooks import (
    Delivery,
    DeliveryLog,
    GigShiftPosting,
    Publication,
    WebhookCreate,
    WebhookCreated,
    WebhookInfo,
    WebhookList,
)
from api.webhooks import WebhookDispatcher, WebhookStore
from api.webhooks.events import gig_micro_shifts, published_data
from api.webhooks.security import check_url
from api.webhooks.store import WebhookRecord

MAX_WEBHOOKS_PER_ORG = 20


@dataclass
class WebhookServices:
    """What the webhook routes need, kept on ``app.state.webhooks`` by ``create_app``."""

    store: WebhookStore
    dispatcher: WebhookDispatcher
    allow_hosts: tuple[str, ...]


def get_webhooks(request: Request) -> WebhookServices:
    """Return the app's webhook services."""
    services: WebhookServices = request.app.state.webhooks
    return services


WebhooksDep = Annotated[WebhookServices, Depends(get_webhooks)]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
publish_router = APIRouter(prefix="/v1/schedules", tags=["schedules"])


def valid_webhook(
    webhook_id: Annotated[str, Path(min_length=1, max_length=64, description="Id from POST /v1/webhooks.")],
    principal: PrincipalDep,
    webhooks: WebhooksDep,
) -> WebhookRecord:
    """Return the caller's webhook with this id (404 otherwise; another organisation's looks the same)."""
    record = webhooks.store.get_webhook(principal.org_id, webhook_id)
    if record is None:
        raise ApiProblem(404, "Not found", f"no webhook {webhook_id!r}", slug="webhook-not-found")
    return record


WebhookDep = Annotated[WebhookRecord, Depends(valid_webhook)]


@router.post("", status_code=201, response_model=WebhookCreated, responses={401: PROBLEM, 409: PROBLEM, 422: PROBLEM})
def create_webhook(body: WebhookCreate, principal: PrincipalDep, webhooks: WebhooksDep) -> WebhookCreated:
    """Register a receiver; the answer shows its signing secret, the only time it is shown.

    The URL must be https (plain http only to an allowlisted host) and must not resolve to a private,
    loopback or reserved address unless its host is allowlisted (422 naming ``url``).
    """
    check_url(body.url, webhooks.allow_hosts)
    if len(webhooks.store.list_webhooks(principal.org_id)) >= MAX_WEBHOOKS_PER_ORG:
        raise ApiProblem(
            409, "Too many webhooks", f"an organisation may have {MAX_WEBHOOKS_PER_ORG}", slug="too-many-webhooks"
        )
    secret = body.secret or "whsec_" + secrets.token_urlsafe(32)
    record = webhooks.store.create_webhook(principal.org_id, body.url, body.events, secret)
    return WebhookCreated(**WebhookInfo.from_record(record).model_dump(), secret=secret)


@router.get("", response_model=WebhookList, responses={401: PROBLEM})
def list_webhooks(principal: PrincipalDep, webhooks: WebhooksDep) -> WebhookList:
    """List the organisation's receivers (without secrets)."""
    return WebhookList(items=[WebhookInfo.from_record(r) for r in webhooks.store.list_webhooks(principal.org_id)])


@router.get("/{webhook_id}", response_model=WebhookInfo, responses={401: PROBLEM, 404: PROBLEM, 422: PROBLEM})
def get_webhook(webhook: WebhookDep) -> WebhookInfo:
    """Return one receiver (without its secret)."""
    return WebhookInfo.from_record(webhook)


@router.delete(
    "/{webhook_id}", status_code=204, response_class=Response, responses={401: PROBLEM, 404: PROBLEM, 422: PROBLEM}
)
def delete_webhook(webhook: WebhookDep, webhooks: WebhooksDep) -> Response:
    """Stop sending to a receiver; its pending deliveries fail, its delivery log stays."""
    webhooks.store.delete_webhook(webhook.org_id, webhook.webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries", response_model=DeliveryLog, responses={401: PROBLEM, 404: PROBLEM, 422: PROBLEM}
)
def list_deliveries(
    webhook: WebhookDep, webhooks: WebhooksDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> DeliveryLog:
    """Return the receiver's latest deliveries, newest first, each with every attempt (the delivery log)."""
    return DeliveryLog(
        items=[Delivery.from_record(d) for d in webhooks.store.list_deliveries(webhook.webhook_id, limit)]
    )


@publish_router.post("/{job_id}/publish", response_model=Publication, responses={409: PROBLEM, **JOB_ERRORS})
def publish_schedule(job: JobDep, principal: PrincipalDep, webhooks: WebhooksDep, request: Request) -> Publication:
    """Publish a job's plan: send ``plan.published`` with the gig micro-shifts to post (once; 409 without a plan).

    Publishing again answers with the first publication and sends nothing.
    """
    storage = request.app.state.services.storage
    plan = stored_plan(storage, job)
    problem = stored_problem(storage, job)
    if plan is None or problem is None or not plan.found:
        why = job.error or f"the job is {job.status}"
        raise ApiProblem(409, "No plan yet", f"job {job.job_id} has no plan to publish: {why}", slug="no-plan")
    published_at, created = webhooks.store.publish(
        principal.org_id,
        job.job_id,
        principal.api_key_id,
        lambda at: published_data(job.job_id, job.kind, at, problem, plan),
    )
    if created:
        webhooks.dispatcher.wake()
    return Publication(
        job_id=job.job_id,
        published_at=published_at,
        newly_published=created,
        gig_shifts=[GigShiftPosting.model_validate(g) for g in gig_micro_shifts(problem, plan)],
    )
