"""The demo's WooCommerce shop answers Maillon's real client as a shop would: a shipped order
of the demo's webshop channel gets its tracking note once and is completed, stock levels
follow ours, and wrong credentials are refused."""

from __future__ import annotations

import httpx2 as httpx

from maillon.channels.service import outgoing
from maillon.core.db import Database
from maillon.demo.run import connect_demo_shop
from maillon.shipping.service import ship_order
from tests.helpers import packed_order
from tests.helpers.jobs import run_queued


def test_the_demo_shop_is_synced_by_the_real_client(seeded: Database) -> None:
    url = connect_demo_shop(seeded)
    number = packed_order(seeded, channel="webshop", external_id="WE000042")
    with seeded.transaction() as s:
        ship_order(session=s, number=number, carrier_code="colissimo", actor="t")
    assert len(run_queued(seeded, "channels.push_fulfillment")) == 1
    home = httpx.get(url, timeout=10).text
    assert "WE000042" in home and "completed" in home and f"[Maillon {number}]" in home
    again = outgoing.push_fulfillment(seeded, order_id=_order_id(seeded, number))
    assert again["skipped"] == "pushed already"
    pushed = outgoing.push_stock(seeded, codes=["webshop"], full=True)
    assert pushed["webshop"]["updated"] >= 1 and pushed["webshop"]["unknown"] == 0, pushed
    drift = outgoing.drift_report(seeded, code="webshop")
    assert drift and all(row.difference == 0 for row in drift)
    refused = httpx.get(f"{url}/wp-json/wc/v3/products?sku=MUG-01", timeout=10)
    assert refused.status_code == 401  # no credentials, no data


def _order_id(db: Database, number: str) -> int:
    from maillon.orders.service import get_order

    with db.reader() as s:
        return get_order(session=s, number=number).id
