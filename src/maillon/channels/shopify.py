"""Shopify's Admin GraphQL API, as Maillon uses it (pure: httpx, no database).

* fulfilment: ``order(id) { fulfillmentOrders }`` then ``fulfillmentCreate`` over the open
  ones, with ``trackingInfo`` (company, number(s), url(s)); an order whose fulfilment orders
  are all closed was fulfilled already (a replay), which is a success;
* stock: ``inventorySetQuantities`` (name ``available``, reason ``correction``) per inventory
  item and location, the SKU mapped to its inventory item by ``productVariants(query: "sku:")``;
* the drift report reads ``inventoryLevel(locationId).quantities(names: ["available"])``.

Requests carry ``X-Shopify-Access-Token``. Throttling is waited out: a ``THROTTLED`` answer
waits until the bucket (``extensions.cost.throttleStatus``) holds the query's cost again, a
429 waits its ``Retry-After`` (see :mod:`maillon.channels.throttle`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
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
from maillon.channels.throttle import RetryPolicy, Sleep, backoff, graphql_wait, send

API_VERSION = "2025-01"
SKU_CHUNK = 50  # SKUs per productVariants search (keeps a query's cost well under 1,000)
SET_CHUNK = 250  # quantities per inventorySetQuantities
FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})

FULFILLMENT_ORDERS = """query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 20) {
      nodes { id status }
    }
  }
}"""

FULFILLMENT_CREATE = """mutation FulfillmentCreate(
  $fulfillment: FulfillmentInput!, $message: String
) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""

VARIANTS_BY_SKU = """query VariantsBySku($query: String!, $first: Int!) {
  productVariants(first: $first, query: $query) {
    nodes { sku inventoryItem { id } }
  }
}"""

STOCK_BY_SKU = """query StockBySku($query: String!, $first: Int!, $location: ID!) {
  productVariants(first: $first, query: $query) {
    nodes {
      sku
      inventoryItem {
        id
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }
    }
  }
}"""

SET_QUANTITIES = """mutation InventorySet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta } }
    userErrors { code field message }
  }
}"""


def order_gid(shop_order_id: str) -> str:
    """The GraphQL id of a Shopify order whose REST id (a webhook's ``id``) is given."""
    return (
        shop_order_id
        if shop_order_id.startswith("gid://")
        else f"gid://shopify/Order/{shop_order_id}"
    )


def sku_query(skus: Sequence[str]) -> str:
    """A product-variant search matching any of ``skus`` (each quoted)."""
    quoted = ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in skus)
    return " OR ".join(f"sku:{q}" for q in quoted)


def fulfillment_input(
    fulfillment: Fulfillment, fulfillment_order_ids: Sequence[str]
) -> dict[str, Any]:
    """The ``FulfillmentInput`` of a shipped order: every open fulfilment order in full, its
    carrier and tracking (``number``/``url`` for one parcel, ``numbers``/``urls`` for more)."""
    parcels = [p for s in fulfillment.shipments for p in s.parcels]
    tracking: dict[str, Any] = {"company": fulfillment.shipments[0].carrier}
    if len(parcels) == 1:
        tracking["number"] = parcels[0].number
        if parcels[0].url:
            tracking["url"] = parcels[0].url
    elif parcels:
        tracking["numbers"] = [p.number for p in parcels]
        urls = [p.url for p in parcels if p.url]
        if urls:
            tracking["urls"] = urls
    return {
        "notifyCustomer": True,
        "trackingInfo": tracking,
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": i} for i in fulfillment_order_ids],
    }


def set_quantities_input(quantities: Sequence[tuple[str, str, int]]) -> dict[str, Any]:
    """The ``InventorySetQuantitiesInput`` setting ``available`` of each (item, location)."""
    return {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [
            {"inventoryItemId": item, "locationId": location, "quantity": quantity}
            for item, location, quantity in quantities
        ],
    }


def user_errors(result: Mapping[str, Any] | None) -> str:
    """The ``userErrors`` of a mutation's result as one sentence ("" when none)."""
    errors = (result or {}).get("userErrors") or []
    return "; ".join(
        f"{'.'.join(str(f) for f in (e.get('field') or []))}: {e.get('message', '')}".lstrip(": ")
        for e in errors
    )


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class ShopifyClient:
    """A :class:`~maillon.channels.model.ShopClient` for one Shopify shop."""

    def __init__(
        self,
        shop_url: str,
        access_token: str,
        *,
        location_id: str = "",
        api_version: str = API_VERSION,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.location_id = location_id
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._path = f"/admin/api/{api_version}/graphql.json"
        self._items: dict[str, str] = {}  # SKU -> inventory item id, learnt once per client
        self._http = httpx.Client(
            base_url=shop_url.rstrip("/"),
            headers={"X-Shopify-Access-Token": access_token, "Accept": "application/json"},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run one GraphQL document and return its ``data``, throttling waited out.

        Raises ShopRefused (4xx, GraphQL errors), ShopUnavailable (after the retries).
        """
        throttled = 0
        while True:
            response = send(
                self._http,
                "POST",
                self._path,
                json={"query": query, "variables": dict(variables)},
                policy=self.policy,
                sleep=self._sleep,
            )
            body = _json(response)
            if response.status_code >= 400:
                raise ShopRefused(f"Shopify answered HTTP {response.status_code}: {_errors(body)}")
            errors = body.get("errors")
            if errors and _throttled(errors):
                throttled += 1
                if throttled >= self.policy.throttled:
                    raise ShopUnavailable(f"Shopify still throttled after {throttled} tries")
                cost = (body.get("extensions") or {}).get("cost")
                self._sleep(graphql_wait(cost, backoff(throttled, self.policy)))
                continue
            if errors:
                raise ShopRefused(f"Shopify refused the query: {_errors(body)}")
            data = body.get("data")
            if not isinstance(data, dict):
                raise ShopUnavailable("Shopify answered without data")
            return data

    def push_fulfillment(self, fulfillment: Fulfillment) -> FulfillmentResult:
        """Fulfil the order's open fulfilment orders with its tracking (closed: done already)."""
        gid = order_gid(fulfillment.shop_order_id)
        order = self.graphql(FULFILLMENT_ORDERS, {"id": gid}).get("order")
        if not order:
            raise ShopRefused(f"Shopify has no order {gid}")
        nodes = (order.get("fulfillmentOrders") or {}).get("nodes") or []
        open_ids = [n["id"] for n in nodes if n.get("status") in FULFILLABLE]
        if not open_ids:
            statuses = sorted({str(n.get("status")) for n in nodes})
            if "CLOSED" in statuses:
                return FulfillmentResult(remote_id="", already_done=True)
            raise ShopRefused(f"no fulfilment order of {gid} can be fulfilled ({statuses})")
        data = self.graphql(
            FULFILLMENT_CREATE,
            {
                "fulfillment": fulfillment_input(fulfillment, open_ids),
                "message": f"Maillon {fulfillment.order_number}",
            },
        )
        result = data.get("fulfillmentCreate") or {}
        problem = user_errors(result)
        if problem:
            raise ShopRefused(f"Shopify refused the fulfilment: {problem}")
        return FulfillmentResult(remote_id=str((result.get("fulfillment") or {}).get("id", "")))

    def inventory_items(self, skus: Sequence[str]) -> dict[str, str]:
        """Map each SKU the shop sells to its inventory item id (unknown SKUs are left out)."""
        wanted = [s for s in dict.fromkeys(skus) if s not in self._items]
        for chunk in _chunks(wanted, SKU_CHUNK):
            data = self.graphql(
                VARIANTS_BY_SKU, {"query": sku_query(chunk), "first": 2 * len(chunk)}
            )
            for node in (data.get("productVariants") or {}).get("nodes") or []:
                sku, item = node.get("sku"), (node.get("inventoryItem") or {}).get("id")
                if sku in chunk and item and sku not in self._items:
                    self._items[sku] = item
        return {s: self._items[s] for s in skus if s in self._items}

    def push_stock(self, levels: list[StockLevel]) -> StockPushResult:
        """Set ``available`` of each SKU at its location (the channel's when none is given)."""
        items = self.inventory_items([level.sku for level in levels])
        quantities = []
        for level in levels:
            location = level.location or self.location_id
            if not location:
                raise ShopRefused("no Shopify location to set stock at (channel stock_location)")
            if level.sku in items:
                quantities.append((items[level.sku], location, level.quantity))
        for chunk in _chunks(quantities, SET_CHUNK):
            data = self.graphql(SET_QUANTITIES, {"input": set_quantities_input(chunk)})
            problem = user_errors(data.get("inventorySetQuantities"))
            if problem:
                raise ShopRefused(f"Shopify refused the quantities: {problem}")
        known = tuple(lv.sku for lv in levels if lv.sku in items)
        return StockPushResult(known, tuple(lv.sku for lv in levels if lv.sku not in items))

    def fetch_stock(self, skus: list[str]) -> dict[str, int | None]:
        """The shop's ``available`` per SKU at the channel's location (None: not sold)."""
        if not self.location_id:
            raise ShopRefused("no Shopify location to read stock at (channel stock_location)")
        found: dict[str, int | None] = dict.fromkeys(skus)
        for chunk in _chunks(list(dict.fromkeys(skus)), SKU_CHUNK):
            data = self.graphql(
                STOCK_BY_SKU,
                {"query": sku_query(chunk), "first": 2 * len(chunk), "location": self.location_id},
            )
            for node in (data.get("productVariants") or {}).get("nodes") or []:
                sku, item = node.get("sku"), node.get("inventoryItem") or {}
                if sku not in chunk or found.get(sku) is not None:
                    continue
                if item.get("id"):
                    self._items.setdefault(sku, item["id"])
                level = item.get("inventoryLevel") or {}
                quantities = {
                    q.get("name"): q.get("quantity") for q in level.get("quantities") or []
                }
                found[sku] = int(quantities.get("available") or 0)
        return found


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        if response.status_code >= 400:
            return {"errors": response.text[:200]}
        raise ShopUnavailable(
            f"Shopify answered something that is not JSON (HTTP {response.status_code})"
        ) from None
    return body if isinstance(body, dict) else {"errors": str(body)[:200]}


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


def _errors(body: Mapping[str, Any]) -> str:
    errors = body.get("errors")
    if isinstance(errors, list):
        return "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
    return str(errors)[:300]
