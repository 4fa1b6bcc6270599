"""What shops send: order webhooks, cancellations, WooCommerce's ping, and the inbox of
what was refused.

A webhook is checked once (the channel exists, is of the platform the URL names, and the
body is signed with its secret: ``orders.intake.signature_ok``), then read
(:func:`maillon.channels.webhooks.classify`):

* an order goes to ``orders.service.place_order`` (replays return the first order); one
  refused for a bad field is kept in the inbox (:class:`InboxEntry`, one per shop order id)
  with its raw body and reasons, and the shop is answered so it stops sending it: once
  fixed, :func:`reprocess` places it;
* a cancellation goes to the one owner, ``orders.service.cancel_order``; an order that has
  shipped cannot be cancelled: the refusal is kept in the inbox, written in the order's
  timeline, and the shop is still answered 2xx (it would otherwise retry for days).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.channels.model import ChannelKind, InboxKind, InboxStatus
from maillon.channels.tables import InboxEntry
from maillon.channels.webhooks import Action, Incoming, classify, is_ping, shop_order_id
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import (
    AuthenticationError,
    Conflict,
    FieldError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from maillon.orders import service as orders
from maillon.orders.intake import from_shopify, from_woocommerce, signature_ok
from maillon.orders.model import OrderStatus
from maillon.orders.tables import SalesChannel


@dataclass(frozen=True)
class Received:
    """What became of a webhook: ``outcome`` is created, replayed, refused (kept in the
    inbox), cancelled, cancel_refused (kept too), ignored or ping."""

    outcome: str
    order_number: str | None = None
    inbox_id: int | None = None
    errors: tuple[FieldError, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Channel:
    id: int
    code: str
    kind: ChannelKind


def _verified(
    db: Database, *, code: str, kind: str, body: bytes, signature: str | None
) -> _Channel:
    with db.reader() as session:
        channel = orders.get_channel(session=session, code=code)
        found = _Channel(channel.id, channel.code, ChannelKind(channel.kind))
        secret = channel.webhook_secret
    if found.kind != kind or not signature_ok(secret, body, signature):
        raise AuthenticationError(f"webhook signature does not match channel {code!r}")
    return found


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError(FieldError("body", "is not JSON")) from None
    if not isinstance(payload, dict):
        raise ValidationError(FieldError("body", "must be a JSON object"))
    return payload


def receive(
    db: Database,
    *,
    code: str,
    kind: str,
    body: bytes,
    signature: str | None,
    topic: str | None,
) -> Received:
    """Take a webhook from the shop ``code``. Raises NotFound (unknown channel),
    AuthenticationError (bad signature, or a channel of another platform)."""
    if kind == ChannelKind.WOOCOMMERCE and not signature and is_ping(body):
        with db.reader() as session:
            orders.get_channel(session=session, code=code)  # a ping to a wrong URL is a 404
        return Received("ping")
    channel = _verified(db, code=code, kind=kind, body=body, signature=signature)
    try:
        payload = _payload(body)
    except ValidationError as exc:
        order_id = shop_order_id({}, body)
        return _refuse(db, channel, InboxKind.ORDER, order_id, body.decode("utf-8", "replace"), exc)
    incoming = classify(channel.kind, topic, payload, body)
    if incoming.action is Action.CREATE:
        return _create(
            db, channel, incoming.shop_order_id, payload, body.decode("utf-8", "replace")
        )
    if incoming.action is Action.CANCEL:
        return _cancel(db, channel, incoming, body.decode("utf-8", "replace"))
    return Received("ignored")


def _create(
    db: Database, channel: _Channel, order_id: str, payload: dict[str, Any], raw: str
) -> Received:
    mapper = from_shopify if channel.kind is ChannelKind.SHOPIFY else from_woocommerce
    try:
        order, created = orders.place_order(
            db, mapper(payload, channel.code), actor=f"webhook:{channel.code}"
        )
    except ValidationError as exc:
        return _refuse(db, channel, InboxKind.ORDER, order_id, raw, exc)
    with db.transaction() as session:  # a refusal fixed at the shop's end is settled
        _settle(session, channel.id, InboxKind.ORDER, order_id, order.number, "shop")
    return Received("created" if created else "replayed", order.number)


def _settle(
    session: Session, channel_id: int, kind: InboxKind, order_id: str, number: str, actor: str
) -> None:
    session.execute(
        update(InboxEntry)
        .where(
            InboxEntry.channel_id == channel_id,
            InboxEntry.kind == kind.value,
            InboxEntry.shop_order_id == order_id,
            InboxEntry.status == InboxStatus.REFUSED.value,
        )
        .values(
            status=InboxStatus.PROCESSED.value,
            order_number=number,
            updated_at=clock.now(),
            updated_by=actor,
        )
    )


def _errors_of(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": e.field, "message": e.message} for e in exc.errors]


def _refuse(
    db: Database, channel: _Channel, kind: InboxKind, order_id: str, raw: str, exc: ValidationError
) -> Received:
    with db.transaction() as session:
        entry, _ = keep(
            session=session,
            channel_id=channel.id,
            kind=kind,
            shop_order_id=order_id,
            body=raw,
            errors=_errors_of(exc),
        )
        return Received("refused", None, entry.id, tuple(exc.errors))


def keep(
    *,
    session: Session,
    channel_id: int,
    kind: InboxKind,
    shop_order_id: str,
    body: str,
    errors: list[dict[str, Any]],
    order_number: str | None = None,
) -> tuple[InboxEntry, bool]:
    """Keep a refused webhook in the inbox, once per shop, kind and shop order id (received
    again: its body and reasons are brought up to date). Returns the entry and whether it is
    new. A settled entry stays settled."""
    now = clock.now()
    key = (
        InboxEntry.channel_id == channel_id,
        InboxEntry.kind == kind.value,
        InboxEntry.shop_order_id == shop_order_id,
    )
    entry = session.scalar(select(InboxEntry).where(*key).with_for_update())
    if entry is None:
        entry = InboxEntry(
            channel_id=channel_id,
            kind=kind.value,
            shop_order_id=shop_order_id,
            status=InboxStatus.REFUSED.value,
            body=body,
            errors=errors,
            received=1,
            received_at=now,
            updated_at=now,
            order_number=order_number,
            updated_by="shop",
        )
        try:
            with session.begin_nested():
                session.add(entry)
            return entry, True
        except IntegrityError:  # the same webhook, received twice at once
            entry = session.scalars(select(InboxEntry).where(*key).with_for_update()).one()
    entry.received += 1
    if entry.status == InboxStatus.REFUSED.value:
        entry.body, entry.errors, entry.updated_at = body, errors, now
    return entry, False


def _cancel(db: Database, channel: _Channel, incoming: Incoming, raw: str) -> Received:
    actor = f"webhook:{channel.code}"
    with db.transaction() as session:
        order = orders.find_existing(
            session=session, channel=channel.code, external_id=incoming.shop_order_id
        )
        if order is None:  # never placed: a refused order waiting in the inbox is moot
            session.execute(
                update(InboxEntry)
                .where(
                    InboxEntry.channel_id == channel.id,
                    InboxEntry.kind == InboxKind.ORDER.value,
                    InboxEntry.shop_order_id == incoming.shop_order_id,
                    InboxEntry.status == InboxStatus.REFUSED.value,
                )
                .values(
                    status=InboxStatus.DISCARDED.value, updated_at=clock.now(), updated_by=actor
                )
            )
            return Received("ignored")
        number = order.number
        if order.status == OrderStatus.CANCELLED:
            return Received("cancelled", number)
        try:
            with session.begin_nested():
                orders.cancel_order(
                    session=session,
                    number=number,
                    reason=f"cancelled in the shop {channel.code} ({incoming.reason})",
                    actor=actor,
                )
            return Received("cancelled", number)
        except InvalidTransition:
            status = OrderStatus(order.status)
        reason = f"order {number} is {status.value}: it can no longer be cancelled"
        entry, new = keep(
            session=session,
            channel_id=channel.id,
            kind=InboxKind.CANCELLATION,
            shop_order_id=incoming.shop_order_id,
            body=raw,
            errors=[{"field": "status", "message": reason}],
            order_number=number,
        )
        if new:
            orders.add_note(
                session=session,
                number=number,
                note=f"The shop {channel.code} asked to cancel; refused: {reason}",
                actor=actor,
            )
        return Received("cancel_refused", number, entry.id, (FieldError("status", reason),))


# --------------------------------------------------------------------------- the inbox


def list_inbox(
    *,
    session: Session,
    status: InboxStatus | None = InboxStatus.REFUSED,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[tuple[InboxEntry, str]]:
    """Refused webhooks (newest first) with their channel's code."""
    query = select(InboxEntry, SalesChannel.code).join(
        SalesChannel, SalesChannel.id == InboxEntry.channel_id
    )
    if status is not None:
        query = query.where(InboxEntry.status == status.value)
    if channel:
        query = query.where(SalesChannel.code == channel)
    rows = session.execute(
        query.order_by(InboxEntry.updated_at.desc(), InboxEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(entry, code) for entry, code in rows]


def get_entry(*, session: Session, entry_id: int, lock: bool = False) -> InboxEntry:
    """Return inbox entry ``entry_id``. Raises NotFound."""
    entry = session.get(InboxEntry, entry_id, with_for_update=lock)
    if entry is None:
        raise NotFound("inbox entry", entry_id, field="entry")
    return entry


def _waiting(session: Session, entry_id: int) -> InboxEntry:
    entry = get_entry(session=session, entry_id=entry_id, lock=True)
    if entry.status != InboxStatus.REFUSED.value:
        raise Conflict(f"inbox entry {entry_id} is {entry.status}: only a refused one changes")
    return entry


def edit_entry(*, session: Session, entry_id: int, payload: Any, actor: str) -> InboxEntry:
    """Replace a refused webhook's body with the fixed ``payload`` (a JSON object).
    Raises NotFound, Conflict (not refused any more), ValidationError."""
    if not isinstance(payload, dict):
        raise ValidationError(FieldError("payload", "must be a JSON object"))
    entry = _waiting(session, entry_id)
    entry.body = json.dumps(payload, ensure_ascii=False)
    entry.updated_at, entry.updated_by = clock.now(), actor
    return entry


def discard_entry(*, session: Session, entry_id: int, actor: str) -> InboxEntry:
    """Give up on a refused webhook. Raises NotFound, Conflict."""
    entry = _waiting(session, entry_id)
    entry.status = InboxStatus.DISCARDED.value
    entry.updated_at, entry.updated_by = clock.now(), actor
    return entry


def reprocess(db: Database, *, entry_id: int, actor: str) -> InboxEntry:
    """Take a refused webhook again, as it now reads: an order is placed, a cancellation
    applied. Still refused: its reasons are brought up to date and the ValidationError (or
    InvalidTransition for a shipped order) is raised. Raises NotFound, Conflict."""
    with db.reader() as session:
        entry = _waiting(session, entry_id)
        kind, body, order_id = InboxKind(entry.kind), entry.body, entry.shop_order_id
        channel = session.get(SalesChannel, entry.channel_id)
        assert channel is not None
        code, platform = channel.code, ChannelKind(channel.kind)
    if kind is InboxKind.CANCELLATION:
        return _reprocess_cancel(db, entry_id, code, body, actor)
    mapper = from_shopify if platform is ChannelKind.SHOPIFY else from_woocommerce
    try:
        order, _ = orders.place_order(db, mapper(_payload(body.encode()), code), actor=actor)
    except ValidationError as exc:
        with db.transaction() as session:
            entry = _waiting(session, entry_id)
            entry.errors, entry.updated_at, entry.updated_by = _errors_of(exc), clock.now(), actor
        raise
    with db.transaction() as session:
        _settle(
            session, _waiting(session, entry_id).channel_id, kind, order_id, order.number, actor
        )
        return get_entry(session=session, entry_id=entry_id)


def _reprocess_cancel(db: Database, entry_id: int, code: str, body: str, actor: str) -> InboxEntry:
    with db.transaction() as session:
        entry = _waiting(session, entry_id)
        order = orders.find_existing(session=session, channel=code, external_id=entry.shop_order_id)
        if order is None:
            raise NotFound("order", entry.shop_order_id, field="shop_order_id")
        if order.status != OrderStatus.CANCELLED:
            orders.cancel_order(
                session=session,
                number=order.number,
                reason=f"cancelled in the shop {code}",
                actor=actor,
            )
        entry.status, entry.order_number = InboxStatus.PROCESSED.value, order.number
        entry.updated_at, entry.updated_by = clock.now(), actor
        return entry
