"""Acquisition request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel


class EventBatch(StrictModel):
    """A batch of storefront events. Each event is validated on its own (a bad event is
    named ``events.N.field`` and the good ones are stored), with the fields:

    ``event_id`` (unique, makes replays safe), ``type`` (page_view, product_view,
    add_to_cart, checkout_step, purchase), ``session_id``, ``anonymous_id``,
    ``occurred_at`` (ISO 8601 with time zone, or POSIX seconds), and optionally ``device``,
    ``channel``, ``page``, ``landing_page``, ``product_sku``, ``customer_email``, ``step``
    (1-10, checkout_step only), ``value_cents`` (the cart's value) and ``properties``.
    """

    events: list[Any] = Field(min_length=1, max_length=1000)


class EventErrorRead(BaseModel):
    """A rejected event."""

    index: int
    field: str
    message: str


class IngestRead(BaseModel):
    """What a batch did."""

    received: int
    stored: int
    duplicates: int
    rejected: int
    errors: list[EventErrorRead]


class StepRead(BaseModel):
    """One funnel step."""

    name: str
    sessions: int
    conversion: float
    abandonment: float
    from_start: float


class FunnelRead(BaseModel):
    """A funnel over a set of sessions."""

    sessions: int
    purchases: int
    conversion_rate: float
    cart_sessions: int
    abandoned_carts: int
    cart_abandonment_rate: float
    abandoned_cart_value_cents: int
    steps: list[StepRead]


class FunnelGroupRead(FunnelRead):
    """The funnel of one device, channel or landing page."""

    key: str


class FunnelAnalysisRead(BaseModel):
    """The funnel of a period, overall and per breakdown value."""

    start: datetime
    end: datetime
    checkout_steps: int
    by: str | None
    overall: FunnelRead
    groups: list[FunnelGroupRead]
