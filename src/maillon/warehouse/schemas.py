"""Warehouse request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel
from maillon.warehouse.model import PickLineStatus


class PickLineRead(BaseModel):
    """One stop of a pick list."""

    id: int
    sequence: int
    location: str
    sku: str
    quantity: int
    picked_quantity: int
    status: str = PickLineStatus.OPEN.value


class PickListRead(BaseModel):
    """A pick list as shown on a handheld; ``route_m`` is the walk in line order (metres,
    when the warehouse has a layout)."""

    id: int
    order: str
    warehouse: str
    status: str
    picker: str
    created_at: datetime
    route_m: float | None = None
    tour_id: int | None = None
    lines: list[PickLineRead]


class PickedLine(StrictModel):
    """How many units of a pick-list line were picked."""

    line_id: int = Field(ge=1, le=2_147_483_647)
    quantity: int = Field(ge=0, le=1_000_000)


class PickConfirm(StrictModel):
    """What was picked; omit ``lines`` when everything was picked in full."""

    lines: list[PickedLine] | None = None


class LayoutRead(BaseModel):
    """A warehouse's layout document, with what it implies."""

    warehouse: str
    layout: dict[str, Any]
    locations: int
    blocks: int


class SlotMoveRead(BaseModel):
    """One move of a slotting proposal (a swap moves two products)."""

    sku: str
    source: str | None
    target: str
    saving_m: float
    swap_with: str | None


class SlottingRead(BaseModel):
    """A slotting proposal: moves in the order to make them, and the metres they save."""

    warehouse: str
    method: str
    days: int
    skus: int
    relocations: int
    expected_saving_m: float
    expected_saving_full_m: float
    measured_orders: int
    metres_per_order_before: float | None
    metres_per_order_after: float | None
    moves: list[SlotMoveRead]


class PutawayCreate(StrictModel):
    """Units received that need a place."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    lot: str | None = Field(default=None, max_length=64)


class PutawayLineRead(BaseModel):
    """Put ``quantity`` units at ``location``."""

    location: str
    quantity: int
    reason: str
    travel_m: float


class PutawayRead(BaseModel):
    """Where to put received units; ``unplaced`` did not fit anywhere."""

    sku: str
    quantity: int
    suggestions: list[PutawayLineRead]
    unplaced: int


# --------------------------------------------------------------------------- pick tasks


class TaskClaimCreate(StrictModel):
    """A picker asking for work in a warehouse; ``picker`` names who is holding the
    handheld when one API key serves several pickers (default: the key's name)."""

    warehouse: str = Field(min_length=1, max_length=20)
    picker: str | None = Field(default=None, min_length=1, max_length=100)


class PickTaskRead(BaseModel):
    """One stop: go to ``location``, take ``quantity`` of ``sku``; ``position`` of ``stops``
    in the route of the list (or tour), ``remaining`` stops still to do including this one."""

    line_id: int
    pick_list_id: int
    tour_id: int | None
    order: str
    warehouse: str
    location: str
    sku: str
    name: str
    gtin: str | None
    quantity: int
    position: int
    stops: int
    remaining: int
    route_m: float | None


class NextTaskRead(BaseModel):
    """The next stop, or none (``task`` null) when there is no work."""

    picker: str
    task: PickTaskRead | None
    message: str


class ScanCreate(StrictModel):
    """What the handheld scanned at a stop, and how many units were taken."""

    location: str = Field(min_length=1, max_length=60)
    barcode: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=0, le=1_000_000)
    picker: str | None = Field(default=None, min_length=1, max_length=100)


class PickExceptionRead(BaseModel):
    """A short pick and how it was resolved (units re-allocated, backordered, written off)."""

    id: int
    pick_list_id: int
    line_id: int
    order: str
    sku: str
    location: str
    asked: int
    picked: int
    reallocated: int
    backordered: int
    written_off: int
    resolution: str
    picker: str
    created_at: datetime


class ScanRead(BaseModel):
    """A confirmed stop: the line, its list's status, any short-pick exception, next stop."""

    line: PickLineRead
    pick_list_status: str
    exception: PickExceptionRead | None
    next: PickTaskRead | None


class PickerDayRead(BaseModel):
    """One picker's day (see ``maillon.warehouse.queries.picking_stats.PickerDay``)."""

    picker: str
    day: date
    lines: int
    units: int
    scans: int
    mismatches: int
    short_picks: int
    accuracy: float | None
    active_hours: float
    lines_per_hour: float | None
    metres: float


# --------------------------------------------------------------------------- waves


class WaveCreate(StrictModel):
    """Release allocated orders of a warehouse as picker tours."""

    warehouse: str = Field(min_length=1, max_length=20)
    max_orders: int = Field(default=20, ge=1, le=500)
    cart_units: int = Field(default=40, ge=1, le=10_000, description="units a cart holds")
    cutoff: datetime | None = Field(
        default=None, description="only orders placed up to this time (carrier cut-off)"
    )
    method: str = Field(default="savings", max_length=20, description="savings, seed or single")
    selection: str = Field(
        default="promise",
        max_length=20,
        description="promise: the most urgent max_orders; density: the orders with the most "
        "units per aisle visited, their units within [min_units, max_units]",
    )
    min_units: int = Field(default=0, ge=0, le=100_000)
    max_units: int | None = Field(default=None, ge=1, le=100_000, description="default 4 carts")


class TourRead(BaseModel):
    """One picker tour of a wave."""

    id: int
    status: str
    picker: str
    route_m: float | None
    orders: list[str]
    pick_lists: list[int]
    stops: int
    units: int


class WaveRead(BaseModel):
    """A released wave and its tours."""

    id: int
    warehouse: str
    status: str
    method: str
    cutoff: datetime | None
    max_orders: int
    cart_units: int
    orders: int
    route_m: float | None
    created_at: datetime
    tours: list[TourRead]


# --------------------------------------------------------------------------- packing


class CartonCreate(StrictModel):
    """A carton of the catalogue: inner size (mm), payload (g), cost (cents)."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    length_mm: int = Field(ge=1, le=3_000)
    width_mm: int = Field(ge=1, le=3_000)
    height_mm: int = Field(ge=1, le=3_000)
    max_weight_g: int = Field(ge=1, le=1_000_000)
    cost_cents: int = Field(ge=0, le=1_000_000)
    wall_mm: int = Field(default=0, ge=0, le=50)
    tare_g: int = Field(default=0, ge=0, le=100_000)
    active: bool = True


class CartonUpdate(StrictModel):
    """Fields of a carton to change."""

    length_mm: int | None = Field(default=None, ge=1, le=3_000)
    width_mm: int | None = Field(default=None, ge=1, le=3_000)
    height_mm: int | None = Field(default=None, ge=1, le=3_000)
    max_weight_g: int | None = Field(default=None, ge=1, le=1_000_000)
    cost_cents: int | None = Field(default=None, ge=0, le=1_000_000)
    wall_mm: int | None = Field(default=None, ge=0, le=50)
    tare_g: int | None = Field(default=None, ge=0, le=100_000)
    active: bool | None = None


class CartonRead(BaseModel):
    """A carton of the catalogue."""

    code: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_g: int
    cost_cents: int
    wall_mm: int
    tare_g: int
    active: bool


class PlannedUnitRead(BaseModel):
    """Where one unit goes: loading step, corner (mm from the left wall, back wall, bottom),
    size once turned, orientation (which of its sides lies along length/width/height)."""

    step: int
    sku: str
    name: str
    gtin: str | None
    x: int
    y: int
    z: int
    length: int
    width: int
    height: int
    orientation: str
    instruction: str


class PlannedParcelRead(BaseModel):
    """One carton of a pack plan, its weights and costs (cents) and units in loading order."""

    number: int
    carton: str
    inner_mm: list[int]
    outer_mm: list[int]
    contents_weight_g: int
    gross_weight_g: int
    chargeable_weight_g: int
    carton_cost_cents: int
    shipping_cost_cents: int
    fill_pct: float
    units: list[PlannedUnitRead]


class PackPlanRead(BaseModel):
    """How to pack what an order takes from one warehouse; ``unpackable`` units fit no carton."""

    order: str
    warehouse: str
    parcels: list[PlannedParcelRead]
    unpackable: list[str]
    total_cost_cents: int
    catalogue: str


class PackScanCreate(StrictModel):
    """An item scanned at the packing station, for an order (or one of its pick lists)."""

    order: str | None = Field(default=None, min_length=1, max_length=20)
    pick_list: int | None = Field(default=None, ge=1, le=2_147_483_647)
    barcode: str = Field(min_length=1, max_length=60)


class PackScanRead(BaseModel):
    """Where the scanned unit goes, and what is left to pack."""

    session_id: int
    order: str
    warehouse: str
    parcel: int
    carton: str
    unit: PlannedUnitRead
    earlier_steps_open: int
    parcel_units_left: int
    order_units_left: int
    done: bool
    parcels: int = Field(
        0, description="the order's parcels once this scan packed its last unit (then packed)"
    )
