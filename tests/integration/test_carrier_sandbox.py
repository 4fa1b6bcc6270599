"""The demo's carrier sandbox answers our real connectors with the carriers' documented shapes:
labels with fresh numbers, tracking that moves with time, relay search, cancel, returns."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from maillon.core.errors import NotFound
from maillon.core.identifiers import make_sscc
from maillon.delivery.relay import RelayIndex, RelayPoint
from maillon.demo.carriers import OPTIONS, SANDBOX_ACCOUNTS, DemoCarriers, start_demo_carriers
from maillon.shipping.carriers import AccountMode, CarrierAccount, LabelFormat, ShipmentRequest
from maillon.shipping.labels import Address
from maillon.shipping.model import TrackingStatus

WAREHOUSE = Address(
    name="Entrepot Maillon", lines=("12 rue des Entrepots",), postcode="69007", city="Lyon",
    country="FR",
)  # fmt: skip
CUSTOMER = Address(
    name="Claire Martin", lines=("3 rue de Siam",), postcode="29200", city="Brest", country="FR"
)
POINTS = (
    RelayPoint(id="066974", network="mondial_relay", name="Librairie du Port",
               address="12 rue de Siam", postcode="29200", city="Brest", lat=48.3904,
               lon=-4.4860, opening_hours="Mo-Sa 09:00-19:00", kind="relay", country="FR"),
    RelayPoint(id="071245", network="mondial_relay", name="Locker Gare", address="Place de la Gare",
               postcode="29200", city="Brest", lat=48.3880, lon=-4.4795,
               opening_hours="Mo-Su 00:00-24:00", kind="locker", country="FR"),
    RelayPoint(id="2994R", network="chronopost", name="Tabac Siam", address="45 rue de Siam",
               postcode="29200", city="Brest", lat=48.3897, lon=-4.4861,
               opening_hours="Mo-Sa 09:00-19:00", kind="relay", country="FR"),
    RelayPoint(id="293310", network="colissimo", name="Tabac de la Gare",
               address="12 place de la Gare", postcode="29200", city="Brest", lat=48.3880,
               lon=-4.4795, opening_hours="Mo-Sa 07:30-19:00", kind="relay", country="FR"),
)  # fmt: skip
NUMBERS = {
    "colissimo": r"^6A\d{11}$",
    "chronopost": r"^XR\d{9}FR$",
    "mondial_relay": r"^\d{8}$",
}
SERVICES = {"colissimo": "domicile", "chronopost": "chrono13", "mondial_relay": "domicile"}
RELAY = {"colissimo": "293310", "chronopost": "2994R", "mondial_relay": "066974"}
RELAY_SERVICE = {
    "colissimo": "point_retrait",
    "chronopost": "chrono_relais",
    "mondial_relay": "point_relais",
}


@pytest.fixture
def sandbox() -> Iterator[DemoCarriers]:
    running = start_demo_carriers()
    running.state.points = RelayIndex(POINTS)
    try:
        yield running
    finally:
        running.close()


def _gateway(sandbox: DemoCarriers, carrier: str, label_format: LabelFormat = LabelFormat.PDF):
    connector, credentials = SANDBOX_ACCOUNTS[carrier]
    account = CarrierAccount(
        carrier=carrier,
        connector=connector,
        mode=AccountMode.SANDBOX,
        credentials=credentials,
        base_url=sandbox.url,
        label_format=label_format,
        options=dict(OPTIONS),
    )
    return sandbox.connector(account)


def _request(service: str, *, relay: str | None = None, serial: int = 1) -> ShipmentRequest:
    return ShipmentRequest(
        sscc=make_sscc(0, "3760000", serial),
        service=service,
        sender=WAREHOUSE,
        recipient=CUSTOMER,
        weight_g=1250,
        ship_date=date(2026, 3, 2),
        order_reference="MA-1001",
        relay_point=relay,
    )


@pytest.mark.parametrize("carrier", sorted(NUMBERS))
def test_a_shipment_gets_a_fresh_number_and_its_own_label(
    sandbox: DemoCarriers, carrier: str
) -> None:
    gateway = _gateway(sandbox, carrier)
    first = gateway.create_shipment(_request(SERVICES[carrier], serial=1))
    second = gateway.create_shipment(_request(SERVICES[carrier], serial=2))
    assert re.match(NUMBERS[carrier], first.tracking_number)
    assert first.tracking_number != second.tracking_number
    assert first.label_pdf.startswith(b"%PDF") and first.label_pdf.rstrip().endswith(b"%%EOF")
    stored = sandbox.state.parcels[first.tracking_number]
    assert stored.carrier == carrier and stored.label == first.label_pdf
    zpl = _gateway(sandbox, carrier, LabelFormat.ZPL).create_shipment(_request(SERVICES[carrier]))
    assert zpl.label_zpl.startswith(b"^XA") and zpl.label_pdf == b""


@pytest.mark.parametrize("carrier", sorted(NUMBERS))
def test_a_relay_parcel_carries_its_point(sandbox: DemoCarriers, carrier: str) -> None:
    gateway = _gateway(sandbox, carrier)
    made = gateway.create_shipment(_request(RELAY_SERVICE[carrier], relay=RELAY[carrier]))
    assert sandbox.state.parcels[made.tracking_number].relay_point == RELAY[carrier]


@pytest.mark.parametrize("carrier", sorted(NUMBERS))
def test_tracking_moves_with_the_sandbox_clock(sandbox: DemoCarriers, carrier: str) -> None:
    shipped = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    sandbox.state.shipping_at = shipped
    number = _gateway(sandbox, carrier).create_shipment(_request(SERVICES[carrier])).tracking_number
    sandbox.state.now = lambda: shipped + timedelta(hours=3)
    early = _gateway(sandbox, carrier).fetch_events(number)
    assert [e.status for e in early] == [TrackingStatus.LABEL_CREATED, TrackingStatus.PICKED_UP]
    sandbox.state.now = lambda: shipped + timedelta(days=3)
    late = _gateway(sandbox, carrier).fetch_events(number)
    assert late[-1].status is TrackingStatus.DELIVERED and len(late) == 5
    assert late[0].occurred_at == shipped
    assert {e.event_id for e in early} <= {e.event_id for e in late}  # replays keep their ids
    with pytest.raises(NotFound):
        _gateway(sandbox, carrier).fetch_events("6A00000000000" if carrier != "colissimo" else "X")


@pytest.mark.parametrize("carrier", sorted(NUMBERS))
def test_relay_search_answers_the_network_nearest_first(
    sandbox: DemoCarriers, carrier: str
) -> None:
    points = _gateway(sandbox, carrier).find_relay_points(
        postcode="29200", city="Brest", country="FR", limit=5
    )
    assert points and {p.point_id for p in points} <= {p.id for p in POINTS if p.network == carrier}
    assert all(p.carrier == carrier and p.lat and p.distance_m is not None for p in points)
    assert [p.distance_m for p in points] == sorted(p.distance_m or 0 for p in points)
    if carrier == "mondial_relay":
        assert {p.kind for p in points} == {"relay", "locker"}
    assert "relay_search" in {op for c, op, _w in sandbox.state.calls if c == carrier}


@pytest.mark.parametrize("carrier", sorted(NUMBERS))
def test_return_labels_and_cancel(sandbox: DemoCarriers, carrier: str) -> None:
    gateway = _gateway(sandbox, carrier)
    back = gateway.create_return(
        ShipmentRequest(
            sscc=make_sscc(9, "3760000", 5),
            service=SERVICES[carrier],
            sender=CUSTOMER,
            recipient=WAREHOUSE,
            weight_g=800,
            ship_date=date(2026, 3, 9),
            order_reference="MA-1001",
        )
    )
    assert back.label_pdf.startswith(b"%PDF")
    assert sandbox.state.parcels[back.tracking_number].returning
    made = gateway.create_shipment(_request(SERVICES[carrier]))
    gateway.cancel(made.tracking_number)  # never scanned: nothing to pay
    if carrier == "chronopost":
        assert sandbox.state.parcels[made.tracking_number].cancelled


def test_chronopost_quotes_grow_with_the_weight(sandbox: DemoCarriers) -> None:
    gateway = _gateway(sandbox, "chronopost")
    light = {q.service: q.price_cents for q in gateway.quote(_request("chrono13"))}
    heavy_request = dataclasses.replace(_request("chrono13"), weight_g=5000)
    heavy = {q.service: q.price_cents for q in gateway.quote(heavy_request)}
    assert {"chrono13", "chrono_relais"} <= set(light)
    assert all(heavy[s] > light[s] > 0 for s in light)
