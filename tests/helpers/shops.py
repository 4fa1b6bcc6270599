"""A fake shop on a real socket: a local HTTP server that answers scripted bodies (the
providers' documented ones, from ``tests/data/shopify`` and ``tests/data/woocommerce``) and
records every request it receives, so tests check exactly what Maillon sent."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DATA = Path(__file__).parents[1] / "data"


def fixture(name: str) -> Any:
    """A documented body, e.g. ``fixture("shopify/fulfillment_create.json")``."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Seen:
    """One request the shop received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a time-out for a client that waits less)
    served: bool = False


class FakeShop:
    """Scripted answers per (method, path), taken in order; the last one of a path repeats
    until a new one is scripted."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._answers: dict[tuple[str, str], deque[Answer]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.url = ""

    def answer(
        self, method: str, path: str, body: Any = None, status: int = 200, **kw: Any
    ) -> None:
        """Queue an answer to ``method path`` (``body``: JSON, or a fixture name ending .json)."""
        if isinstance(body, str) and body.endswith(".json"):
            body = fixture(body)
        queue = self._answers[(method, path)]
        with self._lock:
            while queue and queue[0].served:  # a new script replaces the repeating answer
                queue.popleft()
            queue.append(Answer(status, body, **kw))

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, path)]

    def requests_to_prefix(self, method: str, prefix: str) -> list[Seen]:
        """The ``method`` requests to every path under ``prefix``."""
        return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]

    def _next(self, method: str, path: str) -> Answer:
        with self._lock:
            queue = self._answers.get((method, path))
            if not queue:
                return Answer(
                    404, {"code": "rest_no_route", "message": "No route", "data": {"status": 404}}
                )
            if len(queue) > 1:
                return queue.popleft()
            queue[0].served = True
            return queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command,
                    parts.path,
                    parts.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with shop._lock:
                    shop.seen.append(seen)
                answer = shop._next(self.command, parts.path)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = b"" if answer.body is None else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a time-out test)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def running_shop() -> Iterator[FakeShop]:
    """A :class:`FakeShop` listening on 127.0.0.1 (a free port) while the block runs."""
    shop = FakeShop()
    server = ThreadingHTTPServer(("127.0.0.1", 0), shop._handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shop.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield shop
    finally:
        server.shutdown()
        server.server_close()
