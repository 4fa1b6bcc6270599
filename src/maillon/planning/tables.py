"""Planning tables: suppliers and what they sell, purchase orders and their lines, and the
stored forecasts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.core.db import Base, UtcDateTime


class Supplier(Base):
    """A supplier: its default lead time (days, mean and spread) and cost of an order."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(320), default="")
    lead_time_days: Mapped[int] = mapped_column(Integer)
    lead_time_sd_days: Mapped[int] = mapped_column(Integer, default=0)
    order_cost_cents: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SupplierItem(Base):
    """What a supplier sells of one product: price, minimum order, pack size, lead time."""

    __tablename__ = "supplier_items"
    __table_args__ = (UniqueConstraint("supplier_id", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    moq: Mapped[int] = mapped_column(Integer, default=0)
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    lead_time_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)


class PurchaseOrder(Base):
    """An order to a supplier for one warehouse: draft, sent, partly received, received,
    cancelled."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expected_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120), default="")

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        order_by="PurchaseOrderLine.id", lazy="selectin"
    )

    @property
    def number(self) -> str:
        """The public number of the order (``PO000123``)."""
        return f"PO{self.id:06d}"


class PurchaseOrderLine(Base):
    """Units of one product ordered, and how many were received so far."""

    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(400), default="")


class ForecastRun(Base):
    """One forecasting run over the catalogue's demand series."""

    __tablename__ = "forecast_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    freq: Mapped[str] = mapped_column(String(8))
    horizon: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(10))
    series: Mapped[int] = mapped_column(Integer)
    runtime_s: Mapped[float] = mapped_column(Float)
    history_from: Mapped[date] = mapped_column(Date)
    history_to: Mapped[date] = mapped_column(Date)
    #: the worker tier's job that made it (None: made in the request, by the CLI or a test)
    job_id: Mapped[int | None] = mapped_column(Integer, unique=True, index=True)


class ForecastPoint(Base):
    """The forecast of one SKU in one warehouse for one future period, with quantiles."""

    __tablename__ = "forecast_points"
    __table_args__ = (Index("ix_forecast_points_run_sku", "run_id", "sku", "warehouse"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id"))
    sku: Mapped[str] = mapped_column(String(64))
    warehouse: Mapped[str] = mapped_column(String(20))
    ds: Mapped[date] = mapped_column(Date)
    step: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(40))
    forecast: Mapped[float] = mapped_column(Float)
    q50: Mapped[float | None] = mapped_column(Float, nullable=True)
    q80: Mapped[float | None] = mapped_column(Float, nullable=True)
    q90: Mapped[float | None] = mapped_column(Float, nullable=True)
    q95: Mapped[float | None] = mapped_column(Float, nullable=True)
