"""Order request and response models."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from maillon.core.http import StrictModel
from maillon.orders.choice import (
    HOME,
    DeliveryChoice,
    DeliveryMethod,
    RelayPointChoice,
    SlotChoice,
)
from maillon.orders.model import AddressDraft, LineDraft, OrderDraft


class CustomerCreate(StrictModel):
    """Who is buying."""

    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    phone: str = Field(default="", max_length=40)


class AddressBase(BaseModel):
    """Where to deliver."""

    name: str = Field(max_length=200)
    line1: str = Field(max_length=200)
    line2: str = Field(default="", max_length=200)
    postcode: str = Field(max_length=12)
    city: str = Field(max_length=200)
    country: str = Field(default="FR", max_length=2)
    phone: str = Field(default="", max_length=40)


class AddressCreate(AddressBase, StrictModel):
    """Where to deliver, as the order gives it (unknown fields are refused)."""


class ShippingAddressRead(AddressBase):
    """Where the order is delivered."""


class LineCreate(StrictModel):
    """One product and quantity."""

    sku: str = Field(max_length=64)
    quantity: int = Field(le=1_000_000)
    unit_price_cents: int | None = Field(default=None, le=1_000_000_000)


class OrderSignals(StrictModel):
    """What the storefront knows of the buyer: used by fraud scoring and attribution."""

    ip: str | None = Field(default=None, max_length=45)
    device_id: str | None = Field(default=None, max_length=100)
    card_fingerprint: str | None = Field(default=None, max_length=100)
    billing_postcode: str | None = Field(default=None, max_length=12)
    billing_country: str | None = Field(default=None, min_length=2, max_length=2)
    session_id: str | None = Field(default=None, max_length=100)
    user_agent: str | None = Field(default=None, max_length=300)


class RelayPointCreate(StrictModel):
    """The relay point chosen: its carrier and id as the delivery options gave them (its name
    and address are taken from Maillon's list of points)."""

    carrier: str | None = Field(default=None, max_length=40)
    id: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=12)
    city: str = Field(default="", max_length=200)
    country: str = Field(default="FR", min_length=2, max_length=2)
    opening_hours: str = Field(default="", max_length=200)


class SlotCreate(StrictModel):
    """The delivery slot chosen (its id in the delivery options' ``slots``)."""

    id: int = Field(ge=1)


class DeliveryChoiceCreate(StrictModel):
    """How the customer asked to be delivered: send back the ``choice`` of the option taken in
    ``POST /api/v1/delivery/options`` as it is. Without it, the order is delivered at home."""

    method: DeliveryMethod = DeliveryMethod.HOME
    carrier: str | None = Field(default=None, max_length=40)
    service: str | None = Field(default=None, max_length=40)
    relay_point: RelayPointCreate | None = None
    store: str | None = Field(default=None, max_length=40)
    slot: SlotCreate | None = None
    promised_on: date | None = Field(default=None, description="the delivery date promised")
    price_cents: int | None = Field(default=None, ge=0, le=10_000_000)
    reservation: str | None = Field(
        default=None,
        max_length=40,
        description="click & collect: the token of the store reservation made at checkout",
    )

    def to_choice(self) -> DeliveryChoice:
        """Return the pure choice the service checks."""
        relay = self.relay_point
        return DeliveryChoice(
            method=self.method,
            carrier=self.carrier,
            service=self.service,
            relay_point=(
                RelayPointChoice(
                    carrier=relay.carrier or self.carrier or "",
                    point_id=relay.id,
                    name=relay.name,
                    address=relay.address,
                    postcode=relay.postcode,
                    city=relay.city,
                    country=relay.country.upper(),
                    opening_hours=relay.opening_hours,
                )
                if relay is not None
                else None
            ),
            store=self.store,
            slot=SlotChoice(self.slot.id) if self.slot is not None else None,
            promised_on=self.promised_on,
            price_cents=self.price_cents,
            reservation=self.reservation,
        )


class OrderCreate(StrictModel):
    """A new order. ``(channel, external_id)`` makes retries and replays safe."""

    channel: str = "api"
    external_id: str | None = Field(default=None, max_length=100)
    customer: CustomerCreate
    shipping_address: AddressCreate
    lines: list[LineCreate]
    currency: str = "EUR"
    note: str = Field(default="", max_length=500)
    ship_complete: bool = Field(default=False, description="ship in one parcel, or wait")
    signals: OrderSignals | None = None
    delivery: DeliveryChoiceCreate | None = None

    def to_draft(self) -> OrderDraft:
        """Return the pure draft the service validates."""
        return OrderDraft(
            email=self.customer.email,
            customer_name=self.customer.name,
            phone=self.customer.phone,
            address=AddressDraft(**self.shipping_address.model_dump()),
            lines=tuple(LineDraft(**line.model_dump()) for line in self.lines),
            channel=self.channel,
            external_id=self.external_id,
            currency=self.currency,
            note=self.note,
            ship_complete=self.ship_complete,
            delivery=self.delivery.to_choice() if self.delivery is not None else HOME,
            signals=(
                {k: v for k, v in self.signals.model_dump().items() if v is not None}
                if self.signals
                else {}
            ),
        )


class LineRead(BaseModel):
    """An order line as returned."""

    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price_cents: int


class EventRead(BaseModel):
    """One timeline entry."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    note: str


class ParcelRead(BaseModel):
    """A parcel of the order's shipment."""

    sscc: str | None
    tracking_number: str | None
    weight_g: int
    status: str


class RelayPointRead(BaseModel):
    """The relay point the parcel goes to, as the customer chose it."""

    carrier: str
    id: str
    name: str
    address: str
    postcode: str
    city: str
    country: str
    opening_hours: str


class SlotChoiceRead(BaseModel):
    """The delivery slot chosen and its window."""

    id: int
    start: AwareDatetime | None
    end: AwareDatetime | None


class DeliveryChoiceRead(BaseModel):
    """How the customer asked to be delivered, and what checkout promised."""

    method: str
    carrier: str | None
    service: str | None
    relay_point: RelayPointRead | None
    store: str | None
    slot: SlotChoiceRead | None
    promised_on: date | None
    price_cents: int | None

    @classmethod
    def of(cls, choice: DeliveryChoice) -> DeliveryChoiceRead:
        """Return the response model of ``choice``."""
        relay = choice.relay_point
        return cls(
            method=choice.method.value,
            carrier=choice.carrier,
            service=choice.service,
            relay_point=(
                RelayPointRead(
                    carrier=relay.carrier,
                    id=relay.point_id,
                    name=relay.name,
                    address=relay.address,
                    postcode=relay.postcode,
                    city=relay.city,
                    country=relay.country,
                    opening_hours=relay.opening_hours,
                )
                if relay is not None
                else None
            ),
            store=choice.store,
            slot=(
                SlotChoiceRead(id=choice.slot.slot_id, start=choice.slot.start, end=choice.slot.end)
                if choice.slot is not None
                else None
            ),
            promised_on=choice.promised_on,
            price_cents=choice.price_cents,
        )


class OrderRead(BaseModel):
    """An order as returned."""

    number: str
    channel: str
    external_id: str | None
    status: str
    customer_email: str
    customer_name: str
    shipping_address: ShippingAddressRead
    currency: str
    total_cents: int
    created_at: datetime
    promised_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    lines: list[LineRead]
    delivery: DeliveryChoiceRead | None = None
    timeline: list[EventRead] = []
    parcels: list[ParcelRead] = []


class OrderSummary(BaseModel):
    """An order in a list."""

    number: str
    channel: str
    status: str
    customer_email: str
    ship_city: str
    ship_postcode: str
    total_cents: int
    created_at: datetime


class CancellationCreate(StrictModel):
    """Why the order is cancelled."""

    reason: str = Field(min_length=1, max_length=200)


class AllocationRead(BaseModel):
    """What allocation achieved."""

    order: str
    allocated: bool
    status: str
    short: list[dict[str, int | str]]


class CustomerRead(BaseModel):
    """A customer as returned."""

    model_config = ConfigDict(from_attributes=True)

    email: str
    name: str
    phone: str
    created_at: datetime


class AddressRead(BaseModel):
    """A saved delivery address."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    line1: str
    line2: str
    postcode: str
    city: str
    country: str
    lat: float | None
    lon: float | None
    last_used_at: datetime


class ImportErrorRead(BaseModel):
    """A CSV row that was not imported."""

    row: int
    field: str
    message: str


class ImportReportRead(BaseModel):
    """What a CSV import did."""

    created: list[str]
    replayed: list[str]
    errors: list[ImportErrorRead]


class HoldLineCreate(StrictModel):
    """Units of one SKU to hold."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(le=1_000_000)


class HoldCreate(StrictModel):
    """A cart to hold while the customer pays."""

    lines: list[HoldLineCreate]
    ttl_seconds: int = Field(default=900, le=86_400)
    reference: str = Field(default="", max_length=100, description="your cart or session id")


class HoldRead(BaseModel):
    """A hold: its token, status, expiry and the units held."""

    token: str
    status: str
    expires_at: datetime
    order: str | None
    lines: list[dict[str, int | str]]
