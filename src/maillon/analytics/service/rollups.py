"""Daily rollups: the facts summed per UTC day, so that a long period's whole days are read
from a few rows. Order facts per day, warehouse, carrier and channel (every additive count
and sum of the catalogue, see :func:`order_contributions`) and the customers of each day;
storefront sessions per day and channel; stock movements per day and warehouse. Each
contribution is written once: the rollups and the partial days read from the facts (or the
ledger) sum the same expressions, so the figures agree exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from maillon.analytics.queries.periods import Bounds, between, day_runs, midnight, source, split
from maillon.analytics.queries.sql import day_of
from maillon.analytics.tables import (
    OrderDayCustomers,
    OrderDayRollup,
    OrderFact,
    SessionDayRollup,
    SessionFact,
    StockDayRollup,
)
from maillon.inventory.model import MovementKind
from maillon.inventory.tables import StockMovement

ROLLUP_SHIP_WITHIN_H = 24.0  # the threshold of ``ship_ok`` in the rollups
ROLLUP_KEYS = ["day", "warehouse_id", "carrier_id", "channel"]


def order_contributions(f: Any, ship_within_h: float) -> list[tuple[str, Any]]:
    """What one order fact adds to each sum of the order KPIs (see
    :mod:`maillon.analytics.queries.kpis_orders`) (a count adds 0 or 1; a
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


SUM_COLUMNS = [name for name, _ in order_contributions(OrderFact, ROLLUP_SHIP_WITHIN_H)]
_INTEGER_SUMS = {
    name for name in SUM_COLUMNS if not isinstance(OrderDayRollup.__table__.c[name].type, Float)
} | {"sessions", "purchased", "carts", "abandoned", "abandoned_cents"}


def sum_of(column: Any) -> Any:
    """``SUM(column)``, an integer sum cast back to an integer (PostgreSQL sums a bigint into
    a numeric, which Python reads as a Decimal)."""
    total = func.sum(column)
    return cast(total, BigInteger) if column.name in _INTEGER_SUMS else total


def fact_day(dialect: str) -> Any:
    """SQL for the UTC day of an order fact."""
    return day_of(dialect, OrderFact.created_at)


def _fact_keys(dialect: str) -> list[Any]:
    """The rollup key of an order fact: its day, warehouse, carrier (0 for none), channel."""
    zero: Any = literal_column("0")
    return [
        fact_day(dialect).label("day"),
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
        *(value.label(name) for name, value in order_contributions(f, ship_within_h)),
    ).where(*conditions)


def _rollup_select(dialect: str, conditions: list[Any]) -> Any:
    """SELECT of the rollup rows (key and sums) of the order facts meeting ``conditions``."""
    keys = _fact_keys(dialect)
    contributions = order_contributions(OrderFact, ROLLUP_SHIP_WITHIN_H)
    return (
        select(*keys, *(func.sum(value).label(name) for name, value in contributions))
        .where(*conditions)
        .group_by(*(k.element for k in keys))
    )


def order_sums_source(
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
    days, edges = split(start, end, rollups=rollups and ship_within_h == ROLLUP_SHIP_WITHIN_H)
    r = OrderDayRollup
    whole = select(*(r.__table__.c[name] for name in (*ROLLUP_KEYS, *SUM_COLUMNS)))
    parts = [
        _fact_rows(dialect, between(OrderFact.created_at, bounds), ship_within_h)
        for bounds in edges
    ]
    return source(whole, r.day, days, parts, "sums")


def day_customers_select(dialect: str, bounds: Bounds) -> Any:
    """SELECT ``(day, customers, repeaters)`` of the order facts created in ``bounds``, per
    UTC day: the customers with an order that day, and those with one that is not their
    first."""
    f = OrderFact
    day = fact_day(dialect)
    per_customer = (
        select(day.label("day"), f.customer_id, func.max(f.customer_seq).label("seq"))
        .where(*between(f.created_at, bounds))
        .group_by(day, f.customer_id)
        .subquery("per_customer")
    )
    return select(
        per_customer.c.day,
        func.count().label("customers"),
        func.sum(case((per_customer.c.seq >= 2, 1), else_=0)).label("repeaters"),
    ).group_by(per_customer.c.day)


# -- recomputing the rollup rows of some days ------------------------------------------------


def _rebuild_days(
    session: Session,
    rollup: Any,
    rows: Callable[[Bounds], Any],
    days: set[date] | None,
    columns: list[str],
) -> None:
    """Recompute the rows of a daily rollup table for ``days`` (every day with None):
    ``rows(bounds)`` selects the rollup rows of the facts in ``bounds``; one range scan of
    the facts per run of consecutive days."""
    if days is None:
        session.execute(delete(rollup))
        session.execute(insert(rollup).from_select(columns, rows((None, None))))
        return
    for first, last in day_runs(days):
        session.execute(delete(rollup).where(rollup.c.day >= first, rollup.c.day < last))
        bounds = (midnight(first), midnight(last))
        session.execute(insert(rollup).from_select(columns, rows(bounds)))


def refresh_rollups(session: Session, dialect: str, days: set[date] | None) -> None:
    """Recompute the order rollup rows of ``days`` (every day with None) from the facts."""
    _rebuild_days(
        session,
        OrderDayRollup.__table__,
        lambda bounds: _rollup_select(dialect, between(OrderFact.created_at, bounds)),
        days,
        [*ROLLUP_KEYS, *SUM_COLUMNS],
    )
    _rebuild_days(
        session,
        OrderDayCustomers.__table__,
        lambda bounds: day_customers_select(dialect, bounds),
        days,
        ["day", "customers", "repeaters"],
    )


# -- storefront sessions ---------------------------------------------------------------------


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


SESSION_SUMS = [name for name, _ in _session_contributions(SessionFact)]


def session_rows(dialect: str, bounds: Bounds) -> Any:
    """SELECT of one row per session started in ``bounds``: its day, channel and sums."""
    s = SessionFact
    return select(
        day_of(dialect, s.started_at).label("day"),
        s.channel.label("channel"),
        *(value.label(name) for name, value in _session_contributions(s)),
    ).where(*between(s.started_at, bounds))


def _session_rollup_select(dialect: str, bounds: Bounds) -> Any:
    """SELECT of the daily rollup rows of the sessions started in ``bounds``."""
    s = SessionFact
    day = day_of(dialect, s.started_at)
    return (
        select(
            day.label("day"),
            s.channel.label("channel"),
            *(func.sum(value).label(name) for name, value in _session_contributions(s)),
        )
        .where(*between(s.started_at, bounds))
        .group_by(day, s.channel)
    )


def refresh_session_rollups(session: Session, dialect: str, days: set[date] | None) -> None:
    """Recompute the session rollup rows of ``days`` (every day with None) from the facts."""
    _rebuild_days(
        session,
        SessionDayRollup.__table__,
        lambda bounds: _session_rollup_select(dialect, bounds),
        days,
        ["day", "channel", *SESSION_SUMS],
    )


# -- the stock ledger ------------------------------------------------------------------------


def _ledger_contributions() -> list[tuple[str, Any]]:
    m, ship = StockMovement, StockMovement.kind == MovementKind.SHIP.value
    return [
        ("moved", m.delta_on_hand),
        ("shipped", case((ship, -m.delta_on_hand), else_=0)),
        ("ship_moves", case((ship, 1), else_=0)),
    ]


def ledger_rows(dialect: str, bounds: Bounds) -> Any:
    """SELECT of one row per stock movement in ``bounds``: day, warehouse and sums."""
    m = StockMovement
    return select(
        day_of(dialect, m.created_at).label("day"),
        m.warehouse_id.label("warehouse_id"),
        *(value.label(name) for name, value in _ledger_contributions()),
    ).where(*between(m.created_at, bounds))


def _ledger_rollup_select(dialect: str, bounds: Bounds) -> Any:
    m = StockMovement
    day = day_of(dialect, m.created_at)
    return (
        select(
            day,
            m.warehouse_id,
            *(func.sum(value).label(name) for name, value in _ledger_contributions()),
        )
        .where(*between(m.created_at, bounds))
        .group_by(day, m.warehouse_id)
    )


def rebuild_stock_rollups(session: Session, dialect: str, days: set[date] | None) -> None:
    """Recompute the stock rollup rows of ``days`` (every day with None) from the ledger."""
    _rebuild_days(
        session,
        StockDayRollup.__table__,
        lambda bounds: _ledger_rollup_select(dialect, bounds),
        days,
        ["day", "warehouse_id", "moved", "shipped", "ship_moves"],
    )
