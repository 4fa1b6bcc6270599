"""Webshop webhooks and CSV import over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maillon.core.db import Database
from maillon.orders.intake import signature
from maillon.orders.tables import Order
from tests.helpers import seed_basic
from tests.helpers.database import row_counts

DATA = Path(__file__).parents[1] / "data" / "intake"
SECRET = "shpss_0123456789abcdef"


def _register(client: TestClient, auth: dict[str, dict[str, str]], code: str, kind: str) -> None:
    r = client.post(
        "/api/v1/channels",
        json={"code": code, "kind": kind, "webhook_secret": SECRET},
        headers=auth["admin"],
    )
    assert r.status_code == 201, r.text
    assert r.json()["webhook_url"] == f"/api/v1/webhooks/{kind}/{code}"


def test_shopify_webhook_creates_once(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    _register(client, auth, "myshop", "shopify")
    body = (DATA / "shopify_order.json").read_bytes()
    headers = {"X-Shopify-Hmac-Sha256": signature(SECRET, body), "Content-Type": "application/json"}
    first = client.post("/api/v1/webhooks/shopify/myshop", content=body, headers=headers)
    again = client.post("/api/v1/webhooks/shopify/myshop", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert first.json()["channel"] == "myshop" and first.json()["total_cents"] == 4080
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1


def test_bad_signatures_get_401_and_write_nothing(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    _register(client, auth, "myshop", "shopify")
    body = (DATA / "shopify_order.json").read_bytes()
    before = row_counts(db)
    for header in (
        {},
        {"X-Shopify-Hmac-Sha256": "AAAA"},
        {"X-Shopify-Hmac-Sha256": signature("another-secret-123", body)},
    ):
        r = client.post("/api/v1/webhooks/shopify/myshop", content=body, headers=header)
        assert r.status_code == 401, r.text
    wrong_kind = client.post(
        "/api/v1/webhooks/woocommerce/myshop",
        content=body,
        headers={"X-WC-Webhook-Signature": signature(SECRET, body)},
    )
    assert wrong_kind.status_code == 401
    unknown = client.post("/api/v1/webhooks/shopify/nope", content=body, headers={})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "channel"
    assert row_counts(db) == before


def test_woocommerce_webhook_and_a_bad_payload(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    _register(client, auth, "woo", "woocommerce")
    body = (DATA / "woocommerce_order.json").read_bytes()
    r = client.post(
        "/api/v1/webhooks/woocommerce/woo",
        content=body,
        headers={"X-WC-Webhook-Signature": signature(SECRET, body)},
    )
    assert r.status_code == 201 and r.json()["customer_name"] == "Léa Durand"
    payload = json.loads(body)
    payload["id"] = 728
    payload["line_items"][0]["sku"] = "GHOST"
    bad = json.dumps(payload).encode()
    before = row_counts(db)
    r = client.post(
        "/api/v1/webhooks/woocommerce/woo",
        content=bad,
        headers={"X-WC-Webhook-Signature": signature(SECRET, bad)},
    )
    # refused, kept in the inbox, and answered 2xx so the shop does not retry it for days
    assert r.status_code == 202 and r.json()["outcome"] == "refused"
    assert [e["field"] for e in r.json()["errors"]] == ["lines.0.sku"]
    after = row_counts(db)
    assert after.pop("channel_inbox") == before.pop("channel_inbox") + 1
    assert after == before  # no order, no customer, no stock taken


def test_channel_registration_is_validated(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    r = client.post(
        "/api/v1/channels",
        json={"code": "x", "kind": "amazon", "webhook_secret": "short"},
        headers=auth["admin"],
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["error"]["errors"]} == {"kind", "webhook_secret"}
    r = client.post(
        "/api/v1/channels",
        json={"code": "x", "kind": "shopify", "webhook_secret": SECRET},
        headers=auth["operator"],
    )
    assert r.status_code == 403


CSV = """external_id,email,name,line1,postcode,city,sku,quantity,unit_price
A1,ana@example.fr,Ana Roux,1 rue Pasteur,69002,Lyon,MUG-01,2,12.90
A1,ana@example.fr,Ana Roux,1 rue Pasteur,69002,Lyon,BOOK-07,1,
B2,bob@example.fr,Bob Petit,2 rue Pasteur,99999,Paris,MUG-01,1,
C3,cy@example.fr,Cy Moreau,3 rue Pasteur,75001,Paris,GHOST,1,
D4,di@example.fr,Di Moreau,3 rue Pasteur,75001,Paris,LAMP-02,x,
"""


def test_csv_import_keeps_good_orders_and_names_bad_rows(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    r = client.post(
        "/api/v1/orders/import",
        content=CSV.encode(),
        headers={**auth["operator"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert len(report["created"]) == 1 and report["replayed"] == []
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (4, "postcode"),
        (5, "sku"),
        (6, "quantity"),
    ]
    again = client.post(
        "/api/v1/orders/import",
        content=CSV.encode(),
        headers={**auth["operator"], "Content-Type": "text/csv"},
    ).json()
    assert again["created"] == [] and again["replayed"] == report["created"]
    bad = client.post(
        "/api/v1/orders/import",
        content=b"sku,quantity\nA,1\n",
        headers={**auth["operator"], "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "file"
