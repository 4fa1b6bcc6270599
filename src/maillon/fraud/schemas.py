"""Fraud request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel


class SignalsRead(BaseModel):
    """What the storefront sent with the order."""

    ip: str | None
    device_id: str | None
    card_fingerprint: str | None
    billing_postcode: str | None
    billing_country: str | None
    session_id: str | None
    user_agent: str | None


class ReviewDecisionRead(BaseModel):
    """An analyst's decision."""

    decision: str
    analyst: str
    note: str
    decided_at: datetime


class AssessmentRead(BaseModel):
    """An order's fraud assessment, with what an analyst needs to decide."""

    order: str
    order_status: str
    customer_email: str
    customer_name: str
    total_cents: int
    currency: str
    ship_city: str
    ship_postcode: str
    ship_country: str
    created_at: datetime
    score: float
    decision: str
    review_status: str | None
    reasons: list[str]
    rules_fired: list[str]
    features: dict[str, float | None]
    model_version: str | None
    latency_ms: float
    error: str | None
    assessed_at: datetime
    signals: SignalsRead | None
    reviews: list[ReviewDecisionRead] = []


class ReviewUpdate(StrictModel):
    """An analyst's verdict on an order of the review queue."""

    decision: Literal["approve", "reject"]
    note: str = Field(default="", max_length=500)


class ChargebackCreate(StrictModel):
    """A chargeback reported by the payment provider."""

    order: str = Field(min_length=1, max_length=20, description="order number, e.g. M0000042")
    amount_cents: int = Field(ge=1, le=1_000_000_000)
    reason: str = Field(default="", max_length=200)
    occurred_at: datetime | None = None


class ChargebackRead(BaseModel):
    """A recorded chargeback."""

    order: str
    amount_cents: int
    currency: str
    reason: str
    occurred_at: datetime
    recorded_at: datetime


class FraudSettingsRead(BaseModel):
    """The rules configuration in force."""

    revision: int
    auto_reject: bool
    config: dict[str, Any]


class ModelRead(BaseModel):
    """A trained model and its card."""

    version: str
    active: bool
    trained_at: datetime
    data_from: datetime | None
    data_to: datetime | None
    n_samples: int
    n_fraud: int
    roc_auc: float | None
    pr_auc: float | None
    review_threshold: float
    reject_threshold: float
    card: dict[str, Any]


class ActiveModelRead(BaseModel):
    """What scores orders now: a model with its card, or the rules alone."""

    mode: Literal["model", "rules"]
    model: ModelRead | None
    card_markdown: str | None
