"""Planning request and response models."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from maillon.api.schemas import StrictModel


class SupplierCreate(StrictModel):
    """A new supplier."""

    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(default="", max_length=320)
    lead_time_days: int = Field(ge=0, le=365)
    lead_time_sd_days: int = Field(default=0, ge=0, le=365)
    order_cost_cents: int = Field(default=0, ge=0, le=10_000_000)


class SupplierRead(BaseModel):
    """A supplier."""

    code: str
    name: str
    email: str
    lead_time_days: int
    lead_time_sd_days: int
    order_cost_cents: int


class SupplierItemSet(StrictModel):
    """What a supplier sells of a product."""

    unit_price_cents: int = Field(ge=0, le=100_000_000)
    moq: int = Field(default=0, ge=0, le=1_000_000)
    pack_size: int = Field(default=1, ge=1, le=100_000)
    lead_time_days: int | None = Field(default=None, ge=0, le=365)
    preferred: bool = False


class ProposalRead(BaseModel):
    """A purchase the replenishment policy calls for."""

    sku: str
    supplier: str
    quantity: int
    unit_price_cents: int
    expected_arrival: date
    reason: str
    policy: str
    reorder_point: float
    safety_stock: float
    order_up_to: float | None
    order_quantity: float | None
    forecast_per_day: float
    on_hand: float
    on_order: float
    backordered: float


class PoLineIn(StrictModel):
    """One line to order."""

    supplier: str = Field(min_length=1, max_length=30)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    reason: str = Field(default="", max_length=400)


class PoCreate(StrictModel):
    """Purchase orders to create (one per supplier) for a warehouse."""

    warehouse: str = Field(min_length=1, max_length=20)
    lines: list[PoLineIn] = Field(min_length=1, max_length=1000)


class PoReceiveLine(StrictModel):
    """Units of one SKU received."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)


class PoReceive(StrictModel):
    """A receipt against a purchase order; without ``lines``, everything still due."""

    location: str = Field(min_length=1, max_length=40)
    lines: list[PoReceiveLine] | None = None


class PoLineRead(BaseModel):
    """A purchase order line."""

    sku: str
    quantity: int
    received: int
    unit_price_cents: int
    reason: str


class PoRead(BaseModel):
    """A purchase order."""

    number: str
    supplier: str
    warehouse: str
    status: str
    created_at: datetime
    expected_at: datetime | None
    lines: list[PoLineRead]
    total_cents: int
