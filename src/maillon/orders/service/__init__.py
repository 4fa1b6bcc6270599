"""Order use cases: intake, allocation, cancellation, status changes and the timeline.

Higher packages (warehouse, shipping, returns) move orders on through :func:`transition`;
they never write the status column themselves, so every change lands in the timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, func, insert, not_, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from maillon.catalog.service import products_by_sku
from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.db import Database, insert_now
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    StockTaken,
    ValidationError,
)
from maillon.core.geo import locate_fr
from maillon.inventory import service as inventory
from maillon.inventory.sourcing import SourcingPlan, SourcingPolicy, plan_sourcing
from maillon.orders.intake import (
    CsvRowError,
    csv_field,
    line_row,
    read_orders_csv,
)
from maillon.orders.model import (
    AllocationStatus,
    OrderDraft,
    OrderStatus,
    default_promise,
    ensure_transition,
    parse_order_number,
)
from maillon.orders.service.allocation import (
    MAX_ALLOCATION_ATTEMPTS,
    AllocationOutcome,
    allocate_lines,
    allocations_of,
    release_allocations,
    remaining_by_line,
    reserve_planned,
)
from maillon.orders.service.choices import resolve as resolve_choice
from maillon.orders.service.choices import save_choice
from maillon.orders.service.timeline import notify_customer, record_event, transition
from maillon.orders.tables import (
    Address,
    Allocation,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    SalesChannel,
)
from maillon.orders.validation import CHANNEL_PATTERN, validate_order

T = TypeVar("T")


def find_existing(*, session: Session, channel: str, external_id: str) -> Order | None:
    """Return the order already received from ``channel`` under ``external_id``, if any."""
    return session.scalar(_FIND_EXISTING, {"channel": channel, "external_id": external_id})


# Statements of the order intake, built once: building one costs more than sending it.
_FIND_EXISTING = select(Order).where(
    Order.channel == bindparam("channel"), Order.external_id == bindparam("external_id")
)
_CUSTOMER_BY_EMAIL = select(Customer).where(Customer.email == bindparam("email"))
_SAVED_ADDRESS = select(Address).where(
    *(
        column == bindparam(column.key)
        for column in (
            Address.customer_id,
            Address.name,
            Address.line1,
            Address.line2,
            Address.postcode,
            Address.city,
            Address.country,
        )
    )
)


def create_order(
    *, session: Session, draft: OrderDraft, actor: str, allocate: bool = False
) -> Order:
    """Record a new order and confirm it to the customer: validate, then plan (pure), then take.

    With ``allocate`` the order is planned on the stock read at the start and written already
    allocated (or backordered holding what it could get); the planned units are taken as the
    transaction's last statements, all or nothing, so that stock rows stay locked only for the
    commit (see :func:`~maillon.orders.service.allocation.reserve_planned`); if one of them was
    taken
    meanwhile it raises StockTaken and the caller runs the transaction again
    (:func:`place_order` does). Replays are not looked for (see :func:`replay_of`): the unique
    key on ``(channel, external_id)`` stops one at insert time (IntegrityError). Raises
    ValidationError naming every bad field (including unknown SKUs).
    """
    draft = validate_order(draft)
    products = _known_products(session, draft)
    # the relay point, store or slot chosen exist (checked above orders, see choices.py)
    draft = replace(draft, delivery=resolve_choice(session, draft))
    if draft.delivery.reservation is not None:
        allocate = False  # a store reservation holds its units: linked at order.created
    now = clock.now()
    customer = session.scalar(_CUSTOMER_BY_EMAIL, {"email": draft.email})
    new_customer = customer is None
    if customer is None:
        customer = Customer(
            email=draft.email, name=draft.customer_name, phone=draft.phone, created_at=now
        )
        insert_now(session, [customer])
    lat = lon = None
    if draft.address.country == "FR":
        commune = locate_fr(draft.address.postcode, draft.address.city)
        if commune is not None:
            lat, lon = commune.lat, commune.lon
    address = _remember_address(session, customer, draft, lat, lon, now, new_customer)
    plan = _plan_new_order(session, draft, products, lat, lon) if allocate else None
    short_units = _short_units(draft, plan)
    order = _insert_order(
        session, draft, products, customer, address, (lat, lon), plan, short_units, now
    )
    save_choice(session, order, draft.delivery)
    notify_customer(
        session=session,
        order=order,
        topic="order.confirmed",
        context={
            "items": sum(line.quantity for line in order.lines),
            "total_cents": order.total_cents,
        },
    )
    record_event(session, order, None, OrderStatus.CONFIRMED.value, actor, f"via {draft.channel}")
    created: dict[str, Any] = {"order_id": order.id, "order": order.number}
    if draft.signals:
        created["signals"] = dict(draft.signals)
    # The subscribers first (fraud scoring reads and writes a few rows), the units last: the
    # stock rows are locked from the conditional updates to the commit only, and a hot SKU's
    # row does not queue its orders behind each other's scoring. An order a subscriber
    # cancelled (fraud auto-reject) takes nothing: there is nothing to release.
    outbox.publish(session, "order.created", created)
    if plan is not None and order.status != OrderStatus.CANCELLED.value:
        reserve_planned(session, order, plan, products, short_units, actor)
    return order


def replay_of(*, session: Session, draft: OrderDraft) -> Order | None:
    """Return the order already received under ``draft``'s ``(channel, external_id)``, if
    any. Raises ValidationError for a bad draft."""
    draft = validate_order(draft)
    if not draft.external_id:
        return None
    return find_existing(session=session, channel=draft.channel, external_id=draft.external_id)


def _known_products(session: Session, draft: OrderDraft) -> dict[str, Product]:
    """The products of the draft's lines. Raises ValidationError naming an unknown SKU or
    one no longer sold."""
    products = products_by_sku(session=session, skus=[line.sku for line in draft.lines])
    errors = ErrorCollector()
    for i, line in enumerate(draft.lines):
        product = products.get(line.sku)
        if product is None:
            errors.add(f"lines.{i}.sku", f"unknown SKU {line.sku!r}")
        elif not product.active:
            errors.add(f"lines.{i}.sku", f"SKU {line.sku!r} is not sold any more")
    errors.raise_if_any()
    return products


def _short_units(draft: OrderDraft, plan: SourcingPlan | None) -> dict[str, int]:
    """Units per SKU the plan leaves uncovered."""
    if plan is None:
        return {}
    covered = [0] * len(draft.lines)
    for take in plan.takes:
        covered[take.line_index] += take.quantity
    short: dict[str, int] = {}
    for line, got in zip(draft.lines, covered, strict=True):
        if got < line.quantity:
            short[line.sku] = short.get(line.sku, 0) + line.quantity - got
    return short


def _insert_order(
    session: Session,
    draft: OrderDraft,
    products: dict[str, Product],
    customer: Customer,
    address: Address,
    position: tuple[float | None, float | None],
    plan: SourcingPlan | None,
    short_units: dict[str, int],
    now: datetime,
) -> Order:
    """Insert the order and its lines (allocated or backordered as planned, else confirmed)."""
    status = OrderStatus.CONFIRMED
    if plan is not None:
        status = OrderStatus.BACKORDERED if short_units else OrderStatus.ALLOCATED
    warehouses = sorted({t.warehouse_id for t in plan.takes}) if plan else []
    line_rows = []
    for i, line in enumerate(draft.lines):
        product = products[line.sku]
        price = product.price_cents if line.unit_price_cents is None else line.unit_price_cents
        line_rows.append(
            {
                "line_no": i + 1,
                "product_id": product.id,
                "sku": product.sku,
                "name": product.name,
                "quantity": line.quantity,
                "unit_price_cents": price,
            }
        )
    a = draft.address
    order = Order(
        channel=draft.channel,
        external_id=draft.external_id,
        customer_id=customer.id,
        address_id=address.id,
        status=status.value,
        warehouse_id=warehouses[0] if warehouses else None,
        allocated_at=now if status is OrderStatus.ALLOCATED else None,
        currency=draft.currency,
        total_cents=sum(r["unit_price_cents"] * r["quantity"] for r in line_rows),
        ship_name=a.name,
        ship_line1=a.line1,
        ship_line2=a.line2,
        ship_postcode=a.postcode,
        ship_city=a.city,
        ship_country=a.country,
        ship_phone=a.phone,
        ship_lat=position[0],
        ship_lon=position[1],
        note=draft.note[:500],
        ship_complete=draft.ship_complete,
        created_at=now,
        updated_at=now,
        promised_at=_promised_at(draft, now),
    )
    insert_now(session, [order])
    # All lines in one INSERT ... RETURNING; the order keeps them without reloading.
    created_lines = session.scalars(
        insert(OrderLine).returning(OrderLine, sort_by_parameter_order=True),
        [{**row, "order_id": order.id} for row in line_rows],
    ).all()
    set_committed_value(order, "lines", list(created_lines))
    set_committed_value(order, "customer", customer)
    return order


def _promised_at(draft: OrderDraft, now: datetime) -> datetime:
    """Return the delivery promised: the one checkout showed the customer, else a default."""
    promised = draft.delivery.promised_on
    if promised is None:
        return default_promise(now)
    return datetime.combine(promised, time(18, 0), tzinfo=UTC)


def _plan_new_order(
    session: Session,
    draft: OrderDraft,
    products: dict[str, Product],
    lat: float | None,
    lon: float | None,
) -> SourcingPlan:
    """Plan where each line of a new order ships from, on the stock available now."""
    candidates, sites = inventory.sourcing_candidates(
        session=session, product_ids=sorted({products[line.sku].id for line in draft.lines})
    )
    return plan_sourcing(
        [(line.sku, line.quantity) for line in draft.lines],
        candidates,
        sites,
        SourcingPolicy(ship_complete=draft.ship_complete),
        customer_lat=lat,
        customer_lon=lon,
    )


def new_order_timeline(session: Session, order: Order) -> list[OrderEvent]:
    """Return the timeline of an order created in ``session``, without reading it back."""
    events = [
        obj
        for obj in list(session.identity_map.values()) + list(session.new)
        if isinstance(obj, OrderEvent) and obj.order_id == order.id
    ]
    return sorted(events, key=lambda e: (e.id is None, e.id or 0))


def _remember_address(
    session: Session,
    customer: Customer,
    draft: OrderDraft,
    lat: float | None,
    lon: float | None,
    now: datetime,
    new_customer: bool = False,
) -> Address:
    """Return the customer's saved address equal to the order's, adding it if new.

    A customer created by this order has no saved address yet: nothing is looked up.
    """
    a = draft.address
    address = None
    if not new_customer:
        address = session.scalar(
            _SAVED_ADDRESS,
            {
                "customer_id": customer.id,
                "name": a.name,
                "line1": a.line1,
                "line2": a.line2,
                "postcode": a.postcode,
                "city": a.city,
                "country": a.country,
            },
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
        insert_now(session, [address])
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


def place_order(
    db: Database, draft: OrderDraft, *, actor: str, allocate: bool = False
) -> tuple[Order, bool]:
    """Create an order in its own transaction, safe against concurrent replays.

    When two requests with the same ``(channel, external_id)`` race, the loser's insert fails
    on the unique key and this returns the winner's order instead. Raises like create_order.
    """
    return place_order_and_render(
        db, draft, actor=actor, allocate=allocate, render=lambda _session, order, _new: order
    )


def place_order_and_render(
    db: Database,
    draft: OrderDraft,
    *,
    actor: str,
    allocate: bool = False,
    render: Callable[[Session, Order, bool], T],
    check_existing: bool = True,
) -> tuple[T, bool]:
    """Like :func:`place_order`, but return ``render(session, order, is_new)`` computed in the
    same transaction (a new order needs no second connection nor re-reading)."""
    lost_races = 0
    for _attempt in range(3 + MAX_ALLOCATION_ATTEMPTS):
        try:
            with db.transaction() as session:
                if check_existing:
                    existing = replay_of(session=session, draft=draft)
                    if existing is not None:
                        return render(session, existing, False), False
                # planned on the stock read first; after lost races, step by step
                optimistic = lost_races < MAX_ALLOCATION_ATTEMPTS - 1
                order = create_order(
                    session=session, draft=draft, actor=actor, allocate=allocate and optimistic
                )
                if (
                    allocate
                    and not optimistic
                    and order.status != OrderStatus.CANCELLED.value
                    and draft.delivery.reservation is None  # the store holds its units
                ):
                    _allocate_new(session, order, actor)
                return render(session, order, True), True
        except StockTaken:
            lost_races += 1  # planned on stock another order took: plan again on fresh stock
        except IntegrityError:
            if draft.external_id:
                with db.reader() as session:
                    existing = find_existing(
                        session=session,
                        channel=draft.channel,
                        external_id=draft.external_id.strip(),
                    )
                    if existing is not None:
                        return render(session, existing, False), False
            # a concurrent first order of the same new customer: try again
    raise ValidationError(FieldError("external_id", "could not be recorded; retry the request"))


def _allocate_new(session: Session, order: Order, actor: str) -> None:
    """Reserve a new order's units step by step (nothing is reserved yet)."""
    # The order's pending rows (events, messages, status) are flushed together at the end.
    with session.no_autoflush:
        allocate_lines(
            session,
            order,
            OrderStatus.CONFIRMED,
            {line.id: line.quantity for line in order.lines},
            set(),
            None,
            actor,
        )


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


def allocate_order(
    *, session: Session, number: str, actor: str, policy: SourcingPolicy | None = None
) -> AllocationOutcome:
    """Reserve stock for what an order still needs, choosing warehouses by estimated cost.

    Units are reserved as far as stock allows, and kept: a line that cannot be covered in full
    waits as a backorder (status ``backordered``) holding what it has, so later orders cannot
    take those units; a goods receipt then serves waiting orders, oldest promise first.
    A ship-complete order draws from one warehouse only. Each reservation is a conditional
    update taken in stock-record order; a record emptied by a concurrent order since planning
    is simply planned around. Raises NotFound, InvalidTransition (e.g. already shipped),
    Conflict when a hold already sets its units aside (a click-and-collect reservation).
    """
    order = get_order_for_update(session=session, number=number)
    current = OrderStatus(order.status)
    if current not in (OrderStatus.CONFIRMED, OrderStatus.BACKORDERED):
        ensure_transition(current, OrderStatus.ALLOCATED)
    kept = block_reasons(session=session, order=order, allocation=True)
    if kept:
        raise Conflict(f"order {order.number} already has its units set aside ({', '.join(kept)})")
    remaining = remaining_by_line(session=session, order=order)
    existing = {
        a.warehouse_id
        for a in allocations_of(session=session, order=order)
        if a.status == AllocationStatus.RESERVED
    }
    return allocate_lines(session, order, current, remaining, existing, policy, actor)


def release_backorders(*, session: Session, product_id: int, actor: str) -> list[str]:
    """Serve orders waiting for ``product_id``, oldest promise first; return those now complete.

    Called when stock arrives (subscribed to ``stock.received``). Stops when the product has no
    available units left.
    """
    # only the orders still short of this product: one waiting for other products alone has
    # nothing to gain from it (a big receipt with thousands of backorders skips most of them)
    covered = (
        select(func.coalesce(func.sum(Allocation.quantity), 0))
        .where(
            Allocation.order_id == OrderLine.order_id,
            Allocation.order_line_id == OrderLine.id,
            Allocation.status.in_((AllocationStatus.RESERVED, AllocationStatus.SHIPPED)),
        )
        .scalar_subquery()
    )
    waiting = session.scalars(
        select(Order)
        .where(
            Order.status == OrderStatus.BACKORDERED.value,
            Order.id.in_(
                select(OrderLine.order_id).where(
                    OrderLine.product_id == product_id, OrderLine.quantity > covered
                )
            ),
        )
        .order_by(Order.promised_at, Order.id)
    ).all()
    completed = []
    for order in waiting:
        if not inventory.candidates_for(session=session, product_ids=[product_id]):
            break
        outcome = allocate_order(session=session, number=order.number, actor=actor)
        if outcome.allocated:
            completed.append(order.number)
    return completed


def on_stock_received(session: Session, payload: dict[str, Any]) -> None:
    """Domain-event handler: release backorders of the received product."""
    release_backorders(
        session=session, product_id=int(payload["product_id"]), actor="system:receipt"
    )


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
    outbox.publish(
        session,
        "order.cancelled",
        {"order_id": order.id, "order": order.number, "reason": reason.strip()},
    )
    notify_customer(
        session=session,
        order=order,
        topic="order.cancelled",  # the reason is the staff's note (e.g. fraud): not told
    )
    return order


def add_note(*, session: Session, number: str, note: str, actor: str) -> Order:
    """Add a note to the order's timeline without changing its status."""
    if not note or not note.strip():
        raise ValidationError(FieldError("note", "is required"))
    order = get_order(session=session, number=number)
    record_event(session, order, order.status, order.status, actor, note.strip())
    return order


CHANNEL_KINDS = ("shopify", "woocommerce")


def create_channel(*, session: Session, code: str, kind: str, webhook_secret: str) -> SalesChannel:
    """Register a webshop sending orders by webhook. Raises ValidationError, DuplicateError."""
    errors = ErrorCollector()
    if not CHANNEL_PATTERN.match(code or ""):
        errors.add("code", "1-40 lower-case letters, digits, - or _")
    if kind not in CHANNEL_KINDS:
        errors.add("kind", f"one of {', '.join(CHANNEL_KINDS)}")
    if len(webhook_secret or "") < 16:
        errors.add("webhook_secret", "at least 16 characters (the shop's webhook signing secret)")
    errors.raise_if_any()
    if session.scalar(select(SalesChannel.id).where(SalesChannel.code == code)) is not None:
        raise DuplicateError("channel", "code", code)
    channel = SalesChannel(
        code=code, kind=kind, webhook_secret=webhook_secret, created_at=clock.now()
    )
    session.add(channel)
    session.flush()
    return channel


def get_channel(*, session: Session, code: str) -> SalesChannel:
    """Return the webhook channel ``code``. Raises NotFound."""
    channel = session.scalar(select(SalesChannel).where(SalesChannel.code == code))
    if channel is None:
        raise NotFound("channel", code, field="channel")
    return channel


@dataclass(frozen=True)
class ImportReport:
    """What a CSV import did: orders created, replays recognised, and every bad row."""

    created: list[str]
    replayed: list[str]
    errors: list[CsvRowError]


def import_orders_csv(db: Database, text: str, *, actor: str, channel: str = "csv") -> ImportReport:
    """Import orders from CSV text, each order in its own transaction.

    Good orders are imported; every bad row is reported with its number and column, and an
    order with any bad row is not imported at all. Replays (same channel and external id) are
    recognised, not duplicated. Raises ValidationError if the file itself is unusable.
    """
    parsed, errors = read_orders_csv(text, default_channel=channel)
    created: list[str] = []
    replayed: list[str] = []
    for item in parsed:
        try:
            order, is_new = place_order(db, item.draft, actor=actor)
        except ValidationError as exc:
            for e in exc.errors:
                errors.append(
                    CsvRowError(line_row(e.field, item.rows), csv_field(e.field), e.message)
                )
            continue
        (created if is_new else replayed).append(order.number)
    errors.sort(key=lambda e: (e.row, e.field))
    return ImportReport(created, replayed, errors)


# --------------------------------------------------------------------------- floor blocks
# (what keeps an order off the warehouse floor; a checkout "hold" is orders.holds)

_BLOCKS: dict[str, Callable[[], Any]] = {}
_SETS_ASIDE: set[str] = set()


def register_floor_block(
    reason: str, blocked: Callable[[], Any], *, sets_units_aside: bool = False
) -> None:
    """Keep orders off the warehouse floor while ``blocked()`` is true for them.

    ``blocked`` returns a SQL condition correlated to :class:`Order` (for instance an EXISTS on
    an open fraud review); a package above orders registers it at start-up (see
    ``maillon.bootstrap``) so the floor never needs to import it. With ``sets_units_aside``
    the block already reserves the order's units elsewhere (a click-and-collect reservation in
    a store), so the order is not allocated again either. Registering a reason again replaces
    its condition.
    """
    _BLOCKS[reason] = blocked
    if sets_units_aside:
        _SETS_ASIDE.add(reason)
    else:
        _SETS_ASIDE.discard(reason)


def not_blocked() -> Any:
    """Return a SQL condition on :class:`Order`: true when no registered block applies."""
    return and_(true(), *(not_(blocked()) for blocked in _BLOCKS.values()))


def block_reasons(*, session: Session, order: Order, allocation: bool = False) -> list[str]:
    """Return why ``order`` is kept off the floor now (empty when it is free to pick); with
    ``allocation``, only the blocks that set its units aside (it must not be allocated)."""
    return [
        reason
        for reason, blocked in _BLOCKS.items()
        if (not allocation or reason in _SETS_ASIDE)
        and session.scalar(select(blocked()).select_from(Order).where(Order.id == order.id))
    ]
