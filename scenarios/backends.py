"""Where a scenario's tasks run: in this process, on local cores (process pool), or on a Ray cluster.

Every backend maps a picklable, module-level function over a list of items and yields ``(index, result)``
as tasks finish. It also says how many tasks run at once (``slots``) and how many cores they share
(``cpus``), so callers can give each CP-SAT solve ``cpus // slots`` threads and never oversubscribe.
Task functions must not raise: they return failures as values (our errors do not survive pickling with
their fields).
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Literal, Protocol, Self, TypeVar

from optimizer.errors import InputError

BackendName = Literal["local", "ray"]

T = TypeVar("T")
R = TypeVar("R")


class Backend(Protocol):
    """Runs tasks; use as a context manager so workers are started and stopped once."""

    @property
    def slots(self) -> int:
        """Tasks that run at once."""
        ...

    @property
    def cpus(self) -> int:
        """Cores the tasks share."""
        ...

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T], threads: int = 1
    ) -> Iterator[tuple[int, R]]:
        """Run ``fn`` on every item; yield ``(index, result)`` in completion order."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def _local_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class InlineBackend:
    """Run tasks one after the other in this process (``jobs=1``: no start-up cost, easy to debug)."""

    def __init__(self) -> None:
        self._cpus = _local_cpus()

    @property
    def slots(self) -> int:
        """Tasks that run at once: one."""
        return 1

    @property
    def cpus(self) -> int:
        """Cores of this machine."""
        return self._cpus

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T], threads: int = 1
    ) -> Iterator[tuple[int, R]]:
        """Run ``fn`` on every item in order."""
        for i, item in enumerate(items):
            yield i, fn(item)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class LocalBackend:
    """Run tasks in a pool of ``jobs`` spawned processes on this machine.

    The spawn start method keeps CP-SAT's threads and the parent's state out of the children (fork is
    unsafe with threads), at the cost of importing the libraries once per worker.
    """

    def __init__(self, jobs: int | None = None) -> None:
        self._cpus = _local_cpus()
        self._slots = jobs or self._cpus
        self._pool: ProcessPoolExecutor | None = None

    @property
    def slots(self) -> int:
        """Worker processes."""
        return self._slots

    @property
    def cpus(self) -> int:
        """Cores of this machine."""
        return self._cpus

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T], threads: int = 1
    ) -> Iterator[tuple[int, R]]:
        """Submit every item to the pool; yield results as they finish."""
        if self._pool is None:
            msg = "use the backend as a context manager"
            raise RuntimeError(msg)
        futures: dict[Future[R], int] = {self._pool.submit(fn, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            yield futures[future], future.result()

    def __enter__(self) -> Self:
        spawn = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self._slots, mp_context=spawn)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayBackend:
    """Run tasks on a Ray cluster: the one at ``address``, or a local instance started for the run."""

    def __init__(self, jobs: int | None = None, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            field = "--backend"
            raise InputError.single(field, "backend ray needs `pip install shiftmix[ray]`") from None
        self._ray: Any = ray
        self._jobs = jobs
        self._address = address
        self._started = False
        self._cpus = 1

    @property
    def slots(self) -> int:
        """Tasks that run at once: ``jobs``, or one per cluster CPU."""
        return self._jobs or self._cpus

    @property
    def cpus(self) -> int:
        """CPUs of the cluster."""
        return self._cpus

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T], threads: int = 1
    ) -> Iterator[tuple[int, R]]:
        """Submit every item as a Ray task reserving ``threads`` CPUs; yield results as they finish."""
        remote = self._ray.remote(fn).options(num_cpus=threads)
        pending = {remote.remote(item): i for i, item in enumerate(items)}
        while pending:
            done, _ = self._ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), self._ray.get(ref)

    def __enter__(self) -> Self:
        if not self._ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self._address is None:
                options["num_cpus"] = self._jobs or _local_cpus()
            else:
                check_reachable(self._address)
            try:
                self._ray.init(address=self._address, **options)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError or its own types
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise InputError.single("--address", f"cannot start or join Ray at {self._address}: {first}") from None
            self._started = True
        self._cpus = max(1, int(self._ray.cluster_resources().get("CPU", 1)))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


RAY_CONNECT_TIMEOUT_S = 3.0
"""How long to wait for a Ray head's port to accept a connection before giving up [s]."""


def check_reachable(address: str, timeout_s: float = RAY_CONNECT_TIMEOUT_S) -> None:
    """Check that a ``host:port`` (or ``ray://host:port``) Ray address accepts TCP connections.

    Ray itself retries for a long time and logs tracebacks; this answers in ``timeout_s`` with one line.
    Addresses without a port (``auto``, ``local``) are left to Ray.

    Raises
    ------
    InputError
        Naming ``--address`` when the address is malformed or nothing listens there.
    """
    hostport = address.removeprefix("ray://")
    if ":" not in hostport:
        return
    host, _, port_text = hostport.rpartition(":")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError.single("--address", f"{address!r} is not host:port")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port_text)), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError.single("--address", f"no Ray cluster answers at {address} ({reason})") from None


def ray_available() -> bool:
    """Return whether the optional ``ray`` package is installed."""
    return importlib.util.find_spec("ray") is not None


def make_backend(name: BackendName, *, jobs: int | None = None, address: str | None = None) -> Backend:
    """Return the backend called ``name``; ``jobs=1`` on ``local`` runs in this process.

    Raises
    ------
    InputError
        When ``jobs`` is below 1, ``address`` is given for ``local``, or ray is not installed.
    """
    if jobs is not None and jobs < 1:
        field = "--jobs"
        raise InputError.single(field, f"must be >= 1, got {jobs}")
    if name == "ray":
        return RayBackend(jobs, address)
    if address is not None:
        field = "--address"
        raise InputError.single(field, "only the ray backend takes a cluster address")
    return InlineBackend() if jobs == 1 else LocalBackend(jobs)


__all__ = [
    "Backend",
    "BackendName",
    "InlineBackend",
    "LocalBackend",
    "RayBackend",
    "make_backend",
    "ray_available",
]
