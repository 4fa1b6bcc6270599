"""The skeleton flow through the services, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from maillon.core.db import Database
from maillon.core.errors import InvalidTransition, NotFound, ValidationError
from maillon.core.outbox import MemorySender, deliver_pending
from maillon.core.tables import OutboxMessage
from maillon.inventory import service as inventory
from maillon.orders import queries
from maillon.orders import service as orders
from maillon.orders.service import allocation
from maillon.orders.tables import Order
from maillon.returns import service as returns
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack
from tests.helpers.database import row_counts


def available(db: Database, sku: str) -> int:
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku)
    return sum(r.available for r in rows)


def on_hand(db: Database, sku: str) -> int:
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku)
    return sum(r.on_hand for r in rows)


def test_order_goes_through_the_whole_chain(seeded: Database) -> None:
    db = seeded
    order, created = orders.place_order(
        db, order_draft([("MUG-01", 2), ("BOOK-07", 1)]), actor="test"
    )
    assert created and order.status == "confirmed"
    number = order.number
    with db.transaction() as s:
        outcome = orders.allocate_order(session=s, number=number, actor="test")
    assert outcome.allocated
    assert available(db, "MUG-01") == 6 and on_hand(db, "MUG-01") == 8
    with db.transaction() as s:
        (pick_list,) = warehouse.create_pick_lists(session=s, number=number, actor="picker")
        assert sorted(line.sku for line in pick_list.lines) == ["BOOK-07", "MUG-01"]
        assert [line.location_code for line in pick_list.lines] == ["A01-01", "A01-01"]
        warehouse.confirm_pick_list(
            session=s, pick_list_id=pick_list.id, picked=None, actor="picker"
        )
    with db.transaction() as s:
        (shipment,) = pack(s, number, "packer")
        assert len(shipment.parcels) == 1 and len(shipment.parcels[0].sscc or "") == 18
    with db.transaction() as s:
        (shipment,) = shipping.ship_order(
            session=s, number=number, carrier_code="colissimo", actor="op"
        )
        tracking = shipment.parcels[0].tracking_number
    assert tracking and tracking.startswith("6A")
    assert on_hand(db, "MUG-01") == 6 and available(db, "MUG-01") == 6
    with db.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="op")
    with db.reader() as s:
        final = orders.get_order(session=s, number=number)
        assert final.status == "delivered"
        statuses = [e.to_status for e in queries.order_events(session=s, order=final)]
        assert inventory.ledger_mismatches(session=s) == []
        public = shipping.public_tracking(session=s, tracking_number=tracking, postcode="69002")
    assert statuses == ["confirmed", "allocated", "picking", "packed", "shipped", "delivered"]
    assert public["status"] == "delivered" and "email" not in str(public)
    sender = MemorySender()
    assert deliver_pending(db, sender) >= 3
    subjects = [m["subject"] for m in sender.sent]  # a French address: written in French
    assert any("confirmée" in x for x in subjects) and any("en route" in x for x in subjects)


def test_confirmation_is_written_with_the_order(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft(), actor="test")
    with seeded.reader() as s:
        msg = s.scalar(select(OutboxMessage).where(OutboxMessage.topic == "order.confirmed"))
    assert msg is not None and msg.recipient == "camille.martin@example.fr"
    assert order.number in (msg.subject or "")


def test_replayed_order_is_not_duplicated(seeded: Database) -> None:
    first, created1 = orders.place_order(seeded, order_draft(external_id="SHOP-1"), actor="t")
    again, created2 = orders.place_order(seeded, order_draft(external_id="SHOP-1"), actor="t")
    other, created3 = orders.place_order(
        seeded, order_draft(external_id="SHOP-1", channel="marketplace"), actor="t"
    )
    assert (created1, created2, created3) == (True, False, True)
    assert again.id == first.id and other.id != first.id
    with seeded.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 2


def test_bad_order_writes_nothing(seeded: Database) -> None:
    before = row_counts(seeded)
    with pytest.raises(ValidationError) as exc:
        orders.place_order(seeded, order_draft([("MUG-01", 1), ("NOPE", 1)]), actor="t")
    assert exc.value.field == "lines.1.sku"
    assert row_counts(seeded) == before


def test_short_stock_reserves_what_it_can_and_a_receipt_completes_it(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft([("MUG-01", 1), ("LAMP-02", 3)]), actor="t")
    with seeded.transaction() as s:
        outcome = orders.allocate_order(session=s, number=order.number, actor="t")
    assert not outcome.allocated and outcome.order.status == "backordered"
    assert [(x.sku, x.requested, x.available) for x in outcome.short] == [("LAMP-02", 3, 0)]
    assert outcome.reserved_now == 3  # the mug and both lamps are held for this order
    assert available(seeded, "LAMP-02") == 0 and available(seeded, "MUG-01") == 7
    later, _ = orders.place_order(seeded, order_draft([("LAMP-02", 1)], external_id="L"), actor="t")
    with seeded.transaction() as s:
        assert not orders.allocate_order(session=s, number=later.number, actor="t").allocated
    with seeded.transaction() as s:  # one lamp arrives: the older order gets it, and is complete
        inventory.receive(
            session=s, warehouse_code="LYS1", location_code="B02-03", sku="LAMP-02", quantity=1
        )
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=order.number).status == "allocated"
        assert orders.get_order(session=s, number=later.number).status == "backordered"
        subjects = s.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.channel == "email")
        ).all()
        assert inventory.ledger_mismatches(session=s) == []
    assert any("retardée" in x for x in subjects)
    assert any("complète et partira bientôt" in x for x in subjects)


def test_ship_complete_orders_wait_in_one_warehouse(seeded: Database) -> None:
    # BOOK-07: 1 in Paris, 1 in Lyon; MUG-01: 5 in Paris, 3 in Lyon
    order, _ = orders.place_order(
        seeded, order_draft([("BOOK-07", 2), ("MUG-01", 1)], ship_complete=True), actor="t"
    )
    with seeded.transaction() as s:
        outcome = orders.allocate_order(session=s, number=order.number, actor="t")
        allocs = allocation.allocations_of(session=s, order=outcome.order)
    assert not outcome.allocated
    assert len({a.warehouse_id for a in allocs}) == 1
    with seeded.transaction() as s:  # a book arrives in the other warehouse: still waits
        warehouse_id = allocs[0].warehouse_id
        other = "LYS1" if warehouse_id == 1 else "PAR1"
        inventory.receive(
            session=s, warehouse_code=other, location_code="Z1", sku="BOOK-07", quantity=1
        )
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=order.number).status == "backordered"


def test_split_across_warehouses_when_needed(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft([("MUG-01", 7)]), actor="t")
    with seeded.transaction() as s:
        assert orders.allocate_order(session=s, number=order.number, actor="t").allocated
        allocs = allocation.allocations_of(
            session=s, order=orders.get_order(session=s, number=order.number)
        )
    assert sorted(a.quantity for a in allocs) == [2, 5]
    assert available(seeded, "MUG-01") == 1


def test_cancel_releases_stock_and_closes_pick_list(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft([("TSHIRT-M", 4)]), actor="t")
    with seeded.transaction() as s:
        orders.allocate_order(session=s, number=order.number, actor="t")
        (pick_list,) = warehouse.create_pick_lists(session=s, number=order.number, actor="p")
        pick_id = pick_list.id
    assert available(seeded, "TSHIRT-M") == 6
    with seeded.transaction() as s:
        orders.cancel_order(session=s, number=order.number, reason="customer request", actor="a")
    assert available(seeded, "TSHIRT-M") == 10
    with seeded.reader() as s:
        assert warehouse.get_pick_list(session=s, pick_list_id=pick_id).status == "cancelled"
        assert inventory.ledger_mismatches(session=s) == []
    with seeded.transaction() as s, pytest.raises(InvalidTransition):
        orders.allocate_order(session=s, number=order.number, actor="t")


def test_shipped_orders_cannot_be_cancelled(seeded: Database) -> None:
    number = _ship(seeded, [("BOOK-07", 1)])
    with seeded.transaction() as s, pytest.raises(InvalidTransition, match="shipped"):
        orders.cancel_order(session=s, number=number, reason="too late", actor="a")


def _ship(db: Database, lines: list[tuple[str, int]]) -> str:
    order, _ = orders.place_order(db, order_draft(lines), actor="t")
    number = order.number
    with db.transaction() as s:
        orders.allocate_order(session=s, number=number, actor="t")
        for pick_list in warehouse.create_pick_lists(session=s, number=number, actor="p"):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="p"
            )
        pack(s, number, "p")
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="o")
    return number


def test_tracking_events_are_idempotent_and_order_safe(seeded: Database) -> None:
    number = _ship(seeded, [("MUG-01", 1)])
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        tn = shipping.shipments_of(session=s, order=order)[0].parcels[0].tracking_number
    t0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
    events = [
        ("e3", "delivered", t0 + timedelta(days=2)),
        ("e1", "picked_up", t0),
        ("e2", "in_transit", t0 + timedelta(hours=6)),
        ("e3", "delivered", t0 + timedelta(days=2)),
    ]
    results = []
    for eid, status, at in events:  # delivered arrives first, and twice
        with seeded.transaction() as s:
            _row, created = follow_up.record_tracking_event(
                session=s,
                event=follow_up.TrackingInput("colissimo", eid, tn or "", status, at),
                actor="carrier",
            )
            results.append(created)
    assert results == [True, True, True, False]
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        assert order.status == "delivered"
        assert shipping.shipments_of(session=s, order=order)[0].parcels[0].status == "delivered"
        assert len(queries.order_events(session=s, order=order)) == 6


def test_return_restocks_where_it_was_picked(seeded: Database) -> None:
    number = _ship(seeded, [("TSHIRT-M", 2)])
    with seeded.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="o")
    with seeded.transaction() as s:
        req = returns.request_return(
            session=s, number=number, lines=[("TSHIRT-M", 1)], reason="too small", actor="c"
        )
        rid = req.id
    with seeded.transaction() as s, pytest.raises(ValidationError, match="between 1 and 1"):
        returns.request_return(
            session=s, number=number, lines=[("TSHIRT-M", 2)], reason="x", actor="c"
        )
    assert on_hand(seeded, "TSHIRT-M") == 8
    with seeded.transaction() as s:
        returns.receive_return(session=s, return_id=rid, restock=True, actor="o")
    assert on_hand(seeded, "TSHIRT-M") == 9 and available(seeded, "TSHIRT-M") == 9
    with seeded.reader() as s:
        assert inventory.ledger_mismatches(session=s) == []


def test_unknown_order_is_not_found(seeded: Database) -> None:
    with seeded.transaction() as s, pytest.raises(NotFound):
        orders.allocate_order(session=s, number="M9999999", actor="t")


def test_adjustment_cannot_go_below_reserved(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft([("BOOK-07", 1)]), actor="t")
    with seeded.transaction() as s:
        orders.allocate_order(session=s, number=order.number, actor="t")
    from maillon.core.errors import Conflict

    with seeded.transaction() as s, pytest.raises(Conflict, match="reserved"):
        inventory.adjust(
            session=s,
            warehouse_code="PAR1",
            location_code="A01-01",
            sku="BOOK-07",
            delta=-1,
            reason="count",
        )


def test_addresses_are_remembered_once_per_customer(seeded: Database) -> None:
    first, _ = orders.place_order(seeded, order_draft(), actor="t")
    second, _ = orders.place_order(seeded, order_draft(), actor="t")
    from maillon.orders.model import AddressDraft

    office = AddressDraft("Camille Martin", "3 place Bellecour", "69002", "Lyon", "FR")
    third, _ = orders.place_order(seeded, order_draft(address=office), actor="t")
    with seeded.reader() as s:
        book = orders.addresses_of(session=s, email="Camille.Martin@example.fr")
        assert [a.line1 for a in book] == ["3 place Bellecour", "12 rue de la République"]
        assert book[1].lat is not None and 45 < book[1].lat < 46  # Lyon, from La Poste's file
        ids = {
            o.id: orders.get_order(session=s, number=o.number).address_id
            for o in (first, second, third)
        }
    assert ids[first.id] == ids[second.id] != ids[third.id]


def test_split_order_ships_in_one_shipment_per_warehouse(seeded: Database) -> None:
    number = _ship(seeded, [("MUG-01", 7)])  # 5 in Paris + 2 of Lyon's 3
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        shipments = shipping.shipments_of(session=s, order=order)
        assert sorted(x.warehouse_id for x in shipments) == [1, 2]
        parcels = [p for x in shipments for p in x.parcels]
    assert on_hand(seeded, "MUG-01") == 1
    first = parcels[0]
    with seeded.transaction() as s:  # one parcel delivered: the order is not delivered yet
        follow_up.record_tracking_event(
            session=s,
            event=follow_up.TrackingInput(
                "colissimo",
                "d1",
                first.tracking_number or "",
                "delivered",
                datetime(2026, 11, 3, 10, tzinfo=UTC),
            ),
            actor="carrier",
        )
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=number).status == "shipped"
    with seeded.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="op")
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=number).status == "delivered"


def test_lots_leave_first_expiring_first_and_expired_stock_is_never_allocated(
    seeded: Database,
) -> None:
    from datetime import date

    from maillon.core import clock

    with seeded.transaction() as s:
        for lot, best_before in (
            ("L-LATE", date(2027, 3, 1)),
            ("L-SOON", date(2026, 12, 1)),
            ("L-GONE", date(2026, 10, 1)),
        ):
            inventory.receive(
                session=s,
                warehouse_code="PAR1",
                location_code="C01",
                sku="LAMP-02",
                quantity=2,
                lot=lot,
                best_before=best_before,
            )
    with clock.frozen_at(datetime(2026, 11, 2, 9, tzinfo=UTC)):
        order, _ = orders.place_order(seeded, order_draft([("LAMP-02", 3)]), actor="t")
        with seeded.transaction() as s:
            assert orders.allocate_order(session=s, number=order.number, actor="t").allocated
    with seeded.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku="LAMP-02", warehouse="PAR1")
    reserved = {r.lot: r.reserved for r in rows}
    assert reserved == {"L-SOON": 2, "L-LATE": 1, "L-GONE": 0}
    with seeded.transaction() as s, pytest.raises(ValidationError, match="already dated"):
        inventory.receive(
            session=s,
            warehouse_code="PAR1",
            location_code="C01",
            sku="LAMP-02",
            quantity=1,
            lot="L-SOON",
            best_before=date(2027, 1, 1),
        )
