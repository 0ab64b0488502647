"""Wire format of webhooks and of publishing a plan: receivers, their delivery log, a publication."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.webhooks.events import EventType
from api.webhooks.store import DeliveryRecord, WebhookRecord

MAX_URL_LENGTH = 2048
MIN_SECRET_LENGTH = 16


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookCreate(_Schema):
    """A receiver to register for the caller's organisation."""

    url: str = Field(
        max_length=MAX_URL_LENGTH,
        description=(
            "Where events are POSTed: https, or http only to a host on the server's allowlist; never a private "
            "or loopback address unless that host is allowlisted."
        ),
        examples=["https://hooks.example.com/shiftmix"],
    )
    events: tuple[EventType, ...] = Field(
        tuple(EventType),
        min_length=1,
        description="Event types to send: job.succeeded, job.failed, job.cancelled, plan.published (all).",
    )
    secret: str | None = Field(
        None,
        min_length=MIN_SECRET_LENGTH,
        max_length=256,
        description="HMAC-SHA256 signing secret; the server makes one when absent. Shown once, in the answer.",
    )

    @field_validator("url")
    @classmethod
    def _is_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            _ = parts.port
        except ValueError:
            msg = "is not a URL"
            raise ValueError(msg) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = "is not an http(s) URL with a host"
            raise ValueError(msg)
        return value

    @field_validator("events")
    @classmethod
    def _unique(cls, value: tuple[EventType, ...]) -> tuple[EventType, ...]:
        return tuple(dict.fromkeys(value))


class WebhookInfo(_Schema):
    """A registered receiver (its secret is never shown again)."""

    webhook_id: str
    url: str
    events: tuple[EventType, ...]
    created_at: AwareDatetime

    @classmethod
    def from_record(cls, record: WebhookRecord) -> WebhookInfo:
        """Map a stored webhook."""
        return cls(webhook_id=record.webhook_id, url=record.url, events=record.events, created_at=record.created_at)


class WebhookCreated(WebhookInfo):
    """A receiver just registered, with its secret: the only time it is shown."""

    secret: str = Field(description="The signing secret; store it now, it is not shown again.")


class WebhookList(_Schema):
    """The organisation's receivers."""

    items: list[WebhookInfo]


class DeliveryAttempt(_Schema):
    """One HTTP attempt of a delivery."""

    attempt: int
    at: AwareDatetime
    status_code: int | None = Field(description="The receiver's answer; null when none came (timeout, refused).")
    error: str | None
    duration_ms: int = Field(description="Time the attempt took [ms].")


class Delivery(_Schema):
    """One event sent (or being sent) to the receiver."""

    delivery_id: int
    event_id: str
    event_type: EventType
    job_id: str
    status: str = Field(description="pending, delivered or failed (after the last attempt).")
    created_at: AwareDatetime
    delivered_at: AwareDatetime | None
    next_attempt_at: AwareDatetime | None = Field(description="When a pending delivery is tried again.")
    attempts: list[DeliveryAttempt]

    @classmethod
    def from_record(cls, r: DeliveryRecord) -> Delivery:
        """Map a stored delivery with its attempts."""
        return cls(
            delivery_id=r.delivery_id,
            event_id=r.event_id,
            event_type=r.event_type,
            job_id=r.job_id,
            status=r.status,
            created_at=r.created_at,
            delivered_at=r.delivered_at,
            next_attempt_at=r.next_attempt_at,
            attempts=[
                DeliveryAttempt(
                    attempt=a.attempt, at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
                )
                for a in r.attempts
            ],
        )


class DeliveryLog(_Schema):
    """A receiver's latest deliveries, newest first."""

    items: list[Delivery]


class GigShiftPosting(_Schema):
    """Gig micro-shifts to post for one time slot."""

    start: AwareDatetime
    end: AwareDatetime
    count: int = Field(ge=1, description="Micro-shifts to post for this slot.")
    skills: list[str] | None = Field(description="Queues a gig worker must serve; null: any.")


class Publication(_Schema):
    """A published plan: what the ``plan.published`` event carries."""

    job_id: str
    published_at: AwareDatetime
    newly_published: bool = Field(description="False when the plan had been published before (nothing re-sent).")
    gig_shifts: list[GigShiftPosting]
