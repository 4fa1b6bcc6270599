"""The pure parts of shop sync: throttle maths, payload builders, webhook reading, drift."""

from __future__ import annotations

import pytest

from maillon.channels import shopify, woocommerce
from maillon.channels.drift import DriftRow, changed, compare
from maillon.channels.model import ChannelKind, Fulfillment, Parcel, ShipmentInfo, tracking_url
from maillon.channels.throttle import RetryPolicy, backoff, graphql_wait, retry_after
from maillon.channels.webhooks import Action, classify, is_ping, shop_order_id

ONE = Fulfillment(
    "820982911946154508",
    "M-000042",
    (ShipmentInfo("Colissimo", (Parcel("6A123", "https://t.example/6A123"),)),),
)


def test_graphql_wait_is_the_missing_cost_over_the_restore_rate() -> None:
    cost = {
        "requestedQueryCost": 202,
        "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 2, "restoreRate": 100},
    }
    assert graphql_wait(cost, default=9) == pytest.approx(2.0)
    full = {**cost, "throttleStatus": {**cost["throttleStatus"], "currentlyAvailable": 500}}
    assert graphql_wait(full, default=9) == 0.0
    assert graphql_wait(None, default=9) == 9
    assert graphql_wait({"requestedQueryCost": "x"}, default=3) == 3


@pytest.mark.parametrize(
    ("header", "expected"), [("2", 2.0), ("0.5", 0.5), (None, 7.0), ("Wed, 21 Oct", 7.0)]
)
def test_retry_after(header: str | None, expected: float) -> None:
    assert retry_after(header, default=7.0) == expected


def test_backoff_doubles_up_to_the_cap_and_policy_refuses_nonsense() -> None:
    policy = RetryPolicy(base=1, cap=5)
    assert [backoff(n, policy) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    with pytest.raises(ValueError, match="not understood"):
        RetryPolicy(base=2, cap=1)
    with pytest.raises(ValueError, match="at least one"):
        RetryPolicy(attempts=0)


def test_fulfillment_input_one_parcel_and_several() -> None:
    built = shopify.fulfillment_input(ONE, ["gid://shopify/FulfillmentOrder/1"])
    assert built == {
        "notifyCustomer": True,
        "trackingInfo": {
            "company": "Colissimo",
            "number": "6A123",
            "url": "https://t.example/6A123",
        },
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}],
    }
    two = Fulfillment("1", "M-1", (ShipmentInfo("DPD", (Parcel("A", "u/A"), Parcel("B", ""))),))
    tracking = shopify.fulfillment_input(two, ["x"])["trackingInfo"]
    assert tracking == {"company": "DPD", "numbers": ["A", "B"], "urls": ["u/A"]}


def test_fulfillment_refuses_an_empty_one() -> None:
    with pytest.raises(ValueError, match="shipment"):
        Fulfillment("1", "M-1", ())
    with pytest.raises(ValueError, match="order id"):
        Fulfillment("", "M-1", ONE.shipments)


def test_shopify_ids_and_sku_search() -> None:
    assert shopify.order_gid("5") == "gid://shopify/Order/5"
    assert shopify.order_gid("gid://shopify/Order/5") == "gid://shopify/Order/5"
    assert shopify.sku_query(["A-1", 'B"2']) == 'sku:"A-1" OR sku:"B\\"2"'
    built = shopify.set_quantities_input([("item", "loc", 4)])
    assert built["name"] == "available" and built["reason"] == "correction"
    assert built["quantities"] == [{"inventoryItemId": "item", "locationId": "loc", "quantity": 4}]


def test_tracking_note_is_bilingual_and_marked() -> None:
    note = woocommerce.tracking_note(ONE)
    assert "Votre commande a été expédiée" in note and "Your order has shipped" in note
    assert "Colissimo : 6A123 https://t.example/6A123" in note
    assert woocommerce.marker("M-000042") in note


def test_tracking_url_template() -> None:
    assert tracking_url("https://t.example/{tracking}/x", "N1") == "https://t.example/N1/x"
    assert tracking_url("https://t.example/?n=", "N1") == "https://t.example/?n=N1"
    assert tracking_url("", "N1") == ""


@pytest.mark.parametrize(
    ("kind", "topic", "payload", "action"),
    [
        (ChannelKind.SHOPIFY, None, {"id": 1}, Action.CREATE),
        (ChannelKind.SHOPIFY, "orders/create", {"id": 1}, Action.CREATE),
        (ChannelKind.SHOPIFY, "orders/cancelled", {"id": 1}, Action.CANCEL),
        (ChannelKind.SHOPIFY, "orders/updated", {"id": 1, "cancelled_at": "2026"}, Action.CANCEL),
        (ChannelKind.SHOPIFY, "orders/updated", {"id": 1, "cancelled_at": None}, Action.IGNORE),
        (ChannelKind.SHOPIFY, "orders/paid", {"id": 1}, Action.IGNORE),
        (ChannelKind.WOOCOMMERCE, "order.created", {"id": 1}, Action.CREATE),
        (ChannelKind.WOOCOMMERCE, "order.updated", {"id": 1, "status": "cancelled"}, Action.CANCEL),
        (
            ChannelKind.WOOCOMMERCE,
            "order.updated",
            {"id": 1, "status": "processing"},
            Action.IGNORE,
        ),
    ],
)
def test_classify(
    kind: ChannelKind, topic: str | None, payload: dict[str, object], action: Action
) -> None:
    assert classify(kind, topic, payload, b"{}").action is action


def test_ping_and_order_ids() -> None:
    assert is_ping(b"webhook_id=12") and not is_ping(b'{"id": 1}')
    assert shop_order_id({"id": 42}, b"") == "42"
    digest = shop_order_id({}, b"broken")
    assert digest.startswith("sha256:") and digest == shop_order_id({"id": None}, b"broken")


def test_drift_puts_the_drifting_first() -> None:
    rows = compare({"A": 5, "B": 3, "C": 1, "D": 0}, {"A": 5, "B": 9, "C": 0, "D": None})
    assert [r.sku for r in rows] == ["B", "C", "D", "A"]
    assert rows[0] == DriftRow("B", 3, 9) and rows[0].difference == 6
    assert rows[2].difference is None
    assert changed({"A": 5, "B": 3, "N": 1}, {"A": 5, "B": 2}) == {"B": 3, "N": 1}
