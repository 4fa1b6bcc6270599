"""UPS connector against a local server answering UPS's documented JSON (karrio's mapper
builds and reads the bodies, our transport sends them)."""

from __future__ import annotations

import base64

import pytest

from maillon.core.errors import NotFound, ValidationError
from maillon.shipping.carriers import (
    Capability,
    CarrierAccount,
    CarrierUnavailable,
    LabelFormat,
)
from maillon.shipping.connectors import build, known
from maillon.shipping.model import TrackingStatus
from tests.helpers.carriers import CarrierServer
from tests.integration.carriers.conftest import FAST, parcel

BERLIN = dict(name="Hans Weber", lines=("Hauptstrasse 5",), postcode="10115", city="Berlin")


def _account(url: str, *, zpl: bool = False, **options: str) -> CarrierAccount:
    return CarrierAccount(
        carrier="ups",
        connector="ups",
        credentials={
            "client_id": "maillon-client",
            "client_secret": "s3cret",
            "account_number": "A1B2C3",
        },
        base_url=url,
        label_format=LabelFormat.ZPL if zpl else LabelFormat.PDF,
        options={**FAST, **options},
    )


def _berlin():  # type: ignore[no-untyped-def]
    from maillon.shipping.labels import Address

    return Address(country="DE", phone="+49301234567", **BERLIN)  # type: ignore[arg-type]


def _token(carrier: CarrierServer) -> None:
    carrier.answer("POST", "/security/v1/oauth/token", fixture="ups/token.json")


def test_create_asks_a_token_first_then_ships_in_kilograms(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", fixture="ups/ship.json")
    gateway = build(_account(carrier.url))

    created = gateway.create_shipment(parcel("standard", recipient=_berlin()))

    assert created.tracking_number == "1Z2220060290602143"
    assert created.label_pdf.startswith(b"%PDF") and created.label_zpl == b""
    token_call, ship_call = carrier.received
    assert token_call.path == "/security/v1/oauth/token"
    assert token_call.form() == {"grant_type": ["client_credentials"]}
    pair = base64.b64encode(b"maillon-client:s3cret").decode()
    assert token_call.headers["authorization"] == f"Basic {pair}"
    assert ship_call.headers["authorization"] == "Bearer eyJraWQiOiJ1cHMtdGVzdCJ9.sandbox"
    shipment = ship_call.json()["ShipmentRequest"]["Shipment"]
    package = shipment["Package"][0]
    assert package["PackageWeight"] == {
        "UnitOfMeasurement": {"Code": "KGS", "Description": "Weight"},
        "Weight": "1.25",
    }
    assert "Dimensions" not in package  # we know no sizes: UPS refuses "None"
    assert shipment["Service"]["Code"] == "11"  # UPS Standard
    assert shipment["ShipTo"]["Address"]["PostalCode"] == "10115"
    assert shipment["ShipTo"]["Address"]["CountryCode"] == "DE"
    assert shipment["Shipper"]["ShipperNumber"] == "A1B2C3"


def test_the_token_is_reused_until_it_expires(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", fixture="ups/ship.json")
    gateway = build(_account(carrier.url))
    gateway.create_shipment(parcel("standard", recipient=_berlin()))
    gateway.create_shipment(parcel("standard", recipient=_berlin()))
    assert len(carrier.requests_to("POST", "/security/v1/oauth/token")) == 1


def test_zpl_account_asks_for_zpl_and_keeps_it(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", fixture="ups/ship_zpl.json")
    created = build(_account(carrier.url, zpl=True)).create_shipment(
        parcel("standard", recipient=_berlin())
    )
    assert created.label_zpl.startswith(b"^XA") and created.label_pdf == b""
    sent = carrier.requests_to("POST", "/api/shipments/v2409/ship")[0].json()
    assert sent["ShipmentRequest"]["LabelSpecification"]["LabelImageFormat"]["Code"] == "ZPL"


def test_refused_postcode_names_our_field(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer(
        "POST", "/api/shipments/v2409/ship", fixture="ups/ship_bad_postcode.json", status=400
    )
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("standard", recipient=_berlin()))
    assert caught.value.field == "recipient.postcode"
    assert "120802" in str(caught.value)


def test_unknown_service_is_refused_before_any_call(carrier: CarrierServer) -> None:
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("next_week", recipient=_berlin()))
    assert caught.value.field == "service"
    assert carrier.received == []


def test_refused_credentials_name_the_credential(carrier: CarrierServer) -> None:
    carrier.answer("POST", "/security/v1/oauth/token", fixture="ups/token_refused.json", status=401)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("standard", recipient=_berlin()))
    assert caught.value.field == "credentials.client_id"


def test_void(carrier: CarrierServer) -> None:
    _token(carrier)
    path = "/api/shipments/v2409/void/cancel/1Z2220060290602143"
    carrier.answer("DELETE", path, fixture="ups/void.json")
    build(_account(carrier.url)).cancel("1Z2220060290602143")
    assert len(carrier.requests_to("DELETE", path)) == 1


def test_void_refused_after_the_void_period(carrier: CarrierServer) -> None:
    _token(carrier)
    path = "/api/shipments/v2409/void/cancel/1Z2220060290602143"
    carrier.answer("DELETE", path, fixture="ups/void_refused.json", status=400)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).cancel("1Z2220060290602143")
    assert caught.value.field == "tracking_number"


def test_tracking_events_are_mapped_oldest_first(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("GET", "/api/track/v1/details/1Z2220060290602143", fixture="ups/track.json")
    events = build(_account(carrier.url)).fetch_events("1Z2220060290602143")
    assert [e.status for e in events] == [
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert events[-1].occurred_at.isoformat() == "2026-03-04T10:30:00+00:00"
    assert "BERLIN" in events[-1].location
    assert len({e.event_id for e in events}) == 5
    sent = carrier.requests_to("GET", "/api/track/v1/details/1Z2220060290602143")[0]
    assert sent.headers["transactionsrc"] == "maillon" and sent.headers["transid"]


def test_tracking_unknown_number_is_not_found(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer(
        "GET", "/api/track/v1/details/1Z000", fixture="ups/track_unknown.json", status=404
    )
    with pytest.raises(NotFound):
        build(_account(carrier.url)).fetch_events("1Z000")


def test_return_label_swaps_the_parties(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", fixture="ups/ship.json")
    from tests.integration.carriers.conftest import WAREHOUSE

    back = parcel("standard", recipient=WAREHOUSE, sender=_berlin())
    created = build(_account(carrier.url)).create_return(back)
    assert created.tracking_number == "1Z2220060290602143"
    shipment = carrier.requests_to("POST", "/api/shipments/v2409/ship")[0].json()[
        "ShipmentRequest"
    ]["Shipment"]
    assert shipment["ReturnService"]["Code"] == "9"  # UPS Print Return Label
    assert shipment["ShipTo"]["Address"]["PostalCode"] == "69007"


def test_rates_in_cents_per_service(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/rating/v2409/Shop", fixture="ups/rate.json")
    quotes = build(_account(carrier.url)).quote(parcel("standard", recipient=_berlin()))
    assert {(q.service, q.price_cents) for q in quotes} == {
        ("standard", 1420),
        ("express_saver", 3175),
    }
    sent = carrier.requests_to("POST", "/api/rating/v2409/Shop")[0]
    assert sent.params() == {"additionalinfo": ["timeintransit"]}
    package = sent.json()["RateRequest"]["Shipment"]["Package"][0]
    assert package["PackageWeight"]["Weight"] == "1.25"


def test_5xx_is_retried_then_unavailable(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", {"error": "busy"}, status=503)
    with pytest.raises(CarrierUnavailable):
        build(_account(carrier.url)).create_shipment(parcel("standard", recipient=_berlin()))
    assert len(carrier.requests_to("POST", "/api/shipments/v2409/ship")) == 3


def test_5xx_then_success_is_retried(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", {"error": "busy"}, status=502)
    carrier.answer("POST", "/api/shipments/v2409/ship", fixture="ups/ship.json")
    created = build(_account(carrier.url)).create_shipment(parcel("standard", recipient=_berlin()))
    assert created.tracking_number == "1Z2220060290602143"


def test_429_gives_retry_after(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer(
        "POST", "/api/rating/v2409/Shop", {"response": {}}, status=429, headers={"Retry-After": "7"}
    )
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url)).quote(parcel("standard", recipient=_berlin()))
    assert caught.value.retry_after == 7.0
    assert len(carrier.requests_to("POST", "/api/rating/v2409/Shop")) == 1


def test_time_out_is_retried_then_unavailable(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", "/api/shipments/v2409/ship", fixture="ups/ship.json", delay=1.0)
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url, retries="1")).create_shipment(
            parcel("standard", recipient=_berlin())
        )
    assert "no answer" in str(caught.value)
    assert len(carrier.requests_to("POST", "/api/shipments/v2409/ship")) == 2


def test_registered_with_its_credentials_and_capabilities() -> None:
    connector = known()["ups"]
    assert connector.required_credentials == ("client_id", "client_secret", "account_number")
    assert Capability.RATES in connector.capabilities
    assert Capability.RELAY_SEARCH in connector.capabilities  # Access Points (Locator API)


LOCATOR = "/api/locations/v3/search/availabilities/64"


def test_access_point_search_nearest_first(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", LOCATOR, fixture="ups/locator.json")
    points = build(_account(carrier.url)).find_relay_points(
        postcode="29200", city="Brest", country="FR", limit=5
    )
    assert [p.point_id for p in points] == ["U29200102", "U29200417"]
    near, far = points
    assert near.distance_m == 400 and far.distance_m == 1200
    assert near.line1 == "12 RUE JEAN JAURES GALERIE DES HALLES"
    assert far.lat == pytest.approx(48.3888) and far.name == "TABAC PRESSE DE SIAM"
    assert far.opening_hours.startswith("Mon-Fri: 9:00am")
    sent = carrier.requests_to("POST", LOCATOR)[0]
    assert sent.headers["authorization"] == "Bearer eyJraWQiOiJ1cHMtdGVzdCJ9.sandbox"
    request = sent.json()["LocatorRequest"]
    assert request["Request"]["RequestOption"] == "64"
    assert request["OriginAddress"]["AddressKeyFormat"] == {
        "PoliticalDivision2": "Brest",
        "PostcodePrimaryLow": "29200",
        "CountryCode": "FR",
    }
    assert request["UnitOfMeasurement"] == {"Code": "KM"}
    assert request["LocationSearchCriteria"]["MaximumListSize"] == "5"
    assert request["LocationSearchCriteria"]["AccessPointSearch"] == {"AccessPointStatus": "01"}


def test_access_point_search_refused_postcode_names_our_field(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", LOCATOR, fixture="ups/locator_bad_postcode.json", status=400)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).find_relay_points(postcode="2920", city="Brest", country="FR")
    assert caught.value.field == "recipient.postcode"


def test_access_point_search_5xx_is_retried_then_unavailable(carrier: CarrierServer) -> None:
    _token(carrier)
    carrier.answer("POST", LOCATOR, {"error": "busy"}, status=503)
    with pytest.raises(CarrierUnavailable):
        build(_account(carrier.url)).find_relay_points(postcode="29200", city="Brest", country="FR")
    assert len(carrier.requests_to("POST", LOCATOR)) == 3
