"""The outbox: side effects recorded in the transaction that caused them, sent after commit.

:func:`publish` records a domain event and runs the in-process subscribers, all in the caller's
transaction, so a higher package reacts to a lower one without being imported by it.
:func:`enqueue_message` records a message to a person (e-mail, SMS). :func:`deliver_pending`
hands pending messages to a :class:`Sender` after commit; a failed send is retried later.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.db import Database, insert_pending
from maillon.core.tables import OutboxMessage

Handler = Callable[[Session, dict[str, Any]], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(topic: str, handler: Handler) -> None:
    """Run ``handler(session, payload)`` inside the transaction of every ``topic`` event."""
    if handler not in _subscribers[topic]:
        _subscribers[topic].append(handler)


def publish(session: Session, topic: str, payload: dict[str, Any]) -> None:
    """Record the domain event ``topic`` in the outbox and run its subscribers now.

    The event is inserted at once, with the messages added before it (ids keep their order):
    the subscribers' own rows then make the only other statements, and the commit has no
    unit-of-work flush left to run for the outbox.
    """
    session.add(
        OutboxMessage(
            topic=topic, channel="event", payload=payload, created_at=clock.now(), attempts=0
        )
    )
    insert_pending(session, OutboxMessage)
    for handler in list(_subscribers.get(topic, ())):
        handler(session, payload)


def enqueue_message(
    session: Session,
    *,
    topic: str,
    recipient: str,
    subject: str,
    body: str,
    payload: dict[str, Any] | None = None,
    channel: str = "email",
) -> OutboxMessage:
    """Record a message to ``recipient`` in the caller's transaction and return it."""
    message = OutboxMessage(
        topic=topic,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        payload=payload or {},
        created_at=clock.now(),
        attempts=0,
    )
    session.add(message)
    return message


class Sender(Protocol):
    """Sends one message to a person; raises on failure."""

    def send(self, *, channel: str, recipient: str, subject: str, body: str) -> None: ...


@dataclass
class MemorySender:
    """A sender that keeps messages in a list (for tests and the demo)."""

    sent: list[dict[str, str]] = field(default_factory=list)

    def send(self, *, channel: str, recipient: str, subject: str, body: str) -> None:
        """Append the message to ``sent``."""
        self.sent.append(
            {"channel": channel, "recipient": recipient, "subject": subject, "body": body}
        )


@dataclass
class SmtpSender:
    """Sends e-mail through an SMTP relay (STARTTLS when ``starttls``)."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = "no-reply@maillon.local"
    starttls: bool = True

    def send(self, *, channel: str, recipient: str, subject: str, body: str) -> None:
        """Send one e-mail. Raises ValueError for a non-email channel, smtplib errors on failure."""
        if channel != "email":
            raise ValueError(f"SmtpSender cannot send {channel!r} messages")
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = recipient
        msg["Subject"] = subject
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)


def list_messages(*, session: Session, limit: int = 50, offset: int = 0) -> Sequence[OutboxMessage]:
    """Return one page of recorded messages and events, newest first."""
    return session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    ).all()


def deliver_pending(db: Database, sender: Sender, *, limit: int = 500) -> int:
    """Send up to ``limit`` pending person messages; return how many were delivered.

    Each message is marked in its own transaction, so a crash re-sends at most one message.
    Domain events (channel ``event``) were handled in-process and are marked delivered too.
    """
    delivered = 0
    with db.reader() as session:
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.attempts < 10)
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    for message_id in ids:
        with db.transaction() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.delivered_at is not None:
                continue
            message.attempts += 1
            try:
                if message.channel != "event":
                    sender.send(
                        channel=message.channel,
                        recipient=message.recipient or "",
                        subject=message.subject or "",
                        body=message.body or "",
                    )
            except Exception as exc:  # a relay failure must not lose the message
                message.last_error = str(exc)[:500]
                continue
            message.delivered_at = clock.now()
            delivered += 1
    return delivered
