"""The outbox delivers after commit, through a real SMTP server, and retries failures."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.outbox import (
    ChannelSender,
    SmtpSender,
    deliver_pending,
    enqueue_message,
    transport_from_environment,
)
from maillon.core.sms import BrevoSms
from maillon.core.tables import OutboxMessage
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft
from maillon.shipping import service as shipping
from tests.helpers import free_port, order_draft, packed_order


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
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


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, smtp: tuple[Inbox, int]) -> Inbox:
    """The environment a shop sets: its SMTP relay, name, sender and public URL."""
    inbox, port = smtp
    monkeypatch.setenv("MAILLON_SMTP_URL", f"smtp://127.0.0.1:{port}?tls=off")
    monkeypatch.setenv("MAILLON_SMTP_FROM", "bonjour@lune.example")
    monkeypatch.setenv("MAILLON_SHOP_NAME", "Boutique Lune")
    monkeypatch.setenv("MAILLON_PUBLIC_URL", "https://suivi.lune.example")
    for name in ("MAILLON_SMS_PROVIDER", "MAILLON_SHOP_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    return inbox


def _parts(message: Any) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_the_shipping_email_arrives_in_french_with_html_and_an_absolute_tracking_link(
    seeded: Database, configured: Inbox
) -> None:
    number = packed_order(seeded)
    with seeded.transaction() as s:
        (shipment,) = shipping.ship_order(
            session=s, number=number, carrier_code="colissimo", actor="op"
        )
        tracking = shipment.parcels[0].tracking_number
    transport = transport_from_environment()
    assert transport is not None and "smtp://127.0.0.1" in transport.describe()
    assert deliver_pending(seeded, transport) == 2  # the confirmation and the shipping e-mail
    by_subject = {m["Subject"]: m for m in configured.messages}
    shipped = by_subject[f"Votre commande {number} est en route"]
    assert f"Votre commande {number} est confirmée" in by_subject
    assert shipped.get_content_type() == "multipart/alternative"
    assert shipped["From"] == "Boutique Lune <bonjour@lune.example>"
    assert shipped["To"] == "camille.martin@example.fr"
    assert shipped["Date"] and parsedate_to_datetime(shipped["Date"]).tzinfo is not None
    assert re.fullmatch(r"<maillon-outbox-\d+@lune\.example>", shipped["Message-ID"])
    parts = _parts(shipped)
    assert set(parts) == {"text/plain", "text/html"}
    link = f"https://suivi.lune.example/track?number={tracking}&postcode=69002"
    assert parts["text/plain"].startswith("Bonjour Camille Martin,")
    assert link in parts["text/plain"] and "L'équipe Boutique Lune" in parts["text/plain"]
    assert f'href="{link.replace("&", "&amp;")}"' in parts["text/html"]
    assert '<html lang="fr">' in parts["text/html"] and "{{" not in parts["text/html"]
    assert deliver_pending(seeded, transport) == 0  # nothing is sent twice


def test_an_english_customer_is_written_in_english(seeded: Database, configured: Inbox) -> None:
    address = AddressDraft(
        name="Ann Lee", line1="1 High Street", postcode="SW1A 1AA", city="London", country="GB"
    )
    order, _ = orders.place_order(
        seeded,
        order_draft(email="ann@example.co.uk", customer_name="Ann Lee", phone="", address=address),
        actor="t",
    )
    transport = transport_from_environment()
    assert transport is not None and deliver_pending(seeded, transport) == 1
    (message,) = configured.messages
    assert message["Subject"] == f"Your order {order.number} is confirmed"
    assert _parts(message)["text/plain"].startswith("Hello Ann Lee,")


def test_the_shop_locale_wins_over_the_country(
    seeded: Database, configured: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLON_SHOP_LOCALE", "en")
    order, _ = orders.place_order(seeded, order_draft(), actor="t")  # to Lyon
    with seeded.reader() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.topic == "order.confirmed"))
    assert row is not None and row.subject == f"Your order {order.number} is confirmed"
    assert row.payload["locale"] == "en" and row.html and "Hello Camille" in row.html


def test_a_configured_sms_provider_gets_the_shipping_text(
    seeded: Database, configured: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLON_SMS_PROVIDER", "brevo")
    monkeypatch.setenv("MAILLON_BREVO_API_KEY", "xkeysib-test")
    transport = transport_from_environment()
    assert isinstance(transport, ChannelSender) and set(transport.senders) == {"email", "sms"}
    assert isinstance(transport.senders["sms"], BrevoSms)
    assert transport.senders["sms"].sender == "BoutiqueLun"  # the shop's name, as Brevo takes it
    number = packed_order(seeded)
    with seeded.transaction() as s:
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="op")
    with seeded.reader() as s:
        texts = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    (text,) = texts  # the confirmation has no text message; the shipping notice has one
    assert text.recipient == "+33612345678" and text.topic == "order.shipped"
    assert "https://suivi.lune.example/track?number=" in (text.body or "")
    assert (text.body or "").startswith("Boutique Lune : votre commande")


def test_without_any_transport_configured_there_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAILLON_SMTP_URL", "MAILLON_SMS_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    assert transport_from_environment() is None
    monkeypatch.setenv("MAILLON_SMS_PROVIDER", "carrier-pigeon")
    with pytest.raises(ValueError, match="MAILLON_SMS_PROVIDER"):
        transport_from_environment()


def test_a_text_only_message_is_sent_as_plain_text(
    seeded: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    with seeded.transaction() as s:
        enqueue_message(s, topic="purchase_order.sent", recipient="a@b.fr", subject="PO", body="x")
    sender = SmtpSender(host="127.0.0.1", port=port, starttls=False, sender="shop@example.fr")
    assert deliver_pending(seeded, sender) == 1
    (message,) = inbox.messages
    assert message.get_content_type() == "text/plain" and message["From"] == "shop@example.fr"


def test_a_file_transport_writes_each_email_as_it_would_leave(
    seeded: Database, tmp_path: Path
) -> None:
    from maillon.core.outbox import FileSender, smtp_sender_from_url

    mailbox = tmp_path / "mail box"
    sender = smtp_sender_from_url(mailbox.as_uri(), sender="shop@example.fr", sender_name="Shop")
    assert isinstance(sender, FileSender) and sender.directory == mailbox
    order, _ = orders.place_order(seeded, order_draft(), actor="t")
    assert deliver_pending(seeded, sender) == 1
    [written] = list(mailbox.glob("*.eml"))
    mail = message_from_bytes(written.read_bytes())
    assert mail["To"] == "camille.martin@example.fr" and order.number in mail["Subject"]
    assert mail["From"] == "Shop <shop@example.fr>" and mail["Date"]
    assert written.stem in mail["Message-ID"]  # named after the stable reference
    assert list(mailbox.glob("*.part")) == []
    assert deliver_pending(seeded, sender) == 0  # delivered once


def test_what_waits_is_sent_batch_after_batch(seeded: Database) -> None:
    from maillon.core.outbox import MemorySender, deliver_waiting

    for n in range(3):
        orders.place_order(seeded, order_draft(external_id=f"B{n}"), actor="t")
    sender = MemorySender()
    assert deliver_waiting(seeded, sender, batch=2) == 3  # a full batch, then a short one
    assert len(sender.sent) == 3 and deliver_waiting(seeded, sender, batch=2) == 0


def test_a_page_with_a_failure_does_not_end_the_round(seeded: Database) -> None:
    """Two workers share the pages (each claims part of one) and a relay may refuse one
    message: a full page means more may wait, so the round reads on."""
    from maillon.core.outbox import MemorySender, deliver_waiting

    class FirstFails(MemorySender):
        calls = 0

        def send(self, **message: str) -> None:  # type: ignore[override]
            self.calls += 1
            if self.calls == 1:
                raise OSError("the relay hung up")
            super().send(**message)

    for n in range(5):
        orders.place_order(seeded, order_draft(external_id=f"F{n}"), actor="t")
    sender = FirstFails()
    assert deliver_waiting(seeded, sender, batch=2) == 5  # the failed one again, later on
    assert sender.calls == 6 and len({m["reference"] for m in sender.sent}) == 5


def test_a_relay_that_is_down_ends_the_round(seeded: Database) -> None:
    from maillon.core.outbox import MemorySender, deliver_waiting

    class Down(MemorySender):
        calls = 0

        def send(self, **message: str) -> None:  # type: ignore[override]
            self.calls += 1
            raise OSError("connection refused")

    for n in range(5):
        orders.place_order(seeded, order_draft(external_id=f"D{n}"), actor="t")
    sender = Down()
    assert deliver_waiting(seeded, sender, batch=2) == 0
    assert sender.calls == 2  # one page tried, not every message again and again
