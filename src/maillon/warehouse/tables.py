"""Warehouse execution tables: pick lists and their lines, waves and picker tours, scans and
short-pick exceptions, the carton catalogue and packing sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.core.db import Base, UtcDateTime


class PickList(Base):
    """The units a picker must collect for one order, in walking order."""

    __tablename__ = "pick_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(20))  # open, done, cancelled
    picker: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # metres of the picker's route in line order, when the warehouse has a layout
    route_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    # when a picker took the list (``picker`` is empty until then)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # the picker tour of a wave that collects this list with others (None: picked alone)
    tour_id: Mapped[int | None] = mapped_column(
        ForeignKey("pick_tours.id"), nullable=True, index=True
    )

    lines: Mapped[list[PickListLine]] = relationship(
        order_by="PickListLine.sequence", lazy="selectin"
    )


class PickListLine(Base):
    """Take ``quantity`` of ``sku`` from ``location_code``."""

    __tablename__ = "pick_list_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_lists.id"), index=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    location_code: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    picked_quantity: Mapped[int] = mapped_column(Integer, default=0)
    # open, done (picked in full) or short (fewer units found than asked)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    picked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    picked_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # position in the walking order of the line's picker tour (None: not in a tour)
    tour_sequence: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WarehouseLayout(Base):
    """The layout document of a warehouse (see :mod:`maillon.warehouse.layout_spec`)."""

    __tablename__ = "warehouse_layouts"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class PickWave(Base):
    """Orders released together in a warehouse, split into picker tours (batches)."""

    __tablename__ = "pick_waves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # released, done
    cutoff: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    method: Mapped[str] = mapped_column(String(20))
    max_orders: Mapped[int] = mapped_column(Integer)
    cart_units: Mapped[int] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer)
    route_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120), default="")
    #: the worker tier's job that released it (None: released in the request)
    job_id: Mapped[int | None] = mapped_column(Integer, unique=True, index=True)

    tours: Mapped[list[PickTour]] = relationship(order_by="PickTour.id", lazy="selectin")


class PickTour(Base):
    """One picker's walk through a batch of a wave: every line of its pick lists in one route."""

    __tablename__ = "pick_tours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("pick_waves.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(20))  # open, done
    picker: Mapped[str] = mapped_column(String(120), default="")
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    route_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PickScan(Base):
    """One scan of a pick task by a picker: what was scanned and whether it matched."""

    __tablename__ = "pick_scans"
    __table_args__ = (Index("ix_pick_scans_picker_at", "picker", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("pick_list_lines.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    picker: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    location: Mapped[str] = mapped_column(String(60))
    barcode: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # ok, short, wrong_location, wrong_barcode


class PickException(Base):
    """A short pick: fewer units at the location than asked, and what was done about it."""

    __tablename__ = "pick_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_lists.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("pick_list_lines.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku: Mapped[str] = mapped_column(String(64))
    location_code: Mapped[str] = mapped_column(String(40))
    asked: Mapped[int] = mapped_column(Integer)
    picked: Mapped[int] = mapped_column(Integer)
    reallocated: Mapped[int] = mapped_column(Integer)
    backordered: Mapped[int] = mapped_column(Integer)
    written_off: Mapped[int] = mapped_column(Integer)
    resolution: Mapped[str] = mapped_column(String(20))  # reallocated, backordered, partly
    picker: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class CartonType(Base):
    """A carton of the packing station's catalogue: inner size, payload and cost."""

    __tablename__ = "cartons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    length_mm: Mapped[int] = mapped_column(Integer)
    width_mm: Mapped[int] = mapped_column(Integer)
    height_mm: Mapped[int] = mapped_column(Integer)
    max_weight_g: Mapped[int] = mapped_column(Integer)
    cost_cents: Mapped[int] = mapped_column(Integer)
    wall_mm: Mapped[int] = mapped_column(Integer, default=0)
    tare_g: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PackingSession(Base):
    """An order (from one warehouse) being packed: the plan the packer follows, kept fixed."""

    __tablename__ = "packing_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(20))  # open, done
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    packer: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PackingScan(Base):
    """One unit scanned at the packing station, and the placement of the plan it filled."""

    __tablename__ = "packing_scans"
    __table_args__ = (UniqueConstraint("session_id", "placement"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("packing_sessions.id"), index=True)
    placement: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    packer: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
