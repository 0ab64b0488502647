"""The webhook store: receivers, publications, events and their deliveries, in the job store's database.

Job events come from the jobs table itself (:meth:`WebhookStore.emit_job_events`): a job that reached a final
state after a webhook of its organisation was registered, and has no event yet, gets one. No job code calls
into webhooks, so the worker processes, the server and worker hosts stay as they are, and the unique
``(job_id, type)`` makes two servers scanning at once emit it once.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api.tables import create_engine as create_store_engine
from api.tables import define_tables
from api.webhooks.events import JOB_EVENT_OF_STATUS, EventType, event_body, job_event_data
from api.webhooks.security import SecretBox
from api.webhooks.tables import define_webhook_tables

PublishedData = Callable[[dt.datetime], dict[str, object]]
"""Builds a ``plan.published`` event's data from its publication time."""

SCAN_LOOKBACK = dt.timedelta(days=1)
"""Jobs that finished longer ago than this are not scanned for events (a dispatcher down for a day)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    """A registered receiver (its secret is never read back out through the API)."""

    webhook_id: str
    org_id: int
    url: str
    events: tuple[EventType, ...]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One HTTP attempt of a delivery."""

    attempt: int
    at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One event sent to one webhook, with its attempts."""

    delivery_id: int
    event_id: str
    event_type: EventType
    job_id: str
    status: str
    attempts: tuple[AttemptRecord, ...]
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery a dispatcher has leased and is to send now."""

    delivery_id: int
    attempt: int
    url: str
    secret: str
    event_id: str
    event_type: EventType
    body: bytes
    event_created_at: dt.datetime


class WebhookStore:
    """Webhooks, publications, events and deliveries.

    Parameters
    ----------
    database_url, schema : str
        The job store's database (the same as ``api.storage.Storage``'s).
    box : SecretBox
        Encrypts the secrets for storage.
    """

    def __init__(self, database_url: str, box: SecretBox, *, schema: str | None = None) -> None:
        self._engine = create_store_engine(database_url)
        self._metadata = sa.MetaData(schema=schema)
        self._jobs = define_tables(self._metadata).jobs
        self._t = define_webhook_tables(self._metadata)
        self._box = box

    def create_all(self) -> None:
        """Create the webhook tables when missing (after ``Storage.create_all``, which creates the schema)."""
        with self._engine.begin() as conn:
            self._metadata.create_all(conn, tables=list(self._t))

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    # ---- receivers -----------------------------------------------------------------------------------------

    def create_webhook(self, org_id: int, url: str, events: Sequence[EventType], secret: str) -> WebhookRecord:
        """Store a receiver with its secret encrypted."""
        record = WebhookRecord(uuid.uuid4().hex, org_id, url, tuple(events), _now())
        with self._engine.begin() as conn:
            conn.execute(
                self._t.webhooks.insert().values(
                    id=record.webhook_id,
                    org_id=org_id,
                    url=url,
                    events_json=json.dumps([str(e) for e in record.events]),
                    secret_encrypted=self._box.encrypt(secret),
                    created_at=record.created_at,
                )
            )
        return record

    def _webhook(self, row: sa.Row[tuple[object, ...]]) -> WebhookRecord:
        m = row._mapping
        return WebhookRecord(
            m["id"],
            m["org_id"],
            m["url"],
            tuple(EventType(e) for e in json.loads(m["events_json"])),
            _aware(m["created_at"]) or _now(),
        )

    def list_webhooks(self, org_id: int) -> list[WebhookRecord]:
        """Return an organisation's live webhooks, oldest first."""
        w = self._t.webhooks.c
        query = sa.select(self._t.webhooks).where(w.org_id == org_id, w.deleted_at.is_(None)).order_by(w.created_at)
        with self._engine.connect() as conn:
            return [self._webhook(r) for r in conn.execute(query)]

    def get_webhook(self, org_id: int, webhook_id: str) -> WebhookRecord | None:
        """Return one of the organisation's live webhooks."""
        w = self._t.webhooks.c
        query = sa.select(self._t.webhooks).where(w.id == webhook_id, w.org_id == org_id, w.deleted_at.is_(None))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else self._webhook(row)

    def delete_webhook(self, org_id: int, webhook_id: str) -> bool:
        """Stop a webhook (its pending deliveries fail); its delivery log stays."""
        w, d = self._t.webhooks.c, self._t.deliveries.c
        with self._engine.begin() as conn:
            gone = conn.execute(
                self._t.webhooks.update()
                .where(w.id == webhook_id, w.org_id == org_id, w.deleted_at.is_(None))
                .values(deleted_at=_now())
            ).rowcount
            conn.execute(
                self._t.deliveries.update()
                .where(d.webhook_id == webhook_id, d.status == "pending")
                .values(status="failed")
            )
        return gone == 1

    def list_deliveries(self, webhook_id: str, limit: int) -> list[DeliveryRecord]:
        """Return a webhook's latest deliveries, newest first, each with its attempts (the delivery log)."""
        d, e, a = self._t.deliveries.c, self._t.events.c, self._t.attempts.c
        query = (
            sa.select(d.id, d.event_id, d.status, d.created_at, d.delivered_at, d.next_attempt_at, e.type, e.job_id)
            .join(self._t.events, e.id == d.event_id)
            .where(d.webhook_id == webhook_id)
            .order_by(d.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
            ids = [r.id for r in rows]
            tries: dict[int, list[AttemptRecord]] = {i: [] for i in ids}
            if ids:
                for t in conn.execute(sa.select(self._t.attempts).where(a.delivery_id.in_(ids)).order_by(a.id)):
                    tries[t.delivery_id].append(
                        AttemptRecord(t.attempt, _aware(t.at) or _now(), t.status_code, t.error, t.duration_ms)
                    )
        return [
            DeliveryRecord(
                r.id,
                r.event_id,
                EventType(r.type),
                r.job_id,
                r.status,
                tuple(tries[r.id]),
                _aware(r.created_at) or _now(),
                _aware(r.delivered_at),
                _aware(r.next_attempt_at) if r.status == "pending" else None,
            )
            for r in rows
        ]

    # ---- events --------------------------------------------------------------------------------------------

    def _add_event(
        self, conn: sa.Connection, org_id: int, type_: EventType, job_id: str, data: dict[str, object]
    ) -> str | None:
        """Insert an event and a delivery to each webhook that wants it; ``None`` if it existed already."""
        event_id, now = uuid.uuid4().hex, _now()
        try:
            with conn.begin_nested():
                conn.execute(
                    self._t.events.insert().values(
                        id=event_id,
                        org_id=org_id,
                        type=str(type_),
                        job_id=job_id,
                        body_json=event_body(event_id, type_, now, data),
                        created_at=now,
                    )
                )
        except IntegrityError:
            return None
        w = self._t.webhooks.c
        hooks = conn.execute(sa.select(w.id, w.events_json).where(w.org_id == org_id, w.deleted_at.is_(None))).all()
        rows = [
            {"event_id": event_id, "webhook_id": h.id, "status": "pending", "next_attempt_at": now, "created_at": now}
            for h in hooks
            if str(type_) in json.loads(h.events_json)
        ]
        if rows:
            conn.execute(self._t.deliveries.insert(), rows)
        return event_id

    def emit_job_events(self) -> int:
        """Create the events of jobs that finished since their organisation's first webhook; return how many."""
        j, w, e = self._jobs.c, self._t.webhooks.c, self._t.events.c
        watched = sa.exists().where(w.org_id == j.org_id, w.deleted_at.is_(None), w.created_at <= j.finished_at)
        evented = sa.exists().where(e.job_id == j.id, e.type.in_([str(t) for t in JOB_EVENT_OF_STATUS.values()]))
        query = (
            sa.select(j.id, j.org_id, j.kind, j.status, j.error, j.finished_at)
            .where(j.status.in_(tuple(JOB_EVENT_OF_STATUS)), j.finished_at >= _now() - SCAN_LOOKBACK)
            .where(watched, ~evented)
            .order_by(j.finished_at)
            .limit(500)
        )
        emitted = 0
        with self._engine.begin() as conn:
            for r in conn.execute(query).all():
                data = job_event_data(r.id, r.kind, r.status, r.error, _aware(r.finished_at))
                if self._add_event(conn, r.org_id, JOB_EVENT_OF_STATUS[r.status], r.id, dict(data)) is not None:
                    emitted += 1
        return emitted

    def publish(
        self, org_id: int, job_id: str, api_key_id: int | None, data_of: PublishedData
    ) -> tuple[dt.datetime, bool]:
        """Publish a job's plan once and emit ``plan.published``; return when it was published and if just now."""
        p = self._t.publications.c
        now = _now()
        with self._engine.begin() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(
                        self._t.publications.insert().values(
                            job_id=job_id, org_id=org_id, published_at=now, api_key_id=api_key_id
                        )
                    )
            except IntegrityError:
                at = conn.execute(sa.select(p.published_at).where(p.job_id == job_id)).scalar_one()
                return _aware(at) or now, False
            self._add_event(conn, org_id, EventType.PLAN_PUBLISHED, job_id, data_of(now))
        return now, True

    def published_at(self, job_id: str) -> dt.datetime | None:
        """Return when a job's plan was published, or ``None``."""
        p = self._t.publications.c
        with self._engine.connect() as conn:
            return _aware(conn.execute(sa.select(p.published_at).where(p.job_id == job_id)).scalar())

    # ---- deliveries ----------------------------------------------------------------------------------------

    def claim_due(self, limit: int, lease: dt.timedelta) -> list[DueDelivery]:
        """Lease up to ``limit`` deliveries whose next attempt is due; each is leased by one dispatcher only."""
        d, w, e = self._t.deliveries.c, self._t.webhooks.c, self._t.events.c
        now = _now()
        free = sa.or_(d.lease_until.is_(None), d.lease_until < now)
        due = (
            sa.select(
                d.id, d.attempts, w.url, w.secret_encrypted, e.id.label("event_id"), e.type, e.body_json, e.created_at
            )
            .join(self._t.webhooks, w.id == d.webhook_id)
            .join(self._t.events, e.id == d.event_id)
            .where(d.status == "pending", d.next_attempt_at <= now, free)
            .order_by(d.next_attempt_at)
            .limit(limit)
        )
        claimed = []
        with self._engine.begin() as conn:
            for r in conn.execute(due).all():
                got = conn.execute(
                    self._t.deliveries.update()
                    .where(d.id == r.id, d.status == "pending", free)
                    .values(lease_until=now + lease)
                ).rowcount
                if got:
                    claimed.append(
                        DueDelivery(
                            r.id,
                            r.attempts + 1,
                            r.url,
                            self._box.decrypt(r.secret_encrypted),
                            r.event_id,
                            EventType(r.type),
                            r.body_json.encode(),
                            _aware(r.created_at) or now,
                        )
                    )
        return claimed

    def record_attempt(
        self,
        delivery: DueDelivery,
        *,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        retry_at: dt.datetime | None,
    ) -> None:
        """Log an attempt; the delivery is ``delivered`` on a 2xx, else retried at ``retry_at`` or ``failed``."""
        d = self._t.deliveries.c
        now = _now()
        ok = status_code is not None and 200 <= status_code < 300
        if ok:
            values: dict[str, object] = {"status": "delivered", "delivered_at": now}
        elif retry_at is None:
            values = {"status": "failed"}
        else:
            values = {"next_attempt_at": retry_at}
        with self._engine.begin() as conn:
            conn.execute(
                self._t.attempts.insert().values(
                    delivery_id=delivery.delivery_id,
                    attempt=delivery.attempt,
                    at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            conn.execute(
                self._t.deliveries.update()
                .where(d.id == delivery.delivery_id, d.status == "pending")
                .values(attempts=delivery.attempt, lease_until=None, **values)
            )
