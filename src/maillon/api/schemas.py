"""Schemas shared by every router."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total count and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class StrictModel(BaseModel):
    """A request body that refuses unknown fields (so typos are named, not ignored)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
