"""Shop sync end to end: webhooks in (orders, cancellations, the ping), the inbox of refused
orders, fulfilments pushed by a job once, stock pushed when it changed, and the drift report,
against a local fake shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from huey import MemoryHuey
from sqlalchemy import select

from maillon.channels.service import outgoing, real_client, use_clients
from maillon.channels.tables import InboxEntry
from maillon.channels.throttle import RetryPolicy
from maillon.core.db import Database
from maillon.core.tables import Job
from maillon.orders.intake import signature
from maillon.orders.service import get_order
from maillon.orders.tables import Order, OrderEvent
from maillon.shipping.service import ship_order
from maillon.worker.engine import Engine
from maillon.worker.tasks import HANDLERS
from tests.helpers import packed_order, seed_basic
from tests.helpers.database import row_counts
from tests.helpers.shops import FakeShop, running_shop

DATA = Path(__file__).parents[1] / "data"
SECRET = "shpss_0123456789abcdef"
TOKEN = "shpat_secret_token_never_shown"
SHOP_ORDER = "820982911946154508"
GRAPHQL = "/admin/api/2025-01/graphql.json"


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    waits: list[float] = []
    use_clients(
        lambda a: real_client(a, policy=RetryPolicy(base=0.01, cap=0.02), sleep=waits.append)
    )
    with running_shop() as running:
        yield running
    use_clients(None)


def _register(
    client: TestClient, auth: dict[str, dict[str, str]], **body: str
) -> dict[str, object]:
    r = client.post(
        "/api/v1/channels", json={"webhook_secret": SECRET, **body}, headers=auth["admin"]
    )
    assert r.status_code == 201, r.text
    assert TOKEN not in r.text and "cs_" not in r.text  # never a secret in an answer
    return dict(r.json())


def _post(client: TestClient, kind: str, code: str, body: bytes, topic: str) -> dict[str, object]:
    sig, top = (
        ("X-Shopify-Hmac-Sha256", "X-Shopify-Topic")
        if kind == "shopify"
        else ("X-WC-Webhook-Signature", "X-WC-Webhook-Topic")
    )
    r = client.post(
        f"/api/v1/webhooks/{kind}/{code}",
        content=body,
        headers={sig: signature(SECRET, body), top: topic, "Content-Type": "application/json"},
    )
    return {**r.json(), "http": r.status_code}


def _ship(db: Database, number: str) -> None:
    with db.transaction() as s:
        ship_order(session=s, number=number, carrier_code="colissimo", actor="o")


def _engine(db: Database) -> Engine:
    return Engine(db, huey=MemoryHuey("test", utc=True), handlers=HANDLERS, schedule=())


def test_a_shipped_order_is_fulfilled_in_its_shop_once(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database, shop: FakeShop
) -> None:
    seed_basic(db)
    channel = _register(
        client,
        auth,
        code="myshop",
        kind="shopify",
        shop_url=shop.url,
        api_secret=TOKEN,
        stock_location="655441491",
    )
    assert channel["connected"] and channel["stock_location"] == "gid://shopify/Location/655441491"
    number = packed_order(db, channel="myshop", external_id=SHOP_ORDER)
    other = packed_order(db, channel="webshop", external_id="W-1")  # not a connected shop
    _ship(db, number)
    _ship(db, other)
    with db.reader() as s:
        (job,) = s.scalars(select(Job).where(Job.name == "channels.push_fulfillment")).all()
        order = get_order(session=s, number=number)
        assert job.args == {"order_id": order.id}
        tracking = [
            p.tracking_number
            for x in outgoing.shipments_of(session=s, order=order)
            for p in x.parcels
        ]
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders.json")
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_create.json")
    _engine(db).run(job.id)
    with db.reader() as s:
        done = s.get(Job, job.id)
        assert done is not None and done.status == "succeeded", done and done.error
        assert done.result and done.result["remote_id"] == "gid://shopify/Fulfillment/1069019867"
    create = shop.requests_to("POST", GRAPHQL)[1].json()["variables"]["fulfillment"]
    assert create["trackingInfo"] == {"company": "Colissimo", "number": tracking[0]}
    assert shop.seen[0].headers["x-shopify-access-token"] == TOKEN
    # run again (a retry after a crash, a second worker): nothing more is sent
    assert outgoing.push_fulfillment(db, order_id=order.id)["skipped"] == "pushed already"
    assert len(shop.seen) == 2


def test_woocommerce_ping_and_cancellations(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    _register(client, auth, code="woo", kind="woocommerce")
    before = row_counts(db)
    ping = client.post(
        "/api/v1/webhooks/woocommerce/woo",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ping.status_code == 200 and ping.json()["outcome"] == "ping"
    assert row_counts(db) == before
    assert (
        client.post("/api/v1/webhooks/woocommerce/nope", content=b"webhook_id=1").status_code == 404
    )
    body = (DATA / "intake" / "woocommerce_order.json").read_bytes()
    created = _post(client, "woocommerce", "woo", body, "order.created")
    assert created["http"] == 201
    cancelled = (DATA / "woocommerce" / "order_cancelled.json").read_bytes()
    first = _post(client, "woocommerce", "woo", cancelled, "order.updated")
    again = _post(client, "woocommerce", "woo", cancelled, "order.updated")
    assert (first["http"], first["outcome"]) == (200, "cancelled")
    assert (again["http"], again["outcome"]) == (200, "cancelled")
    with db.reader() as s:
        order = get_order(session=s, number=str(created["number"]))
        assert order.status == "cancelled"
    updated = _post(client, "woocommerce", "woo", body, "order.updated")  # not a cancellation
    assert (updated["http"], updated["outcome"]) == (200, "ignored")


def test_a_shipped_order_cancelled_in_the_shop_is_refused_politely(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    _register(client, auth, code="myshop", kind="shopify")
    number = packed_order(db, channel="myshop", external_id=SHOP_ORDER)
    _ship(db, number)
    body = (DATA / "shopify" / "orders_cancelled.json").read_bytes()
    first = _post(client, "shopify", "myshop", body, "orders/cancelled")
    again = _post(client, "shopify", "myshop", body, "orders/updated")
    assert (first["http"], first["outcome"]) == (200, "cancel_refused")
    assert again["inbox_id"] == first["inbox_id"]
    with db.reader() as s:
        order = get_order(session=s, number=number)
        assert order.status == "shipped"
        entry = s.get(InboxEntry, first["inbox_id"])
        assert entry is not None and entry.kind == "cancellation" and entry.received == 2
        notes = s.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order.id)).all()
        assert sum("asked to cancel" in n for n in notes) == 1


def test_a_refused_order_waits_in_the_inbox_until_fixed(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    seed_basic(db)
    _register(client, auth, code="myshop", kind="shopify")
    payload = json.loads((DATA / "intake" / "shopify_order.json").read_bytes())
    payload["line_items"][0]["sku"] = "GHOST"
    bad = json.dumps(payload).encode()
    first = _post(client, "shopify", "myshop", bad, "orders/create")
    again = _post(client, "shopify", "myshop", bad, "orders/create")
    assert (first["http"], first["outcome"]) == (202, "refused")
    assert first["inbox_id"] == again["inbox_id"]
    listed = client.get("/api/v1/channels/inbox", headers=auth["operator"]).json()
    assert [(e["channel"], e["shop_order_id"], e["received"]) for e in listed] == [
        ("myshop", SHOP_ORDER, 2)
    ]
    assert listed[0]["errors"][0]["field"] == "lines.0.sku"
    url = f"/api/v1/channels/inbox/{first['inbox_id']}"
    detail = client.get(url, headers=auth["agent"]).json()
    assert detail["payload"]["line_items"][0]["sku"] == "GHOST"
    still = client.post(f"{url}/reprocess", headers=auth["operator"])
    assert still.status_code == 422 and still.json()["error"]["errors"][0]["field"] == "lines.0.sku"
    payload["line_items"][0]["sku"] = "MUG-01"
    fixed = client.put(url, json={"payload": payload}, headers=auth["operator"])
    assert fixed.status_code == 200 and fixed.json()["status"] == "refused"
    done = client.post(f"{url}/reprocess", headers=auth["operator"])
    assert done.status_code == 200 and done.json()["status"] == "processed"
    with db.reader() as s:
        order = get_order(session=s, number=done.json()["order_number"])
        assert (order.channel, order.external_id) == ("myshop", SHOP_ORDER)
        assert len(s.scalars(select(Order.id)).all()) == 1
    assert client.post(f"{url}/reprocess", headers=auth["operator"]).status_code == 409
    assert client.get("/api/v1/channels/inbox", headers=auth["operator"]).json() == []
    assert client.post(f"{url}/reprocess", headers=auth["picker"]).status_code == 403


def test_stock_is_pushed_when_it_changes_and_drift_is_reported(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database, shop: FakeShop
) -> None:
    seed_basic(db)  # available: MUG-01 8, TSHIRT-M 10, LAMP-02 2, BOOK-07 2
    _register(
        client,
        auth,
        code="woo",
        kind="woocommerce",
        shop_url=shop.url,
        api_key="ck_1",
        api_secret="cs_2",
    )
    woo = "/wp-json/wc/v3"
    shop.answer("GET", f"{woo}/products", "woocommerce/products_by_sku.json")
    shop.answer("POST", f"{woo}/products/batch", "woocommerce/products_batch.json")
    assert outgoing.push_stock(db) == {"woo": {"updated": 3, "unknown": 1}}
    (batch,) = shop.requests_to("POST", f"{woo}/products/batch")
    assert sorted(batch.json()["update"], key=lambda u: u["id"]) == [
        {"id": 799, "stock_quantity": 8, "manage_stock": True},
        {"id": 800, "stock_quantity": 2, "manage_stock": True},
        {"id": 801, "stock_quantity": 2, "manage_stock": True},
    ]
    packed_order(db, [("MUG-01", 1)])  # MUG-01 changes; the others do not
    outgoing.push_stock(db)
    last = shop.requests_to("POST", f"{woo}/products/batch")[-1].json()["update"]
    assert last == [{"id": 799, "stock_quantity": 7, "manage_stock": True}]
    r = client.get("/api/v1/channels/woo/drift", headers=auth["operator"])
    assert r.status_code == 200
    assert [(d["sku"], d["ours"], d["theirs"], d["difference"]) for d in r.json()] == [
        ("LAMP-02", 2, None, None),
        ("TSHIRT-M", 10, None, None),
        ("BOOK-07", 2, 2, 0),
        ("MUG-01", 7, 7, 0),
    ]
    assert client.get("/api/v1/channels/nope/drift", headers=auth["operator"]).status_code == 404


def test_channel_add_takes_the_credentials_and_refuses_clear_http(
    db_url: str, db: Database, shop: FakeShop
) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app

    runner = CliRunner()
    base = ["channel-add", "woo", "--kind", "woocommerce", "--secret", SECRET, "--db", db_url]
    refused = runner.invoke(
        app, [*base, "--shop-url", "http://shop.example", "--api-secret", "cs_2"]
    )
    assert refused.exit_code == 1
    assert "shop_url" in refused.output and "api_key" in refused.output
    ok = runner.invoke(
        app,
        [*base, "--shop-url", shop.url, "--api-key", "ck_1"],
        env={"MAILLON_SHOP_API_SECRET": "cs_2"},
    )
    assert ok.exit_code == 0 and "pushed to the shop" in ok.output and "cs_2" not in ok.output
    shop.answer("GET", "/wp-json/wc/v3/products", "woocommerce/products_by_sku.json")
    drift = runner.invoke(app, ["channels", "drift", "woo", "--db", db_url])
    assert drift.exit_code == 0 and "0 of 0 SKU(s) drift" in drift.output  # no products yet
