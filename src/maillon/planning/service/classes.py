"""ABC/XYZ classes of the SKUs from their demand history (use cases over
:mod:`maillon.planning.classify`)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import (
    ErrorCollector,
    FieldError,
    ValidationError,
)
from maillon.planning.classify import Classification, ClassThresholds, SkuClass, classify
from maillon.planning.demand import DemandRecord
from maillon.planning.service.history import demand_history
from maillon.planning.service.suppliers import _among, _terms


def classify_skus(
    records: list[DemandRecord],
    prices: dict[str, float],
    *,
    start: date,
    end: date,
    thresholds: ClassThresholds | None = None,
) -> dict[str, str]:
    """Return each SKU's ABC/XYZ label (``"AX"``): ABC on the value of its demand in
    ``[start, end)`` at ``prices``, XYZ on the coefficient of variation of its demand per
    week, over the whole weeks back from ``end`` that the records cover (none before their
    first day) (:class:`~maillon.planning.classify.ClassThresholds`, the defaults when None)."""
    return {
        item.sku: item.label
        for item in _classes(records, prices, start=start, end=end, thresholds=thresholds)
    }


def _classes(
    records: list[DemandRecord],
    prices: dict[str, float],
    *,
    start: date,
    end: date,
    thresholds: ClassThresholds | None = None,
) -> tuple[SkuClass, ...]:
    records = [r for r in records if start <= r.day < end]
    skus = sorted({r.sku for r in records})
    if not skus:
        return ()
    # Weeks count back from the end (the last 7 days are the last week); they start no earlier
    # than the first order of the records: before it there is no history, not zero demand
    # (a shop that opened a month ago has four weeks, not thirteen with nine empty).
    first = max(start, min(r.day for r in records))
    weeks = max(1, (end - first).days // 7)
    index = {sku: i for i, sku in enumerate(skus)}
    weekly = [[0.0] * weeks for _ in skus]
    units = [0.0] * len(skus)
    for r in records:
        units[index[r.sku]] += r.qty
        back = ((end - r.day).days - 1) // 7
        if back < weeks:
            weekly[index[r.sku]][weeks - 1 - back] += r.qty
    result = classify(
        skus=skus,
        values=[u * prices.get(sku, 0.0) for sku, u in zip(skus, units, strict=True)],
        demand=weekly,
        thresholds=thresholds or ClassThresholds(),
    )
    return result.items


def class_thresholds(
    *, abc_a: float = 0.80, abc_b: float = 0.95, xyz_x: float = 0.5, xyz_y: float = 1.0
) -> ClassThresholds:
    """Return the ABC/XYZ thresholds, or raise ValidationError naming each bad one: ``abc_a``
    (cumulative value share of the A SKUs) in (0, 1], ``abc_b`` (A and B) in [abc_a, 1],
    ``xyz_x`` (largest weekly CV of an X SKU) >= 0 and ``xyz_y`` >= xyz_x, all finite."""
    errors = ErrorCollector()
    if not (math.isfinite(abc_a) and 0 < abc_a <= 1):
        errors.add("abc_a", "a share of value in (0, 1]")
    elif not (math.isfinite(abc_b) and abc_a <= abc_b <= 1):
        errors.add("abc_b", f"a share of value between abc_a ({abc_a:g}) and 1")
    if not (math.isfinite(xyz_x) and 0 <= xyz_x <= MAX_CV_THRESHOLD):
        errors.add("xyz_x", f"a coefficient of variation, 0-{MAX_CV_THRESHOLD:g}")
    elif not (math.isfinite(xyz_y) and xyz_x <= xyz_y <= MAX_CV_THRESHOLD):
        errors.add("xyz_y", f"a coefficient of variation between xyz_x ({xyz_x:g}) and "
                   f"{MAX_CV_THRESHOLD:g}")  # fmt: skip
    errors.raise_if_any()
    return ClassThresholds(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y)


MAX_CV_THRESHOLD = 100.0
"""Highest XYZ threshold taken (a typo guard)."""


def sku_classes(
    *,
    session: Session,
    warehouse_code: str | None = None,
    days: int = 91,
    thresholds: ClassThresholds | None = None,
    today: date | None = None,
) -> Classification:
    """Return the ABC/XYZ class of every SKU ordered in the last ``days`` days (of one
    warehouse, or all), most valuable first: ABC on the value of its demand at its purchase
    price (the preferred supplier's, else the cheapest; the catalogue price for a SKU without
    a supplier), XYZ on the coefficient of variation of its weekly demand.

    Raises NotFound (warehouse), ValidationError naming ``days``.
    """
    if not 14 <= days <= 730:
        raise ValidationError([FieldError("days", "14-730 days")])
    today = today or clock.now().date()
    start = today - timedelta(days=days)
    records, _stockouts = demand_history(
        session=session, start=start, end=today, warehouse_code=warehouse_code
    )
    thresholds = thresholds or ClassThresholds()
    if not records:
        return Classification(items=(), thresholds=thresholds)
    skus = {r.sku for r in records}
    catalogue = {
        sku: (pid, cents)
        for sku, pid, cents in session.execute(
            select(Product.sku, Product.id, Product.price_cents).where(*_among(Product.sku, skus))
        )
        if sku in skus
    }
    terms = _terms(session, [pid for pid, _ in catalogue.values()])
    prices = {
        sku: terms[pid].unit_price if pid in terms else cents / 100
        for sku, (pid, cents) in catalogue.items()
    }
    items = _classes(records, prices, start=start, end=today, thresholds=thresholds)
    return Classification(
        items=tuple(sorted(items, key=lambda c: (-c.value, c.sku))), thresholds=thresholds
    )
