"""The Colissimo connector against a local server answering Colissimo's documented bodies
(tests/data/carriers/colissimo): the exact requests we send, the labels we keep, the events
we map, and what we make of their errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from maillon.core.errors import NotFound, ValidationError
from maillon.shipping import connectors
from maillon.shipping.carriers import (
    AccountMode,
    Capability,
    CarrierAccount,
    CarrierUnavailable,
    ShipmentRequest,
    Unsupported,
)
from maillon.shipping.connectors.colissimo import (
    RELAY_PATH,
    SLS_PATH,
    TRACK_PATH,
    ColissimoGateway,
    event_status,
)
from maillon.shipping.labels import Address
from maillon.shipping.model import TrackingStatus
from tests.helpers.carriers import CarrierServer, carrier_bytes, running_carrier

MULTIPART = (
    'multipart/mixed; boundary="uuid:6b62b2c5-0d1c-4c2b-9e2e-7d2c0a4f5e11"; type="application/json"'
)
WAREHOUSE = Address(
    name="Entrepot Maillon",
    company="Maillon",
    lines=("2 rue des Docks",),
    postcode="69007",
    city="Lyon",
    country="FR",
)
CUSTOMER = Address(
    name="Anne Le Goff",
    lines=("14 rue de Siam", "Apt 3"),
    postcode="29200",
    city="Brest",
    country="FR",
    phone="+33612345678",
)


@pytest.fixture
def server() -> Iterator[CarrierServer]:
    with running_carrier() as s:
        yield s


def account(server: CarrierServer, **kw: object) -> CarrierAccount:
    fields: dict[str, object] = {
        "carrier": "colissimo",
        "connector": "colissimo",
        "mode": AccountMode.SANDBOX,
        "credentials": {"contract_number": "811200", "password": "s3cret!", "api_key": "okapi-1"},
        "base_url": server.url,
        "options": {"backoff": "0", "timeout": "0.5", "retries": "2"},
    }
    fields.update(kw)
    return CarrierAccount(**fields)  # type: ignore[arg-type]


def gateway(server: CarrierServer, **kw: object) -> ColissimoGateway:
    built = connectors.build(account(server, **kw))
    assert isinstance(built, ColissimoGateway)
    return built


def request(**kw: object) -> ShipmentRequest:
    fields: dict[str, object] = {
        "sscc": "376000000000000017",
        "service": "Colissimo Domicile sans signature",
        "sender": WAREHOUSE,
        "recipient": CUSTOMER,
        "weight_g": 1250,
        "ship_date": date(2026, 12, 8),
        "order_reference": "MA-1001",
    }
    fields.update(kw)
    return ShipmentRequest(**fields)  # type: ignore[arg-type]


def test_create_shipment_sends_the_documented_body_and_keeps_the_pdf(server: CarrierServer) -> None:
    server.answer("POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=MULTIPART)
    created = gateway(server).create_shipment(request())
    assert created.tracking_number == "6A23456789012"
    assert created.label_pdf.startswith(b"%PDF-1.4") and created.label_pdf.endswith(b"%%EOF")
    assert b"\x00\xff" in created.label_pdf  # binary bytes kept as sent
    assert created.label_zpl == b""
    [sent] = server.requests_to("POST", SLS_PATH)
    assert sent.headers["content-type"].startswith("application/json")
    body = sent.json()
    assert (body["contractNumber"], body["password"]) == ("811200", "s3cret!")
    assert body["outputFormat"]["outputPrintingType"] == "PDF_10x15_300dpi"
    letter = body["letter"]
    assert letter["service"] == {
        "productCode": "DOM",
        "depositDate": "2026-12-08",
        "orderNumber": "MA-1001",
        "commercialName": "Maillon",
    }
    assert letter["parcel"] == {"weight": 1.25}  # kilograms
    assert letter["addressee"]["address"] == {
        "companyName": "",
        "lastName": "Le Goff",
        "firstName": "Anne",
        "line2": "14 rue de Siam",
        "line3": "Apt 3",
        "countryCode": "FR",
        "city": "Brest",
        "zipCode": "29200",
        "mobileNumber": "+33612345678",
    }
    assert letter["sender"]["address"]["zipCode"] == "69007"


def test_a_zpl_account_asks_for_zpl_and_keeps_it(server: CarrierServer) -> None:
    server.answer("POST", SLS_PATH, fixture="colissimo/label_zpl.multipart", content_type=MULTIPART)
    created = gateway(server, label_format="zpl").create_shipment(request())
    assert created.label_pdf == b""
    assert created.label_zpl.startswith(b"^XA") and created.label_zpl.endswith(b"^XZ")
    assert server.requests_to("POST", SLS_PATH)[0].json()["outputFormat"]["outputPrintingType"] == (
        "ZPL_10x15_203dpi"
    )


def test_a_relay_parcel_names_its_point_and_product(server: CarrierServer) -> None:
    server.answer("POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=MULTIPART)
    gateway(server).create_shipment(request(relay_point="293310"))
    letter = server.requests_to("POST", SLS_PATH)[0].json()["letter"]
    assert letter["parcel"]["pickupLocationId"] == "293310"
    assert letter["service"]["productCode"] == "A2P"


def test_a_return_label_uses_the_return_product_from_the_customer(server: CarrierServer) -> None:
    server.answer(
        "POST", SLS_PATH, fixture="colissimo/return_label.multipart", content_type=MULTIPART
    )
    created = gateway(server).create_return(request(sender=CUSTOMER, recipient=WAREHOUSE))
    assert created.tracking_number == "8R00000000011"
    assert created.label_pdf.startswith(b"%PDF")
    letter = server.requests_to("POST", SLS_PATH)[0].json()["letter"]
    assert letter["service"]["productCode"] == "CORE"
    assert letter["sender"]["address"]["zipCode"] == "29200"
    assert letter["addressee"]["address"]["zipCode"] == "69007"


def test_an_invalid_address_names_the_recipient_postcode(server: CarrierServer) -> None:
    server.answer(
        "POST",
        SLS_PATH,
        fixture="colissimo/error_invalid_address.multipart",
        content_type=MULTIPART,
        status=400,
    )
    with pytest.raises(ValidationError) as refused:
        gateway(server).create_shipment(request())
    assert refused.value.field == "recipient.postcode"
    assert "30221" in refused.value.message
    assert len(server.requests_to("POST", SLS_PATH)) == 1  # a refusal is not retried


def test_wrong_credentials_name_the_password(server: CarrierServer) -> None:
    server.answer(
        "POST",
        SLS_PATH,
        fixture="colissimo/error_credentials.multipart",
        content_type=MULTIPART,
        status=400,
    )
    with pytest.raises(ValidationError) as refused:
        gateway(server).create_shipment(request())
    assert refused.value.field == "credentials.password"


@pytest.mark.parametrize(
    ("fixture", "content_type", "status"),
    [
        ("colissimo/service_unavailable.html", "text/html", 503),
        ("colissimo/error_service_unavailable.multipart", MULTIPART, 500),
    ],
)
def test_5xx_is_retried_then_unavailable(
    server: CarrierServer, fixture: str, content_type: str, status: int
) -> None:
    server.answer("POST", SLS_PATH, fixture=fixture, content_type=content_type, status=status)
    with pytest.raises(CarrierUnavailable) as down:
        gateway(server).create_shipment(request())
    assert f"HTTP {status}" in str(down.value)
    assert len(server.requests_to("POST", SLS_PATH)) == 3  # once and two retries


def test_a_5xx_then_an_answer_is_a_label(server: CarrierServer) -> None:
    server.answer(
        "POST",
        SLS_PATH,
        fixture="colissimo/service_unavailable.html",
        content_type="text/html",
        status=503,
    )
    server.answer("POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=MULTIPART)
    assert gateway(server).create_shipment(request()).tracking_number == "6A23456789012"
    assert len(server.requests_to("POST", SLS_PATH)) == 2


def test_a_time_out_is_retried_then_unavailable(server: CarrierServer) -> None:
    server.answer(
        "POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=MULTIPART, delay=2.0
    )
    with pytest.raises(CarrierUnavailable, match="time-out"):
        gateway(server, options={"backoff": "0", "timeout": "0.2", "retries": "1"}).create_shipment(
            request()
        )
    assert len(server.requests_to("POST", SLS_PATH)) == 2


def test_429_says_when_to_come_back_without_hammering(server: CarrierServer) -> None:
    server.answer(
        "POST", SLS_PATH, {"error": "too many requests"}, status=429, headers={"Retry-After": "30"}
    )
    with pytest.raises(CarrierUnavailable) as limited:
        gateway(server).create_shipment(request())
    assert limited.value.retry_after == 30.0
    assert len(server.requests_to("POST", SLS_PATH)) == 1


def test_tracking_maps_la_poste_codes_oldest_first(server: CarrierServer) -> None:
    path = TRACK_PATH + "6A23456789012"
    server.answer("GET", path, fixture="colissimo/tracking.json")
    events = gateway(server).fetch_events("6A23456789012")
    assert [e.status for e in events] == [
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert events[-1].occurred_at == datetime(2026, 12, 3, 10, 40, tzinfo=UTC)
    assert events[-1].event_id == "6A23456789012:DI1:2026-12-03T11:40:00+01:00"
    again = gateway(server).fetch_events("6A23456789012")
    assert [e.event_id for e in again] == [e.event_id for e in events]  # replays: same ids
    [sent, _] = server.requests_to("GET", path)
    assert sent.headers["x-okapi-key"] == "okapi-1"
    assert sent.params() == {"lang": ["fr_FR"]}


def test_tracking_an_unknown_number_is_not_found(server: CarrierServer) -> None:
    server.answer(
        "GET", TRACK_PATH + "6A99999999999", fixture="colissimo/tracking_not_found.json", status=404
    )
    with pytest.raises(NotFound):
        gateway(server).fetch_events("6A99999999999")


def test_tracking_with_a_refused_key_names_it(server: CarrierServer) -> None:
    server.answer("GET", TRACK_PATH + "6A1", fixture="colissimo/tracking_bad_key.json", status=401)
    with pytest.raises(ValidationError) as refused:
        gateway(server).fetch_events("6A1")
    assert refused.value.field == "credentials.api_key"


def test_without_an_api_key_the_account_cannot_track(server: CarrierServer) -> None:
    gw = gateway(server, credentials={"contract_number": "811200", "password": "p"})
    assert Capability.TRACK not in gw.capabilities
    with pytest.raises(Unsupported):
        gw.fetch_events("6A23456789012")
    assert server.received == []


def test_relay_search_nearest_first_with_lockers(server: CarrierServer) -> None:
    server.answer("POST", RELAY_PATH, fixture="colissimo/relay_points.json")
    points = gateway(server).find_relay_points(
        postcode="29200", city="Brest", country="FR", limit=2
    )
    assert [p.point_id for p in points] == ["293011", "293310"]
    assert points[0].distance_m == 210 and points[0].lat == pytest.approx(48.3935)
    all_points = gateway(server).find_relay_points(postcode="29200", city="Brest", country="FR")
    assert [p.kind for p in all_points] == ["relay", "relay", "locker"]
    sent = server.requests_to("POST", RELAY_PATH)[0].json()
    assert (sent["accountNumber"], sent["password"]) == ("811200", "s3cret!")
    assert (sent["zipCode"], sent["city"], sent["countryCode"]) == ("29200", "Brest", "FR")


def test_relay_search_with_a_bad_postcode_names_it(server: CarrierServer) -> None:
    server.answer("POST", RELAY_PATH, fixture="colissimo/relay_points_bad_postcode.json")
    with pytest.raises(ValidationError) as refused:
        gateway(server).find_relay_points(postcode="2920", city="Brest", country="FR")
    assert refused.value.field == "address.postcode"


def test_cancel_is_a_no_op_colissimo_has_no_void(server: CarrierServer) -> None:
    gw = gateway(server)
    gw.cancel("6A23456789012")
    assert server.received == []
    assert Capability.CANCEL not in gw.capabilities
    with pytest.raises(Unsupported):
        gw.quote(request())  # no rate API: rate cards price Colissimo


def test_an_account_without_credentials_is_refused(server: CarrierServer) -> None:
    with pytest.raises(ValidationError) as refused:
        connectors.build(account(server, credentials={"contract_number": "811200"}))
    assert refused.value.field == "credentials.password"


def test_unknown_event_codes_are_in_transit() -> None:
    assert event_status("XX9") is TrackingStatus.IN_TRANSIT
    assert event_status("di1") is TrackingStatus.DELIVERED


def test_fixture_is_multipart_with_the_documented_parts() -> None:
    raw = carrier_bytes("colissimo/label_pdf.multipart")
    assert b"Content-ID: <jsonInfos>" in raw and b"Content-ID: <label>" in raw
