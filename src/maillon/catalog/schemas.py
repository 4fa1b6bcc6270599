"""Catalogue request and response models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from maillon.core.http import StrictModel


class ProductCreate(StrictModel):
    """A new product."""

    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    gtin: str | None = Field(default=None, description="GTIN-8/12/13/14 with check digit")
    category: str = ""
    length_mm: int = Field(le=10_000)
    width_mm: int = Field(le=10_000)
    height_mm: int = Field(le=10_000)
    weight_g: int = Field(le=1_000_000)
    price_cents: int = Field(ge=0, le=1_000_000_000)


class ProductRead(BaseModel):
    """A product as returned."""

    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    gtin: str | None
    category: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    price_cents: int
    active: bool
