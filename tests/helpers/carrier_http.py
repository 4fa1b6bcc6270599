"""A scripted carrier on a real socket: a local HTTP server answering the bodies a carrier
documents (fixtures under ``tests/data/carriers/<carrier>/``, JSON, XML/SOAP or anything else)
per method and path, recording every request it receives, optionally after a delay (so a
client with a short time-out gives up), so tests check exactly what a connector sent."""

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
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parents[1] / "data" / "carriers"


def carrier_fixture(name: str) -> str:
    """The text of a documented body, e.g. ``carrier_fixture("ups/ship.json")``."""
    return (DATA / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Received:
    """One request the carrier received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.text)

    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query)


@dataclass
class Scripted:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    served: bool = False


class CarrierServer:
    """Answers per (method, path), taken in order; the last one of a path repeats until a new
    one is scripted. An unscripted path answers 404."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: dict[tuple[str, str], deque[Scripted]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.url = ""

    def answer(
        self,
        method: str,
        path: str,
        body: Any = None,
        status: int = 200,
        *,
        fixture: str | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue an answer: ``fixture`` (a file under tests/data/carriers), text, bytes or
        JSON. The content type follows the fixture's suffix unless given."""
        if fixture is not None:
            raw = (DATA / fixture).read_bytes()
            guessed = "text/xml; charset=utf-8" if fixture.endswith(".xml") else "application/json"
        elif isinstance(body, bytes):
            raw, guessed = body, "application/octet-stream"
        elif isinstance(body, str):
            raw = body.encode()
            guessed = "text/xml; charset=utf-8" if body.lstrip().startswith("<") else "text/plain"
        elif body is None:
            raw, guessed = b"", "application/json"
        else:
            raw, guessed = json.dumps(body).encode(), "application/json"
        scripted = Scripted(status, raw, content_type or guessed, dict(headers or {}), delay)
        queue = self._answers[(method, path)]
        with self._lock:
            while queue and queue[0].served:
                queue.popleft()
            queue.append(scripted)

    def requests_to(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if (r.method, r.path) == (method, path)]

    def _next(self, method: str, path: str) -> Scripted:
        with self._lock:
            queue = self._answers.get((method, path))
            if not queue:
                return Scripted(404, b'{"error": "no route"}')
            if len(queue) > 1:
                return queue.popleft()
            queue[0].served = True
            return queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Received(
                    self.command,
                    parts.path,
                    parts.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server._lock:
                    server.received.append(seen)
                answer = server._next(self.command, parts.path)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a time-out test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def running_carrier() -> Iterator[CarrierServer]:
    """A :class:`CarrierServer` on 127.0.0.1 (a free port) while the block runs."""
    carrier = CarrierServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), carrier._handler())
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    carrier.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield carrier
    finally:
        httpd.shutdown()
        httpd.server_close()
