"""The console pages (server side; browser tests come with the full console)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.orders import service as orders
from tests.helpers import order_draft, seed_basic


def test_pages_need_sign_in(client: TestClient) -> None:
    r = client.get("/orders", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = client.post("/login", data={"key": "mk_wrong", "next": "/orders"})
    assert r.status_code == 401 and "unknown" in r.text


def test_console_shows_orders_stock_and_kpis(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    seed_basic(db)
    order, _ = orders.place_order(db, order_draft([("LAMP-02", 1)], external_id="C-1"), actor="t")
    with db.transaction() as s:
        orders.allocate_order(session=s, number=order.number, actor="t")
    r = client.post(
        "/login", data={"key": keys["operator"], "next": "/orders"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/orders"
    page = client.get("/orders")
    assert page.status_code == 200 and order.number in page.text and "Lyon" in page.text
    filtered = client.get("/orders", params={"status": "cancelled"})
    assert order.number not in filtered.text
    detail = client.get(f"/orders/{order.number}")
    assert "allocated" in detail.text and "Timeline" in detail.text and "LAMP-02" in detail.text
    assert client.get("/orders/M7777777").status_code == 404
    stock = client.get("/stock", params={"warehouse": "LYS1"})
    assert stock.status_code == 200 and "LAMP-02" in stock.text and "B02-03" in stock.text
    kpi = client.get("/kpi")
    assert kpi.status_code == 200 and "orders-chart" in kpi.text
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
