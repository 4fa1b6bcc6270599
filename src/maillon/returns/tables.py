"""Return tables: RMAs and their lines, inspected units, settlements, the merchant's settings
and the tamper-evident event chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.core.db import Base, UtcDateTime
from maillon.returns.model import rma_number


class ReturnRequest(Base):
    """A customer's request to send items back (an RMA)."""

    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # see model.ReturnStatus
    reason: Mapped[str] = mapped_column(String(200))  # the customer's words
    channel: Mapped[str] = mapped_column(String(20), default="staff", server_default="staff")
    created_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    return_shipping_paid_by: Mapped[str] = mapped_column(
        String(10), default="merchant", server_default="merchant"
    )
    label_status: Mapped[str] = mapped_column(
        String(20), default="", server_default=""
    )  # "", pending, issued
    label_carrier: Mapped[str] = mapped_column(String(40), default="", server_default="")
    label_tracking: Mapped[str] = mapped_column(String(64), default="", server_default="")
    warehouse_code: Mapped[str] = mapped_column(String(20), default="", server_default="")
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    inspected_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    lines: Mapped[list[ReturnLine]] = relationship(order_by="ReturnLine.id", lazy="selectin")
    units: Mapped[list[ReturnUnit]] = relationship(order_by="ReturnUnit.id", lazy="selectin")
    settlements: Mapped[list[ReturnSettlement]] = relationship(
        order_by="ReturnSettlement.id", lazy="selectin"
    )

    @property
    def number(self) -> str:
        """The public RMA number."""
        return rma_number(self.id)


class ReturnLabel(Base):
    """The prepaid return label a carrier issued for an RMA: the PDF (and its ZPL when the
    carrier sent one), the parcel's SSCC and tracking number, and the random ``token`` of
    the customer's download link (portal and e-mail)."""

    __tablename__ = "return_labels"

    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), primary_key=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(64))
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    zpl_content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReturnLine(Base):
    """Units of one order line coming back, why, and how many arrived."""

    __tablename__ = "return_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(40), default="other", server_default="other")
    unit_price_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    received_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # restock, refurbish, return_to_vendor, scrap, or mixed when units went different ways
    disposition: Mapped[str] = mapped_column(String(20), default="")


class ReturnUnit(Base):
    """Inspected units of a return line with one grade, and what became of them."""

    __tablename__ = "return_units"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    return_line_id: Mapped[int] = mapped_column(ForeignKey("return_lines.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(1))
    proposed: Mapped[str] = mapped_column(String(20))  # disposition the policy proposes
    disposition: Mapped[str] = mapped_column(String(20), default="")  # done, once disposed
    warehouse_code: Mapped[str] = mapped_column(String(20), default="")
    location_code: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    inspected_by: Mapped[str] = mapped_column(String(120))
    inspected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disposed_by: Mapped[str] = mapped_column(String(120), default="")
    disposed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ReturnSettlement(Base):
    """How a return was settled: a refund, store credit or an exchange, in integer cents."""

    __tablename__ = "return_settlements"
    __table_args__ = (
        CheckConstraint("refund_cents >= 0", name="refund_not_negative"),
        CheckConstraint("store_credit_cents >= 0", name="credit_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # refund, store_credit, exchange
    goods_cents: Mapped[int] = mapped_column(Integer)
    restocking_fee_cents: Mapped[int] = mapped_column(Integer)
    shipping_refund_cents: Mapped[int] = mapped_column(Integer)
    return_label_cents: Mapped[int] = mapped_column(Integer)
    deduction_cents: Mapped[int] = mapped_column(Integer)
    bonus_cents: Mapped[int] = mapped_column(Integer)
    refund_cents: Mapped[int] = mapped_column(Integer)
    store_credit_cents: Mapped[int] = mapped_column(Integer)
    replacement_lines: Mapped[list[Any]] = mapped_column(JSON)
    reference: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReturnSettingsRow(Base):
    """The merchant's return settings document (one row, id 1)."""

    __tablename__ = "return_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReturnEvent(Base):
    """One entry of the append-only, hash-chained record of return events.

    ``content`` is the canonical JSON of the event (it holds ``seq`` too); ``content_hash`` its
    SHA-256, ``prev_hash`` the previous entry's ``entry_hash``, ``entry_hash`` the SHA-256 of
    both (see :mod:`maillon.returns.ledger`). Never updated, never deleted.
    """

    __tablename__ = "return_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    return_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReturnChainHead(Base):
    """The head of the event chain (one row, id 1): its sequence number and hash.

    Appending locks this row, so concurrent appends queue instead of forking the chain, and a
    verify compares the chain with it to see entries removed at the tail.
    """

    __tablename__ = "return_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
