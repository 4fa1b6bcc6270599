"""How the demo's orders are delivered the way their customers chose: the carrier each
ships with, and click & collect (reserved in the store, linked to the order, collected)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from maillon.catalog.model import ProductSpec
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict, MaillonError, Unavailable, ValidationError
from maillon.delivery.relay import RelayIndex
from maillon.delivery.service import collect
from maillon.demo.generate import DemoCustomer, DemoOrder, choose_delivery
from maillon.orders import service as orders
from maillon.orders.choice import DeliveryChoice, DeliveryMethod
from maillon.orders.service import choices
from maillon.shipping import rates
from maillon.shipping import service as shipping
from maillon.shipping.service import quoting
from maillon.warehouse.cartons import estimate_parcel

# the demo's carriers and warehouses (maillon.demo.run): code first
CARRIER_CODES = ("colissimo", "chronopost", "mondial_relay", "dpd")
HOME_CARRIERS = ("colissimo", "mondial_relay", "dpd")
"""The demo carriers with a home (standard) service in France."""
EXPRESS_CARRIER = "chronopost"
STORES = [
    ("PAR1", 48.9333, 2.3),
    ("LYS1", 45.6956, 4.9439),
]
"""The click & collect stores (the demo's warehouses): code, latitude, longitude."""
STORE_HOURS = "Mo-Sa 09:00-19:00"


def choose_all(
    seed: int,
    plan: Sequence[DemoOrder],
    customers: Sequence[DemoCustomer],
    networks: Sequence[str],
    catalog: Sequence[ProductSpec],
    index: RelayIndex | None = None,
) -> list[DeliveryChoice]:
    """Return how each order's customer chose to be delivered (drawn with its own seed, so
    the rest of the demo draws as before) among the points of ``index`` (default: the points
    file). As at checkout, a relay network is offered only when one of its relay services can
    carry the cart's parcel to the customer."""
    chooser = np.random.default_rng(seed + 1)
    specs = {spec.sku: spec for spec in catalog}
    out = []
    for o in plan:
        customer = customers[o.customer]
        able = relay_networks(o.lines, specs, customer.postcode, networks)
        out.append(choose_delivery(chooser, customer, networks=able, stores=STORES, index=index))
    return out


def relay_networks(
    lines: Sequence[tuple[str, int]],
    specs: dict[str, ProductSpec],
    postcode: str,
    networks: Sequence[str],
) -> list[str]:
    """Return the ``networks`` with a relay service able to carry the cart (its parcel
    estimated with a margin for the real carton) to ``postcode``."""
    items = [
        (q, specs[sku].weight_g, specs[sku].length_mm, specs[sku].width_mm, specs[sku].height_mm)
        for sku, q in lines
    ]
    weight, length, width, height = estimate_parcel(items)
    parcel = rates.RateParcel(
        round(weight * 1.2) + 300, round(length * 1.2), round(width * 1.2), round(height * 1.2)
    )
    try:
        dest = rates.Destination("FR", postcode)
    except ValueError:
        return []
    return [
        card.carrier
        for card in quoting.rate_cards()
        if card.carrier in networks
        and any(
            svc.kind is rates.ServiceKind.RELAY_POINT
            and isinstance(rates.quote(card, svc, parcel, dest), rates.Quote)
            for svc in card.services
        )
    ]


def reserve_in_store(
    db: Database,
    choice: DeliveryChoice,
    lines: Sequence[tuple[str, int]],
    email: str,
    name: str,
    at: datetime,
) -> str | None:
    """Reserve the cart in the store the customer chose; None when the store lacks an item."""
    assert choice.store is not None
    try:
        with clock.frozen_at(at), db.transaction() as session:
            row = collect.reserve_collect(
                session=session, store_code=choice.store, lines=lines, email=email, name=name
            )
            return row.token
    except MaillonError:
        return None


def link_to_store(db: Database, number: str, token: str, at: datetime) -> datetime:
    """Link a click & collect order to its reservation; return when it is ready."""
    with clock.frozen_at(at + timedelta(seconds=5)), db.transaction() as session:
        row = collect.link_order(session=session, token=token, number=number, actor="checkout")
        return row.ready_at


def collect_later(
    db: Database, rng: np.random.Generator, token: str, ready: datetime, end: datetime
) -> None:
    """The customer collects the order in the store (no carrier, no parcel) a few hours to two
    days after it is ready, if before ``end``."""
    collected = ready + timedelta(hours=float(rng.uniform(3, 48)))
    if collected < end:
        with clock.frozen_at(collected), db.transaction() as session:
            collect.close_reservation(
                session=session, token=token, collected=True, actor="store:demo"
            )


def ship_as_chosen(
    db: Database, rng: np.random.Generator, number: str, at: datetime, carrier_p: np.ndarray
) -> tuple[str, list[str]] | None:
    """Ship the order the way its customer chose, with :func:`carrier_for`'s carrier, else
    (a parcel that carrier cannot take home) the best of the others; return the carrier and
    tracking numbers, or None when no carrier has a service of the method for it."""
    with db.reader() as session:
        order_id = orders.get_order(session=session, number=number).id
        choice = choices.choice_of(session=session, order_id=order_id)
    first = carrier_for(choice, rng, carrier_p)
    for code in dict.fromkeys([first, None if choice.relay_point is None else first]):
        try:
            with clock.frozen_at(at), db.transaction() as session:
                shipments = shipping.ship_order(
                    session=session, number=number, carrier_code=code, actor="operator:demo"
                )
                carrier = shipments[0].carrier.code
                return carrier, [p.tracking_number or "" for x in shipments for p in x.parcels]
        except (Conflict, ValidationError, Unavailable):  # left unshipped, as a desk would
            continue
    return None


def carrier_for(choice: DeliveryChoice, rng: np.random.Generator, carrier_p: np.ndarray) -> str:
    """The carrier an order ships with: its relay point's, the express carrier, or for home
    one drawn among the carriers delivering at home (by their shares)."""
    if choice.relay_point is not None:
        return choice.relay_point.carrier
    if choice.method is DeliveryMethod.EXPRESS:
        return EXPRESS_CARRIER
    codes = list(CARRIER_CODES)
    shares = np.array([carrier_p[codes.index(code)] for code in HOME_CARRIERS])
    return HOME_CARRIERS[int(rng.choice(len(HOME_CARRIERS), p=shares / shares.sum()))]
