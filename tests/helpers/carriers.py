"""A carrier on a real socket: a local HTTP server answering scripted bodies (the carrier's
documented ones, from ``tests/data/carriers/<carrier>/``) per method and path, recording every
request, and able to wait before answering (a time-out for a client that waits less).

Generic on purpose: a body is bytes, text, a JSON value, or a fixture file name (sent as
stored, any format: JSON, XML/SOAP, multipart), with the status, content type and headers the
test gives. Answers to one (method, path) are taken in order; the last one repeats.

    with carrier_server() as server:
        server.script("POST", "/api/labels", fixture="colissimo/label_pdf.multipart",
                      content_type="multipart/mixed; boundary=...")
        ...  # point the account's base_url at server.url
        assert server.requests_to("POST", "/api/labels")[0].json()["weight"] == 1.2
"""

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

CARRIER_DATA = Path(__file__).parents[1] / "data" / "carriers"


def carrier_fixture(name: str) -> bytes:
    """The bytes of ``tests/data/carriers/<name>``, e.g. ``colissimo/tracking.json``."""
    return (CARRIER_DATA / name).read_bytes()


def carrier_json(name: str) -> Any:
    """A JSON fixture of ``tests/data/carriers/``, parsed."""
    return json.loads(carrier_fixture(name))


@dataclass(frozen=True)
class Request:
    """One request the carrier server received (header names in lower case)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")

    def params(self) -> dict[str, str]:
        """The query string's parameters (first value of each)."""
        return {k: v[0] for k, v in parse_qs(self.query).items()}


@dataclass
class Scripted:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class CarrierServer:
    """Scripted answers per (method, path); unscripted requests get a 404 JSON body."""

    def __init__(self) -> None:
        self.seen: list[Request] = []
        self._answers: dict[tuple[str, str], deque[Scripted]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.url = ""

    def script(
        self,
        method: str,
        path: str,
        body: bytes | str | Any = b"",
        *,
        fixture: str | None = None,
        status: int = 200,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue an answer to ``method path``: ``fixture`` (a file of tests/data/carriers),
        else ``body`` (bytes or text as is, any other value as JSON)."""
        if fixture is not None:
            raw = carrier_fixture(fixture)
        elif isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            raw = json.dumps(body).encode("utf-8")
            content_type = content_type or "application/json"
        if content_type is None:
            guess = fixture or ""
            content_type = "application/xml" if guess.endswith(".xml") else "application/json"
        with self._lock:
            self._answers[(method, path)].append(
                Scripted(status, raw, content_type, dict(headers or {}), delay)
            )

    def requests_to(self, method: str, path: str) -> list[Request]:
        """The requests received for ``method path``, in order."""
        return [r for r in self.seen if (r.method, r.path) == (method, path)]

    def _next(self, method: str, path: str) -> Scripted:
        with self._lock:
            queue = self._answers.get((method, path))
            if not queue:
                return Scripted(404, b'{"error": "not scripted"}')
            return queue.popleft() if len(queue) > 1 else queue[0]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.seen.append(
                        Request(self.command, parts.path, parts.query, headers, body)
                    )
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

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def carrier_server() -> Iterator[CarrierServer]:
    """A :class:`CarrierServer` on 127.0.0.1 (a free port) while the block runs."""
    carrier = CarrierServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), carrier.handler())
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    carrier.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield carrier
    finally:
        httpd.shutdown()
        httpd.server_close()
