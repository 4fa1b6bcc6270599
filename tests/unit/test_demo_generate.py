"""The demo's generated business looks like the data it is calibrated on."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np

from maillon.catalog.model import validate_product
from maillon.core.geo import postcode_problem
from maillon.core.identifiers import is_valid_gtin
from maillon.demo.generate import (
    generate_catalog,
    generate_customers,
    generate_orders,
    load_calibration,
)
from maillon.orders.validation import normalise_phone


def test_catalog_is_valid_and_calibrated() -> None:
    products = generate_catalog(np.random.default_rng(1), 300)
    assert len({p.sku for p in products}) == 300
    for p in products:
        validate_product(p)
        assert p.gtin is not None and is_valid_gtin(p.gtin)
        assert p.length_mm >= p.width_mm >= p.height_mm
    cal = load_calibration()["categories"]
    medians = [c["weight_g"][2] for c in cal.values()]
    weights = sorted(p.weight_g for p in products)
    # the catalogue's median weight sits among the categories' medians
    assert min(medians) <= weights[len(weights) // 2] <= max(medians)


def test_customers_live_at_real_addresses() -> None:
    customers = generate_customers(np.random.default_rng(2), 200)
    for c in customers:
        assert postcode_problem("FR", c.postcode) is None
        assert normalise_phone(c.phone, "FR") == c.phone
    # towns are weighted above villages: Paris appears in a sample of 200
    assert any(c.postcode.startswith("75") for c in customers)


def test_orders_follow_the_week_and_the_count() -> None:
    start = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
    orders = generate_orders(
        np.random.default_rng(3),
        skus=[f"S{i}" for i in range(100)],
        customers=500,
        start=start,
        days=28,
        count=4000,
    )
    assert len(orders) == 4000
    assert orders == sorted(orders, key=lambda o: o.created_at)
    by_day = Counter(o.created_at.weekday() for o in orders)
    assert by_day[0] > by_day[5]  # Mondays busier than Saturdays
    night = sum(1 for o in orders if 2 <= o.created_at.hour < 5)
    evening = sum(1 for o in orders if 19 <= o.created_at.hour < 22)
    assert evening > 5 * night
    sizes = Counter(len(o.lines) for o in orders)
    assert sizes[1] > sizes[2] > sizes[3]
    assert len({o.external_id for o in orders}) == 4000
