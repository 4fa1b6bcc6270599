"""The fact rows the KPIs count over, built by the database: one ``order_facts`` row per order
(what the KPIs need to know of it, from its lines, allocations, events, shipments, picking,
packing, returns, tickets and fraud reviews) and one ``session_facts`` row per storefront
session. Each is a single SELECT, for every order (session) or for a chosen few."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal_column, or_, select, true
from sqlalchemy.orm import aliased

from maillon.acquisition.tables import StorefrontEvent
from maillon.analytics.queries.sql import as_bool, epoch, greatest, seconds
from maillon.care.tables import Ticket
from maillon.fraud.tables import FraudAssessment, FraudChargeback, FraudReview
from maillon.orders.model import AllocationStatus, OrderStatus
from maillon.orders.tables import Allocation, Order, OrderEvent, OrderLine
from maillon.returns.model import ARRIVED, CLOSED_OUT
from maillon.returns.tables import ReturnLine, ReturnRequest
from maillon.shipping.tables import Parcel, Shipment
from maillon.warehouse.model import PackingStatus, PickLineStatus
from maillon.warehouse.tables import PackingSession, PickList, PickListLine, PickScan

FACT_COLUMNS = [
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
    "returned_units",
    "pick_scans",
    "pick_mismatches",
    "picked_lines",
    "pick_s",
    "parcels",
    "carton_cents",
    "ship_cents",
    "fraud_flagged",
    "fraud_confirmed",
    "fraud_cleared",
]
"""The columns of ``order_facts`` that :func:`facts_select` fills, in its order."""


def _restrict(query: Any, column: Any, only: Any | None) -> Any:
    """``query`` limited to the orders ``only`` (a subquery of order ids; None: all)."""
    return query if only is None else query.where(column.in_(only))


def _per_order(query: Any, column: Any, only: Any | None, name: str) -> Any:
    """``query`` of the orders ``only``, grouped by its order id ``column``, as subquery."""
    return _restrict(query, column, only).group_by(column).subquery(name)


def _pick_work(dialect: str, only: Any | None) -> Any:
    """Subquery ``(order_id, lines, seconds)``: the pick lines confirmed of each order and the
    picking seconds attributed to it.

    As :func:`maillon.warehouse.queries.picking_stats.picker_metrics`: a picker's unit of work (a
    tour, else a
    pick list) on a UTC day lasts from taking it (``assigned_at``, clipped to the day's start;
    the pick itself when never assigned) to its last pick; its seconds are shared equally
    among its lines, so the seconds of all orders add up to the pickers' active hours.
    """
    line, plist = PickListLine, PickList
    at_s = epoch(dialect, line.picked_at)
    day = cast(at_s / 86400.0, Integer) if dialect == "sqlite" else func.floor(at_s / 86400.0)
    begin = case(
        (plist.assigned_at.is_(None), at_s),
        else_=greatest(dialect, epoch(dialect, plist.assigned_at), day * 86400.0),
    )
    unit = case((plist.tour_id.is_(None), -plist.id), else_=plist.tour_id)
    base = (
        select(
            plist.order_id.label("order_id"),
            line.picked_by.label("picker"),
            day.label("day"),
            unit.label("unit"),
            begin.label("begin_s"),
            at_s.label("at_s"),
        )
        .join(plist, plist.id == line.pick_list_id)
        .where(
            line.status.in_((PickLineStatus.DONE, PickLineStatus.SHORT)),
            line.picked_at.is_not(None),
        )
    )
    if only is not None:
        tours = select(PickList.tour_id).where(
            PickList.order_id.in_(only), PickList.tour_id.is_not(None)
        )
        base = base.where(or_(plist.order_id.in_(only), plist.tour_id.in_(tours)))
    lines = base.subquery("picked")
    units = (
        select(
            lines.c.picker,
            lines.c.day,
            lines.c.unit,
            ((func.max(lines.c.at_s) - func.min(lines.c.begin_s)) / func.count()).label("share"),
        )
        .group_by(lines.c.picker, lines.c.day, lines.c.unit)
        .subquery("units")
    )
    return (
        select(
            lines.c.order_id,
            func.count().label("lines"),
            func.sum(units.c.share).label("seconds"),
        )
        .join(
            units,
            and_(
                units.c.picker == lines.c.picker,
                units.c.day == lines.c.day,
                units.c.unit == lines.c.unit,
            ),
        )
        .group_by(lines.c.order_id)
        .subquery("pick_work")
    )


def _carton_costs(dialect: str, only: Any | None) -> Any:
    """Subquery ``(order_id, cents)``: the carton costs of each order's packing plans (the
    last finished packing session per warehouse; its ``plan`` JSON lists the parcels)."""
    latest = select(func.max(PackingSession.id)).where(PackingSession.status == PackingStatus.DONE)
    if only is not None:
        latest = latest.where(PackingSession.order_id.in_(only))
    latest = latest.group_by(PackingSession.order_id, PackingSession.warehouse_id)
    if dialect == "sqlite":
        parcel = func.json_each(PackingSession.plan, "$.parcels").table_valued("value")
        cents = cast(func.json_extract(parcel.c.value, "$.carton_cost_cents"), Integer)
    else:
        parcel = func.json_array_elements(
            PackingSession.plan.op("->")(literal_column("'parcels'"))
        ).table_valued("value")
        cents = cast(parcel.c.value.op("->>")(literal_column("'carton_cost_cents'")), Integer)
    return (
        select(PackingSession.order_id, func.sum(cents).label("cents"))
        .select_from(PackingSession)
        .join(parcel, true())  # a table function of the row: lateral on both dialects
        .where(PackingSession.id.in_(latest))
        .group_by(PackingSession.order_id)
        .subquery("cartons")
    )


def _order_subqueries(only: Any | None) -> dict[str, Any]:
    """The per-order subqueries of the order's own rows: backorder events, lines, shipped
    units, first shipment, parcels and shipping quotes, tickets."""
    return {
        "waited": _per_order(
            select(OrderEvent.order_id).where(
                OrderEvent.to_status == OrderStatus.BACKORDERED.value
            ),
            OrderEvent.order_id,
            only,
            "waited",
        ),
        "lines": _per_order(
            select(
                OrderLine.order_id,
                func.count().label("n_lines"),
                func.sum(OrderLine.quantity).label("units"),
            ),
            OrderLine.order_id,
            only,
            "lines",
        ),
        "shipped_units": _per_order(
            select(Allocation.order_id, func.sum(Allocation.quantity).label("units")).where(
                Allocation.status == AllocationStatus.SHIPPED
            ),
            Allocation.order_id,
            only,
            "shipped_units",
        ),
        "first_shipment": _per_order(
            select(Shipment.order_id, func.min(Shipment.id).label("shipment_id")),
            Shipment.order_id,
            only,
            "first_shipment",
        ),
        "parcels": _per_order(
            select(Shipment.order_id, func.count().label("n")).join(
                Parcel, Parcel.shipment_id == Shipment.id
            ),
            Shipment.order_id,
            only,
            "parcel_counts",
        ),
        "ship_costs": _per_order(
            select(Shipment.order_id, func.sum(Shipment.quoted_cents).label("cents")),
            Shipment.order_id,
            only,
            "ship_costs",
        ),
        "ticketed": _per_order(
            select(Ticket.order_id).where(Ticket.order_id.is_not(None)),
            Ticket.order_id,
            only,
            "ticketed",
        ),
    }


def _return_subqueries(only: Any | None) -> dict[str, Any]:
    """The per-order subqueries of returns: orders with a return still counted, and their
    units returned (received once arrived, else requested)."""
    units = case(
        (ReturnRequest.status.in_(ARRIVED), ReturnLine.received_quantity),
        else_=ReturnLine.quantity,
    )
    return {
        "returned": _per_order(
            select(ReturnRequest.order_id).where(ReturnRequest.status.not_in(CLOSED_OUT)),
            ReturnRequest.order_id,
            only,
            "returned",
        ),
        "returned_units": _per_order(
            select(ReturnRequest.order_id, func.sum(units).label("units"))
            .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
            .where(ReturnRequest.status.not_in(CLOSED_OUT)),
            ReturnRequest.order_id,
            only,
            "returned_units",
        ),
    }


def _warehouse_subqueries(dialect: str, only: Any | None) -> dict[str, Any]:
    """The per-order subqueries of the warehouse: scans, picking work, carton costs, the
    route metres and lines of the pick lists."""
    scans = (
        select(
            PickList.order_id,
            func.count().label("scans"),
            func.sum(case((PickScan.outcome.like("wrong%"), 1), else_=0)).label("refused"),
        )
        .select_from(PickScan)
        .join(PickListLine, PickListLine.id == PickScan.line_id)
        .join(PickList, PickList.id == PickListLine.pick_list_id)
    )
    pick_lines = (
        select(PickListLine.pick_list_id, func.count().label("n"))
        .group_by(PickListLine.pick_list_id)
        .subquery("pick_line_counts")
    )
    picks = (
        select(
            PickList.order_id,
            func.sum(PickList.route_m).label("metres"),
            func.sum(pick_lines.c.n).label("lines"),
        )
        .join(pick_lines, pick_lines.c.pick_list_id == PickList.id)
        .where(PickList.route_m.is_not(None))
    )
    return {
        "scans": _per_order(scans, PickList.order_id, only, "scans"),
        "pick_work": _pick_work(dialect, only),
        "cartons": _carton_costs(dialect, only),
        "picks": _per_order(picks, PickList.order_id, only, "picks"),
    }


def _fraud_reviews(only: Any | None) -> Any:
    """Subquery ``(order_id, rejected, approved)``: whether an analyst rejected or approved
    each reviewed order."""
    return _per_order(
        select(
            FraudReview.order_id,
            func.max(case((FraudReview.decision == "reject", 1), else_=0)).label("rejected"),
            func.max(case((FraudReview.decision == "approve", 1), else_=0)).label("approved"),
        ),
        FraudReview.order_id,
        only,
        "fraud_reviews",
    )


def _customer_seq() -> Any:
    """Scalar subquery: the rank of an order among its customer's orders (1 for the first)."""
    earlier = aliased(Order)
    return (
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


def _fact_values(dialect: str, q: dict[str, Any]) -> list[Any]:
    """The SELECT list of an order fact (the :data:`FACT_COLUMNS`, in order) over the order,
    its first shipment, its fraud rows and the per-order subqueries ``q``."""
    was_waiting = q["waited"].c.order_id.is_not(None)
    charged = FraudChargeback.id.is_not(None)
    return [
        Order.id,
        Order.created_at,
        Order.customer_id,
        _customer_seq(),
        Order.channel,
        Order.warehouse_id,
        Shipment.carrier_id,
        Order.status,
        Order.total_cents,
        as_bool(Order.status == OrderStatus.CANCELLED.value),
        as_bool(was_waiting),
        as_bool(
            or_(was_waiting, Order.status.not_in((OrderStatus.CONFIRMED, OrderStatus.CANCELLED)))
        ),
        func.coalesce(q["lines"].c.n_lines, 0),
        func.coalesce(q["lines"].c.units, 0),
        func.coalesce(q["shipped_units"].c.units, 0),
        as_bool(Order.shipped_at.is_not(None)),
        as_bool(Order.delivered_at.is_not(None)),
        seconds(dialect, Order.shipped_at, Order.created_at),
        seconds(dialect, Order.delivered_at, Order.promised_at),
        seconds(dialect, Shipment.delivered_at, Shipment.shipped_at),
        as_bool(q["returned"].c.order_id.is_not(None)),
        as_bool(q["ticketed"].c.order_id.is_not(None)),
        q["picks"].c.metres,
        func.coalesce(q["picks"].c.lines, 0),
        func.coalesce(q["returned_units"].c.units, 0),
        func.coalesce(q["scans"].c.scans, 0),
        func.coalesce(q["scans"].c.refused, 0),
        func.coalesce(q["pick_work"].c.lines, 0),
        q["pick_work"].c.seconds,
        func.coalesce(q["parcels"].c.n, 0),
        func.coalesce(q["cartons"].c.cents, 0),
        q["ship_costs"].c.cents,
        as_bool(FraudAssessment.decision.in_(("review", "reject"))),
        as_bool(or_(charged, q["fraud_reviews"].c.rejected == 1)),
        as_bool(and_(q["fraud_reviews"].c.approved == 1, FraudChargeback.id.is_(None))),
    ]


def facts_select(dialect: str, only: Any | None) -> Any:
    """The SELECT giving one ``order_facts`` row per order (of ``only``, a subquery of order
    ids, or all): every aggregate below is restricted to those orders."""
    q = {
        **_order_subqueries(only),
        **_return_subqueries(only),
        **_warehouse_subqueries(dialect, only),
        "fraud_reviews": _fraud_reviews(only),
    }
    query = select(*_fact_values(dialect, q)).select_from(Order)
    for name in ("waited", "lines", "shipped_units", "first_shipment"):
        query = query.outerjoin(q[name], q[name].c.order_id == Order.id)
    query = query.outerjoin(Shipment, Shipment.id == q["first_shipment"].c.shipment_id)
    for name in (
        "returned",
        "ticketed",
        "picks",
        "returned_units",
        "scans",
        "pick_work",
        "parcels",
        "cartons",
        "ship_costs",
    ):
        query = query.outerjoin(q[name], q[name].c.order_id == Order.id)
    query = (
        query.outerjoin(FraudAssessment, FraudAssessment.order_id == Order.id)
        .outerjoin(FraudChargeback, FraudChargeback.order_id == Order.id)
        .outerjoin(q["fraud_reviews"], q["fraud_reviews"].c.order_id == Order.id)
    )
    return _restrict(query, Order.id, only)


# -- storefront sessions ---------------------------------------------------------------------

_CART_TYPES = ("add_to_cart", "checkout_step", "purchase")
SESSION_COLUMNS = ["session_id", "started_at", "channel", "cart", "purchased", "cart_cents"]
"""The columns of ``session_facts`` that :func:`sessions_select` fills, in its order."""


def sessions_select(only: Any | None) -> Any:
    """The SELECT giving one ``session_facts`` row per storefront session (of ``only``, a
    subquery of session ids, or all), as :func:`maillon.acquisition.service.funnel` sees
    them: the channel of the first event, a cart once added to cart, checked out or bought,
    the largest cart value seen."""
    e = StorefrontEvent
    first = func.row_number().over(partition_by=e.session_id, order_by=(e.occurred_at, e.id))
    ranked = select(
        e.session_id.label("session_id"),
        e.occurred_at.label("at"),
        e.channel.label("channel"),
        case((e.type.in_(_CART_TYPES), 1), else_=0).label("cart"),
        case((e.type == "purchase", 1), else_=0).label("bought"),
        case((e.type.in_(_CART_TYPES), e.value_cents), else_=0).label("cents"),
        first.label("rn"),
    )
    if only is not None:
        ranked = ranked.where(e.session_id.in_(only))
    r = ranked.subquery("ranked")
    return select(
        r.c.session_id,
        func.min(r.c.at),
        func.coalesce(func.max(case((r.c.rn == 1, r.c.channel))), ""),
        as_bool(func.max(r.c.cart) == 1),
        as_bool(func.max(r.c.bought) == 1),
        func.coalesce(func.max(r.c.cents), 0),
    ).group_by(r.c.session_id)
