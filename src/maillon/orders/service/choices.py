"""The delivery an order's customer chose: checked at intake, kept, read back.

Whether a relay point, a store or a slot exists is known above orders (the delivery
package): it registers a resolver with :func:`resolve_choices_with` when the app is
assembled (``maillon.bootstrap``), so every intake (API, CSV, webhooks, the demo) checks the
choice in its transaction through :func:`resolve`, and orders never import delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core.db import insert_now
from maillon.orders.choice import (
    HOME,
    DeliveryChoice,
    DeliveryMethod,
    RelayPointChoice,
    SlotChoice,
)
from maillon.orders.model import OrderDraft
from maillon.orders.tables import Order, OrderDelivery

__all__ = [
    "ChoiceResolver",
    "choice_of",
    "choices_of",
    "new_order_choice",
    "resolve",
    "resolve_choices_with",
    "save_choice",
]

ChoiceResolver = Callable[[Session, OrderDraft], DeliveryChoice]
"""Returns the draft's choice checked against what exists (the relay point's address snapshot
filled in, the slot's window...); raises ValidationError naming ``delivery.<field>``."""

_resolvers: list[ChoiceResolver] = []
_NEW = "maillon.orders.new_choices"  # session.info key: the choices saved in this session


def resolve_choices_with(resolver: ChoiceResolver | None) -> None:
    """Have :func:`resolve` check choices with ``resolver`` (None: shape checks only)."""
    _resolvers[:] = [] if resolver is None else [resolver]


def resolve(session: Session, draft: OrderDraft) -> DeliveryChoice:
    """Return the (validated) draft's choice checked by the registered resolver. Reads only;
    raises ValidationError naming the field."""
    if draft.delivery.is_default or not _resolvers:
        return draft.delivery
    return _resolvers[0](session, draft)


def save_choice(session: Session, order: Order, choice: DeliveryChoice) -> None:
    """Keep ``order``'s choice (nothing for a plain home delivery)."""
    if choice.is_default:
        return
    session.info.setdefault(_NEW, {})[order.id] = choice
    relay = choice.relay_point
    slot = choice.slot
    insert_now(
        session,
        [
            OrderDelivery(
                order_id=order.id,
                method=choice.method.value,
                carrier=choice.carrier,
                service=choice.service,
                relay_carrier=relay.carrier if relay else None,
                relay_point_id=relay.point_id if relay else None,
                relay_name=relay.name[:200] if relay else "",
                relay_address=relay.address[:200] if relay else "",
                relay_postcode=relay.postcode[:12] if relay else "",
                relay_city=relay.city[:200] if relay else "",
                relay_country=relay.country[:2] if relay else "",
                relay_opening_hours=relay.opening_hours[:200] if relay else "",
                store_code=choice.store,
                slot_id=slot.slot_id if slot else None,
                slot_start=slot.start if slot else None,
                slot_end=slot.end if slot else None,
                promised_on=choice.promised_on,
                price_cents=choice.price_cents,
            )
        ],
    )


def _choice(row: OrderDelivery | None) -> DeliveryChoice:
    if row is None:
        return HOME
    relay = None
    if row.relay_point_id is not None:
        relay = RelayPointChoice(
            carrier=row.relay_carrier or row.carrier or "",
            point_id=row.relay_point_id,
            name=row.relay_name,
            address=row.relay_address,
            postcode=row.relay_postcode,
            city=row.relay_city,
            country=row.relay_country or "FR",
            opening_hours=row.relay_opening_hours,
        )
    slot = None
    if row.slot_id is not None:
        slot = SlotChoice(row.slot_id, row.slot_start, row.slot_end)
    return replace(
        HOME,
        method=DeliveryMethod(row.method),
        carrier=row.carrier,
        service=row.service,
        relay_point=relay,
        store=row.store_code,
        slot=slot,
        promised_on=row.promised_on,
        price_cents=row.price_cents,
    )


def choice_of(*, session: Session, order_id: int) -> DeliveryChoice:
    """Return the delivery the order's customer chose (home when they chose nothing)."""
    return _choice(session.get(OrderDelivery, order_id))


def new_order_choice(session: Session, order: Order) -> DeliveryChoice:
    """Return the choice of an order created in ``session``, without reading it back."""
    saved: dict[int, DeliveryChoice] = session.info.get(_NEW, {})
    return saved.get(order.id, HOME)


def choices_of(*, session: Session, order_ids: Iterable[int]) -> dict[int, DeliveryChoice]:
    """Return the choice of each order of ``order_ids`` (home for those without one)."""
    ids = sorted(set(order_ids))
    rows = {
        row.order_id: row
        for row in session.scalars(select(OrderDelivery).where(OrderDelivery.order_id.in_(ids)))
    }
    return {i: _choice(rows.get(i)) for i in ids}
