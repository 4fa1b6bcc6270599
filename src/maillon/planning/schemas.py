"""Planning request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel


class SupplierCreate(StrictModel):
    """A new supplier."""

    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(default="", max_length=320)
    lead_time_days: int = Field(ge=0, le=365)
    lead_time_sd_days: int = Field(default=0, ge=0, le=365)
    order_cost_cents: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="fixed cost of one order line (receiving, checking, paying it): with the "
        "holding cost it sizes the lots",
    )


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
    sku_class: str  # ABC/XYZ label, "" when no class target was asked for
    service_level: float  # the fill-rate target the policy was designed for
    lead_time_demand: float | None  # from the stored forecast's quantiles (None: history)
    lead_time_demand_sd: float | None


class PurchaseOrderLineCreate(StrictModel):
    """One line to order."""

    supplier: str = Field(min_length=1, max_length=30)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    reason: str = Field(default="", max_length=400)


class PoCreate(StrictModel):
    """Purchase orders to create (one per supplier) for a warehouse."""

    warehouse: str = Field(min_length=1, max_length=20)
    lines: list[PurchaseOrderLineCreate] = Field(min_length=1, max_length=1000)


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


class SkuClassRead(BaseModel):
    """A SKU's ABC/XYZ class and what it was decided on."""

    sku: str
    value: float
    cumulative_share: float
    abc: str
    cv: float | None  # None: no demand at all (an infinite CV)
    xyz: str
    label: str


class ThresholdsRead(BaseModel):
    """The ABC (cumulative value share) and XYZ (weekly CV) thresholds used."""

    abc_a: float
    abc_b: float
    xyz_x: float
    xyz_y: float


class ClassesRead(BaseModel):
    """ABC/XYZ classes of the SKUs ordered over a period, most valuable first."""

    days: int
    warehouse: str | None
    thresholds: ThresholdsRead
    counts: dict[str, int]
    items: list[SkuClassRead]


class ForecastRunCreate(StrictModel):
    """A forecasting run to start: every SKU's demand per warehouse (or one warehouse)."""

    horizon: int = Field(default=28, ge=1, le=366)
    history_days: int = Field(default=365, ge=14, le=3650)
    freq: Literal["D", "W"] = "D"
    warehouse: str | None = Field(default=None, min_length=1, max_length=20)
    engine: Literal["local", "dask"] = "local"


class ForecastRunRead(BaseModel):
    """A stored forecasting run."""

    id: int
    created_at: datetime
    freq: str
    horizon: int
    engine: str
    series: int
    runtime_s: float
    history_from: date
    history_to: date


class SeriesForecastRead(BaseModel):
    """One SKU's stored daily forecast in a warehouse, step by step."""

    sku: str
    model: str
    days: list[date]
    forecast: list[float]
    quantiles: dict[str, list[float]]


class LatestForecastRead(BaseModel):
    """The newest daily forecast run (None when there is none) and its series."""

    run: ForecastRunRead | None
    warehouse: str
    series: list[SeriesForecastRead]


class PolicyOutcomeRead(BaseModel):
    """What one policy achieved on the replayed history, with its daily trajectory."""

    policy: str
    fill_rate: float
    stockout_days: int
    avg_inventory: float
    avg_inventory_value: float
    orders: int
    holding_cost: float
    ordering_cost: float
    shortage_cost: float
    total_cost: float
    on_hand: list[float]
    short: list[float]


class PolicyComparisonRead(BaseModel):
    """Our policy, min/max and (R, S) replayed on the same demand history."""

    warehouse: str
    skus: list[str]
    days: int
    measured_days: int
    service_level: float
    sigma_shrinkage_prior: float | None  # None: the infinite prior (one spread for all)
    policies: list[PolicyOutcomeRead]
