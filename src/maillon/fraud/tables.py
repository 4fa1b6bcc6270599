"""Fraud tables: what the storefront sent, the verdict on each order, analyst decisions,
chargebacks (the labels), trained models and the rules configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from maillon.core.db import Base, UtcDateTime


class FraudSignals(Base):
    """The buyer's traces on one order (storefront signals plus normalised keys), kept for
    the velocity and reuse features of later orders."""

    __tablename__ = "fraud_signals"
    __table_args__ = (
        Index("ix_fraud_signals_customer_created", "customer_id", "created_at"),
        Index("ix_fraud_signals_email_created", "email", "created_at"),
        Index("ix_fraud_signals_card_created", "card_fingerprint", "created_at"),
        Index("ix_fraud_signals_ip_created", "ip", "created_at"),
        Index("ix_fraud_signals_device_created", "device_id", "created_at"),
        Index("ix_fraud_signals_address_created", "address_key", "created_at"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    card_fingerprint: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address_key: Mapped[str] = mapped_column(String(300))
    billing_postcode: Mapped[str | None] = mapped_column(String(12), nullable=True)
    billing_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FraudAssessment(Base):
    """The score of one order at intake: decision, reasons, the features it was computed
    from (the training rows of the next model) and the review state."""

    __tablename__ = "fraud_assessments"
    __table_args__ = (Index("ix_fraud_assessments_review", "review_status", "assessed_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))  # accept, review, reject
    reasons: Mapped[list[str]] = mapped_column(JSON)
    rules_fired: Mapped[list[str]] = mapped_column(JSON)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    # open (waiting for an analyst), approved, rejected; None when accepted at intake
    review_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class FraudReview(Base):
    """An analyst's decision on an order of the review queue (a label for training)."""

    __tablename__ = "fraud_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # approve, reject
    analyst: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FraudChargeback(Base):
    """A chargeback the payment provider reported on an order: the strongest fraud label."""

    __tablename__ = "fraud_chargebacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(120))


class FraudModelRecord(Base):
    """A trained model: its card, thresholds and the artifact itself (LightGBM text in JSON),
    so every API worker loads the active one from the database."""

    __tablename__ = "fraud_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    trained_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trained_by: Mapped[str] = mapped_column(String(120))
    data_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    data_to: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    n_samples: Mapped[int] = mapped_column(Integer)
    n_fraud: Mapped[int] = mapped_column(Integer)
    roc_auc: Mapped[float | None] = mapped_column(Float, nullable=True)
    pr_auc: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_threshold: Mapped[float] = mapped_column(Float)
    reject_threshold: Mapped[float] = mapped_column(Float)
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifact: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class FraudSettings(Base):
    """The rules configuration (one row): rules, rule-score thresholds, and optional
    overrides of the model's thresholds. ``revision`` grows with every change."""

    __tablename__ = "fraud_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))
