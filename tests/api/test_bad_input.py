"""Bad input on every route family: a 4xx that names the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.orders import service as orders
from tests.helpers import order_body, order_draft, seed_basic
from tests.helpers.database import row_counts

good = order_body()
CASES: list[tuple[str, str, str, dict[str, Any] | None, int, str]] = [
    # orders
    (
        "operator",
        "post",
        "/api/v1/orders",
        {**good, "lines": [{"sku": "MUG-01", "quantity": 0}]},
        422,
        "lines.0.quantity",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders",
        {**good, "lines": [{"sku": "GHOST", "quantity": 1}]},
        422,
        "lines.0.sku",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders",
        {**good, "lines": [{"sku": "MUG-01", "quantity": "two"}]},
        422,
        "lines.0.quantity",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders",
        {**good, "shipping_address": {**good["shipping_address"], "postcode": "99999"}},
        422,
        "shipping_address.postcode",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders",
        {**good, "customer": {**good["customer"], "email": "camille@"}},
        422,
        "customer.email",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders",
        {**good, "customer": {**good["customer"], "phone": "0000"}},
        422,
        "customer.phone",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders",
        {k: v for k, v in good.items() if k != "customer"},
        422,
        "customer",
    ),
    ("operator", "post", "/api/v1/orders", {**good, "discount": 5}, 422, "discount"),
    ("operator", "post", "/api/v1/orders", {**good, "lines": []}, 422, "lines"),
    ("operator", "post", "/api/v1/orders/M0000001/cancel", {"reason": ""}, 422, "reason"),
    ("operator", "post", "/api/v1/orders/M0009999/allocate", None, 404, "number"),
    ("operator", "post", "/api/v1/orders/M0000001/ship", {"carrier": "colissimo"}, 409, ""),
    ("operator", "get", "/api/v1/orders?limit=0", None, 422, "limit"),
    # catalogue
    (
        "operator",
        "post",
        "/api/v1/products",
        {
            "sku": "X1",
            "name": "X",
            "gtin": "4006381333932",
            "length_mm": 1,
            "width_mm": 1,
            "height_mm": 1,
            "weight_g": 1,
            "price_cents": 1,
        },
        422,
        "gtin",
    ),
    (
        "operator",
        "post",
        "/api/v1/products",
        {
            "sku": "X1",
            "name": "X",
            "length_mm": 0,
            "width_mm": 1,
            "height_mm": 1,
            "weight_g": 1,
            "price_cents": 1,
        },
        422,
        "length_mm",
    ),
    (
        "operator",
        "post",
        "/api/v1/products",
        {
            "sku": "MUG-01",
            "name": "X",
            "length_mm": 1,
            "width_mm": 1,
            "height_mm": 1,
            "weight_g": 1,
            "price_cents": 1,
        },
        409,
        "sku",
    ),
    ("operator", "get", "/api/v1/products/NOPE", None, 404, "sku"),
    # inventory
    (
        "operator",
        "post",
        "/api/v1/inventory/receipts",
        {"warehouse": "PAR1", "location": "A1", "sku": "MUG-01", "quantity": -4},
        422,
        "quantity",
    ),
    (
        "operator",
        "post",
        "/api/v1/inventory/receipts",
        {"warehouse": "NOWHERE", "location": "A1", "sku": "MUG-01", "quantity": 4},
        404,
        "warehouse",
    ),
    (
        "operator",
        "post",
        "/api/v1/inventory/receipts",
        {"warehouse": "PAR1", "location": "A1", "sku": "NOPE", "quantity": 4},
        404,
        "sku",
    ),
    (
        "operator",
        "post",
        "/api/v1/inventory/adjustments",
        {"warehouse": "PAR1", "location": "A01-01", "sku": "MUG-01", "delta": 0, "reason": "count"},
        422,
        "delta",
    ),
    ("operator", "post", "/api/v1/warehouses", {"code": "PAR1", "name": "again"}, 409, "code"),
    ("operator", "post", "/api/v1/warehouses", {"code": "bad code!", "name": "x"}, 422, "code"),
    # warehouse and shipping
    ("picker", "post", "/api/v1/pick-lists/999/confirm", {}, 404, "pick_list_id"),
    (
        "picker",
        "post",
        "/api/v1/orders/M0000001/pack",
        {"parcels": [{"weight_g": 0, "length_mm": 1, "width_mm": 1, "height_mm": 1}]},
        422,
        "parcels.0.weight_g",
    ),
    ("operator", "post", "/api/v1/orders/M0000001/ship", {"carrier": ""}, 422, "carrier"),
    (
        "operator",
        "post",
        "/api/v1/tracking/events",
        {
            "carrier": "colissimo",
            "event_id": "e1",
            "tracking_number": "6A0",
            "status": "lost-ish",
            "occurred_at": "2026-11-20T10:00:00Z",
        },
        422,
        "status",
    ),
    (
        "operator",
        "post",
        "/api/v1/tracking/events",
        {
            "carrier": "colissimo",
            "event_id": "e1",
            "tracking_number": "6A0",
            "status": "delivered",
            "occurred_at": "yesterday",
        },
        422,
        "occurred_at",
    ),
    ("operator", "post", "/api/v1/carriers", {"code": "colissimo", "name": "again"}, 409, "code"),
    # returns and tickets
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "M0000001", "reason": "x", "lines": [{"sku": "MUG-01", "quantity": 1}]},
        409,
        "",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "M0000001", "reason": "x", "lines": [{"sku": "MUG-01", "quantity": "one"}]},
        422,
        "lines.0.quantity",
    ),
    (
        "agent",
        "post",
        "/api/v1/tickets",
        {"email": "nope", "subject": "s", "body": "b"},
        422,
        "email",
    ),
    (
        "agent",
        "post",
        "/api/v1/tickets",
        {"email": "a@b.fr", "subject": "s", "body": "b", "priority": "whenever"},
        422,
        "priority",
    ),
    (
        "agent",
        "post",
        "/api/v1/tickets",
        {"email": "a@b.fr", "subject": "s", "body": "b", "order": "M0123456"},
        404,
        "order",
    ),
    ("agent", "post", "/api/v1/tickets/77/replies", {"body": "hello"}, 404, "ticket_id"),
    # keys
    ("admin", "post", "/api/v1/keys", {"role": "root"}, 422, "role"),
]


@pytest.fixture
def setup(db: Database) -> Database:
    seed_basic(db)
    orders.place_order(db, order_draft([("MUG-01", 1)]), actor="t")
    return db


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status", "field"),
    CASES,
    ids=[f"{c[1]} {c[2]} -> {c[5] or c[4]}" for c in CASES],
)
def test_bad_input_is_refused_and_writes_nothing(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    setup: Database,
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    field: str,
) -> None:
    before = row_counts(setup)
    kwargs: dict[str, Any] = {"headers": auth[role]}
    if body is not None:
        kwargs["json"] = body
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["message"]
    if field:
        assert error["field"] == field or field in {e["field"] for e in error.get("errors", [])}
    assert row_counts(setup) == before


def test_malformed_json_is_a_4xx(
    client: TestClient, auth: dict[str, dict[str, str]], setup: Database
) -> None:
    before = row_counts(setup)
    r = client.post(
        "/api/v1/orders",
        content=b"{not json",
        headers={**auth["operator"], "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert row_counts(setup) == before
