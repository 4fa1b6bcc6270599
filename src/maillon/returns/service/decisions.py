"""Deciding on an RMA: approval (with its label), return labels, refusal, cancellation and
closing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    MaillonError,
    ValidationError,
)
from maillon.orders.service import timeline
from maillon.orders.tables import Order
from maillon.returns import policy
from maillon.returns.model import LabelStatus, ReturnStatus, ensure_transition
from maillon.returns.service import labels
from maillon.returns.service.rmas import locked, move, order_of
from maillon.returns.tables import ReturnRequest
from maillon.shipping.carriers import CarrierUnavailable


def approve(*, session: Session, return_id: int, actor: str, note: str = "") -> ReturnRequest:
    """Approve a requested return and issue its prepaid label when the merchant pays the
    return shipping or the customer asked for one (``label_status`` pending); a label the
    carrier cannot issue now stays pending (see :func:`labels.try_issue`).

    Raises NotFound, InvalidTransition unless requested.
    """
    return approve_with_label(session=session, return_id=return_id, actor=actor, note=note)[0]


def approve_with_label(
    *, session: Session, return_id: int, actor: str, note: str = ""
) -> tuple[ReturnRequest, labels.LabelOutcome]:
    """:func:`approve`, also returning what became of the label (issued, or why not)."""
    request = locked(session, return_id)
    asked = request.label_status == LabelStatus.PENDING.value
    move(session, request, ReturnStatus.APPROVED, actor, {"note": note[:500]})
    request.decided_at = clock.now()
    request.note = note[:500]
    order = order_of(session=session, request=request)
    merchant_pays = request.return_shipping_paid_by == policy.Payer.MERCHANT.value
    outcome = labels.LabelOutcome(None, None)
    if merchant_pays or asked:
        outcome = labels.try_issue(session=session, request=request, order=order, actor=actor)
    if outcome.issued:
        _label(session, request, outcome.carrier or "", outcome.tracking_number or "", actor)
        label = "issued"
    else:
        request.label_status = LabelStatus.PENDING.value
        label = "follows" if merchant_pays or asked else "own"
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
            "token": outcome.token,
        },
        extra={"rma": request.number},
    )
    return request, outcome


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
    """Issue the return label of an approved return: through the carrier (the merchant's
    return carrier, else the order's) when neither ``carrier`` nor ``tracking_number`` is
    given, else record a label bought elsewhere.

    Raises NotFound, InvalidTransition unless approved, ValidationError (a half-given label,
    an address the carrier refuses), Unsupported (a Conflict: the carrier offers no return
    labels), Conflict (the carrier is unavailable now: try again later).
    """
    request = locked(session, return_id)
    errors = ErrorCollector()
    if bool(carrier) != bool(tracking_number):
        errors.add("carrier" if not carrier else "tracking_number", "give both carrier and number")
    errors.raise_if_any()
    ensure_transition(ReturnStatus(request.status), ReturnStatus.LABEL_ISSUED)
    order = order_of(session=session, request=request)
    token = ""
    if not carrier:
        try:
            outcome = labels.issue(session=session, request=request, order=order, actor=actor)
        except CarrierUnavailable as exc:
            raise Conflict(f"{exc}: nothing was issued, try again in a few minutes") from exc
        carrier, tracking_number, token = outcome.carrier, outcome.tracking_number, outcome.token
    _label(session, request, carrier or "", tracking_number or "", actor)
    _tell_label(session, order, request, carrier or "", tracking_number or "", token)
    return request


def _tell_label(
    session: Session,
    order: Order,
    request: ReturnRequest,
    carrier: str,
    tracking_number: str,
    token: str,
) -> None:
    timeline.notify_customer(
        session=session,
        order=order,
        topic="return.label",
        context={
            "rma": request.number,
            "carrier": carrier,
            "tracking_number": tracking_number,
            "token": token,
        },
        extra={"rma": request.number, "tracking_number": tracking_number},
    )


def issue_pending_label(
    *, session: Session, return_id: int, actor: str, lenient: bool = False
) -> tuple[ReturnRequest, labels.LabelOutcome]:
    """Issue the prepaid label of an approved return whose label is pending (the customer's
    "get my label", and the job that retries an unavailable carrier); a return that has its
    label, or is no longer approved, is left as it is (run twice, no second label).

    With ``lenient`` what the carrier cannot do comes back in the outcome (and an
    unavailable carrier records the retry job); without, it is raised. Raises NotFound.
    """
    request = locked(session, return_id)
    kept = labels.label_of(session, request)
    if request.status != ReturnStatus.APPROVED.value or kept is not None:
        if kept is not None:
            return request, labels.LabelOutcome(kept.carrier, kept.tracking_number, kept.token)
        return request, labels.LabelOutcome(None, None, problem=f"the return is {request.status}")
    order = order_of(session=session, request=request)
    use = labels.try_issue if lenient else labels.issue
    outcome = use(session=session, request=request, order=order, actor=actor)
    if outcome.issued:
        carrier, tracking = outcome.carrier or "", outcome.tracking_number or ""
        _label(session, request, carrier, tracking, actor)
        _tell_label(session, order, request, carrier, tracking, outcome.token)
    return request, outcome


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


def issue_label_job(db: Database, *, return_id: int) -> dict[str, Any]:
    """The job ``returns.issue_label``: issue a pending label the carrier could not issue
    earlier. An unavailable carrier raises (the job is retried after its backoff); what it
    can never do ends the job with the reason. Run twice, it issues one label."""
    try:
        with db.transaction() as session:
            request, outcome = issue_pending_label(
                session=session, return_id=return_id, actor="system:return-label"
            )
            return {
                "rma": request.number,
                "tracking_number": outcome.tracking_number,
                "problem": outcome.problem,
            }
    except CarrierUnavailable:
        raise
    except MaillonError as exc:
        return {"return_id": return_id, "problem": exc.message}
