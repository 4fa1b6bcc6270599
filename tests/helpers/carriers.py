"""A scripted carrier on a real socket: a local HTTP server answering the bodies a carrier
documents (fixtures under ``tests/data/carriers/<carrier>/``: JSON, XML/SOAP, multipart, PDF,
anything) per method and path, recording every request it receives, so a connector's test
checks exactly what it sent, and how it reads what came back.

    with running_carrier() as carrier:
        carrier.answer("POST", "/api/labels", fixture="colissimo/label_pdf.multipart",
                       content_type="multipart/mixed; boundary=...")
        carrier.answer("POST", "/soap", carrier_fixture("mondial_relay/point_search.xml"))
        carrier.answer("GET", "/track/1", {"error": "down"}, status=503, delay=0.5)
        ...  # point the account's base_url at carrier.url
        assert carrier.requests_to("POST", "/api/labels")[0].json()["weight"] == 1.2

* A body is a ``fixture`` file name (sent as stored), bytes (as is), text, or any other value
  (sent as JSON). The content type follows the fixture's suffix or the text (XML when it
  starts with ``<``) unless given.
* ``{base}`` in a text or fixture body becomes the server's URL (answers linking to a document
  on the same server).
* Answers to one (method, path) are served in order; the last one repeats until a new one is
  scripted, which then replaces it. An unscripted (method, path) answers 404.
* ``delay`` makes the server wait before answering (a time-out for a client that waits less);
  ``status`` and ``headers`` (e.g. ``Retry-After``) are sent as given.
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

DATA = Path(__file__).parents[1] / "data" / "carriers"
"""The carriers' documented bodies, one folder per carrier."""

_XML = "text/xml; charset=utf-8"
_JSON = "application/json"


def carrier_fixture(name: str) -> str:
    """The text of a documented body, e.g. ``carrier_fixture("ups/ship.json")``."""
    return (DATA / name).read_text(encoding="utf-8")


def carrier_bytes(name: str) -> bytes:
    """The bytes of a documented body (multipart, PDF, ZPL...)."""
    return (DATA / name).read_bytes()


def carrier_json(name: str) -> Any:
    """A JSON fixture, parsed."""
    return json.loads(carrier_bytes(name))


@dataclass(frozen=True)
class Received:
    """One request the carrier received (header names in lower case)."""

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
        """The form-encoded body's fields (every value of each)."""
        return parse_qs(self.text)

    def params(self) -> dict[str, list[str]]:
        """The query string's parameters (every value of each)."""
        return parse_qs(self.query)


@dataclass
class _Scripted:
    status: int = 200
    body: bytes = b""
    content_type: str = _JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    substitute: bool = False  # replace {base} with the server's URL
    served: bool = False


def _encoded(body: Any, fixture: str | None) -> tuple[bytes, str, bool]:
    """The raw body, its guessed content type, and whether ``{base}`` is replaced in it."""
    if fixture is not None:
        suffix = Path(fixture).suffix.lower()
        guessed = {".xml": _XML, ".pdf": "application/pdf", ".zpl": "text/plain"}.get(suffix)
        return carrier_bytes(fixture), guessed or _JSON, True
    if isinstance(body, bytes):
        return body, "application/octet-stream", False
    if isinstance(body, str):
        return body.encode(), _XML if body.lstrip().startswith("<") else "text/plain", True
    if body is None:
        return b"", _JSON, False
    return json.dumps(body).encode(), _JSON, False


class CarrierServer:
    """Scripted answers per (method, path) and the requests received, in order."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: dict[tuple[str, str], deque[_Scripted]] = defaultdict(deque)
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
        """Queue an answer to ``method path``: ``fixture`` (a file under tests/data/carriers),
        else ``body`` (bytes or text as is, any other value as JSON)."""
        raw, guessed, substitute = _encoded(body, fixture)
        scripted = _Scripted(
            status, raw, content_type or guessed, dict(headers or {}), delay, substitute
        )
        with self._lock:
            queue = self._answers[(method, path)]
            while queue and queue[0].served:  # a new script replaces the repeating answer
                queue.popleft()
            queue.append(scripted)

    def requests_to(self, method: str, path: str) -> list[Received]:
        """The requests received on ``method path``, in order."""
        return [r for r in self.received if (r.method, r.path) == (method, path)]

    def _next(self, method: str, path: str) -> _Scripted:
        with self._lock:
            queue = self._answers.get((method, path))
            if not queue:
                return _Scripted(404, b'{"error": "not scripted"}')
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
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.received.append(
                        Received(self.command, parts.path, parts.query, headers, body)
                    )
                answer = server._next(self.command, parts.path)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.body
                if answer.substitute:
                    payload = payload.replace(b"{base}", server.url.encode())
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    # one request a connection: no socket left open when the server stops
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a time-out test)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

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
