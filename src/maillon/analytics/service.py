"""KPI use cases: the headline summary of a period, and the whole KPI catalogue computed by
the database (SQL aggregates and histograms, no row is brought back per order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from maillon.analytics.definitions import (
    DIMENSIONS,
    KPIS,
    KpiTable,
    histogram_quantile,
    mean_or_none,
    rate,
)
from maillon.analytics.kpi import KpiSummary, OrderFacts, summarise
from maillon.care.tables import Ticket
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.clock import as_utc
from maillon.core.errors import FieldError, ValidationError
from maillon.inventory.model import MovementKind
from maillon.inventory.tables import StockLevel, StockMovement, Warehouse
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Allocation, Order, OrderEvent, OrderLine
from maillon.returns.tables import ReturnRequest
from maillon.shipping.tables import Carrier, Shipment
from maillon.warehouse.tables import PickList, PickListLine


def kpi_summary(
    *, session: Session, start: datetime | None = None, end: datetime | None = None
) -> KpiSummary:
    """Return the KPI summary of orders created (and tickets opened) in [start, end)."""
    query = select(
        Order.id,
        Order.created_at,
        Order.status,
        Order.total_cents,
        Order.promised_at,
        Order.shipped_at,
        Order.delivered_at,
    )
    tickets = select(Ticket.created_at, Ticket.first_response_at)
    if start:
        query = query.where(Order.created_at >= start)
        tickets = tickets.where(Ticket.created_at >= start)
    if end:
        query = query.where(Order.created_at < end)
        tickets = tickets.where(Ticket.created_at < end)
    backordered = set(
        session.scalars(
            select(OrderEvent.order_id).where(OrderEvent.to_status == "backordered").distinct()
        )
    )
    returned = set(session.scalars(select(ReturnRequest.order_id).distinct()))

    def opt(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    facts = [
        OrderFacts(
            created_at=as_utc(r.created_at),
            status=r.status,
            total_cents=r.total_cents,
            promised_at=opt(r.promised_at),
            shipped_at=opt(r.shipped_at),
            delivered_at=opt(r.delivered_at),
            ever_backordered=r.id in backordered,
            returned=r.id in returned,
        )
        for r in session.execute(query)
    ]
    responses = [
        (as_utc(first) - as_utc(created)).total_seconds() / 3600 if first else None
        for created, first in session.execute(tickets)
    ]
    return summarise(facts, responses)


# -- the KPI catalogue, computed by the database ----------------------------------------------

_QUARTER_HOUR = 900.0
_NONE = "(none)"


def _seconds(dialect: str, later: Any, earlier: Any) -> Any:
    """SQL for ``later - earlier`` in seconds on this dialect."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _bucket(dialect: str, seconds: Any) -> Any:
    """SQL for the 15-minute bucket index of a duration in seconds."""
    width = literal_column("900.0")  # inline, so SELECT and GROUP BY hold the same expression
    if dialect == "sqlite":
        return cast(seconds / width, Integer)
    return func.floor(seconds / width)


def _period(dialect: str, column: Any, by: str) -> Any:
    """SQL for the day / ISO week / month label of a timestamp (UTC)."""
    if dialect == "sqlite":
        fmt = {"day": "%Y-%m-%d", "week": "%Y-W%W", "month": "%Y-%m"}[by]
        return func.strftime(fmt, column)
    fmt = {"day": "YYYY-MM-DD", "week": 'IYYY-"W"IW', "month": "YYYY-MM"}[by]
    return func.to_char(func.timezone("UTC", column), fmt)


def _order_dimension(dialect: str, by: str | None, first_carrier: Any) -> tuple[Any, list[Any]]:
    """Return the SQL label of an order's dimension value and the joins it needs."""
    if by is None:
        return _ALL, []
    if by == "channel":
        return Order.channel, []
    if by == "warehouse":
        return func.coalesce(Warehouse.code, _NONE), [
            (Warehouse, Warehouse.id == Order.warehouse_id)
        ]
    if by == "carrier":
        return func.coalesce(Carrier.code, _NONE), [
            (first_carrier, first_carrier.c.order_id == Order.id),
            (Carrier, Carrier.id == first_carrier.c.carrier_id),
        ]
    return _period(dialect, Order.created_at, by), []


def _g(*columns: Any) -> list[Any]:
    """The GROUP BY columns but the constant ``'all'`` (PostgreSQL refuses a constant there)."""
    return [c for c in columns if c is not _ALL]


_ALL = literal_column("'all'")


def compute_kpis(
    *,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    ship_within_h: float = 24.0,
) -> KpiTable:
    """Return every KPI of :data:`~maillon.analytics.definitions.KPIS` over ``[start, end)``,
    split by ``by`` (one of ``DIMENSIONS``), counted by the database.

    Raises ValidationError naming ``by`` or ``to`` (an end before the start).
    """
    if by is not None and by not in DIMENSIONS:
        raise ValidationError(FieldError("by", f"use one of {', '.join(DIMENSIONS)}"))
    if start is not None and end is not None and end <= start:
        raise ValidationError(FieldError("to", "must be after from"))
    bind = session.get_bind()
    dialect = bind.dialect.name
    table = KpiTable(start=start, end=end, by=by)

    def in_period(column: Any) -> list[Any]:
        conds = []
        if start is not None:
            conds.append(column >= start)
        if end is not None:
            conds.append(column < end)
        return conds

    first_carrier = (
        select(Shipment.order_id, func.min(Shipment.carrier_id).label("carrier_id"))
        .group_by(Shipment.order_id)
        .subquery("first_carrier")
    )
    dim, joins = _order_dimension(dialect, by, first_carrier)

    def joined(query: Any) -> Any:
        for target, on in joins:
            query = query.outerjoin(target, on)
        return query

    waited = (
        select(OrderEvent.order_id)
        .where(OrderEvent.to_status == OrderStatus.BACKORDERED.value)
        .group_by(OrderEvent.order_id)
        .subquery("waited")
    )
    lines = (
        select(
            OrderLine.order_id,
            func.count().label("n_lines"),
            func.sum(OrderLine.quantity).label("units"),
        )
        .group_by(OrderLine.order_id)
        .subquery("lines")
    )
    shipped_units = (
        select(Allocation.order_id, func.sum(Allocation.quantity).label("units"))
        .where(Allocation.status == "shipped")
        .group_by(Allocation.order_id)
        .subquery("shipped_units")
    )
    returned = select(ReturnRequest.order_id).group_by(ReturnRequest.order_id).subquery("returned")
    ticketed = (
        select(Ticket.order_id)
        .where(Ticket.order_id.is_not(None))
        .group_by(Ticket.order_id)
        .subquery("ticketed")
    )

    cycle = _seconds(dialect, Order.shipped_at, Order.created_at)
    lateness = _seconds(dialect, Order.delivered_at, Order.promised_at)
    was_waiting = waited.c.order_id.is_not(None)
    cancelled = Order.status == OrderStatus.CANCELLED.value
    delivered = Order.delivered_at.is_not(None)
    on_time = and_(delivered, Order.promised_at.is_not(None), lateness <= 0)
    in_full = func.coalesce(shipped_units.c.units, 0) >= func.coalesce(lines.c.units, 0)
    otif = and_(on_time, in_full)

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    orders_q = (
        joined(
            select(
                dim.label("dim"),
                func.count().label("orders"),
                func.sum(case((cancelled, 0), else_=Order.total_cents)).label("revenue"),
                count_if(cancelled).label("cancelled"),
                count_if(was_waiting).label("waited"),
                count_if(or_(was_waiting, Order.status.not_in(("confirmed", "cancelled")))).label(
                    "attempted"
                ),
                func.sum(func.coalesce(lines.c.n_lines, 0)).label("lines"),
                func.sum(case((was_waiting, func.coalesce(lines.c.n_lines, 0)), else_=0)).label(
                    "waited_lines"
                ),
                count_if(Order.shipped_at.is_not(None)).label("shipped"),
                func.sum(case((Order.shipped_at.is_not(None), cycle), else_=0)).label("cycle_s"),
                count_if(and_(Order.shipped_at.is_not(None), cycle <= ship_within_h * 3600)).label(
                    "shipped_on_time"
                ),
                count_if(delivered).label("delivered"),
                count_if(on_time).label("on_time"),
                count_if(otif).label("otif"),
                count_if(
                    and_(otif, returned.c.order_id.is_(None), ticketed.c.order_id.is_(None))
                ).label("perfect"),
                count_if(
                    and_(delivered, Order.promised_at.is_not(None), func.abs(lateness) <= 86400)
                ).label("accurate"),
                count_if(and_(delivered, Order.promised_at.is_not(None), lateness > 0)).label(
                    "late"
                ),
                func.sum(
                    case(
                        (and_(delivered, Order.promised_at.is_not(None), lateness > 0), lateness),
                        else_=0,
                    )
                ).label("late_s"),
                count_if(and_(delivered, returned.c.order_id.is_not(None))).label("returned"),
            )
            .select_from(Order)
            .outerjoin(waited, waited.c.order_id == Order.id)
            .outerjoin(lines, lines.c.order_id == Order.id)
            .outerjoin(shipped_units, shipped_units.c.order_id == Order.id)
            .outerjoin(returned, returned.c.order_id == Order.id)
            .outerjoin(ticketed, ticketed.c.order_id == Order.id)
        )
        .where(*in_period(Order.created_at))
        .group_by(*_g(dim))
    )
    for r in session.execute(orders_q):
        not_cancelled = r.orders - (r.cancelled or 0)
        table.rows[str(r.dim)] = {
            "orders": r.orders,
            "revenue_cents": int(r.revenue or 0),
            "average_order_cents": mean_or_none(r.revenue, not_cancelled),
            "cancel_rate_pct": rate(r.cancelled, r.orders),
            "fill_rate_pct": rate((r.attempted or 0) - (r.waited or 0), r.attempted),
            "backorder_rate_pct": rate(r.waited, r.orders),
            "stockout_line_rate_pct": rate(r.waited_lines, r.lines),
            "cycle_time_mean_h": mean_or_none(r.cycle_s, r.shipped, scale=1 / 3600),
            "on_time_shipping_pct": rate(r.shipped_on_time, r.shipped),
            "on_time_delivery_pct": rate(r.on_time, r.delivered),
            "otif_pct": rate(r.otif, r.delivered),
            "perfect_order_pct": rate(r.perfect, r.delivered),
            "promise_accuracy_pct": rate(r.accurate, r.delivered),
            "mean_days_late": mean_or_none(r.late_s, r.late, scale=1 / 86400),
            "return_rate_pct": rate(r.returned, r.delivered),
        }

    def quantiles(query: Any, keys: dict[str, float]) -> None:
        hist: dict[str, dict[int, int]] = {}
        for label, bucket, n in session.execute(query):
            hist.setdefault(str(label), {})[int(bucket)] = int(n)
        for label, h in hist.items():
            row = table.rows.setdefault(label, {})
            for key, q in keys.items():
                value = histogram_quantile(h, q, width=_QUARTER_HOUR)
                row[key] = None if value is None else round(value / 3600, 2)

    cycle_bucket = _bucket(dialect, cycle)
    quantiles(
        joined(select(dim, cycle_bucket, func.count()).select_from(Order))
        .where(Order.shipped_at.is_not(None), *in_period(Order.created_at))
        .group_by(*_g(dim, cycle_bucket)),
        {"cycle_time_p50_h": 0.5, "cycle_time_p90_h": 0.9},
    )

    # repeat purchase: customers of the period with two orders or more up to its end
    history = select(Order.customer_id, func.count().label("n"))
    if end is not None:
        history = history.where(Order.created_at < end)
    history_sq = history.group_by(Order.customer_id).subquery("history")
    repeat_q = (
        joined(
            select(
                dim,
                func.count(func.distinct(Order.customer_id)),
                func.count(func.distinct(case((history_sq.c.n >= 2, Order.customer_id)))),
            )
            .select_from(Order)
            .join(history_sq, history_sq.c.customer_id == Order.customer_id)
        )
        .where(*in_period(Order.created_at))
        .group_by(*_g(dim))
    )
    for label, customers, repeaters in session.execute(repeat_q):
        table.rows.setdefault(str(label), {})["repeat_purchase_pct"] = rate(repeaters, customers)

    # shipping: shipments of the period's orders
    transit = _seconds(dialect, Shipment.delivered_at, Shipment.shipped_at)
    ship_on_time = _seconds(dialect, Shipment.delivered_at, Order.promised_at) <= 0
    ship_q = (
        joined(
            select(
                dim,
                count_if(Shipment.delivered_at.is_not(None)),
                count_if(
                    and_(
                        Shipment.delivered_at.is_not(None),
                        Order.promised_at.is_not(None),
                        ship_on_time,
                    )
                ),
            )
            .select_from(Shipment)
            .join(Order, Order.id == Shipment.order_id)
        )
        .where(*in_period(Order.created_at))
        .group_by(*_g(dim))
    )
    for label, n_delivered, n_on_time in session.execute(ship_q):
        table.rows.setdefault(str(label), {})["carrier_on_time_pct"] = rate(n_on_time, n_delivered)
    transit_bucket = _bucket(dialect, transit)
    quantiles(
        joined(
            select(dim, transit_bucket, func.count())
            .select_from(Shipment)
            .join(Order, Order.id == Shipment.order_id)
        )
        .where(
            Shipment.delivered_at.is_not(None),
            Shipment.shipped_at.is_not(None),
            *in_period(Order.created_at),
        )
        .group_by(*_g(dim, transit_bucket)),
        {"transit_p50_h": 0.5, "transit_p90_h": 0.9},
    )

    # warehouse: route metres per pick line of the period's orders
    pick_lines = (
        select(PickListLine.pick_list_id, func.count().label("n"))
        .group_by(PickListLine.pick_list_id)
        .subquery("pick_lines")
    )
    picks_q = (
        joined(
            select(dim, func.sum(PickList.route_m), func.sum(pick_lines.c.n))
            .select_from(PickList)
            .join(Order, Order.id == PickList.order_id)
            .join(pick_lines, pick_lines.c.pick_list_id == PickList.id)
        )
        .where(PickList.route_m.is_not(None), *in_period(Order.created_at))
        .group_by(*_g(dim))
    )
    for label, metres, n_lines in session.execute(picks_q):
        table.rows.setdefault(str(label), {})["metres_per_line"] = mean_or_none(metres, n_lines)

    # care: tickets opened in the period (their order's dimension; "(none)" without an order)
    response = _seconds(dialect, Ticket.first_response_at, Ticket.created_at)
    resolution = _seconds(dialect, Ticket.closed_at, Ticket.created_at)
    ticket_dim = dim if by in (None, "day", "week", "month") else func.coalesce(dim, _NONE)
    if by in ("day", "week", "month"):
        ticket_dim = _period(dialect, Ticket.created_at, by)

    def tickets_query(*columns: Any) -> Any:
        query = select(ticket_dim, *columns).select_from(Ticket)
        if by in ("warehouse", "carrier", "channel"):
            query = query.outerjoin(Order, Order.id == Ticket.order_id)
            query = joined(query)
        return query.where(*in_period(Ticket.created_at))

    for label, n in session.execute(tickets_query(func.count()).group_by(*_g(ticket_dim))):
        table.rows.setdefault(str(label), {})["tickets"] = n
    quantiles(
        tickets_query(_bucket(dialect, response), func.count())
        .where(Ticket.first_response_at.is_not(None))
        .group_by(*_g(ticket_dim, _bucket(dialect, response))),
        {"first_response_p50_h": 0.5},
    )
    quantiles(
        tickets_query(_bucket(dialect, resolution), func.count())
        .where(Ticket.closed_at.is_not(None))
        .group_by(*_g(ticket_dim, _bucket(dialect, resolution))),
        {"resolution_p50_h": 0.5},
    )

    _inventory_kpis(session, table, start, end, by)
    for row in table.rows.values():
        for k in KPIS:
            row.setdefault(k.key, None)
    table.rows = dict(sorted(table.rows.items()))
    return table


def _inventory_kpis(
    session: Session, table: KpiTable, start: datetime | None, end: datetime | None, by: str | None
) -> None:
    """Stock KPIs from the ledger: per warehouse with ``by="warehouse"``, else over all."""
    if by not in (None, "warehouse"):
        return
    label = func.coalesce(Warehouse.code, _NONE) if by == "warehouse" else _ALL
    now_q = (
        select(label, func.sum(StockLevel.on_hand))
        .select_from(StockLevel)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .group_by(*_g(label))
    )
    on_hand_now = {str(k): int(v or 0) for k, v in session.execute(now_q)}

    def moved_since(moment: datetime | None) -> dict[str, int]:
        if moment is None:
            return {}
        q = (
            select(label, func.sum(StockMovement.delta_on_hand))
            .select_from(StockMovement)
            .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
            .where(StockMovement.created_at >= moment)
            .group_by(*_g(label))
        )
        return {str(k): int(v or 0) for k, v in session.execute(q)}

    after_end, after_start = moved_since(end), moved_since(start)
    shipped_q = (
        select(label, func.sum(-StockMovement.delta_on_hand))
        .select_from(StockMovement)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .where(StockMovement.kind == MovementKind.SHIP.value)
    )
    if start is not None:
        shipped_q = shipped_q.where(StockMovement.created_at >= start)
    if end is not None:
        shipped_q = shipped_q.where(StockMovement.created_at < end)
    shipped = {str(k): int(v or 0) for k, v in session.execute(shipped_q.group_by(*_g(label)))}
    first_move = session.scalar(select(func.min(StockMovement.created_at)))
    span_start = start or (as_utc(first_move) if first_move else None)
    span_end = end or clock.now()
    days = (
        max((as_utc(span_end) - as_utc(span_start)).total_seconds() / 86400, 1 / 24)
        if span_start
        else None
    )

    # SKUs out of stock at the end: available (on hand - reserved) rebuilt from the ledger
    avail = StockLevel.on_hand - StockLevel.reserved
    per_sku_now = (
        select(label.label("w"), StockLevel.product_id.label("p"), func.sum(avail).label("a"))
        .select_from(StockLevel)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Product, Product.id == StockLevel.product_id)
        .where(Product.active.is_(True))
        .group_by(*_g(label, StockLevel.product_id))
    )
    available: dict[tuple[str, int], int] = {
        (str(w), p): int(a or 0) for w, p, a in session.execute(per_sku_now)
    }
    if end is not None:
        later = (
            select(
                label,
                StockMovement.product_id,
                func.sum(StockMovement.delta_on_hand - StockMovement.delta_reserved),
            )
            .select_from(StockMovement)
            .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
            .where(StockMovement.created_at >= end)
            .group_by(*_g(label, StockMovement.product_id))
        )
        for w, p, delta in session.execute(later):
            key = (str(w), p)
            if key in available:
                available[key] -= int(delta or 0)
    skus: dict[str, list[int]] = {}
    for (w, _), a in available.items():
        skus.setdefault(w, []).append(a)

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
