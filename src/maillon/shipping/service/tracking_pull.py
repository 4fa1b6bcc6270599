"""Pull tracking from the carriers that can be asked (the scheduled job
``shipping.pull_tracking``).

For parcels on their way (their shipment shipped or in exception, with a tracking number)
whose carrier's gateway can track (:class:`~maillon.shipping.carriers.Capability` ``TRACK``:
a connector account, not a rate card), the carrier is asked for the parcel's events, and each
is recorded through the one ingestion, :func:`maillon.shipping.service.follow_up.
record_tracking_event`: idempotent by carrier event id, so a replay changes nothing. At most
``limit`` parcels per run, those asked longest ago first (``parcels.tracking_pulled_at``), one
transaction per parcel. A carrier that fails (down, time-out, credentials refused) is left for
this run and the next run asks it again; the other carriers go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from sqlalchemy import select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.shipping.carriers import Capability, CarrierGateway, CarrierUnavailable
from maillon.shipping.model import ShipmentStatus
from maillon.shipping.service import gateway_for
from maillon.shipping.service.follow_up import TrackingInput, record_tracking_event
from maillon.shipping.tables import Carrier, Parcel, Shipment

__all__ = ["PullResult", "pull_tracking"]

log = logging.getLogger(__name__)

ON_THE_WAY = (ShipmentStatus.SHIPPED.value, ShipmentStatus.EXCEPTION.value)


@dataclass
class PullResult:
    """What a pull did: parcels asked, events new and replayed, unknown numbers, and the
    carriers that failed (code: why)."""

    parcels: int = 0
    created: int = 0
    replayed: int = 0
    unknown: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The job's result."""
        return {
            "parcels": self.parcels,
            "created": self.created,
            "replayed": self.replayed,
            "unknown": self.unknown,
            "failed": dict(self.failed),
        }


def _trackable(
    db: Database, limit: int
) -> tuple[dict[int, CarrierGateway], list[tuple[int, int, str]]]:
    """The gateways of the carriers with parcels on their way that can track, by carrier
    id, and up to ``limit`` such parcels (id, carrier id, tracking number): each carrier's
    asked longest ago first, the carriers taken in turn (one with many parcels, or down, does
    not starve the others)."""
    with db.reader() as session:
        carriers = session.scalars(
            select(Carrier)
            .where(
                Carrier.id.in_(
                    select(Shipment.carrier_id).where(Shipment.status.in_(ON_THE_WAY)).distinct()
                )
            )
            .order_by(Carrier.id)
        ).all()
        gateways = {}
        queues: list[list[tuple[int, int, str]]] = []
        for carrier in carriers:
            gateway = gateway_for(carrier)
            if Capability.TRACK not in gateway.capabilities:
                continue
            gateways[carrier.id] = gateway
            rows = session.execute(
                select(Parcel.id, Parcel.tracking_number)
                .join(Shipment, Shipment.id == Parcel.shipment_id)
                .where(
                    Shipment.status.in_(ON_THE_WAY),
                    Shipment.carrier_id == carrier.id,
                    Parcel.tracking_number.is_not(None),
                )
                .order_by(
                    Parcel.tracking_pulled_at.is_not(None), Parcel.tracking_pulled_at, Parcel.id
                )
                .limit(limit)
            ).all()
            queues.append([(pid, carrier.id, str(number)) for pid, number in rows])
    turns = [row for turn in zip_longest(*queues) for row in turn if row is not None]
    return gateways, turns[:limit]


def _record(db: Database, parcel_id: int, carrier: str, events: Any, result: PullResult) -> None:
    """Record the parcel's events and when it was asked, in one transaction."""
    with db.transaction() as session:
        for event in events:
            _row, new = record_tracking_event(
                session=session,
                event=TrackingInput(
                    carrier=carrier,
                    event_id=event.event_id[:100],
                    tracking_number=event.tracking_number,
                    status=event.status.value,
                    occurred_at=event.occurred_at,
                    location=event.location,
                    description=event.description,
                ),
                actor="tracking pull",
            )
            result.created += new
            result.replayed += not new
        parcel = session.get(Parcel, parcel_id)
        if parcel is not None:
            parcel.tracking_pulled_at = clock.now()


def pull_tracking(db: Database, *, limit: int = 200) -> PullResult:
    """Ask the carriers for the events of up to ``limit`` parcels on their way and record
    them (see the module). Raises ValidationError (``limit`` below 1)."""
    if limit < 1:
        raise ValidationError(FieldError("limit", "must be at least 1"))
    gateways, parcels = _trackable(db, limit)
    result = PullResult()
    for parcel_id, carrier_id, number in parcels:
        gateway = gateways[carrier_id]
        if gateway.code in result.failed:
            continue  # down for this run: its parcels wait for the next one
        result.parcels += 1
        try:
            events = gateway.fetch_events(number)
        except NotFound:
            result.unknown += 1
            events = ()
        except (CarrierUnavailable, ValidationError) as exc:
            result.failed[gateway.code] = str(exc)
            continue
        except Exception as exc:  # one carrier's fault must not stop the others
            log.exception("tracking pull: carrier %s failed", gateway.code)
            result.failed[gateway.code] = f"{type(exc).__name__}: {exc}"
            continue
        with_number = [e for e in events if e.tracking_number == number]
        _record(db, parcel_id, gateway.code, with_number, result)
    return result
