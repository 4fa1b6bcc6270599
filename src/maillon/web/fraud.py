"""Console page of fraud review: the review queue with scores and reasons, accept or reject,
the recent decisions and the score distribution of the last 30 days. The page calls
:mod:`maillon.fraud.service` and :mod:`maillon.fraud.queries`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.users import ConsoleUser
from maillon.fraud import queries
from maillon.fraud import service as fraud
from maillon.fraud.model import ReviewStatus
from maillon.orders.model import order_number
from maillon.web.console import (
    AdminForm,
    OperatorForm,
    OperatorPage,
    console_router,
    database,
    error_status,
    on_refusal,
    page_count,
    render,
)

router = console_router()

FRAUD_PAGE = 20
REVIEW_FILTERS = ("open", "approved", "rejected")
SCORE_BINS = 10


def _score_histogram(session: Session, since: datetime) -> dict[str, Any]:
    """Assessments since ``since`` per score decile and decision (one grouped query)."""
    counts = queries.score_counts(session=session, since=since, bins=SCORE_BINS)
    labels = [f"{i / SCORE_BINS:.1f}-{(i + 1) / SCORE_BINS:.1f}" for i in range(SCORE_BINS)]
    return {"x": labels, "counts": counts, "total": sum(sum(c) for c in counts.values())}


def _review_items(found: Any) -> list[dict[str, Any]]:
    """The queue's orders as the page lists them: order, customer, score and reasons."""
    return [
        {
            "number": item.order.number,
            "order_status": item.order.status,
            "created_at": item.order.created_at,
            "customer": item.order.customer.name,
            "email": item.order.customer.email,
            "total": item.order.total_cents,
            "currency": item.order.currency,
            "city": item.order.ship_city,
            "score": item.assessment.score,
            "decision": item.assessment.decision,
            "review_status": item.assessment.review_status,
            "reasons": list(item.assessment.reasons),
            "device": item.signals.device_id if item.signals is not None else None,
            "ip": item.signals.ip if item.signals is not None else None,
        }
        for item in found
    ]


def _fraud_page(
    request: Request,
    user: ConsoleUser,
    *,
    status: str,
    page: int,
    error: str | None = None,
    status_code: int = 200,
    listed: bool = True,
) -> Response:
    """The queue page; ``listed=False`` shows no queue (its filter was refused)."""
    context: dict[str, Any] = {
        "status": status,
        "filters": REVIEW_FILTERS,
        "page": page,
        "error": error,
    }
    with database(request).reader() as session:
        found, total = [], 0
        if listed:
            found, total = fraud.list_reviews(
                session=session,
                status=status,
                limit=FRAUD_PAGE,
                offset=(page - 1) * FRAUD_PAGE,
            )
        context["items"] = _review_items(found)
        context["total"] = total
        context["pages"] = page_count(total, FRAUD_PAGE)
        context["decisions"] = [
            {
                "number": order_number(r.order_id),
                "decision": r.decision,
                "analyst": r.analyst,
                "note": r.note,
                "at": r.decided_at,
                "order_status": status_,
            }
            for r, status_ in queries.latest_decisions(session=session, limit=10)
        ]
        context["chart"] = _score_histogram(session, clock.now() - timedelta(days=30))
        context["costs"] = fraud.get_config(session=session)[0].costs.to_dict()
    return render(request, "fraud.html", user, status_code=status_code, **context)


def _queue_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The page with the filter's refusal and no queue."""
    return _fraud_page(
        request,
        user,
        status=values.get("status", "open"),
        page=int(values.get("page", "1")),
        error=exc.message,
        status_code=error_status(exc),
        listed=False,
    )


@router.get("/fraud", response_class=HTMLResponse)
@on_refusal(_queue_refused)
def fraud_queue(
    request: Request,
    user: OperatorPage,
    status: Annotated[str, Query(max_length=10)] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The review queue (oldest first), recent decisions and the score distribution."""
    return _fraud_page(request, user, status=status, page=page)


def _costs_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The open queue with the refusal of the costs form."""
    return _fraud_page(
        request,
        user,
        status=ReviewStatus.OPEN.value,
        page=1,
        error=exc.message,
        status_code=error_status(exc),
    )


def _amount(name: str, text: str) -> float:
    """A cost typed in the form (comma or point). Raises ValidationError naming it."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValidationError(FieldError(f"costs.{name}", "must be a number")) from None
    return value


@router.post("/fraud/costs")
@on_refusal(_costs_refused)
def fraud_costs(
    request: Request,
    user: AdminForm,
    missed_fraud: Annotated[str, Form(max_length=20)] = "",
    review: Annotated[str, Form(max_length=20)] = "",
    refused_good: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Set the decision costs (admin): the model's review and reject thresholds follow."""
    costs = {
        "missed_fraud": _amount("missed_fraud", missed_fraud),
        "review": _amount("review", review),
        "refused_good": _amount("refused_good", refused_good),
    }
    with database(request).transaction() as session:
        fraud.set_costs(session=session, data=costs, actor=user.principal.actor)
    return RedirectResponse("/fraud", status_code=303)


def _decision_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The open queue with the refusal, naming the order."""
    return _fraud_page(
        request,
        user,
        status=ReviewStatus.OPEN.value,
        page=1,
        error=f"{values['number']}: {exc.message}",
        status_code=error_status(exc),
    )


@router.post("/fraud/{number}")
@on_refusal(_decision_refused)
def fraud_decide(
    request: Request,
    user: OperatorForm,
    number: Annotated[str, Path(max_length=20)],
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Accept (``approve``) or reject an order of the queue; reject cancels it."""
    with database(request).transaction() as session:
        fraud.decide(
            session=session,
            number=number,
            decision=decision,
            analyst=user.principal.actor,
            note=note,
        )
    return RedirectResponse("/fraud", status_code=303)
