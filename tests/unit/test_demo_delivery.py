"""The demo's customers choose how they are delivered, as French shoppers do: mostly at home,
a good share at a relay point near them, some express, a few in a store nearby."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np

from maillon.core.geo import locate_fr
from maillon.delivery.relay import default_index, distance_km
from maillon.demo import choices
from maillon.demo.generate import (
    COLLECT_MAX_KM,
    RELAY_MAX_KM,
    generate_catalog,
    generate_customers,
    generate_orders,
)
from maillon.orders.choice import DeliveryMethod

NETWORKS = ["colissimo", "chronopost", "mondial_relay", "dpd"]


def test_every_generated_order_carries_a_realistic_choice() -> None:
    rng = np.random.default_rng(5)
    catalog = generate_catalog(rng, 40)
    customers = generate_customers(rng, 600)
    plan = generate_orders(
        rng,
        skus=[spec.sku for spec in catalog],
        customers=len(customers),
        start=datetime(2026, 11, 2, tzinfo=UTC),
        days=20,
        count=800,
    )
    deliveries = choices.choose_all(5, plan, customers, NETWORKS, catalog)
    assert len(deliveries) == len(plan)
    shares = Counter(d.method for d in deliveries)
    assert shares[DeliveryMethod.HOME] > 0.45 * len(plan)
    # a relay share of its own, though the illustrative points file covers big towns only
    # (a customer with no point within 15 km chooses home)
    assert shares[DeliveryMethod.RELAY_POINT] > 0.04 * len(plan)
    assert shares[DeliveryMethod.EXPRESS] > 0.03 * len(plan)
    assert shares[DeliveryMethod.CLICK_COLLECT] > 0
    points = {p.id: p for p in default_index().points}
    stores = {code: (lat, lon) for code, lat, lon in choices.STORES}
    for order, choice in zip(plan, deliveries, strict=True):
        customer = customers[order.customer]
        here = locate_fr(customer.postcode, customer.city)
        if choice.method is DeliveryMethod.RELAY_POINT:
            # a real point of the index, of a demo carrier, near the customer
            assert choice.relay_point is not None and here is not None
            point = points[choice.relay_point.point_id]
            assert point.network == choice.relay_point.carrier == choice.carrier
            assert point.network in NETWORKS
            assert distance_km(here.lat, here.lon, point.lat, point.lon) <= RELAY_MAX_KM
        elif choice.method is DeliveryMethod.CLICK_COLLECT:
            assert choice.store in stores and here is not None
            assert distance_km(here.lat, here.lon, *stores[choice.store]) <= COLLECT_MAX_KM
        else:
            assert choice.relay_point is None and choice.store is None
    # and each ships with a carrier that has a service of its method
    rng = np.random.default_rng(1)
    shares_p = np.array([0.45, 0.15, 0.25, 0.15])
    for choice in deliveries:
        if choice.method is DeliveryMethod.CLICK_COLLECT:
            continue
        carrier = choices.carrier_for(choice, rng, shares_p)
        if choice.relay_point is not None:
            assert carrier == choice.relay_point.carrier
        elif choice.method is DeliveryMethod.EXPRESS:
            assert carrier == choices.EXPRESS_CARRIER
        else:
            assert carrier in choices.HOME_CARRIERS
