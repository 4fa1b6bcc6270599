"""Shared parcels of the carrier contract tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from maillon.shipping.carriers import ShipmentRequest
from maillon.shipping.labels import Address
from tests.helpers.carriers import CarrierServer, running_carrier

WAREHOUSE = Address(
    name="Maillon Entrepot",
    lines=("12 rue des Docks",),
    postcode="69007",
    city="Lyon",
    country="FR",
    phone="0472000000",
)
CUSTOMER = Address(
    name="Claire Martin",
    lines=("8 avenue Jean Jaures", "Batiment B"),
    postcode="29200",
    city="Brest",
    country="FR",
    phone="0611223344",
)


def parcel(service: str, *, recipient: Address = CUSTOMER, **kw: object) -> ShipmentRequest:
    """A 1.25 kg parcel from the warehouse to ``recipient``."""
    fields: dict[str, object] = {
        "sscc": "003456789012345675",
        "service": service,
        "sender": WAREHOUSE,
        "recipient": recipient,
        "weight_g": 1250,
        "ship_date": dt.date(2026, 3, 2),
        "order_reference": "CMD-1001",
    }
    fields.update(kw)
    return ShipmentRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with running_carrier() as server:
        yield server


FAST = {"timeout": "0.3", "retries": "2", "backoff": "0"}
"""Transport options of the tests: a short time-out, two retries, no wait between them."""
