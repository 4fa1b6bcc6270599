"""Real servers for tests: ``maillon serve`` in its own process, and an SMTP sink."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx2 as httpx
from aiosmtpd.controller import Controller

from tests.helpers import free_port


@contextmanager
def maillon_serve(
    db_url: str, log: Path, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[str]:
    """Run ``maillon serve`` on a free port against ``db_url`` (its output in ``log``) and
    yield its base URL once it answers; stop it after."""
    port = free_port()
    command = [sys.executable, "-m", "maillon.cli.main", "serve", "--db", db_url]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:  # e.g. another worker's server took the port meanwhile
                raise RuntimeError(log.read_text())
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(log.read_text())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = free_port()
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content))
            self._arrived.notify_all()
        return "250 OK"

    @property
    def url(self) -> str:
        """The ``MAILLON_SMTP_URL`` of this sink."""
        return f"smtp://127.0.0.1:{self.port}?tls=off"

    def wait_for(self, count: int, seconds: float = 60) -> list[Message]:
        """Wait until ``count`` messages arrived (or ``seconds`` passed); return them all."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=seconds)
            return list(self.messages)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
