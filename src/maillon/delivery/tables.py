"""Delivery tables: zones and appointment slots, click & collect stores and reservations,
last-mile route plans and their stops, couriers and same-day jobs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false, true

from maillon.core.db import Base, UtcDateTime


class DeliveryZone(Base):
    """An area served by our own vans, by postal-code prefixes (the longest prefix wins)."""

    __tablename__ = "delivery_zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    prefixes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    templates: Mapped[list[DeliverySlotTemplate]] = relationship(
        order_by="(DeliverySlotTemplate.weekday, DeliverySlotTemplate.start_min)", lazy="selectin"
    )


class DeliverySlotTemplate(Base):
    """A weekly window of a zone: weekday (0 = Monday), minutes since midnight, capacity."""

    __tablename__ = "delivery_slot_templates"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("start_min < end_min", name="window_not_empty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("delivery_zones.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)


class DeliverySlot(Base):
    """A dated window of a zone; ``booked`` only moves by conditional updates."""

    __tablename__ = "delivery_slots"
    __table_args__ = (
        UniqueConstraint("zone_id", "day", "start_min", "end_min"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
        Index("ix_delivery_slots_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("delivery_zones.id"))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_slot_templates.id", ondelete="SET NULL"), nullable=True
    )
    day: Mapped[date] = mapped_column(Date)
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)

    zone: Mapped[DeliveryZone] = relationship(lazy="joined", innerjoin=True)


class DeliverySlotBooking(Base):
    """An order booked in a slot (``booked`` or ``cancelled``)."""

    __tablename__ = "delivery_slot_bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("delivery_slots.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    slot: Mapped[DeliverySlot] = relationship(lazy="joined", innerjoin=True)


class CollectStore(Base):
    """A warehouse that is also a shop where customers collect their orders."""

    __tablename__ = "delivery_stores"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    ready_after_hours: Mapped[int] = mapped_column(Integer, default=2)
    hold_days: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CollectReservation(Base):
    """Units reserved in a store for a customer who will collect them.

    ``status``: active, collected, released or expired. ``order_id`` links the order placed
    with the click & collect option (orders do not carry their delivery option themselves).
    """

    __tablename__ = "collect_reservations"
    __table_args__ = (Index("ix_collect_reservations_status_expires", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ready_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    lines: Mapped[list[CollectReservationLine]] = relationship(
        order_by="CollectReservationLine.id", lazy="selectin"
    )


class CollectReservationLine(Base):
    """Units of one stock record reserved for a click & collect customer."""

    __tablename__ = "collect_reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("collect_reservations.id"), index=True)
    stock_level_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)


class RoutePlan(Base):
    """A day of last-mile routes from a depot; ``vehicles`` keeps each vehicle's shift and
    route totals, ``revision`` counts re-plans."""

    __tablename__ = "route_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    travel: Mapped[str] = mapped_column(String(20), default="haversine")
    vehicles: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    feasible: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())
    total_distance_m: Mapped[int] = mapped_column(Integer, default=0)
    total_duration_s: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: the worker tier's job that made it (None: made in the request, by the CLI or the demo)
    job_id: Mapped[int | None] = mapped_column(Integer, unique=True, index=True)

    stops: Mapped[list[RouteStop]] = relationship(
        order_by="(RouteStop.vehicle, RouteStop.sequence, RouteStop.id)", lazy="selectin"
    )


class RouteStop(Base):
    """A delivery of a plan: where, what, its window and, once routed, its vehicle and ETA.

    ``status``: planned, served or unassigned. Times are seconds since local midnight.
    """

    __tablename__ = "route_stops"
    __table_args__ = (UniqueConstraint("plan_id", "stop_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id"), index=True)
    stop_key: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    vehicle: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    weight_kg: Mapped[float] = mapped_column(Float, default=0.0)
    tw_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tw_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_s: Mapped[int] = mapped_column(Integer, default=300)
    eta_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    departure_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the ETA window last told to the customer (see maillon.delivery.eta), local seconds
    eta_from_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    eta_to_s: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Courier(Base):
    """A courier (crowdsourced or staff) with where they are and when they are available."""

    __tablename__ = "couriers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    available_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    available_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CourierJob(Base):
    """A same-day delivery: pick up from ``ready_at``, drop by ``deadline_at``.

    ``status``: open, assigned, delivered or cancelled.
    """

    __tablename__ = "courier_jobs"
    __table_args__ = (Index("ix_courier_jobs_status_deadline", "status", "deadline_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    pickup_name: Mapped[str] = mapped_column(String(200), default="")
    pickup_lat: Mapped[float] = mapped_column(Float)
    pickup_lon: Mapped[float] = mapped_column(Float)
    drop_name: Mapped[str] = mapped_column(String(200), default="")
    drop_lat: Mapped[float] = mapped_column(Float)
    drop_lon: Mapped[float] = mapped_column(Float)
    ready_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("couriers.id"), nullable=True)
    pickup_eta: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    drop_eta: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RelayPointRow(Base):
    """A relay point or parcel locker of a carrier's network, imported from its list or its
    search (``maillon relay-points import``); the checkout's relay search reads it.

    ``point_id`` is the carrier's id (what its label needs), unique per carrier; ``kind`` is a
    :class:`~maillon.delivery.model.RelayKind`; ``cell`` is the point's square of the grid of
    :func:`maillon.delivery.relay.grid_cell`, indexed so a nearest search reads a few cells;
    ``active`` is false for a point missing from its carrier's last full list.
    """

    __tablename__ = "relay_points"
    __table_args__ = (
        UniqueConstraint("carrier", "point_id"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier: Mapped[str] = mapped_column(String(40))
    point_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    cell: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(10), default="relay")
    opening_hours: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
