"""Shipping tables: carriers and their API accounts, shipments, parcels, their labels,
tracking events and claims."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.core.db import Base, UtcDateTime

WEBHOOK_SIGNATURE_HEADER = "X-Maillon-Signature"
"""Header of a carrier webhook: ``sha256=<hex HMAC-SHA256 of the raw body>`` (or the bare hex),
keyed with the carrier's webhook secret."""

MIN_SECRET_LENGTH = 24


class Carrier(Base):
    """A carrier, how to build its public tracking link, and the HMAC key its webhooks are
    signed with (``webhook_secret``; None: only an operator key may post its events)."""

    __tablename__ = "carriers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    tracking_prefix: Mapped[str] = mapped_column(String(6), default="MA")
    tracking_url: Mapped[str] = mapped_column(String(300), default="")
    webhook_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    webhook_secret_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    def set_webhook_secret(self, secret: str | None, *, now: datetime) -> str:
        """Store ``secret`` as the HMAC key of this carrier's webhooks (None: a random one,
        i.e. a rotation) and return it; the previous one stops working at once.

        Raises ValueError for a secret shorter than ``MIN_SECRET_LENGTH`` or longer than 200
        characters, or with spaces.
        """
        key = secrets.token_urlsafe(32) if secret is None else secret
        if not MIN_SECRET_LENGTH <= len(key) <= 200 or any(c.isspace() for c in key):
            raise ValueError(
                f"a webhook secret has {MIN_SECRET_LENGTH}-200 characters and no spaces"
            )
        self.webhook_secret = key
        self.webhook_secret_set_at = now
        return key

    def clear_webhook_secret(self) -> None:
        """Forget the secret: only an operator key may post this carrier's events again."""
        self.webhook_secret = None
        self.webhook_secret_set_at = None

    def webhook_signature_ok(self, body: bytes, header: str | None) -> bool:
        """Return whether ``header`` is the HMAC-SHA256 of ``body`` with this carrier's secret
        (``sha256=<hex>`` or ``<hex>``, compared in constant time); False without a secret."""
        if not self.webhook_secret or not header:
            return False
        value = header.strip()
        if value.lower().startswith("sha256="):
            value = value[7:]
        expected = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, value.lower())


class Shipment(Base):
    """What leaves a warehouse for one order: one or more parcels with one carrier."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carriers.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # packed, shipped, delivered, exception
    packed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # what was bought from the carrier's rate card when it shipped (None: carrier without card)
    service_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    zone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    quoted_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # who priced quoted_cents: carrier_api or rate_card (a PriceSource)
    quoted_source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # the customer's promise (service promise from the order time) and the carrier's due date
    # (transit from the hand-over): promise accuracy uses the first, reliability the second
    promised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    carrier_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # set once when a delay or exception was notified (see follow_up.detect_delays)
    delay_flagged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    delay_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)

    parcels: Mapped[list[Parcel]] = relationship(order_by="Parcel.id", lazy="selectin")
    carrier: Mapped[Carrier | None] = relationship(lazy="joined")


class Parcel(Base):
    """One box with its SSCC and, once shipped, its carrier tracking number."""

    __tablename__ = "parcels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    sscc: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    weight_g: Mapped[int] = mapped_column(Integer)
    length_mm: Mapped[int] = mapped_column(Integer)
    width_mm: Mapped[int] = mapped_column(Integer)
    height_mm: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="label_created")
    # when the tracking pull last asked the carrier (None: never): the oldest are asked first
    tracking_pulled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TrackingEvent(Base):
    """A carrier event, stored once per (carrier, event id) whatever order it arrives in."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("carrier_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"))
    event_id: Mapped[str] = mapped_column(String(100))
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    location: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(300), default="")


class ShippingLabel(Base):
    """The label document the carrier gateway returned for a parcel: ``content`` in
    ``media_type`` (a PDF, or ZPL when the carrier sent only that) and, when the carrier sent
    one, the ZPL of the same label for thermal printers (``zpl_content``)."""

    __tablename__ = "shipping_labels"

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(40), default="application/pdf")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    zpl_content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LabelPrint(Base):
    """A shipment's labels printed in a batch (``format`` pdf or zpl), by whom and when: a
    shipment without a row is "not yet printed"."""

    __tablename__ = "label_prints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    format: Mapped[str] = mapped_column(String(10))
    with_slips: Mapped[bool] = mapped_column(Boolean, default=False)
    printed_by: Mapped[str] = mapped_column(String(120))
    printed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ShipmentClaim(Base):
    """A damage or loss claim made against the carrier for a shipment."""

    __tablename__ = "shipment_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # damage, loss
    amount_cents: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120))


class CarrierAccountRow(Base):
    """A carrier's account at its API (one per carrier): which connector speaks to it, in
    which mode (``sandbox``, ``live``, ``rate_card``: no API), its credentials encrypted with
    :class:`maillon.core.secrets.SecretBox` (never stored in clear), and non-secret settings.
    ``disabled_at`` set: the carrier ships on its rate card again, the account kept."""

    __tablename__ = "carrier_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), unique=True)
    connector: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(20))  # AccountMode
    credentials_encrypted: Mapped[str] = mapped_column(Text, default="")
    credential_keys: Mapped[str] = mapped_column(String(300), default="")  # names, comma-separated
    base_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    label_format: Mapped[str] = mapped_column(String(10), default="pdf")  # LabelFormat
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
