"""The public return portal: finding the customer's order without revealing it, what may
come back line by line, the customer's request and their next steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.core.geo import compact_postcode
from maillon.orders.model import OrderStatus, parse_order_number
from maillon.orders.tables import Order
from maillon.returns import policy
from maillon.returns.model import LabelStatus, ReturnStatus, parse_rma_number
from maillon.returns.service.decisions import approve_with_label, issue_pending_label
from maillon.returns.service.eligibility import (
    check_eligibility,
    policy_lines,
    raise_refusals,
    returned_by_line,
    returned_by_sku,
)
from maillon.returns.service.requests import create_return
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnRequest


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
            matches = compact_postcode(given) == compact_postcode(order.ship_postcode)
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
    returned = returned_by_sku(order, returned_by_line(session, order.id))
    customer_reason = next((r for r in pol.reasons.values() if not r.merchant_fault), None)
    fault_reason = next((r for r in pol.reasons.values() if r.merchant_fault), None)
    today = pol.local_date(clock.now())
    lines: list[PortalLine] = []
    for pl, line in zip(policy_lines(session, order), order.lines, strict=True):
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


@dataclass(frozen=True)
class PortalReturn:
    """A return the portal opened or looked at, and what became of its prepaid label:
    ``label_problem`` says why none was issued (a carrier without return labels, or one
    unavailable now: ``label_retry``, a job tries again and the label comes by e-mail)."""

    request: ReturnRequest
    label_token: str = ""
    label_problem: str = ""
    label_retry: bool = False


def portal_request(
    *,
    session: Session,
    number: str,
    contact: str,
    lines: Sequence[tuple[str, int, str]],
    comment: str = "",
    want_label: bool = False,
) -> PortalReturn:
    """Open a return from the public portal: the order must match ``contact`` (e-mail or postal
    code), and every line must be accepted by the merchant's policy. Approved at once when the
    settings say so; the prepaid label is then issued when the merchant pays the return
    shipping or the customer asked for one (``want_label``), else recorded as pending.

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
    raise_refusals(result)
    text = (comment or "").strip() or ", ".join(
        sorted({settings.policy.reasons[r.reason].label for r in requested})
    )
    request = create_return(
        session,
        order=order,
        lines=requested,
        comment=text,
        actor="customer",
        channel="portal",
        paid_by=result.return_shipping_paid_by,
    )
    if want_label:
        request.label_status = LabelStatus.PENDING.value  # asked: issued once approved
    if not settings.auto_approve:
        return PortalReturn(request)
    request, outcome = approve_with_label(
        session=session, return_id=request.id, actor="system:auto-approve"
    )
    return PortalReturn(request, outcome.token, outcome.problem, outcome.retry)


def find_return_for_customer(
    *, session: Session, number: str, contact: str, rma: str
) -> ReturnRequest:
    """Return the RMA ``rma`` of the order ``number`` whose e-mail or postal code is
    ``contact``. Raises the same NotFound for any mismatch."""
    order = find_order_for_customer(session=session, number=number, contact=contact)
    return_id = parse_rma_number(rma or "")
    request = session.get(ReturnRequest, return_id) if return_id is not None else None
    if request is None or request.order_id != order.id:
        raise NoMatchingOrder
    return request


def portal_label(*, session: Session, number: str, contact: str, rma: str) -> PortalReturn:
    """The customer's "get my prepaid label" on an approved return whose label is pending: the
    label is issued (or the one issued returned); a carrier that cannot issue it now comes
    back as ``label_problem``. Raises NotFound (no such order, contact or RMA), Conflict
    when the return is not approved or its label was bought elsewhere."""
    request = find_return_for_customer(session=session, number=number, contact=contact, rma=rma)
    if request.status not in (ReturnStatus.APPROVED.value, ReturnStatus.LABEL_ISSUED.value):
        raise Conflict(f"return {request.number} is {request.status}: no label to print")
    request, outcome = issue_pending_label(
        session=session, return_id=request.id, actor="customer", lenient=True
    )
    if not outcome.issued and request.status != ReturnStatus.APPROVED.value:
        raise Conflict(f"the label of return {request.number} was not issued by us")
    return PortalReturn(request, outcome.token, outcome.problem, outcome.retry)


def customer_instructions(r: ReturnRequest, locale: str = "en") -> str:
    """Return what the customer does next, in French (``locale`` "fr") or English."""
    fr = locale == "fr"
    if r.status == ReturnStatus.REQUESTED:
        if fr:
            return (
                f"Votre retour {r.number} est enregistré et attend notre accord ; nous vous "
                "enverrons les instructions par e-mail."
            )
        return (
            f"Your return {r.number} is recorded and awaits approval; we will e-mail you the "
            "instructions."
        )
    if r.label_status == LabelStatus.ISSUED:
        label_text = (
            f"Collez l'étiquette {r.label_carrier} {r.label_tracking} sur le colis."
            if fr
            else f"Stick the label {r.label_carrier} {r.label_tracking} on the parcel."
        )
    elif r.return_shipping_paid_by == "merchant":
        label_text = (
            "Votre étiquette prépayée suit par e-mail."
            if fr
            else "Your prepaid label will follow by e-mail."
        )
    else:
        label_text = (
            "Envoyez le colis avec le transporteur de votre choix."
            if fr
            else "Send the parcel with the carrier of your choice."
        )
    if fr:
        return (
            f"Votre retour {r.number} est accepté. Emballez les articles, écrivez {r.number} sur "
            f"le colis et envoyez-le à notre entrepôt {r.warehouse_code}. {label_text}"
        )
    return (
        f"Your return {r.number} is approved. Pack the items, write {r.number} on the parcel "
        f"and send it to our warehouse {r.warehouse_code}. {label_text}"
    )
