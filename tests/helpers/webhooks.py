"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
(headers and raw body) and answers with the status codes it is given, in turn; ``"hang"``
holds the answer until the receiver stops (for time-outs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.tables import Job
from maillon.webhooks.tables import WebhookDelivery


@dataclass
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server got, and what it answers next (200 once the list is used up)."""

    url: str
    answers: list[int | str] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)


@contextmanager
def receiver(answers: list[int | str] | None = None) -> Iterator[Receiver]:
    """Serve on a free port of 127.0.0.1 for the block; yield the receiver."""
    box = Receiver(url="", answers=list(answers or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                box.requests.append(Received(self.path, dict(self.headers.items()), body))
                answer = box.answers.pop(0) if box.answers else 200
            if answer == "hang":
                box.released.wait()
                answer = 200
            reply = b'{"ok": true}' if answer == 200 else b"receiver says no " * 100
            self.send_response(int(answer))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/maillon"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.released.set()
        server.shutdown()
        server.server_close()
        thread.join()


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a receiver computes, written here as the README tells it (not through
    Maillon's own function)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def deliveries(db: Database) -> list[WebhookDelivery]:
    """Every delivery, oldest first."""
    with db.reader() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def delivery_jobs(db: Database) -> dict[int, int]:
    """The ``webhooks.deliver`` jobs: delivery id -> job id."""
    with db.reader() as session:
        rows = session.scalars(select(Job).where(Job.name == "webhooks.deliver").order_by(Job.id))
        return {int(job.args["delivery_id"]): job.id for job in rows}
