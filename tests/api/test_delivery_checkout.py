"""Delivery options at checkout, zones and appointment slots, click & collect."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.delivery.relay import default_index, distance_km
from maillon.delivery.tables import DeliverySlot
from maillon.inventory.tables import StockLevel
from maillon.orders import service as orders
from maillon.shipping.service import quoting
from tests.helpers import order_draft
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]


def make_zone(client: TestClient, auth: Auth, capacity: int = 2) -> dict[str, Any]:
    r = client.post(
        "/api/v1/delivery/zones",
        json={"code": "LYON", "name": "Lyon centre", "prefixes": ["690", "69100"]},
        headers=auth["operator"],
    )
    assert r.status_code == 201, r.text
    zone = r.json()
    for weekday in range(7):
        r = client.post(
            f"/api/v1/delivery/zones/{zone['id']}/templates",
            json={
                "weekday": weekday,
                "start": "10:00",
                "end": "12:00",
                "capacity": capacity,
                "fee_cents": 390,
            },
            headers=auth["operator"],
        )
        assert r.status_code == 201, r.text
    return r.json()


def test_options_offer_home_express_relay_collect_and_slots(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    r = client.post("/api/v1/shipping/carriers/sync", headers=auth["operator"])
    assert r.status_code == 200, r.text
    make_zone(client, auth)
    r = client.post("/api/v1/delivery/slots/generate", json={"days": 7}, headers=auth["operator"])
    assert r.status_code == 200 and r.json()["LYON"] >= 5  # a week, less public holidays
    r = client.put(
        "/api/v1/delivery/stores/LYS1",
        json={"opening_hours": "Mo-Sa 09:00-19:00", "ready_after_hours": 2},
        headers=auth["operator"],
    )
    assert r.status_code == 200, r.text

    body = {"postcode": "69002", "city": "Lyon", "lines": [{"sku": "MUG-01", "quantity": 2}]}
    r = client.post("/api/v1/delivery/options", json=body, headers=auth["agent"])
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["zone"] == "LYON" and got["lat"] is not None
    assert got["home"] and all(o["kind"] == "standard" for o in got["home"])
    assert got["express"] and all(o["kind"] in ("express", "same_day") for o in got["express"])
    express_dates = [o["delivery_date"] for o in got["express"]]
    assert express_dates == sorted(express_dates)
    relays = got["relay_points"]
    assert len(relays) == 5 and all(p["price_cents"] > 0 for p in relays)
    # the service is named by its code, as an order's choice takes it, and shown by its name
    for p in relays:
        assert p["service"] == p["choice"]["service"], p
        card = quoting.card_for(p["network"])
        assert card is not None and p["service_name"] == card.service(p["service"]).name
    distances = [p["distance_km"] for p in relays]
    assert distances == sorted(distances) and distances[-1] <= 15
    # truly the nearest of the networks that can carry the parcel
    networks = {p["network"] for p in relays}
    brute = sorted(
        distance_km(got["lat"], got["lon"], p.lat, p.lon)
        for p in default_index().points
        if p.network in networks
    )[:5]
    assert [round(d, 3) for d in brute] == distances
    collect = got["click_and_collect"]
    assert [c["store"] for c in collect] == ["LYS1"] and collect[0]["distance_km"] < 30
    assert got["slots"] and got["slots"][0]["remaining"] == 2 and got["slots"][0]["zone"] == "LYON"

    # LYS1 holds 3 mugs: 4 are not collectable there; no store is offered
    body["lines"] = [{"sku": "MUG-01", "quantity": 4}]
    r = client.post("/api/v1/delivery/options", json=body, headers=auth["agent"])
    assert r.status_code == 200 and r.json()["click_and_collect"] == []

    # a parcel instead of a cart, outside every zone
    parcel = {"weight_g": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100}
    r = client.post(
        "/api/v1/delivery/options",
        json={"postcode": "33000", "city": "Bordeaux", "parcel": parcel},
        headers=auth["agent"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["zone"] is None and r.json()["slots"] == [] and r.json()["relay_points"]


def test_options_name_only_carriers_set_up_in_maillon(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    """The example cards rate GLS, Colis Privé, Relais Colis...; an option naming one of them
    would fail at shipping ("carrier 'gls' not found"): only set-up carriers are offered."""
    body = {"postcode": "69002", "city": "Lyon", "lines": [{"sku": "MUG-01", "quantity": 1}]}
    r = client.post("/api/v1/delivery/options", json=body, headers=auth["agent"])
    assert r.status_code == 200, r.text
    got = r.json()
    offered = {o["carrier"] for o in got["home"] + got["express"]}
    offered |= {p["network"] for p in got["relay_points"]}
    assert offered == {"colissimo"}  # the only carrier of the seeded business

    r = client.post("/api/v1/shipping/carriers/sync", headers=auth["operator"])
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/delivery/options", json=body, headers=auth["agent"])
    again = r.json()
    offered = {o["carrier"] for o in again["home"] + again["express"]}
    offered |= {p["network"] for p in again["relay_points"]}
    assert {"colissimo", "gls"} <= offered and len(offered) > 2


def test_slot_booking_respects_capacity_and_tells_the_customer(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    zone = make_zone(client, auth, capacity=1)
    client.post("/api/v1/delivery/slots/generate", json={"days": 5}, headers=auth["operator"])
    slots = client.get(
        f"/api/v1/delivery/slots?zone_id={zone['id']}&available=true", headers=auth["agent"]
    ).json()
    assert slots["total"] >= 3
    first, second = slots["items"][0], slots["items"][1]
    a, _ = orders.place_order(seeded, order_draft(), actor="t")
    b, _ = orders.place_order(seeded, order_draft(email="b@example.fr"), actor="t")
    r = client.post(
        f"/api/v1/delivery/slots/{first['id']}/book",
        json={"order": a.number},
        headers=auth["agent"],
    )
    assert r.status_code == 201, r.text
    assert r.json()["slot"]["remaining"] == 0
    before = row_counts(seeded)
    r = client.post(
        f"/api/v1/delivery/slots/{first['id']}/book",
        json={"order": b.number},
        headers=auth["agent"],
    )
    assert r.status_code == 409 and "full" in r.json()["error"]["message"]
    assert row_counts(seeded) == before
    # moving A to another slot frees the first one
    r = client.post(
        f"/api/v1/delivery/slots/{second['id']}/book",
        json={"order": a.number},
        headers=auth["agent"],
    )
    assert r.status_code == 201
    with seeded.reader() as s:
        booked = {x.id: x.booked for x in s.scalars(select(DeliverySlot))}
        mails = s.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "delivery.slot_booked")
        ).all()
    assert booked[first["id"]] == 0 and booked[second["id"]] == 1
    assert len(mails) == 2 and mails[0].recipient == "camille.martin@example.fr"
    # cancelling the order frees its slot (order.cancelled subscription)
    with seeded.transaction() as s:
        orders.cancel_order(session=s, number=a.number, reason="changed my mind", actor="t")
    with seeded.reader() as s:
        slot = s.get(DeliverySlot, second["id"])
        assert slot is not None and slot.booked == 0
    # an address outside the zone is refused, naming the order
    c, _ = orders.place_order(
        seeded,
        order_draft(
            email="c@example.fr",
            address=order_draft().address.__class__(
                name="C", line1="1 rue", postcode="33000", city="Bordeaux", country="FR"
            ),
        ),
        actor="t",
    )
    r = client.post(
        f"/api/v1/delivery/slots/{first['id']}/book",
        json={"order": c.number},
        headers=auth["agent"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "order"


def test_click_and_collect_reserves_and_releases_store_stock(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    client.put("/api/v1/delivery/stores/LYS1", json={}, headers=auth["operator"])

    def available() -> int:
        with seeded.reader() as s:
            rows = s.scalars(select(StockLevel).where(StockLevel.warehouse_id == 2)).all()
            return sum(x.on_hand - x.reserved for x in rows)

    start = available()
    body = {
        "store": "LYS1",
        "email": "camille@example.fr",
        "lines": [{"sku": "MUG-01", "quantity": 2}],
    }
    r = client.post("/api/v1/delivery/collect", json=body, headers=auth["agent"])
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert available() == start - 2
    before = row_counts(seeded)
    too_many = {**body, "lines": [{"sku": "MUG-01", "quantity": 2}]}
    r = client.post("/api/v1/delivery/collect", json=too_many, headers=auth["agent"])
    assert r.status_code == 409 and r.json()["error"]["lines"][0]["available"] == 1
    assert row_counts(seeded) == before
    r = client.post(f"/api/v1/delivery/collect/{token}/release", headers=auth["agent"])
    assert r.status_code == 200 and r.json()["status"] == "released"
    assert available() == start
    r = client.post(f"/api/v1/delivery/collect/{token}/release", headers=auth["agent"])
    assert r.status_code == 409
    r = client.post("/api/v1/delivery/collect", json=body, headers=auth["agent"])
    r = client.post(
        f"/api/v1/delivery/collect/{r.json()['token']}/collected", headers=auth["picker"]
    )
    assert r.status_code == 200 and r.json()["status"] == "collected"
    assert available() == start - 2  # shipped out of the store


def test_zone_crud(client: TestClient, seeded: Database, auth: Auth) -> None:
    zone = make_zone(client, auth)
    assert len(zone["templates"]) == 7 and zone["templates"][0]["start"] == "10:00"
    r = client.patch(
        f"/api/v1/delivery/zones/{zone['id']}",
        json={"name": "Lyon", "prefixes": ["69001", "69002"]},
        headers=auth["operator"],
    )
    assert r.status_code == 200 and r.json()["prefixes"] == ["69001", "69002"]
    r = client.post(
        f"/api/v1/delivery/zones/{zone['id']}/templates",
        json={"weekday": 0, "start": "11:00", "end": "13:00", "capacity": 3},
        headers=auth["operator"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "start"  # overlaps
    tid = zone["templates"][0]["id"]
    r = client.delete(f"/api/v1/delivery/slot-templates/{tid}", headers=auth["operator"])
    assert r.status_code == 204
    assert (
        len(client.get("/api/v1/delivery/zones", headers=auth["picker"]).json()[0]["templates"])
        == 6
    )
    assert (
        client.delete(f"/api/v1/delivery/zones/{zone['id']}", headers=auth["agent"]).status_code
        == 403
    )
    assert (
        client.delete(f"/api/v1/delivery/zones/{zone['id']}", headers=auth["operator"]).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/delivery/zones/{zone['id']}", headers=auth["operator"]).status_code
        == 404
    )
    assert client.get("/api/v1/delivery/zones", headers=auth["operator"]).json() == []
