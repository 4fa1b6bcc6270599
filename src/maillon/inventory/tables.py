"""Inventory tables: warehouses, locations, balances and the append-only stock ledger."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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

from maillon.core.db import Base, UtcDateTime


class Warehouse(Base):
    """A building that holds stock; lower ``priority`` is served first."""

    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)


class Location(Base):
    """A place in a warehouse where stock sits (bin, shelf, pallet position)."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("warehouse_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), default="pick")


class StockLevel(Base):
    """The cached balance of one product at one location: the sum of its ledger movements.

    Changed only by conditional updates in :mod:`maillon.inventory.service`, and the database
    itself refuses a negative or over-reserved balance.
    """

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", "lot"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        Index("ix_stock_levels_warehouse_product", "warehouse_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    lot: Mapped[str] = mapped_column(String(40), default="", server_default="")
    best_before: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StockMovement(Base):
    """One append-only ledger entry. Never updated, never deleted."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stock_level_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(20))
    delta_on_hand: Mapped[int] = mapped_column(Integer)
    delta_reserved: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class CountTask(Base):
    """A cycle count of one location: what the ledger expected, and what was found."""

    __tablename__ = "count_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # open, done
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    counted_by: Mapped[str] = mapped_column(String(120), default="")

    lines: Mapped[list[CountLine]] = relationship(order_by="CountLine.id", lazy="selectin")


class CountLine(Base):
    """One product and lot of a count: expected on hand, counted, and the difference booked."""

    __tablename__ = "count_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("count_tasks.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    lot: Mapped[str] = mapped_column(String(40), default="")
    expected: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    difference: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ShelfSensor(Base):
    """A weighing shelf: which product it weighs at which location, and how to read it."""

    __tablename__ = "shelf_sensors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    tare_g: Mapped[int] = mapped_column(Integer, default=0)
    tolerance_units: Mapped[int] = mapped_column(Integer, default=0)
    min_units: Mapped[int] = mapped_column(Integer, default=0)
    last_measured_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # how often the sensor reports; silent longer than that, it gets a "silent" alert
    interval_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # when any reading last arrived (a late one too: the sensor is alive)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # set while its "silent" alert is open (claimed by a conditional update: one alert)
    silent_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class SensorReading(Base):
    """One reading, stored once per sensor and reading id, whatever order it arrives in."""

    __tablename__ = "sensor_readings"
    __table_args__ = (UniqueConstraint("sensor_id", "reading_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("shelf_sensors.id"), index=True)
    reading_id: Mapped[str] = mapped_column(String(100))
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    grams: Mapped[float] = mapped_column(Float)
    units: Mapped[int] = mapped_column(Integer)
    trusted: Mapped[bool] = mapped_column(Boolean)
    stale: Mapped[bool] = mapped_column(Boolean)  # older than a reading already applied


class StockAlert(Base):
    """Something a person should look at: a shelf that disagrees with the ledger, or runs low."""

    __tablename__ = "stock_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # discrepancy, replenish
    sensor_id: Mapped[int | None] = mapped_column(ForeignKey("shelf_sensors.id"), nullable=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    expected: Mapped[int] = mapped_column(Integer)
    observed: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
