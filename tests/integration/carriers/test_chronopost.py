"""Chronopost connector against a local server answering Chronopost's documented SOAP."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from maillon.core.errors import NotFound, ValidationError
from maillon.shipping.carriers import CarrierAccount, CarrierUnavailable, LabelFormat
from maillon.shipping.connectors import build
from maillon.shipping.model import TrackingStatus
from tests.helpers.carriers import CarrierServer, Received
from tests.integration.carriers.conftest import FAST, parcel

SHIPPING = "/shipping-cxf/ShippingServiceWS"
TRACKING = "/tracking-cxf/TrackingServiceWS"
RELAY = "/recherchebt-ws-cxf/PointRelaisServiceWS"
QUICKCOST = "/quickcost-cxf/QuickcostServiceWS"


def _account(url: str, *, zpl: bool = False) -> CarrierAccount:
    return CarrierAccount(
        carrier="chronopost",
        connector="chronopost",
        credentials={"account_number": "19869502", "password": "255562"},
        base_url=url,
        label_format=LabelFormat.ZPL if zpl else LabelFormat.PDF,
        options=FAST,
    )


def _fields(seen: Received) -> dict[str, str]:
    root = ET.fromstring(seen.body)
    return {el.tag.rpartition("}")[2]: (el.text or "") for el in root.iter() if len(el) == 0}


def _operation(seen: Received) -> str:
    body = next(el for el in ET.fromstring(seen.body) if el.tag.endswith("Body"))
    return body[0].tag


def test_create_sends_the_skybill_in_kilograms(carrier: CarrierServer) -> None:
    carrier.answer("POST", SHIPPING, fixture="chronopost/shipping.xml")
    created = build(_account(carrier.url)).create_shipment(parcel("chrono13"))
    assert created.tracking_number == "XY123456789FR"
    assert created.label_pdf.startswith(b"%PDF")
    sent = carrier.requests_to("POST", SHIPPING)[0]
    assert _operation(sent) == "{http://cxf.shipping.soap.chronopost.fr/}shippingMultiParcelV5"
    fields = _fields(sent)
    assert fields["accountNumber"] == "19869502" and fields["password"] == "255562"
    assert fields["weight"] == "1.25" and fields["weightUnit"] == "KGM"
    assert fields["productCode"] == "01"  # Chrono 13
    assert fields["recipientZipCode"] == "29200" and fields["recipientCity"] == "Brest"
    assert fields["shipDate"].startswith("2026-03-02")
    assert fields["mode"] == "PDF"


def test_relay_parcel_carries_its_point_and_zpl_mode(carrier: CarrierServer) -> None:
    carrier.answer("POST", SHIPPING, fixture="chronopost/shipping_zpl.xml")
    created = build(_account(carrier.url, zpl=True)).create_shipment(
        parcel("chrono_relais", relay_point="2994R")
    )
    assert created.label_zpl.startswith(b"^XA") and created.label_pdf == b""
    fields = _fields(carrier.requests_to("POST", SHIPPING)[0])
    assert fields["recipientRef"] == "2994R"
    assert fields["productCode"] == "86"
    assert fields["mode"] == "Z2D"


def test_relay_service_without_point_is_refused_before_calling(carrier: CarrierServer) -> None:
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("chrono_relais"))
    assert caught.value.field == "relay_point"
    assert carrier.received == []


def test_refused_postcode_names_our_field(carrier: CarrierServer) -> None:
    carrier.answer("POST", SHIPPING, fixture="chronopost/shipping_bad_postcode.xml")
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).create_shipment(parcel("chrono13"))
    assert caught.value.field == "recipient.postcode"


def test_cancel_and_cancel_unknown(carrier: CarrierServer) -> None:
    carrier.answer("POST", TRACKING, fixture="chronopost/cancel.xml")
    gateway = build(_account(carrier.url))
    gateway.cancel("XY123456789FR")
    sent = carrier.requests_to("POST", TRACKING)[0]
    assert _operation(sent) == "{http://cxf.tracking.soap.chronopost.fr/}cancelSkybill"
    assert _fields(sent)["skybillNumber"] == "XY123456789FR"
    carrier.answer("POST", TRACKING, fixture="chronopost/cancel_unknown.xml")
    with pytest.raises(NotFound):
        gateway.cancel("XY000000000FR")


def test_tracking_events_mapped_with_their_times(carrier: CarrierServer) -> None:
    carrier.answer("POST", TRACKING, fixture="chronopost/track.xml")
    events = build(_account(carrier.url)).fetch_events("XY123456789FR")
    assert [e.status for e in events] == [
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.PICKED_UP,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert events[-1].occurred_at.isoformat() == "2026-03-03T10:42:00+00:00"
    assert events[-1].location == "Brest Agence"
    fields = _fields(carrier.requests_to("POST", TRACKING)[0])
    assert fields["skybillNumber"] == "XY123456789FR"


def test_tracking_unknown_is_not_found(carrier: CarrierServer) -> None:
    carrier.answer("POST", TRACKING, fixture="chronopost/track_unknown.xml")
    with pytest.raises(NotFound):
        build(_account(carrier.url)).fetch_events("XY000000000FR")


def test_relay_search_nearest_first(carrier: CarrierServer) -> None:
    carrier.answer("POST", RELAY, fixture="chronopost/relay_search.xml")
    points = build(_account(carrier.url)).find_relay_points(
        postcode="29200", city="Brest", country="FR", limit=5
    )
    assert [p.point_id for p in points] == ["7731C", "2994R"]
    locker, relay = points
    assert locker.kind == "locker" and relay.kind == "relay"
    assert locker.lat == pytest.approx(48.3905) and relay.distance_m == 820
    assert "09:00-12:00" in relay.opening_hours
    sent = carrier.requests_to("POST", RELAY)[0]
    assert (
        _operation(sent) == "{http://cxf.rechercheBt.soap.chronopost.fr/}recherchePointChronopost"
    )
    fields = _fields(sent)
    assert (fields["zipCode"], fields["city"], fields["countryCode"]) == ("29200", "Brest", "FR")
    assert fields["maxPointChronopost"] == "5" and fields["accountNumber"] == "19869502"


def test_soap_fault_is_an_answer_not_retried(carrier: CarrierServer) -> None:
    fault = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Unmarshalling Error: "
        "zipCode</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    )
    carrier.answer("POST", RELAY, fault, status=500)
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).find_relay_points(postcode="x", city="Brest", country="FR")
    assert caught.value.field == "recipient.postcode"
    assert len(carrier.requests_to("POST", RELAY)) == 1


def test_5xx_and_time_out_are_retried_then_unavailable(carrier: CarrierServer) -> None:
    carrier.answer("POST", SHIPPING, "<html>Bad gateway</html>", status=502)
    with pytest.raises(CarrierUnavailable):
        build(_account(carrier.url)).create_shipment(parcel("chrono13"))
    assert len(carrier.requests_to("POST", SHIPPING)) == 3
    carrier.answer("POST", TRACKING, fixture="chronopost/track.xml", delay=1.0)
    with pytest.raises(CarrierUnavailable):
        build(_account(carrier.url)).fetch_events("XY123456789FR")
    assert len(carrier.requests_to("POST", TRACKING)) == 3


def test_return_label_uses_the_return_product_and_a_pdf(carrier: CarrierServer) -> None:
    from tests.integration.carriers.conftest import CUSTOMER, WAREHOUSE

    carrier.answer("POST", SHIPPING, fixture="chronopost/return.xml")
    back = parcel("chrono13", sender=CUSTOMER, recipient=WAREHOUSE)
    created = build(_account(carrier.url, zpl=True)).create_return(back)
    assert created.tracking_number == "XR987654321FR"
    assert created.label_pdf.startswith(b"%PDF") and created.label_zpl == b""
    sent = carrier.requests_to("POST", SHIPPING)[0]
    assert _operation(sent) == "{http://cxf.shipping.soap.chronopost.fr/}shippingMultiParcelV5"
    fields = _fields(sent)
    assert fields["productCode"] == "4T"  # Chrono 13 return
    assert fields["mode"] == "PDF"  # the customer prints it at home, even for a ZPL account
    assert fields["shipperZipCode"] == "29200" and fields["recipientZipCode"] == "69007"
    assert fields["weight"] == "1.25"


def test_chrono18_return_product(carrier: CarrierServer) -> None:
    from tests.integration.carriers.conftest import CUSTOMER, WAREHOUSE

    carrier.answer("POST", SHIPPING, fixture="chronopost/return.xml")
    build(_account(carrier.url)).create_return(
        parcel("chrono18", sender=CUSTOMER, recipient=WAREHOUSE)
    )
    assert _fields(carrier.requests_to("POST", SHIPPING)[0])["productCode"] == "4U"


def test_quickcost_rates_tax_excluded_per_service(carrier: CarrierServer) -> None:
    carrier.answer("POST", QUICKCOST, fixture="chronopost/quickcost.xml")
    quotes = build(_account(carrier.url)).quote(parcel("chrono13"))
    assert {(q.service, q.price_cents) for q in quotes} == {
        ("chrono13", 1430),
        ("chrono18", 1210),
        ("chrono_relais", 690),
    }  # a product priced 0 is not offered
    sent = carrier.requests_to("POST", QUICKCOST)[0]
    assert _operation(sent) == "{http://cxf.quickcost.soap.chronopost.fr/}calculateProducts"
    fields = _fields(sent)
    assert fields["accountNumber"] == "19869502" and fields["password"] == "255562"
    assert (fields["depZipCode"], fields["arrZipCode"]) == ("69007", "29200")
    assert fields["weight"] == "1.25" and fields["type"] == "M"


def test_quickcost_refused_postcode_names_our_field(carrier: CarrierServer) -> None:
    carrier.answer("POST", QUICKCOST, fixture="chronopost/quickcost_bad_postcode.xml")
    with pytest.raises(ValidationError) as caught:
        build(_account(carrier.url)).quote(parcel("chrono13"))
    assert caught.value.field == "recipient.postcode"


def test_quickcost_429_gives_retry_after(carrier: CarrierServer) -> None:
    carrier.answer("POST", QUICKCOST, "", status=429, headers={"Retry-After": "20"})
    with pytest.raises(CarrierUnavailable) as caught:
        build(_account(carrier.url)).quote(parcel("chrono13"))
    assert caught.value.retry_after == 20.0
