"""Shipping routes: carriers, packing, shipping, delivery and carrier tracking events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from maillon.api.deps import ANY_ROLE, DbDep, allow
from maillon.api.views import full_order_read
from maillon.core.auth import Principal, Role
from maillon.orders import service as orders
from maillon.orders.schemas import OrderRead
from maillon.shipping import service
from maillon.shipping.schemas import (
    CarrierCreate,
    CarrierRead,
    PackRequest,
    ShipRequest,
    TrackingEventIn,
    TrackingEventRead,
)

router = APIRouter(tags=["shipping"])
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]


@router.post("/api/v1/carriers", status_code=status.HTTP_201_CREATED, response_model=CarrierRead)
def create_carrier(body: CarrierCreate, db: DbDep, _: Operator) -> CarrierRead:
    """Add a carrier."""
    with db.transaction() as session:
        return CarrierRead.model_validate(
            service.create_carrier(session=session, **body.model_dump())
        )


@router.get("/api/v1/carriers", response_model=list[CarrierRead])
def list_carriers(
    db: DbDep, _: Annotated[Principal, Depends(allow(*ANY_ROLE))]
) -> list[CarrierRead]:
    """List carriers."""
    with db.reader() as session:
        return [CarrierRead.model_validate(c) for c in service.list_carriers(session=session)]


@router.post("/api/v1/orders/{number}/pack", response_model=OrderRead)
def pack(number: str, body: PackRequest, db: DbDep, who: Floor) -> OrderRead:
    """Pack a picked order into parcels (each with an SSCC)."""
    parcels = None
    if body.parcels is not None:
        parcels = [service.ParcelSpec(**p.model_dump()) for p in body.parcels]
    with db.transaction() as session:
        service.pack_order(session=session, number=number, parcels=parcels, actor=who.actor)
        return full_order_read(session, orders.get_order(session=session, number=number))


@router.post("/api/v1/orders/{number}/ship", response_model=OrderRead)
def ship(number: str, body: ShipRequest, db: DbDep, who: Operator) -> OrderRead:
    """Hand a packed order to a carrier: tracking numbers, stock out, customer told."""
    with db.transaction() as session:
        service.ship_order(
            session=session, number=number, carrier_code=body.carrier, actor=who.actor
        )
        return full_order_read(session, orders.get_order(session=session, number=number))


@router.post("/api/v1/orders/{number}/deliver", response_model=OrderRead)
def deliver(number: str, db: DbDep, who: Operator) -> OrderRead:
    """Confirm delivery by hand (carriers normally report it through tracking events)."""
    with db.transaction() as session:
        service.mark_delivered(session=session, number=number, actor=who.actor)
        return full_order_read(session, orders.get_order(session=session, number=number))


@router.post(
    "/api/v1/tracking/events", status_code=status.HTTP_201_CREATED, response_model=TrackingEventRead
)
def tracking_event(
    body: TrackingEventIn, db: DbDep, who: Operator, response: Response
) -> TrackingEventRead:
    """Receive a carrier event; replays answer 200 and change nothing."""
    with db.transaction() as session:
        row, created = service.record_tracking_event(
            session=session, event=service.TrackingInput(**body.model_dump()), actor=who.actor
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return TrackingEventRead(
            event_id=row.event_id, status=row.status, occurred_at=row.occurred_at, created=created
        )
