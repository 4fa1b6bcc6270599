"""The stock KPIs, from the append-only ledger (per warehouse with ``by="warehouse"``, else
over all): units shipped in the period, units on hand at its end (today's balances less the
movements since), turnover, days of supply and the share of active SKUs out of stock at its
end. Flows over whole days come from the daily stock rollups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.analytics.definitions import KpiTable, rate
from maillon.analytics.queries.periods import Bounds, source, split
from maillon.analytics.queries.scope import KpiScope
from maillon.analytics.queries.sql import ALL, NONE_LABEL, group_cols
from maillon.analytics.service.rollups import ledger_rows
from maillon.analytics.tables import StockDayRollup
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.clock import as_utc
from maillon.inventory.tables import StockLevel, StockMovement, Warehouse


def inventory_kpis(scope: KpiScope, table: KpiTable) -> None:
    """Stock KPIs from the ledger: per warehouse with ``by="warehouse"``, else over all."""
    if scope.by not in (None, "warehouse"):
        return
    session, start, end, rollups = scope.session, scope.start, scope.end, scope.rollups
    label = func.coalesce(Warehouse.code, NONE_LABEL) if scope.by == "warehouse" else ALL
    now_q = (
        select(label, func.sum(StockLevel.on_hand))
        .select_from(StockLevel)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .group_by(*group_cols(label))
    )
    on_hand_now = {str(k): int(v or 0) for k, v in session.execute(now_q)}

    def moved_since(moment: datetime | None) -> dict[str, int]:
        if moment is None:
            return {}
        return _ledger_sums(session, label, "moved", (moment, None), rollups=rollups)

    after_end, after_start = moved_since(end), moved_since(start)
    shipped = _ledger_sums(session, label, "shipped", (start, end), rollups=rollups)
    days = _span_days(session, start, end)
    skus = _sku_availability(session, label, end)
    for name in set(on_hand_now) | set(shipped):
        row = table.rows.setdefault(name, {})
        end_units = on_hand_now.get(name, 0) - after_end.get(name, 0)
        start_units = on_hand_now.get(name, 0) - after_start.get(name, 0) if start else 0
        units = shipped.get(name, 0)
        row["units_shipped"] = units
        row["on_hand_end_units"] = end_units
        row["inventory_turnover"] = rate(units, (start_units + end_units) / 2, pct=False)
        row["days_of_supply"] = rate(end_units, units / days, pct=False) if days and units else None
        counts = skus.get(name, [])
        row["stockout_sku_pct"] = rate(sum(1 for a in counts if a <= 0), len(counts))


def _ledger_sums(
    session: Session, label: Any, name: str, bounds: Bounds, *, rollups: bool
) -> dict[str, int]:
    """The sum of a ledger column (see :func:`maillon.analytics.service.rollups.ledger_rows`) over
    the movements in ``bounds`` per warehouse label: the daily rollups of its whole days, the
    ledger for the rest. ``shipped`` counts only the labels with a ship movement."""
    dialect = session.get_bind().dialect.name
    days, edges = split(*bounds, rollups=rollups)
    r = StockDayRollup
    whole = select(r.day, r.warehouse_id, r.moved, r.shipped, r.ship_moves)
    u = source(whole, r.day, days, [ledger_rows(dialect, b) for b in edges], "ledger")
    query = (
        select(label, func.sum(u.c[name]), func.sum(u.c.ship_moves))
        .select_from(u)
        .join(Warehouse, Warehouse.id == u.c.warehouse_id)
        .group_by(*group_cols(label))
    )
    return {
        str(k): int(v or 0)
        for k, v, ships in session.execute(query)
        if name != "shipped" or (ships or 0) > 0
    }


def _span_days(session: Session, start: datetime | None, end: datetime | None) -> float | None:
    """The length in days of the period (from the first movement when unbounded, to now when
    open; an hour at least), or None without a start nor any movement."""
    first_move = session.scalar(select(func.min(StockMovement.created_at)))
    span_start = start or (as_utc(first_move) if first_move else None)
    span_end = end or clock.now()
    return (
        max((as_utc(span_end) - as_utc(span_start)).total_seconds() / 86400, 1 / 24)
        if span_start
        else None
    )


def _sku_availability(session: Session, label: Any, end: datetime | None) -> dict[str, list[int]]:
    """Per warehouse label, the units available (on hand - reserved) of each active SKU at
    the end of the period: today's balances less the ledger's movements since."""
    avail = StockLevel.on_hand - StockLevel.reserved
    per_sku_now = (
        select(label.label("w"), StockLevel.product_id.label("p"), func.sum(avail).label("a"))
        .select_from(StockLevel)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Product, Product.id == StockLevel.product_id)
        .where(Product.active.is_(True))
        .group_by(*group_cols(label, StockLevel.product_id))
    )
    available: dict[tuple[str, int], int] = {
        (str(w), p): int(a or 0) for w, p, a in session.execute(per_sku_now)
    }
    last_move = session.scalar(select(func.max(StockMovement.created_at)))
    if end is not None and last_move is not None and as_utc(last_move) >= end:
        # "+ 0": grouped by the product index, SQLite would read the whole ledger instead of
        # the movements after the end through the created_at index
        product = (StockMovement.product_id + 0).label("product_id")
        later = (
            select(
                label,
                product,
                func.sum(StockMovement.delta_on_hand - StockMovement.delta_reserved),
            )
            .select_from(StockMovement)
            .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
            .where(StockMovement.created_at >= end)
            .group_by(*group_cols(label, product))
        )
        for w, p, delta in session.execute(later):
            key = (str(w), p)
            if key in available:
                available[key] -= int(delta or 0)
    skus: dict[str, list[int]] = {}
    for (w, _), a in available.items():
        skus.setdefault(w, []).append(a)
    return skus
