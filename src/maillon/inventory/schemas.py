"""Inventory request and response models."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from maillon.core.http import StrictModel


class WarehouseCreate(StrictModel):
    """A new warehouse."""

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=120)
    address_line: str = ""
    postcode: str = ""
    city: str = ""
    country: str = Field(default="FR", min_length=2, max_length=2)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    priority: int = Field(default=100, ge=0, le=1_000_000)


class WarehouseRead(BaseModel):
    """A warehouse as returned."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    postcode: str
    city: str
    country: str
    lat: float | None
    lon: float | None
    priority: int


class ReceiptCreate(StrictModel):
    """Goods received into a location."""

    warehouse: str
    location: str = Field(min_length=1, max_length=40)
    sku: str
    quantity: int = Field(gt=0, le=1_000_000)
    reference: str = Field(default="", max_length=80)
    lot: str = Field(default="", max_length=40, description="lot or batch number")
    best_before: date | None = Field(
        default=None, description="expiry (FEFO); never allocated after"
    )


class AdjustmentCreate(StrictModel):
    """A count correction."""

    warehouse: str
    location: str = Field(min_length=1, max_length=40)
    sku: str
    delta: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=200)
    lot: str = Field(default="", max_length=40)


class BalanceRead(BaseModel):
    """On-hand, reserved and available units of a SKU at a location."""

    warehouse: str
    location: str
    sku: str
    name: str
    on_hand: int
    reserved: int
    available: int
    lot: str = ""
    best_before: date | None = None


class MovementRead(BaseModel):
    """One ledger entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    delta_on_hand: int
    delta_reserved: int
    reference: str
    reason: str
    actor: str
    created_at: datetime


class CountCreate(StrictModel):
    """The location to count."""

    warehouse: str = Field(min_length=1, max_length=20)
    location: str = Field(min_length=1, max_length=40)


class CountLineUpdate(StrictModel):
    """What was found of one product and lot."""

    sku: str = Field(min_length=1, max_length=64)
    lot: str = Field(default="", max_length=40)
    counted: int = Field(le=10_000_000)


class CountUpdate(StrictModel):
    """Everything counted at the location (products not listed count as zero)."""

    lines: list[CountLineUpdate]


class CountLineRead(BaseModel):
    """A count line; ``expected`` is hidden from pickers (blind count)."""

    sku: str
    lot: str
    expected: int | None
    counted: int | None
    difference: int | None


class CountRead(BaseModel):
    """A cycle count."""

    id: int
    status: str
    created_at: datetime
    counted_at: datetime | None
    lines: list[CountLineRead]


class DiscrepancyRead(BaseModel):
    """A difference found by a count."""

    count_id: int
    counted_at: datetime
    warehouse: str
    location: str
    sku: str
    lot: str
    expected: int
    counted: int
    difference: int
    value_cents: int


class SensorCreate(StrictModel):
    """A weighing shelf: which product it weighs, where."""

    code: str = Field(min_length=1, max_length=60)
    warehouse: str = Field(min_length=1, max_length=20)
    location: str = Field(min_length=1, max_length=40)
    sku: str = Field(min_length=1, max_length=64)
    tare_g: int = Field(default=0, le=10_000_000)
    tolerance_units: int = Field(default=0, le=1_000_000)
    min_units: int = Field(default=0, le=1_000_000)
    #: how often the sensor reports (minutes); silent longer, it gets an alert
    interval_minutes: int = Field(default=15, le=7 * 24 * 60)


class ReadingCreate(StrictModel):
    """One reading from a shelf."""

    sensor: str = Field(min_length=1, max_length=60)
    reading_id: str = Field(min_length=1, max_length=100)
    measured_at: datetime
    grams: float


class ReadingRead(BaseModel):
    """What a reading did."""

    sensor: str
    reading_id: str
    created: bool
    stale: bool
    units: int
    alerts: list[str]


class AlertRead(BaseModel):
    """An open stock alert."""

    id: int
    kind: str
    expected: int
    observed: int
    note: str
    created_at: datetime
