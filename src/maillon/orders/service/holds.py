"""Checkout holds: stock reserved for a cart for a few minutes while the customer pays.

A hold reserves every unit of the cart or nothing (409 naming the short lines). Confirming it
turns the held units into the order's allocations in the same transaction, so the customer who
paid never loses them. Holds not confirmed in time are released by :func:`sweep_expired`, which
claims each hold with a conditional update before releasing it: two sweeps running at once (two
workers, a cron job and a request) release every hold exactly once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from maillon.catalog.service import products_by_sku
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    InsufficientStock,
    NotFound,
    ShortLine,
    StockTaken,
    ValidationError,
)
from maillon.inventory import service as inventory
from maillon.inventory.model import StockTake
from maillon.inventory.sourcing import plan_sourcing
from maillon.orders import service as orders
from maillon.orders.model import HoldStatus, OrderDraft, OrderStatus
from maillon.orders.service import allocation, timeline
from maillon.orders.tables import Hold, HoldLine, Order

MIN_TTL_S = 30
MAX_TTL_S = 3600


def create_hold(
    *,
    session: Session,
    lines: Sequence[tuple[str, int]],
    ttl_seconds: int = 900,
    reference: str = "",
    actor: str = "checkout",
) -> Hold:
    """Hold every unit of ``lines`` (SKU, quantity) for ``ttl_seconds``; return the hold.

    Raises ValidationError (bad lines, unknown SKU, ttl out of range), InsufficientStock when
    the cart cannot be held in full (nothing is held then).
    """
    errors = ErrorCollector()
    if not lines:
        errors.add("lines", "a hold needs at least one line")
    if not MIN_TTL_S <= ttl_seconds <= MAX_TTL_S:
        errors.add("ttl_seconds", f"must be between {MIN_TTL_S} and {MAX_TTL_S}")
    for i, (_sku, qty) in enumerate(lines):
        if qty <= 0:
            errors.add(f"lines.{i}.quantity", "must be greater than 0")
    errors.raise_if_any()
    products = products_by_sku(session=session, skus=[sku for sku, _ in lines])
    for i, (sku, _qty) in enumerate(lines):
        if sku not in products:
            errors.add(f"lines.{i}.sku", f"unknown SKU {sku!r}")
    errors.raise_if_any()
    token = secrets.token_urlsafe(18)
    candidates = inventory.candidates_for(
        session=session, product_ids=[p.id for p in products.values()]
    )
    plan = plan_sourcing(list(lines), candidates, inventory.warehouse_sites(session=session))
    if not plan.complete:
        held = {c.sku: 0 for c in candidates}
        for c in candidates:
            held[c.sku] += c.available
        raise InsufficientStock(
            [
                ShortLine(sku, sum(q for s, q in lines if s == sku), held.get(sku, 0))
                for sku in plan.short
            ]
        )
    now = clock.now()
    hold = Hold(
        token=token,
        reference=reference[:100],
        status=HoldStatus.ACTIVE.value,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(hold)
    session.flush()
    takes = [
        StockTake(t.stock_id, products[lines[t.line_index][0]].id, t.warehouse_id, t.quantity)
        for t in plan.takes
    ]
    rows = [
        {
            "hold_id": hold.id,
            "stock_level_id": take.stock_id,
            "warehouse_id": take.warehouse_id,
            "sku": lines[t.line_index][0],
            "quantity": take.quantity,
        }
        for t, take in zip(plan.takes, takes, strict=True)
    ]
    session.execute(insert(HoldLine), rows)
    try:
        inventory.take_stock(session=session, takes=takes, reference=f"hold:{hold.id}", actor=actor)
    except StockTaken:
        raise Conflict("stock changed while holding the cart; try again") from None
    session.refresh(hold)
    return hold


def get_hold(*, session: Session, token: str) -> Hold:
    """Return the hold with ``token``. Raises NotFound."""
    hold = session.scalar(select(Hold).where(Hold.token == token))
    if hold is None:
        raise NotFound("hold", token, field="token")
    return hold


def _claim(session: Session, hold: Hold, status: HoldStatus, *, only_unexpired: bool) -> bool:
    """Move an active hold to ``status`` if nobody else did; return whether this call did."""
    query = update(Hold).where(Hold.id == hold.id, Hold.status == HoldStatus.ACTIVE)
    if only_unexpired:
        query = query.where(Hold.expires_at > clock.now())
    claimed = session.execute(query.values(status=status.value)).rowcount == 1  # type: ignore[attr-defined]
    if claimed:
        session.refresh(hold)
    return claimed


def _release_lines(session: Session, hold: Hold, actor: str) -> int:
    inventory.release_stock(
        session=session,
        units=[(line.stock_level_id, line.quantity) for line in hold.lines],
        reference=f"hold:{hold.id}",
        actor=actor,
    )
    return sum(line.quantity for line in hold.lines)


def release_hold(*, session: Session, token: str, actor: str = "checkout") -> Hold:
    """Give a cart's held units back (cart abandoned). Raises NotFound, Conflict if not active."""
    hold = get_hold(session=session, token=token)
    if not _claim(session, hold, HoldStatus.RELEASED, only_unexpired=False):
        raise Conflict(f"hold is {hold.status}, not active")
    _release_lines(session, hold, actor)
    return hold


def sweep_expired(db: Database, *, limit: int = 1000) -> int:
    """Release holds past their expiry; return how many this call released.

    Safe to run concurrently: each hold is claimed by a conditional update in its own
    transaction before its units are released.
    """
    with db.reader() as session:
        ids = session.scalars(
            select(Hold.id)
            .where(Hold.status == HoldStatus.ACTIVE, Hold.expires_at <= clock.now())
            .order_by(Hold.expires_at)
            .limit(limit)
        ).all()
    released = 0
    for hold_id in ids:
        with db.transaction() as session:
            hold = session.get(Hold, hold_id)
            if hold is None or not _claim(session, hold, HoldStatus.EXPIRED, only_unexpired=False):
                continue
            _release_lines(session, hold, "system:hold-sweep")
            released += 1
    return released


def confirm_hold(db: Database, *, token: str, draft: OrderDraft, actor: str) -> Order:
    """Turn a hold into an order: the held units become its allocations, in one transaction.

    The order's lines must match what was held (same SKUs, no more units). Raises NotFound,
    Conflict if the hold expired or was used, ValidationError for an order that does not match
    the hold (nothing is written then).
    """
    with db.transaction() as session:
        hold = get_hold(session=session, token=token)
        if not _claim(session, hold, HoldStatus.CONFIRMED, only_unexpired=True):
            raise Conflict(
                f"hold is {'expired' if hold.status == HoldStatus.ACTIVE else hold.status}"
            )
        held: dict[str, int] = {}
        for line in hold.lines:
            held[line.sku] = held.get(line.sku, 0) + line.quantity
        wanted: dict[str, int] = {}
        for line_draft in draft.lines:
            wanted[line_draft.sku] = wanted.get(line_draft.sku, 0) + line_draft.quantity
        if wanted != held:
            raise ValidationError(FieldError("lines", f"must match the hold exactly: {held}"))
        replayed = orders.replay_of(session=session, draft=draft)
        if replayed is not None:
            raise Conflict(f"order {replayed.number} was already received under this external id")
        order = orders.create_order(session=session, draft=draft, actor=actor)
        line_of = {line.sku: line for line in order.lines}
        # the units are reserved already (by the hold): they only change hands
        allocation.record_allocations(
            session=session,
            order=order,
            takes=[
                (line_of[h.sku].id, StockTake(h.stock_level_id, 0, h.warehouse_id, h.quantity))
                for h in hold.lines
            ],
        )
        hold.order_id = order.id
        order.warehouse_id = min(h.warehouse_id for h in hold.lines)
        order.allocated_at = clock.now()
        timeline.transition(
            session=session,
            order=order,
            target=OrderStatus.ALLOCATED,
            actor=actor,
            note="units held at checkout",
        )
        return order
