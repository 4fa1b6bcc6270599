"""The outbox: side effects recorded in the transaction that caused them, sent after commit.

:func:`publish` records a domain event and runs the in-process subscribers, all in the caller's
transaction, so a higher package reacts to a lower one without being imported by it.
:func:`notify` writes a customer message from its template (:mod:`maillon.core.mail`: their
language, HTML and text, absolute links; a text message too when the topic has one and SMS is
configured) and :func:`enqueue_message` records it (e-mail, SMS). :func:`deliver_pending`
hands pending messages to a :class:`Sender` after commit; a failed send is retried later.

Configuration (environment): ``MAILLON_SMTP_URL`` and ``MAILLON_SMTP_FROM`` (e-mail),
``MAILLON_SMS_PROVIDER=brevo`` with ``MAILLON_BREVO_API_KEY``, ``MAILLON_SMS_SENDER`` and
optionally ``MAILLON_SMS_URL`` (text messages), ``MAILLON_SHOP_NAME`` (the From name and the
signature), ``MAILLON_PUBLIC_URL`` (the base of every link), ``MAILLON_SHOP_LOCALE`` (the
language of every customer whose order does not say one).
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from maillon.core import clock, mail
from maillon.core.db import Database, insert_pending
from maillon.core.sms import BREVO_URL, SENDER_MAX, BrevoSms, DeliveryRefused, RateLimited
from maillon.core.tables import OutboxMessage

Handler = Callable[[Session, dict[str, Any]], None]
_DELIVERY_ASKED = "maillon.outbox.delivery_asked"
_nudges: list[Callable[[], None]] = []
log = logging.getLogger("maillon.outbox")
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
    html: str = "",
) -> OutboxMessage:
    """Record a message to ``recipient`` in the caller's transaction and return it
    (``html``: the HTML part of an e-mail whose ``body`` is the text part). Once the
    transaction commits, the delivery is nudged (:func:`nudge_with`): sent within seconds."""
    message = OutboxMessage(
        topic=topic,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        html=html or None,
        payload=payload or {},
        created_at=clock.now(),
        attempts=0,
    )
    session.add(message)
    session.info[_DELIVERY_ASKED] = True
    return message


def nudge_with(nudge: Callable[[], None] | None) -> None:
    """Have ``nudge()`` called after each commit that recorded messages, to send them now (the
    worker tier coalesces the nudges; the schedule sends whatever a lost nudge left)."""
    _nudges[:] = [nudge] if nudge else []


@event.listens_for(Session, "after_commit")
def _nudge_after_commit(session: Session) -> None:
    if session.info.pop(_DELIVERY_ASKED, None) and _nudges:
        try:
            _nudges[0]()
        except Exception:  # the change is committed: the schedule sends its messages anyway
            log.exception("could not nudge the outbox after a commit")


@event.listens_for(Session, "after_rollback")
def _forget_delivery(session: Session) -> None:
    session.info.pop(_DELIVERY_ASKED, None)


class Sender(Protocol):
    """Sends one message to a person; raises on failure."""

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        reference: str = "",
        html: str = "",
    ) -> None: ...

    def describe(self) -> str: ...


@dataclass
class MemorySender:
    """A sender that keeps messages in a list (for tests and the demo)."""

    sent: list[dict[str, str]] = field(default_factory=list)

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        reference: str = "",
        html: str = "",
    ) -> None:
        """Append the message to ``sent``."""
        self.sent.append(
            {
                "channel": channel,
                "recipient": recipient,
                "subject": subject,
                "body": body,
                "reference": reference,
                "html": html,
            }
        )

    def describe(self) -> str:
        """Where the messages go."""
        return "memory"


def build_email(
    *,
    sender: str,
    sender_name: str,
    recipient: str,
    subject: str,
    body: str,
    html: str = "",
    reference: str = "",
) -> EmailMessage:
    """The e-mail as it leaves: From with the shop's name, Date, a Message-ID made from
    ``reference`` (the same at every attempt), ``body`` as text and ``html`` as its HTML
    alternative."""
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "maillon.local"
    msg["Message-ID"] = f"<{reference}@{domain}>" if reference else make_msgid(domain=domain)
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


@dataclass
class FileSender:
    """Writes each e-mail, exactly as it would leave, into ``directory`` as an ``.eml`` file
    any mail client opens (the demo's transport, and a way to look before going live)."""

    directory: Path
    sender: str = "no-reply@maillon.local"
    sender_name: str = ""

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        reference: str = "",
        html: str = "",
    ) -> None:
        """Write one e-mail (named after ``reference``: sent again, it is written over)."""
        if channel != "email":
            raise ValueError(f"FileSender cannot send {channel!r} messages")
        msg = build_email(
            sender=self.sender,
            sender_name=self.sender_name,
            recipient=recipient,
            subject=subject,
            body=body,
            html=html,
            reference=reference,
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        name = reference or make_msgid().strip("<>").replace("@", "_")
        target = self.directory / f"{name}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(msg.as_bytes())
        partial.replace(target)  # a reader never sees half a message

    def describe(self) -> str:
        """Where the messages go."""
        return f"file://{self.directory}"


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
    sender_name: str = ""

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        reference: str = "",
        html: str = "",
    ) -> None:
        """Send one e-mail: ``body`` as its text, and ``html`` when given as the HTML
        alternative (``multipart/alternative``). Raises ValueError for a non-email channel,
        :class:`~maillon.core.sms.DeliveryRefused` when the relay refuses the recipient,
        smtplib or OSError on other failures. ``reference`` makes the Message-ID, the same at
        every attempt, so a message sent again after a crash is recognised as the same one."""
        if channel != "email":
            raise ValueError(f"SmtpSender cannot send {channel!r} messages")
        msg = build_email(
            sender=self.sender,
            sender_name=self.sender_name,
            recipient=recipient,
            subject=subject,
            body=body,
            html=html,
            reference=reference,
        )
        smtp_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls and not self.ssl:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            try:
                smtp.send_message(msg)
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryRefused(f"recipient refused: {exc.recipients}") from exc

    def describe(self) -> str:
        """Where the messages go (no password)."""
        return f"smtp://{self.host}:{self.port}"


def smtp_sender_from_url(
    url: str, *, sender: str | None = None, sender_name: str = ""
) -> SmtpSender | FileSender:
    """Read ``smtp://user:pass@host:587`` (STARTTLS), ``smtps://...:465`` (TLS) or
    ``smtp://127.0.0.1:2525?tls=off`` (a local relay, plain); ``?from=`` sets the sender.
    ``file:///a/folder`` writes the e-mails there as ``.eml`` files instead."""
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path:
        return FileSender(
            directory=Path(unquote(parts.path)),
            sender=sender or "no-reply@maillon.local",
            sender_name=sender_name,
        )
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
        sender_name=sender_name,
    )


@dataclass
class ChannelSender:
    """Hands each message to the sender of its channel (``email`` to SMTP, ``sms`` to the SMS
    provider); a channel without one raises, so its messages wait with that error."""

    senders: dict[str, Sender]

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        reference: str = "",
        html: str = "",
    ) -> None:
        """Send through the channel's sender. Raises LookupError for a channel without one."""
        sender = self.senders.get(channel)
        if sender is None:
            raise LookupError(f"no transport is configured for {channel!r} messages")
        sender.send(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            reference=reference,
            html=html,
        )

    def describe(self) -> str:
        """Where each channel goes."""
        return ", ".join(f"{c}: {s.describe()}" for c, s in sorted(self.senders.items()))


SMS_PROVIDERS = ("brevo",)


def sms_sender_from_environment() -> Sender | None:
    """The SMS provider ``MAILLON_SMS_PROVIDER`` names (``brevo``: ``MAILLON_BREVO_API_KEY``,
    ``MAILLON_SMS_SENDER``, else the shop's name in letters and digits, ``MAILLON_SMS_URL`` to
    reach another base than Brevo's), or
    ``None``. Raises ValueError for an unknown provider or a missing key."""
    provider = os.environ.get("MAILLON_SMS_PROVIDER", "").strip().lower()
    if not provider:
        return None
    if provider not in SMS_PROVIDERS:
        raise ValueError(f"MAILLON_SMS_PROVIDER must be one of {SMS_PROVIDERS}, not {provider!r}")
    return BrevoSms(
        api_key=os.environ.get("MAILLON_BREVO_API_KEY", ""),
        sender=os.environ.get("MAILLON_SMS_SENDER")
        or (re.sub(r"[^A-Za-z0-9]", "", shop_name())[:SENDER_MAX] or "Maillon"),
        base_url=os.environ.get("MAILLON_SMS_URL") or BREVO_URL,
    )


def transport_from_environment() -> Sender | None:
    """The senders the environment configures, by channel: e-mail through ``MAILLON_SMTP_URL``
    (``MAILLON_SMTP_FROM``: its From address, ``MAILLON_SHOP_NAME`` its name), text messages
    through :func:`sms_sender_from_environment`; ``None`` when neither is configured."""
    senders: dict[str, Sender] = {}
    url = os.environ.get("MAILLON_SMTP_URL")
    if url:
        senders["email"] = smtp_sender_from_url(
            url, sender=os.environ.get("MAILLON_SMTP_FROM"), sender_name=shop_name()
        )
    sms = sms_sender_from_environment()
    if sms is not None:
        senders["sms"] = sms
    return ChannelSender(senders) if senders else None


def shop_name() -> str:
    """The shop's name in messages: ``MAILLON_SHOP_NAME``, else ``Maillon``."""
    return os.environ.get("MAILLON_SHOP_NAME", "").strip() or "Maillon"


def brand_from_environment() -> mail.Brand:
    """The shop's name and the public URL links start with (``MAILLON_PUBLIC_URL``, else
    ``http://localhost:8000``, where ``maillon serve`` listens). Raises ValueError for a
    public URL that is not absolute."""
    url = os.environ.get("MAILLON_PUBLIC_URL", "").strip() or "http://localhost:8000"
    return mail.Brand(shop_name=shop_name(), public_url=url)


def shop_locale() -> str:
    """The language of the shop (``MAILLON_SHOP_LOCALE``), or ``""`` when it is not set."""
    return os.environ.get("MAILLON_SHOP_LOCALE", "").strip()


def notify(
    session: Session,
    *,
    topic: str,
    locale: str,
    recipient: str,
    context: dict[str, Any],
    payload: dict[str, Any] | None = None,
    phone: str = "",
) -> OutboxMessage:
    """Write the customer message ``topic`` in ``locale`` from its templates and record it:
    the e-mail (text and HTML) to ``recipient``, and a text message to ``phone`` when the topic
    has one and an SMS provider is configured. Returns the e-mail's row."""
    brand = brand_from_environment()
    rendered = mail.render(topic, locale, context, brand=brand)
    meta = {**(payload or {}), "locale": locale}
    message = enqueue_message(
        session,
        topic=topic,
        recipient=recipient,
        subject=rendered.subject[:200],
        body=rendered.text,
        html=rendered.html,
        payload=meta,
    )
    if phone and os.environ.get("MAILLON_SMS_PROVIDER") and mail.has_template(topic, sms=True):
        enqueue_message(
            session,
            topic=topic,
            channel="sms",
            recipient=phone,
            subject="",
            body=mail.render_sms(topic, locale, context, brand=brand),
            payload=meta,
        )
    return message


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


def deliver_waiting(db: Database, sender: Sender, *, batch: int = 500, batches: int = 100) -> int:
    """Send what waits, batch after batch, until a batch comes back short (at most
    ``batch * batches`` messages a call); return how many were delivered."""
    delivered = 0
    for _ in range(batches):
        sent, read, paused = _deliver_page(db, sender, limit=batch)
        delivered += sent
        # a short page means nothing else waits; a full page that another worker claimed in
        # part, or with a failure, is read on; a page sending nothing (the relay is down) or
        # a provider asking to wait ends the round
        if read < batch or not sent or paused:
            break
    return delivered


def deliver_pending(db: Database, sender: Sender, *, limit: int = 500) -> int:
    """Send up to ``limit`` pending person messages; return how many were delivered.

    Each message is claimed first (a conditional update), so workers running this at once
    never send the same message; it is marked delivered in its own transaction after the
    send, so a crash in between sends it again once the claim lapses, with the same
    Message-ID. Domain events (channel ``event``) were handled in-process: they are marked
    delivered all at once.
    """
    return _deliver_page(db, sender, limit=limit)[0]


def _deliver_page(db: Database, sender: Sender, *, limit: int) -> tuple[int, int, bool]:
    """Send one page of waiting messages; return (delivered, read, a channel was paused)."""
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
    paused: set[str] = set()  # channels whose provider asked us to wait
    for message_id in ids:
        message = _claim(db, message_id)
        if message is None:
            continue
        if message.channel in paused:
            _record_failure(db, message_id, None, retry_after=0.0)
            continue
        try:
            sender.send(
                channel=message.channel,
                recipient=message.recipient or "",
                subject=message.subject or "",
                body=message.body or "",
                reference=f"maillon-outbox-{message.id}",
                html=message.html or "",
            )
        except RateLimited as exc:
            paused.add(message.channel)
            _record_failure(db, message_id, _error_text(exc), retry_after=exc.retry_after)
        except DeliveryRefused as exc:
            _record_failure(db, message_id, _error_text(exc), give_up=True)
        except Exception as exc:  # a relay failure must not lose the message
            _record_failure(db, message_id, _error_text(exc))
        else:
            with db.transaction() as session:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id)
                    .values(delivered_at=clock.now(), claimed_until=None, last_error=None)
                )
            delivered += 1
    return delivered, len(ids), bool(paused)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _record_failure(
    db: Database,
    message_id: int,
    error: str | None,
    *,
    retry_after: float | None = None,
    give_up: bool = False,
) -> None:
    """Leave a message pending with its error. A refusal for good gives it up at once (it
    stays, with its error); a rate limit keeps it claimed for the wait asked and gives its
    attempt back (``error`` None: not tried, its channel is waiting)."""
    values: dict[str, Any] = {"claimed_until": None}
    if error is not None:
        values["last_error"] = error
    if give_up:
        values["attempts"] = MAX_ATTEMPTS
    if retry_after is not None:
        values["attempts"] = OutboxMessage.attempts - 1
        if retry_after > 0:
            values["claimed_until"] = clock.now() + timedelta(seconds=retry_after)
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
        )
