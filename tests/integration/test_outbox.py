"""The outbox delivers after commit, through a real SMTP server, and retries failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.outbox import SmtpSender, deliver_pending
from maillon.core.tables import OutboxMessage
from maillon.orders import service as orders
from tests.helpers import free_port, order_draft


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_confirmation_reaches_a_real_smtp_server(seeded: Database, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    order, _ = orders.place_order(seeded, order_draft(), actor="t")
    sender = SmtpSender(host="127.0.0.1", port=port, starttls=False, sender="shop@example.fr")
    assert deliver_pending(seeded, sender) >= 1  # the e-mail, and in-process events
    assert [m["To"] for m in inbox.messages] == ["camille.martin@example.fr"]
    assert order.number in inbox.messages[0]["Subject"]
    assert deliver_pending(seeded, sender) == 0  # nothing is sent twice


def test_a_failed_send_is_kept_for_later(seeded: Database) -> None:
    orders.place_order(seeded, order_draft(), actor="t")
    with socket.socket() as unheard:  # bound, never listening: refused, whatever else runs
        unheard.bind(("127.0.0.1", 0))
        dead = SmtpSender(host="127.0.0.1", port=unheard.getsockname()[1], starttls=False)
        deliver_pending(seeded, dead)  # in-process events are marked delivered, the e-mail not
    with seeded.reader() as s:
        pending = s.scalars(select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))).all()
    assert len(pending) == 1 and pending[0].attempts == 1 and pending[0].last_error
