"""KPI use cases: the headline summary of a period, and the whole KPI catalogue computed by
the database (SQL aggregates and histograms, no row is brought back per order).

Long periods read daily rollups: ``order_facts`` summed per UTC day, warehouse, carrier and
channel (every additive count and sum of the catalogue), quarter-hour histograms of cycle and
transit times per day (and per month and warehouse, carrier or channel), storefront sessions
per day and channel, stock movements per day and warehouse. They are kept up to date in the
same transaction as the facts; a period's whole days come from them, its partial days from
the facts, so the figures are exactly those of the facts (``_compute_kpis(rollups=False)``
is that reference, which the tests and the bench compare with)."""

from __future__ import annotations

import os
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    Integer,
    String,
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
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
from maillon.analytics.tables import (
    AnalyticsState,
    OrderDayCustomers,
    OrderDayHistogram,
    OrderDayRollup,
    OrderFact,
    OrderMonthHistogram,
    SessionDayRollup,
    SessionFact,
    StockDayRollup,
)
from maillon.care import sla
from maillon.care.service import CALENDAR, sla_policy
from maillon.care.tables import CsatSurvey, Ticket, TicketEvent
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.clock import as_utc
from maillon.core.db import Database, utc_day
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
    """Bring ``order_facts`` and their daily rollups and histograms (and the storefront
    ``session_facts``, see :func:`refresh_session_facts`, and the daily rollups of the stock
    ledger) up to date; return how many orders were (re)computed.

    Incremental by default: only orders changed since the last refresh (their row, events,
    shipments, pick lists, returns, tickets, fraud reviews or chargebacks) are recomputed,
    set-based, in the caller's transaction; the rollups of the days of those orders are summed
    again from the facts, their histogram counts moved by the difference; the first run, or
    ``full``, rebuilds everything. Picking scans do not stamp the order: an order's pick
    figures follow when its pick list is finished (the order then moves on).
    """
    count = _refresh_orders(session=session, full=full)
    refresh_session_facts(session=session, full=full)
    _refresh_stock_rollups(session, full=full)
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
        _refresh_rollups(session, dialect, None)
        _rebuild_histograms(session, dialect)
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
        days: set[date] = set()  # the days of the facts changed: their rollups follow

        def note_days(chunk: list[int]) -> None:
            created = select(OrderFact.created_at).where(OrderFact.order_id.in_(chunk))
            days.update(as_utc(at).date() for at in session.scalars(created))

        changes: dict[str, dict[Any, int]] = {}  # to the histograms' counts
        for chunk in (ids[i : i + 2000] for i in range(0, len(ids), 2000)):
            note_days(chunk)
            _histogram_counts(session, dialect, chunk, -1, changes)
            session.execute(delete(OrderFact).where(OrderFact.order_id.in_(chunk)))
            only = select(Order.id).where(Order.id.in_(chunk)).scalar_subquery()
            session.execute(
                insert(OrderFact.__table__).from_select(_FACT_COLUMNS, _facts_select(dialect, only))
            )
            note_days(chunk)
            _histogram_counts(session, dialect, chunk, +1, changes)
            count += len(chunk)
        _refresh_rollups(session, dialect, days)
        _apply_histogram_changes(session, changes)
    if state is None:
        session.add(AnalyticsState(key=_STATE_KEY, at=now))
    else:
        state.at = now
    return int(count)


def _new_ids(session: Session, column: Any, state: AnalyticsState | None) -> Any | None:
    """The condition on an id ``column`` (events, ledger movements: ids grow as rows are
    added) selecting the rows to fold in since the refresh ``state``, or None when none.

    Rows committed out of id order can appear below the last id folded in: the last
    ``_EVENT_ID_MARGIN`` ids are read again when their count changed since (a row appeared
    there), else only the ids above."""
    assert state is not None and state.last_id is not None
    low = state.last_id - _EVENT_ID_MARGIN
    window = session.scalar(select(func.count()).where(column > low, column <= state.last_id))
    if window != state.seen:
        return column > low
    top = session.scalar(select(func.max(column)))
    return column > state.last_id if top is not None and top > state.last_id else None


def _id_mark(session: Session, column: Any) -> tuple[int, int]:
    """The last id of ``column`` and how many ids of the margin below it are present, read
    before folding rows in (rows committed meanwhile are read again next time)."""
    top = session.scalar(select(func.max(column))) or 0
    seen = session.scalar(select(func.count()).where(column > top - _EVENT_ID_MARGIN)) or 0
    return top, seen


def _save_mark(
    session: Session, key: str, state: AnalyticsState | None, mark: tuple[int, int]
) -> None:
    """Record the id mark of :func:`_id_mark` in the refresh state ``key``."""
    top, seen = mark
    if state is None:
        session.add(AnalyticsState(key=key, at=clock.now(), last_id=top, seen=seen))
    else:
        state.at, state.last_id, state.seen = clock.now(), top, seen


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
    dialect = session.get_bind().dialect.name
    state = session.get(AnalyticsState, _SESSIONS_KEY)
    mark = _id_mark(session, StorefrontEvent.id)
    days: set[date] | None = None  # the days whose rollups follow (None: all)
    if full or state is None or state.last_id is None:
        session.execute(delete(SessionFact))
        session.execute(
            insert(SessionFact.__table__).from_select(_SESSION_COLUMNS, _sessions_select(None))
        )
        count = session.scalar(select(func.count()).select_from(SessionFact)) or 0
    else:
        newer = _new_ids(session, StorefrontEvent.id, state)
        ids = (
            []
            if newer is None
            else list(session.scalars(select(StorefrontEvent.session_id).where(newer).distinct()))
        )
        days = set()

        def note_days(chunk: list[str]) -> None:
            started = select(SessionFact.started_at).where(SessionFact.session_id.in_(chunk))
            days.update(as_utc(at).date() for at in session.scalars(started))

        for chunk in (ids[i : i + 2000] for i in range(0, len(ids), 2000)):
            note_days(chunk)
            session.execute(delete(SessionFact).where(SessionFact.session_id.in_(chunk)))
            session.execute(
                insert(SessionFact.__table__).from_select(_SESSION_COLUMNS, _sessions_select(chunk))
            )
            note_days(chunk)
        count = len(ids)
    _refresh_session_rollups(session, dialect, days)
    _save_mark(session, _SESSIONS_KEY, state, mark)
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


# -- daily rollups of the order facts --------------------------------------------------------

_ROLLUP_SHIP_WITHIN_H = 24.0  # the threshold of ``ship_ok`` in the rollups
_ROLLUP_KEYS = ["day", "warehouse_id", "carrier_id", "channel"]


def _order_contributions(f: Any, ship_within_h: float) -> list[tuple[str, Any]]:
    """What one order fact adds to each sum of :func:`compute_kpis` (a count adds 0 or 1; a
    sum of a nullable column adds NULL when unknown, as SQL ``SUM`` skips it)."""

    def one_if(condition: Any) -> Any:
        return case((condition, 1), else_=0)

    on_time = and_(f.delivered, f.lateness_s.is_not(None), f.lateness_s <= 0)
    otif = and_(on_time, f.shipped_units >= f.units)
    late = and_(f.delivered, f.lateness_s > 0)
    return [
        ("orders", literal_column("1")),
        ("revenue", case((f.cancelled, 0), else_=f.total_cents)),
        ("cancelled", one_if(f.cancelled)),
        ("waited", one_if(f.waited)),
        ("attempted", one_if(f.attempted)),
        ("lines", f.n_lines),
        ("waited_lines", case((f.waited, f.n_lines), else_=0)),
        ("shipped", one_if(f.shipped)),
        ("cycle_s", case((f.shipped, f.cycle_s), else_=0)),
        ("ship_ok", one_if(and_(f.shipped, f.cycle_s <= ship_within_h * 3600))),
        ("delivered", one_if(f.delivered)),
        ("on_time", one_if(on_time)),
        ("otif", one_if(otif)),
        ("perfect", one_if(and_(otif, f.returned.is_(False), f.ticketed.is_(False)))),
        (
            "accurate",
            one_if(and_(f.delivered, f.lateness_s.is_not(None), func.abs(f.lateness_s) <= 86400)),
        ),
        ("late", one_if(late)),
        ("late_s", case((late, f.lateness_s), else_=0)),
        ("returned", one_if(and_(f.delivered, f.returned))),
        ("carrier_delivered", one_if(and_(f.delivered, f.carrier_id.is_not(None)))),
        ("carrier_on_time", one_if(and_(on_time, f.carrier_id.is_not(None)))),
        ("route_m", f.route_m),
        ("pick_lines", case((f.route_m.is_not(None), f.pick_lines), else_=0)),
        ("delivered_units", case((f.delivered, f.units), else_=0)),
        ("returned_units", case((f.delivered, f.returned_units), else_=0)),
        ("scans", f.pick_scans),
        ("refused", f.pick_mismatches),
        ("picked_lines", f.picked_lines),
        ("pick_s", f.pick_s),
        ("picked_orders", one_if(f.picked_lines > 0)),
        ("packed", one_if(f.parcels > 0)),
        ("parcels", f.parcels),
        ("carton_cents", case((f.parcels > 0, f.carton_cents), else_=0)),
        ("ship_known", one_if(f.ship_cents.is_not(None))),
        ("ship_cents", f.ship_cents),
        ("fraud", one_if(f.fraud_confirmed)),
        ("fraud_caught", one_if(and_(f.fraud_confirmed, f.fraud_flagged))),
        ("false_alarms", one_if(and_(f.fraud_flagged, f.fraud_cleared))),
        (
            "flag_outcomes",
            one_if(and_(f.fraud_flagged, or_(f.fraud_cleared, f.fraud_confirmed))),
        ),
    ]


_SUM_COLUMNS = [name for name, _ in _order_contributions(OrderFact, _ROLLUP_SHIP_WITHIN_H)]
_INTEGER_SUMS = {
    name for name in _SUM_COLUMNS if not isinstance(OrderDayRollup.__table__.c[name].type, Float)
} | {"sessions", "purchased", "carts", "abandoned", "abandoned_cents"}


def _sum_of(column: Any) -> Any:
    """``SUM(column)``, an integer sum cast back to an integer (PostgreSQL sums a bigint into
    a numeric, which Python reads as a Decimal)."""
    total = func.sum(column)
    return cast(total, BigInteger) if column.name in _INTEGER_SUMS else total


def _day_of(dialect: str, column: Any) -> Any:
    """SQL for the UTC day of a timestamp (as :func:`_period` buckets it by day)."""
    return utc_day(dialect, column)


def _month_of(dialect: str, column: Any) -> Any:
    """SQL for the first day of the UTC calendar month of a timestamp."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-01", column, type_=Date)
    return cast(func.date_trunc("month", func.timezone("UTC", column)), Date)


def _fact_day(dialect: str) -> Any:
    """SQL for the UTC day of an order fact."""
    return _day_of(dialect, OrderFact.created_at)


def _fact_keys(dialect: str) -> list[Any]:
    """The rollup key of an order fact: its day, warehouse, carrier (0 for none), channel."""
    zero: Any = literal_column("0")
    return [
        _fact_day(dialect).label("day"),
        func.coalesce(OrderFact.warehouse_id, zero).label("warehouse_id"),
        func.coalesce(OrderFact.carrier_id, zero).label("carrier_id"),
        OrderFact.channel.label("channel"),
    ]


def _fact_rows(dialect: str, conditions: list[Any], ship_within_h: float) -> Any:
    """SELECT of one row per order fact meeting ``conditions``: its rollup key and what it
    adds to each sum (the rollup's columns, in the same order)."""
    f = OrderFact
    return select(
        *_fact_keys(dialect),
        *(value.label(name) for name, value in _order_contributions(f, ship_within_h)),
    ).where(*conditions)


def _rollup_select(dialect: str, conditions: list[Any]) -> Any:
    """SELECT of the rollup rows (key and sums) of the order facts meeting ``conditions``."""
    keys = _fact_keys(dialect)
    contributions = _order_contributions(OrderFact, _ROLLUP_SHIP_WITHIN_H)
    return (
        select(*keys, *(func.sum(value).label(name) for name, value in contributions))
        .where(*conditions)
        .group_by(*(k.element for k in keys))
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _whole_units(
    start: datetime | None, end: datetime | None, unit: str
) -> tuple[date | None, date | None]:
    """The whole UTC days (``unit="day"``) or calendar months (``"month"``, each named by its
    first day) ``[first, last)`` inside ``[start, end)`` (None: unbounded)."""

    def floor(moment: datetime) -> date:
        day = as_utc(moment).date()
        return day if unit == "day" else day.replace(day=1)

    first = None
    if start is not None:
        first = floor(start)
        if _midnight(first) < as_utc(start):
            first = first + timedelta(days=1) if unit == "day" else _next_month(first)
    last = None if end is None else floor(end)
    return first, last


def _whole_days(start: datetime | None, end: datetime | None) -> tuple[date | None, date | None]:
    """The whole UTC days ``[first, last)`` inside ``[start, end)`` (None: unbounded)."""
    return _whole_units(start, end, "day")


Bounds = tuple[datetime | None, datetime | None]


def _split(
    start: datetime | None, end: datetime | None, *, rollups: bool, unit: str = "day"
) -> tuple[Any, list[Bounds]]:
    """Cut ``[start, end)`` into its whole UTC days (or months) ``(first, last)`` (None:
    unbounded), read from rollups, and the partial days (or months) at its ends, read from
    facts. Without ``rollups``, or without a whole day, the whole period is read from facts
    (``None, [(start, end)]``).
    """
    first, last = _whole_units(start, end, unit)
    if not rollups or (first is not None and last is not None and first >= last):
        return None, [(start, end)]
    edges: list[Bounds] = []
    if first is not None and start is not None and as_utc(start) < _midnight(first):
        edges.append((start, _midnight(first)))
    if last is not None and end is not None and _midnight(last) < as_utc(end):
        edges.append((_midnight(last), end))
    return (first, last), edges


def _between(column: Any, bounds: Bounds) -> list[Any]:
    lower, upper = bounds
    conditions = []
    if lower is not None:
        conditions.append(column >= lower)
    if upper is not None:
        conditions.append(column < upper)
    return conditions


def _source(whole: Any, day: Any, days: Any, parts: list[Any], name: str) -> Any:
    """Subquery: the rollup rows ``whole`` of the days ``days`` (see :func:`_split`; its
    ``day`` column is ``day``) and the fact rows ``parts``, with the same columns."""
    if days is not None:
        first, last = days
        if first is not None:
            whole = whole.where(day >= first)
        if last is not None:
            whole = whole.where(day < last)
        parts = [whole, *parts]
    return union_all(*parts).subquery(name) if len(parts) > 1 else parts[0].subquery(name)


def _order_sums_source(
    dialect: str,
    start: datetime | None,
    end: datetime | None,
    ship_within_h: float,
    *,
    rollups: bool,
) -> Any:
    """Subquery of rows whose sums, per dimension value, are those of the orders created in
    ``[start, end)``: the rollups of its whole days and the facts of its partial days (all
    the facts without ``rollups``, or when ``ship_within_h`` is not the rollups')."""
    days, edges = _split(start, end, rollups=rollups and ship_within_h == _ROLLUP_SHIP_WITHIN_H)
    r = OrderDayRollup
    whole = select(*(r.__table__.c[name] for name in (*_ROLLUP_KEYS, *_SUM_COLUMNS)))
    parts = [
        _fact_rows(dialect, _between(OrderFact.created_at, bounds), ship_within_h)
        for bounds in edges
    ]
    return _source(whole, r.day, days, parts, "sums")


def _day_period(dialect: str, day: Any, by: str) -> Any:
    """SQL for the day / week / month label of a UTC day, the same as :func:`_period` gives
    for the timestamps of that day."""
    if dialect == "sqlite":
        fmt = {"day": "%Y-%m-%d", "week": "%Y-W%W", "month": "%Y-%m"}[by]
        return func.strftime(fmt, day)
    fmt = {"day": "YYYY-MM-DD", "week": 'IYYY-"W"IW', "month": "YYYY-MM"}[by]
    return func.to_char(day, fmt)


def _sums_dimension(dialect: str, by: str | None, sums: Any) -> tuple[Any, list[Any]]:
    """Return the SQL label of a row of ``sums`` (see :func:`_order_sums_source`) for the
    dimension, and the joins it needs (the same labels as :func:`_fact_dimension`)."""
    if by is None:
        return _ALL, []
    if by == "channel":
        return sums.c.channel, []
    if by == "warehouse":
        return func.coalesce(Warehouse.code, _NONE), [
            (Warehouse, Warehouse.id == sums.c.warehouse_id)
        ]
    if by == "carrier":
        return func.coalesce(Carrier.code, _NONE), [(Carrier, Carrier.id == sums.c.carrier_id)]
    return _day_period(dialect, sums.c.day, by), []


def _day_runs(days: set[date]) -> list[tuple[date, date]]:
    """Runs ``[first, last)`` of consecutive days covering ``days``."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1][1] = day + timedelta(days=1)
        else:
            runs.append([day, day + timedelta(days=1)])
    return [(first, last) for first, last in runs]


def _rebuild_days(
    session: Session, rollup: Any, rows: Any, days: set[date] | None, columns: list[str]
) -> None:
    """Recompute the rows of a daily rollup table for ``days`` (every day with None):
    ``rows(bounds)`` selects the rollup rows of the facts in ``bounds``; one range scan of
    the facts per run of consecutive days."""
    if days is None:
        session.execute(delete(rollup))
        session.execute(insert(rollup).from_select(columns, rows((None, None))))
        return
    for first, last in _day_runs(days):
        session.execute(delete(rollup).where(rollup.c.day >= first, rollup.c.day < last))
        bounds = (_midnight(first), _midnight(last))
        session.execute(insert(rollup).from_select(columns, rows(bounds)))


def _refresh_rollups(session: Session, dialect: str, days: set[date] | None) -> None:
    """Recompute the order rollup rows of ``days`` (every day with None) from the facts."""
    _rebuild_days(
        session,
        OrderDayRollup.__table__,
        lambda bounds: _rollup_select(dialect, _between(OrderFact.created_at, bounds)),
        days,
        [*_ROLLUP_KEYS, *_SUM_COLUMNS],
    )
    _rebuild_days(
        session,
        OrderDayCustomers.__table__,
        lambda bounds: _day_customers_select(dialect, bounds),
        days,
        ["day", "customers", "repeaters"],
    )


def _day_customers_select(dialect: str, bounds: Bounds) -> Any:
    """SELECT ``(day, customers, repeaters)`` of the order facts created in ``bounds``, per
    UTC day: the customers with an order that day, and those with one that is not their
    first."""
    f = OrderFact
    day = _fact_day(dialect)
    per_customer = (
        select(day.label("day"), f.customer_id, func.max(f.customer_seq).label("seq"))
        .where(*_between(f.created_at, bounds))
        .group_by(day, f.customer_id)
        .subquery("per_customer")
    )
    return select(
        per_customer.c.day,
        func.count().label("customers"),
        func.sum(case((per_customer.c.seq >= 2, 1), else_=0)).label("repeaters"),
    ).group_by(per_customer.c.day)


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


def orders_per_day(
    *, session: Session, start: datetime, end: datetime, rollups: bool = True
) -> dict[str, int]:
    """Return the number of orders created each day of ``[start, end)`` (UTC days): the light
    query behind the console's charts. Whole days come from the daily rollups, the partial
    days at either end from the order facts (all from the facts without ``rollups``)."""
    dialect = session.get_bind().dialect.name
    days, edges = _split(start, end, rollups=rollups)
    counts: dict[str, int] = {}
    if days is not None:
        r = OrderDayRollup
        label = _day_period(dialect, r.day, "day")
        whole = select(label, func.sum(r.orders)).group_by(label)
        first, last = days
        if first is not None:
            whole = whole.where(r.day >= first)
        if last is not None:
            whole = whole.where(r.day < last)
        counts.update((str(d), int(n)) for d, n in session.execute(whole))
    day = _period(dialect, OrderFact.created_at, "day")
    for bounds in edges:
        partial = select(day, func.count()).where(*_between(OrderFact.created_at, bounds))
        for d, n in session.execute(partial.group_by(day)):
            counts[str(d)] = counts.get(str(d), 0) + int(n)
    return {d: counts[d] for d in sorted(counts) if counts[d]}


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
    and the returns. The whole UTC days of the period are read from the daily rollups of the
    facts and of the ledger (whole months from the monthly histograms for the quantiles split
    by warehouse, carrier or channel), its partial days from the facts themselves: the figures
    are those of counting over the facts alone. ``costs`` defaults to :func:`cost_rates`.
    The units returned per reason code, every code kept, are in
    ``table.breakdowns[row]["return_reasons"]``. With ``keys``,
    only the queries those KPIs need run (a page showing a few headline figures); the others
    are None, and the values computed are the same as without ``keys``.

    Raises ValidationError naming ``by`` or ``to`` (an end before the start), or naming a
    cost variable set to something else than a number >= 0.
    """
    return _compute_kpis(
        session=session,
        start=start,
        end=end,
        by=by,
        ship_within_h=ship_within_h,
        costs=costs,
        keys=keys,
        rollups=True,
    )


def _compute_kpis(
    *,
    session: Session,
    start: datetime | None,
    end: datetime | None,
    by: str | None,
    ship_within_h: float,
    costs: CostRates | None,
    keys: Collection[str] | None,
    rollups: bool,
) -> KpiTable:
    """:func:`compute_kpis`; without ``rollups``, every figure is counted over the order
    facts themselves (the reference the rollups must match)."""
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
        return _between(column, (start, end))

    dim, joins = _fact_dimension(dialect, by)

    def joined(query: Any) -> Any:
        for target, on in joins:
            query = query.outerjoin(target, on)
        return query

    sums = _order_sums_source(dialect, start, end, ship_within_h, rollups=rollups)
    dim_u, joins_u = _sums_dimension(dialect, by, sums)
    orders_q = select(
        dim_u.label("dim"),
        *(_sum_of(sums.c[name]).label(name) for name in _SUM_COLUMNS),
    ).select_from(sums)
    for target, on in joins_u:
        orders_q = orders_q.outerjoin(target, on)
    orders_q = orders_q.group_by(*_g(dim_u))
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

    def quantiles(hist: dict[str, dict[int, int]], keys: dict[str, float]) -> None:
        for label, h in hist.items():
            row = table.rows.setdefault(label, {})
            for key, q in keys.items():
                value = histogram_quantile(h, q, width=_QUARTER_HOUR)
                row[key] = None if value is None else round(value / 3600, 2)

    for metric, quantile_keys in (
        (_CYCLE, {"cycle_time_p50_h": 0.5, "cycle_time_p90_h": 0.9}),
        (_TRANSIT, {"transit_p50_h": 0.5, "transit_p90_h": 0.9}),
    ):
        if want(*quantile_keys):
            hist = _histograms(session, by, metric, start, end, rollups=rollups)
            quantiles(hist, quantile_keys)

    # repeat purchase: customers of the period with two orders or more up to its end, i.e.
    # with an order of the period that is not their first (customer_seq >= 2)
    if rollups and by == "day":  # whole days from their rollup, partial days from the facts
        days, edges = _split(start, end, rollups=True)
        c = OrderDayCustomers
        parts = [_day_customers_select(dialect, bounds) for bounds in edges]
        u = _source(select(c.day, c.customers, c.repeaters), c.day, days, parts, "customers")
        repeat_q = select(_day_period(dialect, u.c.day, "day"), u.c.customers, u.c.repeaters)
    elif rollups:
        repeat_q = _repeat_purchase_query(dialect, dim, joined, start, end)
    else:  # the plain form the one above must agree with
        repeat_q = _repeat_purchase_query(dialect, dim, joined, start, end, narrow_index=False)
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
        query = tickets_query(bucket, func.count()).where(condition)
        quantiles(_histogram_of(session, query.group_by(*_g(ticket_dim, bucket))), {key: 0.5})

    if want("sla_breach_pct", "csat_mean", "csat_satisfied_pct"):
        _care_kpis(session, table, tickets_query, ticket_dim, shortcut=rollups)
    if want("return_reason_*"):
        _return_reasons(session, table, dim, joined, in_period(f.created_at))
    if want("sessions", "conversion_pct", "cart_abandonment_pct", "abandoned_cart_cents"):
        _storefront_kpis(session, table, start, end, by, rollups=rollups)
    if want(
        "units_shipped",
        "on_hand_end_units",
        "inventory_turnover",
        "days_of_supply",
        "stockout_sku_pct",
    ):
        _inventory_kpis(session, table, start, end, by, rollups=rollups)
    for row in table.rows.values():
        for k in KPIS:
            row.setdefault(k.key, None)
    table.rows = dict(sorted(table.rows.items()))
    return table


_REPEAT_INDEX_DAYS = 28  # from this long a period, read the narrow index rather than the rows


def _repeat_purchase_query(
    dialect: str,
    dim: Any,
    joined: Any,
    start: datetime | None,
    end: datetime | None,
    *,
    narrow_index: bool = True,
) -> Any:
    """SELECT ``(label, customers, repeaters)``: per dimension label, the customers with an
    order in ``[start, end)``, and those of them with an order that is not their first.

    Two distinct counts: faster than grouping each customer's orders first on both databases
    (a year of 100,000 orders by carrier: SQLite 64 vs 91 ms, PostgreSQL 47 vs 51 ms). On a
    long period SQLite scans the covering index ``(customer_id, created_at, customer_seq,
    dimensions)`` rather than the wide rows through the ``created_at`` index: the period's
    bounds are written so that this index cannot serve them (``created_at || ''`` is the same
    text). ``narrow_index=False`` leaves the bounds plain (the facts-only path).
    """
    f = OrderFact
    created: Any = f.created_at
    long = start is None or end is None or end - start >= timedelta(days=_REPEAT_INDEX_DAYS)
    if narrow_index and dialect == "sqlite" and long:
        created = f.created_at.op("||", return_type=f.created_at.type)(literal_column("''"))
    label = dim.label("label")
    return (
        joined(
            select(
                label,
                func.count(func.distinct(f.customer_id)),
                func.count(func.distinct(case((f.customer_seq >= 2, f.customer_id)))),
            ).select_from(f)
        )
        .where(*_between(created, (start, end)))
        .group_by(*_g(dim))
    )


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


_FINISHED_BREACHES: dict[tuple[Any, ...], int] = {}
"""Whether a finished ticket breached its SLA (1) or not (0), by (policy, everything its clocks
read). Both clocks of a ticket answered and resolved before now have stopped, so the outcome no
longer changes with time: the KPIs of a long period run the business-time clocks of its
tickets once per process, not on every page view. A changed ticket (reopened, another priority,
a new status event) has another key."""
_FINISHED_BREACHES_MAX = 200_000


def _care_kpis(
    session: Session, table: KpiTable, tickets_query: Any, ticket_dim: Any, *, shortcut: bool
) -> None:
    """SLA breach rate and CSAT of the tickets ``tickets_query`` selects (with their row);
    with ``shortcut``, the tickets that met their targets in plain elapsed time are not run
    through the SLA clocks (see :func:`_met_in_wall_time`)."""
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
        counts: dict[str, list[int]] = {}
        policy = sla_policy(session=session)
        running = []  # the tickets a clock of which may have breached: their events are read
        for ticket in rows:
            label, _, created, first, resolved, priority, category = ticket
            opened = as_utc(created)
            target = policy.target_for(priority, category)
            tally = counts.setdefault(str(label), [0, 0])
            tally[0] += 1
            if not (shortcut and _met_in_wall_time(opened, now, target, first, resolved)):
                running.append(ticket)
        events: dict[int, list[tuple[datetime, str]]] = {}
        ids = [r[1] for r in running]
        for chunk in (ids[i : i + 5000] for i in range(0, len(ids), 5000)):
            status_q = select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.new).where(
                TicketEvent.kind == "status", TicketEvent.ticket_id.in_(chunk)
            )
            for ticket_id, at, new in session.execute(status_q):
                events.setdefault(ticket_id, []).append((as_utc(at), new))
        for label, ticket_id, created, first, resolved, priority, category in running:
            opened = as_utc(created)

            def stamp(value: datetime | None, opened: datetime = opened) -> datetime | None:
                return None if value is None else max(as_utc(value), opened)

            answered_at, resolved_at = stamp(first), stamp(resolved)
            history = tuple(events.get(ticket_id, ()))
            key = None
            if shortcut and answered_at and resolved_at and max(answered_at, resolved_at) <= now:
                key = (ticket_id, opened, answered_at, resolved_at, priority, category, history)
                known = _FINISHED_BREACHES.get((policy, key))
                if known is not None:
                    counts[str(label)][1] += known
                    continue
            state = sla.sla_state(  # as maillon.care.service.ticket_sla, from plain rows
                policy=policy,
                calendar=CALENDAR,
                opened_at=opened,
                now=now,
                events=history,
                first_response_at=answered_at,
                resolved_at=resolved_at,
                priority=priority,
                category=category,
            )
            counts[str(label)][1] += 1 if state.breaches else 0
            if key is not None:
                if len(_FINISHED_BREACHES) >= _FINISHED_BREACHES_MAX:
                    _FINISHED_BREACHES.clear()
                _FINISHED_BREACHES[(policy, key)] = 1 if state.breaches else 0
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


def _met_in_wall_time(
    opened: datetime,
    now: datetime,
    target: sla.SlaTarget,
    first: datetime | None,
    resolved: datetime | None,
) -> bool:
    """Whether each tracked clock of a ticket stopped (by ``now``) within its target in
    plain elapsed time: business time open between two instants is never more than the time
    between them, and pauses only take time off, so such a ticket met its SLA whatever its
    events and the calendar (:func:`maillon.care.sla.sla_state` need not be run)."""
    for goal, stop in ((target.first_response, first), (target.resolution, resolved)):
        if goal is None:
            continue
        if stop is None:
            return False
        stopped = max(as_utc(stop), opened)
        if stopped > now or stopped - opened > goal:
            return False
    return True


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


def _session_contributions(s: Any) -> list[tuple[str, Any]]:
    """What one session fact adds to each sum of the storefront KPIs."""
    abandoned = and_(s.cart, s.purchased.is_(False))
    return [
        ("sessions", literal_column("1")),
        ("purchased", case((s.purchased, 1), else_=0)),
        ("carts", case((s.cart, 1), else_=0)),
        ("abandoned", case((abandoned, 1), else_=0)),
        ("abandoned_cents", case((abandoned, s.cart_cents), else_=0)),
    ]


_SESSION_SUMS = [name for name, _ in _session_contributions(SessionFact)]


def _session_rows(dialect: str, bounds: Bounds) -> Any:
    """SELECT of one row per session started in ``bounds``: its day, channel and sums."""
    s = SessionFact
    return select(
        _day_of(dialect, s.started_at).label("day"),
        s.channel.label("channel"),
        *(value.label(name) for name, value in _session_contributions(s)),
    ).where(*_between(s.started_at, bounds))


def _session_rollup_select(dialect: str, bounds: Bounds) -> Any:
    """SELECT of the daily rollup rows of the sessions started in ``bounds``."""
    s = SessionFact
    day = _day_of(dialect, s.started_at)
    return (
        select(
            day.label("day"),
            s.channel.label("channel"),
            *(func.sum(value).label(name) for name, value in _session_contributions(s)),
        )
        .where(*_between(s.started_at, bounds))
        .group_by(day, s.channel)
    )


# -- quantile histograms ---------------------------------------------------------------------

_CYCLE, _TRANSIT = 0, 1  # the metrics of the histogram tables
_HISTOGRAM_DIMENSIONS = ("warehouse", "carrier", "channel")


def _metric(metric: int) -> tuple[Any, Any]:
    """The fact column of a histogram metric and the condition for a fact to count in it."""
    f = OrderFact
    return (f.cycle_s, f.shipped) if metric == _CYCLE else (f.transit_s, f.transit_s.is_not(None))


def _dimension_value(by: str) -> Any:
    """SQL for a fact's value of a dimension as the month histograms key it (text)."""
    if by == "channel":
        return OrderFact.channel
    column = OrderFact.warehouse_id if by == "warehouse" else OrderFact.carrier_id
    return cast(func.coalesce(column, literal_column("0")), String)


def _histogram_selects(dialect: str, conditions: list[Any]) -> dict[str, list[Any]]:
    """The SELECTs of the histogram rows of the facts meeting ``conditions``, per table: one
    per metric for the day histograms, one per metric and dimension for the month ones."""
    selects: dict[str, list[Any]] = {"day": [], "month": []}
    for metric in (_CYCLE, _TRANSIT):
        column, counted = _metric(metric)
        bucket = _bucket(dialect, column)
        day = _day_of(dialect, OrderFact.created_at)
        selects["day"].append(
            select(day, literal_column(str(metric)), bucket, func.count())
            .where(counted, *conditions)
            .group_by(day, bucket)
        )
        month = _month_of(dialect, OrderFact.created_at)
        for by in _HISTOGRAM_DIMENSIONS:
            value = _dimension_value(by)
            selects["month"].append(
                select(month, literal_column(f"'{by}'"), value, literal_column(str(metric)))
                .add_columns(bucket, func.count())
                .where(counted, *conditions)
                .group_by(month, value, bucket)
            )
    return selects


_HISTOGRAM_KEYS = {
    "day": ["day", "metric", "bucket"],
    "month": ["month", "dimension", "value", "metric", "bucket"],
}


def _histogram_tables() -> dict[str, Any]:
    return {"day": OrderDayHistogram.__table__, "month": OrderMonthHistogram.__table__}


def _rebuild_histograms(session: Session, dialect: str) -> None:
    """Rebuild the histogram tables from every order fact."""
    for name, table in _histogram_tables().items():
        session.execute(delete(table))
        for query in _histogram_selects(dialect, [])[name]:
            columns = [*_HISTOGRAM_KEYS[name], "n"]
            session.execute(insert(table).from_select(columns, query))


def _histogram_counts(
    session: Session, dialect: str, ids: list[int], sign: int, into: dict[str, dict[Any, int]]
) -> None:
    """Add ``sign`` x the histogram counts of the facts of orders ``ids`` to ``into``."""
    for name, queries in _histogram_selects(dialect, [OrderFact.order_id.in_(ids)]).items():
        counts = into.setdefault(name, {})
        for query in queries:
            for *key, n in session.execute(query):
                key[-1] = int(key[-1])  # the bucket (PostgreSQL's floor is a float)
                counts[tuple(key)] = counts.get(tuple(key), 0) + sign * int(n)


def _apply_histogram_changes(session: Session, changes: dict[str, dict[Any, int]]) -> None:
    """Add the count changes to the histogram tables (exact: counts are integers); buckets
    left empty are removed."""
    dialect = session.get_bind().dialect.name
    for name, table in _histogram_tables().items():
        keys = _HISTOGRAM_KEYS[name]
        rows = [
            {**dict(zip(keys, key, strict=True)), "n": n}
            for key, n in sorted(changes.get(name, {}).items())
            if n
        ]
        if not rows:
            continue
        insert_ = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert_(table)
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={"n": table.c.n + statement.excluded.n}
        )
        for chunk in (rows[i : i + 1000] for i in range(0, len(rows), 1000)):
            session.execute(statement, chunk)
        session.execute(delete(table).where(table.c.n == 0))


def _histogram_of(session: Session, query: Any) -> dict[str, dict[int, int]]:
    """The histograms per label of the rows ``(label, bucket, count)`` of ``query``."""
    hist: dict[str, dict[int, int]] = {}
    for label, bucket, n in session.execute(query):
        h = hist.setdefault(str(label), {})
        h[int(bucket)] = h.get(int(bucket), 0) + int(n)
    return hist


def _histograms(
    session: Session,
    by: str | None,
    metric: int,
    start: datetime | None,
    end: datetime | None,
    *,
    rollups: bool,
) -> dict[str, dict[int, int]]:
    """The quarter-hour histogram of a metric per dimension value over the orders created in
    ``[start, end)``: whole days (or months, split by warehouse, carrier or channel) from the
    histogram tables, the rest from the facts."""
    dialect = session.get_bind().dialect.name
    f = OrderFact
    column, counted = _metric(metric)
    bucket = _bucket(dialect, column).label("bucket")
    one: Any = literal_column("1").label("n")
    hist: dict[str, dict[int, int]] = {}

    def add(rows: Any, label_of: Any) -> None:
        for value, b, n in rows:
            h = hist.setdefault(label_of(value), {})
            h[int(b)] = h.get(int(b), 0) + int(n)

    if by in (None, "day", "week", "month"):
        days, edges = _split(start, end, rollups=rollups)
        h = OrderDayHistogram
        whole: Any = select(h.day, h.bucket, h.n).where(h.metric == metric)
        parts = [
            select(_day_of(dialect, f.created_at).label("day"), bucket, one).where(
                counted, *_between(f.created_at, b)
            )
            for b in edges
        ]
        u = _source(whole, h.day, days, parts, "histogram")
        label = _ALL if by is None else _day_period(dialect, u.c.day, by)
        query = select(label, u.c.bucket, func.sum(u.c.n)).group_by(*_g(label, u.c.bucket))
        add(session.execute(query), str)
        return hist
    assert by is not None
    months, edges = _split(start, end, rollups=rollups, unit="month")
    m = OrderMonthHistogram
    value = _dimension_value(by).label("value")
    parts = [select(value, bucket, one).where(counted, *_between(f.created_at, b)) for b in edges]
    if months is not None:
        first, last = months
        whole = select(m.value, m.bucket, m.n).where(m.dimension == by, m.metric == metric)
        if first is not None:
            whole = whole.where(m.month >= first)
        if last is not None:
            whole = whole.where(m.month < last)
        parts = [whole, *parts]
    u = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("histogram")
    query = select(u.c.value, u.c.bucket, func.sum(u.c.n)).group_by(u.c.value, u.c.bucket)
    names: dict[str, str] = {}
    if by in ("warehouse", "carrier"):
        target = Warehouse if by == "warehouse" else Carrier
        names = {str(i): code for i, code in session.execute(select(target.id, target.code))}
    add(session.execute(query), lambda v: v if by == "channel" else names.get(str(v), _NONE))
    return hist


def _refresh_session_rollups(session: Session, dialect: str, days: set[date] | None) -> None:
    """Recompute the session rollup rows of ``days`` (every day with None) from the facts."""
    _rebuild_days(
        session,
        SessionDayRollup.__table__,
        lambda bounds: _session_rollup_select(dialect, bounds),
        days,
        ["day", "channel", *_SESSION_SUMS],
    )


def _storefront_kpis(
    session: Session,
    table: KpiTable,
    start: datetime | None,
    end: datetime | None,
    by: str | None,
    *,
    rollups: bool,
) -> None:
    """Conversion and cart abandonment of the storefront sessions started in the period (by
    their acquisition channel with ``by="channel"``; nothing by warehouse or carrier)."""
    if by in ("warehouse", "carrier"):
        return
    dialect = session.get_bind().dialect.name
    days, edges = _split(start, end, rollups=rollups)
    r = SessionDayRollup
    whole = select(r.day, r.channel, *(r.__table__.c[name] for name in _SESSION_SUMS))
    u = _source(whole, r.day, days, [_session_rows(dialect, b) for b in edges], "session_sums")
    label: Any = (
        _ALL
        if by is None
        else u.c.channel
        if by == "channel"
        else _day_period(dialect, u.c.day, by)
    )
    query = select(label, *(_sum_of(u.c[name]) for name in _SESSION_SUMS)).group_by(*_g(label))
    for name, n, bought, carts, dropped, value in session.execute(query):
        if not n:
            continue
        row = table.rows.setdefault(str(name), {})
        row["sessions"] = int(n)
        row["conversion_pct"] = rate(bought, n)
        row["cart_abandonment_pct"] = rate(dropped, carts)
        row["abandoned_cart_cents"] = int(value or 0)


_STOCK_KEY = "stock_day_rollups"


def _ledger_contributions() -> list[tuple[str, Any]]:
    m, ship = StockMovement, StockMovement.kind == MovementKind.SHIP.value
    return [
        ("moved", m.delta_on_hand),
        ("shipped", case((ship, -m.delta_on_hand), else_=0)),
        ("ship_moves", case((ship, 1), else_=0)),
    ]


def _ledger_rows(dialect: str, bounds: Bounds) -> Any:
    """SELECT of one row per stock movement in ``bounds``: day, warehouse and sums."""
    m = StockMovement
    return select(
        _day_of(dialect, m.created_at).label("day"),
        m.warehouse_id.label("warehouse_id"),
        *(value.label(name) for name, value in _ledger_contributions()),
    ).where(*_between(m.created_at, bounds))


def _ledger_rollup_select(dialect: str, bounds: Bounds) -> Any:
    m = StockMovement
    day = _day_of(dialect, m.created_at)
    return (
        select(
            day,
            m.warehouse_id,
            *(func.sum(value).label(name) for name, value in _ledger_contributions()),
        )
        .where(*_between(m.created_at, bounds))
        .group_by(day, m.warehouse_id)
    )


def _refresh_stock_rollups(session: Session, *, full: bool) -> None:
    """Bring the daily stock rollups up to date with the ledger (append-only): the days of
    the movements newer than the last one folded in (by id, with a margin for movements
    committed out of id order) are summed up again; the first run, or ``full``, rebuilds all.
    """
    dialect = session.get_bind().dialect.name
    state = session.get(AnalyticsState, _STOCK_KEY)
    mark = _id_mark(session, StockMovement.id)
    days: set[date] | None = None
    if not (full or state is None or state.last_id is None):
        newer = _new_ids(session, StockMovement.id, state)
        day = _day_of(dialect, StockMovement.created_at)
        days = set() if newer is None else set(session.scalars(select(day).where(newer).distinct()))
    _rebuild_days(
        session,
        StockDayRollup.__table__,
        lambda bounds: _ledger_rollup_select(dialect, bounds),
        days,
        ["day", "warehouse_id", "moved", "shipped", "ship_moves"],
    )
    _save_mark(session, _STOCK_KEY, state, mark)


def _ledger_sums(
    session: Session, label: Any, name: str, bounds: Bounds, *, rollups: bool
) -> dict[str, int]:
    """The sum of a ledger column (see :func:`_ledger_contributions`) over the movements in
    ``bounds`` per warehouse label: the daily rollups of its whole days, the ledger for the
    rest. ``shipped`` counts only the labels with a ship movement."""
    dialect = session.get_bind().dialect.name
    days, edges = _split(*bounds, rollups=rollups)
    r = StockDayRollup
    whole = select(r.day, r.warehouse_id, r.moved, r.shipped, r.ship_moves)
    u = _source(whole, r.day, days, [_ledger_rows(dialect, b) for b in edges], "ledger")
    query = (
        select(label, func.sum(u.c[name]), func.sum(u.c.ship_moves))
        .select_from(u)
        .join(Warehouse, Warehouse.id == u.c.warehouse_id)
        .group_by(*_g(label))
    )
    return {
        str(k): int(v or 0)
        for k, v, ships in session.execute(query)
        if name != "shipped" or (ships or 0) > 0
    }


def _inventory_kpis(
    session: Session,
    table: KpiTable,
    start: datetime | None,
    end: datetime | None,
    by: str | None,
    *,
    rollups: bool,
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
        return _ledger_sums(session, label, "moved", (moment, None), rollups=rollups)

    after_end, after_start = moved_since(end), moved_since(start)
    shipped = _ledger_sums(session, label, "shipped", (start, end), rollups=rollups)
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
