"""The real Shopify and WooCommerce clients against a local server answering the bodies the
providers document: the exact requests sent, and how errors, throttling, 429s, 5xx and
time-outs are handled (waits are recorded, not slept)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from maillon.channels import shopify
from maillon.channels.model import (
    Fulfillment,
    Parcel,
    ShipmentInfo,
    ShopRefused,
    ShopUnavailable,
    StockLevel,
)
from maillon.channels.shopify import ShopifyClient
from maillon.channels.throttle import RetryPolicy
from maillon.channels.woocommerce import WooCommerceClient
from tests.helpers.shops import FakeShop, running_shop

GRAPHQL = "/admin/api/2025-01/graphql.json"
WOO = "/wp-json/wc/v3"
TOKEN = "shpat_0123456789abcdef"
LOCATION = "gid://shopify/Location/655441491"
FAST = RetryPolicy(attempts=3, throttled=4, base=0.01, cap=0.05, timeout=0.5)
SHIPPED = Fulfillment(
    "820982911946154508",
    "M-000042",
    (ShipmentInfo("Colissimo", (Parcel("6A123", "https://t.example/6A123"),)),),
)


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    with running_shop() as running:
        yield running


def _shopify(shop: FakeShop, waits: list[float], policy: RetryPolicy = FAST) -> ShopifyClient:
    return ShopifyClient(shop.url, TOKEN, location_id=LOCATION, policy=policy, sleep=waits.append)


def _woo(shop: FakeShop, waits: list[float]) -> WooCommerceClient:
    return WooCommerceClient(shop.url, "ck_key", "cs_secret", policy=FAST, sleep=waits.append)


def test_shopify_fulfillment_sends_the_documented_requests(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders.json")
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_create.json")
    result = _shopify(shop, []).push_fulfillment(SHIPPED)
    assert result.remote_id == "gid://shopify/Fulfillment/1069019867" and not result.already_done
    first, second = shop.requests_to("POST", GRAPHQL)
    assert first.headers["x-shopify-access-token"] == TOKEN
    assert first.json()["query"] == shopify.FULFILLMENT_ORDERS
    assert first.json()["variables"] == {"id": "gid://shopify/Order/820982911946154508"}
    assert second.json()["query"] == shopify.FULFILLMENT_CREATE
    assert second.json()["variables"] == {
        "fulfillment": {
            "notifyCustomer": True,
            "trackingInfo": {
                "company": "Colissimo",
                "number": "6A123",
                "url": "https://t.example/6A123",
            },
            # only the open fulfilment order, not the cancelled one
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000818"}
            ],
        },
        "message": "Maillon M-000042",
    }


def test_shopify_closed_fulfillment_orders_mean_done_already(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders_closed.json")
    result = _shopify(shop, []).push_fulfillment(SHIPPED)
    assert result.already_done and len(shop.seen) == 1  # no second fulfilment created


def test_shopify_user_errors_and_missing_order_are_refusals(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders.json")
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_create_user_errors.json")
    with pytest.raises(ShopRefused, match="unfulfillable status"):
        _shopify(shop, []).push_fulfillment(SHIPPED)
    with running_shop() as other:
        other.answer("POST", GRAPHQL, "shopify/order_not_found.json")
        with pytest.raises(ShopRefused, match="no order"):
            _shopify(other, []).push_fulfillment(SHIPPED)


def test_shopify_bad_token_is_refused_at_once(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/access_denied.json", status=401)
    with pytest.raises(ShopRefused, match=r"HTTP 401.*Invalid API key"):
        _shopify(shop, []).push_fulfillment(SHIPPED)
    assert len(shop.seen) == 1


def test_shopify_throttled_waits_for_the_bucket_then_retries(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/throttled.json")
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders.json")
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_create.json")
    waits: list[float] = []
    assert _shopify(shop, waits).push_fulfillment(SHIPPED).remote_id
    assert waits == [pytest.approx(2.0)]  # (202 requested - 2 available) / 100 per second
    assert len(shop.seen) == 3 and shop.seen[0].body == shop.seen[1].body  # the same query again


def test_shopify_429_waits_retry_after_and_gives_up_only_as_unavailable(shop: FakeShop) -> None:
    shop.answer(
        "POST",
        GRAPHQL,
        {"errors": "Exceeded 2 calls per second"},
        status=429,
        headers={"Retry-After": "2.0"},
    )
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders_closed.json")
    waits: list[float] = []
    assert _shopify(shop, waits).push_fulfillment(SHIPPED).already_done
    assert waits == [2.0]
    with running_shop() as busy:
        busy.answer("POST", GRAPHQL, {"errors": "busy"}, status=429, headers={"Retry-After": "1"})
        with pytest.raises(ShopUnavailable, match="throttled"):
            _shopify(busy, []).push_fulfillment(SHIPPED)
        assert len(busy.seen) == FAST.throttled  # kept trying; the job retries later


def test_shopify_timeouts_and_5xx_are_retried_with_backoff(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, {"errors": "late"}, delay=1.0)  # longer than FAST.timeout
    shop.answer("POST", GRAPHQL, {"errors": "Internal error"}, status=502)
    shop.answer("POST", GRAPHQL, "shopify/fulfillment_orders_closed.json")
    waits: list[float] = []
    assert (
        _shopify(shop, waits, RetryPolicy(attempts=5, base=0.01, timeout=0.3))
        .push_fulfillment(SHIPPED)
        .already_done
    )
    assert waits == [0.01, 0.02]
    with running_shop() as down:
        down.answer("POST", GRAPHQL, {"errors": "down"}, status=503)
        with pytest.raises(ShopUnavailable, match="HTTP 503"):
            _shopify(down, []).push_fulfillment(SHIPPED)
        assert len(down.seen) == FAST.attempts


def test_shopify_stock_maps_skus_then_sets_available(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/variants_by_sku.json")
    shop.answer("POST", GRAPHQL, "shopify/inventory_set_quantities.json")
    result = _shopify(shop, []).push_stock(
        [StockLevel("MUG-01", 5), StockLevel("BOOK-07", 0), StockLevel("GHOST", 3)]
    )
    assert result.updated == ("MUG-01", "BOOK-07") and result.unknown == ("GHOST",)
    lookup, setting = shop.requests_to("POST", GRAPHQL)
    assert lookup.json()["variables"] == {
        "query": 'sku:"MUG-01" OR sku:"BOOK-07" OR sku:"GHOST"',
        "first": 6,
    }
    assert setting.json()["query"] == shopify.SET_QUANTITIES
    assert setting.json()["variables"]["input"] == {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [
            {
                "inventoryItemId": "gid://shopify/InventoryItem/43729076",
                "locationId": LOCATION,
                "quantity": 5,
            },
            {
                "inventoryItemId": "gid://shopify/InventoryItem/43729077",
                "locationId": LOCATION,
                "quantity": 0,
            },
        ],
    }


def test_shopify_stock_user_errors_and_reading_levels(shop: FakeShop) -> None:
    shop.answer("POST", GRAPHQL, "shopify/variants_by_sku.json")
    shop.answer("POST", GRAPHQL, "shopify/inventory_set_user_errors.json")
    with pytest.raises(ShopRefused, match="not stocked at the location"):
        _shopify(shop, []).push_stock([StockLevel("MUG-01", 5)])
    with running_shop() as other:
        other.answer("POST", GRAPHQL, "shopify/stock_by_sku.json")
        found = _shopify(other, []).fetch_stock(["MUG-01", "BOOK-07", "GHOST"])
        assert found == {"MUG-01": 9, "BOOK-07": 2, "GHOST": None}
        assert other.seen[0].json()["variables"]["location"] == LOCATION


def _basic(headers: dict[str, str]) -> str:
    return base64.b64decode(headers["authorization"].split()[1]).decode()


def test_woocommerce_fulfillment_adds_the_note_once_then_completes(shop: FakeShop) -> None:
    order = f"{WOO}/orders/820982911946154508"
    shop.answer("GET", f"{order}/notes", "woocommerce/order_notes_empty.json")
    shop.answer("POST", f"{order}/notes", "woocommerce/order_note_created.json", status=201)
    shop.answer("PUT", order, "woocommerce/order_completed.json")
    result = _woo(shop, []).push_fulfillment(SHIPPED)
    assert result.remote_id == "281" and not result.already_done
    (note,) = shop.requests_to("POST", f"{order}/notes")
    assert _basic(note.headers) == "ck_key:cs_secret"
    assert note.json()["customer_note"] is True
    assert "6A123 https://t.example/6A123" in note.json()["note"]
    assert "[Maillon M-000042]" in note.json()["note"]
    (status,) = shop.requests_to("PUT", order)
    assert status.json() == {"status": "completed"}
    # replayed (the note is there now): no second note, the status is set again
    shop.answer("GET", f"{order}/notes", [{"id": 281, "note": note.json()["note"]}])
    again = _woo(shop, []).push_fulfillment(SHIPPED)
    assert again.already_done and len(shop.requests_to("POST", f"{order}/notes")) == 1


def test_woocommerce_errors(shop: FakeShop) -> None:
    order = f"{WOO}/orders/820982911946154508"
    shop.answer("GET", f"{order}/notes", "woocommerce/order_invalid_id.json", status=404)
    with pytest.raises(ShopRefused, match="woocommerce_rest_shop_order_invalid_id"):
        _woo(shop, []).push_fulfillment(SHIPPED)
    with running_shop() as flaky:
        flaky.answer(
            "GET", f"{order}/notes", {"code": "x"}, status=429, headers={"Retry-After": "3"}
        )
        flaky.answer("GET", f"{order}/notes", {"code": "internal"}, status=500)
        flaky.answer("GET", f"{order}/notes", [{"id": 1, "note": "[Maillon M-000042]"}])
        flaky.answer("PUT", order, "woocommerce/order_completed.json")
        waits: list[float] = []
        assert _woo(flaky, waits).push_fulfillment(SHIPPED).already_done
        assert waits == [3.0, 0.01]


def test_woocommerce_stock_batch_and_levels(shop: FakeShop) -> None:
    shop.answer("GET", f"{WOO}/products", "woocommerce/products_by_sku.json")
    shop.answer("POST", f"{WOO}/products/batch", "woocommerce/products_batch.json")
    client = _woo(shop, [])
    result = client.push_stock([StockLevel("MUG-01", 5), StockLevel("GHOST", 1)])
    assert result.updated == ("MUG-01",) and result.unknown == ("GHOST",)
    (search,) = shop.requests_to("GET", f"{WOO}/products")
    assert "sku=MUG-01%2CGHOST" in search.query and "per_page=100" in search.query
    (batch,) = shop.requests_to("POST", f"{WOO}/products/batch")
    assert batch.json() == {"update": [{"id": 799, "stock_quantity": 5, "manage_stock": True}]}
    found = client.fetch_stock(["MUG-01", "BOOK-07", "LAMP-02", "GHOST"])
    assert found == {"MUG-01": 7, "BOOK-07": 2, "LAMP-02": None, "GHOST": None}
    shop.answer("POST", f"{WOO}/products/batch", "woocommerce/products_batch_error.json")
    with pytest.raises(ShopRefused, match="woocommerce_rest_product_invalid_id"):
        client.push_stock([StockLevel("MUG-01", 4)])
