"""Webhooks: tell the systems around a plan when a job ends or a plan is published, signed and retried.

An organisation registers receivers (``POST /v1/webhooks``: a URL, the event types, a secret). Events are
``job.succeeded``, ``job.failed``, ``job.cancelled`` (from the jobs table, whoever finished the job: a server's
worker or a worker host) and ``plan.published`` (``POST /v1/schedules/{id}/publish``, with the gig micro-shifts
a marketplace posts). The server's dispatcher thread sends each to every receiver that wants it, signs it
(``api.webhooks.security``), retries with doubling backoff and logs every attempt
(``GET /v1/webhooks/{id}/deliveries``).
"""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings
from api.webhooks.dispatch import WebhookDispatcher
from api.webhooks.events import EventType
from api.webhooks.security import SecretBox
from api.webhooks.store import WebhookStore

__all__ = ["EventType", "SecretBox", "WebhookDispatcher", "WebhookStore", "secret_box", "webhook_services"]

KEY_FILE_NAME = "shiftmix-webhook.key"
SQLITE_PREFIX = "sqlite:///"


def key_file(settings: Settings) -> Path:
    """Return where the zero-setup key lives: beside the SQLite database, else in the working directory."""
    url = settings.database_url
    if url.startswith(SQLITE_PREFIX) and url != f"{SQLITE_PREFIX}:memory:":
        database = Path(url.removeprefix(SQLITE_PREFIX))
        return database.with_name(f"{database.name}.webhook-key")
    return Path(KEY_FILE_NAME)


def secret_box(settings: Settings) -> SecretBox:
    """Return the secret box: ``settings.webhook_key``, else the key file (created on first use)."""
    if settings.webhook_key:
        return SecretBox(settings.webhook_key)
    return SecretBox.from_key_file(key_file(settings))


def webhook_services(settings: Settings) -> tuple[WebhookStore, WebhookDispatcher]:
    """Build the webhook store and its dispatcher (not started) from the settings."""
    store = WebhookStore(settings.database_url, secret_box(settings), schema=settings.db_schema)
    dispatcher = WebhookDispatcher(
        store,
        allow_hosts=settings.webhook_allow_hosts,
        max_attempts=settings.webhook_max_attempts,
        retry_base_s=settings.webhook_retry_base_s,
    )
    return store, dispatcher
