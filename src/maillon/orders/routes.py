"""Order routes: intake, listing, detail with timeline, allocation and cancellation, and the
API's answer about an order (:func:`full_order_read`: its lines, timeline and parcels).

The parcels belong to shipping, a package above orders: it says how to list them through
:func:`show_parcels_with`, installed when the app is assembled (``maillon.bootstrap``), so
the orders package never imports it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from maillon.core.auth import Principal, Role
from maillon.core.errors import FieldError, ValidationError
from maillon.core.http import DbDep, Page, PageDep, allow
from maillon.orders import queries, service
from maillon.orders.choice import HOME, DeliveryChoice
from maillon.orders.model import order_number
from maillon.orders.schemas import (
    AddressRead,
    AllocationRead,
    CancellationCreate,
    CustomerRead,
    DeliveryChoiceRead,
    EventRead,
    HoldCreate,
    HoldRead,
    ImportErrorRead,
    ImportReportRead,
    LineRead,
    OrderCreate,
    OrderRead,
    OrderSummary,
    ParcelRead,
    ShippingAddressRead,
)
from maillon.orders.service import choices, holds
from maillon.orders.tables import Hold, Order, OrderEvent

ParcelsOf = Callable[[Session, Order], list[ParcelRead]]
_parcels_of: list[ParcelsOf] = []


def show_parcels_with(reader: ParcelsOf) -> None:
    """Have :func:`full_order_read` list an order's parcels with ``reader(session, order)``."""
    _parcels_of[:] = [reader]


def order_read(
    order: Order,
    events: list[OrderEvent] | None = None,
    parcels: list[ParcelRead] | None = None,
    delivery: DeliveryChoice = HOME,
) -> OrderRead:
    """Return the response model of ``order`` (lines, delivery chosen, optional timeline and
    parcels)."""
    return OrderRead(
        number=order.number,
        channel=order.channel,
        external_id=order.external_id,
        status=order.status,
        customer_email=order.customer.email,
        customer_name=order.customer.name,
        shipping_address=ShippingAddressRead(
            name=order.ship_name,
            line1=order.ship_line1,
            line2=order.ship_line2,
            postcode=order.ship_postcode,
            city=order.ship_city,
            country=order.ship_country,
            phone=order.ship_phone,
        ),
        currency=order.currency,
        total_cents=order.total_cents,
        created_at=order.created_at,
        promised_at=order.promised_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        lines=[
            LineRead(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
            )
            for line in order.lines
        ],
        delivery=DeliveryChoiceRead.of(delivery),
        timeline=[
            EventRead(
                at=e.at,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor,
                note=e.note,
            )
            for e in events or []
        ],
        parcels=parcels or [],
    )


def full_order_read(session: Session, order: Order) -> OrderRead:
    """Return ``order`` with its timeline and parcels (listed as :func:`show_parcels_with`
    says; none before the app is assembled)."""
    parcels = _parcels_of[0](session, order) if _parcels_of else []
    return order_read(
        order,
        list(queries.order_events(session=session, order=order)),
        parcels,
        choices.choice_of(session=session, order_id=order.id),
    )


router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Staff = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses={200: {"description": "a replay: the order already received"}},
)
def create_order(
    body: OrderCreate,
    db: DbDep,
    who: Operator,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
    allocate: Annotated[bool, Query(description="reserve stock in the same transaction")] = False,
) -> Response:
    """Take an order: validated, confirmed to the customer in the same transaction.

    Idempotent on ``(channel, external_id)``; without an external id, the ``Idempotency-Key``
    header plays its role. A replay answers 200 with the first order.
    """
    draft = body.to_draft()
    if draft.external_id is None and idempotency_key:
        from dataclasses import replace

        draft = replace(draft, external_id=f"idem:{idempotency_key}")
    read, created = service.place_order_and_render(
        db, draft, actor=who.actor, allocate=allocate, render=_render, check_existing=False
    )
    # The answer is already an OrderRead: serialised here in one pass by pydantic, FastAPI
    # would validate it again and encode it twice (a tenth of the request on the hot path).
    return Response(
        content=read.model_dump_json(by_alias=True),
        media_type="application/json",
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def _render(session: Session, order: Order, created: bool) -> OrderRead:
    """The answer to an order post, read in its own transaction (a new order has no parcels)."""
    if created:
        return order_read(
            order,
            service.new_order_timeline(session, order),
            delivery=choices.new_order_choice(session, order),
        )
    return full_order_read(session, order)


@router.get("", response_model=Page[OrderSummary])
def list_orders(
    db: DbDep,
    page: PageDep,
    _: Staff,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="number, name, city, e-mail")
    ] = None,
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
) -> Page[OrderSummary]:
    """List orders, newest first, with filters."""
    with db.reader() as session:
        rows, total = service.list_orders(
            session=session,
            status=status_,
            channel=channel,
            search=q,
            created_from=created_from,
            created_to=created_to,
            limit=page.limit,
            offset=page.offset,
        )
        items = [
            OrderSummary(
                number=o.number,
                channel=o.channel,
                status=o.status,
                customer_email=o.customer.email,
                ship_city=o.ship_city,
                ship_postcode=o.ship_postcode,
                total_cents=o.total_cents,
                created_at=o.created_at,
            )
            for o in rows
        ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{number}", response_model=OrderRead)
def get_order(number: str, db: DbDep, _: Staff) -> OrderRead:
    """Return an order with its lines, timeline and parcels."""
    with db.reader() as session:
        return full_order_read(session, service.get_order(session=session, number=number))


@router.post("/{number}/allocate", response_model=AllocationRead)
def allocate(number: str, db: DbDep, who: Operator) -> AllocationRead:
    """Reserve stock for the whole order, or leave it backordered (never oversells)."""
    with db.transaction() as session:
        outcome = service.allocate_order(session=session, number=number, actor=who.actor)
        return AllocationRead(
            order=outcome.order.number,
            allocated=outcome.allocated,
            status=outcome.order.status,
            short=[
                {"sku": s.sku, "requested": s.requested, "available": s.available}
                for s in outcome.short
            ],
        )


@router.post("/{number}/cancel", response_model=OrderRead)
def cancel(number: str, body: CancellationCreate, db: DbDep, who: Staff) -> OrderRead:
    """Cancel an order that has not shipped; its reserved stock is released."""
    with db.transaction() as session:
        order = service.cancel_order(
            session=session, number=number, reason=body.reason, actor=who.actor
        )
        return full_order_read(session, order)


customers_router = APIRouter(prefix="/api/v1/customers", tags=["orders"])


@customers_router.get("", response_model=Page[CustomerRead])
def list_customers(
    db: DbDep,
    page: PageDep,
    _: Staff,
    q: Annotated[str | None, Query(max_length=100, description="e-mail or name")] = None,
) -> Page[CustomerRead]:
    """Customers, newest first."""
    with db.reader() as session:
        rows, total = service.list_customers(
            session=session, search=q, limit=page.limit, offset=page.offset
        )
        items = [CustomerRead.model_validate(c) for c in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@customers_router.get("/{email}/addresses", response_model=list[AddressRead])
def customer_addresses(email: str, db: DbDep, _: Staff) -> list[AddressRead]:
    """A customer's saved delivery addresses, most recently used first."""
    with db.reader() as session:
        return [
            AddressRead.model_validate(a)
            for a in service.addresses_of(session=session, email=email)
        ]


channels_router = APIRouter(tags=["orders"])


@channels_router.post("/api/v1/orders/import", response_model=ImportReportRead)
async def import_orders(
    request: Request,
    db: DbDep,
    who: Operator,
    channel: Annotated[str, Query(max_length=40)] = "csv",
) -> ImportReportRead:
    """Import orders from a CSV body (``text/csv``), one line item per row.

    Good orders are imported; every bad row is named with its column. See the CLI's
    ``maillon orders import --help`` for the columns.
    """
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(FieldError("file", "must be UTF-8 text")) from None
    report = await run_in_threadpool(
        service.import_orders_csv, db, text, actor=who.actor, channel=channel
    )
    return ImportReportRead(
        created=report.created,
        replayed=report.replayed,
        errors=[
            ImportErrorRead(row=e.row, field=e.field, message=e.message) for e in report.errors
        ],
    )


def hold_read(hold: Hold) -> HoldRead:
    """Return the response model of a hold."""
    return HoldRead(
        token=hold.token,
        status=hold.status,
        expires_at=hold.expires_at,
        order=order_number(hold.order_id) if hold.order_id else None,
        lines=[{"sku": x.sku, "quantity": x.quantity} for x in hold.lines],
    )


holds_router = APIRouter(prefix="/api/v1/holds", tags=["orders"])


@holds_router.post("", status_code=status.HTTP_201_CREATED, response_model=HoldRead)
def create_hold(body: HoldCreate, db: DbDep, who: Operator) -> HoldRead:
    """Hold a cart's units at checkout (all or nothing: 409 names the short lines)."""
    with db.transaction() as session:
        hold = holds.create_hold(
            session=session,
            lines=[(x.sku, x.quantity) for x in body.lines],
            ttl_seconds=body.ttl_seconds,
            reference=body.reference,
            actor=who.actor,
        )
        return hold_read(hold)


@holds_router.get("/{token}", response_model=HoldRead)
def get_hold(token: str, db: DbDep, _: Operator) -> HoldRead:
    """One hold."""
    with db.reader() as session:
        return hold_read(holds.get_hold(session=session, token=token))


@holds_router.post(
    "/{token}/confirm", status_code=status.HTTP_201_CREATED, response_model=OrderRead
)
def confirm_hold(token: str, body: OrderCreate, db: DbDep, who: Operator) -> OrderRead:
    """Place the order for a held cart: its units become the order's allocations."""
    order = holds.confirm_hold(db, token=token, draft=body.to_draft(), actor=who.actor)
    with db.reader() as session:
        return full_order_read(session, service.get_order(session=session, number=order.number))


@holds_router.delete("/{token}", response_model=HoldRead)
def release_hold(token: str, db: DbDep, who: Operator) -> HoldRead:
    """Give a cart's units back (abandoned cart)."""
    with db.transaction() as session:
        return hold_read(holds.release_hold(session=session, token=token, actor=who.actor))


@holds_router.post("/sweep")
def sweep_holds(db: DbDep, _: Operator) -> dict[str, int]:
    """Release every hold past its expiry (safe to run from several workers at once)."""
    return {"released": holds.sweep_expired(db)}
