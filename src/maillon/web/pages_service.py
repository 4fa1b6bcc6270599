"""Console pages for customer service and risk: the care inbox (tickets with SLA clocks, suggested
replies), the fraud review queue, the acquisition funnel.

* ``/care`` (agents and operators): the inbox, filtered and paged, each ticket with its two SLA
  clocks; ``/care/{id}``: one ticket with its links, history, suggested reply and reply
  templates filled for it, and the forms to reply, note, assign and change status/priority.
* ``/fraud`` (operators): the review queue with scores and reasons, accept / reject, the recent
  decisions and the score distribution of the last 30 days.
* ``/acquisition`` (operators): the conversion funnel over a period, overall or by device,
  channel or landing page, drawn with Plotly and tabled beneath.

Every page calls the services (:mod:`maillon.care.service`, :mod:`maillon.care.replies`,
:mod:`maillon.fraud.service`, :mod:`maillon.acquisition.service`); a refused input shows the
service's message in the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from maillon.acquisition import service as acquisition
from maillon.acquisition.funnel import BREAKDOWNS, FunnelReport
from maillon.care import replies, templates
from maillon.care import service as care
from maillon.care.model import CATEGORIES, PRIORITIES, STATUSES, TRANSITIONS, ticket_reference
from maillon.care.sla import ClockState, ClockStatus, SlaState
from maillon.care.tables import CareAgent, Ticket
from maillon.core import clock
from maillon.core.errors import MaillonError
from maillon.core.users import ConsoleUser
from maillon.fraud import service as fraud
from maillon.fraud.tables import FraudAssessment, FraudReview
from maillon.orders.model import order_number
from maillon.orders.tables import Order
from maillon.shipping.tables import Shipment
from maillon.web.console import (
    CARE,
    OPERATORS,
    check_csrf,
    database,
    language,
    render,
    require,
)
from maillon.web.i18n import translator

router = APIRouter(include_in_schema=False)

PAGE = 50
FRAUD_PAGE = 20
SLA_CHOICES = ("warning", "breached", "ok")
TEMPLATE_LABELS = {
    "where_is_my_order": "Where is my order?",
    "return_request": "Return request",
    "refund_status": "Refund status",
    "damaged_item": "Damaged item",
    "change_address": "Change of address",
    "cancel_order": "Cancel the order",
}
"""Words for the reply templates of :data:`maillon.care.templates.INTENTS`."""
TicketId = Annotated[int, Path(ge=1, le=2_147_483_647)]
_PAGE_NO = Query(ge=1, le=100_000)


def _error_status(exc: MaillonError) -> int:
    """The status code of a page showing ``exc`` (4xx: the input or the state refused it)."""
    return exc.status_code if 400 <= exc.status_code < 500 else 400


# --------------------------------------------------------------------------- care


def _duration(value: timedelta) -> str:
    """Return a business duration as ``3 h 05`` or ``40 min``."""
    minutes = max(0, int(value.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if hours else f"{rest} min"


def _clock_view(state: ClockState | None) -> dict[str, Any] | None:
    """What the page shows of one SLA clock: its status, the time left or overdue, paused."""
    if state is None:
        return None
    return {
        "status": state.status.value,
        "left": _duration(state.remaining),
        "overdue": _duration(state.overdue),
        "paused": state.is_paused,
        "due_at": state.due_at,
        "late": state.status is ClockStatus.BREACHED,
    }


def _sla_view(state: SlaState) -> dict[str, Any]:
    return {
        "first_response": _clock_view(state.first_response),
        "resolution": _clock_view(state.resolution),
        "breaches": state.breaches,
        "warning": state.warning,
    }


def _agent_of(session: Session, user: ConsoleUser) -> CareAgent | None:
    """The care agent whose name is the signed-in user's, if there is one."""
    return session.scalar(select(CareAgent).where(CareAgent.name == user.principal.name))


def _row(ticket: Ticket, state: SlaState) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "reference": ticket_reference(ticket.id),
        "subject": ticket.subject,
        "email": ticket.customer_email,
        "order": order_number(ticket.order_id) if ticket.order_id else None,
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "assignee": ticket.assignee.name if ticket.assignee is not None else None,
        "created_at": ticket.created_at,
        "sla": _sla_view(state),
    }


@router.get("/care", response_class=HTMLResponse)
def care_inbox(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "active",
    priority: Annotated[str, Query(max_length=10)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    sla: Annotated[str, Query(max_length=10)] = "",
    mine: Annotated[bool, Query()] = False,
    page: Annotated[int, _PAGE_NO] = 1,
) -> Response:
    """The ticket inbox: filters, one page of tickets with their SLA clocks."""
    user = require(request, *CARE)
    filters = {
        "status": status,
        "priority": priority,
        "category": category,
        "sla": sla,
        "mine": mine,
    }
    context: dict[str, Any] = {
        "filters": filters,
        "ticket_statuses": ("active", *STATUSES),
        "priorities": PRIORITIES,
        "categories": CATEGORIES,
        "sla_choices": SLA_CHOICES,
        "tickets": [],
        "total": 0,
        "page": page,
        "pages": 1,
        "error": None,
        "no_agent": False,
    }
    with database(request).reader() as session:
        assignee: str | None = None
        if mine:
            agent = _agent_of(session, user)
            if agent is None:
                context["no_agent"] = True
                return render(request, "care.html", user, **context)
            assignee = str(agent.id)
        try:
            rows, total = care.list_tickets(
                session=session,
                status=status or None,
                priority=priority or None,
                category=category or None,
                sla_filter=sla or None,
                assignee=assignee,
                limit=PAGE,
                offset=(page - 1) * PAGE,
            )
        except MaillonError as exc:
            context["error"] = exc.message
            return render(request, "care.html", user, status_code=_error_status(exc), **context)
        context["tickets"] = [_row(t, s) for t, s in rows]
    context["total"] = total
    context["pages"] = max(1, (total + PAGE - 1) // PAGE)
    return render(request, "care.html", user, **context)


def _shipment_links(session: Session, ticket: Ticket, order: Order | None) -> list[dict[str, Any]]:
    """The ticket's shipment, or else the order's, with their tracking numbers."""
    query = select(Shipment)
    if ticket.shipment_id is not None:
        query = query.where(Shipment.id == ticket.shipment_id)
    elif order is not None:
        query = query.where(Shipment.order_id == order.id)
    else:
        return []
    return [
        {
            "id": s.id,
            "status": s.status,
            "carrier": s.carrier.name if s.carrier is not None else None,
            "tracking": [p.tracking_number for p in s.parcels if p.tracking_number],
        }
        for s in session.scalars(query.order_by(Shipment.id).limit(10))
    ]


def _replies(
    session: Session, ticket: Ticket, agent_name: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The suggested reply (or why there is none) and every reply template filled in."""
    suggestion: dict[str, Any] = {
        "intent": ticket.intent,
        "confidence": ticket.intent_confidence,
        "labelled": ticket.intent_labelled,
        "template": None,
        "body": None,
        "missing": (),
    }
    try:
        found = replies.suggest_reply(session=session, ticket_id=ticket.id, agent_name=agent_name)
    except MaillonError:
        pass  # no intent with a template: the page says so and offers every template
    else:
        suggestion.update(template=found.intent, body=found.body, missing=found.missing)
    filled = []
    for intent in templates.INTENTS:
        s = replies.suggest_reply(
            session=session, ticket_id=ticket.id, intent=intent, agent_name=agent_name
        )
        filled.append({"intent": s.intent, "body": s.body, "missing": s.missing})
    return suggestion, filled


def _ticket_page(
    request: Request,
    user: ConsoleUser,
    ticket_id: int,
    *,
    use: str = "",
    draft: str | None = None,
    note: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """Render ``/care/{id}``; ``use`` prefills the reply with the suggestion or a template."""
    with database(request).reader() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return render(
                request,
                "error.html",
                user,
                status_code=404,
                message=f"No ticket {ticket_reference(ticket_id)}",
            )
        order = session.get(Order, ticket.order_id) if ticket.order_id else None
        suggestion, filled = _replies(session, ticket, user.principal.name)
        texts = {"suggested": suggestion["body"]} if suggestion["body"] else {}
        texts |= {t["intent"]: t["body"] for t in filled}
        if draft is None:
            draft = texts.get(use, "")
        history: list[dict[str, Any]] = [
            {
                "at": m.at,
                "kind": m.kind,
                "author": m.author,
                "body": m.body,
                "internal": m.internal,
            }
            for m in ticket.messages
        ]
        context = {
            "ticket": _row(ticket, care.ticket_sla(ticket)),
            "language": ticket.language,
            "channel": ticket.channel,
            "customer_id": ticket.customer_id,
            "order": {
                "number": order.number,
                "status": order.status,
                "total": order.total_cents,
                "currency": order.currency,
                "postcode": order.ship_postcode,
            }
            if order is not None
            else None,
            "shipments": _shipment_links(session, ticket, order),
            "return_id": ticket.return_id,
            "messages": history,
            "events": [
                {
                    "at": e.at,
                    "actor": e.actor,
                    "kind": e.kind,
                    "old": e.old,
                    "new": e.new,
                    "note": e.note,
                }
                for e in ticket.events
            ],
            "suggestion": suggestion,
            "templates": filled,
            "template_labels": TEMPLATE_LABELS,
            "texts": texts,
            "use": use,
            "draft": draft,
            "note": note,
            "agents": [a.name for a in care.list_agents(session=session) if a.active],
            "next_statuses": sorted(TRANSITIONS.get(ticket.status, ()), key=STATUSES.index),
            "priorities": PRIORITIES,
            "error": error,
        }
    return render(request, "care_ticket.html", user, status_code=status_code, **context)


@router.get("/care/{ticket_id}", response_class=HTMLResponse)
def care_ticket(
    request: Request, ticket_id: TicketId, use: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    """One ticket: links, history, suggested reply, templates and the agent's forms."""
    user = require(request, *CARE)
    return _ticket_page(request, user, ticket_id, use=use)


def _back(ticket_id: int) -> Response:
    return RedirectResponse(f"/care/{ticket_id}", status_code=303)


@router.post("/care/{ticket_id}/reply")
def care_reply(
    request: Request,
    ticket_id: TicketId,
    body: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Answer the customer (e-mailed through the outbox)."""
    user = require(request, *CARE)
    check_csrf(user, csrf)
    try:
        with database(request).transaction() as session:
            care.reply(session=session, ticket_id=ticket_id, body=body, actor=user.principal.actor)
    except MaillonError as exc:
        return _ticket_page(
            request,
            user,
            ticket_id,
            draft=body,
            error=exc.message,
            status_code=_error_status(exc),
        )
    return _back(ticket_id)


@router.post("/care/{ticket_id}/note")
def care_note(
    request: Request,
    ticket_id: TicketId,
    body: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Add an internal note (never sent to the customer)."""
    user = require(request, *CARE)
    check_csrf(user, csrf)
    try:
        with database(request).transaction() as session:
            care.add_note(
                session=session, ticket_id=ticket_id, body=body, actor=user.principal.actor
            )
    except MaillonError as exc:
        return _ticket_page(
            request,
            user,
            ticket_id,
            note=body,
            error=exc.message,
            status_code=_error_status(exc),
        )
    return _back(ticket_id)


@router.post("/care/{ticket_id}/assign")
def care_assign(
    request: Request,
    ticket_id: TicketId,
    agent: Annotated[str, Form(max_length=120)] = "",
    me: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Assign the ticket to the signed-in user (made a care agent on first use) or to the
    agent named, or round-robin when none is named."""
    user = require(request, *CARE)
    check_csrf(user, csrf)
    try:
        with database(request).transaction() as session:
            name: str | None = agent.strip() or None
            if me:
                mine = _agent_of(session, user)
                if mine is None:
                    mine = care.add_agent(session=session, name=user.principal.name)
                name = mine.name
            care.assign(
                session=session, ticket_id=ticket_id, actor=user.principal.actor, agent=name
            )
    except MaillonError as exc:
        return _ticket_page(
            request, user, ticket_id, error=exc.message, status_code=_error_status(exc)
        )
    return _back(ticket_id)


@router.post("/care/{ticket_id}/update")
def care_update(
    request: Request,
    ticket_id: TicketId,
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Change the ticket's status and/or priority (resolving sends the CSAT survey)."""
    user = require(request, *CARE)
    check_csrf(user, csrf)
    try:
        with database(request).transaction() as session:
            care.update_ticket(
                session=session,
                ticket_id=ticket_id,
                actor=user.principal.actor,
                status=status or None,
                priority=priority or None,
            )
    except MaillonError as exc:
        return _ticket_page(
            request, user, ticket_id, error=exc.message, status_code=_error_status(exc)
        )
    return _back(ticket_id)


# --------------------------------------------------------------------------- fraud

REVIEW_FILTERS = ("open", "approved", "rejected")
SCORE_BINS = 10


def _score_histogram(session: Session, since: datetime) -> dict[str, Any]:
    """Assessments since ``since`` per score decile and decision (one grouped query)."""
    a = FraudAssessment
    score_bin = cast(a.score * SCORE_BINS, Integer)
    rows = session.execute(
        select(score_bin, a.decision, func.count())
        .where(a.assessed_at >= since)
        .group_by(score_bin, a.decision)
    ).all()
    counts: dict[str, list[int]] = {d: [0] * SCORE_BINS for d in fraud.DECISIONS}
    for b, decision, n in rows:
        if decision in counts:
            counts[decision][min(max(int(b or 0), 0), SCORE_BINS - 1)] += int(n)
    labels = [f"{i / SCORE_BINS:.1f}-{(i + 1) / SCORE_BINS:.1f}" for i in range(SCORE_BINS)]
    return {"x": labels, "counts": counts, "total": sum(sum(c) for c in counts.values())}


def _fraud_page(
    request: Request,
    user: ConsoleUser,
    *,
    status: str,
    page: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "status": status,
        "filters": REVIEW_FILTERS,
        "page": page,
        "pages": 1,
        "total": 0,
        "items": [],
        "error": error,
    }
    with database(request).reader() as session:
        try:
            found, total = fraud.list_reviews(
                session=session,
                status=status,
                limit=FRAUD_PAGE,
                offset=(page - 1) * FRAUD_PAGE,
            )
        except MaillonError as exc:
            found, total = [], 0
            context["error"] = exc.message
            status_code = _error_status(exc)
        context["items"] = [
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
        context["total"] = total
        context["pages"] = max(1, (total + FRAUD_PAGE - 1) // FRAUD_PAGE)
        context["decisions"] = [
            {
                "number": order_number(r.order_id),
                "decision": r.decision,
                "analyst": r.analyst,
                "note": r.note,
                "at": r.decided_at,
                "order_status": status_,
            }
            for r, status_ in session.execute(
                select(FraudReview, Order.status)
                .join(Order, Order.id == FraudReview.order_id)
                .order_by(FraudReview.id.desc())
                .limit(10)
            )
        ]
        context["chart"] = _score_histogram(session, clock.now() - timedelta(days=30))
    return render(request, "fraud.html", user, status_code=status_code, **context)


@router.get("/fraud", response_class=HTMLResponse)
def fraud_queue(
    request: Request,
    status: Annotated[str, Query(max_length=10)] = "open",
    page: Annotated[int, _PAGE_NO] = 1,
) -> Response:
    """The review queue (oldest first), recent decisions and the score distribution."""
    user = require(request, *OPERATORS)
    return _fraud_page(request, user, status=status, page=page)


@router.post("/fraud/{number}")
def fraud_decide(
    request: Request,
    number: Annotated[str, Path(max_length=20)],
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Accept (``approve``) or reject an order of the queue; reject cancels it."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    try:
        with database(request).transaction() as session:
            fraud.decide(
                session=session,
                number=number,
                decision=decision,
                analyst=user.principal.actor,
                note=note,
            )
    except MaillonError as exc:
        return _fraud_page(
            request,
            user,
            status="open",
            page=1,
            error=f"{number}: {exc.message}",
            status_code=_error_status(exc),
        )
    return RedirectResponse("/fraud", status_code=303)


# --------------------------------------------------------------------------- acquisition


def _parse_day(value: str, name: str) -> date:
    """Return the date ``YYYY-MM-DD`` of a form field. Raises ValueError naming it."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name}: a date as YYYY-MM-DD") from None


STEP_LABELS = {
    "visit": "Visit",
    "product_view": "Product view",
    "add_to_cart": "Add to cart",
    "purchase": "Purchase",
}
CHART_GROUPS = 6


def _step_label(name: str, t: Callable[[str], str]) -> str:
    """Return the words of a funnel step (``checkout_2`` is "Checkout step 2")."""
    if name.startswith("checkout_"):
        return f"{t('Checkout step')} {name.removeprefix('checkout_')}"
    return t(STEP_LABELS.get(name, name))


def _report_view(report: FunnelReport, t: Callable[[str], str]) -> dict[str, Any]:
    return {
        "sessions": report.sessions,
        "purchases": report.purchases,
        "conversion": report.conversion_rate,
        "cart_sessions": report.cart_sessions,
        "abandoned_carts": report.abandoned_carts,
        "cart_abandonment": report.cart_abandonment_rate,
        "abandoned_value": round(report.abandoned_cart_value),
        "steps": [
            {
                "name": s.name,
                "label": _step_label(s.name, t),
                "sessions": s.sessions,
                "conversion": s.conversion,
                "abandonment": s.abandonment,
                "from_start": s.from_start,
            }
            for s in report.steps
        ],
    }


AcqFrom = Annotated[str, Query(alias="from", max_length=10)]
AcqTo = Annotated[str, Query(alias="to", max_length=10)]
AcqBy = Annotated[str, Query(max_length=20)]
AcqSteps = Annotated[str, Query(max_length=2)]


def _funnel_form(start: str, end: str, by: str, checkout_steps: str) -> dict[str, str]:
    """The funnel form's values, the last 30 days by default."""
    today = clock.now().date()
    return {
        "from": start or (today - timedelta(days=29)).isoformat(),
        "to": end or today.isoformat(),
        "by": by,
        "checkout_steps": checkout_steps or "3",
    }


@router.get("/acquisition", response_class=HTMLResponse)
def acquisition_page(
    request: Request,
    start: AcqFrom = "",
    end: AcqTo = "",
    by: AcqBy = "",
    checkout_steps: AcqSteps = "3",
) -> Response:
    """The funnel form; the funnel itself loads from ``/acquisition/funnel`` (an htmx fragment:
    on months of storefront events it can take seconds)."""
    user = require(request, *OPERATORS)
    form = _funnel_form(start, end, by, checkout_steps)
    error = None
    try:
        _parse_day(form["from"], "from")
        _parse_day(form["to"], "to")
    except ValueError as exc:
        error = str(exc)
    return render(
        request,
        "acquisition.html",
        user,
        status_code=422 if error else 200,
        form=form,
        query=urlencode(form),
        breakdowns=BREAKDOWNS,
        error=error,
    )


@router.get("/acquisition/funnel", response_class=HTMLResponse)
def acquisition_funnel(
    request: Request,
    start: AcqFrom = "",
    end: AcqTo = "",
    by: AcqBy = "",
    checkout_steps: AcqSteps = "3",
) -> Response:
    """The funnel over ``[from, to]`` (whole days, UTC), overall or by device / channel /
    landing page, with conversion, abandonment and cart value (an htmx fragment). A refused
    input is shown in the fragment (status 200, so that htmx swaps it in)."""
    user = require(request, *OPERATORS)
    form = _funnel_form(start, end, by, checkout_steps)
    try:
        first = _parse_day(form["from"], "from")
        last = _parse_day(form["to"], "to")
        steps = int(form["checkout_steps"]) if form["checkout_steps"].isdigit() else -1
        with database(request).reader() as session:
            result = acquisition.funnel(
                session=session,
                start=datetime.combine(first, time(0), tzinfo=UTC),
                end=datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC),
                by=by or None,
                checkout_steps=steps,
            )
    except (ValueError, MaillonError) as exc:
        message = exc.message if isinstance(exc, MaillonError) else str(exc)
        return render(request, "_acquisition_funnel.html", user, error=message, form=form)
    t = translator(language(request, user))
    overall = _report_view(result.overall, t)
    groups = [{"key": g.key, **_report_view(g.report, t)} for g in result.groups]
    shown = groups[:CHART_GROUPS] or [{"key": t("All sessions"), **overall}]
    chart = {
        "steps": [s["label"] for s in overall["steps"]],
        "series": [
            {"name": g["key"] or "-", "x": [s["sessions"] for s in g["steps"]]} for g in shown
        ],
    }
    return render(
        request,
        "_acquisition_funnel.html",
        user,
        error=None,
        form=form,
        overall=overall,
        groups=groups,
        chart=chart,
    )
