"""Shipping request and response models."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from maillon.core.http import StrictModel


class CarrierCreate(StrictModel):
    """A new carrier."""

    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=100)
    tracking_prefix: str = Field(default="MA", min_length=1, max_length=6)
    tracking_url: str = Field(default="", max_length=300)


class CarrierRead(BaseModel):
    """A carrier as returned."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    tracking_prefix: str
    tracking_url: str


class CarrierAccountSet(StrictModel):
    """A carrier's API account: ``credentials`` are merged into the stored ones (an empty
    value removes a key); they are stored encrypted and never returned."""

    connector: str = Field(min_length=1, max_length=40)
    mode: Literal["sandbox", "live", "rate_card"] = "sandbox"
    credentials: dict[str, str] = Field(default_factory=dict)
    base_url: str | None = Field(default=None, max_length=300)
    label_format: Literal["pdf", "zpl"] = "pdf"
    options: dict[str, str] | None = None


class CarrierAccountRead(BaseModel):
    """A carrier's mode and account as anyone may see it: which credential keys are set,
    never their values."""

    carrier: str
    name: str
    mode: str
    connector: str | None
    connector_title: str
    credentials_set: list[str]
    missing_credentials: list[str]
    base_url: str | None
    label_format: str
    options: dict[str, str]
    capabilities: list[str]
    disabled: bool


class ParcelCreate(StrictModel):
    """A packed parcel: weight in grams, outer size in millimetres."""

    weight_g: int = Field(gt=0, le=1_000_000)
    length_mm: int = Field(gt=0, le=10_000)
    width_mm: int = Field(gt=0, le=10_000)
    height_mm: int = Field(gt=0, le=10_000)


class PackCreate(StrictModel):
    """Parcels as packed; omit to let Maillon estimate one parcel."""

    parcels: list[ParcelCreate] | None = None


Policy = Literal["cheapest", "fastest", "best_value"]
Kind = Literal["standard", "express", "relay_point", "appointment", "same_day"]


class ShipCreate(StrictModel):
    """Which carrier and service take the parcels.

    Without ``service``, the carrier's best service under ``policy``; without ``carrier``,
    the best service of every set-up carrier.
    """

    carrier: str | None = Field(default=None, min_length=1, max_length=30)
    service: str | None = Field(default=None, min_length=1, max_length=40)
    policy: Policy = "best_value"


class TrackingEventCreate(StrictModel):
    """A carrier event, already mapped to Maillon's status model."""

    carrier: str = Field(min_length=1, max_length=30)
    event_id: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=40)
    status: str
    occurred_at: datetime
    location: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=300)


class TrackingEventRead(BaseModel):
    """A stored tracking event; ``created`` is false for a replay."""

    event_id: str
    status: str
    occurred_at: datetime
    created: bool


class RateParcelCreate(ParcelCreate):
    """A parcel to rate; ``declared_value_cents`` prices insurance and value limits."""

    declared_value_cents: int = Field(default=0, ge=0, le=100_000_000)


class DestinationCreate(StrictModel):
    """Where a parcel goes: ISO country code and postcode."""

    country: str = Field(default="FR", min_length=2, max_length=2)
    postcode: str = Field(default="", max_length=12)


class RateQuoteCreate(StrictModel):
    """Rate-shop an order (parcel estimated from its lines) or an explicit parcel."""

    order: str | None = Field(default=None, min_length=1, max_length=20)
    parcel: RateParcelCreate | None = None
    destination: DestinationCreate | None = None
    policy: Policy = "best_value"
    value_of_day_cents: int = Field(default=100, ge=0, le=100_000)
    kinds: list[Kind] | None = Field(default=None, min_length=1, max_length=5)
    carriers: list[str] | None = Field(default=None, min_length=1, max_length=30)
    ordered_at: datetime | None = None


class QuoteRead(BaseModel):
    """One ranked service: price breakdown, promise, reliability used, explanation."""

    rank: int
    carrier: str
    service: str
    service_name: str
    kind: str
    zone: str
    total_cents: int
    breakdown: dict[str, int | bool | None]
    transit_days: int
    ship_date: date | None
    delivery_date: date | None
    on_time_rate: float | None
    on_time_samples: int
    expected_days: float | None
    value_cents: float | None
    explanation: str


class ExclusionRead(BaseModel):
    """A service left out, and why."""

    carrier: str
    service: str
    reason: str
    detail: str


class ParcelRead(BaseModel):
    """The parcel rated."""

    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    declared_value_cents: int


class RatesRead(BaseModel):
    """Ranked quotes, the choice and its explanation, and the exclusions."""

    policy: str
    order: str | None
    parcel: ParcelRead
    destination: DestinationCreate
    chosen: QuoteRead | None
    explanation: str
    quotes: list[QuoteRead]
    excluded: list[ExclusionRead]


class PromiseCreate(StrictModel):
    """Checkout's question: when would an order placed now (or at ``ordered_at``) arrive?"""

    ordered_at: datetime | None = None
    postcode: str = Field(max_length=12)
    country: str = Field(default="FR", min_length=2, max_length=2)
    carrier: str | None = Field(default=None, min_length=1, max_length=30)
    service: str | None = Field(default=None, min_length=1, max_length=40)


class ServicePromiseRead(BaseModel):
    """One service's ship date and estimated delivery date."""

    carrier: str
    service: str
    service_name: str
    kind: str
    zone: str
    ship_date: date
    delivery_date: date
    transit_days: int
    cutoff: time
    missed_cutoff: bool
    on_time_rate: float = Field(
        description="share of this service's recent deliveries on time (a prior when few)"
    )
    on_time_samples: int = Field(description="deliveries the rate was measured on")


class PromisesRead(BaseModel):
    """Every service's promise, earliest delivery first."""

    ordered_at: datetime
    options: list[ServicePromiseRead]


class ShipmentParcelRead(BaseModel):
    """A parcel of a shipment."""

    model_config = ConfigDict(from_attributes=True)

    sscc: str | None
    tracking_number: str | None
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    status: str


class ShipmentRead(BaseModel):
    """A shipment: carrier, service, cost, promise, delay flag and parcels."""

    id: int
    order: str
    warehouse_id: int
    carrier: str | None
    status: str
    service_code: str | None
    zone: str | None
    quoted_cents: int | None
    quoted_source: str | None = None  # carrier_api or rate_card
    promised_on: date | None
    carrier_due_on: date | None
    packed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    delay_flagged_at: datetime | None
    delay_reason: str | None
    parcels: list[ShipmentParcelRead]


class ClaimCreate(StrictModel):
    """A damage or loss claim against the carrier."""

    kind: Literal["damage", "loss"]
    amount_cents: int = Field(ge=0, le=100_000_000)
    note: str = Field(default="", max_length=500)


class ClaimRead(BaseModel):
    """A recorded claim."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    shipment_id: int
    kind: str
    amount_cents: int
    note: str
    created_at: datetime
    created_by: str


class IgnoredRead(BaseModel):
    """A webhook event that was not stored, and why."""

    index: int
    code: str
    reason: str


class WebhookRead(BaseModel):
    """What a carrier webhook changed."""

    carrier: str
    received: int
    created: int
    replayed: int
    ignored: list[IgnoredRead]


class DelayRead(BaseModel):
    """A shipment notified as late or in trouble."""

    shipment_id: int
    order: str
    kind: str
    reason: str


class DetectDelaysRead(BaseModel):
    """The shipments notified by this run (already notified ones are not repeated)."""

    notified: int
    notices: list[DelayRead]


class PromiseAccuracyRead(BaseModel):
    """Delivered days against the customer's promised days."""

    compared: int
    on_time: int
    on_time_rate: float
    mean_days_late: float
    max_days_late: int


class ScorecardRead(BaseModel):
    """A carrier in a zone (``*``: all its zones) over the period."""

    carrier: str
    zone: str
    shipments: int
    delivered: int
    on_time: int
    on_time_rate: float | None
    transit_p50_days: float | None
    transit_p90_days: float | None
    transit_max_days: int | None
    exceptions: int
    damage_claims: int
    loss_claims: int
    claims_cents: int
    promise_accuracy: PromiseAccuracyRead


class ScorecardsRead(BaseModel):
    """Carrier scorecards of the shipments handed over in ``[from, to]``."""

    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    rows: list[ScorecardRead]


class PrintCreate(StrictModel):
    """A batch of labels to print: shipments by id or order number, or everything shipped on
    a day (``today``) not printed yet, optionally by one carrier."""

    shipment_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=list, max_length=200
    )
    orders: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        default_factory=list, max_length=200
    )
    today: bool = False
    day: date | None = None
    carrier: str | None = Field(default=None, min_length=1, max_length=30)
    format: Literal["pdf", "zpl"] = "pdf"
    with_slips: bool = False
