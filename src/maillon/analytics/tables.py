"""Analytics tables: one fact row per order, kept up to date incrementally, so that KPIs over
large histories read one narrow table instead of joining the whole chain; and the daily
rollups of those facts, so that a long period reads one row per day and key instead of one
per order."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from maillon.core.db import Base, UtcDateTime


class OrderFact(Base):
    """What the KPIs need to know of one order (see ``analytics.service.refresh_order_facts``).

    Durations are in seconds; ``carrier_id``, ``shipped_at`` and ``delivered_at`` of the
    shipment are those of the order's first shipment.
    """

    __tablename__ = "order_facts"
    __table_args__ = (
        # covers the repeat-purchase count (each customer's orders of a period, per dimension)
        Index(
            "ix_order_facts_customer_repeat",
            "customer_id",
            "created_at",
            "customer_seq",
            "warehouse_id",
            "carrier_id",
            "channel",
        ),
    )

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    # the order's rank among its customer's orders by creation (1: first order)
    customer_seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(40))
    warehouse_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    carrier_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    total_cents: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    waited: Mapped[bool] = mapped_column(Boolean)
    attempted: Mapped[bool] = mapped_column(Boolean)
    n_lines: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    shipped_units: Mapped[int] = mapped_column(Integer)
    shipped: Mapped[bool] = mapped_column(Boolean)
    delivered: Mapped[bool] = mapped_column(Boolean)
    cycle_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    lateness_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    transit_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    returned: Mapped[bool] = mapped_column(Boolean)
    ticketed: Mapped[bool] = mapped_column(Boolean)
    route_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    pick_lines: Mapped[int] = mapped_column(Integer)
    # units coming back (rejected and cancelled returns left out)
    returned_units: Mapped[int] = mapped_column(Integer)
    # scan-confirmed picking: scans, refused scans, lines confirmed and the picking seconds
    # attributed to the order (its units of work's time shared per line)
    pick_scans: Mapped[int] = mapped_column(Integer)
    pick_mismatches: Mapped[int] = mapped_column(Integer)
    picked_lines: Mapped[int] = mapped_column(Integer)
    pick_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    # packing and shipping: parcels, carton costs of the packing plans, carrier costs
    parcels: Mapped[int] = mapped_column(Integer)
    carton_cents: Mapped[int] = mapped_column(Integer)
    ship_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # fraud: scored review/reject at intake; confirmed fraud (chargeback or analyst reject);
    # cleared (analyst approve, no chargeback)
    fraud_flagged: Mapped[bool] = mapped_column(Boolean)
    fraud_confirmed: Mapped[bool] = mapped_column(Boolean)
    fraud_cleared: Mapped[bool] = mapped_column(Boolean)


class OrderDayRollup(Base):
    """The additive sums of the order facts created on one UTC day for one (warehouse, carrier,
    channel), kept up to date with the facts (see ``analytics.service.refresh_order_facts``):
    ``compute_kpis`` reads them for the whole days of a period, and the facts for its partial
    days. A warehouse or carrier id of 0 stands for none (a key column cannot be NULL).

    Each column is the sum (or count) of the same name in ``compute_kpis``; ``ship_ok`` counts
    the orders shipped within the default 24 hours.
    """

    __tablename__ = "order_day_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    carrier_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    orders: Mapped[int] = mapped_column(BigInteger)
    revenue: Mapped[int] = mapped_column(BigInteger)
    cancelled: Mapped[int] = mapped_column(BigInteger)
    waited: Mapped[int] = mapped_column(BigInteger)
    attempted: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)
    waited_lines: Mapped[int] = mapped_column(BigInteger)
    shipped: Mapped[int] = mapped_column(BigInteger)
    cycle_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ship_ok: Mapped[int] = mapped_column(BigInteger)
    delivered: Mapped[int] = mapped_column(BigInteger)
    on_time: Mapped[int] = mapped_column(BigInteger)
    otif: Mapped[int] = mapped_column(BigInteger)
    perfect: Mapped[int] = mapped_column(BigInteger)
    accurate: Mapped[int] = mapped_column(BigInteger)
    late: Mapped[int] = mapped_column(BigInteger)
    late_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    returned: Mapped[int] = mapped_column(BigInteger)
    carrier_delivered: Mapped[int] = mapped_column(BigInteger)
    carrier_on_time: Mapped[int] = mapped_column(BigInteger)
    route_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    pick_lines: Mapped[int] = mapped_column(BigInteger)
    delivered_units: Mapped[int] = mapped_column(BigInteger)
    returned_units: Mapped[int] = mapped_column(BigInteger)
    scans: Mapped[int] = mapped_column(BigInteger)
    refused: Mapped[int] = mapped_column(BigInteger)
    picked_lines: Mapped[int] = mapped_column(BigInteger)
    pick_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    picked_orders: Mapped[int] = mapped_column(BigInteger)
    packed: Mapped[int] = mapped_column(BigInteger)
    parcels: Mapped[int] = mapped_column(BigInteger)
    carton_cents: Mapped[int] = mapped_column(BigInteger)
    ship_known: Mapped[int] = mapped_column(BigInteger)
    ship_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fraud: Mapped[int] = mapped_column(BigInteger)
    fraud_caught: Mapped[int] = mapped_column(BigInteger)
    false_alarms: Mapped[int] = mapped_column(BigInteger)
    flag_outcomes: Mapped[int] = mapped_column(BigInteger)


class SessionFact(Base):
    """One storefront session (events grouped by ``session_id``), kept up to date
    incrementally from the new events (see ``analytics.refresh.refresh_session_facts``)."""

    __tablename__ = "session_facts"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(60))  # of the session's first event
    cart: Mapped[bool] = mapped_column(Boolean)  # added to cart, checked out or bought
    purchased: Mapped[bool] = mapped_column(Boolean)
    cart_cents: Mapped[int] = mapped_column(Integer)  # the largest cart value seen


class OrderDayCustomers(Base):
    """The customers with an order created on one UTC day, and those of them with an order
    that day that is not their first (the repeat-purchase rate split by day)."""

    __tablename__ = "order_day_customers"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    customers: Mapped[int] = mapped_column(BigInteger)
    repeaters: Mapped[int] = mapped_column(BigInteger)


class OrderDayHistogram(Base):
    """How many orders created on one UTC day fall in each quarter-hour ``bucket`` of a
    duration (``metric`` 0: cycle time of the shipped orders, 1: transit time): the
    day-by-day histograms the quantiles of the whole catalogue (no split, or split by
    period) are read from."""

    __tablename__ = "order_day_histograms"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class OrderMonthHistogram(Base):
    """As :class:`OrderDayHistogram`, per UTC calendar month (``month``: its first day) and
    value of a ``dimension`` (warehouse or carrier id, 0 for none, as text; or the
    channel): the quantiles split by warehouse, carrier or channel read the whole months of a
    period here."""

    __tablename__ = "order_month_histograms"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    metric: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class SessionDayRollup(Base):
    """The storefront sessions started on one UTC day in one channel, summed up from the
    session facts and kept up to date with them (see ``analytics.rollups``)."""

    __tablename__ = "session_day_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(60), primary_key=True)
    sessions: Mapped[int] = mapped_column(BigInteger)
    purchased: Mapped[int] = mapped_column(BigInteger)
    carts: Mapped[int] = mapped_column(BigInteger)
    abandoned: Mapped[int] = mapped_column(BigInteger)  # a cart, no purchase
    abandoned_cents: Mapped[int] = mapped_column(BigInteger)  # their largest cart values


class StockDayRollup(Base):
    """The stock ledger of one UTC day in one warehouse, summed up (see
    ``analytics.rollups``): the change of units on hand and the units shipped (with how many
    ship movements), for the stock KPIs over long periods."""

    __tablename__ = "stock_day_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    moved: Mapped[int] = mapped_column(BigInteger)  # sum of delta_on_hand
    shipped: Mapped[int] = mapped_column(BigInteger)  # units out by ship movements
    ship_moves: Mapped[int] = mapped_column(BigInteger)


class AnalyticsState(Base):
    """Book-keeping of the incremental refresh (e.g. when facts were last brought up to date,
    or the last storefront event id folded into the session facts)."""

    __tablename__ = "analytics_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # how many ids of the margin below ``last_id`` were present then: while that count holds,
    # no row committed out of id order has appeared there since
    seen: Mapped[int | None] = mapped_column(Integer, nullable=True)
