"""Expiring the RMAs whose parcel never came (see :mod:`maillon.returns.expiry` for when).

:func:`expire_returns` is the one place this happens (the worker, ``maillon returns expire``
by hand). Each expired RMA is locked and checked again, then cancelled through
:func:`~maillon.returns.service.rmas.move` (the chain records why, the domain event
``return.cancelled`` goes out) and its customer told once, in their language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import FieldError, ValidationError
from maillon.orders.service import timeline
from maillon.returns import expiry
from maillon.returns.config import ReturnSettings
from maillon.returns.model import ReturnStatus
from maillon.returns.service.eligibility import policy_lines, product_categories
from maillon.returns.service.rmas import locked, move, order_of
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnEvent, ReturnRequest

__all__ = ["ExpiredReturn", "expire_returns"]

ACTOR = "returns-expiry"


@dataclass(frozen=True)
class ExpiredReturn:
    """An RMA cancelled because its parcel did not arrive by ``deadline`` (a local day)."""

    return_id: int
    rma: str
    was: str
    deadline: date


def _labels_issued(session: Session, ids: list[int]) -> dict[int, datetime]:
    """When each RMA's label was last issued, from the chain."""
    if not ids:
        return {}
    rows = session.execute(
        select(ReturnEvent.return_id, func.max(ReturnEvent.created_at))
        .where(
            ReturnEvent.event_type == f"return.{ReturnStatus.LABEL_ISSUED.value}",
            ReturnEvent.return_id.in_(ids),
        )
        .group_by(ReturnEvent.return_id)
    ).all()
    return {int(rid): clock.as_utc(at) for rid, at in rows if rid is not None}


def _window_ends(session: Session, request: ReturnRequest, settings: ReturnSettings) -> date | None:
    order = order_of(session=session, request=request)
    sold = policy_lines(session, order)
    delivered = sold[0].delivered_at if sold else None
    categories = product_categories(session, order)
    product_of = {line.id: line.product_id for line in order.lines}
    return expiry.window_last_day(
        settings.policy,
        delivered,
        (
            (categories.get(product_of.get(x.order_line_id, 0), ""), x.reason_code)
            for x in request.lines
        ),
    )


def _deadline(
    session: Session, request: ReturnRequest, settings: ReturnSettings, labelled: datetime | None
) -> date | None:
    status = ReturnStatus(request.status)
    started = clock.as_utc(request.created_at)
    if status is ReturnStatus.LABEL_ISSUED and labelled is not None:
        started = labelled
    elif status is not ReturnStatus.REQUESTED and request.decided_at is not None:
        started = clock.as_utc(request.decided_at)
    window = _window_ends(session, request, settings) if status is ReturnStatus.REQUESTED else None
    return expiry.deadline(
        status=status,
        started_at=started,
        return_by_days=settings.return_by_days,
        policy=settings.policy,
        window_ends=window,
    )


def _expire(session: Session, return_id: int, was: str, last: date, actor: str) -> bool:
    """Cancel the RMA if it still waits as ``was`` (locked, so two runs cancel it once)."""
    request = locked(session, return_id)
    if request.status != was or request.received_at is not None:
        return False
    note = f"expired: the parcel did not arrive by {last.isoformat()}"
    move(
        session,
        request,
        ReturnStatus.CANCELLED,
        actor,
        {"note": note, "expired": True, "deadline": last.isoformat()},
    )
    request.closed_at = clock.now()
    request.note = note
    timeline.notify_customer(
        session=session,
        order=order_of(session=session, request=request),
        topic="return.expired",
        context={"rma": request.number, "deadline": last, "label": bool(request.label_tracking)},
        extra={"rma": request.number},
    )
    return True


def expire_returns(
    *, session: Session, actor: str = ACTOR, limit: int = 500
) -> list[ExpiredReturn]:
    """Cancel the RMAs still waiting for their parcel past their deadline (at most ``limit``),
    oldest first, telling each customer; return them.

    A second run finds nothing; RMAs whose parcel arrived, and those rejected, cancelled or
    further on, are left alone. Raises ValidationError (``limit`` below 1).
    """
    if limit < 1:
        raise ValidationError(FieldError("limit", "must be at least 1"))
    settings = load_settings(session=session)
    if settings.return_by_days == 0:
        return []
    today = settings.policy.local_date(clock.now())
    waiting = session.scalars(
        select(ReturnRequest)
        .where(
            ReturnRequest.status.in_([s.value for s in expiry.EXPIRING]),
            ReturnRequest.received_at.is_(None),
        )
        .order_by(ReturnRequest.id)
    ).all()
    labels = _labels_issued(
        session, [r.id for r in waiting if r.status == ReturnStatus.LABEL_ISSUED]
    )
    expired: list[ExpiredReturn] = []
    for request in waiting:
        if len(expired) >= limit:
            break
        last = _deadline(session, request, settings, labels.get(request.id))
        if last is None or today <= last:
            continue
        was = request.status
        if _expire(session, request.id, was, last, actor):
            expired.append(ExpiredReturn(request.id, request.number, was, last))
    return expired
