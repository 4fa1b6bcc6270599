"""DPD France connector against a local server answering DPD France's documented EPrint and
Webtrace SOAP and mypudo XML (our own client: karrio's dpd speaks DPD's DELIS API)."""

from __future__ import annotations

import logging
from xml.etree import ElementTree as ET

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
from tests.helpers.carriers import CarrierServer, Received, carrier_fixture
from tests.integration.carriers.conftest import FAST, WAREHOUSE, parcel

EPRINT = "/eprintwebservice/eprintwebservice.asmx"
WEBTRACE = "/trace-service/Webtrace_Service.asmx"
PUDO = "/mypudo/mypudo.asmx/GetPudoList"


def _account(url: str, *, zpl: bool = False, **credentials: str) -> CarrierAccount:
    return CarrierAccount(
        carrier="dpd",
        connector="dpd_fr",
        credentials={
            "login": "maillon-test",
            "password": "Pr2-s3cret",
            "customer_number": "12345",
            "center_number": "77",
            "pudo_key": "deecd7bc81b71fcc",
            **credentials,
        },
        base_url=url,
        label_format=LabelFormat.ZPL if zpl else LabelFormat.PDF,
        options=FAST,
    )


def _xml(seen: Received) -> ET.Element:
    return ET.fromstring(seen.body)


def _at(root: ET.Element, path: str) -> str:
    """The text at a slash path of local names under the SOAP body's operation."""
    node = next(el for el in root.iter() if el.tag.endswith("}Body"))[0]
    for name in path.split("/"):
        node = next(child for child in node if child.tag.rpartition("}")[2] == name)
    return node.text or ""


def test_create_sends_the_parcel_in_kilograms_with_the_credentials_header(
    carrier: CarrierServer,
) -> None:
    carrier.answer("POST", EPRINT, fixture="dpd_fr/create.xml")
    created = build(_account(carrier.url)).create_shipment(parcel("classic"))
    assert created.tracking_number == "25007712345678"
    assert created.label_pdf.startswith(b"%PDF") and created.label_zpl == b""
    assert created.carrier_reference.endswith("25007712345678101250")
    sent = carrier.requests_to("POST", EPRINT)[0]
    assert sent.headers["soapaction"] == '"http://www.cargonet.software/CreateShipmentWithLabels"'
    root = _xml(sent)
    header = next(el for el in root.iter() if el.tag.endswith("}UserCredentials"))
    assert header.tag == "{http://www.cargonet.software}UserCredentials"
    assert [c.text for c in header] == ["maillon-test", "Pr2-s3cret"]
    assert _at(root, "request/weight") == "1.25"
    assert _at(root, "request/shippingdate") == "02.03.2026"
    assert _at(root, "request/customer_number") == "12345"
    assert _at(root, "request/customer_centernumber") == "77"
    assert _at(root, "request/customer_countrycode") == "250"
    assert _at(root, "request/receiveraddress/zipCode") == "29200"
    assert _at(root, "request/receiveraddress/countryPrefix") == "FR"
    assert _at(root, "request/receiverinfo/vinfo1") == "Batiment B"
    assert _at(root, "request/shipperaddress/city") == "Lyon"
    assert _at(root, "request/labelType/type") == "PDF"
    assert _at(root, "request/referencenumber") == "CMD-1001"


def test_pickup_parcel_carries_its_relay_and_zpl_label(carrier: CarrierServer) -> None:
    carrier.answer("POST", EPRINT, fixture="dpd_fr/create_zpl.xml")
    created = build(_account(carrier.url, zpl=True)).create_shipment(
        parcel("relais", relay_point="P29102")
    )
    assert created.label_zpl.startswith(b"^XA") and created.label_pdf == b""
    root = _xml(carrier.requests_to("POST", EPRINT)[0])
    assert _at(root, "request/services/parcelshop/shopaddress/shopid") == "P29102"
    assert _at(root, "request/services/contact/sms") == "0611223344"
    assert _at(root, "request/labelType/type") == "ZPL"


def test_relay_service_without_point_is_refused_before_calling(carrier: CarrierServer) -> None:
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("relais"))
    assert caught.value.field == "relay_point"
    assert carrier.received == []


def test_refused_postcode_is_a_soap_fault_naming_our_field(carrier: CarrierServer) -> None:
    carrier.answer("POST", EPRINT, fixture="dpd_fr/fault_zipcode.xml", status=500)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("classic"))
    assert caught.value.field == "recipient.postcode"
    assert len(carrier.requests_to("POST", EPRINT)) == 1  # an answer, not an outage


def test_pickup_weight_limit_names_the_weight(carrier: CarrierServer) -> None:
    carrier.answer("POST", EPRINT, fixture="dpd_fr/fault_weight.xml", status=500)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(
            parcel("relais", relay_point="P29102", weight_g=21000)
        )
    assert caught.value.field == "weight_g"


def test_return_label_is_a_reverse_shipment_to_the_warehouse(carrier: CarrierServer) -> None:
    carrier.answer("POST", EPRINT, fixture="dpd_fr/return.xml")
    from tests.integration.carriers.conftest import CUSTOMER

    back = parcel("classic", sender=CUSTOMER, recipient=WAREHOUSE)
    created = build(_account(carrier.url)).create_return(back)
    assert created.tracking_number == "25007798765432"
    assert created.label_pdf.startswith(b"%PDF")
    sent = carrier.requests_to("POST", EPRINT)[0]
    assert sent.headers["soapaction"].endswith('/CreateReverseInverseShipmentWithLabels"')
    root = _xml(sent)
    assert _at(root, "request/receiveraddress/zipCode") == "69007"
    assert _at(root, "request/shipperaddress/zipCode") == "29200"
    assert _at(root, "request/expire_offset") == "14"
    assert _at(root, "request/weight") == "1.25"


def test_tracking_maps_codes_then_wording_in_french_time(carrier: CarrierServer) -> None:
    carrier.answer("POST", WEBTRACE, fixture="dpd_fr/trace.xml")
    events = build(_account(carrier.url)).fetch_events("25007712345678")
    assert [e.status for e in events] == [
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,  # code 88 is not in our table: read from its wording
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert events[-1].occurred_at.isoformat() == "2026-03-03T10:42:00+00:00"
    assert events[-1].location == "BREST" and events[-1].description == "Livré"
    sent = carrier.requests_to("POST", WEBTRACE)[0]
    assert sent.headers["soapaction"] == '"http://www.cargonet.software/GetShipmentTrace"'
    root = _xml(sent)
    assert _at(root, "request/ShipmentNumber") == "25007712345678"
    assert _at(root, "request/Customer/centernumber") == "77"
    assert _at(root, "request/Customer/number") == "12345"


def test_a_scan_with_an_unreadable_date_is_skipped_and_logged(
    carrier: CarrierServer, caplog: pytest.LogCaptureFixture
) -> None:
    trace = carrier_fixture("dpd_fr/trace.xml")
    bad = trace.replace(
        "<ScanDate>03.03.2026</ScanDate><ScanTime>11:42:00",
        "<ScanDate>3 mars</ScanDate><ScanTime>11:42:00",
    )
    carrier.answer("POST", WEBTRACE, bad)
    with caplog.at_level(logging.WARNING, logger="maillon.shipping.connectors.dpd_fr"):
        events = build(_account(carrier.url)).fetch_events("25007712345678")
    assert [e.status for e in events][-1] is TrackingStatus.OUT_FOR_DELIVERY  # 3 of 4 kept
    assert len(events) == 3
    assert "3 mars" in caplog.text and "25007712345678" in caplog.text

    # no scan readable at all: the carrier's answer is useless now (retried), not a 500
    carrier.answer("POST", WEBTRACE, trace.replace(".2026</ScanDate>", ".20XX</ScanDate>"))
    with pytest.raises(CarrierUnavailable, match="readable date"):
        build(_account(carrier.url)).fetch_events("25007712345678")


def test_tracking_unknown_is_not_found(carrier: CarrierServer) -> None:
    carrier.answer("POST", WEBTRACE, fixture="dpd_fr/trace_unknown.xml")
    with pytest.raises(NotFound):
        build(_account(carrier.url)).fetch_events("25007700000000")


def test_cancel_voids_an_unscanned_label_and_refuses_a_scanned_one(
    carrier: CarrierServer,
) -> None:
    gateway = build(_account(carrier.url))
    carrier.answer("POST", WEBTRACE, fixture="dpd_fr/trace_data_only.xml")
    gateway.cancel("25007712345678")  # DPD has the data, not the parcel: the label is void
    carrier.answer("POST", WEBTRACE, fixture="dpd_fr/trace.xml")
    with pytest.raises(Conflict):
        gateway.cancel("25007712345678")
    assert carrier.requests_to("POST", EPRINT) == []  # EPrint has no cancel call


def test_pickup_search_active_points_nearest_first(carrier: CarrierServer) -> None:
    carrier.answer("GET", PUDO, fixture="dpd_fr/pudo.xml")
    points = build(_account(carrier.url)).find_relay_points(
        postcode="29200", city="Brest", country="FR", limit=5
    )
    assert [p.point_id for p in points] == ["P29102", "P29417"]  # P29999 is inactive
    near, far = points
    assert near.distance_m == 430 and far.distance_m == 1240
    assert far.lat == pytest.approx(48.3888) and far.lon == pytest.approx(-4.4873)
    assert far.opening_hours == "lun 09:00-12:30; lun 14:00-19:00"
    assert far.line1 == "61 RUE DE SIAM" and far.country == "FR"
    params = carrier.requests_to("GET", PUDO)[0].params()
    assert params["carrier"] == ["EXA"] and params["key"] == ["deecd7bc81b71fcc"]
    assert params["zipCode"] == ["29200"] and params["city"] == ["Brest"]
    assert params["countrycode"] == ["FR"] and params["max_pudo_number"] == ["5"]


def test_pickup_search_refused_key_names_the_credential(carrier: CarrierServer) -> None:
    carrier.answer("GET", PUDO, fixture="dpd_fr/pudo_bad_key.xml")
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).find_relay_points(postcode="29200", city="Brest", country="FR")
    assert caught.value.field == "credentials.pudo_key"


def test_pickup_search_without_key_is_refused_before_calling(carrier: CarrierServer) -> None:
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url, pudo_key="")).find_relay_points(
            postcode="29200", city="Brest", country="FR"
        )
    assert caught.value.field == "credentials.pudo_key"
    assert carrier.received == []


def test_5xx_and_time_out_are_retried_then_unavailable(carrier: CarrierServer) -> None:
    carrier.answer("POST", EPRINT, "<html>Service Unavailable</html>", status=503)
    with pytest.raises(CarrierUnavailable):
        build(_account(carrier.url)).create_shipment(parcel("classic"))
    assert len(carrier.requests_to("POST", EPRINT)) == 3
    carrier.answer("GET", PUDO, fixture="dpd_fr/pudo.xml", delay=1.0)
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url)).find_relay_points(postcode="29200", city="Brest", country="FR")
    assert "no answer" in str(caught.value)
    assert len(carrier.requests_to("GET", PUDO)) == 3


def test_429_gives_retry_after(carrier: CarrierServer) -> None:
    carrier.answer("POST", WEBTRACE, "", status=429, headers={"Retry-After": "30"})
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url)).fetch_events("25007712345678")
    assert caught.value.retry_after == 30.0
    assert len(carrier.requests_to("POST", WEBTRACE)) == 1


def test_registered_without_cancel_and_with_its_credentials() -> None:
    connector = known()["dpd_fr"]
    assert connector.required_credentials == (
        "login",
        "password",
        "customer_number",
        "center_number",
    )
    assert Capability.CANCEL not in connector.capabilities
    assert {Capability.RELAY_SEARCH, Capability.RETURN_LABEL, Capability.ZPL} <= (
        connector.capabilities
    )
