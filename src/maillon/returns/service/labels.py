"""Prepaid return labels: bought through the shipping package, kept with the RMA.

:func:`issue` asks :func:`maillon.shipping.service.return_labels.create_return_label` for the
label (the merchant's ``return_carrier`` setting, else the carrier the order shipped with),
keeps the PDF (and ZPL) in ``return_labels`` with the random token of the customer's download
link, and returns the carrier and tracking number. It is idempotent: a return that has its
label gets the same one back. :func:`try_issue` is the lenient form a customer's request
uses: a carrier without return labels, or an address it refuses, comes back as a
``problem`` (the label stays pending, an agent can record one bought elsewhere), and a
carrier unavailable now records the job ``returns.issue_label`` that tries again.
:func:`label_document` serves the PDF by its token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock, jobs
from maillon.core.errors import MaillonError, NotFound
from maillon.orders.tables import Order
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnLabel, ReturnRequest
from maillon.shipping.carriers import CarrierUnavailable
from maillon.shipping.service.return_labels import create_return_label

__all__ = ["ISSUE_JOB", "LabelOutcome", "issue", "label_document", "label_of", "try_issue"]

ISSUE_JOB = "returns.issue_label"
"""The job that issues a label when the carrier was unavailable (args: ``return_id``)."""


@dataclass(frozen=True)
class LabelOutcome:
    """A label issued (carrier, tracking number, download token), or why none was."""

    carrier: str | None
    tracking_number: str | None
    token: str = ""
    problem: str = ""
    retry: bool = False  # the carrier was unavailable: a job tries again

    @property
    def issued(self) -> bool:
        """Return whether a label was issued."""
        return bool(self.carrier and self.tracking_number)


def label_of(session: Session, request: ReturnRequest) -> ReturnLabel | None:
    """Return the label issued for ``request``, if any."""
    return session.get(ReturnLabel, request.id)


def issue(*, session: Session, request: ReturnRequest, order: Order, actor: str) -> LabelOutcome:
    """Issue (or return the already issued) prepaid label of ``request``.

    Raises Unsupported (the carrier offers no return labels), CarrierUnavailable, Conflict
    (no carrier to use), NotFound (``carrier``, ``warehouse``), ValidationError (an address
    the carrier refuses).
    """
    kept = label_of(session, request)
    if kept is None:
        settings = load_settings(session=session)
        label = create_return_label(
            session=session,
            order=order,
            warehouse_code=request.warehouse_code,
            serial=request.id,
            carrier_code=settings.return_carrier or None,
        )
        kept = ReturnLabel(
            return_id=request.id,
            carrier=label.carrier,
            tracking_number=label.tracking_number,
            sscc=label.sscc,
            content=label.label_pdf,
            zpl_content=label.label_zpl or None,
            token=secrets.token_urlsafe(32),
            created_by=actor[:120],
            created_at=clock.now(),
        )
        session.add(kept)
        session.flush()
    return LabelOutcome(kept.carrier, kept.tracking_number, kept.token)


def try_issue(
    *, session: Session, request: ReturnRequest, order: Order, actor: str
) -> LabelOutcome:
    """Like :func:`issue`, but what the carrier cannot do now comes back as a ``problem``;
    when it is unavailable, the job :data:`ISSUE_JOB` is recorded to try again."""
    try:
        return issue(session=session, request=request, order=order, actor=actor)
    except CarrierUnavailable as exc:
        jobs.submit(session, ISSUE_JOB, {"return_id": request.id}, requested_by=actor[:120])
        return LabelOutcome(None, None, problem=str(exc), retry=True)
    except MaillonError as exc:
        return LabelOutcome(None, None, problem=exc.message)


def label_document(*, session: Session, token: str) -> tuple[bytes, str]:
    """Return the PDF of the return label whose download token is ``token`` and its file
    name. Raises NotFound (the same for any unknown token)."""
    label = None
    if 20 <= len(token) <= 64:
        label = session.scalar(select(ReturnLabel).where(ReturnLabel.token == token))
    if label is None:
        raise NotFound("return label", "", field="token")
    request = session.get(ReturnRequest, label.return_id)
    assert request is not None
    return label.content, f"return-label-{request.number}.pdf"
