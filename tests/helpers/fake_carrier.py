"""A fake carrier on a real socket: a local HTTP server answering scripted bodies (the
carriers' documented ones, from ``tests/data/carriers/<carrier>/``) per method and path, and
recording every request, so a connector's test checks exactly what it sent.

Bodies are bytes or text (XML, JSON, PDF...); ``{base}`` in a text body becomes the server's
URL (for answers that link to a document on the same server). Answers to one (method, path)
are served in order, the last one repeating until a new one is scripted; ``delay`` makes the
server wait before answering (a time-out for a client that waits less)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).parents[1] / "data" / "carriers"


def carrier_fixture(name: str) -> str:
    """A documented body, e.g. ``carrier_fixture("mondial_relay/tracing.xml")``."""
    return (DATA / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Received:
    """One request the carrier received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    served: bool = False


class FakeCarrier:
    """Scripted answers per (method, path); unscripted paths answer 404."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._replies: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.url = ""

    def answer(
        self,
        method: str,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        *,
        content_type: str = "text/xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue an answer to ``method path``."""
        queue = self._replies[(method, path)]
        with self._lock:
            while queue and queue[0].served:  # a new script replaces the repeating answer
                queue.popleft()
            queue.append(Reply(status, body, content_type, dict(headers or {}), delay))

    def requests_to(self, method: str, path: str) -> list[Received]:
        """The requests received on ``method path``, in order."""
        return [r for r in self.received if (r.method, r.path) == (method, path)]

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self._replies.get((method, path))
            if not queue:
                return Reply(404, b"not found", "text/plain")
            if len(queue) > 1:
                return queue.popleft()
            queue[0].served = True
            return queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                got = Received(
                    self.command,
                    parts.path,
                    parts.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with carrier._lock:
                    carrier.received.append(got)
                reply = carrier._next(self.command, parts.path)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body
                if isinstance(payload, str):
                    payload = payload.replace("{base}", carrier.url).encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a time-out test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def running_carrier() -> Iterator[FakeCarrier]:
    """A :class:`FakeCarrier` listening on 127.0.0.1 (a free port) while the block runs."""
    carrier = FakeCarrier()
    server = ThreadingHTTPServer(("127.0.0.1", 0), carrier._handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    carrier.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield carrier
    finally:
        server.shutdown()
        server.server_close()
