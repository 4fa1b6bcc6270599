"""Deciding on an RMA: approval (with its label), return labels, refusal, cancellation and
closing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, FieldError, ValidationError
from maillon.orders.service import timeline
from maillon.returns import policy
from maillon.returns.model import LabelStatus, ReturnStatus, ensure_transition
from maillon.returns.service import labels
from maillon.returns.service.rmas import locked, move, order_of
from maillon.returns.tables import ReturnRequest


def approve(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Approve a requested return and issue its label (or record it as pending).

    Raises NotFound, InvalidTransition unless requested.
    """
    request = locked(session, return_id)
    move(session, request, ReturnStatus.APPROVED, actor, {"note": note[:500]})
    request.decided_at = clock.now()
    request.note = note[:500]
    order = order_of(session=session, request=request)
    outcome = labels.issue(
        session=session, order=order, warehouse_code=request.warehouse_code, actor=actor
    )
    if outcome.issued:
        _label(session, request, outcome.carrier or "", outcome.tracking_number or "", actor)
        label = "issued"
    else:
        request.label_status = LabelStatus.PENDING.value
        merchant_pays = request.return_shipping_paid_by == policy.Payer.MERCHANT.value
        label = "follows" if merchant_pays else "own"
    timeline.notify_customer(
        session=session,
        order=order,
        topic="return.approved",
        context={
            "rma": request.number,
            "warehouse": request.warehouse_code,
            "label": label,
            "carrier": outcome.carrier or "",
            "tracking_number": outcome.tracking_number or "",
        },
        extra={"rma": request.number},
    )
    return request


def _label(
    session: Session, request: ReturnRequest, carrier: str, tracking: str, actor: str
) -> None:
    move(
        session,
        request,
        ReturnStatus.LABEL_ISSUED,
        actor,
        {"carrier": carrier, "tracking_number": tracking},
    )
    request.label_status = LabelStatus.ISSUED.value
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
    request = locked(session, return_id)
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
    timeline.notify_customer(
        session=session,
        order=order,
        topic="return.label",
        context={"rma": request.number, "carrier": carrier, "tracking_number": tracking_number},
        extra={"rma": request.number, "tracking_number": tracking_number},
    )
    return request


def reject(*, session: Session, return_id: int, actor: str, note: str) -> ReturnRequest:
    """Refuse a requested return, saying why. Raises ValidationError (note), NotFound,
    InvalidTransition unless requested."""
    if not note or not note.strip():
        raise ValidationError(FieldError("note", "say why the return is refused"))
    request = locked(session, return_id)
    move(session, request, ReturnStatus.REJECTED, actor, {"note": note.strip()[:500]})
    request.decided_at = clock.now()
    request.note = note.strip()[:500]
    timeline.notify_customer(
        session=session,
        order=order_of(session=session, request=request),
        topic="return.rejected",
        context={"rma": request.number, "note": request.note},
        extra={"rma": request.number},
    )
    return request


def cancel(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Cancel a return before its parcel arrives. Raises NotFound, InvalidTransition."""
    request = locked(session, return_id)
    move(session, request, ReturnStatus.CANCELLED, actor, {"note": note[:500]})
    request.closed_at = clock.now()
    if note:
        request.note = note[:500]
    return request


def close(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Close an inspected or settled return. Raises NotFound, InvalidTransition, Conflict while
    units await their disposition."""
    request = locked(session, return_id)
    if any(not u.disposition for u in request.units):
        raise Conflict(f"return {request.number} has units awaiting disposition")
    move(session, request, ReturnStatus.CLOSED, actor, {"note": note[:500]})
    request.closed_at = clock.now()
    if note:
        request.note = note[:500]
    return request
