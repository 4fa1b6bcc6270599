"""A delayed order gets one notice, however many of its parcels are late: each shipment is
still flagged and published (after-sales opens a ticket per shipment), but the customer is told
once while the delay lasts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from maillon.care.tables import Ticket
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.shipping.tables import Shipment
from tests.helpers import packed_order

LATE = datetime(2027, 1, 15, 9, tzinfo=UTC)  # weeks past any promise


def two_shipments(db: Database) -> tuple[str, list[Shipment]]:
    """An order split over both warehouses (Paris has 5 mugs, Lyon 3), shipped."""
    number = packed_order(db, [("MUG-01", 7)])
    with db.transaction() as s:
        shipments = shipping.ship_order(
            session=s, number=number, carrier_code="colissimo", actor="o"
        )
        s.expunge_all()
    assert len(shipments) == 2
    return number, shipments


def count(db: Database, model: object, *where: object) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def notices(db: Database) -> list[OutboxMessage]:
    with db.reader() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "shipment.delay_notice")
            ).all()
        )


def test_two_late_parcels_of_one_order_make_one_email(seeded: Database) -> None:
    number, shipments = two_shipments(seeded)
    with clock.frozen_at(LATE), seeded.transaction() as s:
        found = follow_up.detect_delays(session=s, actor="t")
    assert sorted(n.shipment_id for n in found) == sorted(x.id for x in shipments)
    assert [n.customer_told for n in found] == [True, False]
    (notice,) = notices(seeded)
    assert (
        notice.payload["order"] == number
        and notice.subject == f"Votre commande {number} est retardée"
    )
    assert count(seeded, Shipment, Shipment.delay_flagged_at.is_not(None)) == 2
    assert count(seeded, OutboxMessage, OutboxMessage.topic == "shipment.delayed") == 2
    assert count(seeded, Ticket, Ticket.source_key.like("shipment.delayed:%")) == 2
    with clock.frozen_at(LATE), seeded.transaction() as s:
        assert follow_up.detect_delays(session=s, actor="t") == []  # nothing new
    assert len(notices(seeded)) == 1


def test_a_second_parcel_late_in_a_later_run_is_the_same_delay(seeded: Database) -> None:
    _number, shipments = two_shipments(seeded)
    first = shipments[0].parcels[0].tracking_number or ""
    with seeded.transaction() as s:  # one parcel is stuck before anything is late
        follow_up.record_tracking_event(
            session=s,
            event=follow_up.TrackingInput(
                "colissimo", "x1", first, "exception", clock.now(), "Lyon", "adresse incomplète"
            ),
            actor="carrier",
        )
    with seeded.transaction() as s:
        (stuck,) = follow_up.detect_delays(session=s, actor="t")
    assert stuck.kind == "exception" and stuck.customer_told
    (notice,) = notices(seeded)
    assert "adresse incomplète" in (notice.body or "")  # the carrier's words, not ours
    with clock.frozen_at(LATE), seeded.transaction() as s:
        (late,) = follow_up.detect_delays(session=s, actor="t")
    assert late.kind == "late" and not late.customer_told
    assert len(notices(seeded)) == 1
    assert count(seeded, OutboxMessage, OutboxMessage.topic == "shipment.delayed") == 2


def test_a_new_delay_after_the_first_parcels_arrived_is_told_again(seeded: Database) -> None:
    _number, shipments = two_shipments(seeded)
    first, second = (x.parcels[0].tracking_number or "" for x in shipments)
    with seeded.transaction() as s:
        follow_up.record_tracking_event(
            session=s,
            event=follow_up.TrackingInput("colissimo", "x1", first, "exception", clock.now()),
            actor="carrier",
        )
        follow_up.detect_delays(session=s, actor="t")
    with seeded.transaction() as s:  # the stuck parcel arrives: that delay is over
        follow_up.record_tracking_event(
            session=s,
            event=follow_up.TrackingInput("colissimo", "d1", first, "delivered", clock.now()),
            actor="carrier",
        )
    with clock.frozen_at(LATE), seeded.transaction() as s:
        (late,) = follow_up.detect_delays(session=s, actor="t")
    assert late.customer_told and len(notices(seeded)) == 2
    assert second in (notices(seeded)[-1].body or "")
