"""Warehouse request and response models."""

from __future__ import annotations

from datetime import datetime

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
    """A pick list as shown on a handheld."""

    id: int
    order: str
    status: str
    picker: str
    created_at: datetime
    lines: list[PickLineRead]


class PickedLine(StrictModel):
    """How many units of a pick-list line were picked."""

    line_id: int = Field(ge=1, le=2_147_483_647)
    quantity: int = Field(ge=0, le=1_000_000)


class PickConfirm(StrictModel):
    """What was picked; omit ``lines`` when everything was picked in full."""

    lines: list[PickedLine] | None = None
