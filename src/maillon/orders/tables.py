"""Order tables: customers, orders, lines, the timeline, stock allocations and the delivery
chosen at checkout."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from maillon.core.db import Base, UtcDateTime
from maillon.orders.model import order_number


class Customer(Base):
    """A buyer, known by e-mail."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Address(Base):
    """A delivery address in a customer's address book (orders keep their own copy too)."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(12))
    city: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Order(Base):
    """A customer order with the delivery address it was placed with."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_orders_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer)
    ship_name: Mapped[str] = mapped_column(String(200))
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str] = mapped_column(String(200), default="")
    ship_postcode: Mapped[str] = mapped_column(String(12))
    ship_city: Mapped[str] = mapped_column(String(200))
    ship_country: Mapped[str] = mapped_column(String(2))
    ship_phone: Mapped[str] = mapped_column(String(32), default="")
    ship_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    ship_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), nullable=True)
    ship_complete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    promised_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    allocated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.line_no", lazy="selectin"
    )

    @property
    def number(self) -> str:
        """The public order number."""
        return order_number(self.id)


class OrderLine(Base):
    """One product and quantity of an order, at the price it was sold."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Base):
    """One entry of an order's timeline: a status change or a note, with who and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(500), default="")


class Allocation(Base):
    """Units of an order line reserved on one stock record."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    stock_level_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # reserved, shipped, released


class SalesChannel(Base):
    """A shop that sends orders by webhook, with the secret its signatures are made with, and
    the credentials Maillon answers it with (fulfilments, stock)."""

    __tablename__ = "sales_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # shopify, woocommerce
    webhook_secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # how Maillon talks back to the shop (maillon.channels); no api_secret: it only listens.
    # Shopify: the shop URL, an Admin API access token (api_secret) and the location whose
    # stock Maillon sets (stock_location, a gid); WooCommerce: the URL, consumer key + secret.
    shop_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    api_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    api_secret: Mapped[str] = mapped_column(String(300), default="", server_default="")
    stock_location: Mapped[str] = mapped_column(String(100), default="", server_default="")


class Hold(Base):
    """A timed reservation for a cart at checkout: confirmed into an order, or released."""

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_status_expires", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20))  # active, confirmed, released, expired
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)

    lines: Mapped[list[HoldLine]] = relationship(order_by="HoldLine.id", lazy="selectin")


class HoldLine(Base):
    """Units of one stock record held for a cart."""

    __tablename__ = "hold_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), index=True)
    stock_level_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)


class OrderDelivery(Base):
    """The delivery the customer chose at checkout (see :mod:`maillon.orders.choice`); an
    order without a row is delivered at home, carrier and service left to us.

    The relay point's name and address are a snapshot of what the customer was shown, so the
    label, the tracking page and the e-mails print them even if the point's list changes.
    """

    __tablename__ = "order_deliveries"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    service: Mapped[str | None] = mapped_column(String(40), nullable=True)
    relay_carrier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    relay_point_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    relay_name: Mapped[str] = mapped_column(String(200), default="")
    relay_address: Mapped[str] = mapped_column(String(200), default="")
    relay_postcode: Mapped[str] = mapped_column(String(12), default="")
    relay_city: Mapped[str] = mapped_column(String(200), default="")
    relay_country: Mapped[str] = mapped_column(String(2), default="")
    relay_opening_hours: Mapped[str] = mapped_column(String(200), default="")
    store_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    slot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slot_start: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    slot_end: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    promised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
