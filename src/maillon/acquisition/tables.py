"""Acquisition tables: storefront events as the tag sent them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from maillon.core.db import Base, UtcDateTime


class StorefrontEvent(Base):
    """One storefront event (page view, product view, add to cart, checkout step, purchase).

    ``event_id`` is the client's id: a replayed batch stores nothing twice.
    """

    __tablename__ = "storefront_events"
    __table_args__ = (
        Index("ix_storefront_events_occurred", "occurred_at"),
        Index("ix_storefront_events_session", "session_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[str] = mapped_column(String(100))
    anonymous_id: Mapped[str] = mapped_column(String(100))
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    device: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(60))
    page: Mapped[str] = mapped_column(String(300), default="")
    landing_page: Mapped[str | None] = mapped_column(String(300), nullable=True)
    product_sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    value_cents: Mapped[int] = mapped_column(Integer, default=0)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)


class StorefrontSession(Base):
    """One storefront session summed up from its events, kept up to date as they arrive.

    Device, channel and landing page are those of its earliest event; the flags and the
    deepest checkout step say how far down the funnel it went, whatever order its events came
    in. The funnel reads this table, not the events.
    """

    __tablename__ = "storefront_sessions"

    session_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    device: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(60))
    landing_page: Mapped[str] = mapped_column(String(300))
    product_view: Mapped[int] = mapped_column(Integer)  # 0 or 1
    cart: Mapped[int] = mapped_column(Integer)  # 0 or 1: an add to cart
    max_step: Mapped[int] = mapped_column(Integer)  # deepest checkout step, 0 for none
    purchased: Mapped[int] = mapped_column(Integer)  # 0 or 1
    cart_cents: Mapped[int] = mapped_column(Integer)  # largest cart value seen
    events: Mapped[int] = mapped_column(Integer)
