"""The delivery a customer chose, checked against what delivery knows: relay points, click &
collect stores and delivery slots.

:func:`install` (called by ``maillon.bootstrap``) registers :func:`resolve_choice` with the
orders package, so every intake (API, CSV, webhooks, the demo) checks the choice in the
order's transaction before anything is written, and subscribes :func:`on_order_created`,
which books the chosen slot in that same transaction.

:func:`find_relay_point` looks a chosen point up through the one read of relay points,
:mod:`maillon.delivery.queries.relay_points` (the imported table, else the points file).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core import clock, outbox
from maillon.core.errors import ErrorCollector
from maillon.delivery.model import CollectStatus
from maillon.delivery.queries import relay_points
from maillon.delivery.relay import RelayPoint
from maillon.delivery.service import LOCAL_TZ, _zone_of, book_slot, local_today, wanted_by_sku
from maillon.delivery.service.collect import link_order
from maillon.delivery.tables import CollectReservation, CollectStore, DeliverySlot
from maillon.inventory.tables import Warehouse
from maillon.orders.choice import DeliveryChoice, RelayPointChoice, SlotChoice
from maillon.orders.model import OrderDraft, OrderStatus, order_number
from maillon.orders.service import choices
from maillon.orders.tables import Order

__all__ = ["find_relay_point", "install", "on_order_created", "resolve_choice"]

CHECKOUT_ACTOR = "checkout"


def find_relay_point(*, session: Session, carrier: str, point_id: str) -> RelayPoint | None:
    """Return the open relay point ``point_id`` of ``carrier`` known to Maillon, or None."""
    return relay_points.get_point(session=session, carrier=carrier, point_id=point_id.strip())


def _relay(
    session: Session, relay: RelayPointChoice, errors: ErrorCollector
) -> RelayPointChoice | None:
    point = find_relay_point(session=session, carrier=relay.carrier, point_id=relay.point_id)
    if point is None:
        others = sorted(
            relay_points.carriers_of(session=session, point_id=relay.point_id.strip())
            - {relay.carrier}
        )
        if others:
            errors.add(
                "delivery.relay_point.carrier",
                f"relay point {relay.point_id} is a {', '.join(others)} point, "
                f"not a {relay.carrier} one",
            )
        else:
            errors.add("delivery.relay_point.id", f"unknown relay point {relay.point_id!r}")
        return None
    # what Maillon knows of the point wins over what the shop sent
    return replace(
        relay,
        name=point.name,
        address=point.address,
        postcode=point.postcode,
        city=point.city,
        country=relay.country or "FR",
        opening_hours=point.opening_hours,
    )


def _store(session: Session, code: str, errors: ErrorCollector) -> str | None:
    row = session.execute(
        select(Warehouse.code, CollectStore.active)
        .outerjoin(CollectStore, CollectStore.warehouse_id == Warehouse.id)
        .where(func.upper(Warehouse.code) == code.upper())
    ).first()
    if row is None or row.active is None:
        errors.add("delivery.store", f"{code!r} is not a click & collect store")
        return None
    if not row.active:
        errors.add("delivery.store", f"store {code!r} does not take collections now")
        return None
    return str(row.code)


def _reservation(
    session: Session, draft: OrderDraft, store: str | None, errors: ErrorCollector
) -> str | None:
    """Return the store of the reservation the choice names, once it is known, active, not
    expired, free and for the order's lines (and store); None after adding the error."""
    field = "delivery.reservation"
    token = draft.delivery.reservation
    row = session.scalar(select(CollectReservation).where(CollectReservation.token == token))
    if row is None:
        errors.add(field, "unknown click & collect reservation")
        return None
    if row.status != CollectStatus.ACTIVE or clock.as_utc(row.expires_at) <= clock.now():
        status = row.status if row.status != CollectStatus.ACTIVE else CollectStatus.EXPIRED
        errors.add(field, f"the reservation is {status}: reserve again")
        return None
    if row.order_id is not None:
        errors.add(field, "the reservation is already linked to another order")
        return None
    wh = session.get(Warehouse, row.warehouse_id)
    assert wh is not None  # a foreign key
    if store is not None and store.upper() != wh.code.upper():
        errors.add(field, f"the reservation is in store {wh.code}, not {store}")
        return None
    reserved = wanted_by_sku([(x.sku, x.quantity) for x in row.lines])
    if wanted_by_sku([(x.sku, x.quantity) for x in draft.lines]) != reserved:
        errors.add(field, f"the order's lines must be the reservation's {reserved}")
        return None
    return wh.code


def _slot(
    session: Session, draft: OrderDraft, slot: SlotChoice, errors: ErrorCollector
) -> SlotChoice | None:
    row = session.get(DeliverySlot, slot.slot_id)
    if row is None:
        errors.add("delivery.slot.id", f"unknown delivery slot {slot.slot_id}")
        return None
    if row.day <= local_today():
        errors.add("delivery.slot.id", f"slot {row.id} on {row.day} is past: choose from tomorrow")
        return None
    if row.booked >= row.capacity:
        errors.add("delivery.slot.id", f"slot {row.id} is full")
        return None
    zone = _zone_of(session, draft.address.country, draft.address.postcode)
    if zone is None or zone.id != row.zone_id:
        errors.add(
            "delivery.slot.id",
            f"slot {row.id} is for zone {row.zone.code}, not {draft.address.postcode}",
        )
        return None
    start = _instant(row, row.start_min)
    return SlotChoice(row.id, start, _instant(row, row.end_min))


def _instant(row: DeliverySlot, minutes: int) -> dt.datetime:
    local = dt.datetime.combine(row.day, dt.time(0), tzinfo=LOCAL_TZ) + dt.timedelta(
        minutes=minutes
    )
    return local.astimezone(dt.UTC)


def resolve_choice(session: Session, draft: OrderDraft) -> DeliveryChoice:
    """Return the (shape-checked) choice of ``draft`` checked against what exists: the relay
    point is known and of the chosen carrier (its name, address and hours filled in from
    Maillon's list), the store takes collections, the slot has room, is not past and serves
    the address, the store reservation is active and holds the order's lines. Reads only.
    Raises ValidationError naming ``delivery.relay_point.id``, ``delivery.relay_point.carrier``,
    ``delivery.store``, ``delivery.reservation`` or ``delivery.slot.id``."""
    choice = draft.delivery
    errors = ErrorCollector()
    relay = choice.relay_point
    if relay is not None:
        relay = _relay(session, relay, errors)
    store = choice.store
    if store is not None:
        store = _store(session, store, errors)
    if choice.reservation is not None and (store is not None or choice.store is None):
        store = _reservation(session, draft, store, errors)
    slot = choice.slot
    if slot is not None:
        slot = _slot(session, draft, slot, errors)
    errors.raise_if_any()
    return replace(choice, relay_point=relay, slot=slot, store=store)


def on_order_created(session: Session, payload: dict[str, Any]) -> None:
    """Book the slot the new order's customer chose, or link it to its store reservation
    (subscribed to ``order.created``, in the order's transaction: a slot filled or a
    reservation taken meanwhile refuses the order, Conflict)."""
    order = session.get(Order, int(payload["order_id"]))  # in the session: no statement
    if order is None or order.status == OrderStatus.CANCELLED.value:
        return  # refused at intake (fraud): nothing to deliver
    choice = choices.new_order_choice(session, order)
    if choice.reservation is not None:
        link_order(
            session=session,
            token=choice.reservation,
            number=order_number(order.id),
            actor=CHECKOUT_ACTOR,
        )
    if choice.slot is None:
        return
    book_slot(
        session=session,
        slot_id=choice.slot.slot_id,
        number=order_number(order.id),
        actor=CHECKOUT_ACTOR,
    )


def install() -> None:
    """Check every order's delivery choice at intake and book its slot (called once by
    ``maillon.bootstrap``, after fraud scoring is subscribed)."""
    choices.resolve_choices_with(resolve_choice)
    outbox.subscribe("order.created", on_order_created)
