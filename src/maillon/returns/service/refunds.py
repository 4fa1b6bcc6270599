"""Settling an inspected RMA by refund, store credit or exchange, as the policy computes it and
never past what was paid minus what was already given back on the order."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import ErrorCollector
from maillon.orders.service import timeline
from maillon.orders.tables import Order
from maillon.returns import policy
from maillon.returns.model import ReturnStatus, ensure_transition
from maillon.returns.service.eligibility import policy_lines
from maillon.returns.service.rmas import locked, move, order_of
from maillon.returns.service.settings import load_settings, policy_with
from maillon.returns.tables import ReturnLine, ReturnRequest, ReturnSettlement


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


def _check_terms(method: str, return_label_cents: int, deduction_cents: int) -> None:
    """Raise ValidationError naming an unknown method or a negative amount."""
    errors = ErrorCollector()
    if method not in {m.value for m in policy.RefundMethod}:
        errors.add("method", "one of " + ", ".join(m.value for m in policy.RefundMethod))
    if return_label_cents < 0:
        errors.add("return_label_cents", "must not be negative")
    if deduction_cents < 0:
        errors.add("deduction_cents", "must not be negative")
    errors.raise_if_any()


def _policy_refund(
    session: Session,
    request: ReturnRequest,
    order: Order,
    method: str,
    return_label_cents: int,
) -> policy.RefundResult:
    """What the policy gives back for the units received, before any deduction."""
    settings = load_settings(session=session)
    returned = [
        (x.sku, x.received_quantity, x.reason_code) for x in request.lines if x.received_quantity
    ]
    pol = policy_with(settings, {x.reason_code for x in request.lines})
    goods_paid = sum(x.quantity * x.unit_price_cents for x in order.lines)
    result = policy.refund_amount(
        policy=pol,
        order_lines=policy_lines(session, order),
        returned=returned,
        shipping_paid_cents=max(0, order.total_cents - goods_paid),
        already_returned=_settled_units(session, order.id, request.id),
        already_refunded_cents=refunded_cents(session=session, order_id=order.id),
        method=method,
        return_label_cents=return_label_cents,
    )
    return result


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
    _check_terms(method, return_label_cents, deduction_cents)
    request = locked(session, return_id)
    ensure_transition(ReturnStatus(request.status), ReturnStatus.SETTLED)
    order = order_of(session=session, request=request)
    result = _policy_refund(session, request, order, method, return_label_cents)
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
    move(
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
    _tell_settled(session, order, request, row)
    return row


def _tell_settled(
    session: Session, order: Order, request: ReturnRequest, row: ReturnSettlement
) -> None:
    """Queue the customer's message: what they get back (refund, credit code, replacements)."""
    timeline.notify_customer(
        session=session,
        order=order,
        topic="return.settled",
        context={
            "rma": request.number,
            "method": row.method,
            "amount_cents": row.store_credit_cents
            if row.method == "store_credit"
            else row.refund_cents,
            "reference": row.reference,
            "replacement": [(sku, qty) for sku, qty in row.replacement_lines],
        },
        extra={"rma": request.number, "method": row.method},
    )
