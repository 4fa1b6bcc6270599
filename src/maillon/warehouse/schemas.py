"""Warehouse request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from maillon.api.schemas import StrictModel


class PickLineRead(BaseModel):
    """One stop of a pick list."""

    id: int
    sequence: int
    location: str
    sku: str
    quantity: int
    picked_quantity: int


class PickListRead(BaseModel):
    """A pick list as shown on a handheld; ``route_m`` is the walk in line order (metres,
    when the warehouse has a layout)."""

    id: int
    order: str
    status: str
    picker: str
    created_at: datetime
    route_m: float | None = None
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


class PutawayRequest(StrictModel):
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
