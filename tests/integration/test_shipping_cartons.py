"""Packing an order ships it in the cartons the warehouse chose (or the packer followed),
priced with the carriers' own rates."""

from __future__ import annotations

from sqlalchemy import select

from maillon.catalog.tables import Product
from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.shipping import rates
from maillon.shipping import service as shipping
from maillon.shipping.service import quoting
from maillon.warehouse import service as warehouse
from maillon.warehouse.service import packing_flow, packstation
from maillon.warehouse.tables import PackingSession
from tests.helpers import order_draft, pack

OUTER = {
    code: tuple(sorted((ln + 2 * wall, wd + 2 * wall, h + 2 * wall), reverse=True))
    for code, ln, wd, h, _kg, _cost, wall, _tare in packstation.DEFAULT_CARTONS
}


def picked_order(db: Database, lines: list[tuple[str, int]]) -> str:
    order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
    with db.transaction() as s:
        for pick_list in warehouse.create_pick_lists(session=s, number=order.number, actor="p"):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="p"
            )
    return order.number


def test_parcels_are_the_cartons_of_the_pack_plan(seeded: Database) -> None:
    number = picked_order(seeded, [("MUG-01", 2), ("BOOK-07", 1)])
    with seeded.transaction() as s:
        shipments = pack(s, number, "p")
        parcels = [p for sh in shipments for p in sh.parcels]
        sessions = s.scalars(select(PackingSession)).all()
        assert len(sessions) == len(shipments)
        assert all(x.status == "done" and x.completed_at is not None for x in sessions)
        planned = [p for x in sessions for p in packstation.PackPlan.from_dict(x.plan).parcels]
    assert len(parcels) == len(planned) >= len(shipments)
    contents = 2 * 350 + 500  # grams of two mugs and a book
    assert sum(p.weight_g for p in parcels) > contents  # plus the cartons' own weight
    for parcel, plan in zip(parcels, planned, strict=True):
        size = (parcel.length_mm, parcel.width_mm, parcel.height_mm)
        assert size == OUTER[plan.carton]
        assert parcel.weight_g == plan.gross_weight_g


def test_the_packing_stations_plan_is_the_one_shipped(seeded: Database) -> None:
    number = picked_order(seeded, [("MUG-01", 1)])
    with seeded.transaction() as s:
        gtin = s.scalar(select(Product.gtin).where(Product.sku == "MUG-01"))
        assert gtin
        first = packing_flow.packing_scan(session=s, barcode=gtin, packer="ana", number=number)
        session_id = first.session_id
        assert first.done and first.parcels == 1  # the last unit scanned closes the boxes
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        assert order.status == "packed"
        shipments = shipping.shipments_of(session=s, order=order)
        packing = s.get(PackingSession, session_id)
        assert packing is not None and packing.status == "done"
        assert len(s.scalars(select(PackingSession)).all()) == 1  # no second plan made
        parcel = shipments[0].parcels[0]
        assert (parcel.length_mm, parcel.width_mm, parcel.height_mm) == OUTER[first.carton]


def test_carton_tariff_prices_like_the_rate_cards(seeded: Database) -> None:
    order, _ = orders.place_order(seeded, order_draft([("MUG-01", 1)]), actor="t")
    with seeded.transaction() as s:
        shipping.sync_carriers(session=s)
        row = orders.get_order(session=s, number=order.number)
        tariff = quoting.carton_tariff(session=s, order=row)
        assert tariff is not None
        destination = quoting.destination_of(row)
        prices = [tariff.price(g) for g in (250, 1_000, 4_000, 12_000)]
        assert prices == sorted(prices)  # heavier never costs less
        home = {rates.ServiceKind.STANDARD, rates.ServiceKind.EXPRESS}
        shop = quoting.quote_options(
            session=s, parcel=rates.RateParcel(1_000, 100, 100, 100), destination=destination
        )
        cheapest = min(q.total_cents for q in shop.quotes if q.kind in home)
    assert tariff.price(1_000) == cheapest


def test_without_rate_cards_serving_the_address_the_default_tariff_applies(
    seeded: Database,
) -> None:
    draft = order_draft([("MUG-01", 1)])
    order, _ = orders.place_order(seeded, draft, actor="t")
    with seeded.transaction() as s:
        row = orders.get_order(session=s, number=order.number)
        row.ship_country = "JP"  # no card of ours covers Japan
        assert quoting.carton_tariff(session=s, order=row) is None
