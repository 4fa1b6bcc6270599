"""A shipment's cost at ship time: the carrier's own quote when its connector quotes rates
(Chronopost's Quickcost on a local server answering its documented body), the rate card when
the carrier's API fails, the shipment bought either way and the source recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.orders.choice import DeliveryChoice, DeliveryMethod
from maillon.shipping import rates
from maillon.shipping import service as shipping
from maillon.shipping.service import quoting
from maillon.shipping.tables import Shipment
from tests.helpers import packed_order
from tests.helpers.carriers import CarrierServer, running_carrier

Auth = dict[str, dict[str, str]]
SHIPPING = "/shipping-cxf/ShippingServiceWS"
QUICKCOST = "/quickcost-cxf/QuickcostServiceWS"
EXPRESS = DeliveryChoice(method=DeliveryMethod.EXPRESS, carrier="chronopost", service="chrono13")


@pytest.fixture
def server() -> Iterator[CarrierServer]:
    with running_carrier() as s:
        yield s


@pytest.fixture
def chronopost(client: TestClient, seeded: Database, auth: Auth, server: CarrierServer) -> None:
    with seeded.transaction() as s:
        shipping.sync_carriers(session=s)
    r = client.put(
        "/api/v1/carrier-accounts/chronopost",
        json={
            "connector": "chronopost",
            "mode": "sandbox",
            "credentials": {"account_number": "19869502", "password": "255562"},
            "base_url": server.url,
            "options": {"backoff": "0", "timeout": "0.5", "retries": "1"},
        },
        headers=auth["admin"],
    )
    assert r.status_code == 200, r.text
    server.answer("POST", SHIPPING, fixture="chronopost/shipping.xml")


def _ship(client: TestClient, db: Database, auth: Auth, number: str) -> dict:
    r = client.post(
        f"/api/v1/orders/{number}/ship",
        json={"carrier": "chronopost", "service": "chrono13"},
        headers=auth["operator"],
    )
    assert r.status_code == 200, r.text
    with db.reader() as s:
        shipment = s.scalar(
            select(Shipment).where(Shipment.service_code.is_not(None)).order_by(Shipment.id.desc())
        )
        assert shipment is not None
        got = client.get(f"/api/v1/shipments/{shipment.id}", headers=auth["operator"])
    assert got.status_code == 200, got.text
    return dict(got.json())


def _card_cents(weight_g: int, length: int, width: int, height: int, value: int) -> int:
    card = quoting.card_for("chronopost")
    assert card is not None
    quoted = rates.quote(
        card,
        card.service("chrono13"),
        rates.RateParcel(weight_g, length, width, height, value),
        rates.Destination("FR", "69002"),
    )
    assert isinstance(quoted, rates.Quote)
    return quoted.total_cents


@pytest.mark.usefixtures("chronopost")
def test_the_carrier_quote_prices_the_shipment(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    server.answer("POST", QUICKCOST, fixture="chronopost/quickcost.xml")
    got = _ship(client, seeded, auth, packed_order(seeded, delivery=EXPRESS))
    assert (got["quoted_cents"], got["quoted_source"]) == (1430, "carrier_api")
    assert got["service_code"] == "chrono13" and got["parcels"][0]["tracking_number"]
    [asked] = server.requests_to("POST", QUICKCOST)
    assert b"<arrZipCode>69002</arrZipCode>" in asked.body
    # the label was bought for the service's code, the product Chronopost knows
    [bought] = server.requests_to("POST", SHIPPING)
    assert b"<productCode>01</productCode>" in bought.body


@pytest.mark.usefixtures("chronopost")
def test_a_failing_quote_falls_back_to_the_rate_card_and_still_ships(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    server.answer("POST", QUICKCOST, {"error": "down"}, status=503)
    got = _ship(client, seeded, auth, packed_order(seeded, delivery=EXPRESS))
    assert got["quoted_source"] == "rate_card"
    [parcel] = got["parcels"]
    with seeded.reader() as s:
        shipment = s.get(Shipment, got["id"])
        assert shipment is not None
        order_value = orders.get_order(session=s, number=got["order"]).total_cents
    card = _card_cents(
        parcel["weight_g"], parcel["length_mm"], parcel["width_mm"], parcel["height_mm"],
        max(order_value, 0),
    )  # fmt: skip
    assert got["quoted_cents"] == card != 1430
    assert len(server.requests_to("POST", QUICKCOST)) == 2  # retried once, then the card
    assert got["parcels"][0]["tracking_number"]


def test_a_carrier_without_an_api_is_priced_on_its_card(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    r = client.post(
        f"/api/v1/orders/{packed_order(seeded)}/ship",
        json={"carrier": "colissimo"},
        headers=auth["operator"],
    )
    assert r.status_code == 200, r.text
    with seeded.reader() as s:
        shipment = s.scalar(select(Shipment))
        assert shipment is not None
        assert shipment.quoted_source == "rate_card" and shipment.quoted_cents
