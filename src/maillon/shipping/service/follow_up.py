"""What follows a parcel's departure: carrier tracking events (one at a time or a carrier's
webhook in its own format), delivery of the order, delay and exception detection, and
claims against the carrier.

Events are stored once per carrier event id and may come in any order; the shipment and
the order follow the parcels' latest statuses. Each function works inside the caller's
transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maillon.core import clock, outbox
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.orders.service import timeline
from maillon.orders.tables import Order
from maillon.shipping import tracking
from maillon.shipping.model import ShipmentStatus, TrackingStatus, latest_status
from maillon.shipping.service import get_carrier, local_date, shipments_of
from maillon.shipping.tables import (
    Carrier,
    Parcel,
    Shipment,
    ShipmentClaim,
    TrackingEvent,
)

__all__ = [
    "ClaimKind",
    "DelayNotice",
    "TrackingInput",
    "WebhookResult",
    "add_claim",
    "claims_of",
    "detect_delays",
    "get_shipment",
    "mark_delivered",
    "receive_webhook",
    "record_tracking_event",
]


@dataclass(frozen=True)
class TrackingInput:
    """A carrier event as received (after mapping to our status model)."""

    carrier: str
    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""


def record_tracking_event(
    *, session: Session, event: TrackingInput, actor: str
) -> tuple[TrackingEvent, bool]:
    """Store a carrier event once; return it and whether it was new.

    Replays (same carrier and event id) change nothing. Events may come out of order: the
    parcel's status is the latest by event time. When every parcel is delivered the order
    becomes delivered. Raises ValidationError (status), NotFound (carrier, tracking number).
    """
    try:
        status = TrackingStatus(event.status)
    except ValueError:
        allowed = ", ".join(s.value for s in TrackingStatus)
        raise ValidationError(
            FieldError("status", f"unknown status; use one of {allowed}")
        ) from None
    if not event.event_id.strip():
        raise ValidationError(FieldError("event_id", "is required"))
    carrier = get_carrier(session=session, code=event.carrier)
    existing = session.scalar(
        select(TrackingEvent).where(
            TrackingEvent.carrier_id == carrier.id, TrackingEvent.event_id == event.event_id
        )
    )
    if existing is not None:
        return existing, False
    parcel = session.scalar(select(Parcel).where(Parcel.tracking_number == event.tracking_number))
    if parcel is None:
        raise NotFound("parcel", event.tracking_number, field="tracking_number")
    row = TrackingEvent(
        carrier_id=carrier.id,
        event_id=event.event_id,
        parcel_id=parcel.id,
        status=status.value,
        occurred_at=event.occurred_at,
        received_at=clock.now(),
        location=event.location[:120],
        description=event.description[:300],
    )
    session.add(row)
    session.flush()
    history = session.execute(
        select(TrackingEvent.occurred_at, TrackingEvent.status).where(
            TrackingEvent.parcel_id == parcel.id
        )
    ).all()
    parcel.status = (
        latest_status([(clock.as_utc(at), TrackingStatus(s)) for at, s in history]) or status
    ).value
    shipment = session.get(Shipment, parcel.shipment_id)
    assert shipment is not None
    _announce_tracking(session, row, parcel, shipment, carrier)
    statuses = {p.status for p in shipment.parcels}
    if statuses == {TrackingStatus.DELIVERED.value}:
        if shipment.status != ShipmentStatus.DELIVERED:
            _shipment_delivered(session, shipment)
            _deliver_order(session, shipment, carrier, event.event_id, actor)
    elif statuses & {TrackingStatus.EXCEPTION.value, TrackingStatus.RETURNED.value}:
        shipment.status = ShipmentStatus.EXCEPTION.value
    elif shipment.status == ShipmentStatus.EXCEPTION:
        shipment.status = (
            ShipmentStatus.SHIPPED.value
        )  # the carrier resolved it: the parcel moves again
    return row, True


def _iso(moment: datetime | None) -> str | None:
    return clock.as_utc(moment).isoformat() if moment is not None else None


def _announce_tracking(
    session: Session, row: TrackingEvent, parcel: Parcel, shipment: Shipment, carrier: Carrier
) -> None:
    """Publish ``tracking.updated`` for a new carrier event (with the parcel's status after
    it: events may come out of order)."""
    outbox.publish(
        session,
        "tracking.updated",
        {
            "order_id": shipment.order_id,
            "shipment_id": shipment.id,
            "parcel_id": parcel.id,
            "tracking_number": parcel.tracking_number,
            "carrier": carrier.code,
            "event_id": row.event_id,
            "status": row.status,
            "parcel_status": parcel.status,
            "occurred_at": _iso(row.occurred_at),
            "location": row.location,
            "description": row.description,
        },
    )


def _shipment_delivered(session: Session, shipment: Shipment) -> None:
    """Mark the shipment delivered (at its last parcel's delivery) and publish it."""
    shipment.status = ShipmentStatus.DELIVERED.value
    shipment.delivered_at = session.scalar(
        select(func.max(TrackingEvent.occurred_at))
        .join(Parcel, Parcel.id == TrackingEvent.parcel_id)
        .where(
            Parcel.shipment_id == shipment.id,
            TrackingEvent.status == TrackingStatus.DELIVERED.value,
        )
    )
    outbox.publish(
        session,
        "shipment.delivered",
        {
            "shipment_id": shipment.id,
            "order_id": shipment.order_id,
            "delivered_at": _iso(shipment.delivered_at),
        },
    )


def _deliver_order(
    session: Session, shipment: Shipment, carrier: Carrier, event_id: str, actor: str
) -> None:
    """Move the order to delivered (and tell the customer) once all its shipments are."""
    order = orders.get_order_for_update(session=session, number=str(shipment.order_id))
    every = shipments_of(session=session, order=order)
    if order.status != OrderStatus.SHIPPED.value or any(
        x.status != ShipmentStatus.DELIVERED for x in every
    ):
        return
    order.delivered_at = max(
        clock.as_utc(x.delivered_at) for x in every if x.delivered_at is not None
    )
    timeline.transition(
        session=session,
        order=order,
        target=OrderStatus.DELIVERED,
        actor=actor,
        note=f"{carrier.name} event {event_id}",
    )
    outbox.publish(
        session,
        "order.delivered",
        {"order_id": order.id, "order": order.number, "delivered_at": _iso(order.delivered_at)},
    )
    timeline.notify_customer(
        session=session,
        order=order,
        topic="order.delivered",
    )


def mark_delivered(*, session: Session, number: str, actor: str) -> Order:
    """Record delivery of every parcel of a shipped order (e.g. proof of delivery by hand).

    Raises NotFound, Conflict if the order has no shipped parcels.
    """
    order = orders.get_order(session=session, number=number)
    shipped = [x for x in shipments_of(session=session, order=order) if x.carrier is not None]
    if not shipped:
        raise Conflict(f"order {order.number} has not shipped")
    for shipment, parcel in ((x, p) for x in shipped for p in x.parcels):
        assert shipment.carrier is not None
        record_tracking_event(
            session=session,
            event=TrackingInput(
                carrier=shipment.carrier.code,
                event_id=f"manual-{parcel.id}-delivered",
                tracking_number=parcel.tracking_number or "",
                status=TrackingStatus.DELIVERED.value,
                occurred_at=clock.now(),
                description="delivery confirmed by operator",
            ),
            actor=actor,
        )
    return order


@dataclass(frozen=True)
class WebhookResult:
    """What a carrier webhook changed: events stored, replays, and the events ignored."""

    carrier: str
    received: int
    created: int
    replayed: int
    ignored: tuple[tracking.Ignored, ...]


def receive_webhook(*, session: Session, carrier_code: str, body: Any, actor: str) -> WebhookResult:
    """Store the tracking events of a carrier's webhook body, in that carrier's own format.

    Events are idempotent by event id and may come in any order (see
    :func:`record_tracking_event`); events with an unknown code or tracking number are
    returned as ignored, so one bad scan does not make the carrier retry the rest.
    Raises NotFound (``carrier``: unknown, or no webhook format), ValidationError naming the
    malformed field of the body.
    """
    mapper = tracking.mapper_for(carrier_code)
    if mapper is None:
        raise NotFound("carrier webhook", carrier_code, field="carrier")
    carrier = get_carrier(session=session, code=carrier_code)
    batch = mapper(body)
    created = replayed = 0
    ignored = list(batch.ignored)
    for k, event in enumerate(batch.events):
        known = session.scalar(
            select(Parcel.id).where(Parcel.tracking_number == event.tracking_number)
        )
        if known is None:
            ignored.append(tracking.Ignored(k, event.code, "unknown tracking number"))
            continue
        _row, new = record_tracking_event(
            session=session,
            event=TrackingInput(
                carrier=carrier.code,
                event_id=event.event_id[:100],
                tracking_number=event.tracking_number,
                status=event.status.value,
                occurred_at=event.occurred_at,
                location=event.location,
                description=event.description or event.code,
            ),
            actor=actor,
        )
        created += new
        replayed += not new
    return WebhookResult(
        carrier=carrier.code,
        received=len(batch.events) + len(batch.ignored),
        created=created,
        replayed=replayed,
        ignored=tuple(ignored),
    )


@dataclass(frozen=True)
class DelayNotice:
    """A shipment found late or in trouble, and notified (customer notice + event)."""

    shipment_id: int
    order_number: str
    kind: str  # late, exception
    reason: str
    #: False when the customer had been told already of their order's delay (one e-mail per
    #: order while another of its shipments is flagged and on its way)
    customer_told: bool = True


def _exception_event(session: Session, shipment: Shipment) -> TrackingEvent | None:
    return session.scalar(
        select(TrackingEvent)
        .where(
            TrackingEvent.parcel_id.in_([p.id for p in shipment.parcels]),
            TrackingEvent.status == TrackingStatus.EXCEPTION.value,
        )
        .order_by(TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
        .limit(1)
    )


def _exception_reason(session: Session, shipment: Shipment) -> tuple[str, str] | None:
    """Why ``shipment`` is in trouble, for the staff (English) and as the carrier said it (for
    the customer's message), or None."""
    returned = [p for p in shipment.parcels if p.status == TrackingStatus.RETURNED.value]
    if returned:
        return f"parcel {returned[0].tracking_number} is going back to the sender", ""
    event = _exception_event(session, shipment)
    if event is None:
        return None
    where = f" at {event.location}" if event.location else ""
    what = event.description or "a delivery problem"
    staff = f"carrier reported {what}{where} on {local_date(event.occurred_at):%d/%m/%Y}"
    return staff, event.description or ""


def _order_told(session: Session, order_id: int, shipment_id: int) -> bool:
    """Whether the customer of order ``order_id`` was already told of a delay they are still
    living through: another of its shipments is flagged and not delivered yet."""
    return (
        session.scalar(
            select(Shipment.id)
            .where(
                Shipment.order_id == order_id,
                Shipment.id != shipment_id,
                Shipment.delay_flagged_at.is_not(None),
                Shipment.delivered_at.is_(None),
                Shipment.status != ShipmentStatus.DELIVERED,
            )
            .limit(1)
        )
        is not None
    )


def detect_delays(*, session: Session, actor: str, limit: int = 500) -> list[DelayNotice]:
    """Notify the shipments past their promised day without delivery, or with an exception.

    For each shipment not flagged yet (at most ``limit``): the shipment is flagged with the
    reason (a conditional update, so two runs at once notify it once) and the domain event
    ``shipment.delayed`` (payload ``{"shipment_id", "order_id", "reason"}``) is published for
    after-sales. The customer gets one notice per order and delay: none for a shipment whose
    order has another one flagged and not delivered yet (they were told; their next notice
    comes once those parcels have arrived). The promised day
    is the shipment's (its service's promise), else the order's promise; a shipment is late
    once that day is over (Europe/Paris). Returns the notices written, by shipment id.
    """
    if limit < 1:
        raise ValidationError(FieldError("limit", "must be at least 1"))
    now = clock.now()
    today = local_date(now)
    candidates = session.scalars(
        select(Shipment)
        .where(
            Shipment.carrier_id.is_not(None),
            Shipment.shipped_at.is_not(None),
            Shipment.delivered_at.is_(None),
            Shipment.status != ShipmentStatus.DELIVERED,
            Shipment.delay_flagged_at.is_(None),
        )
        .order_by(Shipment.id)
    ).all()
    notices: list[DelayNotice] = []
    for shipment in candidates:
        if len(notices) >= limit:
            break
        order = session.get(Order, shipment.order_id)
        assert order is not None
        promised = shipment.promised_on
        if promised is None and order.promised_at is not None:
            promised = local_date(order.promised_at)
        kind, found = "exception", _exception_reason(session, shipment)
        if found is None:
            if promised is None or today <= promised:
                continue
            kind = "late"
            found = (f"promised for {promised:%d/%m/%Y}, not delivered yet", "")
        reason, problem = found
        flagged = session.execute(
            update(Shipment)
            .where(Shipment.id == shipment.id, Shipment.delay_flagged_at.is_(None))
            .values(delay_flagged_at=now, delay_reason=reason[:300])
            .execution_options(synchronize_session=False)
        )
        if getattr(flagged, "rowcount", 0) != 1:
            continue  # another run notified it first
        told = not _order_told(session, order.id, shipment.id)
        if told:
            _tell_delay(session, order, shipment, kind, promised, problem)
        outbox.publish(
            session,
            "shipment.delayed",
            {
                "shipment_id": shipment.id,
                "order_id": order.id,
                "order": order.number,
                "kind": kind,
                "reason": reason,
            },
        )
        notices.append(DelayNotice(shipment.id, order.number, kind, reason, told))
    return notices


def _tell_delay(
    session: Session,
    order: Order,
    shipment: Shipment,
    kind: str,
    promised: date | None,
    problem: str,
) -> None:
    """Queue the customer's delay notice for ``shipment`` (the carrier's words in ``problem``
    for an exception)."""
    tracking = [p.tracking_number for p in shipment.parcels if p.tracking_number]
    timeline.notify_customer(
        session=session,
        order=order,
        topic="shipment.delay_notice",
        context={
            "kind": kind,
            "carrier": shipment.carrier.name if shipment.carrier else "",
            "tracking": tracking,
            "promised": promised,
            "problem": problem,
        },
        extra={"shipment": shipment.id, "tracking": ", ".join(tracking)},
    )


def get_shipment(*, session: Session, shipment_id: int) -> Shipment:
    """Return the shipment ``shipment_id``. Raises NotFound naming ``id``."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound("shipment", shipment_id, field="id")
    return shipment


ClaimKind = ("damage", "loss")
"""The kinds of carrier claims."""


def add_claim(
    *,
    session: Session,
    shipment_id: int,
    kind: str,
    amount_cents: int,
    note: str = "",
    actor: str,
) -> ShipmentClaim:
    """Record a damage or loss claim against the carrier of a shipped shipment.

    Raises ValidationError (``kind``, ``amount_cents``, ``note``), NotFound (``id``),
    Conflict when the shipment has not shipped.
    """
    errors = ErrorCollector()
    if kind not in ClaimKind:
        errors.add("kind", "must be damage or loss")
    if amount_cents < 0:
        errors.add("amount_cents", "must be 0 or more")
    if len(note) > 500:
        errors.add("note", "must have at most 500 characters")
    errors.raise_if_any()
    shipment = get_shipment(session=session, shipment_id=shipment_id)
    if shipment.carrier_id is None:
        raise Conflict(f"shipment {shipment_id} has not shipped: there is no carrier to claim from")
    claim = ShipmentClaim(
        shipment_id=shipment.id,
        kind=kind,
        amount_cents=amount_cents,
        note=note.strip(),
        created_at=clock.now(),
        created_by=actor[:120],
    )
    session.add(claim)
    session.flush()
    return claim


def claims_of(*, session: Session, shipment_id: int) -> Sequence[ShipmentClaim]:
    """Return the claims of a shipment, oldest first. Raises NotFound (``id``)."""
    get_shipment(session=session, shipment_id=shipment_id)
    return session.scalars(
        select(ShipmentClaim)
        .where(ShipmentClaim.shipment_id == shipment_id)
        .order_by(ShipmentClaim.id)
    ).all()
