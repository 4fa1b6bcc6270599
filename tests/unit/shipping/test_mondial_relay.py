"""Mondial Relay's connector against a local server answering Mondial Relay's documented
bodies: the exact requests we send (fields, units, the MD5 ``Security`` signature) and what
we make of their answers and errors."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from maillon.core.errors import Conflict, NotFound, ValidationError
from maillon.shipping import connectors
from maillon.shipping.carriers import (
    Capability,
    CarrierAccount,
    CarrierUnavailable,
    LabelFormat,
    ShipmentRequest,
)
from maillon.shipping.connectors.mondial_relay import MondialRelayGateway
from maillon.shipping.labels import Address
from maillon.shipping.model import TrackingStatus
from tests.helpers.carriers import DATA, CarrierServer, carrier_fixture, running_carrier

CREDENTIALS = {
    "enseigne": "BDTEST13",
    "private_key": "PrivateK",
    "login": "BDTEST@business-api.mondialrelay.com",
    "password": "s3cret",
}
SOAP = "/Web_Services.asmx"
CONNECT = "/api/shipment"
LABEL = "/ww2/PDF/StickerMaker2.aspx"
WAREHOUSE = Address(
    name="Entrepôt Maillon",
    lines=("12 rue des Entrepôts",),
    postcode="69007",
    city="Lyon",
    country="FR",
    phone="04 72 00 00 00",
)
CUSTOMER = Address(
    name="Claire Martin",
    lines=("3 rue Émile Zola", "Appartement 4"),
    postcode="29200",
    city="Brest",
    country="FR",
    phone="+33 6 12 34 56 78",
)


def sscc(n: int) -> str:
    body = f"0376000000000{n:04d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str(-total % 10)


def request(**changes: object) -> ShipmentRequest:
    fields: dict[str, object] = {
        "sscc": sscc(1),
        "service": "point_relais",
        "sender": WAREHOUSE,
        "recipient": CUSTOMER,
        "weight_g": 1250,
        "ship_date": date(2026, 3, 2),
        "order_reference": "SO-1042",
        "relay_point": "066974",
    }
    fields.update(changes)
    return ShipmentRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with running_carrier() as server:
        yield server


def gateway(
    server: CarrierServer, *, label_format: LabelFormat = LabelFormat.PDF, **kw: object
) -> tuple[MondialRelayGateway, list[float]]:
    waits: list[float] = []
    account = CarrierAccount(
        carrier="mondial_relay",
        connector="mondial_relay",
        credentials=CREDENTIALS,
        base_url=server.url,
        label_format=label_format,
    )
    options: dict[str, object] = {"sleep": waits.append, **kw}
    return MondialRelayGateway(account, **options), waits  # type: ignore[arg-type]


def xml(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    for node in root.iter():  # drop namespaces: compare local names
        node.tag = node.tag.rsplit("}", 1)[-1]
    return root


def soap_params(body: bytes, method: str) -> list[tuple[str, str]]:
    call = xml(body).find(f"Body/{method}")
    assert call is not None
    return [(child.tag, child.text or "") for child in call]


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


# ------------------------------------------------------------------------- shipments


def test_a_relay_shipment_sends_the_documented_request_and_returns_the_pdf(
    carrier: CarrierServer,
) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_created_pdf.xml"))
    pdf = (DATA / "mondial_relay" / "label.pdf").read_bytes()
    carrier.answer("GET", LABEL, pdf, content_type="application/pdf")
    mr, _ = gateway(carrier)

    created = mr.create_shipment(request())

    assert created.tracking_number == "96408887"
    assert created.label_pdf == pdf and created.label_zpl == b""
    (sent,) = carrier.requests_to("POST", CONNECT)
    assert sent.headers["content-type"] == "text/xml"
    assert sent.headers["accept"] == "application/xml"
    root = xml(sent.body)
    assert [(c.tag, c.text) for c in root.find("Context")] == [  # type: ignore[union-attr]
        ("Login", "BDTEST@business-api.mondialrelay.com"),
        ("Password", "s3cret"),
        ("CustomerId", "BDTEST13"),
        ("Culture", "fr-FR"),
        ("VersionAPI", "1.0"),
    ]
    assert root.findtext("OutputOptions/OutputType") == "PdfUrl"
    assert root.findtext("OutputOptions/OutputFormat") == "10x15"
    shipment = root.find("ShipmentsList/Shipment")
    assert shipment is not None
    assert shipment.findtext("OrderNo") == "SO-1042"
    assert shipment.findtext("ParcelCount") == "1"
    assert shipment.find("DeliveryMode").attrib == {"Mode": "24R", "Location": "FR-066974"}  # type: ignore[union-attr]
    assert shipment.find("CollectionMode").attrib == {"Mode": "CCC", "Location": ""}  # type: ignore[union-attr]
    assert shipment.find("Parcels/Parcel/Weight").attrib == {"Value": "1250", "Unit": "gr"}  # type: ignore[union-attr]
    to = shipment.find("Recipient/Address")
    assert to is not None
    assert to.findtext("AddressAdd1") == "CLAIRE MARTIN"
    assert to.findtext("Streetname") == "3 RUE EMILE ZOLA"
    assert to.findtext("AddressAdd3") == "APPARTEMENT 4"
    assert (to.findtext("PostCode"), to.findtext("City")) == ("29200", "BREST")
    assert (to.findtext("CountryCode"), to.findtext("PhoneNo")) == ("FR", "612345678")
    sender = shipment.find("Sender/Address")
    assert sender is not None and sender.findtext("Streetname") == "12 RUE DES ENTREPOTS"
    assert sender.findtext("PhoneNo") == "472000000"
    (label,) = carrier.requests_to("GET", LABEL)
    assert "expedition=96408887" in label.query


def test_a_zpl_account_gets_the_thermal_label(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_created_zpl.xml"))
    mr, _ = gateway(carrier, label_format=LabelFormat.ZPL)

    created = mr.create_shipment(request(service="locker", relay_point="071245"))

    zpl = (DATA / "mondial_relay" / "label.zpl").read_bytes()
    assert created.tracking_number == "96408888"
    assert created.label_zpl == zpl and created.label_pdf == b""
    assert created.label_zpl.startswith(b"^XA") and created.label_zpl.rstrip().endswith(b"^XZ")
    root = xml(carrier.requests_to("POST", CONNECT)[0].body)
    assert root.findtext("OutputOptions/OutputType") == "ZplCode"
    assert root.findtext("OutputOptions/OutputFormat") == "Generic_ZPL_10x15_200dpi"
    assert root.find("ShipmentsList/Shipment/DeliveryMode").attrib["Location"] == "FR-071245"  # type: ignore[union-attr]
    assert not carrier.requests_to("GET", LABEL)


def test_home_delivery_goes_without_a_relay_point(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_created_zpl.xml"))
    mr, _ = gateway(carrier, label_format=LabelFormat.ZPL)

    mr.create_shipment(request(service="domicile", relay_point=None))

    root = xml(carrier.requests_to("POST", CONNECT)[0].body)
    assert root.find("ShipmentsList/Shipment/DeliveryMode").attrib == {
        "Mode": "HOM",
        "Location": "",
    }  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"relay_point": None}, "relay_point"),  # a relay delivery needs the chosen point
        ({"relay_point": "FR-66974"}, "relay_point"),  # not a Mondial Relay number
        ({"service": "domicile"}, "relay_point"),  # a home delivery with a relay point
        ({"service": "express_13h"}, "service"),
    ],
)
def test_bad_requests_are_refused_before_calling_mondial_relay(
    carrier: CarrierServer, changes: dict[str, object], field: str
) -> None:
    mr, _ = gateway(carrier)
    with pytest.raises(ValidationError) as err:
        mr.create_shipment(request(**changes))
    assert [e.field for e in err.value.errors] == [field]
    assert carrier.received == []


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        ("shipment_error_postcode.xml", "recipient.postcode"),
        ("shipment_error_location.xml", "relay_point"),
        ("shipment_error_login.xml", "credentials.password"),
    ],
)
def test_their_numbered_errors_name_our_field(
    carrier: CarrierServer, fixture: str, field: str
) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture(f"mondial_relay/{fixture}"))
    mr, waits = gateway(carrier)
    with pytest.raises(ValidationError) as err:
        mr.create_shipment(request())
    assert [e.field for e in err.value.errors] == [field]
    assert len(carrier.requests_to("POST", CONNECT)) == 1 and waits == []  # not retried


def test_their_service_error_is_retried_then_unavailable(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_error_critical.xml"))
    mr, waits = gateway(carrier, attempts=3, backoff=0.5)
    with pytest.raises(CarrierUnavailable, match="99999"):
        mr.create_shipment(request())
    assert len(carrier.requests_to("POST", CONNECT)) == 3
    assert waits == [0.5, 1.0]


def test_a_5xx_is_retried_and_the_next_answer_used(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, "Service Unavailable", status=503, content_type="text/plain")
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_created_zpl.xml"))
    mr, waits = gateway(carrier, label_format=LabelFormat.ZPL, backoff=0.25)
    assert mr.create_shipment(request()).tracking_number == "96408888"
    assert len(carrier.requests_to("POST", CONNECT)) == 2 and waits == [0.25]


def test_a_time_out_is_retried_a_bounded_number_of_times(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_created_zpl.xml"),
                   delay=1.0)  # fmt: skip
    mr, waits = gateway(carrier, attempts=2, timeout=0.2)
    with pytest.raises(CarrierUnavailable, match="after 2 tries"):
        mr.create_shipment(request())
    assert len(waits) == 1


def test_a_429_is_unavailable_at_once_with_its_retry_after(carrier: CarrierServer) -> None:
    carrier.answer("POST", SOAP, "", status=429, headers={"Retry-After": "30"})
    mr, waits = gateway(carrier)
    with pytest.raises(CarrierUnavailable) as err:
        mr.fetch_events("96408887")
    assert err.value.retry_after == 30.0 and waits == []
    assert len(carrier.requests_to("POST", SOAP)) == 1


def test_a_return_label_is_collected_at_a_relay_and_delivered_to_the_merchant(
    carrier: CarrierServer,
) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_created_zpl.xml"))
    mr, _ = gateway(carrier, label_format=LabelFormat.ZPL)

    created = mr.create_return(request(sender=CUSTOMER, recipient=WAREHOUSE))

    assert created.tracking_number == "96408888"
    shipment = xml(carrier.requests_to("POST", CONNECT)[0].body).find("ShipmentsList/Shipment")
    assert shipment is not None
    assert shipment.find("CollectionMode").attrib == {"Mode": "REL", "Location": "FR-066974"}  # type: ignore[union-attr]
    assert shipment.find("DeliveryMode").attrib == {"Mode": "LCC", "Location": ""}  # type: ignore[union-attr]
    assert shipment.findtext("Sender/Address/AddressAdd1") == "CLAIRE MARTIN"
    assert shipment.findtext("Recipient/Address/City") == "LYON"


def test_a_return_address_error_names_the_customer_who_sends(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, carrier_fixture("mondial_relay/shipment_error_postcode.xml"))
    mr, _ = gateway(carrier)
    with pytest.raises(ValidationError) as err:
        mr.create_return(request(sender=CUSTOMER, recipient=WAREHOUSE))
    assert err.value.errors[0].field == "sender.postcode"


# ---------------------------------------------------------------------- relay search


def test_relay_search_is_signed_and_read(carrier: CarrierServer) -> None:
    carrier.answer("POST", SOAP, carrier_fixture("mondial_relay/point_search.xml"))
    mr, _ = gateway(carrier)

    points = mr.find_relay_points(postcode="29200", city="Brest", country="fr", limit=5)

    (sent,) = carrier.requests_to("POST", SOAP)
    assert sent.headers["soapaction"] == (
        '"http://www.mondialrelay.fr/webservice/WSI4_PointRelais_Recherche"'
    )
    assert sent.headers["content-type"] == "text/xml; charset=utf-8"
    params = soap_params(sent.body, "WSI4_PointRelais_Recherche")
    expected = [
        ("Enseigne", "BDTEST13"), ("Pays", "FR"), ("NumPointRelais", ""), ("Ville", ""),
        ("CP", "29200"), ("Latitude", ""), ("Longitude", ""), ("Taille", ""), ("Poids", ""),
        ("Action", "24R"), ("DelaiEnvoi", ""), ("RayonRecherche", "20"), ("TypeActivite", ""),
        ("NACE", ""), ("NombreResultats", "5"),
    ]  # fmt: skip
    assert params[:-1] == expected
    assert params[-1] == ("Security", md5("BDTEST13FR2920024R205PrivateK"))
    relay, locker = points
    assert (relay.point_id, relay.name, relay.line1) == ("066974", "LIBRAIRIE DU PORT",
                                                         "12 RUE DE SIAM")  # fmt: skip
    assert (relay.postcode, relay.city, relay.country, relay.kind) == (
        "29200", "BREST", "FR", "relay"
    )  # fmt: skip
    assert relay.lat == pytest.approx(48.39043) and relay.lon == pytest.approx(-4.48604)
    assert relay.opening_hours == "Tu-Fr 09:00-12:30,14:00-19:00; Sa 09:00-12:30"
    assert relay.distance_m == 350 and relay.carrier == "mondial_relay"
    assert (locker.point_id, locker.kind) == ("071245", "locker")
    assert locker.opening_hours == "Mo-Su 00:00-24:00"


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        ("point_search_invalid_postcode.xml", "postcode"),
        ("point_search_invalid_security.xml", "credentials.private_key"),
    ],
)
def test_relay_search_stat_codes_name_our_field(
    carrier: CarrierServer, fixture: str, field: str
) -> None:
    carrier.answer("POST", SOAP, carrier_fixture(f"mondial_relay/{fixture}"))
    mr, _ = gateway(carrier)
    with pytest.raises(ValidationError) as err:
        mr.find_relay_points(postcode="00000", city="", country="FR")
    assert [e.field for e in err.value.errors] == [field]


def test_a_soap_fault_is_retried_then_unavailable(carrier: CarrierServer) -> None:
    carrier.answer("POST", SOAP, carrier_fixture("mondial_relay/soap_fault.xml"), status=500)
    mr, waits = gateway(carrier, attempts=2)
    with pytest.raises(CarrierUnavailable, match="HTTP 500"):
        mr.find_relay_points(postcode="29200", city="", country="FR")
    assert len(carrier.requests_to("POST", SOAP)) == 2 and len(waits) == 1


# -------------------------------------------------------------------------- tracking


def test_tracking_maps_their_events_to_our_statuses(carrier: CarrierServer) -> None:
    carrier.answer("POST", SOAP, carrier_fixture("mondial_relay/tracing_delivered.xml"))
    mr, _ = gateway(carrier)

    events = mr.fetch_events("96408887")

    assert [e.status for e in events] == [
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert events[0].occurred_at == datetime(2026, 3, 2, 16, 12, tzinfo=UTC)  # 17:12 in Paris
    assert events[-1].location == "BREST"
    assert events[-1].description == "COLIS LIVRÉ AU DESTINATAIRE"
    assert len({e.event_id for e in events}) == 5
    assert [e.event_id for e in mr.fetch_events("96408887")] == [e.event_id for e in events]
    params = soap_params(carrier.requests_to("POST", SOAP)[0].body, "WSI2_TracingColisDetaille")
    assert params == [
        ("Enseigne", "BDTEST13"),
        ("Expedition", "96408887"),
        ("Langue", "FR"),
        ("Security", md5("BDTEST1396408887FRPrivateK")),
    ]


def test_an_unknown_parcel_is_not_found(carrier: CarrierServer) -> None:
    carrier.answer("POST", SOAP, carrier_fixture("mondial_relay/tracing_unknown.xml"))
    mr, _ = gateway(carrier)
    with pytest.raises(NotFound):
        mr.fetch_events("00000000")


def test_cancel_is_a_no_op_until_scanned_then_a_conflict(carrier: CarrierServer) -> None:
    carrier.answer("POST", SOAP, carrier_fixture("mondial_relay/tracing_recorded.xml"))
    mr, _ = gateway(carrier)
    mr.cancel("96408887")  # recorded only: the unscanned label is void, nothing billed
    carrier.answer("POST", SOAP, carrier_fixture("mondial_relay/tracing_delivered.xml"))
    with pytest.raises(Conflict, match="already in Mondial Relay's network"):
        mr.cancel("96408887")


# -------------------------------------------------------------------------- registry


def test_the_connector_is_registered_with_its_credentials_and_capabilities() -> None:
    connector = connectors.known()["mondial_relay"]
    assert connector.required_credentials == ("enseigne", "private_key", "login", "password")
    assert Capability.ZPL in connector.capabilities
    assert Capability.RATES not in connector.capabilities
    missing = CarrierAccount(carrier="mondial_relay", connector="mondial_relay",
                             credentials={"enseigne": "BDTEST13"})  # fmt: skip
    with pytest.raises(ValidationError) as err:
        connectors.build(missing)
    assert {e.field for e in err.value.errors} == {
        "credentials.private_key", "credentials.login", "credentials.password"
    }  # fmt: skip
    built = connectors.build(
        CarrierAccount(carrier="mondial_relay", connector="mondial_relay", credentials=CREDENTIALS)
    )
    assert isinstance(built, MondialRelayGateway)
    assert built.connect_url == "https://connect-api-sandbox.mondialrelay.com/api/shipment"


def test_the_accounts_retry_options_are_read(carrier: CarrierServer) -> None:
    carrier.answer("POST", CONNECT, "Service Unavailable", status=503, content_type="text/plain")
    account = CarrierAccount(
        carrier="mondial_relay",
        connector="mondial_relay",
        credentials=CREDENTIALS,
        base_url=carrier.url,
        options={"retries": "0", "timeout": "2"},
    )
    with pytest.raises(CarrierUnavailable):
        connectors.build(account).create_shipment(request())
    assert len(carrier.requests_to("POST", CONNECT)) == 1  # no retry asked, none made
    bad = CarrierAccount(
        carrier="mondial_relay",
        connector="mondial_relay",
        credentials=CREDENTIALS,
        options={"retries": "many"},
    )
    with pytest.raises(ValidationError) as err:
        connectors.build(bad)
    assert err.value.errors[0].field == "options"
