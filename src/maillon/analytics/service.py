"""KPI use cases: the headline summary of a period, and the whole KPI catalogue computed by
the database (SQL aggregates and histograms, no row is brought back per order)."""

from __future__ import annotations

import os
from collections.abc import Collection
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
    true,
    union,
)
from sqlalchemy.orm import Session, aliased

from maillon.acquisition.tables import StorefrontEvent
from maillon.analytics.definitions import (
    DIMENSIONS,
    KPIS,
    RETURN_REASON_CODES,
    CostRates,
    KpiTable,
    cost_rates_from_env,
    histogram_quantile,
    mean_or_none,
    rate,
    reason_key,
)
from maillon.analytics.kpi import KpiSummary, OrderFacts, summarise
from maillon.analytics.tables import AnalyticsState, OrderFact, SessionFact
from maillon.care import sla
from maillon.care.service import CALENDAR, sla_policy
from maillon.care.tables import CsatSurvey, Ticket, TicketEvent
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.clock import as_utc
from maillon.core.db import Database
from maillon.core.errors import FieldError, ValidationError
from maillon.fraud.tables import FraudAssessment, FraudChargeback, FraudReview
from maillon.inventory.model import MovementKind
from maillon.inventory.tables import StockLevel, StockMovement, Warehouse
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Allocation, Order, OrderEvent, OrderLine
from maillon.returns.tables import ReturnLine, ReturnRequest
from maillon.shipping.tables import Carrier, Parcel, Shipment
from maillon.warehouse.tables import PackingSession, PickList, PickListLine, PickScan


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


def _epoch(dialect: str, column: Any) -> Any:
    """SQL for a timestamp as seconds since 1970 (UTC)."""
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def _greatest(dialect: str, a: Any, b: Any) -> Any:
    return func.max(a, b) if dialect == "sqlite" else func.greatest(a, b)


# returns left out of return KPIs, and those whose received quantity counts (as returns.stats)
_RETURN_CLOSED_OUT = ("rejected", "cancelled")
_RETURN_ARRIVED = ("received", "inspected", "settled", "closed")


def _pick_work(dialect: str, only: Any | None) -> Any:
    """Subquery ``(order_id, lines, seconds)``: the pick lines confirmed of each order and the
    picking seconds attributed to it.

    As :func:`maillon.warehouse.tasks.picker_metrics`: a picker's unit of work (a tour, else a
    pick list) on a UTC day lasts from taking it (``assigned_at``, clipped to the day's start;
    the pick itself when never assigned) to its last pick; its seconds are shared equally
    among its lines, so the seconds of all orders add up to the pickers' active hours.
    """
    line, plist = PickListLine, PickList
    at_s = _epoch(dialect, line.picked_at)
    day = cast(at_s / 86400.0, Integer) if dialect == "sqlite" else func.floor(at_s / 86400.0)
    begin = case(
        (plist.assigned_at.is_(None), at_s),
        else_=_greatest(dialect, _epoch(dialect, plist.assigned_at), day * 86400.0),
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
        .where(line.status.in_(("done", "short")), line.picked_at.is_not(None))
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
    latest = select(func.max(PackingSession.id)).where(PackingSession.status == "done")
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
        restrict(
            select(ReturnRequest.order_id).where(ReturnRequest.status.not_in(_RETURN_CLOSED_OUT)),
            ReturnRequest.order_id,
        )
        .group_by(ReturnRequest.order_id)
        .subquery("returned")
    )
    returned_units = (
        restrict(
            select(
                ReturnRequest.order_id,
                func.sum(
                    case(
                        (
                            ReturnRequest.status.in_(_RETURN_ARRIVED),
                            ReturnLine.received_quantity,
                        ),
                        else_=ReturnLine.quantity,
                    )
                ).label("units"),
            )
            .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
            .where(ReturnRequest.status.not_in(_RETURN_CLOSED_OUT)),
            ReturnRequest.order_id,
        )
        .group_by(ReturnRequest.order_id)
        .subquery("returned_units")
    )
    scans = (
        restrict(
            select(
                PickList.order_id,
                func.count().label("scans"),
                func.sum(case((PickScan.outcome.like("wrong%"), 1), else_=0)).label("refused"),
            )
            .select_from(PickScan)
            .join(PickListLine, PickListLine.id == PickScan.line_id)
            .join(PickList, PickList.id == PickListLine.pick_list_id),
            PickList.order_id,
        )
        .group_by(PickList.order_id)
        .subquery("scans")
    )
    pick_work = _pick_work(dialect, only)
    cartons = _carton_costs(dialect, only)
    parcels = (
        restrict(
            select(Shipment.order_id, func.count().label("n")).join(
                Parcel, Parcel.shipment_id == Shipment.id
            ),
            Shipment.order_id,
        )
        .group_by(Shipment.order_id)
        .subquery("parcel_counts")
    )
    ship_costs = (
        restrict(
            select(Shipment.order_id, func.sum(Shipment.quoted_cents).label("cents")),
            Shipment.order_id,
        )
        .group_by(Shipment.order_id)
        .subquery("ship_costs")
    )
    reviews = (
        restrict(
            select(
                FraudReview.order_id,
                func.max(case((FraudReview.decision == "reject", 1), else_=0)).label("rejected"),
                func.max(case((FraudReview.decision == "approve", 1), else_=0)).label("approved"),
            ),
            FraudReview.order_id,
        )
        .group_by(FraudReview.order_id)
        .subquery("fraud_reviews")
    )
    charged = FraudChargeback.id.is_not(None)
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
            func.coalesce(returned_units.c.units, 0),
            func.coalesce(scans.c.scans, 0),
            func.coalesce(scans.c.refused, 0),
            func.coalesce(pick_work.c.lines, 0),
            pick_work.c.seconds,
            func.coalesce(parcels.c.n, 0),
            func.coalesce(cartons.c.cents, 0),
            ship_costs.c.cents,
            _as_bool(FraudAssessment.decision.in_(("review", "reject"))),
            _as_bool(or_(charged, reviews.c.rejected == 1)),
            _as_bool(and_(reviews.c.approved == 1, FraudChargeback.id.is_(None))),
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
        .outerjoin(returned_units, returned_units.c.order_id == Order.id)
        .outerjoin(scans, scans.c.order_id == Order.id)
        .outerjoin(pick_work, pick_work.c.order_id == Order.id)
        .outerjoin(parcels, parcels.c.order_id == Order.id)
        .outerjoin(cartons, cartons.c.order_id == Order.id)
        .outerjoin(ship_costs, ship_costs.c.order_id == Order.id)
        .outerjoin(FraudAssessment, FraudAssessment.order_id == Order.id)
        .outerjoin(FraudChargeback, FraudChargeback.order_id == Order.id)
        .outerjoin(reviews, reviews.c.order_id == Order.id)
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


def refresh_order_facts(*, session: Session, full: bool = False) -> int:
    """Bring ``order_facts`` (and the storefront ``session_facts``, see
    :func:`refresh_session_facts`) up to date; return how many orders were (re)computed.

    Incremental by default: only orders changed since the last refresh (their row, events,
    shipments, pick lists, returns, tickets, fraud reviews or chargebacks) are recomputed,
    set-based, in the caller's transaction; the first run, or ``full``, rebuilds everything.
    Picking scans do not stamp the order: an order's pick figures follow when its pick list
    is finished (the order then moves on).
    """
    count = _refresh_orders(session=session, full=full)
    refresh_session_facts(session=session, full=full)
    return count


def _refresh_orders(*, session: Session, full: bool) -> int:
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
        # cancellation) stamps orders.updated_at; returns, tickets, fraud reviews and
        # chargebacks do not touch the order
        r = ReturnRequest
        changed = union(
            select(Order.id).where(Order.updated_at >= since),
            select(r.order_id).where(
                or_(
                    *(
                        column >= since
                        for column in (
                            r.created_at,
                            r.decided_at,
                            r.received_at,
                            r.inspected_at,
                            r.closed_at,
                        )
                    )
                )
            ),
            select(Ticket.order_id).where(Ticket.created_at >= since, Ticket.order_id.is_not(None)),
            select(FraudReview.order_id).where(FraudReview.decided_at >= since),
            select(FraudChargeback.order_id).where(FraudChargeback.recorded_at >= since),
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


_SESSIONS_KEY = "session_facts"
_EVENT_ID_MARGIN = 1000  # events committed out of id order while the last refresh ran
_CART_TYPES = ("add_to_cart", "checkout_step", "purchase")


def _sessions_select(only: Any | None) -> Any:
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
        _as_bool(func.max(r.c.cart) == 1),
        _as_bool(func.max(r.c.bought) == 1),
        func.coalesce(func.max(r.c.cents), 0),
    ).group_by(r.c.session_id)


_SESSION_COLUMNS = ["session_id", "started_at", "channel", "cart", "purchased", "cart_cents"]


def refresh_session_facts(*, session: Session, full: bool = False) -> int:
    """Bring ``session_facts`` up to date with the storefront events; return how many
    sessions were (re)computed.

    Incremental by default: the sessions with an event newer than the last one folded in
    (by event id, with a small margin) are recomputed from all their events; the first run,
    or ``full``, rebuilds everything.
    """
    state = session.get(AnalyticsState, _SESSIONS_KEY)
    top = session.scalar(select(func.max(StorefrontEvent.id))) or 0
    if full or state is None or state.last_id is None:
        session.execute(delete(SessionFact))
        session.execute(
            insert(SessionFact.__table__).from_select(_SESSION_COLUMNS, _sessions_select(None))
        )
        count = session.scalar(select(func.count()).select_from(SessionFact)) or 0
    else:
        since = state.last_id - _EVENT_ID_MARGIN
        ids = list(
            session.scalars(
                select(StorefrontEvent.session_id).where(StorefrontEvent.id > since).distinct()
            )
        )
        for chunk in (ids[i : i + 2000] for i in range(0, len(ids), 2000)):
            session.execute(delete(SessionFact).where(SessionFact.session_id.in_(chunk)))
            session.execute(
                insert(SessionFact.__table__).from_select(_SESSION_COLUMNS, _sessions_select(chunk))
            )
        count = len(ids)
    if state is None:
        session.add(AnalyticsState(key=_SESSIONS_KEY, at=clock.now(), last_id=top))
    else:
        state.at, state.last_id = clock.now(), top
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
    costs: CostRates | None = None,
    keys: Collection[str] | None = None,
) -> KpiTable:
    """Return every KPI of :data:`~maillon.analytics.definitions.KPIS` over ``[start, end)``,
    split by ``by`` (one of ``DIMENSIONS``), counted by the database over ``order_facts`` and
    ``session_facts`` (refresh them first: :func:`kpis` does), the stock ledger, the tickets
    and the returns. ``costs`` defaults to :func:`cost_rates`. The units returned per reason
    code, every code kept, are in ``table.breakdowns[row]["return_reasons"]``. With ``keys``,
    only the queries those KPIs need run (a page showing a few headline figures); the others
    are None, and the values computed are the same as without ``keys``.

    Raises ValidationError naming ``by`` or ``to`` (an end before the start), or naming a
    cost variable set to something else than a number >= 0.
    """
    _check_arguments(start, end, by)
    wanted = None if keys is None else set(keys)

    def want(*names: str) -> bool:
        return wanted is None or any(
            n in wanted or (n.endswith("*") and any(w.startswith(n[:-1]) for w in wanted))
            for n in names
        )

    rates = costs if costs is not None else cost_rates()
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
                func.sum(case((f.delivered, f.units), else_=0)).label("delivered_units"),
                func.sum(case((f.delivered, f.returned_units), else_=0)).label("returned_units"),
                func.sum(f.pick_scans).label("scans"),
                func.sum(f.pick_mismatches).label("refused"),
                func.sum(f.picked_lines).label("picked_lines"),
                func.sum(f.pick_s).label("pick_s"),
                count_if(f.picked_lines > 0).label("picked_orders"),
                count_if(f.parcels > 0).label("packed"),
                func.sum(f.parcels).label("parcels"),
                func.sum(case((f.parcels > 0, f.carton_cents), else_=0)).label("carton_cents"),
                count_if(f.ship_cents.is_not(None)).label("ship_known"),
                func.sum(f.ship_cents).label("ship_cents"),
                count_if(f.fraud_confirmed).label("fraud"),
                count_if(and_(f.fraud_confirmed, f.fraud_flagged)).label("fraud_caught"),
                count_if(and_(f.fraud_flagged, f.fraud_cleared)).label("false_alarms"),
                count_if(and_(f.fraud_flagged, or_(f.fraud_cleared, f.fraud_confirmed))).label(
                    "flag_outcomes"
                ),
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
            "return_units_pct": rate(r.returned_units, r.delivered_units),
            "pick_accuracy_pct": rate((r.scans or 0) - (r.refused or 0), r.scans),
            "lines_per_hour": (
                None
                if by in ("carrier", "channel")
                else rate(r.picked_lines, (r.pick_s or 0) / 3600, pct=False)
            ),
            "fraud_catch_pct": rate(r.fraud_caught, r.fraud),
            "fraud_false_positive_pct": rate(r.false_alarms, r.flag_outcomes),
            **_costs(r, rates),
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

    for column, condition, quantile_keys in (
        (f.cycle_s, f.shipped, {"cycle_time_p50_h": 0.5, "cycle_time_p90_h": 0.9}),
        (f.transit_s, f.transit_s.is_not(None), {"transit_p50_h": 0.5, "transit_p90_h": 0.9}),
    ):
        if not want(*quantile_keys):
            continue
        bucket = _bucket(dialect, column)
        quantiles(
            joined(select(dim, bucket, func.count()).select_from(f))
            .where(condition, *in_period(f.created_at))
            .group_by(*_g(dim, bucket)),
            quantile_keys,
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
    for label, customers, repeaters in (
        session.execute(repeat_q) if want("repeat_purchase_pct") else ()
    ):
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

    if want("tickets"):
        for label, n in session.execute(tickets_query(func.count()).group_by(*_g(ticket_dim))):
            if n:
                table.rows.setdefault(str(label), {})["tickets"] = n
    for seconds, condition, key in (
        (response, Ticket.first_response_at.is_not(None), "first_response_p50_h"),
        (resolution, resolved_at.is_not(None), "resolution_p50_h"),
    ):
        if not want(key):
            continue
        bucket = _bucket(dialect, seconds)
        quantiles(
            tickets_query(bucket, func.count()).where(condition).group_by(*_g(ticket_dim, bucket)),
            {key: 0.5},
        )

    if want("sla_breach_pct", "csat_mean", "csat_satisfied_pct"):
        _care_kpis(session, table, tickets_query, ticket_dim)
    if want("return_reason_*"):
        _return_reasons(session, table, dim, joined, in_period(f.created_at))
    if want("sessions", "conversion_pct", "cart_abandonment_pct", "abandoned_cart_cents"):
        _storefront_kpis(session, table, start, end, by)
    if want(
        "units_shipped",
        "on_hand_end_units",
        "inventory_turnover",
        "days_of_supply",
        "stockout_sku_pct",
    ):
        _inventory_kpis(session, table, start, end, by)
    for row in table.rows.values():
        for k in KPIS:
            row.setdefault(k.key, None)
    table.rows = dict(sorted(table.rows.items()))
    return table


def cost_rates() -> CostRates:
    """Return the cost rates of the environment (``MAILLON_KPI_LABOUR_CENTS_PER_HOUR``,
    ``MAILLON_KPI_PACK_SECONDS_PER_PARCEL``; defaults otherwise).

    Raises ValidationError naming the variable when it is not a number >= 0.
    """
    try:
        return cost_rates_from_env(os.environ)
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        raise ValidationError(FieldError(field, str(exc))) from None


def _costs(r: Any, rates: CostRates) -> dict[str, float | None]:
    """The cost-per-order KPIs of one row of sums (see the ``costs`` KPIs)."""
    per_second = rates.labour_cents_per_hour / 3600
    pick = mean_or_none((r.pick_s or 0) * per_second, r.picked_orders) if r.picked_orders else None
    pack_total = (r.carton_cents or 0) + (r.parcels or 0) * rates.pack_seconds_per_parcel * (
        per_second
    )
    pack = mean_or_none(pack_total, r.packed) if r.packed else None
    ship = mean_or_none(r.ship_cents or 0, r.ship_known) if r.ship_known else None
    parts = (pick, pack, ship)
    total = None if any(p is None for p in parts) else round(sum(p or 0.0 for p in parts), 2)
    return {
        "pick_cost_cents": pick,
        "pack_cost_cents": pack,
        "ship_cost_cents": ship,
        "cost_per_order_cents": total,
    }


def _care_kpis(session: Session, table: KpiTable, tickets_query: Any, ticket_dim: Any) -> None:
    """SLA breach rate and CSAT of the tickets ``tickets_query`` selects (with their row)."""
    now = clock.now()
    rows = session.execute(
        tickets_query(
            Ticket.id,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.priority,
            Ticket.category,
        )
    ).all()
    if rows:
        events: dict[int, list[tuple[datetime, str]]] = {}
        ids = [r[1] for r in rows]
        for chunk in (ids[i : i + 5000] for i in range(0, len(ids), 5000)):
            status_q = select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.new).where(
                TicketEvent.kind == "status", TicketEvent.ticket_id.in_(chunk)
            )
            for ticket_id, at, new in session.execute(status_q):
                events.setdefault(ticket_id, []).append((as_utc(at), new))
        counts: dict[str, list[int]] = {}
        policy = sla_policy(session=session)
        for label, ticket_id, created, first, resolved, priority, category in rows:
            opened = as_utc(created)

            def stamp(value: datetime | None, opened: datetime = opened) -> datetime | None:
                return None if value is None else max(as_utc(value), opened)

            state = sla.sla_state(  # as maillon.care.service.ticket_sla, from plain rows
                policy=policy,
                calendar=CALENDAR,
                opened_at=opened,
                now=now,
                events=events.get(ticket_id, ()),
                first_response_at=stamp(first),
                resolved_at=stamp(resolved),
                priority=priority,
                category=category,
            )
            tally = counts.setdefault(str(label), [0, 0])
            tally[0] += 1
            tally[1] += 1 if state.breaches else 0
        for label, (n, breached) in counts.items():
            table.rows.setdefault(label, {})["sla_breach_pct"] = rate(breached, n)
    csat_q = (
        tickets_query(
            func.count(),
            func.sum(CsatSurvey.score),
            func.sum(case((CsatSurvey.score >= 4, 1), else_=0)),
        )
        .join(CsatSurvey, CsatSurvey.ticket_id == Ticket.id)
        .where(CsatSurvey.score.is_not(None))
        .group_by(*_g(ticket_dim))
    )
    for label, answers, total, satisfied in session.execute(csat_q):
        if answers:
            row = table.rows.setdefault(str(label), {})
            row["csat_mean"] = mean_or_none(total, answers)
            row["csat_satisfied_pct"] = rate(satisfied, answers)


def _return_reasons(
    session: Session, table: KpiTable, dim: Any, joined: Any, conditions: list[Any]
) -> None:
    """Share of returned units per reason code, over the returns of the period's delivered
    orders (``dim`` labels a row, ``joined`` adds the joins it needs to a query)."""
    units = case(
        (ReturnRequest.status.in_(_RETURN_ARRIVED), ReturnLine.received_quantity),
        else_=ReturnLine.quantity,
    )
    query = (
        joined(select(dim, ReturnLine.reason_code, func.sum(units)).select_from(OrderFact))
        .join(ReturnRequest, ReturnRequest.order_id == OrderFact.order_id)
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
        .where(
            OrderFact.delivered,
            ReturnRequest.status.not_in(_RETURN_CLOSED_OUT),
            *conditions,
        )
    )
    grouped = query.group_by(*_g(dim, ReturnLine.reason_code))
    per_row: dict[str, dict[str, int]] = {}
    for label, code, n in session.execute(grouped):
        if n:
            reasons = per_row.setdefault(str(label), {})
            reasons[str(code)] = reasons.get(str(code), 0) + int(n)
    for label, reasons in per_row.items():
        total = sum(reasons.values())
        row = table.rows.setdefault(label, {})
        for code in RETURN_REASON_CODES:
            row[f"return_reason_{code}_pct"] = 0.0
        shares: dict[str, int] = {}
        for code, n in reasons.items():
            shares[reason_key(code)] = shares.get(reason_key(code), 0) + n
        for key, n in shares.items():
            row[key] = rate(n, total)
        table.breakdowns.setdefault(label, {})["return_reasons"] = dict(
            sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        )


def _storefront_kpis(
    session: Session, table: KpiTable, start: datetime | None, end: datetime | None, by: str | None
) -> None:
    """Conversion and cart abandonment of the storefront sessions started in the period (by
    their acquisition channel with ``by="channel"``; nothing by warehouse or carrier)."""
    if by in ("warehouse", "carrier"):
        return
    s = SessionFact
    dialect = session.get_bind().dialect.name
    label: Any = (
        _ALL if by is None else s.channel if by == "channel" else _period(dialect, s.started_at, by)
    )
    abandoned = and_(s.cart, s.purchased.is_(False))
    query = select(
        label,
        func.count(),
        func.sum(case((s.purchased, 1), else_=0)),
        func.sum(case((s.cart, 1), else_=0)),
        func.sum(case((abandoned, 1), else_=0)),
        func.sum(case((abandoned, s.cart_cents), else_=0)),
    ).select_from(s)
    if start is not None:
        query = query.where(s.started_at >= start)
    if end is not None:
        query = query.where(s.started_at < end)
    for name, n, bought, carts, dropped, value in session.execute(query.group_by(*_g(label))):
        if not n:
            continue
        row = table.rows.setdefault(str(name), {})
        row["sessions"] = int(n)
        row["conversion_pct"] = rate(bought, n)
        row["cart_abandonment_pct"] = rate(dropped, carts)
        row["abandoned_cart_cents"] = int(value or 0)


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
            .group_by(*_g(label, product))
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
