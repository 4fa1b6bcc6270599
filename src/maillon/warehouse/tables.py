"""Warehouse execution tables: pick lists and their lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
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


class WarehouseLayout(Base):
    """The layout document of a warehouse (see :mod:`maillon.warehouse.layout_spec`)."""

    __tablename__ = "warehouse_layouts"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(120), default="")
