"""GLS connector against a local server answering GLS's documented ShipIT, Track and Trace and
ParcelShop finder bodies (karrio's gls mapper builds the shipment body, our transport sends)."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from maillon.core.errors import Conflict, NotFound, ValidationError
from maillon.shipping.carriers import (
    Capability,
    CarrierAccount,
    CarrierUnavailable,
    LabelFormat,
)
from maillon.shipping.connectors import build, known
from maillon.shipping.model import TrackingStatus
from tests.helpers.carriers import CarrierServer, carrier_fixture
from tests.integration.carriers.conftest import CUSTOMER, FAST, WAREHOUSE, parcel

TOKEN = "/oauth2/v2/token"
SHIPMENTS = "/shipit-farm/v1/backend/rs/shipments"
TRACK = "/track-and-trace-v1/tracking/simple/trackids/ZFGX4K7M"
FINDER = "/webservices_v4/wsShopFinder.asmx/GetParcelShopDropPoint"


def _account(url: str, *, zpl: bool = False) -> CarrierAccount:
    return CarrierAccount(
        carrier="gls",
        connector="gls",
        credentials={
            "client_id": "maillon-gls",
            "client_secret": "s3cret",
            "contact_id": "250a1b2c3d",
        },
        base_url=url,
        label_format=LabelFormat.ZPL if zpl else LabelFormat.PDF,
        options=FAST,
    )


def _token(carrier: CarrierServer) -> None:
    carrier.answer("POST", TOKEN, fixture="gls/token.json")


def test_create_asks_a_token_then_ships_in_kilograms(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", SHIPMENTS, fixture="gls/ship.json")
    created = build(_account(carrier.url)).create_shipment(parcel("business_parcel"))
    assert created.tracking_number == "ZFGX4K7M"
    assert created.carrier_reference == "25000012345678"
    assert created.label_pdf.startswith(b"%PDF") and created.label_zpl == b""
    token_call, ship_call = carrier.received
    assert token_call.form() == {"grant_type": ["client_credentials"]}
    pair = base64.b64encode(b"maillon-gls:s3cret").decode()
    assert token_call.headers["authorization"] == f"Basic {pair}"
    assert ship_call.headers["authorization"] == "Bearer eyJhbGciOiJSUzI1NiJ9.gls-sandbox"
    assert ship_call.headers["content-type"] == "application/glsVersion1+json"
    body = ship_call.json()
    shipment = body["Shipment"]
    assert shipment["Product"] == "BUSINESSPARCEL"
    assert shipment["ShipmentUnit"][0]["Weight"] == 1.25
    assert shipment["Shipper"]["ContactID"] == "250a1b2c3d"
    assert shipment["ShippingDate"] == "2026-03-02"
    consignee = shipment["Consignee"]["Address"]
    assert consignee["ZIPCode"] == "29200" and consignee["CountryCode"] == "FR"
    assert consignee["Street"] == "8 avenue Jean Jaures"
    assert consignee["Name3"] == "Batiment B" and "StreetNumber" not in consignee
    assert "Service" not in shipment
    assert body["PrintingOptions"]["ReturnLabels"]["LabelFormat"] == "PDF"


def test_parcelshop_parcel_carries_its_shop_and_zpl_label(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", SHIPMENTS, fixture="gls/ship_zpl.json")
    created = build(_account(carrier.url, zpl=True)).create_shipment(
        parcel("relais", relay_point="2500029102")
    )
    assert created.label_zpl.startswith(b"^XA") and created.label_pdf == b""
    body = carrier.requests_to("POST", SHIPMENTS)[0].json()
    assert body["Shipment"]["Service"] == [
        {"ShopDelivery": {"ServiceName": "service_shopdelivery", "ParcelShopID": "2500029102"}}
    ]
    assert body["PrintingOptions"]["ReturnLabels"] == {
        "TemplateSet": "ZPL_200",
        "LabelFormat": "ZEBRA",
    }


def test_relay_service_without_shop_is_refused_before_calling(carrier: CarrierServer) -> None:
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("relais"))
    assert caught.value.field == "relay_point"
    assert carrier.received == []


def test_refusal_in_headers_names_our_field(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer(
        "POST",
        SHIPMENTS,
        "",
        status=400,
        headers={"error": "E_INVALID_CONSIGNEE_ZIPCODE", "message": "Consignee ZIPCode invalid"},
    )
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("parcel"))
    assert caught.value.field == "recipient.postcode"
    assert "E_INVALID_CONSIGNEE_ZIPCODE" in str(caught.value)


def test_refusal_in_the_body_names_our_field(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", SHIPMENTS, fixture="gls/ship_errors.json", status=400)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("relais", relay_point="2500000999"))
    assert caught.value.field == "relay_point"


def test_refused_credentials_name_the_credential(carrier: CarrierServer) -> None:
    carrier.answer("POST", TOKEN, fixture="gls/token_refused.json", status=401)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("parcel"))
    assert caught.value.field == "credentials.client_id"
    assert carrier.requests_to("POST", SHIPMENTS) == []


def test_return_label_is_a_shop_return_to_the_warehouse(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", SHIPMENTS, fixture="gls/return.json")
    created = build(_account(carrier.url)).create_return(
        parcel("parcel", sender=CUSTOMER, recipient=WAREHOUSE)
    )
    assert created.tracking_number == "ZRET9Q2W"
    shipment = carrier.requests_to("POST", SHIPMENTS)[0].json()["Shipment"]
    assert shipment["Service"] == [
        {"ShopReturn": {"ServiceName": "service_shopreturn", "NumberOfLabels": 1}}
    ]
    assert shipment["Consignee"]["Address"]["ZIPCode"] == "69007"
    assert shipment["Shipper"]["Address"]["ZIPCode"] == "29200"


def test_cancel_then_cancel_of_a_scanned_parcel(carrier: CarrierServer) -> None:
    _token(carrier)
    path = f"{SHIPMENTS}/cancel/ZFGX4K7M"
    carrier.answer("POST", path, fixture="gls/cancel.json")
    gateway = build(_account(carrier.url))
    gateway.cancel("ZFGX4K7M")
    assert len(carrier.requests_to("POST", path)) == 1
    carrier.answer("POST", path, fixture="gls/cancel_scanned.json")
    with pytest.raises(Conflict):
        gateway.cancel("ZFGX4K7M")


def test_cancel_unknown_is_not_found(carrier: CarrierServer) -> None:
    _token(carrier)
    with pytest.raises(NotFound):  # the server answers 404 for a path it does not know
        build(_account(carrier.url)).cancel("ZZZZ0000")


def test_tracking_events_keep_their_offset(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("GET", TRACK, fixture="gls/track.json")
    events = build(_account(carrier.url)).fetch_events("ZFGX4K7M")
    assert [e.status for e in events] == [
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,  # code 2.29 is not in our table: read from its wording
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert events[-1].occurred_at.isoformat() == "2026-03-03T10:42:00+00:00"
    assert events[-1].location == "Brest, 29200, FR"
    sent = carrier.requests_to("GET", TRACK)[0]
    assert sent.headers["authorization"].startswith("Bearer ")


def test_an_event_with_an_unreadable_time_is_skipped_and_logged(
    carrier: CarrierServer, caplog: pytest.LogCaptureFixture
) -> None:
    _token(carrier)
    track = json.loads(carrier_fixture("gls/track.json"))
    track["parcels"][0]["events"][0]["eventDateTime"] = "03/03/2026 11h42"
    carrier.answer("GET", TRACK, track)
    with caplog.at_level(logging.WARNING, logger="maillon.shipping.connectors.gls"):
        events = build(_account(carrier.url)).fetch_events("ZFGX4K7M")
    assert len(events) == 4 and events[-1].status is TrackingStatus.OUT_FOR_DELIVERY
    assert "03/03/2026 11h42" in caplog.text and "ZFGX4K7M" in caplog.text

    # no event readable at all: the carrier's answer is useless now (retried), not a 500
    for event in track["parcels"][0]["events"]:
        event["eventDateTime"] = ""
    carrier.answer("GET", TRACK, track)
    with pytest.raises(CarrierUnavailable, match="readable date"):
        build(_account(carrier.url)).fetch_events("ZFGX4K7M")


def test_tracking_unknown_is_not_found(carrier: CarrierServer) -> None:
    _token(carrier)
    path = "/track-and-trace-v1/tracking/simple/trackids/ZZZZ0000"
    carrier.answer("GET", path, fixture="gls/track_unknown.json")
    with pytest.raises(NotFound):
        build(_account(carrier.url)).fetch_events("ZZZZ0000")


def test_parcelshop_search_nearest_first(carrier: CarrierServer) -> None:
    carrier.answer("GET", FINDER, fixture="gls/parcelshops.xml")
    points = build(_account(carrier.url)).find_relay_points(
        postcode="29200", city="Brest", country="FR", limit=5
    )
    assert [p.point_id for p in points] == ["2500029102", "2500029417"]
    near, far = points
    assert near.line1 == "12 RUE JEAN JAURES GALERIE DES HALLES" and near.distance_m == 430
    assert far.lat == pytest.approx(48.3888) and far.country == "FR"
    assert far.opening_hours == "mon 09:00-19:00; sat 09:00-12:30"
    sent = carrier.requests_to("GET", FINDER)[0]
    assert sent.params() == {
        "street": ["Brest"],
        "zipcode": ["29200"],
        "countryIso3166A2": ["FR"],
        "Amount": ["5"],
    }
    assert "authorization" not in sent.headers  # the finder is public: no token asked
    assert carrier.requests_to("POST", TOKEN) == []


def test_5xx_is_retried_then_unavailable_and_429_waits(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", SHIPMENTS, {"error": "busy"}, status=502)
    with pytest.raises(CarrierUnavailable):
        build(_account(carrier.url)).create_shipment(parcel("parcel"))
    assert len(carrier.requests_to("POST", SHIPMENTS)) == 3
    carrier.answer("GET", TRACK, "", status=429, headers={"Retry-After": "12"})
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url)).fetch_events("ZFGX4K7M")
    assert caught.value.retry_after == 12.0
    assert len(carrier.requests_to("GET", TRACK)) == 1


def test_time_out_is_retried_then_unavailable(carrier: CarrierServer) -> None:
    carrier.answer("GET", FINDER, fixture="gls/parcelshops.xml", delay=1.0)
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url)).find_relay_points(postcode="29200", city="Brest", country="FR")
    assert "no answer" in str(caught.value)
    assert len(carrier.requests_to("GET", FINDER)) == 3


def test_registered_with_its_credentials_and_capabilities() -> None:
    connector = known()["gls"]
    assert connector.required_credentials == ("client_id", "client_secret", "contact_id")
    assert Capability.CANCEL in connector.capabilities
    assert Capability.RELAY_SEARCH in connector.capabilities
    assert Capability.RATES not in connector.capabilities  # karrio's GLS rates are a rate sheet
