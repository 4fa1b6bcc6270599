"""Order use cases: intake, allocation, cancellation, status changes and the timeline.

Higher packages (warehouse, shipping, returns) move orders on through :func:`transition`;
they never write the status column themselves, so every change lands in the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.catalog.service import products_by_sku
from maillon.core import clock, outbox
from maillon.core.db import Database
from maillon.core.errors import ErrorCollector, FieldError, NotFound, ShortLine, ValidationError
from maillon.core.geo import locate_fr
from maillon.core.money import format_cents
from maillon.inventory import service as inventory
from maillon.inventory.model import plan_allocation
from maillon.orders.model import (
    OrderDraft,
    OrderStatus,
    default_promise,
    ensure_transition,
    parse_order_number,
)
from maillon.orders.tables import Address, Allocation, Customer, Order, OrderEvent, OrderLine
from maillon.orders.validation import validate_order

MAX_ALLOCATION_ATTEMPTS = 5


def _record_event(
    session: Session,
    order: Order,
    from_status: str | None,
    to_status: str,
    actor: str,
    note: str = "",
) -> None:
    session.add(
        OrderEvent(
            order_id=order.id,
            at=clock.now(),
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            note=note[:500],
        )
    )


def transition(
    *, session: Session, order: Order, target: OrderStatus, actor: str, note: str = ""
) -> None:
    """Move ``order`` to ``target`` and write it in the timeline. Raises InvalidTransition."""
    current = OrderStatus(order.status)
    ensure_transition(current, target)
    order.status = target.value
    order.updated_at = clock.now()
    _record_event(session, order, current.value, target.value, actor, note)


def find_existing(*, session: Session, channel: str, external_id: str) -> Order | None:
    """Return the order already received from ``channel`` under ``external_id``, if any."""
    return session.scalar(
        select(Order).where(Order.channel == channel, Order.external_id == external_id)
    )


def create_order(*, session: Session, draft: OrderDraft, actor: str) -> tuple[Order, bool]:
    """Validate and record an order, confirm it to the customer; return it and whether it is new.

    Idempotent on ``(channel, external_id)``: a replay returns the first order unchanged.
    Raises ValidationError naming every bad field (including unknown SKUs).
    """
    draft = validate_order(draft)
    if draft.external_id:
        existing = find_existing(
            session=session, channel=draft.channel, external_id=draft.external_id
        )
        if existing is not None:
            return existing, False

    products = products_by_sku(session=session, skus=[line.sku for line in draft.lines])
    errors = ErrorCollector()
    for i, line in enumerate(draft.lines):
        product = products.get(line.sku)
        if product is None:
            errors.add(f"lines.{i}.sku", f"unknown SKU {line.sku!r}")
        elif not product.active:
            errors.add(f"lines.{i}.sku", f"SKU {line.sku!r} is not sold any more")
    errors.raise_if_any()

    now = clock.now()
    customer = session.scalar(select(Customer).where(Customer.email == draft.email))
    if customer is None:
        customer = Customer(
            email=draft.email, name=draft.customer_name, phone=draft.phone, created_at=now
        )
        session.add(customer)
        session.flush()

    lat = lon = None
    if draft.address.country == "FR":
        commune = locate_fr(draft.address.postcode, draft.address.city)
        if commune is not None:
            lat, lon = commune.lat, commune.lon

    address = _remember_address(session, customer, draft, lat, lon, now)

    lines = []
    total = 0
    for i, line in enumerate(draft.lines):
        product = products[line.sku]
        price = product.price_cents if line.unit_price_cents is None else line.unit_price_cents
        total += price * line.quantity
        lines.append(
            OrderLine(
                line_no=i + 1,
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                quantity=line.quantity,
                unit_price_cents=price,
            )
        )
    order = Order(
        channel=draft.channel,
        external_id=draft.external_id,
        customer_id=customer.id,
        address_id=address.id,
        status=OrderStatus.CONFIRMED.value,
        currency=draft.currency,
        total_cents=total,
        ship_name=draft.address.name,
        ship_line1=draft.address.line1,
        ship_line2=draft.address.line2,
        ship_postcode=draft.address.postcode,
        ship_city=draft.address.city,
        ship_country=draft.address.country,
        ship_phone=draft.address.phone,
        ship_lat=lat,
        ship_lon=lon,
        note=draft.note[:500],
        created_at=now,
        updated_at=now,
        promised_at=default_promise(now),
        lines=lines,
    )
    session.add(order)
    session.flush()
    _record_event(session, order, None, OrderStatus.CONFIRMED.value, actor, f"via {draft.channel}")
    outbox.enqueue_message(
        session,
        topic="order.confirmed",
        recipient=customer.email,
        subject=f"Your order {order.number} is confirmed",
        body=(
            f"Hello {customer.name},\n\nWe have received your order {order.number} "
            f"({sum(line.quantity for line in lines)} item(s), "
            f"{format_cents(total, order.currency)}). We will tell you when it ships.\n"
        ),
        payload={"order": order.number},
    )
    outbox.publish(session, "order.created", {"order_id": order.id})
    return order, True


def _remember_address(
    session: Session,
    customer: Customer,
    draft: OrderDraft,
    lat: float | None,
    lon: float | None,
    now: datetime,
) -> Address:
    """Return the customer's saved address equal to the order's, adding it if new."""
    a = draft.address
    address = session.scalar(
        select(Address).where(
            Address.customer_id == customer.id,
            Address.name == a.name,
            Address.line1 == a.line1,
            Address.line2 == a.line2,
            Address.postcode == a.postcode,
            Address.city == a.city,
            Address.country == a.country,
        )
    )
    if address is None:
        address = Address(
            customer_id=customer.id,
            name=a.name,
            line1=a.line1,
            line2=a.line2,
            postcode=a.postcode,
            city=a.city,
            country=a.country,
            phone=a.phone,
            lat=lat,
            lon=lon,
            created_at=now,
            last_used_at=now,
        )
        session.add(address)
        session.flush()
    else:
        address.last_used_at = now
    return address


def addresses_of(*, session: Session, email: str) -> Sequence[Address]:
    """Return the saved addresses of the customer with ``email``, most recently used first."""
    return session.scalars(
        select(Address)
        .join(Customer, Customer.id == Address.customer_id)
        .where(Customer.email == email.strip().lower())
        .order_by(Address.last_used_at.desc())
    ).all()


def list_customers(
    *, session: Session, search: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[Customer], int]:
    """Return one page of customers, newest first, and the total matching ``search``."""
    query = select(Customer)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(Customer.email).like(pattern), func.lower(Customer.name).like(pattern))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Customer.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def place_order(db: Database, draft: OrderDraft, *, actor: str) -> tuple[Order, bool]:
    """Create an order in its own transaction, safe against concurrent replays.

    When two requests with the same ``(channel, external_id)`` race, the loser's insert fails
    on the unique key and this returns the winner's order instead. Raises like create_order.
    """
    for _attempt in range(3):
        try:
            with db.transaction() as session:
                return create_order(session=session, draft=draft, actor=actor)
        except IntegrityError:
            if draft.external_id:
                with db.reader() as session:
                    existing = find_existing(
                        session=session,
                        channel=draft.channel,
                        external_id=draft.external_id.strip(),
                    )
                    if existing is not None:
                        return existing, False
            # a concurrent first order of the same new customer: try again
    raise ValidationError(FieldError("external_id", "could not be recorded; retry the request"))


def get_order(*, session: Session, number: str, field: str = "number") -> Order:
    """Return the order with public ``number`` (or database id). Raises NotFound."""
    order_id = parse_order_number(number)
    order = session.get(Order, order_id) if order_id is not None else None
    if order is None:
        raise NotFound("order", number, field=field)
    return order


def get_order_for_update(*, session: Session, number: str) -> Order:
    """Return the order locked for this transaction (row lock on PostgreSQL). Raises NotFound."""
    order_id = parse_order_number(number)
    order = None
    if order_id is not None:
        order = session.scalar(
            select(Order)
            .where(Order.id == order_id)
            .with_for_update(of=Order)
            .execution_options(populate_existing=True)
        )
    if order is None:
        raise NotFound("order", number, field="number")
    return order


def list_orders(
    *,
    session: Session,
    status: str | None = None,
    channel: str | None = None,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Order], int]:
    """Return one page of orders, newest first, and the total matching the filters."""
    query = select(Order)
    if status:
        query = query.where(Order.status == status)
    if channel:
        query = query.where(Order.channel == channel)
    if created_from:
        query = query.where(Order.created_at >= created_from)
    if created_to:
        query = query.where(Order.created_at < created_to)
    if search:
        term = search.strip()
        order_id = parse_order_number(term)
        pattern = f"%{term.lower()}%"
        conditions = [
            func.lower(Order.ship_name).like(pattern),
            func.lower(Order.ship_city).like(pattern),
            Order.ship_postcode.like(f"{term}%"),
            Order.external_id == term,
            Order.customer_id.in_(
                select(Customer.id).where(func.lower(Customer.email).like(pattern))
            ),
        ]
        if order_id is not None:
            conditions.append(Order.id == order_id)
        query = query.where(or_(*conditions))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Order.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def timeline(*, session: Session, order: Order) -> Sequence[OrderEvent]:
    """Return the order's timeline, oldest first."""
    return session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()


def allocations_of(*, session: Session, order: Order) -> Sequence[Allocation]:
    """Return the order's allocations (every status), in id order."""
    return session.scalars(
        select(Allocation).where(Allocation.order_id == order.id).order_by(Allocation.id)
    ).all()


@dataclass(frozen=True)
class AllocationOutcome:
    """What allocation achieved: allocated or not, and the lines left short."""

    order: Order
    allocated: bool
    short: tuple[ShortLine, ...]


def allocate_order(*, session: Session, number: str, actor: str) -> AllocationOutcome:
    """Reserve stock for every line of a confirmed or backordered order.

    All or nothing: either every unit is reserved (status ``allocated``) or none is and the
    order waits (``backordered``) with the short lines in its timeline. Reservation is a
    conditional update per stock record, taken in id order; if another order took the units
    between planning and reserving, this releases what it took and plans again.
    Raises NotFound, InvalidTransition (e.g. already shipped).
    """
    order = get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.ALLOCATED)
    wanted = [(line.sku, line.quantity) for line in order.lines]
    product_ids = [line.product_id for line in order.lines]
    for _attempt in range(MAX_ALLOCATION_ATTEMPTS):
        candidates = inventory.candidates_for(session=session, product_ids=product_ids)
        plan = plan_allocation(wanted, candidates)
        if not plan.complete:
            available: dict[str, int] = {}
            for c in candidates:
                available[c.sku] = available.get(c.sku, 0) + c.available
            short = tuple(
                ShortLine(sku, sum(q for s, q in wanted if s == sku), available.get(sku, 0))
                for sku in plan.short
            )
            note = "waiting for stock: " + ", ".join(
                f"{s.sku} short by {plan.short[s.sku]}" for s in short
            )
            transition(
                session=session, order=order, target=OrderStatus.BACKORDERED, actor=actor, note=note
            )
            return AllocationOutcome(order, False, short)
        taken = []
        ok = True
        for take in sorted(plan.takes, key=lambda t: t.stock_id):
            if inventory.try_reserve(
                session=session,
                stock_id=take.stock_id,
                quantity=take.quantity,
                reference=order.number,
                actor=actor,
            ):
                taken.append(take)
            else:
                ok = False
                break
        if ok:
            for take in plan.takes:
                session.add(
                    Allocation(
                        order_id=order.id,
                        order_line_id=order.lines[take.line_index].id,
                        stock_level_id=take.stock_id,
                        warehouse_id=take.warehouse_id,
                        quantity=take.quantity,
                        status="reserved",
                    )
                )
            warehouses = sorted({t.warehouse_id for t in plan.takes})
            order.warehouse_id = warehouses[0]
            order.allocated_at = clock.now()
            transition(
                session=session,
                order=order,
                target=OrderStatus.ALLOCATED,
                actor=actor,
                note=f"{sum(t.quantity for t in plan.takes)} unit(s) reserved in "
                f"{len(warehouses)} warehouse(s)",
            )
            return AllocationOutcome(order, True, ())
        for take in taken:  # lost a race for one record: undo and plan again
            inventory.release(
                session=session,
                stock_id=take.stock_id,
                quantity=take.quantity,
                reference=order.number,
                actor=actor,
            )
    transition(
        session=session,
        order=order,
        target=OrderStatus.BACKORDERED,
        actor=actor,
        note="stock taken by concurrent orders",
    )
    return AllocationOutcome(order, False, ())


def release_allocations(*, session: Session, order: Order, actor: str) -> int:
    """Release every reserved allocation of ``order``; return the units released."""
    released = 0
    for alloc in allocations_of(session=session, order=order):
        if alloc.status != "reserved":
            continue
        inventory.release(
            session=session,
            stock_id=alloc.stock_level_id,
            quantity=alloc.quantity,
            reference=order.number,
            actor=actor,
        )
        alloc.status = "released"
        released += alloc.quantity
    return released


def cancel_order(*, session: Session, number: str, reason: str, actor: str) -> Order:
    """Cancel an order that has not shipped, releasing its stock and telling the customer.

    Raises ValidationError without a reason, NotFound, InvalidTransition once shipped.
    """
    if not reason or not reason.strip():
        raise ValidationError(FieldError("reason", "is required to cancel an order"))
    order = get_order_for_update(session=session, number=number)
    ensure_transition(OrderStatus(order.status), OrderStatus.CANCELLED)
    released = release_allocations(session=session, order=order, actor=actor)
    order.cancelled_at = clock.now()
    transition(
        session=session,
        order=order,
        target=OrderStatus.CANCELLED,
        actor=actor,
        note=f"{reason.strip()} ({released} unit(s) released)",
    )
    outbox.publish(session, "order.cancelled", {"order_id": order.id})
    outbox.enqueue_message(
        session,
        topic="order.cancelled",
        recipient=order.customer.email,
        subject=f"Your order {order.number} was cancelled",
        body=f"Hello {order.customer.name},\n\nYour order {order.number} was cancelled: "
        f"{reason.strip()}.\n",
        payload={"order": order.number},
    )
    return order


def add_note(*, session: Session, number: str, note: str, actor: str) -> Order:
    """Add a note to the order's timeline without changing its status."""
    if not note or not note.strip():
        raise ValidationError(FieldError("note", "is required"))
    order = get_order(session=session, number=number)
    _record_event(session, order, order.status, order.status, actor, note.strip())
    return order
