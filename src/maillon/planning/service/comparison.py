"""Policy comparison on history: replaying the last days of demand against our policy,
min/max and (R, S) with each SKU's supplier terms."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import (
    ErrorCollector,
)
from maillon.planning.replay import ComparisonInput, HistoryComparison, compare_on_history
from maillon.planning.service.classes import classify_skus
from maillon.planning.service.history import demand_history
from maillon.planning.service.suppliers import _terms

DEFAULT_LEAD_TIME_DAYS = 7.0
"""Lead time of a SKU without a supplier, in the policy comparison."""


def compare_policies(
    *,
    session: Session,
    warehouse_code: str,
    sku: str | None = None,
    days: int = 182,
    max_skus: int = 20,
    service_level: float = 0.95,
    today: date | None = None,
) -> HistoryComparison | None:
    """Replay the last ``days`` days of demand of ``sku`` (or of the warehouse's A items: the
    ``max_skus`` most valuable of them) against our policy, min/max and (R, S)
    (:func:`maillon.planning.replay.compare_on_history`), with each SKU's supplier lead time,
    spread, price and order cost (a SKU without a supplier: 7 days, price 1). Returns None
    when there is no demand to replay. Raises NotFound (warehouse), ValidationError naming
    ``days``, ``max_skus`` or ``service_level``."""
    errors = ErrorCollector()
    if not 42 <= days <= 365:
        errors.add("days", "42-365 days")
    if not 1 <= max_skus <= 100:
        errors.add("max_skus", "1-100")
    if not 0.5 <= service_level < 1:
        errors.add("service_level", "between 0.5 and 0.999")
    errors.raise_if_any()
    today = today or clock.now().date()
    start = today - timedelta(days=days)
    records, _stockouts = demand_history(
        session=session, start=start, end=today, warehouse_code=warehouse_code, sku=sku
    )
    if not records:
        return None
    skus = sorted({r.sku for r in records})
    products = dict(
        session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all()
    )
    terms = _terms(session, list(products.values()))
    term_of = {s: terms.get(products.get(s, -1)) for s in skus}
    prices = {
        s: (t.unit_price if t is not None and t.unit_price > 0 else 1.0) for s, t in term_of.items()
    }
    if sku is None:
        labels = classify_skus(records, prices, start=start, end=today)
        value = {s: 0.0 for s in skus}
        for r in records:
            value[r.sku] += r.qty * prices[r.sku]
        a_items = [s for s in skus if labels.get(s, "C")[:1] == "A"] or skus
        skus = sorted(sorted(a_items, key=lambda s: -value[s])[:max_skus])
    index = {s: i for i, s in enumerate(skus)}
    matrix = np.zeros((len(skus), days))
    for r in records:
        if r.sku in index:
            matrix[index[r.sku], (r.day - start).days] += r.qty
    lead = [
        t.lead_time_mean if t is not None else DEFAULT_LEAD_TIME_DAYS
        for t in map(term_of.get, skus)
    ]
    lead_sd = [t.lead_time_sd if t is not None else 0.0 for t in map(term_of.get, skus)]
    order_cost = [t.order_cost for t in map(term_of.get, skus) if t is not None]
    return compare_on_history(
        ComparisonInput(
            skus=tuple(skus),
            demand=matrix,
            unit_price=np.array([prices[s] for s in skus]),
            lead_time_mean=np.array(lead, dtype=np.float64),
            lead_time_sd=np.array(lead_sd, dtype=np.float64),
            order_cost=float(np.median(order_cost)) if order_cost else 10.0,
            service_level=service_level,
            warmup=min(56, days // 3),
        )
    )
