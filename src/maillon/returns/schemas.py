"""Return request and response models: RMAs, the portal, warehouse steps, settlement, the
tamper-evident record and analytics."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel
from maillon.returns.policy import Disposition, Grade, RefundMethod


class ReturnLineCreate(StrictModel):
    """Units of one SKU coming back; ``reason`` is a reason code (defaults from the RMA's)."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    reason: str | None = Field(default=None, min_length=1, max_length=40)


class ReturnCreate(StrictModel):
    """An RMA opened by an agent: the customer's words, the lines, and whether the agent
    overrides the policy (window, non-returnable items)."""

    order: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=200)
    lines: list[ReturnLineCreate] = Field(min_length=1, max_length=100)
    override: bool = False


class Note(StrictModel):
    """An optional note for a decision."""

    note: str = Field(default="", max_length=500)


class RejectionCreate(StrictModel):
    """Why a return is refused."""

    note: str = Field(min_length=1, max_length=500)


class LabelCreate(StrictModel):
    """A label bought elsewhere; leave both empty to issue one through shipping."""

    carrier: str | None = Field(default=None, min_length=1, max_length=40)
    tracking_number: str | None = Field(default=None, min_length=1, max_length=64)


class ReceivedLine(StrictModel):
    """Units of a return line that arrived (0 for a missing item)."""

    line_id: int = Field(ge=1, le=2_147_483_647)
    quantity: int = Field(ge=0, le=1_000_000)


class ReceiptCreate(StrictModel):
    """Where the parcel arrived and, for a short parcel, what it held."""

    warehouse: str | None = Field(default=None, min_length=1, max_length=20)
    lines: list[ReceivedLine] | None = Field(default=None, max_length=100)


class GradeCreate(StrictModel):
    """Units of a return line found in one condition."""

    line_id: int = Field(ge=1, le=2_147_483_647)
    grade: Grade
    quantity: int = Field(ge=1, le=1_000_000)
    note: str = Field(default="", max_length=200)


class InspectionCreate(StrictModel):
    """Grades of every received unit."""

    grades: list[GradeCreate] = Field(min_length=1, max_length=400)


class ChoiceCreate(StrictModel):
    """What to do with one group of inspected units (the proposal when empty)."""

    unit_id: int = Field(ge=1, le=2_147_483_647)
    disposition: Disposition | None = None
    location: str | None = Field(default=None, min_length=1, max_length=40)


class DispositionCreate(StrictModel):
    """Dispositions by unit; every pending unit with its proposal when ``choices`` is empty."""

    choices: list[ChoiceCreate] | None = Field(default=None, max_length=400)


class SettlementCreate(StrictModel):
    """How the return is settled."""

    method: RefundMethod
    reference: str = Field(default="", max_length=100)
    return_label_cents: int = Field(default=0, ge=0, le=1_000_000_000)
    deduction_cents: int = Field(default=0, ge=0, le=1_000_000_000)
    note: str = Field(default="", max_length=500)


class PortalLookup(StrictModel):
    """The order number and the customer's e-mail or delivery postal code."""

    order: str = Field(min_length=1, max_length=20)
    contact: str = Field(min_length=1, max_length=320)


class PortalLineCreate(StrictModel):
    """Units of one SKU the customer sends back, and why (a reason code)."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    reason: str = Field(min_length=1, max_length=40)


class PortalCreate(StrictModel):
    """A customer's return request from the portal."""

    order: str = Field(min_length=1, max_length=20)
    contact: str = Field(min_length=1, max_length=320)
    lines: list[PortalLineCreate] = Field(min_length=1, max_length=100)
    comment: str = Field(default="", max_length=200)
    want_label: bool = Field(
        default=False,
        description="ask for a prepaid label even when the return shipping is on the customer "
        "(its cost is then deducted from the refund)",
    )


class PortalLabelCreate(StrictModel):
    """A customer's "get my prepaid label" on an approved return."""

    order: str = Field(min_length=1, max_length=20)
    contact: str = Field(min_length=1, max_length=320)
    rma: str = Field(min_length=1, max_length=20)


class ReturnLineRead(BaseModel):
    """A line of an RMA."""

    id: int
    sku: str
    quantity: int
    reason: str
    unit_price_cents: int
    received_quantity: int
    disposition: str


class UnitRead(BaseModel):
    """Inspected units: grade, proposed and final disposition, where they went."""

    id: int
    line_id: int
    sku: str
    quantity: int
    grade: str
    proposed: str
    disposition: str
    warehouse: str
    location: str
    note: str


class SettlementRead(BaseModel):
    """A refund, store credit or exchange record (cents)."""

    id: int
    method: str
    goods_cents: int
    restocking_fee_cents: int
    shipping_refund_cents: int
    return_label_cents: int
    deduction_cents: int
    bonus_cents: int
    refund_cents: int
    store_credit_cents: int
    replacement_lines: list[Any]
    reference: str
    note: str
    created_at: datetime


class EventRead(BaseModel):
    """One entry of the tamper-evident record."""

    seq: int
    type: str
    return_id: int | None
    actor: str
    created_at: datetime
    content: dict[str, Any]
    content_hash: str
    prev_hash: str
    entry_hash: str


class LabelRead(BaseModel):
    """The return label: pending, issued (carrier, tracking number) or none yet."""

    status: str
    carrier: str
    tracking_number: str


class ReturnRead(BaseModel):
    """An RMA as returned."""

    id: int
    number: str
    order: str
    status: str
    reason: str
    channel: str
    return_shipping_paid_by: str
    warehouse: str
    label: LabelRead
    note: str
    created_at: datetime
    decided_at: datetime | None
    received_at: datetime | None
    inspected_at: datetime | None
    settled_at: datetime | None
    closed_at: datetime | None
    lines: list[ReturnLineRead]
    units: list[UnitRead]
    settlements: list[SettlementRead]
    events: list[EventRead] | None = None


class PortalLineRead(BaseModel):
    """An order line as the customer sees it on the portal."""

    sku: str
    name: str
    delivered: int
    already_returned: int
    remaining: int
    returnable: bool
    last_day: date | None
    defect_until: date | None
    message: str


class PortalViewRead(BaseModel):
    """What the customer may send back, and the reasons to choose from."""

    order: str
    delivered: bool
    lines: list[PortalLineRead]
    reasons: list[dict[str, str]]


class PortalCreated(BaseModel):
    """The RMA number and what to do next."""

    rma: str
    status: str
    label: LabelRead
    instructions: str
    lines: list[dict[str, Any]]
    label_url: str | None = Field(
        default=None, description="where the customer downloads the prepaid label (PDF)"
    )
    label_problem: str = Field(
        default="", description="why no prepaid label was issued (the carrier offers none...)"
    )
    label_retry: bool = Field(
        default=False, description="the carrier was unavailable: the label follows by e-mail"
    )


class HeadRead(BaseModel):
    """The head of the chain, to anchor elsewhere."""

    chain: str
    algorithm: str
    entries: int
    head: str
    at: str


class VerifyRead(BaseModel):
    """The outcome of a chain verification."""

    ok: bool
    entries: int
    head: str
    head_seq: int
    bad_seq: int | None
    problem: str
    message: str


class RateRead(BaseModel):
    """Return rate of one SKU or category."""

    key: str
    delivered_units: int
    returned_units: int
    rate_pct: float
    reasons: dict[str, int]


class AnalyticsRead(BaseModel):
    """Return rates over a period."""

    by: str
    start: datetime
    end: datetime
    delivered_units: int
    returned_units: int
    rate_pct: float
    reasons: dict[str, int]
    rows: list[RateRead]


def parse_content(text: str) -> dict[str, Any]:
    """Return a stored entry's content as a dict (``{"raw": text}`` if it is not JSON)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"raw": text}
