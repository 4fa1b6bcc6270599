"""Test helpers: a small business to work on, an order body, packing an order, a free port."""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy.orm import Session

from maillon.catalog.model import ProductSpec
from maillon.catalog.service import create_product
from maillon.core.db import Database
from maillon.core.identifiers import make_gtin13
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft, LineDraft, OrderDraft
from maillon.orders.service import get_order
from maillon.shipping.service import create_carrier, shipments_of
from maillon.shipping.tables import Shipment
from maillon.warehouse import service as warehouse
from maillon.warehouse.service.packing_flow import finish_packing

PRODUCTS = [
    # sku, weight g, L, W, H mm, price cents
    ("MUG-01", 350, 120, 90, 100, 1290),
    ("TSHIRT-M", 180, 300, 250, 20, 1990),
    ("LAMP-02", 1400, 400, 250, 250, 4990),
    ("BOOK-07", 500, 240, 160, 30, 1500),
]
GTIN = {sku: make_gtin13("376000", i + 1) for i, (sku, *_rest) in enumerate(PRODUCTS)}
"""The barcode :func:`seed_basic` gives each product."""


def seed_basic(db: Database) -> None:
    """Two warehouses (PAR1 first), four products, stock in both, one carrier."""
    with db.transaction() as session:
        inventory.create_warehouse(
            session=session,
            code="PAR1",
            name="Paris",
            postcode="92230",
            city="Gennevilliers",
            priority=10,
        )
        inventory.create_warehouse(
            session=session,
            code="LYS1",
            name="Lyon",
            postcode="69800",
            city="Saint-Priest",
            priority=20,
        )
        for sku, w, ln, wd, h, price in PRODUCTS:
            create_product(
                session=session,
                spec=ProductSpec(sku, f"Product {sku}", GTIN[sku], ln, wd, h, w, price, "test"),
            )
        stock = {"MUG-01": (5, 3), "TSHIRT-M": (10, 0), "LAMP-02": (0, 2), "BOOK-07": (1, 1)}
        for sku, (par, lys) in stock.items():
            if par:
                inventory.receive(
                    session=session,
                    warehouse_code="PAR1",
                    location_code="A01-01",
                    sku=sku,
                    quantity=par,
                )
            if lys:
                inventory.receive(
                    session=session,
                    warehouse_code="LYS1",
                    location_code="B02-03",
                    sku=sku,
                    quantity=lys,
                )
        create_carrier(session=session, code="colissimo", name="Colissimo", tracking_prefix="6A")


def order_draft(
    lines: list[tuple[str, int]] | None = None, external_id: str | None = None, **overrides: Any
) -> OrderDraft:
    """A valid order draft to Lyon (override any field)."""
    fields: dict[str, Any] = dict(
        email="camille.martin@example.fr",
        customer_name="Camille Martin",
        phone="+33612345678",
        address=AddressDraft(
            name="Camille Martin",
            line1="12 rue de la République",
            postcode="69002",
            city="Lyon",
            country="FR",
        ),
        lines=tuple(LineDraft(s, q) for s, q in (lines or [("MUG-01", 1)])),
        channel="webshop",
        external_id=external_id,
    )
    fields.update(overrides)
    return OrderDraft(**fields)


def order_body(
    lines: list[tuple[str, int]] | None = None, external_id: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A valid POST /api/v1/orders body (override any top-level field)."""
    body: dict[str, Any] = {
        "channel": "webshop",
        "external_id": external_id,
        "customer": {
            "email": "camille.martin@example.fr",
            "name": "Camille Martin",
            "phone": "+33612345678",
        },
        "shipping_address": {
            "name": "Camille Martin",
            "line1": "12 rue de la République",
            "postcode": "69002",
            "city": "Lyon",
            "country": "FR",
        },
        "lines": [{"sku": s, "quantity": q} for s, q in (lines or [("MUG-01", 1)])],
    }
    body.update(overrides)
    return body


def pack(session: Session, number: str, actor: str = "p") -> list[Shipment]:
    """Close the boxes of a picked order (the warehouse's one way) and return the shipments
    shipping recorded for it."""
    closed = finish_packing(session=session, number=number, actor=actor)
    assert closed, "a packed order has parcels"
    return list(shipments_of(session=session, order=get_order(session=session, number=number)))


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick, so two
    xdist workers asking at once get different ones)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def packed_order(db: Database, lines: list[tuple[str, int]] | None = None, **kw: object) -> str:
    """Place, allocate, pick and pack an order; return its number."""
    order, _ = orders.place_order(db, order_draft(lines or [("MUG-01", 1)], **kw), actor="t")
    with db.transaction() as s:
        orders.allocate_order(session=s, number=order.number, actor="t")
        for pick_list in warehouse.create_pick_lists(session=s, number=order.number, actor="p"):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="p"
            )
        pack(s, order.number, "p")
    return order.number
