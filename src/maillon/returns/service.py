"""Return use cases: RMAs from the portal or an agent, approval, labels, receipt, inspection,
disposition, settlement and the merchant's return settings.

Every change writes an entry to the tamper-evident record (:mod:`maillon.returns.record`) in
the same transaction, and tells the customer through the outbox. Units come back into stock
only through ledger movements (:func:`maillon.inventory.service.receive` with kind
``return``): restocked units into a sellable pick location, units to refurbish or to return to
their vendor into non-sellable locations; scrapped units never enter stock.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.core.money import format_cents
from maillon.inventory import service as inventory
from maillon.inventory.model import MovementKind
from maillon.inventory.tables import Location, StockLevel, Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus, parse_order_number
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.returns import labels, policy, record
from maillon.returns.config import (
    DEFAULT_SETTINGS,
    OTHER_REASON,
    ReturnSettings,
    settings_from_dict,
    settings_to_dict,
)
from maillon.returns.model import ReturnStatus, ensure_transition
from maillon.returns.tables import (
    ReturnLine,
    ReturnRequest,
    ReturnSettingsRow,
    ReturnSettlement,
    ReturnUnit,
)

CLOSED_OUT = (ReturnStatus.REJECTED.value, ReturnStatus.CANCELLED.value)
ARRIVED = (
    ReturnStatus.RECEIVED.value,
    ReturnStatus.INSPECTED.value,
    ReturnStatus.SETTLED.value,
    ReturnStatus.CLOSED.value,
)
SELLABLE = "pick"


# --- settings -----------------------------------------------------------------------------------


def load_settings(*, session: Session) -> ReturnSettings:
    """Return the merchant's stored return settings, or the defaults."""
    row = session.get(ReturnSettingsRow, 1)
    return settings_from_dict(row.document) if row is not None else DEFAULT_SETTINGS


def save_settings(*, session: Session, document: dict[str, Any], actor: str) -> ReturnSettings:
    """Validate and store the merchant's return settings; record the change in the chain.

    Raises ValidationError naming every bad field.
    """
    settings = settings_from_dict(document)
    stored = settings_to_dict(settings)
    row = session.get(ReturnSettingsRow, 1)
    if row is None:
        row = ReturnSettingsRow(id=1, document=stored, updated_by=actor, updated_at=clock.now())
        session.add(row)
    else:
        row.document = stored
        row.updated_by = actor
        row.updated_at = clock.now()
    record.append_event(session, event_type="settings.updated", actor=actor, data=stored)
    return settings


def _policy_with(settings: ReturnSettings, codes: set[str]) -> policy.ReturnPolicy:
    """The policy, knowing ``codes`` stored on older lines even if the merchant dropped them."""
    missing = codes - set(settings.policy.reasons)
    if not missing:
        return settings.policy
    extra = {c: replace(OTHER_REASON, code=c, label=c) for c in missing}
    return replace(settings.policy, reasons={**settings.policy.reasons, **extra})


# --- reading ------------------------------------------------------------------------------------


def get_return(*, session: Session, return_id: int) -> ReturnRequest:
    """Return one RMA. Raises NotFound."""
    request = session.get(ReturnRequest, return_id)
    if request is None:
        raise NotFound("return", return_id, field="return_id")
    return request


def _locked(session: Session, return_id: int) -> ReturnRequest:
    request = session.scalar(
        select(ReturnRequest)
        .where(ReturnRequest.id == return_id)
        .with_for_update(of=ReturnRequest)
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound("return", return_id, field="return_id")
    return request


def list_returns(
    *,
    session: Session,
    limit: int = 50,
    offset: int = 0,
    status: str | None = None,
    order: str | None = None,
    sku: str | None = None,
) -> Sequence[ReturnRequest]:
    """Return one page of returns, newest first (filtered by status, order number, SKU)."""
    return session.scalars(
        _filtered(select(ReturnRequest), status, order, sku)
        .order_by(ReturnRequest.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def count_returns(
    *, session: Session, status: str | None = None, order: str | None = None, sku: str | None = None
) -> int:
    """Return how many returns match the filters of :func:`list_returns`."""
    query = _filtered(select(ReturnRequest.id), status, order, sku)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _filtered(query: Any, status: str | None, order: str | None, sku: str | None) -> Any:
    if status:
        if status not in {s.value for s in ReturnStatus}:
            raise ValidationError(
                FieldError("status", "one of " + ", ".join(s.value for s in ReturnStatus))
            )
        query = query.where(ReturnRequest.status == status)
    if order:
        order_id = parse_order_number(order)
        if order_id is None:
            raise ValidationError(FieldError("order", "an order number such as M0000042"))
        query = query.where(ReturnRequest.order_id == order_id)
    if sku:
        query = query.where(
            ReturnRequest.id.in_(select(ReturnLine.return_id).where(ReturnLine.sku == sku))
        )
    return query


def order_of(*, session: Session, request: ReturnRequest) -> Order:
    """Return the order an RMA belongs to."""
    order = session.get(Order, request.order_id)
    assert order is not None
    return order


# --- eligibility --------------------------------------------------------------------------------


def _categories(session: Session, order: Order) -> dict[int, str]:
    ids = {line.product_id for line in order.lines}
    return dict(
        session.execute(select(Product.id, Product.category).where(Product.id.in_(ids))).all()
    )


def _policy_lines(session: Session, order: Order) -> list[policy.OrderLine]:
    categories = _categories(session, order)
    delivered = order.status == OrderStatus.DELIVERED.value
    when = clock.as_utc(order.delivered_at) if delivered and order.delivered_at else None
    if delivered and when is None:
        when = clock.as_utc(order.updated_at)
    return [
        policy.OrderLine(
            sku=line.sku,
            category=categories.get(line.product_id, ""),
            quantity=line.quantity if when else 0,
            unit_price_cents=line.unit_price_cents,
            delivered_at=when,
        )
        for line in order.lines
    ]


def _returned_by_line(session: Session, order_id: int) -> dict[int, int]:
    """Units of each order line already in a live return (arrived units once received)."""
    rows = session.execute(
        select(
            ReturnLine.order_line_id,
            ReturnLine.quantity,
            ReturnLine.received_quantity,
            ReturnRequest.status,
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order_id, ReturnRequest.status.not_in(CLOSED_OUT))
    ).all()
    out: dict[int, int] = {}
    for line_id, quantity, received, status in rows:
        out[line_id] = out.get(line_id, 0) + (received if status in ARRIVED else quantity)
    return out


def _returned_by_sku(order: Order, by_line: dict[int, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in order.lines:
        out[line.sku] = out.get(line.sku, 0) + by_line.get(line.id, 0)
    return out


def check_eligibility(
    *,
    session: Session,
    order: Order,
    requested: Sequence[policy.RequestedLine],
    settings: ReturnSettings | None = None,
) -> policy.EligibilityResult:
    """Return the policy's verdict on each requested line of ``order`` (see
    :func:`maillon.returns.policy.check_eligibility`). Raises ValidationError for malformed
    lines (unknown reason code, quantity below 1)."""
    settings = settings or load_settings(session=session)
    by_line = _returned_by_line(session, order.id)
    return policy.check_eligibility(
        policy=settings.policy,
        order_lines=_policy_lines(session, order),
        requested=requested,
        now=clock.now(),
        already_returned=_returned_by_sku(order, by_line),
    )


_REFUSAL_FIELD = {
    policy.Verdict.NOT_IN_ORDER: "sku",
    policy.Verdict.NOT_DELIVERED: "sku",
    policy.Verdict.EXCEEDS_REMAINING: "quantity",
    policy.Verdict.NOT_RETURNABLE: "reason",
    policy.Verdict.WINDOW_EXPIRED: "reason",
}


def _raise_refusals(result: policy.EligibilityResult, *, legacy: bool = False) -> None:
    errors = ErrorCollector()
    for verdict in result.rejected:
        message = verdict.message
        if legacy and verdict.verdict is policy.Verdict.EXCEEDS_REMAINING:
            message = f"must be between 1 and {verdict.remaining} ({message})"
        errors.add(f"lines.{verdict.index}.{_REFUSAL_FIELD[verdict.verdict]}", message)
    errors.raise_if_any()


# --- requesting ---------------------------------------------------------------------------------


def _new_lines(
    order: Order, by_line: dict[int, int], lines: Sequence[policy.RequestedLine]
) -> list[ReturnLine]:
    """Spread each requested SKU's units over its order lines, after units already returned."""
    taken = dict(by_line)
    out: list[ReturnLine] = []
    for i, req in enumerate(lines):
        left = req.quantity
        for line in order.lines:
            if line.sku != req.sku or left == 0:
                continue
            take = min(left, line.quantity - taken.get(line.id, 0))
            if take <= 0:
                continue
            taken[line.id] = taken.get(line.id, 0) + take
            left -= take
            out.append(
                ReturnLine(
                    order_line_id=line.id,
                    sku=line.sku,
                    quantity=take,
                    reason_code=req.reason,
                    unit_price_cents=line.unit_price_cents,
                    received_quantity=0,
                    disposition="",
                )
            )
        if left:
            raise ValidationError(
                FieldError(f"lines.{i}.quantity", f"only {req.quantity - left} unit(s) left")
            )
    return out


def _lines_data(request: ReturnRequest) -> list[dict[str, Any]]:
    return [
        {"line_id": x.id, "sku": x.sku, "quantity": x.quantity, "reason": x.reason_code}
        for x in request.lines
    ]


def _default_warehouse(session: Session, order: Order) -> str:
    code = session.scalar(
        select(Warehouse.code)
        .join(Allocation, Allocation.warehouse_id == Warehouse.id)
        .where(Allocation.order_id == order.id)
        .order_by(Allocation.id)
        .limit(1)
    )
    if code is None and order.warehouse_id is not None:
        code = session.scalar(select(Warehouse.code).where(Warehouse.id == order.warehouse_id))
    if code is None:
        code = session.scalar(select(Warehouse.code).order_by(Warehouse.priority, Warehouse.id))
    return code or ""


def _create(
    session: Session,
    *,
    order: Order,
    lines: Sequence[policy.RequestedLine],
    comment: str,
    actor: str,
    channel: str,
    paid_by: policy.Payer | None,
) -> ReturnRequest:
    by_line = _returned_by_line(session, order.id)
    new_lines = _new_lines(order, by_line, lines)
    request = ReturnRequest(
        order_id=order.id,
        status=ReturnStatus.REQUESTED.value,
        reason=comment[:200],
        channel=channel,
        created_by=actor[:120],
        return_shipping_paid_by=(paid_by or policy.Payer.MERCHANT).value,
        label_status="",
        label_carrier="",
        label_tracking="",
        warehouse_code=_default_warehouse(session, order),
        note="",
        created_at=clock.now(),
        lines=new_lines,
    )
    session.add(request)
    session.flush()
    record.append_event(
        session,
        event_type="return.requested",
        actor=actor,
        return_id=request.id,
        data={
            "rma": request.number,
            "order": order.number,
            "channel": channel,
            "comment": request.reason,
            "lines": _lines_data(request),
            "return_shipping_paid_by": request.return_shipping_paid_by,
        },
    )
    orders.add_note(
        session=session,
        number=order.number,
        actor=actor,
        note=f"return {request.number} requested: {request.reason}",
    )
    outbox.publish(
        session,
        "return.requested",
        {"return_id": request.id, "order_id": order.id, "email": order.customer.email},
    )
    units = ", ".join(f"{x.quantity} x {x.sku}" for x in request.lines)
    orders.notify_customer(
        session=session,
        order=order,
        topic="return.requested",
        subject=f"Your return {request.number} for order {order.number}",
        message=(
            f"We have recorded your return {request.number} ({units}).\n"
            "Please write the return number on the parcel. We will send the return "
            "instructions and label as soon as the return is approved."
        ),
        extra={"rma": request.number},
    )
    return request


def request_return(
    *,
    session: Session,
    number: str,
    lines: Sequence[tuple[str, int] | tuple[str, int, str]],
    reason: str,
    actor: str,
    enforce_policy: bool = False,
) -> ReturnRequest:
    """Open a return of a delivered order for an agent: ``lines`` of (SKU, quantity) or
    (SKU, quantity, reason code), ``reason`` the customer's words (also the code of lines
    without one when it is a known code, else ``other``).

    With ``enforce_policy`` the merchant's policy applies (window, non-returnable items);
    without, the agent makes an exception. Never more units than delivered minus already
    returned come back.
    Raises NotFound (order), Conflict unless delivered, ValidationError naming a bad line.
    """
    order = orders.get_order(session=session, number=number, field="order")
    if order.status != OrderStatus.DELIVERED.value:
        raise Conflict(f"order {order.number} is {order.status}; only delivered orders return")
    settings = load_settings(session=session)
    errors = ErrorCollector()
    text = (reason or "").strip()
    if not text:
        errors.add("reason", "is required")
    if len(text) > 200:
        errors.add("reason", "at most 200 characters")
    errors.raise_if_any()
    default_code = text if text in settings.policy.reasons else OTHER_REASON.code
    requested = [
        policy.RequestedLine(str(x[0]), x[1], str(x[2]) if len(x) > 2 else default_code)
        for x in lines
    ]
    pol = _policy_with(settings, {OTHER_REASON.code})
    by_line = _returned_by_line(session, order.id)
    result = policy.check_eligibility(
        policy=pol,
        order_lines=_policy_lines(session, order),
        requested=requested,
        now=clock.now(),
        already_returned=_returned_by_sku(order, by_line),
    )
    if not enforce_policy:
        result = policy.EligibilityResult(
            tuple(
                v
                for v in result.lines
                if v.verdict
                in (
                    policy.Verdict.NOT_IN_ORDER,
                    policy.Verdict.EXCEEDS_REMAINING,
                    policy.Verdict.NOT_DELIVERED,
                )
            )
        )
        _raise_refusals(result, legacy=True)
        payers = {pol.reasons[r.reason].return_shipping_paid_by for r in requested}
        paid_by = (
            policy.Payer.MERCHANT if policy.Payer.MERCHANT in payers else policy.Payer.CUSTOMER
        )
    else:
        _raise_refusals(result, legacy=True)
        paid_by = result.return_shipping_paid_by or policy.Payer.MERCHANT
    return _create(
        session,
        order=order,
        lines=requested,
        comment=text,
        actor=actor,
        channel="staff",
        paid_by=paid_by,
    )


# --- the public portal --------------------------------------------------------------------------


def _normalise_postcode(text: str) -> str:
    return "".join(text.split()).upper()


class NoMatchingOrder(NotFound):
    """No order matches this number and contact (an unknown order and a wrong contact alike)."""

    def __init__(self) -> None:
        super().__init__("order", "", field="order")
        self.message = "no order matches this number and e-mail or postal code"
        self.args = (self.message,)


def find_order_for_customer(*, session: Session, number: str, contact: str) -> Order:
    """Return the order whose number matches and whose customer e-mail or delivery postal code
    is ``contact``. Raises the same NotFound for an unknown order and a wrong contact, so the
    portal reveals nothing to someone who does not know both."""
    order_id = parse_order_number(number or "")
    order = session.get(Order, order_id) if order_id is not None else None
    given = (contact or "").strip()
    matches = False
    if order is not None and given:
        if "@" in given:
            matches = given.casefold() == order.customer.email.strip().casefold()
        else:
            matches = _normalise_postcode(given) == _normalise_postcode(order.ship_postcode)
    if not matches:
        raise NoMatchingOrder
    assert order is not None
    return order


@dataclass(frozen=True)
class PortalLine:
    """What the customer sees of one order line on the return portal."""

    sku: str
    name: str
    delivered: int
    already_returned: int
    remaining: int
    returnable: bool
    last_day: date | None
    defect_until: date | None
    message: str


@dataclass(frozen=True)
class PortalView:
    """The order as the return portal shows it: lines, and the reasons to choose from."""

    order: str
    delivered: bool
    lines: list[PortalLine]
    reasons: list[dict[str, str]]


def portal_view(*, session: Session, order: Order) -> PortalView:
    """Return what a customer who proved they own ``order`` may send back, line by line."""
    settings = load_settings(session=session)
    pol = settings.policy
    returned = _returned_by_sku(order, _returned_by_line(session, order.id))
    customer_reason = next((r for r in pol.reasons.values() if not r.merchant_fault), None)
    fault_reason = next((r for r in pol.reasons.values() if r.merchant_fault), None)
    today = pol.local_date(clock.now())
    lines: list[PortalLine] = []
    for pl, line in zip(_policy_lines(session, order), order.lines, strict=True):
        if any(x.sku == line.sku for x in lines):
            continue
        delivered = (
            sum(o.quantity for o in order.lines if o.sku == line.sku) if pl.delivered_at else 0
        )
        remaining = max(0, delivered - returned.get(line.sku, 0))
        last = defect = None
        returnable = False
        if pl.delivered_at is None:
            message = "not delivered yet"
        else:
            if fault_reason is not None:
                defect = pol.last_day(pl.delivered_at, pol.window_days(pl.category, fault_reason))
            if customer_reason is not None:
                last = pol.last_day(pl.delivered_at, pol.window_days(pl.category, customer_reason))
                returnable = (
                    pol.returnable(line.sku, pl.category, customer_reason) and today <= last
                )
            if remaining == 0:
                message = "already returned"
            elif returnable:
                message = f"returnable until {last.isoformat() if last else ''}"
            elif defect is not None and today <= defect:
                message = f"returnable only if defective or wrong, until {defect.isoformat()}"
            else:
                message = "the return window has ended"
        lines.append(
            PortalLine(
                line.sku,
                line.name,
                delivered,
                returned.get(line.sku, 0),
                remaining,
                returnable and remaining > 0,
                last,
                defect,
                message,
            )
        )
    reasons = [
        {"code": r.code, "label": r.label, "paid_by": r.return_shipping_paid_by.value}
        for r in pol.reasons.values()
    ]
    return PortalView(order.number, order.status == OrderStatus.DELIVERED.value, lines, reasons)


def portal_request(
    *,
    session: Session,
    number: str,
    contact: str,
    lines: Sequence[tuple[str, int, str]],
    comment: str = "",
) -> ReturnRequest:
    """Open a return from the public portal: the order must match ``contact`` (e-mail or postal
    code), and every line must be accepted by the merchant's policy. Approved at once when the
    settings say so (a label is then issued or recorded as pending).

    Raises NotFound (no such order for this contact), ValidationError naming each refused line
    (``lines.0.reason``: window over or not returnable for this reason, ``lines.1.quantity``:
    more than left...).
    """
    order = find_order_for_customer(session=session, number=number, contact=contact)
    settings = load_settings(session=session)
    if len(comment or "") > 200:
        raise ValidationError(FieldError("comment", "at most 200 characters"))
    requested = [policy.RequestedLine(*x) for x in lines]
    result = check_eligibility(session=session, order=order, requested=requested, settings=settings)
    _raise_refusals(result)
    text = (comment or "").strip() or ", ".join(
        sorted({settings.policy.reasons[r.reason].label for r in requested})
    )
    request = _create(
        session,
        order=order,
        lines=requested,
        comment=text,
        actor="customer",
        channel="portal",
        paid_by=result.return_shipping_paid_by,
    )
    if settings.auto_approve:
        approve(session=session, return_id=request.id, actor="system:auto-approve")
    return request


def customer_instructions(r: ReturnRequest) -> str:
    """Return what the customer does next."""
    if r.status == "requested":
        return (
            f"Your return {r.number} is recorded and awaits approval; we will e-mail you the "
            "instructions."
        )
    label_text = (
        f"Stick the label {r.label_carrier} {r.label_tracking} on the parcel."
        if r.label_status == "issued"
        else (
            "Your prepaid label will follow by e-mail."
            if r.return_shipping_paid_by == "merchant"
            else "Send the parcel with the carrier of your choice."
        )
    )
    return (
        f"Your return {r.number} is approved. Pack the items, write {r.number} on the parcel "
        f"and send it to our warehouse {r.warehouse_code}. {label_text}"
    )


# --- decisions and labels -----------------------------------------------------------------------


def _move(
    session: Session,
    request: ReturnRequest,
    target: ReturnStatus,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    current = ReturnStatus(request.status)
    ensure_transition(current, target)
    request.status = target.value
    record.append_event(
        session,
        event_type=f"return.{target.value}",
        actor=actor,
        return_id=request.id,
        data={"rma": request.number, "from": current.value, **(data or {})},
    )


def approve(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Approve a requested return and issue its label (or record it as pending).

    Raises NotFound, InvalidTransition unless requested.
    """
    request = _locked(session, return_id)
    _move(session, request, ReturnStatus.APPROVED, actor, {"note": note[:500]})
    request.decided_at = clock.now()
    request.note = note[:500]
    order = order_of(session=session, request=request)
    outcome = labels.issue(
        session=session, order=order, warehouse_code=request.warehouse_code, actor=actor
    )
    if outcome.issued:
        _label(session, request, outcome.carrier or "", outcome.tracking_number or "", actor)
        label_text = (
            f"Your return label: {outcome.carrier} {outcome.tracking_number}. "
            "Stick it on the parcel."
        )
    else:
        request.label_status = "pending"
        label_text = (
            "Your return label will follow in a separate message."
            if request.return_shipping_paid_by == policy.Payer.MERCHANT.value
            else "Please send the parcel with the carrier of your choice."
        )
    orders.notify_customer(
        session=session,
        order=order,
        topic="return.approved",
        subject=f"Return {request.number} approved",
        message=(
            f"Your return {request.number} is approved. Send the items to our warehouse "
            f"{request.warehouse_code} with the return number {request.number} on the "
            f"parcel. {label_text}"
        ),
        extra={"rma": request.number},
    )
    return request


def _label(
    session: Session, request: ReturnRequest, carrier: str, tracking: str, actor: str
) -> None:
    _move(
        session,
        request,
        ReturnStatus.LABEL_ISSUED,
        actor,
        {"carrier": carrier, "tracking_number": tracking},
    )
    request.label_status = "issued"
    request.label_carrier = carrier[:40]
    request.label_tracking = tracking[:64]


def record_label(
    *,
    session: Session,
    return_id: int,
    carrier: str | None,
    tracking_number: str | None,
    actor: str,
) -> ReturnRequest:
    """Issue the return label of an approved return: through the shipping package when neither
    ``carrier`` nor ``tracking_number`` is given, else record a label bought elsewhere.

    Raises NotFound, InvalidTransition unless approved, ValidationError (a half-given label),
    Conflict when no label service is available and none was given.
    """
    request = _locked(session, return_id)
    errors = ErrorCollector()
    if bool(carrier) != bool(tracking_number):
        errors.add("carrier" if not carrier else "tracking_number", "give both carrier and number")
    errors.raise_if_any()
    ensure_transition(ReturnStatus(request.status), ReturnStatus.LABEL_ISSUED)
    order = order_of(session=session, request=request)
    if not carrier:
        outcome = labels.issue(
            session=session, order=order, warehouse_code=request.warehouse_code, actor=actor
        )
        if not outcome.issued:
            raise Conflict(
                "no return label service is available yet: give carrier and tracking_number"
            )
        carrier, tracking_number = outcome.carrier, outcome.tracking_number
    _label(session, request, carrier or "", tracking_number or "", actor)
    orders.notify_customer(
        session=session,
        order=order,
        topic="return.label",
        subject=f"Return label for {request.number}",
        message=f"Your return label: {carrier} {tracking_number}.",
        extra={"rma": request.number, "tracking_number": tracking_number},
    )
    return request


def reject(*, session: Session, return_id: int, actor: str, note: str) -> ReturnRequest:
    """Refuse a requested return, saying why. Raises ValidationError (note), NotFound,
    InvalidTransition unless requested."""
    if not note or not note.strip():
        raise ValidationError(FieldError("note", "say why the return is refused"))
    request = _locked(session, return_id)
    _move(session, request, ReturnStatus.REJECTED, actor, {"note": note.strip()[:500]})
    request.decided_at = clock.now()
    request.note = note.strip()[:500]
    orders.notify_customer(
        session=session,
        order=order_of(session=session, request=request),
        topic="return.rejected",
        subject=f"Return {request.number} refused",
        message=f"We cannot accept your return {request.number}: {request.note}",
        extra={"rma": request.number},
    )
    return request


def cancel(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Cancel a return before its parcel arrives. Raises NotFound, InvalidTransition."""
    request = _locked(session, return_id)
    _move(session, request, ReturnStatus.CANCELLED, actor, {"note": note[:500]})
    request.closed_at = clock.now()
    if note:
        request.note = note[:500]
    return request


# --- warehouse: receipt, inspection, disposition ------------------------------------------------


def receive(
    *,
    session: Session,
    return_id: int,
    actor: str,
    warehouse: str | None = None,
    quantities: dict[int, int] | None = None,
) -> ReturnRequest:
    """Record the arrival of an approved return's parcel at ``warehouse`` (by default the one
    the order shipped from): ``quantities`` of units per return line id (all by default; fewer
    for a short parcel, 0 for a missing item). No stock moves until disposition.

    Raises NotFound, InvalidTransition unless approved or labelled, ValidationError naming a
    bad line (``lines.<line id>``) or an empty parcel.
    """
    request = _locked(session, return_id)
    ensure_transition(ReturnStatus(request.status), ReturnStatus.RECEIVED)
    errors = ErrorCollector()
    code = warehouse or request.warehouse_code
    if warehouse:
        inventory.get_warehouse(session=session, code=warehouse, field="warehouse")
    by_id = {line.id: line for line in request.lines}
    given = quantities or {}
    for line_id in given:
        if line_id not in by_id:
            errors.add(f"lines.{line_id}", f"not a line of return {request.number}")
    for line in request.lines:
        qty = given.get(line.id, line.quantity) if quantities is not None else line.quantity
        if not 0 <= qty <= line.quantity:
            errors.add(f"lines.{line.id}", f"between 0 and {line.quantity}")
    errors.raise_if_any()
    total = 0
    for line in request.lines:
        line.received_quantity = given.get(line.id, 0) if quantities is not None else line.quantity
        total += line.received_quantity
    if total == 0:
        raise ValidationError(FieldError("lines", "at least one unit must have arrived"))
    request.warehouse_code = code
    request.received_at = clock.now()
    _move(
        session,
        request,
        ReturnStatus.RECEIVED,
        actor,
        {
            "warehouse": code,
            "received": [{"line_id": x.id, "quantity": x.received_quantity} for x in request.lines],
        },
    )
    orders.notify_customer(
        session=session,
        order=order_of(session=session, request=request),
        topic="return.received",
        subject=f"We received your return {request.number}",
        message=f"Your return {request.number} arrived at our warehouse; we are checking it.",
        extra={"rma": request.number},
    )
    return request


@dataclass(frozen=True)
class Grading:
    """Units of a return line found in one condition at inspection."""

    line_id: int
    grade: str
    quantity: int
    note: str = ""


def inspect(
    *, session: Session, return_id: int, grades: Sequence[Grading], actor: str
) -> ReturnRequest:
    """Grade every received unit (A like new, B opened, C damaged, D unusable); the policy
    proposes a disposition for each group of units.

    Raises NotFound, InvalidTransition unless received, ValidationError naming a bad grade or
    a line whose graded units do not add up to the units received (``grades.<i>...`` or
    ``lines.<line id>``).
    """
    request = _locked(session, return_id)
    ensure_transition(ReturnStatus(request.status), ReturnStatus.INSPECTED)
    settings = load_settings(session=session)
    by_id = {line.id: line for line in request.lines}
    errors = ErrorCollector()
    totals: dict[int, int] = {}
    for i, g in enumerate(grades):
        if g.line_id not in by_id:
            errors.add(f"grades.{i}.line_id", f"not a line of return {request.number}")
        if g.grade not in {x.value for x in policy.Grade}:
            errors.add(f"grades.{i}.grade", "one of A, B, C, D")
        if g.quantity < 1:
            errors.add(f"grades.{i}.quantity", "at least 1")
        totals[g.line_id] = totals.get(g.line_id, 0) + g.quantity
    for line in request.lines:
        if totals.get(line.id, 0) != line.received_quantity:
            errors.add(
                f"lines.{line.id}",
                f"{line.received_quantity} unit(s) of {line.sku} received, "
                f"{totals.get(line.id, 0)} graded",
            )
    errors.raise_if_any()
    order = order_of(session=session, request=request)
    categories = _categories(session, order)
    product_of = {x.id: x.product_id for x in order.lines}
    now = clock.now()
    for g in grades:
        line = by_id[g.line_id]
        proposed = policy.disposition_for(
            grade=g.grade,
            category=categories.get(product_of.get(line.order_line_id, 0), ""),
            policy=settings.policy,
        )
        session.add(
            ReturnUnit(
                return_id=request.id,
                return_line_id=line.id,
                sku=line.sku,
                quantity=g.quantity,
                grade=g.grade,
                proposed=proposed.value,
                disposition="",
                warehouse_code="",
                location_code="",
                note=g.note[:200],
                inspected_by=actor[:120],
                inspected_at=now,
                disposed_by="",
            )
        )
    session.flush()
    session.refresh(request, ["units"])
    request.inspected_at = now
    _move(
        session,
        request,
        ReturnStatus.INSPECTED,
        actor,
        {
            "units": [
                {
                    "unit_id": u.id,
                    "line_id": u.return_line_id,
                    "grade": u.grade,
                    "quantity": u.quantity,
                    "proposed": u.proposed,
                }
                for u in request.units
            ]
        },
    )
    return request


@dataclass(frozen=True)
class DispositionChoice:
    """What to do with one group of inspected units (the proposal when ``disposition`` is
    None), and where restocked units go (their pick location by default)."""

    unit_id: int
    disposition: str | None = None
    location: str | None = None


def _pick_location(session: Session, request: ReturnRequest, line: ReturnLine) -> str | None:
    """Where a restocked unit goes: the location it was picked from in the return's warehouse,
    else a sellable location of that warehouse already holding the SKU."""
    code = session.scalar(
        select(Location.code)
        .select_from(Allocation)
        .join(StockLevel, StockLevel.id == Allocation.stock_level_id)
        .join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(
            Allocation.order_line_id == line.order_line_id,
            Warehouse.code == request.warehouse_code,
            Location.kind == SELLABLE,
        )
        .order_by(Allocation.id)
        .limit(1)
    )
    if code is not None:
        return code
    return session.scalar(
        select(Location.code)
        .select_from(StockLevel)
        .join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(OrderLine, OrderLine.product_id == StockLevel.product_id)
        .where(
            OrderLine.id == line.order_line_id,
            Warehouse.code == request.warehouse_code,
            Location.kind == SELLABLE,
        )
        .order_by(StockLevel.on_hand.desc(), Location.code)
        .limit(1)
    )


def _holding_location(
    session: Session, warehouse_code: str, code: str, kind: str, field: str
) -> None:
    """Make sure the non-sellable location ``code`` exists with ``kind``."""
    wh = inventory.get_warehouse(session=session, code=warehouse_code)
    loc = inventory.ensure_location(session=session, warehouse=wh, code=code, kind=kind)
    if loc.kind == SELLABLE:
        raise Conflict(f"location {code} of {warehouse_code} is sellable; set {field} to another")


def dispose(
    *,
    session: Session,
    return_id: int,
    actor: str,
    choices: Sequence[DispositionChoice] | None = None,
) -> ReturnRequest:
    """Carry out the disposition of inspected units: ``choices`` by unit id (every pending unit
    with its proposal when None).

    Restock: a ``return`` ledger movement into a sellable location (available again at once).
    Refurbish / return to vendor: a ``return`` movement into the settings' non-sellable
    location. Scrap: no stock; recorded only.

    Raises NotFound, Conflict unless inspected or settled, ValidationError naming a bad choice
    (``choices.<i>.unit_id`` unknown or already done, ``choices.<i>.disposition``,
    ``choices.<i>.location`` not sellable or unknown).
    """
    request = _locked(session, return_id)
    if request.status not in (ReturnStatus.INSPECTED.value, ReturnStatus.SETTLED.value):
        raise Conflict(f"return {request.number} is {request.status}; inspect it first")
    settings = load_settings(session=session)
    units = {u.id: u for u in request.units}
    pending = [u for u in request.units if not u.disposition]
    picked = [DispositionChoice(u.id) for u in pending] if choices is None else list(choices)
    errors = ErrorCollector()
    plan: list[tuple[ReturnUnit, policy.Disposition, str | None]] = []
    seen: set[int] = set()
    for i, choice in enumerate(picked):
        unit = units.get(choice.unit_id)
        if unit is None or unit.disposition or choice.unit_id in seen:
            errors.add(f"choices.{i}.unit_id", "not a pending unit of this return")
            continue
        seen.add(choice.unit_id)
        try:
            kind = policy.Disposition(choice.disposition or unit.proposed)
        except ValueError:
            errors.add(
                f"choices.{i}.disposition",
                "one of " + ", ".join(d.value for d in policy.Disposition),
            )
            continue
        if choice.location and kind is not policy.Disposition.RESTOCK:
            errors.add(f"choices.{i}.location", "only restocked units take a location")
        if choice.location:
            loc_kind = session.scalar(
                select(Location.kind)
                .join(Warehouse, Warehouse.id == Location.warehouse_id)
                .where(Warehouse.code == request.warehouse_code, Location.code == choice.location)
            )
            if loc_kind is not None and loc_kind != SELLABLE:
                errors.add(f"choices.{i}.location", f"{choice.location} is not a sellable location")
        plan.append((unit, kind, choice.location))
    if not picked:
        errors.add("choices", "no unit left to dispose of")
    errors.raise_if_any()
    lines = {x.id: x for x in request.lines}
    done: list[dict[str, Any]] = []
    now = clock.now()
    for i, (unit, kind, location) in enumerate(plan):
        line = lines[unit.return_line_id]
        where = ""
        if kind is policy.Disposition.RESTOCK:
            where = location or _pick_location(session, request, line) or ""
            if not where:
                raise ValidationError(
                    FieldError(
                        f"choices.{i}.location",
                        f"no pick location of {line.sku} known in {request.warehouse_code}",
                    )
                )
        elif kind is policy.Disposition.REFURBISH:
            where = settings.refurbish_location
            _holding_location(
                session, request.warehouse_code, where, "refurb", "refurbish_location"
            )
        elif kind is policy.Disposition.RETURN_TO_VENDOR:
            where = settings.vendor_location
            _holding_location(session, request.warehouse_code, where, "vendor", "vendor_location")
        if where:
            inventory.receive(
                session=session,
                warehouse_code=request.warehouse_code,
                location_code=where,
                sku=unit.sku,
                quantity=unit.quantity,
                reference=request.number,
                actor=actor,
                kind=MovementKind.RETURN,
            )
        unit.disposition = kind.value
        unit.warehouse_code = request.warehouse_code if where else ""
        unit.location_code = where
        unit.disposed_by = actor[:120]
        unit.disposed_at = now
        done.append(
            {
                "unit_id": unit.id,
                "sku": unit.sku,
                "quantity": unit.quantity,
                "grade": unit.grade,
                "disposition": kind.value,
                "warehouse": unit.warehouse_code,
                "location": where,
            }
        )
    for line in request.lines:
        kinds = {
            u.disposition for u in request.units if u.return_line_id == line.id and u.disposition
        }
        line.disposition = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "")
    record.append_event(
        session,
        event_type="return.disposed",
        actor=actor,
        return_id=request.id,
        data={"rma": request.number, "units": done},
    )
    return request


# --- settlement ---------------------------------------------------------------------------------


def _settled_units(session: Session, order_id: int, exclude: int) -> dict[str, int]:
    rows = session.execute(
        select(ReturnLine.sku, func.sum(ReturnLine.received_quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(
            ReturnRequest.order_id == order_id,
            ReturnRequest.id != exclude,
            ReturnRequest.settled_at.is_not(None),
        )
        .group_by(ReturnLine.sku)
    ).all()
    return {sku: int(n or 0) for sku, n in rows}


def refunded_cents(*, session: Session, order_id: int) -> int:
    """Return the value already given back on an order: money plus store credit (bonus
    excluded)."""
    total = session.scalar(
        select(
            func.coalesce(
                func.sum(
                    ReturnSettlement.refund_cents
                    + ReturnSettlement.store_credit_cents
                    - ReturnSettlement.bonus_cents
                ),
                0,
            )
        ).where(ReturnSettlement.order_id == order_id)
    )
    return int(total or 0)


def settle(
    *,
    session: Session,
    return_id: int,
    method: str,
    actor: str,
    reference: str = "",
    return_label_cents: int = 0,
    deduction_cents: int = 0,
    note: str = "",
) -> ReturnSettlement:
    """Settle an inspected return by refund, store credit or exchange of the received units.

    The amount follows the policy (unit prices paid, restocking fees of the reasons, original
    shipping when the whole order came back for a merchant fault, the return label when the
    customer pays it) minus ``deduction_cents`` (damage caused by the customer), and never
    exceeds what was paid minus what was already given back on the order.

    Raises NotFound, InvalidTransition unless inspected, ValidationError (method, amounts).
    """
    errors = ErrorCollector()
    if method not in {m.value for m in policy.RefundMethod}:
        errors.add("method", "one of " + ", ".join(m.value for m in policy.RefundMethod))
    if return_label_cents < 0:
        errors.add("return_label_cents", "must not be negative")
    if deduction_cents < 0:
        errors.add("deduction_cents", "must not be negative")
    errors.raise_if_any()
    request = _locked(session, return_id)
    ensure_transition(ReturnStatus(request.status), ReturnStatus.SETTLED)
    order = order_of(session=session, request=request)
    settings = load_settings(session=session)
    returned = [
        (x.sku, x.received_quantity, x.reason_code) for x in request.lines if x.received_quantity
    ]
    pol = _policy_with(settings, {x.reason_code for x in request.lines})
    goods_paid = sum(x.quantity * x.unit_price_cents for x in order.lines)
    result = policy.refund_amount(
        policy=pol,
        order_lines=_policy_lines(session, order),
        returned=returned,
        shipping_paid_cents=max(0, order.total_cents - goods_paid),
        already_returned=_settled_units(session, order.id, request.id),
        already_refunded_cents=refunded_cents(session=session, order_id=order.id),
        method=method,
        return_label_cents=return_label_cents,
    )
    refund = max(0, result.refund_cents - deduction_cents)
    credit = max(0, result.store_credit_cents - deduction_cents)
    bonus = min(result.bonus_cents, credit)
    if not reference:
        prefix = {"refund": "RF", "store_credit": "SC", "exchange": "EX"}[method]
        reference = f"{prefix}-{request.number}-{secrets.token_hex(3).upper()}"
    row = ReturnSettlement(
        return_id=request.id,
        order_id=order.id,
        method=method,
        goods_cents=result.goods_cents,
        restocking_fee_cents=result.restocking_fee_cents,
        shipping_refund_cents=result.shipping_refund_cents,
        return_label_cents=result.return_label_cents,
        deduction_cents=deduction_cents if method != "exchange" else 0,
        bonus_cents=bonus,
        refund_cents=refund,
        store_credit_cents=credit,
        replacement_lines=[[sku, qty] for sku, qty in result.replacement_lines],
        reference=reference[:100],
        note=note[:500],
        actor=actor[:120],
        created_at=clock.now(),
    )
    session.add(row)
    request.settled_at = clock.now()
    _move(
        session,
        request,
        ReturnStatus.SETTLED,
        actor,
        {
            "method": method,
            "refund_cents": refund,
            "store_credit_cents": credit,
            "bonus_cents": bonus,
            "restocking_fee_cents": result.restocking_fee_cents,
            "shipping_refund_cents": result.shipping_refund_cents,
            "return_label_cents": result.return_label_cents,
            "deduction_cents": row.deduction_cents,
            "replacement_lines": row.replacement_lines,
            "reference": row.reference,
            "capped": result.capped,
        },
    )
    if method == "refund":
        text = f"We are refunding {format_cents(refund, order.currency)} to your payment method."
    elif method == "store_credit":
        text = (
            f"Your store credit of {format_cents(credit, order.currency)} is ready: "
            f"use the code {row.reference}."
        )
    else:
        units = ", ".join(f"{q} x {s}" for s, q in result.replacement_lines)
        text = f"We are sending you replacement items: {units}."
    orders.notify_customer(
        session=session,
        order=order,
        topic="return.settled",
        subject=f"Return {request.number} settled",
        message=text,
        extra={"rma": request.number, "method": method},
    )
    return row


def close(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Close an inspected or settled return. Raises NotFound, InvalidTransition, Conflict while
    units await their disposition."""
    request = _locked(session, return_id)
    if any(not u.disposition for u in request.units):
        raise Conflict(f"return {request.number} has units awaiting disposition")
    _move(session, request, ReturnStatus.CLOSED, actor, {"note": note[:500]})
    request.closed_at = clock.now()
    if note:
        request.note = note[:500]
    return request


# --- the former one-step receipt ----------------------------------------------------------------


def receive_return(*, session: Session, return_id: int, restock: bool, actor: str) -> ReturnRequest:
    """Receive a whole return in one step: approve it if needed, take every unit in, and
    restock it where it was picked (grade A) or scrap it (grade D).

    Raises NotFound, Conflict if already received.
    """
    request = _locked(session, return_id)
    if request.status == ReturnStatus.REQUESTED.value:
        approve(session=session, return_id=return_id, actor=actor)
    elif request.status not in (ReturnStatus.APPROVED.value, ReturnStatus.LABEL_ISSUED.value):
        raise Conflict(f"return {return_id} is already {request.status}")
    receive(session=session, return_id=return_id, actor=actor)
    grade = "A" if restock else "D"
    inspect(
        session=session,
        return_id=return_id,
        grades=[Grading(x.id, grade, x.received_quantity) for x in request.lines],
        actor=actor,
    )
    kind = policy.Disposition.RESTOCK if restock else policy.Disposition.SCRAP
    return dispose(
        session=session,
        return_id=return_id,
        actor=actor,
        choices=[DispositionChoice(u.id, kind.value) for u in request.units],
    )
