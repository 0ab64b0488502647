"""The webhook tables, in the job store's database (created beside the job tables, never altered by them).

- ``webhooks``: an organisation's receivers: URL, the event types it wants, its secret encrypted
  (``api.webhooks.security.SecretBox``); deleting one sets ``deleted_at`` so its delivery log stays readable.
- ``publications``: a plan (a schedule or re-plan job) published, at most once per job.
- ``webhook_events``: what happened, once each (unique on ``job_id`` and ``type``, so several servers
  scanning the same jobs emit an event once), with the JSON body every receiver gets.
- ``webhook_deliveries``: one event to one webhook: ``pending`` until a 2xx answer (``delivered``) or its
  last attempt (``failed``); ``next_attempt_at`` is the backoff, ``lease_until`` keeps two dispatchers
  from sending it at once.
- ``webhook_attempts``: the delivery log, one row per HTTP attempt: when, answer status or error, time taken.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookTables(NamedTuple):
    """The webhook tables."""

    webhooks: sa.Table
    publications: sa.Table
    events: sa.Table
    deliveries: sa.Table
    attempts: sa.Table


def define_webhook_tables(metadata: sa.MetaData) -> WebhookTables:
    """Define the webhook tables on ``metadata`` (whose ``schema`` places them)."""
    ts = sa.DateTime(timezone=True)
    hooks = sa.Table(
        "webhooks",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org_id", sa.Integer, nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events_json", sa.Text, nullable=False),
        sa.Column("secret_encrypted", sa.Text, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("deleted_at", ts),
    )
    publications = sa.Table(
        "publications",
        metadata,
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("published_at", ts, nullable=False),
        sa.Column("api_key_id", sa.Integer),
    )
    events = sa.Table(
        "webhook_events",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org_id", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("body_json", sa.Text, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.UniqueConstraint("job_id", "type", name="uq_webhook_events_job_type"),
    )
    deliveries = sa.Table(
        "webhook_deliveries",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("webhook_id", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", ts, nullable=False),
        sa.Column("lease_until", ts),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("delivered_at", ts),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    attempts = sa.Table(
        "webhook_attempts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer, nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", ts, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer, nullable=False),
    )
    return WebhookTables(hooks, publications, events, deliveries, attempts)
