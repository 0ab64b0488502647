"""CPU work of synchronous requests (forecasts, staffing) in a bounded process pool, never on request threads.

A forecast of a long history takes seconds of CPU; on the server's request threads sixteen of them stalled
every other organisation's polling for most of a minute (issue 18). :class:`ComputePool` runs that work in
``settings.compute_workers`` processes, lets each organisation have at most ``settings.org_compute_quota``
requests in it at once and the whole server at most ``COMPUTE_QUEUE_FACTOR`` times its processes, and
answers 429 with ``Retry-After`` beyond either. Routes ``await`` the result, so a waiting request holds no
thread. The quota is taken in a route dependency (:meth:`ComputePool.slot`), before the body is validated.

Library errors do not survive pickling with their fields, so the work returns them as :class:`_Failure`
values and :meth:`ComputePool.run` raises them again as :class:`~optimizer.errors.InputError` in the server.

The pool's processes are forked by the job runner's fork server, not by the API server, so they watch the
server's pid the way solver workers do (:func:`api.jobs.watch_server`) and end themselves when it is killed.
Without that a ``kill -9`` of the server left them waiting on their queue for ever, and with them the fork
server and the resource tracker: every process the fork server forks holds the write end of the pipe whose
end-of-file tells the fork server that its server is gone, and those two hold the resource tracker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from api.errors import ApiProblem, prefixed_errors
from api.jobs import watch_server, worker_context
from api.schemas import ForecastRequest, ForecastResponse, StaffingRequest, StaffingResponse
from api.settings import Settings
from api.storage import Principal
from forecasting import ForecastInputError, HistoryError, forecast, load_history, measure_handle_cv
from optimizer import interval_staffing
from optimizer.errors import InputError, Issue

COMPUTE_QUEUE_FACTOR = 4
"""Requests in the pool (running or waiting) per pool process before the server answers 429."""

RETRY_AFTER_S = 2
"""``Retry-After`` of a 429 for a full pool or quota [s]: about one forecast of a large history."""

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Failure:
    """A library error as a picklable value: its ``(field, problem)`` pairs."""

    issues: tuple[tuple[str, str], ...]


def _call(fn: Callable[..., R], *args: object) -> R | _Failure:
    try:
        return fn(*args)
    except InputError as exc:
        return _Failure(tuple((i.field, i.problem) for i in exc.issues))
    except HistoryError as exc:
        return _Failure(tuple((i.field, i.problem) for i in exc.issues))
    except ForecastInputError as exc:
        return _Failure(((exc.field, exc.problem),))


def forecast_response(body: ForecastRequest) -> ForecastResponse:
    """Forecast a request's history (the work of ``POST /v1/forecasts``, run in a pool process)."""
    with prefixed_errors("history"):
        history = load_history(body.history_frame(), timezone=body.timezone, gaps=body.gaps)
    frame = forecast(
        history,
        body.horizon_days,
        model=body.model,
        country=body.country,
        quantiles=body.quantiles,
        aht_s=body.aht_s,
        weekend=body.weekend,
        bias_correction=body.bias_correction,
    )
    spread = measure_handle_cv(history)
    return ForecastResponse.from_frame(frame, spread.cv if spread is not None else None)


def staffing_response(body: StaffingRequest) -> StaffingResponse:
    """Staff a request's demand (the work of ``POST /v1/staffing``, run in a pool process).

    The numbers are the planner's requirement per interval (``optimizer.interval_staffing``): with ``scope:
    horizon`` they meet the target's ``interval_floor`` in each interval, as a plan must; with a ``share``
    confidence they are the cheapest per-interval staffing that reaches it.
    """
    with prefixed_errors("demand"):
        frame = interval_staffing(
            body.demand_frame(), body.service_target, body.automation, interval_min=body.interval_min
        )
    return StaffingResponse.from_frame(frame)


class ComputePool:
    """A bounded process pool with a per-organisation quota; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self._workers = settings.compute_workers
        self._quota = settings.org_compute_quota
        self._capacity = settings.compute_workers * COMPUTE_QUEUE_FACTOR
        self._lock = threading.Lock()
        self._by_org: dict[int, int] = {}
        self._in_pool = 0
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        """Processes in the pool."""
        return self._workers

    @property
    def capacity(self) -> int:
        """Requests the pool holds (running or waiting) before new ones get 429."""
        return self._capacity

    def in_pool(self) -> int:
        """Return the requests running or waiting in the pool now."""
        with self._lock:
            return self._in_pool

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers,
                    mp_context=worker_context(),
                    initializer=watch_server,
                    initargs=(os.getpid(),),
                )
            return self._pool

    @contextlib.contextmanager
    def slot(self, principal: Principal) -> Iterator[None]:
        """Hold one of ``principal``'s compute slots for the block.

        Routes take it in a dependency, which FastAPI resolves before it validates the body: a request
        over quota is refused without the cost of validating its (large) body on the event loop.

        Raises
        ------
        ApiProblem
            429 with ``Retry-After`` when the organisation's quota or the pool is full.
        """
        self._admit(principal)
        try:
            yield
        finally:
            self._release(principal)

    def _admit(self, principal: Principal) -> None:
        retry = {"Retry-After": str(RETRY_AFTER_S)}
        with self._lock:
            if self._by_org.get(principal.org_id, 0) >= self._quota:
                detail = (
                    f"organisation {principal.org_name!r} already has {self._quota} forecast or staffing "
                    "requests running; retry when one has finished"
                )
                raise ApiProblem(429, "Too many requests", detail, slug="quota", headers=retry)
            if self._in_pool >= self._capacity:
                detail = f"the server is computing {self._in_pool} requests, its most; retry shortly"
                raise ApiProblem(429, "Server busy", detail, slug="busy", headers=retry)
            self._by_org[principal.org_id] = self._by_org.get(principal.org_id, 0) + 1
            self._in_pool += 1

    def _release(self, principal: Principal) -> None:
        with self._lock:
            self._in_pool -= 1
            left = self._by_org[principal.org_id] - 1
            if left:
                self._by_org[principal.org_id] = left
            else:
                del self._by_org[principal.org_id]

    async def run(self, fn: Callable[..., R], *args: object) -> R:
        """Run ``fn(*args)`` in the pool (inside a :meth:`slot`) and return its result.

        Raises
        ------
        InputError
            The work's input errors, fields as the work named them.
        """
        result = await asyncio.wrap_future(self._executor().submit(_call, fn, *args))
        if isinstance(result, _Failure):
            raise InputError([Issue(field, problem) for field, problem in result.issues])
        return result

    def shutdown(self) -> None:
        """Stop the pool's processes (at server shutdown)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
