"""A local webhook receiver for tests: records every POST and answers 500 for the first ``fail_first``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, event_type: str, ok_only: bool = True) -> list[Received]:
        with self.lock:
            got = [r for r in self.requests if r.headers.get("shiftmix-event-type") == event_type]
        return got

    def wait_for(self, predicate: Any, timeout_s: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                got = [r for r in self.requests if predicate(r)]
            if got:
                return got
            time.sleep(0.02)
        raise AssertionError("the receiver got no matching request in time")


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    """Serve a receiver on 127.0.0.1 at a free port; ``fail_first`` requests answer 500."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                )
                n = len(receiver.requests)
            self.send_response(500 if n <= receiver.fail_first else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", fail_first)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
