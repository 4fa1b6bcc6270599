"""Shipping end to end through the API: rate shopping, promises, shipping through a carrier
gateway, labels, manifests, carrier webhooks, delay detection and claims."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.orders import service as orders
from maillon.shipping import service as shipping
from maillon.shipping.carriers import FakeCarrierGateway
from maillon.shipping.service import follow_up
from maillon.shipping.tables import Carrier
from tests.helpers import order_draft, packed_order
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
MONDAY_9AM = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@pytest.fixture
def fake() -> Iterator[dict[str, FakeCarrierGateway]]:
    """Every carrier answers through an in-memory fake gateway (one per carrier)."""
    gateways: dict[str, FakeCarrierGateway] = {}

    def factory(carrier: Carrier) -> FakeCarrierGateway:
        if carrier.code not in gateways:
            gateways[carrier.code] = FakeCarrierGateway(
                code=carrier.code, tracking_prefix=carrier.tracking_prefix, now=clock.now
            )
        return gateways[carrier.code]

    with shipping.use_gateways(factory):
        yield gateways


def sync(client: TestClient, auth: Auth) -> None:
    r = client.post("/api/v1/shipping/carriers/sync", headers=auth["operator"])
    assert r.status_code == 200, r.text
    assert "chronopost" in {c["code"] for c in r.json()}  # colissimo was already there


def test_rate_shopping_ranks_explains_and_excludes(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    body = {
        "parcel": {"weight_g": 1200, "length_mm": 300, "width_mm": 200, "height_mm": 150},
        "destination": {"country": "FR", "postcode": "69002"},
        "policy": "cheapest",
        "ordered_at": "2026-11-02T09:00:00+01:00",
    }
    r = client.post("/api/v1/shipping/rates", json=body, headers=auth["agent"])
    assert r.status_code == 200, r.text
    only_colissimo = r.json()
    assert {q["carrier"] for q in only_colissimo["quotes"]} == {"colissimo"}
    assert any(e["reason"] == "not_set_up" for e in only_colissimo["excluded"])

    sync(client, auth)
    r = client.post("/api/v1/shipping/rates", json=body, headers=auth["agent"])
    cheapest = r.json()
    totals = [q["total_cents"] for q in cheapest["quotes"]]
    assert len(totals) > 5 and totals == sorted(totals)
    chosen = cheapest["chosen"]
    assert chosen == cheapest["quotes"][0] and chosen["rank"] == 1
    assert "lowest price" in cheapest["explanation"]
    assert chosen["service_name"] in cheapest["explanation"]
    assert chosen["breakdown"]["total_cents"] == chosen["total_cents"]
    assert chosen["on_time_samples"] == 0 and chosen["on_time_rate"] == pytest.approx(0.9)
    reasons = {(e["carrier"], e["service"]): e["reason"] for e in cheapest["excluded"]}
    assert reasons[("colissimo", "europe")] == "no_coverage"
    assert "not_set_up" not in reasons.values()

    r = client.post(
        "/api/v1/shipping/rates", json={**body, "policy": "fastest"}, headers=auth["agent"]
    )
    dates = [q["delivery_date"] for q in r.json()["quotes"]]
    assert dates == sorted(dates) and dates[0] == "2026-11-03"  # an express service
    assert "earliest promised delivery" in r.json()["explanation"]

    relay = client.post(
        "/api/v1/shipping/rates",
        json={**body, "kinds": ["relay_point"]},
        headers=auth["agent"],
    ).json()
    assert {q["kind"] for q in relay["quotes"]} == {"relay_point"}


def test_rates_for_an_order_estimate_its_parcel(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    order, _ = orders.place_order(seeded, order_draft([("LAMP-02", 1), ("MUG-01", 2)]), actor="t")
    r = client.post(
        "/api/v1/shipping/rates", json={"order": order.number}, headers=auth["operator"]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["order"] == order.number and body["destination"]["postcode"] == "69002"
    assert body["parcel"]["weight_g"] > 1400 + 2 * 350  # products plus packaging
    assert body["parcel"]["declared_value_cents"] == order.total_cents
    assert body["policy"] == "best_value" and body["chosen"]["carrier"] == "colissimo"


def test_promise_skips_public_holidays_and_weekends(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    def ask(**extra: object) -> dict[str, object]:
        body = {"postcode": "69002", "country": "FR", "carrier": "colissimo", **extra}
        r = client.post("/api/v1/shipping/promise", json=body, headers=auth["agent"])
        assert r.status_code == 200, r.text
        return {o["service"]: o for o in r.json()["options"]}

    # Christmas Eve 13:00 (before the 14:00 cut-off): ships the 24th; the 25th is a holiday,
    # then a weekend: two delivery days later is Tuesday the 29th.
    eve = ask(ordered_at="2026-12-24T13:00:00+01:00")["domicile"]
    assert (eve["ship_date"], eve["delivery_date"], eve["missed_cutoff"]) == (
        "2026-12-24",
        "2026-12-29",
        False,
    )
    late = ask(ordered_at="2026-12-24T14:30:00+01:00")["domicile"]
    assert (late["ship_date"], late["delivery_date"], late["missed_cutoff"]) == (
        "2026-12-28",
        "2026-12-30",
        True,
    )
    with clock.frozen_at(datetime(2026, 5, 13, 8, 0, tzinfo=UTC)):  # Wednesday before Ascension
        now = ask(service="domicile")
    assert list(now) == ["domicile"] and now["domicile"]["delivery_date"] == "2026-05-18"
    corsica = ask(ordered_at="2026-11-02T09:00:00+01:00", postcode="20000")
    assert corsica["domicile"]["zone"] == "CORSE" and "europe" not in corsica


def test_ship_stores_service_promise_and_real_labels(
    client: TestClient, seeded: Database, auth: Auth, fake: dict[str, FakeCarrierGateway]
) -> None:
    with clock.frozen_at(MONDAY_9AM):
        number = packed_order(seeded)
        r = client.post(
            f"/api/v1/orders/{number}/ship",
            json={"carrier": "colissimo", "service": "domicile"},
            headers=auth["operator"],
        )
    assert r.status_code == 200, r.text
    tracking = r.json()["parcels"][0]["tracking_number"]
    assert tracking == "6A00000000001FR"  # from the fake carrier
    assert fake["colissimo"].requests[0].recipient.city == "Lyon"
    with seeded.reader() as s:
        (shipment,) = shipping.shipments_of(
            session=s, order=orders.get_order(session=s, number=number)
        )
    r = client.get(f"/api/v1/shipments/{shipment.id}", headers=auth["agent"])
    got = r.json()
    assert (got["service_code"], got["zone"], got["carrier"]) == ("domicile", "FR", "colissimo")
    assert got["quoted_cents"] > 0
    assert got["promised_on"] == "2026-11-04" == got["carrier_due_on"]
    sscc = got["parcels"][0]["sscc"]

    r = client.get(f"/api/v1/parcels/{sscc}/label.pdf", headers=auth["picker"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    page = PdfReader(io.BytesIO(r.content)).pages[0]
    text = page.extract_text()
    assert sscc in text and tracking in text and "Camille Martin" in text
    assert round(float(page.mediabox.width) / 72 * 25.4) == 100  # 10 x 15 cm
    r = client.get(f"/api/v1/shipments/{shipment.id}/labels.pdf", headers=auth["picker"])
    assert r.status_code == 200 and r.content.startswith(b"%PDF")

    # no service named: the carrier's best value service is recorded
    number2 = packed_order(seeded, [("BOOK-07", 1)], email="b@example.fr")
    r = client.post(
        f"/api/v1/orders/{number2}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 200, r.text
    with seeded.reader() as s:
        (other,) = shipping.shipments_of(
            session=s, order=orders.get_order(session=s, number=number2)
        )
    assert other.service_code is not None and other.quoted_cents


def test_carrier_outage_ships_nothing(
    client: TestClient, seeded: Database, auth: Auth, fake: dict[str, FakeCarrierGateway]
) -> None:
    number = packed_order(seeded)
    gateway = FakeCarrierGateway(code="colissimo", tracking_prefix="6A")
    gateway.fail_with = ConnectionError("timeout")
    fake["colissimo"] = gateway
    before = row_counts(seeded)
    r = client.post(
        f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 409 and "timeout" in r.json()["error"]["message"]
    assert row_counts(seeded) == before


def test_daily_manifest_lists_the_parcels_with_totals(
    client: TestClient, seeded: Database, auth: Auth, fake: dict[str, FakeCarrierGateway]
) -> None:
    numbers = []
    with clock.frozen_at(MONDAY_9AM):
        for k, lines in enumerate(([("MUG-01", 1)], [("TSHIRT-M", 2)], [("BOOK-07", 1)])):
            numbers.append(packed_order(seeded, lines, email=f"m{k}@example.fr"))
            r = client.post(
                f"/api/v1/orders/{numbers[-1]}/ship",
                json={"carrier": "colissimo"},
                headers=auth["operator"],
            )
            assert r.status_code == 200
    params = {"carrier": "colissimo", "date": "2026-11-02", "format": "csv"}
    r = client.get("/api/v1/shipping/manifests", params=params, headers=auth["operator"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    parcels, total = rows[:-1], rows[-1]
    assert sorted(p["order_reference"] for p in parcels) == sorted(numbers)
    grams = sum(round(float(p["weight_kg"]) * 1000) for p in parcels)
    assert total["line"] == "TOTAL" and total["parcels"] == "3"
    assert round(float(total["weight_kg"]) * 1000) == grams
    r = client.get(
        "/api/v1/shipping/manifests", params={**params, "format": "pdf"}, headers=auth["operator"]
    )
    assert r.content.startswith(b"%PDF") and "COLISSIMO-20261102" in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages
    )
    empty = client.get(
        "/api/v1/shipping/manifests",
        params={**params, "date": "2026-11-03"},
        headers=auth["operator"],
    )
    assert (
        empty.text.splitlines()[-1].startswith("TOTAL,colissimo")
        and len(empty.text.splitlines()) == 2
    )


def _count(db: Database, topic: str, channel: str) -> int:
    with db.reader() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.topic == topic, OutboxMessage.channel == channel)
            )
            or 0
        )


def test_delays_are_notified_once_and_published_once(
    client: TestClient, seeded: Database, auth: Auth, fake: dict[str, FakeCarrierGateway]
) -> None:
    with clock.frozen_at(MONDAY_9AM):
        late = packed_order(seeded)
        on_time = packed_order(seeded, [("BOOK-07", 1)], email="o@example.fr")
        for number in (late, on_time):
            client.post(
                f"/api/v1/orders/{number}/ship",
                json={"carrier": "colissimo", "service": "domicile"},
                headers=auth["operator"],
            )
    with seeded.transaction() as s:
        follow_up.mark_delivered(session=s, number=on_time, actor="t")
    with clock.frozen_at(datetime(2026, 11, 4, 20, 0, tzinfo=UTC)):  # promised day not over
        r = client.post("/api/v1/shipping/detect-delays", headers=auth["operator"])
    assert r.json()["notified"] == 0
    with clock.frozen_at(datetime(2026, 11, 5, 9, 0, tzinfo=UTC)):
        first = client.post("/api/v1/shipping/detect-delays", headers=auth["operator"]).json()
        again = client.post("/api/v1/shipping/detect-delays", headers=auth["operator"]).json()
    assert first["notified"] == 1 and again == {"notified": 0, "notices": []}
    (notice,) = first["notices"]
    assert notice["order"] == late and notice["kind"] == "late"
    assert "04/11/2026" in notice["reason"]
    assert _count(seeded, "shipment.delayed", "event") == 1
    assert _count(seeded, "shipment.delay_notice", "email") == 1
    with seeded.reader() as s:
        event = s.scalar(select(OutboxMessage).where(OutboxMessage.topic == "shipment.delayed"))
        assert event is not None
        assert event.payload["shipment_id"] == notice["shipment_id"]
        assert set(event.payload) == {"shipment_id", "order_id", "order", "kind", "reason"}
    r = client.get(f"/api/v1/shipments/{notice['shipment_id']}", headers=auth["agent"])
    assert r.json()["delay_flagged_at"] is not None


def test_carrier_webhooks_are_idempotent_and_keep_the_most_advanced_status(
    client: TestClient, seeded: Database, auth: Auth, fake: dict[str, FakeCarrierGateway]
) -> None:
    sync(client, auth)
    with clock.frozen_at(MONDAY_9AM):
        number = packed_order(seeded)
        r = client.post(
            f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
        )
    tracking = r.json()["parcels"][0]["tracking_number"]
    delivered = {
        "parcelNumber": tracking,
        "events": [{"code": "LIVCFM", "date": "2026-11-04T11:00:00+01:00", "label": "Livré"}],
    }
    earlier = {
        "parcelNumber": tracking,
        "events": [
            {"code": "PCHCFM", "date": "2026-11-02T18:00:00+01:00", "siteName": "Gennevilliers"},
            {"code": "MLVARS", "date": "2026-11-04T07:30:00+01:00"},
            {"code": "ZZZ999", "date": "2026-11-04T07:31:00+01:00"},
        ],
    }
    url = "/api/v1/shipping/webhooks/colissimo"
    first = client.post(url, json=delivered, headers=auth["operator"]).json()
    assert (first["created"], first["replayed"]) == (1, 0)
    late = client.post(url, json=earlier, headers=auth["operator"]).json()
    assert (late["created"], late["replayed"]) == (2, 0)
    assert [(i["code"], i["reason"]) for i in late["ignored"]] == [
        ("ZZZ999", "unknown Colissimo event code")
    ]
    replay = client.post(url, json=delivered, headers=auth["operator"]).json()
    assert (replay["created"], replay["replayed"]) == (0, 1)
    page = client.get("/track", params={"number": tracking, "postcode": "69002"})
    assert page.status_code == 200
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        assert order.status == "delivered"
        (shipment,) = shipping.shipments_of(session=s, order=order)
        assert shipment.parcels[0].status == "delivered"
        assert shipment.delivered_at == datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
        events = shipping.tracking_events_of(session=s, shipments=[shipment])
    assert [e.status for e in events] == ["picked_up", "out_for_delivery", "delivered"]


def test_dpd_exception_scan_is_detected_and_claims_are_recorded(
    client: TestClient, seeded: Database, auth: Auth, fake: dict[str, FakeCarrierGateway]
) -> None:
    sync(client, auth)
    with clock.frozen_at(MONDAY_9AM):
        number = packed_order(seeded)
        r = client.post(
            f"/api/v1/orders/{number}/ship",
            json={"carrier": "dpd", "service": "classic"},
            headers=auth["operator"],
        )
    assert r.status_code == 200, r.text
    tracking = r.json()["parcels"][0]["tracking_number"]
    scans = {
        "scans": [
            {
                "scanId": "s-1",
                "parcelLabelNumber": tracking,
                "scanCode": "14",
                "scanDate": "2026-11-03",
                "scanTime": "10:15:00",
                "depotCity": "Lyon",
                "scanDescription": "Recipient absent",
            },
            {
                "scanId": "s-2",
                "parcelLabelNumber": "NOPE123",
                "scanCode": "13",
                "scanDate": "2026-11-03",
                "scanTime": "10:16:00",
            },
        ]
    }
    got = client.post("/api/v1/shipping/webhooks/dpd", json=scans, headers=auth["operator"])
    assert got.status_code == 200, got.text
    assert got.json()["created"] == 1 and got.json()["ignored"][0]["reason"] == (
        "unknown tracking number"
    )
    with clock.frozen_at(datetime(2026, 11, 3, 12, 0, tzinfo=UTC)):  # before the promised day
        r = client.post("/api/v1/shipping/detect-delays", headers=auth["operator"]).json()
    assert r["notified"] == 1 and r["notices"][0]["kind"] == "exception"
    assert "Recipient absent at Lyon" in r["notices"][0]["reason"]
    shipment_id = r["notices"][0]["shipment_id"]

    claim = {"kind": "damage", "amount_cents": 1290, "note": "mug broken"}
    r = client.post(f"/api/v1/shipments/{shipment_id}/claims", json=claim, headers=auth["agent"])
    assert r.status_code == 201 and r.json()["created_by"]
    claims = client.get(f"/api/v1/shipments/{shipment_id}/claims", headers=auth["agent"]).json()
    assert [(c["kind"], c["amount_cents"]) for c in claims] == [("damage", 1290)]
    r = client.get(
        "/api/v1/shipping/scorecards",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=auth["agent"],
    )
    assert r.status_code == 200 and r.json()["from"] == "2026-11-01"
    dpd = {row["zone"]: row for row in r.json()["rows"] if row["carrier"] == "dpd"}
    assert dpd["FR"]["exceptions"] == 1 and dpd["FR"]["damage_claims"] == 1
    assert dpd["*"]["claims_cents"] == 1290 and dpd["FR"]["delivered"] == 0


BAD = [
    # (role, method, url, body or params, status, field named)
    ("agent", "post", "/api/v1/shipping/rates", {"policy": "cheapest"}, 422, "parcel"),
    (
        "agent",
        "post",
        "/api/v1/shipping/rates",
        {"parcel": {"weight_g": 0, "length_mm": 1, "width_mm": 1, "height_mm": 1}},
        422,
        "parcel.weight_g",
    ),
    (
        "agent",
        "post",
        "/api/v1/shipping/rates",
        {
            "parcel": {"weight_g": 10, "length_mm": 1, "width_mm": 1, "height_mm": 1},
            "destination": {"country": "FR", "postcode": "6900"},
        },
        422,
        "destination.postcode",
    ),
    ("agent", "post", "/api/v1/shipping/rates", {"order": "M0009999"}, 404, "order"),
    (
        "agent",
        "post",
        "/api/v1/shipping/rates",
        {"order": "M1", "policy": "slowest"},
        422,
        "policy",
    ),
    (
        "agent",
        "post",
        "/api/v1/shipping/rates",
        {
            "parcel": {"weight_g": 10, "length_mm": 1, "width_mm": 1, "height_mm": 1},
            "destination": {"country": "FR", "postcode": "69002"},
            "carriers": ["ups"],
        },
        422,
        "carriers",
    ),
    ("agent", "post", "/api/v1/shipping/promise", {"postcode": "ABCDE"}, 422, "postcode"),
    (
        "agent",
        "post",
        "/api/v1/shipping/promise",
        {"postcode": "69002", "carrier": "colissimo", "service": "warp"},
        422,
        "service",
    ),
    (
        "agent",
        "post",
        "/api/v1/shipping/promise",
        {"postcode": "69002", "carrier": "ups"},
        422,
        "carrier",
    ),
    (
        "agent",
        "post",
        "/api/v1/shipping/promise",
        {"postcode": "69002", "colour": 1},
        422,
        "colour",
    ),
    (
        "operator",
        "post",
        "/api/v1/orders/M0000001/ship",
        {"carrier": "colissimo", "service": "warp"},
        422,
        "service",
    ),
    ("operator", "post", "/api/v1/orders/M0000001/ship", {"carrier": "ups"}, 404, "carrier"),
    ("picker", "get", "/api/v1/parcels/123/label.pdf", None, 422, "sscc"),
    ("picker", "get", "/api/v1/parcels/376000000000000000/label.pdf", None, 404, "sscc"),
    ("picker", "get", "/api/v1/shipments/999/labels.pdf", None, 404, "id"),
    (
        "operator",
        "get",
        "/api/v1/shipping/manifests",
        {"carrier": "ups", "date": "2026-11-02"},
        404,
        "carrier",
    ),
    (
        "operator",
        "get",
        "/api/v1/shipping/manifests",
        {"carrier": "colissimo", "date": "2026-13-02"},
        422,
        "date",
    ),
    (
        "operator",
        "get",
        "/api/v1/shipping/manifests",
        {"carrier": "colissimo", "date": "2026-11-02", "format": "xls"},
        422,
        "format",
    ),
    ("operator", "post", "/api/v1/shipping/webhooks/ups", {"x": 1}, 404, "carrier"),
    (
        "operator",
        "post",
        "/api/v1/shipping/webhooks/colissimo",
        {"events": []},
        422,
        "parcelNumber",
    ),
    (
        "operator",
        "post",
        "/api/v1/shipping/webhooks/colissimo",
        {"parcelNumber": "6A1", "events": [{"code": "LIVCFM", "date": "yesterday"}]},
        422,
        "events.0.date",
    ),
    ("operator", "post", "/api/v1/shipping/webhooks/colissimo", [1, 2], 422, "body"),
    (
        "agent",
        "post",
        "/api/v1/shipments/1/claims",
        {"kind": "theft", "amount_cents": 1},
        422,
        "kind",
    ),
    (
        "agent",
        "post",
        "/api/v1/shipments/1/claims",
        {"kind": "loss", "amount_cents": -1},
        422,
        "amount_cents",
    ),
    (
        "agent",
        "post",
        "/api/v1/shipments/999/claims",
        {"kind": "loss", "amount_cents": 1},
        404,
        "id",
    ),
    (
        "agent",
        "get",
        "/api/v1/shipping/scorecards",
        {"from": "2026-11-30", "to": "2026-11-01"},
        422,
        "to",
    ),
    ("picker", "post", "/api/v1/shipping/detect-delays", None, 403, ""),
]


@pytest.mark.parametrize(("role", "method", "url", "body", "status", "field"), BAD)
def test_bad_shipping_input_is_refused_and_writes_nothing(
    client: TestClient,
    seeded: Database,
    auth: Auth,
    role: str,
    method: str,
    url: str,
    body: object,
    status: int,
    field: str,
) -> None:
    number = packed_order(seeded)  # M0000001, packed: the ship requests reach the service
    assert number == "M0000001"
    before = row_counts(seeded)
    if method == "get":
        r = client.get(url, params=body, headers=auth[role])  # type: ignore[arg-type]
    else:
        r = client.post(url, json=body, headers=auth[role])
    assert r.status_code == status, r.text
    if field:
        error = r.json()["error"]
        named = {error.get("field")} | {e["field"] for e in error.get("errors", [])}
        assert any(field == n or (n or "").endswith(f".{field}") for n in named), error
    assert row_counts(seeded) == before


def test_shipping_after_time_passes_keeps_the_order_promise(seeded: Database) -> None:
    """An order placed on Friday evening, shipped on Tuesday evening: the customer's promise
    comes from the order time, the carrier's due day from the hand-over."""
    friday_evening = datetime(2026, 11, 6, 19, 0, tzinfo=UTC)
    with clock.frozen_at(friday_evening):
        number = packed_order(seeded)
    with clock.frozen_at(friday_evening + timedelta(days=4)), seeded.transaction() as s:
        (shipment,) = shipping.ship_order(
            session=s, number=number, carrier_code="colissimo", service_code="domicile", actor="o"
        )
        # ships Monday 9th + 2 delivery days (Wednesday 11th is Armistice day)
        assert str(shipment.promised_on) == "2026-11-12"
        assert str(shipment.carrier_due_on) == "2026-11-13"  # handed over Tuesday 20:00
