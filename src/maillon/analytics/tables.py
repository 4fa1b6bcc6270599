"""Analytics tables: one fact row per order, kept up to date incrementally, so that KPIs over
large histories read one narrow table instead of joining the whole chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from maillon.core.db import Base, UtcDateTime


class OrderFact(Base):
    """What the KPIs need to know of one order (see ``analytics.service.refresh_order_facts``).

    Durations are in seconds; ``carrier_id``, ``shipped_at`` and ``delivered_at`` of the
    shipment are those of the order's first shipment.
    """

    __tablename__ = "order_facts"
    __table_args__ = (Index("ix_order_facts_customer_created", "customer_id", "created_at"),)

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


class SessionFact(Base):
    """One storefront session (events grouped by ``session_id``), kept up to date
    incrementally from the new events (see ``analytics.service.refresh_session_facts``)."""

    __tablename__ = "session_facts"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(60))  # of the session's first event
    cart: Mapped[bool] = mapped_column(Boolean)  # added to cart, checked out or bought
    purchased: Mapped[bool] = mapped_column(Boolean)
    cart_cents: Mapped[int] = mapped_column(Integer)  # the largest cart value seen


class AnalyticsState(Base):
    """Book-keeping of the incremental refresh (e.g. when facts were last brought up to date,
    or the last storefront event id folded into the session facts)."""

    __tablename__ = "analytics_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
