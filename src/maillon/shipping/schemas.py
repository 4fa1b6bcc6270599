"""Shipping request and response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from maillon.api.schemas import StrictModel


class CarrierCreate(StrictModel):
    """A new carrier."""

    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=100)
    tracking_prefix: str = Field(default="MA", min_length=1, max_length=6)
    tracking_url: str = Field(default="", max_length=300)


class CarrierRead(BaseModel):
    """A carrier as returned."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    tracking_prefix: str
    tracking_url: str


class ParcelIn(StrictModel):
    """A packed parcel: weight in grams, outer size in millimetres."""

    weight_g: int = Field(gt=0, le=1_000_000)
    length_mm: int = Field(gt=0, le=10_000)
    width_mm: int = Field(gt=0, le=10_000)
    height_mm: int = Field(gt=0, le=10_000)


class PackRequest(StrictModel):
    """Parcels as packed; omit to let Maillon estimate one parcel."""

    parcels: list[ParcelIn] | None = None


class ShipRequest(StrictModel):
    """Which carrier takes the parcels."""

    carrier: str = Field(min_length=1, max_length=30)


class TrackingEventIn(StrictModel):
    """A carrier event, already mapped to Maillon's status model."""

    carrier: str = Field(min_length=1, max_length=30)
    event_id: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=40)
    status: str
    occurred_at: datetime
    location: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=300)


class TrackingEventRead(BaseModel):
    """A stored tracking event; ``created`` is false for a replay."""

    event_id: str
    status: str
    occurred_at: datetime
    created: bool
