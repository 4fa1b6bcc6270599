"""WooCommerce's REST API v3, as Maillon uses it (pure: httpx, no database).

* fulfilment: a customer note with the tracking (``POST /orders/{id}/notes``,
  ``customer_note: true``), written once (a note already carrying the Maillon order number
  is the replay of an earlier push), then ``PUT /orders/{id}`` ``{"status": "completed"}``;
* stock: ``POST /products/batch`` ``{"update": [{"id", "stock_quantity", "manage_stock"}]}``,
  the SKU mapped to its product by ``GET /products?sku=A,B``;
* the drift report reads ``stock_quantity`` from the same search.

Requests use HTTP basic auth with the consumer key and secret (WooCommerce accepts it over
HTTPS only; the channel refuses a plain-HTTP shop except on loopback). 429 and 5xx are
retried with backoff (see :mod:`maillon.channels.throttle`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from maillon.channels.model import (
    Fulfillment,
    FulfillmentResult,
    ShopRefused,
    ShopUnavailable,
    StockLevel,
    StockPushResult,
)
from maillon.channels.throttle import RetryPolicy, Sleep, send

BATCH = 100  # WooCommerce's limit of objects per batch request
SEARCH = 100  # SKUs per product search (per_page is at most 100)


def marker(order_number: str) -> str:
    """The words a tracking note carries so a replay finds it: ``[Maillon <number>]``."""
    return f"[Maillon {order_number}]"


def tracking_note(fulfillment: Fulfillment) -> str:
    """The customer note of a shipped order, in French and English, with its tracking."""
    lines = ["Votre commande a été expédiée. / Your order has shipped."]
    for shipment in fulfillment.shipments:
        for parcel in shipment.parcels:
            link = f" {parcel.url}" if parcel.url else ""
            lines.append(f"{shipment.carrier} : {parcel.number}{link}")
    lines.append(marker(fulfillment.order_number))
    return "\n".join(lines)


def woo_error(response: httpx.Response) -> str:
    """A WooCommerce error answer (``{"code", "message", "data": {"status"}}``) as a sentence."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and body.get("code"):
        return f"HTTP {response.status_code} {body['code']}: {body.get('message', '')}"
    return f"HTTP {response.status_code}"


class WooCommerceClient:
    """A :class:`~maillon.channels.model.ShopClient` for one WooCommerce shop."""

    def __init__(
        self,
        shop_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._products: dict[str, int] = {}  # SKU -> product id, learnt once per client
        self._http = httpx.Client(
            base_url=shop_url.rstrip("/") + "/wp-json/wc/v3",
            auth=(consumer_key, consumer_secret),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its JSON. Raises ShopRefused (4xx), ShopUnavailable."""
        response = send(self._http, method, path, policy=self.policy, sleep=self._sleep, **kwargs)
        if response.status_code >= 400:
            raise ShopRefused(f"WooCommerce refused {method} {path}: {woo_error(response)}")
        try:
            return response.json()
        except ValueError:
            raise ShopUnavailable(f"WooCommerce answered {method} {path} without JSON") from None

    def push_fulfillment(self, fulfillment: Fulfillment) -> FulfillmentResult:
        """Add the tracking note once, then mark the order completed."""
        order = f"/orders/{fulfillment.shop_order_id}"
        notes = self.call("GET", f"{order}/notes")
        tag = marker(fulfillment.order_number)
        done = [n for n in notes if isinstance(n, dict) and tag in str(n.get("note", ""))]
        if done:
            note_id = str(done[0].get("id", ""))
        else:
            note = self.call(
                "POST",
                f"{order}/notes",
                json={"note": tracking_note(fulfillment), "customer_note": True},
            )
            note_id = str(note.get("id", ""))
        self.call("PUT", order, json={"status": "completed"})
        return FulfillmentResult(remote_id=note_id, already_done=bool(done))

    def _search(self, skus: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(skus))
        for i in range(0, len(unique), SEARCH):
            chunk = unique[i : i + SEARCH]
            page = self.call(
                "GET", "/products", params={"sku": ",".join(chunk), "per_page": SEARCH}
            )
            found.extend(p for p in page if isinstance(p, dict) and p.get("sku") in chunk)
        for product in found:
            self._products.setdefault(str(product["sku"]), int(product["id"]))
        return found

    def push_stock(self, levels: list[StockLevel]) -> StockPushResult:
        """Set each known SKU's ``stock_quantity`` (stock managed) in batches of 100."""
        missing = [lv.sku for lv in levels if lv.sku not in self._products]
        if missing:
            self._search(missing)
        updates = [
            {"id": self._products[lv.sku], "stock_quantity": lv.quantity, "manage_stock": True}
            for lv in levels
            if lv.sku in self._products
        ]
        for i in range(0, len(updates), BATCH):
            answer = self.call("POST", "/products/batch", json={"update": updates[i : i + BATCH]})
            refused = [
                u for u in answer.get("update", []) if isinstance(u, dict) and u.get("error")
            ]
            if refused:
                first = refused[0]["error"]
                raise ShopRefused(
                    f"WooCommerce refused {len(refused)} stock update(s): "
                    f"{first.get('code', '')}: {first.get('message', '')}"
                )
        known = tuple(lv.sku for lv in levels if lv.sku in self._products)
        unknown = tuple(lv.sku for lv in levels if lv.sku not in self._products)
        return StockPushResult(known, unknown)

    def fetch_stock(self, skus: list[str]) -> dict[str, int | None]:
        """The shop's ``stock_quantity`` per SKU (None: not sold, or stock not managed)."""
        found: dict[str, int | None] = dict.fromkeys(skus)
        for product in self._search(skus):
            quantity = product.get("stock_quantity")
            if product.get("manage_stock") and quantity is not None:
                found[str(product["sku"])] = int(quantity)
        return found
