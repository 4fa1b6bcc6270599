"""The outbox: side effects recorded in the transaction that caused them, sent after commit.

:func:`publish` records a domain event and runs the in-process subscribers, all in the caller's
transaction, so a higher package reacts to a lower one without being imported by it.
:func:`enqueue_message` records a message to a person (e-mail, SMS). :func:`deliver_pending`
hands pending messages to a :class:`Sender` after commit; a failed send is retried later.
"""

from __future__ import annotations

import os
import smtplib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from maillon.core import clock, jobs
from maillon.core.db import Database, insert_pending
from maillon.core.tables import OutboxMessage

Handler = Callable[[Session, dict[str, Any]], None]
_DELIVERY_ASKED = "maillon.outbox.delivery_asked"
Observer = Callable[[Session, OutboxMessage], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)
_observers: list[Observer] = []


def subscribe(topic: str, handler: Handler) -> None:
    """Run ``handler(session, payload)`` inside the transaction of every ``topic`` event."""
    if handler not in _subscribers[topic]:
        _subscribers[topic].append(handler)


def observe(observer: Observer) -> None:
    """Run ``observer(session, event)`` inside the transaction of every event, whatever its
    topic, with the event's outbox row (its id set): outgoing webhooks record their
    deliveries this way, in the transaction of the change."""
    if observer not in _observers:
        _observers.append(observer)


def publish(session: Session, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Record the domain event ``topic`` in the outbox, run the observers and its
    subscribers now, and return the event's row.

    The event is inserted at once, with the messages added before it (ids keep their order):
    the subscribers' own rows then make the only other statements, and the commit has no
    unit-of-work flush left to run for the outbox.
    """
    event = OutboxMessage(
        topic=topic, channel="event", payload=payload, created_at=clock.now(), attempts=0
    )
    session.add(event)
    insert_pending(session, OutboxMessage)
    for observer in list(_observers):  # first: what they record follows the events' order
        observer(session, event)
    for handler in list(_subscribers.get(topic, ())):
        handler(session, payload)
    return event


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
    """Record a message to ``recipient`` in the caller's transaction and return it; a job
    sends it once the transaction commits (one job per transaction, whatever it records)."""
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
    if not session.info.get(_DELIVERY_ASKED):
        jobs.submit(session, "outbox.deliver")
        session.info[_DELIVERY_ASKED] = True
    return message


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_delivery(session: Session) -> None:
    session.info.pop(_DELIVERY_ASKED, None)


class Sender(Protocol):
    """Sends one message to a person; raises on failure."""

    def send(
        self, *, channel: str, recipient: str, subject: str, body: str, reference: str = ""
    ) -> None: ...

    def describe(self) -> str: ...


@dataclass
class MemorySender:
    """A sender that keeps messages in a list (for tests and the demo)."""

    sent: list[dict[str, str]] = field(default_factory=list)

    def send(
        self, *, channel: str, recipient: str, subject: str, body: str, reference: str = ""
    ) -> None:
        """Append the message to ``sent``."""
        self.sent.append(
            {
                "channel": channel,
                "recipient": recipient,
                "subject": subject,
                "body": body,
                "reference": reference,
            }
        )

    def describe(self) -> str:
        """Where the messages go."""
        return "memory"


@dataclass
class SmtpSender:
    """Sends e-mail through an SMTP relay: STARTTLS when ``starttls``, TLS from the first
    byte when ``ssl`` (port 465)."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = "no-reply@maillon.local"
    starttls: bool = True
    ssl: bool = False
    timeout: float = 30.0

    def send(
        self, *, channel: str, recipient: str, subject: str, body: str, reference: str = ""
    ) -> None:
        """Send one e-mail. Raises ValueError for a non-email channel, smtplib or OSError on
        failure. ``reference`` makes the Message-ID, the same at every attempt, so a message
        sent again after a crash is recognised as the same one."""
        if channel != "email":
            raise ValueError(f"SmtpSender cannot send {channel!r} messages")
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        domain = self.sender.rpartition("@")[2] or "maillon.local"
        msg["Message-ID"] = f"<{reference}@{domain}>" if reference else make_msgid(domain=domain)
        msg.set_content(body)
        smtp_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls and not self.ssl:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)

    def describe(self) -> str:
        """Where the messages go (no password)."""
        return f"smtp://{self.host}:{self.port}"


def smtp_sender_from_url(url: str, *, sender: str | None = None) -> SmtpSender:
    """Read ``smtp://user:pass@host:587`` (STARTTLS), ``smtps://...:465`` (TLS) or
    ``smtp://127.0.0.1:2525?tls=off`` (a local relay, plain); ``?from=`` sets the sender."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"not an SMTP URL (smtp://host:port or smtps://host:port): {url!r}")
    query = parse_qs(parts.query)
    tls = (query.get("tls") or ["on"])[0].lower()
    if tls not in ("on", "off"):
        raise ValueError(f"tls must be on or off in the SMTP URL, not {tls!r}")
    ssl = parts.scheme == "smtps"
    return SmtpSender(
        host=parts.hostname,
        port=parts.port or (465 if ssl else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=sender or (query.get("from") or ["no-reply@maillon.local"])[0],
        starttls=tls == "on",
        ssl=ssl,
    )


def transport_from_environment() -> Sender | None:
    """The sender ``MAILLON_SMTP_URL`` names (``MAILLON_SMTP_FROM``: its From address), or
    ``None`` when none is configured."""
    url = os.environ.get("MAILLON_SMTP_URL")
    if not url:
        return None
    return smtp_sender_from_url(url, sender=os.environ.get("MAILLON_SMTP_FROM"))


def list_messages(*, session: Session, limit: int = 50, offset: int = 0) -> Sequence[OutboxMessage]:
    """Return one page of recorded messages and events, newest first."""
    return session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    ).all()


#: A message is given up after this many failed attempts (it stays, with its last error).
MAX_ATTEMPTS = 10
#: A worker sending a message holds it this long; past it (the worker died) another takes it.
CLAIM = timedelta(minutes=2)


def _pending() -> Any:
    return (OutboxMessage.delivered_at.is_(None)) & (OutboxMessage.attempts < MAX_ATTEMPTS)


def waiting(db: Database) -> int:
    """How many messages to people wait to be sent."""
    with db.reader() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(_pending(), OutboxMessage.channel != "event")
            )
            or 0
        )


def _claim(db: Database, message_id: int) -> OutboxMessage | None:
    now = clock.now()
    with db.transaction() as session:
        taken = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                _pending(),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        return session.get(OutboxMessage, message_id) if taken else None


def deliver_pending(db: Database, sender: Sender, *, limit: int = 500) -> int:
    """Send up to ``limit`` pending person messages; return how many were delivered.

    Each message is claimed first (a conditional update), so workers running this at once
    never send the same message; it is marked delivered in its own transaction after the
    send, so a crash in between sends it again once the claim lapses, with the same
    Message-ID. Domain events (channel ``event``) were handled in-process: they are marked
    delivered all at once.
    """
    delivered = 0
    now = clock.now()
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(_pending(), OutboxMessage.channel == "event")
            .values(delivered_at=now, attempts=OutboxMessage.attempts + 1)
        )
    with db.reader() as session:
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(
                _pending(),
                OutboxMessage.channel != "event",
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    for message_id in ids:
        message = _claim(db, message_id)
        if message is None:
            continue
        error = None
        try:
            sender.send(
                channel=message.channel,
                recipient=message.recipient or "",
                subject=message.subject or "",
                body=message.body or "",
                reference=f"maillon-outbox-{message.id}",
            )
        except Exception as exc:  # a relay failure must not lose the message
            error = f"{type(exc).__name__}: {exc}"[:500]
        with db.transaction() as session:
            if error is None:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(delivered_at=clock.now(), claimed_until=None, last_error=None)
                )
                delivered += 1
            else:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(claimed_until=None, last_error=error)
                )
    return delivered
