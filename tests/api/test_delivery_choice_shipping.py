"""An order ships the way its customer chose: only services of the chosen method, a relay
point's own carrier and a label addressed to the point, no carrier for click & collect; the
tracking page and the shipping e-mail show the relay point, in French and English."""

from __future__ import annotations

import io
import itertools

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict
from maillon.core.tables import OutboxMessage
from maillon.delivery.relay import default_index
from maillon.delivery.service import collect
from maillon.inventory import service as inventory
from maillon.orders.choice import DeliveryChoice, DeliveryMethod, RelayPointChoice
from maillon.orders.model import AddressDraft
from maillon.shipping import rates
from maillon.shipping import service as shipping
from maillon.shipping.methods import service_kinds
from maillon.shipping.service import quoting
from maillon.shipping.tables import Shipment
from tests.helpers import packed_order

Auth = dict[str, dict[str, str]]
MR_LYON = RelayPointChoice("mondial_relay", "RP0129")
_numbers = itertools.count(1)


@pytest.fixture
def carriers(seeded: Database) -> Database:
    """The seeded business with every carrier of the example rate cards set up, and stock
    enough for many orders."""
    with seeded.transaction() as s:
        shipping.sync_carriers(session=s)
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A01-01", sku="MUG-01", quantity=500
        )
    return seeded


def _packed(db: Database, choice: DeliveryChoice) -> str:
    n = next(_numbers)  # each its own customer and address: many alike look like fraud
    address = AddressDraft(
        name="Camille Martin", line1=f"{n} rue de la République", postcode="69002", city="Lyon"
    )
    return packed_order(
        db, [("MUG-01", 1)], email=f"buyer{n}@example.fr", address=address, delivery=choice
    )


def _ship(db: Database, number: str, carrier: str | None = None, **kw: object) -> Shipment:
    with db.transaction() as s:
        (shipment,) = shipping.ship_order(
            session=s, number=number, carrier_code=carrier, actor="op", **kw
        )
        s.expunge(shipment)
        return shipment


def _kind(shipment: Shipment) -> rates.ServiceKind:
    card = quoting.card_for(shipment.carrier.code)
    assert card is not None and shipment.service_code is not None
    return card.service(shipment.service_code).kind


def test_a_home_order_never_ships_to_a_relay_point(carriers: Database) -> None:
    # the cheapest Colissimo service to Lyon is its relay service: never for a home order
    for carrier, policy in (("colissimo", rates.DEFAULT_POLICY), (None, rates.ShoppingPolicy())):
        number = _packed(carriers, DeliveryChoice())
        shipment = _ship(carriers, number, carrier, policy=policy)
        assert _kind(shipment) is rates.ServiceKind.STANDARD, shipment.service_code


def test_a_relay_order_ships_to_its_point_with_its_carrier(
    client: TestClient, carriers: Database, auth: Auth
) -> None:
    number = _packed(carriers, DeliveryChoice(DeliveryMethod.RELAY_POINT, relay_point=MR_LYON))
    with carriers.transaction() as s, pytest.raises(Conflict, match="ships with mondial_relay"):
        shipping.ship_order(session=s, number=number, carrier_code="dpd", actor="op")
    shipment = _ship(carriers, number)  # no carrier named: the point's own
    assert shipment.carrier.code == "mondial_relay"
    assert _kind(shipment) is rates.ServiceKind.RELAY_POINT
    sscc = shipment.parcels[0].sscc
    r = client.get(f"/api/v1/parcels/{sscc}/label.pdf", headers=auth["picker"])
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    # printed to the point, the customer as addressee, with the point's id
    assert "Relay point: RP0129" in text
    assert "Camille Martin" in text and "Fleuriste Lyon 05" in text
    assert "7 avenue Jean Jaurès" in text and "69005" in text
    assert "12 rue de la République" not in text  # not the home address


def test_click_and_collect_and_a_method_the_carrier_lacks_are_refused(
    carriers: Database,
) -> None:
    with carriers.transaction() as s:
        collect.set_store(session=s, warehouse_code="LYS1")
    number = _packed(carriers, DeliveryChoice(DeliveryMethod.CLICK_COLLECT, store="LYS1"))
    with carriers.transaction() as s, pytest.raises(Conflict, match="goes through no carrier"):
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="op")
    number = _packed(carriers, DeliveryChoice(DeliveryMethod.EXPRESS))
    with carriers.transaction() as s, pytest.raises(Conflict, match="colissimo has no express"):
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="op")
    with carriers.transaction() as s, pytest.raises(Conflict, match="relay_point service"):
        shipping.ship_order(
            session=s,
            number=number,
            carrier_code="colissimo",
            service_code="point_retrait",
            actor="op",
        )
    with carriers.reader() as s:  # nothing shipped
        assert s.scalar(select(Shipment.shipped_at).where(Shipment.carrier_id.is_not(None))) is None


@pytest.mark.parametrize(
    ("locale", "intro", "hours"),
    [
        ("fr", "Votre colis vous attendra dans ce point relais", "Horaires d'ouverture"),
        ("en", "Your parcel will wait for you at this relay point", "Opening hours"),
    ],
)
def test_the_shipping_email_and_tracking_page_show_the_relay_point(
    client: TestClient,
    carriers: Database,
    monkeypatch: pytest.MonkeyPatch,
    locale: str,
    intro: str,
    hours: str,
) -> None:
    monkeypatch.setenv("MAILLON_SHOP_LOCALE", locale)
    number = _packed(carriers, DeliveryChoice(DeliveryMethod.RELAY_POINT, relay_point=MR_LYON))
    shipment = _ship(carriers, number)
    with carriers.reader() as s:
        mail = s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.topic == "order.shipped", OutboxMessage.channel == "email"
            )
        )
    assert mail is not None and mail.payload["locale"] == locale
    for text in (mail.body or "", mail.html or ""):
        assert intro in text.replace("&#39;", "'")
        assert "Fleuriste Lyon 05" in text and "69005 Lyon 05" in text
    assert f"{hours} : Mo-Sa" in (mail.body or "") or f"{hours}: Mo-Sa" in (mail.body or "")
    tracking = shipment.parcels[0].tracking_number
    page = client.get(
        "/track",
        params={"number": tracking, "postcode": "69002"},
        headers={"Accept-Language": locale},
    )
    assert page.status_code == 200
    title = "Votre point relais" if locale == "fr" else "Your relay point"
    assert title in page.text and "Fleuriste Lyon 05" in page.text
    assert "Mo-Sa 08:30-20:00" in page.text


_SET_UP = ("colissimo", "chronopost", "mondial_relay", "relais_colis", "dpd", "gls", "colis_prive")
_POINTS = [p for p in default_index().points if p.network in _SET_UP]


@st.composite
def choices(draw: st.DrawFn) -> tuple[DeliveryChoice, str | None]:
    """A customer's choice and the carrier the operator names (None: rate shopping)."""
    method = draw(
        st.sampled_from(
            [
                DeliveryMethod.HOME,
                DeliveryMethod.EXPRESS,
                DeliveryMethod.RELAY_POINT,
                DeliveryMethod.APPOINTMENT,
            ]
        )
    )
    carrier = draw(st.none() | st.sampled_from(_SET_UP))
    if method is DeliveryMethod.RELAY_POINT:
        point = draw(st.sampled_from(_POINTS))
        relay = RelayPointChoice(point.network, point.id)
        return DeliveryChoice(method, relay_point=relay), draw(
            st.sampled_from([None, relay.carrier])
        )
    return DeliveryChoice(method), carrier


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picked=choices(),
    objective=st.sampled_from(list(rates.Objective)),
)
def test_the_shipped_service_is_always_of_the_chosen_method(
    carriers: Database, picked: tuple[DeliveryChoice, str | None], objective: rates.Objective
) -> None:
    choice, carrier = picked
    number = _packed(carriers, choice)
    kinds = service_kinds(choice.method)
    try:
        shipment = _ship(carriers, number, carrier, policy=rates.ShoppingPolicy(objective))
    except Conflict:
        # only when the carrier named has no service of that kind to Lyon
        assert carrier is not None
        card = quoting.card_for(carrier)
        assert card is not None
        shopped = rates.shop(
            [card],
            rates.RateParcel(350, 120, 90, 100, 1290),
            rates.Destination("FR", "69002"),
            ordered_at=clock.now(),
            policy=rates.ShoppingPolicy(kinds=kinds),
        )
        assert not shopped.quotes
        return
    assert _kind(shipment) in kinds
    if choice.relay_point is not None:
        assert shipment.carrier.code == choice.relay_point.carrier
