"""The skeleton flow over HTTP, pagination and idempotency."""

from __future__ import annotations

from fastapi.testclient import TestClient

from maillon.core.db import Database
from tests.helpers import order_body, seed_basic
from tests.helpers.database import row_counts


def test_order_to_delivery_over_http(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    op, picker = auth["operator"], auth["picker"]
    r = client.post(
        "/api/v1/orders", json=order_body([("MUG-01", 2)], external_id="W-1"), headers=op
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert r.json()["status"] == "confirmed" and r.json()["total_cents"] == 2580
    r = client.post(f"/api/v1/orders/{number}/allocate", headers=op)
    assert r.json() == {"order": number, "allocated": True, "status": "allocated", "short": []}
    r = client.post(f"/api/v1/orders/{number}/pick-lists", headers=picker)
    assert r.status_code == 201
    (pick,) = r.json()
    assert pick["lines"][0]["location"] == "A01-01"
    r = client.post(f"/api/v1/pick-lists/{pick['id']}/confirm", json={}, headers=picker)
    assert r.json()["status"] == "done"
    r = client.post(
        f"/api/v1/orders/{number}/pack",
        json={"parcels": [{"weight_g": 900, "length_mm": 300, "width_mm": 200, "height_mm": 150}]},
        headers=picker,
    )
    assert r.json()["status"] == "packed" and len(r.json()["parcels"][0]["sscc"]) == 18
    r = client.post(f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=op)
    tracking = r.json()["parcels"][0]["tracking_number"]
    assert r.json()["status"] == "shipped" and tracking
    event = {
        "carrier": "colissimo",
        "event_id": "ev-9",
        "tracking_number": tracking,
        "status": "delivered",
        "occurred_at": "2026-11-20T10:00:00Z",
    }
    assert client.post("/api/v1/tracking/events", json=event, headers=op).status_code == 201
    assert client.post("/api/v1/tracking/events", json=event, headers=op).status_code == 200
    r = client.get(f"/api/v1/orders/{number}", headers=auth["agent"])
    body = r.json()
    assert body["status"] == "delivered"
    assert [e["to_status"] for e in body["timeline"]] == [
        "confirmed",
        "allocated",
        "picking",
        "packed",
        "shipped",
        "delivered",
    ]
    assert all(e["actor"] for e in body["timeline"])
    page = client.get("/track", params={"number": tracking, "postcode": "69002"})
    assert page.status_code == 200 and "delivered" in page.text
    assert "Camille" not in page.text  # the public page tells nothing about the customer
    assert client.get("/track", params={"number": tracking, "postcode": "75001"}).status_code == 404


def test_replay_answers_200_with_the_same_order(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    first = client.post(
        "/api/v1/orders", json=order_body(external_id="W-7"), headers=auth["operator"]
    )
    again = client.post(
        "/api/v1/orders", json=order_body(external_id="W-7"), headers=auth["operator"]
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    h = {**auth["operator"], "Idempotency-Key": "abc-123"}
    a = client.post("/api/v1/orders", json=order_body(), headers=h)
    b = client.post("/api/v1/orders", json=order_body(), headers=h)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["number"] == b.json()["number"]
    listing = client.get("/api/v1/orders", params={"limit": 1}, headers=auth["operator"]).json()
    assert listing["total"] == 2 and len(listing["items"]) == 1 and listing["limit"] == 1


def test_lists_filter_and_paginate(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    for i in range(3):
        client.post(
            "/api/v1/orders", json=order_body(external_id=f"P{i}"), headers=auth["operator"]
        )
    client.post("/api/v1/orders/M0000001/cancel", json={"reason": "test"}, headers=auth["agent"])
    r = client.get("/api/v1/orders", params={"status": "cancelled"}, headers=auth["operator"])
    assert [o["number"] for o in r.json()["items"]] == ["M0000001"]
    r = client.get("/api/v1/orders", params={"limit": 2, "offset": 2}, headers=auth["operator"])
    assert r.json()["total"] == 3 and len(r.json()["items"]) == 1
    r = client.get("/api/v1/inventory", params={"sku": "MUG-01"}, headers=auth["picker"])
    assert {b["warehouse"]: b["available"] for b in r.json()["items"]} == {"PAR1": 5, "LYS1": 3}
    r = client.get("/api/v1/products", params={"search": "lamp"}, headers=auth["agent"])
    assert [p["sku"] for p in r.json()["items"]] == ["LAMP-02"]
    kpi = client.get("/api/v1/kpi", headers=auth["operator"]).json()
    assert kpi["orders"] == 3 and kpi["cancelled"] == 1


def test_customers_and_their_addresses(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    client.post("/api/v1/orders", json=order_body(), headers=auth["operator"])
    r = client.get("/api/v1/customers", params={"q": "camille"}, headers=auth["agent"])
    assert [c["email"] for c in r.json()["items"]] == ["camille.martin@example.fr"]
    r = client.get("/api/v1/customers/camille.martin@example.fr/addresses", headers=auth["agent"])
    assert [(a["postcode"], a["city"]) for a in r.json()] == [("69002", "Lyon")]
    assert client.get("/api/v1/customers", headers=auth["picker"]).status_code == 403


def test_checkout_hold_over_http(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    op = auth["operator"]
    r = client.post(
        "/api/v1/holds",
        json={
            "lines": [{"sku": "MUG-01", "quantity": 2}],
            "ttl_seconds": 300,
            "reference": "cart-9",
        },
        headers=op,
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert r.json()["status"] == "active"
    r = client.post(f"/api/v1/holds/{token}/confirm", json=order_body([("MUG-01", 2)]), headers=op)
    assert r.status_code == 201 and r.json()["status"] == "allocated"
    assert client.get(f"/api/v1/holds/{token}", headers=op).json()["order"] == r.json()["number"]
    short = client.post(
        "/api/v1/holds", json={"lines": [{"sku": "LAMP-02", "quantity": 9}]}, headers=op
    )
    assert short.status_code == 409 and short.json()["error"]["lines"][0]["sku"] == "LAMP-02"
    bad = client.post(
        "/api/v1/holds",
        json={"lines": [{"sku": "MUG-01", "quantity": 1}], "ttl_seconds": 5},
        headers=op,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "ttl_seconds"
    r = client.post(
        "/api/v1/holds", json={"lines": [{"sku": "BOOK-07", "quantity": 1}]}, headers=op
    )
    released = client.delete(f"/api/v1/holds/{r.json()['token']}", headers=op)
    assert released.json()["status"] == "released"
    assert client.post("/api/v1/holds/sweep", headers=op).json() == {"released": 0}


def test_cycle_count_over_http_is_blind_for_pickers(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    r = client.post(
        "/api/v1/inventory/counts",
        json={"warehouse": "LYS1", "location": "B02-03"},
        headers=auth["picker"],
    )
    assert r.status_code == 201
    count = r.json()
    assert all(line["expected"] is None for line in count["lines"])
    seen = client.get(f"/api/v1/inventory/counts/{count['id']}", headers=auth["operator"]).json()
    assert {x["sku"]: x["expected"] for x in seen["lines"]}["MUG-01"] == 3
    r = client.post(
        f"/api/v1/inventory/counts/{count['id']}/submit",
        headers=auth["picker"],
        json={
            "lines": [
                {"sku": "MUG-01", "counted": 2},
                {"sku": "LAMP-02", "counted": 2},
                {"sku": "BOOK-07", "counted": 1},
            ]
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    report = client.get("/api/v1/inventory/discrepancies", headers=auth["operator"]).json()
    assert [(d["sku"], d["difference"]) for d in report] == [("MUG-01", -1)]
    assert client.get("/api/v1/inventory/discrepancies", headers=auth["picker"]).status_code == 403


def test_sensor_readings_over_http(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    op = auth["operator"]
    r = client.post(
        "/api/v1/sensors",
        json={"code": "S1", "warehouse": "LYS1", "location": "B02-03", "sku": "LAMP-02"},
        headers=op,
    )
    assert r.status_code == 201
    readings = [
        {"sensor": "S1", "reading_id": "a", "measured_at": "2026-11-02T08:00:00Z", "grams": 1400},
        {"sensor": "S1", "reading_id": "a", "measured_at": "2026-11-02T08:00:00Z", "grams": 1400},
    ]
    r = client.post("/api/v1/sensors/readings", json=readings, headers=op)
    assert [(x["created"], x["units"], x["alerts"]) for x in r.json()] == [
        (True, 1, ["discrepancy"]),
        (False, 1, []),
    ]
    alerts = client.get("/api/v1/inventory/alerts", headers=auth["picker"]).json()
    assert [(a["kind"], a["expected"], a["observed"]) for a in alerts] == [("discrepancy", 2, 1)]
    before = row_counts(db)
    bad = client.post(
        "/api/v1/sensors/readings",
        headers=op,
        json=[
            {
                "sensor": "S1",
                "reading_id": "b",
                "measured_at": "2026-11-02T09:00:00Z",
                "grams": 700,
            },
            {"sensor": "S1", "reading_id": "c", "measured_at": "2026-11-02T09:01:00Z", "grams": -5},
            {"sensor": "S9", "reading_id": "d", "measured_at": "2026-11-02T09:02:00Z", "grams": 5},
        ],
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["errors"]} == {"1.grams", "2.sensor"}
    assert row_counts(db) == before  # the good first reading was not recorded either
