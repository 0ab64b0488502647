"""Prometheus metrics of one app: its own registry, an ASGI middleware timing requests, and job states.

Labels never carry personal or customer data: HTTP method, the route *template* (``/v1/schedules/{job_id}``,
never the id), the status code, and job states.

==========================================  =========  ===============================================
metric                                      type       labels
==========================================  =========  ===============================================
``shiftmix_http_requests_total``            counter    ``method``, ``route``, ``status``
``shiftmix_http_request_duration_seconds``  histogram  ``method``, ``route``
``shiftmix_jobs``                           gauge      ``status`` (queued, running, succeeded, …)
``shiftmix_worker_processes``               gauge      (none): solver processes alive
==========================================  =========  ===============================================
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.storage import Storage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED_ROUTE = "unmatched"
_LATENCY_BUCKETS_S = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _JobCollector(Collector):
    """Read job counts by state from storage, and live workers from the runner, at scrape time."""

    def __init__(self, storage: Storage, live_workers: Callable[[], int]) -> None:
        self._storage = storage
        self._live_workers = live_workers

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("shiftmix_jobs", "Jobs (schedules, re-plans, scenarios) by state.", labels=["status"])
        for status, count in self._storage.counts_by_status().items():
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "shiftmix_worker_processes", "Solver worker processes alive.", value=self._live_workers()
        )


class Metrics:
    """The metrics of one app (a registry of its own, so apps in one process never collide).

    Parameters
    ----------
    storage : Storage
        Source of job counts.
    live_workers : callable
        Returns how many solver processes are alive.
    """

    def __init__(self, storage: Storage, live_workers: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shiftmix_http_requests",
            "HTTP requests handled.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "shiftmix_http_request_duration_seconds",
            "Time to handle an HTTP request [s].",
            ["method", "route"],
            registry=self.registry,
            buckets=_LATENCY_BUCKETS_S,
        )
        self.registry.register(_JobCollector(storage, live_workers))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one handled request and its duration [s]."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        """Return the Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware that times each HTTP request and labels it with its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle the request and record its route, status and duration."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)
