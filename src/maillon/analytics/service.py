"""KPI use cases: the headline summary of a period, and the whole KPI catalogue computed by
the database (SQL aggregates and histograms, no row is brought back per order)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session, aliased

from maillon.analytics.definitions import (
    DIMENSIONS,
    KPIS,
    KpiTable,
    histogram_quantile,
    mean_or_none,
    rate,
)
from maillon.analytics.kpi import KpiSummary, OrderFacts, summarise
from maillon.analytics.tables import AnalyticsState, OrderFact
from maillon.care.tables import Ticket
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.clock import as_utc
from maillon.core.db import Database
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


def _g(*columns: Any) -> list[Any]:
    """The GROUP BY columns but the constant ``'all'`` (PostgreSQL refuses a constant there)."""
    return [c for c in columns if c is not _ALL]


_ALL = literal_column("'all'")
_STATE_KEY = "order_facts"
_MARGIN = timedelta(minutes=5)  # changes committed while the last refresh ran


def _as_bool(condition: Any) -> Any:
    return cast(case((condition, 1), else_=0), Boolean)


def _facts_select(dialect: str, only: Any | None) -> Any:
    """The SELECT giving one ``order_facts`` row per order (of ``only``, a subquery of order
    ids, or all): every aggregate below is restricted to those orders."""

    def restrict(query: Any, column: Any) -> Any:
        return query if only is None else query.where(column.in_(only))

    waited = (
        restrict(
            select(OrderEvent.order_id).where(
                OrderEvent.to_status == OrderStatus.BACKORDERED.value
            ),
            OrderEvent.order_id,
        )
        .group_by(OrderEvent.order_id)
        .subquery("waited")
    )
    lines = (
        restrict(
            select(
                OrderLine.order_id,
                func.count().label("n_lines"),
                func.sum(OrderLine.quantity).label("units"),
            ),
            OrderLine.order_id,
        )
        .group_by(OrderLine.order_id)
        .subquery("lines")
    )
    shipped_units = (
        restrict(
            select(Allocation.order_id, func.sum(Allocation.quantity).label("units")).where(
                Allocation.status == "shipped"
            ),
            Allocation.order_id,
        )
        .group_by(Allocation.order_id)
        .subquery("shipped_units")
    )
    first_shipment = (
        restrict(
            select(Shipment.order_id, func.min(Shipment.id).label("shipment_id")),
            Shipment.order_id,
        )
        .group_by(Shipment.order_id)
        .subquery("first_shipment")
    )
    returned = (
        restrict(select(ReturnRequest.order_id), ReturnRequest.order_id)
        .group_by(ReturnRequest.order_id)
        .subquery("returned")
    )
    ticketed = (
        restrict(select(Ticket.order_id).where(Ticket.order_id.is_not(None)), Ticket.order_id)
        .group_by(Ticket.order_id)
        .subquery("ticketed")
    )
    pick_lines = (
        select(PickListLine.pick_list_id, func.count().label("n"))
        .group_by(PickListLine.pick_list_id)
        .subquery("pick_line_counts")
    )
    picks = (
        restrict(
            select(
                PickList.order_id,
                func.sum(PickList.route_m).label("metres"),
                func.sum(pick_lines.c.n).label("lines"),
            )
            .join(pick_lines, pick_lines.c.pick_list_id == PickList.id)
            .where(PickList.route_m.is_not(None)),
            PickList.order_id,
        )
        .group_by(PickList.order_id)
        .subquery("picks")
    )
    was_waiting = waited.c.order_id.is_not(None)
    earlier = aliased(Order)
    customer_seq = (
        select(func.count())
        .where(
            earlier.customer_id == Order.customer_id,
            or_(
                earlier.created_at < Order.created_at,
                and_(earlier.created_at == Order.created_at, earlier.id <= Order.id),
            ),
        )
        .correlate(Order)
        .scalar_subquery()
    )
    query = (
        select(
            Order.id,
            Order.created_at,
            Order.customer_id,
            customer_seq,
            Order.channel,
            Order.warehouse_id,
            Shipment.carrier_id,
            Order.status,
            Order.total_cents,
            _as_bool(Order.status == OrderStatus.CANCELLED.value),
            _as_bool(was_waiting),
            _as_bool(or_(was_waiting, Order.status.not_in(("confirmed", "cancelled")))),
            func.coalesce(lines.c.n_lines, 0),
            func.coalesce(lines.c.units, 0),
            func.coalesce(shipped_units.c.units, 0),
            _as_bool(Order.shipped_at.is_not(None)),
            _as_bool(Order.delivered_at.is_not(None)),
            _seconds(dialect, Order.shipped_at, Order.created_at),
            _seconds(dialect, Order.delivered_at, Order.promised_at),
            _seconds(dialect, Shipment.delivered_at, Shipment.shipped_at),
            _as_bool(returned.c.order_id.is_not(None)),
            _as_bool(ticketed.c.order_id.is_not(None)),
            picks.c.metres,
            func.coalesce(picks.c.lines, 0),
        )
        .select_from(Order)
        .outerjoin(waited, waited.c.order_id == Order.id)
        .outerjoin(lines, lines.c.order_id == Order.id)
        .outerjoin(shipped_units, shipped_units.c.order_id == Order.id)
        .outerjoin(first_shipment, first_shipment.c.order_id == Order.id)
        .outerjoin(Shipment, Shipment.id == first_shipment.c.shipment_id)
        .outerjoin(returned, returned.c.order_id == Order.id)
        .outerjoin(ticketed, ticketed.c.order_id == Order.id)
        .outerjoin(picks, picks.c.order_id == Order.id)
    )
    return restrict(query, Order.id)


_FACT_COLUMNS = [
    "order_id",
    "created_at",
    "customer_id",
    "customer_seq",
    "channel",
    "warehouse_id",
    "carrier_id",
    "status",
    "total_cents",
    "cancelled",
    "waited",
    "attempted",
    "n_lines",
    "units",
    "shipped_units",
    "shipped",
    "delivered",
    "cycle_s",
    "lateness_s",
    "transit_s",
    "returned",
    "ticketed",
    "route_m",
    "pick_lines",
]


def refresh_order_facts(*, session: Session, full: bool = False) -> int:
    """Bring ``order_facts`` up to date; return how many orders were (re)computed.

    Incremental by default: only orders changed since the last refresh (their row, events,
    shipments, pick lists, returns or tickets) are recomputed, set-based, in the caller's
    transaction; the first run, or ``full``, rebuilds everything.
    """
    dialect = session.get_bind().dialect.name
    now = clock.now()
    state = session.get(AnalyticsState, _STATE_KEY)
    if full or state is None:
        session.execute(delete(OrderFact))
        session.execute(
            insert(OrderFact.__table__).from_select(_FACT_COLUMNS, _facts_select(dialect, None))
        )
        count = session.scalar(select(func.count()).select_from(OrderFact)) or 0
    else:
        since = as_utc(state.at) - _MARGIN
        # every status change of an order (allocation, picking, packing, shipping, delivery,
        # cancellation) stamps orders.updated_at; returns and tickets do not touch the order
        changed = union(
            select(Order.id).where(Order.updated_at >= since),
            select(ReturnRequest.order_id).where(ReturnRequest.created_at >= since),
            select(Ticket.order_id).where(Ticket.created_at >= since, Ticket.order_id.is_not(None)),
        ).subquery("changed")
        ids = [row[0] for row in session.execute(select(changed.c[0]))]
        count = 0
        for chunk in (ids[i : i + 2000] for i in range(0, len(ids), 2000)):
            session.execute(delete(OrderFact).where(OrderFact.order_id.in_(chunk)))
            only = select(Order.id).where(Order.id.in_(chunk)).scalar_subquery()
            session.execute(
                insert(OrderFact.__table__).from_select(_FACT_COLUMNS, _facts_select(dialect, only))
            )
            count += len(chunk)
    if state is None:
        session.add(AnalyticsState(key=_STATE_KEY, at=now))
    else:
        state.at = now
    return int(count)


def _fact_dimension(dialect: str, by: str | None) -> tuple[Any, list[Any]]:
    """Return the SQL label of a fact's dimension value and the joins it needs."""
    if by is None:
        return _ALL, []
    if by == "channel":
        return OrderFact.channel, []
    if by == "warehouse":
        return func.coalesce(Warehouse.code, _NONE), [
            (Warehouse, Warehouse.id == OrderFact.warehouse_id)
        ]
    if by == "carrier":
        return func.coalesce(Carrier.code, _NONE), [(Carrier, Carrier.id == OrderFact.carrier_id)]
    return _period(dialect, OrderFact.created_at, by), []


def kpis(
    db: Database,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
) -> KpiTable:
    """Refresh the order facts (incrementally) and return :func:`compute_kpis`."""
    _check_arguments(start, end, by)
    with db.transaction() as session:
        refresh_order_facts(session=session)
    with db.reader() as session:
        return compute_kpis(session=session, start=start, end=end, by=by)


def orders_per_day(*, session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Return the number of orders created each day of ``[start, end)`` (UTC days), from the
    order facts: the light query behind the console's charts."""
    dialect = session.get_bind().dialect.name
    day = _period(dialect, OrderFact.created_at, "day")
    rows = session.execute(
        select(day, func.count())
        .where(OrderFact.created_at >= start, OrderFact.created_at < end)
        .group_by(day)
        .order_by(day)
    ).all()
    return {str(d): int(n) for d, n in rows}


def _check_arguments(start: datetime | None, end: datetime | None, by: str | None) -> None:
    if by is not None and by not in DIMENSIONS:
        raise ValidationError(FieldError("by", f"use one of {', '.join(DIMENSIONS)}"))
    if start is not None and end is not None and end <= start:
        raise ValidationError(FieldError("to", "must be after from"))


def compute_kpis(
    *,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    ship_within_h: float = 24.0,
) -> KpiTable:
    """Return every KPI of :data:`~maillon.analytics.definitions.KPIS` over ``[start, end)``,
    split by ``by`` (one of ``DIMENSIONS``), counted by the database over ``order_facts``
    (refresh them first: :func:`kpis` does) and the stock ledger.

    Raises ValidationError naming ``by`` or ``to`` (an end before the start).
    """
    _check_arguments(start, end, by)
    dialect = session.get_bind().dialect.name
    table = KpiTable(start=start, end=end, by=by)
    f = OrderFact

    def in_period(column: Any) -> list[Any]:
        conds = []
        if start is not None:
            conds.append(column >= start)
        if end is not None:
            conds.append(column < end)
        return conds

    dim, joins = _fact_dimension(dialect, by)

    def joined(query: Any) -> Any:
        for target, on in joins:
            query = query.outerjoin(target, on)
        return query

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    on_time = and_(f.delivered, f.lateness_s.is_not(None), f.lateness_s <= 0)
    otif = and_(on_time, f.shipped_units >= f.units)
    late = and_(f.delivered, f.lateness_s > 0)
    orders_q = (
        joined(
            select(
                dim.label("dim"),
                func.count().label("orders"),
                func.sum(case((f.cancelled, 0), else_=f.total_cents)).label("revenue"),
                count_if(f.cancelled).label("cancelled"),
                count_if(f.waited).label("waited"),
                count_if(f.attempted).label("attempted"),
                func.sum(f.n_lines).label("lines"),
                func.sum(case((f.waited, f.n_lines), else_=0)).label("waited_lines"),
                count_if(f.shipped).label("shipped"),
                func.sum(case((f.shipped, f.cycle_s), else_=0)).label("cycle_s"),
                count_if(and_(f.shipped, f.cycle_s <= ship_within_h * 3600)).label("ship_ok"),
                count_if(f.delivered).label("delivered"),
                count_if(on_time).label("on_time"),
                count_if(otif).label("otif"),
                count_if(and_(otif, f.returned.is_(False), f.ticketed.is_(False))).label("perfect"),
                count_if(
                    and_(f.delivered, f.lateness_s.is_not(None), func.abs(f.lateness_s) <= 86400)
                ).label("accurate"),
                count_if(late).label("late"),
                func.sum(case((late, f.lateness_s), else_=0)).label("late_s"),
                count_if(and_(f.delivered, f.returned)).label("returned"),
                count_if(and_(f.delivered, f.carrier_id.is_not(None))).label("carrier_delivered"),
                count_if(and_(on_time, f.carrier_id.is_not(None))).label("carrier_on_time"),
                func.sum(f.route_m).label("route_m"),
                func.sum(case((f.route_m.is_not(None), f.pick_lines), else_=0)).label("pick_lines"),
            ).select_from(f)
        )
        .where(*in_period(f.created_at))
        .group_by(*_g(dim))
    )
    for r in session.execute(orders_q):
        if not r.orders:
            continue
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
            "on_time_shipping_pct": rate(r.ship_ok, r.shipped),
            "on_time_delivery_pct": rate(r.on_time, r.delivered),
            "otif_pct": rate(r.otif, r.delivered),
            "perfect_order_pct": rate(r.perfect, r.delivered),
            "promise_accuracy_pct": rate(r.accurate, r.delivered),
            "mean_days_late": mean_or_none(r.late_s, r.late, scale=1 / 86400),
            "return_rate_pct": rate(r.returned, r.delivered),
            "carrier_on_time_pct": rate(r.carrier_on_time, r.carrier_delivered),
            "metres_per_line": mean_or_none(r.route_m, r.pick_lines),
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

    for column, condition, keys in (
        (f.cycle_s, f.shipped, {"cycle_time_p50_h": 0.5, "cycle_time_p90_h": 0.9}),
        (f.transit_s, f.transit_s.is_not(None), {"transit_p50_h": 0.5, "transit_p90_h": 0.9}),
    ):
        bucket = _bucket(dialect, column)
        quantiles(
            joined(select(dim, bucket, func.count()).select_from(f))
            .where(condition, *in_period(f.created_at))
            .group_by(*_g(dim, bucket)),
            keys,
        )

    # repeat purchase: customers of the period with two orders or more up to its end, i.e.
    # with an order of the period that is not their first (customer_seq >= 2)
    repeat_q = (
        joined(
            select(
                dim,
                func.count(func.distinct(f.customer_id)),
                func.count(func.distinct(case((f.customer_seq >= 2, f.customer_id)))),
            ).select_from(f)
        )
        .where(*in_period(f.created_at))
        .group_by(*_g(dim))
    )
    for label, customers, repeaters in session.execute(repeat_q):
        if customers:
            table.rows.setdefault(str(label), {})["repeat_purchase_pct"] = rate(
                repeaters, customers
            )

    # care: tickets opened in the period (their order's dimension; "(none)" without an order)
    response = _seconds(dialect, Ticket.first_response_at, Ticket.created_at)
    resolved_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
    resolution = _seconds(dialect, resolved_at, Ticket.created_at)
    if by in ("day", "week", "month"):
        ticket_dim: Any = _period(dialect, Ticket.created_at, by)
    elif by is None:
        ticket_dim = _ALL
    else:
        ticket_dim = func.coalesce(dim, _NONE)

    def tickets_query(*columns: Any) -> Any:
        query = select(ticket_dim, *columns).select_from(Ticket)
        if by in ("warehouse", "carrier", "channel"):
            query = joined(query.outerjoin(f, f.order_id == Ticket.order_id))
        return query.where(*in_period(Ticket.created_at))

    for label, n in session.execute(tickets_query(func.count()).group_by(*_g(ticket_dim))):
        if n:
            table.rows.setdefault(str(label), {})["tickets"] = n
    for seconds, condition, key in (
        (response, Ticket.first_response_at.is_not(None), "first_response_p50_h"),
        (resolution, resolved_at.is_not(None), "resolution_p50_h"),
    ):
        bucket = _bucket(dialect, seconds)
        quantiles(
            tickets_query(bucket, func.count()).where(condition).group_by(*_g(ticket_dim, bucket)),
            {key: 0.5},
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
