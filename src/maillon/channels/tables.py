"""Channel tables: refused webhooks (the inbox), fulfilment pushes, and stock last pushed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maillon.core.db import Base, UtcDateTime


class InboxEntry(Base):
    """What a shop sent that Maillon refused: the raw body, why, and what became of it.

    One entry per shop, kind and shop order id: the same refusal received again updates it.
    """

    __tablename__ = "channel_inbox"
    __table_args__ = (
        UniqueConstraint("channel_id", "kind", "shop_order_id"),
        Index("ix_channel_inbox_status", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("sales_channels.id"))
    kind: Mapped[str] = mapped_column(String(20))  # InboxKind
    shop_order_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # InboxStatus
    body: Mapped[str] = mapped_column(Text)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    received: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    order_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class FulfillmentPush(Base):
    """An order's fulfilment told to its shop (or refused by it): pushed once."""

    __tablename__ = "channel_fulfillments"
    __table_args__ = (UniqueConstraint("channel_id", "order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("sales_channels.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(20))  # PushStatus
    remote_id: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(String(1000), default="")
    pushed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StockPushed(Base):
    """The available quantity of a SKU last set in a shop (only changes are pushed)."""

    __tablename__ = "channel_stock"
    __table_args__ = (UniqueConstraint("channel_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("sales_channels.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    pushed_at: Mapped[datetime] = mapped_column(UtcDateTime())
