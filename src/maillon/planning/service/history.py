"""Demand history from the orders: units per SKU, warehouse and day, the days an order
waited for stock, the day each SKU could first sell, and daily demand statistics."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.db import utc_day
from maillon.core.errors import (
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order, OrderEvent, OrderLine
from maillon.planning.demand import DemandRecord, StockoutDay
from maillon.planning.service.suppliers import _among


def _default_warehouse(session: Session) -> Warehouse:
    warehouse = session.scalar(select(Warehouse).order_by(Warehouse.priority, Warehouse.id))
    if warehouse is None:
        raise NotFound("warehouse", "(any)", field="warehouse")
    return warehouse


def demand_history(
    *,
    session: Session,
    start: date,
    end: date,
    warehouse_code: str | None = None,
    sku: str | None = None,
) -> tuple[list[DemandRecord], list[StockoutDay]]:
    """Return units ordered per SKU, warehouse and day in ``[start, end)`` (cancelled orders
    excluded; an order not yet allocated counts for the first warehouse) and the days an order
    for the SKU had to wait for stock there. Raises ValidationError naming ``to``."""
    if end <= start:
        raise ValidationError(FieldError("to", "must be after from"))
    default = _default_warehouse(session)
    codes = {w.id: w.code for w in inventory.list_warehouses(session=session)}
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC)
    warehouse_id = func.coalesce(Order.warehouse_id, default.id)
    dialect = session.get_bind().dialect.name
    ordered_on = utc_day(dialect, Order.created_at)
    waited_on = utc_day(dialect, OrderEvent.at)
    # summed per day by the database: a planner's window holds tens of thousands of lines
    query = (
        select(OrderLine.sku, warehouse_id, ordered_on, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.created_at >= since,
            Order.created_at < until,
            Order.status != OrderStatus.CANCELLED.value,
        )
        .group_by(OrderLine.sku, warehouse_id, ordered_on)
    )
    stockout_query = (
        select(OrderLine.sku, warehouse_id, waited_on)
        .join(Order, Order.id == OrderEvent.order_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            OrderEvent.to_status == OrderStatus.BACKORDERED.value,
            OrderEvent.at >= since,
            OrderEvent.at < until,
        )
        .distinct()
    )
    if sku is not None:
        # by the product's id, which is indexed on the order lines (their sku is not)
        product = select(Product.id).where(Product.sku == sku).scalar_subquery()
        query = query.where(OrderLine.product_id == product)
        stockout_query = stockout_query.where(OrderLine.product_id == product)
    if warehouse_code is not None:
        wanted = inventory.get_warehouse(session=session, code=warehouse_code)
        query = query.where(warehouse_id == wanted.id)
        stockout_query = stockout_query.where(warehouse_id == wanted.id)
    totals: dict[tuple[str, str, date], int] = {}
    for sku, wid, day, qty in session.execute(query):
        key = (sku, codes.get(wid, str(wid)), day)
        totals[key] = totals.get(key, 0) + int(qty)
    records = [DemandRecord(sku, wh, day, float(q)) for (sku, wh, day), q in sorted(totals.items())]
    stockouts = sorted(
        {
            StockoutDay(sku, codes.get(wid, str(wid)), day)
            for sku, wid, day in session.execute(stockout_query)
        },
        key=lambda s: (s.sku, s.warehouse, s.day),
    )
    return records, stockouts


def has_orders(
    *, session: Session, start: date, end: date, warehouse_code: str | None = None
) -> bool:
    """Return whether an order (not cancelled) of ``[start, end)`` counts for the demand
    history of the warehouse (any when None), as :func:`demand_history` counts it. Raises
    NotFound naming ``warehouse``."""
    wanted = (
        inventory.get_warehouse(session=session, code=warehouse_code)
        if warehouse_code is not None
        else None
    )
    query = select(Order.id).where(
        Order.created_at >= datetime(start.year, start.month, start.day, tzinfo=UTC),
        Order.created_at < datetime(end.year, end.month, end.day, tzinfo=UTC),
        Order.status != OrderStatus.CANCELLED.value,
    )
    if wanted is not None:
        default = _default_warehouse(session)
        query = query.where(func.coalesce(Order.warehouse_id, default.id) == wanted.id)
    return session.scalar(query.limit(1)) is not None


def selling_since(*, session: Session, skus: Collection[str], start: date) -> dict[str, date]:
    """Return the first day each SKU could sell within a history from ``start``: ``start``, or
    the day it was listed (created) when later. Before it, a SKU without sales had no demand to
    show, so its history starts there, not at its first sale (which makes one sale yesterday
    read as a unit a day)."""
    wanted = set(skus)
    return {
        sku: max(start, clock.as_utc(created).date())
        for sku, created in session.execute(
            select(Product.sku, Product.created_at).where(*_among(Product.sku, wanted))
        )
        if sku in wanted
    }


def daily_demand_stats(
    records: list[DemandRecord],
    stockouts: list[StockoutDay],
    *,
    end: date,
    since: Mapping[str, date] | None = None,
) -> dict[str, tuple[float, float]]:
    """Return the mean and standard deviation of each SKU's daily demand, from the day it
    could first sell (``since[sku]``, e.g. the window's start or its listing day; without
    it, or when it sold before, its first sale) to the day before ``end``; days it was out of
    stock are left out (their demand is unknown, not zero)."""
    since = since or {}
    per_day: dict[str, dict[date, float]] = {}
    for r in records:
        days = per_day.setdefault(r.sku, {})
        days[r.day] = days.get(r.day, 0.0) + r.qty
    out_days: dict[str, set[date]] = {}
    for s in stockouts:
        out_days.setdefault(s.sku, set()).add(s.day)
    stats: dict[str, tuple[float, float]] = {}
    for sku, days in per_day.items():
        first = min(min(days), since.get(sku, end))
        last = first + timedelta(days=max((end - first).days, 1))  # exclusive
        skip = {d for d in out_days.get(sku, ()) if first <= d < last}
        sold = [v for d, v in days.items() if d < last and d not in skip]
        n = (last - first).days - len(skip)  # the days counted, most of them without a sale
        if n <= 0:
            stats[sku] = (sum(days.values()), 0.0)
            continue
        mean = sum(sold) / n
        # the days without a sale are zeros: each adds mean² to the squared deviations
        squares = sum((v - mean) ** 2 for v in sold) + (n - len(sold)) * mean**2
        stats[sku] = (mean, math.sqrt(squares / (n - 1)) if n > 1 else 0.0)
    return stats
