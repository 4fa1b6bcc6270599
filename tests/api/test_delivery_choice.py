"""The delivery the customer chose is part of the order: taken from the options answer, the
API, a CSV file and the shops' webhooks, checked before anything is written, and shown."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.delivery import service as delivery
from maillon.delivery.service import collect
from maillon.delivery.tables import DeliverySlot
from maillon.orders.intake import signature
from tests.helpers import order_body
from tests.helpers.console import sign_in
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
DATA = Path(__file__).parents[1] / "data" / "intake"
SECRET = "shpss_0123456789abcdef"
MR_LYON = "RP0129"  # a Mondial Relay point of the points file, Lyon 5e
DPD_LYON = "RP0123"  # a DPD point, Lyon 6e


def _body(i: int, delivery: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    body = order_body(external_id=f"C{i}", **kw)
    body["customer"]["email"] = f"client{i}@example.fr"
    if delivery is not None:
        body["delivery"] = delivery
    return body


def _lyon_slots(db: Database, capacity: int = 1) -> list[int]:
    """A Lyon zone with one 10:00-12:00 window a day, slots from yesterday for a week."""
    with db.transaction() as s:
        zone = delivery.create_zone(
            session=s, code="LYON", name="Lyon", country="FR", prefixes=["690"]
        )
        for weekday in range(7):
            delivery.add_template(
                session=s,
                zone_id=zone.id,
                weekday=weekday,
                start_min=600,
                end_min=720,
                capacity=capacity,
            )
        yesterday = delivery.local_today() - dt.timedelta(days=1)
        delivery.generate_zone_slots(session=s, days=9, first_day=yesterday)
        return [
            slot.id for slot in s.query(DeliverySlot).order_by(DeliverySlot.day, DeliverySlot.id)
        ]


def test_the_options_answer_is_what_the_order_sends_back(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    with seeded.transaction() as s:
        collect.set_store(session=s, warehouse_code="LYS1", opening_hours="Mo-Sa 09:00-19:00")
    body = {"postcode": "69002", "city": "Lyon", "lines": [{"sku": "MUG-01", "quantity": 1}]}
    options = client.post("/api/v1/delivery/options", json=body, headers=auth["agent"]).json()
    relay = options["relay_points"][0]
    home = options["home"][0]
    store = options["click_and_collect"][0]
    taken = [relay["choice"], home["choice"], store["choice"]]
    assert [c["method"] for c in taken] == ["relay_point", "home", "click_collect"]
    answers = []
    for i, choice in enumerate(taken):
        r = client.post("/api/v1/orders", json=_body(i, choice), headers=auth["operator"])
        assert r.status_code == 201, r.text
        answers.append(r.json()["delivery"])
    # nothing lost on the way: the point, its address, the carrier, service and promise
    got = answers[0]
    assert got["relay_point"] == {
        "carrier": relay["network"],
        "id": relay["id"],
        "name": relay["name"],
        "address": relay["address"],
        "postcode": relay["postcode"],
        "city": relay["city"],
        "country": "FR",
        "opening_hours": relay["opening_hours"],
    }
    assert got["carrier"] == relay["network"] and got["service"] == relay["choice"]["service"]
    assert got["promised_on"] == relay["delivery_date"]
    assert got["price_cents"] == relay["price_cents"]
    assert (answers[1]["carrier"], answers[1]["service"]) == (home["carrier"], home["service"])
    assert answers[1]["promised_on"] == home["delivery_date"]
    assert answers[2]["store"] == "LYS1" and answers[2]["carrier"] is None
    # the order read back says the same, and its promise is the one checkout gave
    number = client.get("/api/v1/orders?q=client0", headers=auth["operator"]).json()["items"]
    read = client.get(f"/api/v1/orders/{number[0]['number']}", headers=auth["operator"]).json()
    assert read["delivery"] == got
    assert read["promised_at"].startswith(relay["delivery_date"])


def test_an_order_without_a_choice_is_delivered_at_home(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    r = client.post("/api/v1/orders", json=_body(1), headers=auth["operator"])
    assert r.status_code == 201, r.text
    assert r.json()["delivery"]["method"] == "home"
    assert r.json()["delivery"]["relay_point"] is None
    assert row_counts(seeded)["order_deliveries"] == 0  # nothing to keep for the default


def test_a_slot_chosen_is_booked_with_the_order(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    slot = _lyon_slots(seeded)[3]
    choice = {"method": "appointment", "slot": {"id": slot}}
    r = client.post("/api/v1/orders", json=_body(1, choice), headers=auth["operator"])
    assert r.status_code == 201, r.text
    got = r.json()["delivery"]["slot"]
    assert got["id"] == slot and got["start"] < got["end"]
    with seeded.reader() as s:
        row = s.get(DeliverySlot, slot)
        assert row is not None and row.booked == 1


RELAY = "relay_point"
BAD = [
    ({"method": RELAY, "relay_point": {"carrier": "dpd", "id": "RP9999"}}, f"delivery.{RELAY}.id"),
    (
        {"method": RELAY, "carrier": "colissimo", "relay_point": {"id": DPD_LYON}},
        f"delivery.{RELAY}.carrier",
    ),
    (
        {"method": RELAY, "relay_point": {"carrier": "colissimo", "id": DPD_LYON}},
        f"delivery.{RELAY}.carrier",
    ),
    ({"method": RELAY, "carrier": "dpd"}, f"delivery.{RELAY}"),
    ({"method": "click_collect", "store": "NOPE"}, "delivery.store"),
    ({"method": "click_collect"}, "delivery.store"),
    ({"method": "home", "store": "LYS1"}, "delivery.store"),
    ({"method": "express", "service": "chrono13"}, "delivery.carrier"),
    ({"method": "teleport"}, "delivery.method"),
]


@pytest.mark.parametrize(("choice", "field"), BAD)
def test_a_bad_choice_is_refused_naming_the_field_and_writes_nothing(
    client: TestClient, seeded: Database, auth: Auth, choice: dict[str, Any], field: str
) -> None:
    before = row_counts(seeded)
    r = client.post("/api/v1/orders", json=_body(7, choice), headers=auth["operator"])
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    fields = [e["field"] for e in error.get("errors", [])] or [error["field"]]
    assert any(f.endswith(field) for f in fields), fields
    assert row_counts(seeded) == before


def test_a_full_or_past_slot_is_refused_and_writes_nothing(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    slots = _lyon_slots(seeded, capacity=1)
    past, full = slots[0], slots[3]
    first = {"method": "appointment", "slot": {"id": full}}
    assert client.post("/api/v1/orders", json=_body(1, first), headers=auth["operator"]).is_success
    before = row_counts(seeded)
    for slot, why in ((full, "is full"), (past, "is past"), (10_000, "unknown")):
        choice = {"method": "appointment", "slot": {"id": slot}}
        r = client.post("/api/v1/orders", json=_body(2, choice), headers=auth["operator"])
        assert r.status_code == 422, r.text
        (error,) = r.json()["error"]["errors"]
        assert error["field"] == "delivery.slot.id" and why in error["message"]
    assert row_counts(seeded) == before


CSV = (
    "external_id,email,name,line1,postcode,city,sku,quantity,"
    "delivery_method,relay_point_id,relay_point_carrier,promised_on\n"
    "R1,ana@ex.fr,Ana Roux,1 rue Pasteur,69002,Lyon,MUG-01,1,"
    "relay_point,RP0129,mondial_relay,2026-12-10\n"
    "R2,bob@ex.fr,Bob Petit,2 rue Pasteur,69002,Lyon,MUG-01,1,relay_point,RP0123,mondial_relay,\n"
    "R3,cy@ex.fr,Cy Moreau,3 rue Pasteur,69002,Lyon,MUG-01,1,,,,\n"
    "R4,di@ex.fr,Di Moreau,4 rue Pasteur,69002,Lyon,MUG-01,1,relay_point,RP0000,dpd,\n"
)


def test_csv_orders_carry_their_choice_and_bad_ones_are_named(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    r = client.post(
        "/api/v1/orders/import",
        content=CSV.encode(),
        headers={**auth["operator"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (3, "relay_point_carrier"),
        (5, "relay_point_id"),
    ]
    relay, home = (
        client.get(f"/api/v1/orders/{n}", headers=auth["operator"]).json()
        for n in report["created"]
    )
    assert relay["delivery"]["relay_point"]["id"] == MR_LYON
    assert relay["delivery"]["relay_point"]["name"] == "Fleuriste Lyon 05"
    assert relay["delivery"]["promised_on"] == "2026-12-10"
    assert home["delivery"]["method"] == "home"
    assert row_counts(seeded)["orders"] == 2


def _register(client: TestClient, auth: Auth, code: str, kind: str) -> None:
    r = client.post(
        "/api/v1/channels",
        json={"code": code, "kind": kind, "webhook_secret": SECRET},
        headers=auth["admin"],
    )
    assert r.status_code == 201, r.text


def test_shopify_shipping_line_and_note_attributes_give_the_relay_point(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    _register(client, auth, "myshop", "shopify")
    body = (DATA / "shopify_order_relay.json").read_bytes()
    headers = {"X-Shopify-Hmac-Sha256": signature(SECRET, body)}
    r = client.post("/api/v1/webhooks/shopify/myshop", content=body, headers=headers)
    assert r.status_code == 201, r.text
    got = r.json()["delivery"]
    assert (got["method"], got["carrier"], got["service"]) == (
        "relay_point",
        "mondial_relay",
        "point_relais",
    )
    assert got["relay_point"]["id"] == MR_LYON and got["relay_point"]["city"] == "Lyon 05"
    assert (got["price_cents"], got["promised_on"]) == (420, "2026-11-24")
    # the same payload pointing at another network's point is refused, nothing written
    payload = json.loads(body)
    payload["id"] += 1
    payload["note_attributes"][0]["value"] = DPD_LYON
    bad = json.dumps(payload).encode()
    before = row_counts(seeded)
    r = client.post(
        "/api/v1/webhooks/shopify/myshop",
        content=bad,
        headers={"X-Shopify-Hmac-Sha256": signature(SECRET, bad)},
    )
    assert r.status_code == 202 and r.json()["outcome"] == "refused"
    assert [e["field"] for e in r.json()["errors"]] == ["delivery.relay_point.carrier"]
    after = row_counts(seeded)
    assert after.pop("channel_inbox") == before.pop("channel_inbox") + 1
    assert after == before


def test_woocommerce_shipping_lines_give_relay_point_and_store_pickup(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    with seeded.transaction() as s:
        collect.set_store(session=s, warehouse_code="LYS1")
    _register(client, auth, "woo", "woocommerce")
    got = []
    for name in ("woocommerce_order_relay.json", "woocommerce_order_pickup.json"):
        body = (DATA / name).read_bytes()
        r = client.post(
            "/api/v1/webhooks/woocommerce/woo",
            content=body,
            headers={"X-WC-Webhook-Signature": signature(SECRET, body)},
        )
        assert r.status_code == 201, r.text
        got.append(r.json()["delivery"])
    relay, pickup = got
    assert (relay["method"], relay["carrier"], relay["service"]) == (
        "relay_point",
        "colissimo",
        "point_retrait",
    )
    assert relay["relay_point"]["id"] == "RP0132" and relay["price_cents"] == 390
    assert (pickup["method"], pickup["store"], pickup["carrier"]) == ("click_collect", "LYS1", None)


def test_the_order_page_shows_the_relay_point_in_french_and_english(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    choice = {"method": "relay_point", "relay_point": {"carrier": "mondial_relay", "id": MR_LYON}}
    r = client.post("/api/v1/orders", json=_body(1, choice), headers=auth["operator"])
    number = r.json()["number"]
    sign_in(client, seeded)
    en = client.get(f"/orders/{number}", headers={"Accept-Language": "en"})
    assert en.status_code == 200
    assert "Relay point delivery" in en.text and "Fleuriste Lyon 05" in en.text
    assert "Mo-Sa 08:30-20:00" in en.text
    fr = client.get(f"/orders/{number}", headers={"Accept-Language": "fr"})
    assert "Livraison en point relais" in fr.text and "Horaires d&#39;ouverture" in fr.text
