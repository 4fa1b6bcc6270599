"""Opening an RMA for an agent (with or without the merchant's policy), and the creation every
channel shares: lines spread over the order's lines, the chain, the order note, the outbox
and the customer's message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock, outbox
from maillon.core.errors import Conflict, ErrorCollector, FieldError, ValidationError
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.orders.service import timeline
from maillon.orders.tables import Allocation, Order
from maillon.returns import policy
from maillon.returns.config import OTHER_REASON
from maillon.returns.model import ReturnStatus
from maillon.returns.service import record
from maillon.returns.service.eligibility import (
    policy_lines,
    raise_refusals,
    returned_by_line,
    returned_by_sku,
)
from maillon.returns.service.settings import load_settings, policy_with
from maillon.returns.tables import ReturnLine, ReturnRequest


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


def create_return(
    session: Session,
    *,
    order: Order,
    lines: Sequence[policy.RequestedLine],
    comment: str,
    actor: str,
    channel: str,
    paid_by: policy.Payer | None,
) -> ReturnRequest:
    by_line = returned_by_line(session, order.id)
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
        {
            "return_id": request.id,
            "rma": request.number,
            "order_id": order.id,
            "order": order.number,
            "email": order.customer.email,
        },
    )
    timeline.notify_customer(
        session=session,
        order=order,
        topic="return.requested",
        context={"rma": request.number, "units": [(x.quantity, x.sku) for x in request.lines]},
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
    pol = policy_with(settings, {OTHER_REASON.code})
    by_line = returned_by_line(session, order.id)
    result = policy.check_eligibility(
        policy=pol,
        order_lines=policy_lines(session, order),
        requested=requested,
        now=clock.now(),
        already_returned=returned_by_sku(order, by_line),
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
        raise_refusals(result, legacy=True)
        payers = {pol.reasons[r.reason].return_shipping_paid_by for r in requested}
        paid_by = (
            policy.Payer.MERCHANT if policy.Payer.MERCHANT in payers else policy.Payer.CUSTOMER
        )
    else:
        raise_refusals(result, legacy=True)
        paid_by = result.return_shipping_paid_by or policy.Payer.MERCHANT
    return create_return(
        session,
        order=order,
        lines=requested,
        comment=text,
        actor=actor,
        channel="staff",
        paid_by=paid_by,
    )
