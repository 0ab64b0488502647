"""The dispatcher: a thread that turns finished jobs into events and sends due deliveries, signed, with retries.

Each round (every ``poll_interval_s``, or at once after :meth:`WebhookDispatcher.wake`): emit the events of
newly finished jobs, lease the due deliveries, and POST each from a small thread pool, so one slow receiver
does not hold up the others. A 2xx answer delivers; anything else (an error status, a timeout, a refused or
blocked address) is retried after ``retry_base_s * 2 ** (attempt - 1)`` (capped at ``MAX_BACKOFF_S``) until
``max_attempts``, then the delivery is ``failed``. Every attempt is logged. Redirects are never followed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

import httpx

from api.webhooks.security import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Resolver,
    destination,
    pinned,
    resolve_host,
    sign,
)
from api.webhooks.store import DueDelivery, WebhookStore

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 3600.0
"""Longest wait between two attempts of a delivery [s]."""
REQUEST_TIMEOUT_S = 5.0
"""Time a receiver has to answer one attempt [s]."""
SENDER_THREADS = 4
LEASE = dt.timedelta(seconds=60)
"""How long a leased delivery is reserved for its dispatcher (longer than an attempt can take)."""
USER_AGENT = "shiftmix-webhooks/1"


def backoff_s(attempt: int, base_s: float) -> float:
    """Return the wait after failed attempt number ``attempt`` (1-based) [s]: doubling from ``base_s``."""
    return float(min(MAX_BACKOFF_S, base_s * 2 ** (attempt - 1)))


class WebhookDispatcher:
    """Send webhook deliveries from a background thread.

    Parameters
    ----------
    store : WebhookStore
        Where events and deliveries are.
    allow_hosts : collection of str
        Hosts that may be plain http or private (``settings.webhook_allow_hosts``).
    max_attempts : int
        Attempts of one delivery before it is ``failed``.
    retry_base_s : float
        Wait after the first failed attempt [s]; it doubles each time.
    poll_interval_s : float
        Time between two rounds when nothing wakes the dispatcher [s].
    resolver : callable
        Host name to addresses, for the address check before every attempt; the attempt then connects to the
        address checked (:func:`api.webhooks.security.pinned`).
    transport : httpx.BaseTransport, optional
        The HTTP transport (tests pass a mock); httpx's own by default.
    """

    def __init__(
        self,
        store: WebhookStore,
        *,
        allow_hosts: Collection[str],
        max_attempts: int,
        retry_base_s: float,
        poll_interval_s: float = 0.2,
        resolver: Resolver = resolve_host,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._store = store
        self._allow_hosts = frozenset(allow_hosts)
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self._poll_interval_s = poll_interval_s
        self._resolver = resolver
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(SENDER_THREADS, thread_name_prefix="webhook-send")
        self._http = httpx.Client(
            timeout=REQUEST_TIMEOUT_S, follow_redirects=False, headers={"User-Agent": USER_AGENT}, transport=transport
        )
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)

    def start(self) -> None:
        """Start the dispatcher thread."""
        self._thread.start()

    def wake(self) -> None:
        """Run a round now (after an event was stored in this process)."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread and wait for the sends in flight."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._pool.shutdown(wait=True)
        self._http.close()

    def run_once(self) -> int:
        """Emit new job events, send every due delivery and wait for the sends; return how many were sent."""
        self._store.emit_job_events()
        due = self._store.claim_due(limit=50, lease=LEASE)
        for future in [self._pool.submit(self._send, d) for d in due]:
            future.result()
        return len(due)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:
                logger.exception("webhook dispatch round failed")
            self._wake.wait(self._poll_interval_s)
            self._wake.clear()

    def _send(self, delivery: DueDelivery) -> None:
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        blocked, address = destination(delivery.url, self._allow_hosts, self._resolver)
        if blocked is not None:
            error = f"not sent: the url {blocked}"
        else:
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(delivery.secret, timestamp, delivery.body),
                TIMESTAMP_HEADER: str(timestamp),
                EVENT_ID_HEADER: delivery.event_id,
                EVENT_TYPE_HEADER: str(delivery.event_type),
            }
            url = delivery.url
            extensions: dict[str, str] = {}
            if address is not None:  # connect to the address just checked, not to a fresh lookup
                url, host, extensions = pinned(delivery.url, address)
                headers.update(host)
            try:
                response = self._http.post(url, content=delivery.body, headers=headers, extensions=extensions)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"the receiver answered {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        ok = error is None
        retry_at = None
        if not ok and delivery.attempt < self._max_attempts:
            retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=backoff_s(delivery.attempt, self._retry_base_s))
        duration_ms = round((time.monotonic() - started) * 1000)
        try:
            self._store.record_attempt(
                delivery,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                retry_at=retry_at,
            )
        except Exception:
            logger.exception("could not log attempt %d of delivery %d", delivery.attempt, delivery.delivery_id)
