"""The Brevo SMS client against a local server speaking Brevo's documented API: the exact
request we send, and what the outbox does with refusals, rate limits and time-outs (the message
stays pending with its error, never marked sent)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from maillon.core import clock, outbox
from maillon.core.db import Database
from maillon.core.outbox import MAX_ATTEMPTS, ChannelSender, MemorySender, deliver_pending
from maillon.core.sms import BrevoSms, DeliveryRefused, RateLimited, SmsError, international
from maillon.core.tables import OutboxMessage
from tests.helpers.brevo import Answer, FakeBrevo, fake_brevo

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def brevo() -> Iterator[FakeBrevo]:
    with fake_brevo() as server:
        yield server


def client(server: FakeBrevo, timeout: float = 5.0) -> BrevoSms:
    return BrevoSms(api_key="xkeysib-test", sender="Lune", base_url=server.url, timeout=timeout)


def send(sender: BrevoSms, text: str = "Votre commande A-1 est en route.") -> None:
    sender.send(
        channel="sms", recipient="+33 6 12 34 56 78", subject="", body=text, reference="m-1"
    )


def test_the_request_is_the_one_brevo_documents(brevo: FakeBrevo) -> None:
    send(client(brevo), "Votre commande A-1 est en route.")
    (request,) = brevo.received
    assert request.method == "POST" and request.path == "/v3/transactionalSMS/send"
    assert request.headers["api-key"] == "xkeysib-test"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.body == {
        "sender": "Lune",
        "recipient": "33612345678",
        "content": "Votre commande A-1 est en route.",
        "type": "transactional",
        "tag": "m-1",
        "unicodeEnabled": False,
    }
    send(client(brevo), "Livrée à 14h30 ✓")
    assert brevo.received[-1].body["unicodeEnabled"] is True


@pytest.mark.parametrize(
    ("status", "fixture", "words"),
    [
        (400, "error_400.json", "invalid_parameter"),
        (401, "error_401.json", "Key not found"),
        (402, "error_402.json", "not_enough_credits"),
    ],
)
def test_a_refusal_for_good_says_why(
    brevo: FakeBrevo, status: int, fixture: str, words: str
) -> None:
    brevo.answers = [Answer(status, fixture)]
    with pytest.raises(DeliveryRefused, match=words) as caught:
        send(client(brevo))
    assert str(status) in str(caught.value)


def test_a_rate_limit_says_how_long_to_wait(brevo: FakeBrevo) -> None:
    brevo.answers = [Answer(429, "error_429.json", {"Retry-After": "30"})]
    with pytest.raises(RateLimited) as caught:
        send(client(brevo))
    assert caught.value.retry_after == 30.0
    brevo.answers = [Answer(429, "error_429.json", {"x-sib-ratelimit-reset": "12"})]
    with pytest.raises(RateLimited) as caught:
        send(client(brevo))
    assert caught.value.retry_after == 12.0  # Brevo's own header when there is no Retry-After


def test_a_server_error_and_a_time_out_may_work_later(brevo: FakeBrevo) -> None:
    brevo.answers = [Answer(503, "error_429.json")]
    with pytest.raises(SmsError) as caught:
        send(client(brevo))
    assert not isinstance(caught.value, DeliveryRefused | RateLimited)
    brevo.answers = [Answer(hang=True)]
    with pytest.raises(httpx.TimeoutException):
        send(client(brevo, timeout=0.2))


def test_numbers_are_sent_in_international_form_or_refused_before_sending(
    brevo: FakeBrevo,
) -> None:
    assert international("+33 6 12 34 56 78") == "33612345678"
    assert international("0041 79 123 45 67") == "41791234567"
    with pytest.raises(DeliveryRefused, match="international"):
        client(brevo).send(channel="sms", recipient="06 12 34 56 78", subject="", body="x")
    with pytest.raises(ValueError, match="cannot send"):
        client(brevo).send(channel="email", recipient="+33612345678", subject="", body="x")
    assert brevo.received == []
    with pytest.raises(ValueError, match="sender"):
        BrevoSms(api_key="k", sender="A very long shop name")
    with pytest.raises(ValueError, match="API key"):
        BrevoSms(api_key="", sender="Lune")


# ------------------------------------------------------------- through the outbox


def queue_sms(db: Database, count: int = 1) -> list[int]:
    with db.transaction() as s:
        rows = [
            outbox.enqueue_message(
                s,
                topic="order.shipped",
                channel="sms",
                recipient="+33612345678",
                subject="",
                body=f"Lune : votre commande A-{i} est en route.",
            )
            for i in range(count)
        ]
        s.flush()
        return [row.id for row in rows]


def rows(db: Database) -> list[OutboxMessage]:
    with db.reader() as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == "sms")
                .order_by(OutboxMessage.id)
            ).all()
        )


def test_the_outbox_sends_sms_through_brevo_and_email_through_its_own_sender(
    db: Database, brevo: FakeBrevo
) -> None:
    queue_sms(db)
    with db.transaction() as s:
        outbox.enqueue_message(s, topic="t", recipient="a@example.fr", subject="S", body="B")
    mails = MemorySender()
    sender = ChannelSender({"email": mails, "sms": client(brevo)})
    assert deliver_pending(db, sender) == 2
    assert [r.body["content"] for r in brevo.received] == [
        "Lune : votre commande A-0 est en route."
    ]
    assert [m["recipient"] for m in mails.sent] == ["a@example.fr"]
    (row,) = rows(db)
    assert row.delivered_at is not None and row.last_error is None


def test_a_refused_sms_is_given_up_with_its_error_never_marked_sent(
    db: Database, brevo: FakeBrevo
) -> None:
    queue_sms(db)
    brevo.answers = [Answer(400, "error_400.json")]
    assert deliver_pending(db, ChannelSender({"sms": client(brevo)})) == 0
    (row,) = rows(db)
    assert row.delivered_at is None and row.attempts == MAX_ATTEMPTS
    assert "invalid_parameter" in (row.last_error or "")
    assert deliver_pending(db, ChannelSender({"sms": client(brevo)})) == 0
    assert len(brevo.received) == 1  # not tried again


def test_a_rate_limit_holds_the_channel_until_the_wait_is_over(
    db: Database, brevo: FakeBrevo
) -> None:
    first, second = queue_sms(db, 2)
    brevo.answers = [Answer(429, "error_429.json", {"Retry-After": "30"}), Answer()]
    sender = ChannelSender({"sms": client(brevo)})
    with clock.frozen_at(NOW):
        assert deliver_pending(db, sender) == 0
    assert len(brevo.received) == 1  # the second message waits with the first
    by_id = {r.id: r for r in rows(db)}
    assert by_id[first].delivered_at is None and "RateLimited" in (by_id[first].last_error or "")
    assert by_id[first].attempts == 0 and by_id[second].attempts == 0  # no attempt used up
    held = by_id[first].claimed_until
    assert held is not None and clock.as_utc(held) == NOW + timedelta(seconds=30)
    with clock.frozen_at(NOW + timedelta(seconds=10)):
        assert deliver_pending(db, sender) == 1  # only the second: the first is held
    with clock.frozen_at(NOW + timedelta(seconds=31)):
        assert deliver_pending(db, sender) == 1
    assert all(r.delivered_at is not None for r in rows(db))
    assert len(brevo.received) == 3


def test_a_time_out_leaves_the_message_pending_for_the_next_run(
    db: Database, brevo: FakeBrevo
) -> None:
    queue_sms(db)
    brevo.answers = [Answer(hang=True), Answer()]
    assert deliver_pending(db, ChannelSender({"sms": client(brevo, timeout=0.2)})) == 0
    (row,) = rows(db)
    assert row.delivered_at is None and row.attempts == 1
    assert "Timeout" in (row.last_error or "")
    assert deliver_pending(db, ChannelSender({"sms": client(brevo)})) == 1
    assert rows(db)[0].delivered_at is not None


def test_an_sms_without_a_provider_waits_with_the_reason(db: Database) -> None:
    queue_sms(db)
    assert deliver_pending(db, ChannelSender({"email": MemorySender()})) == 0
    (row,) = rows(db)
    assert row.delivered_at is None and "no transport" in (row.last_error or "")
