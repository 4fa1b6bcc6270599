"""Console pages of customer care: the inbox (tickets with their two SLA clocks, filtered and
paged) and one ticket with its links, history, suggested reply and reply templates filled for
it, and the forms to reply, note, assign and change status or priority.

The pages call :mod:`maillon.care.service`, :mod:`maillon.care.service.replies` and
:mod:`maillon.care.queries`; a refused input shows the service's message in the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.care import queries, shop_policy
from maillon.care import service as care
from maillon.care.model import (
    CATEGORIES,
    INTENTS,
    PRIORITIES,
    STATUSES,
    TRANSITIONS,
    ticket_reference,
)
from maillon.care.service import knowledge, replies
from maillon.care.sla import ClockState, ClockStatus, SlaState
from maillon.care.tables import CareAgent, Ticket
from maillon.core.errors import MaillonError, NotFound
from maillon.core.users import ConsoleUser
from maillon.orders.model import order_number
from maillon.orders.queries import order_by_id
from maillon.orders.tables import Order
from maillon.shipping.queries import shipments_about
from maillon.web.console import (
    CareForm,
    CarePage,
    console_router,
    database,
    error_status,
    on_refusal,
    page_count,
    render,
)

router = console_router()

PAGE = 50
SLA_CHOICES = ("warning", "breached", "ok")
INTENT_LABELS = {
    "track_order": "Where is my order?",
    "damaged_item": "Damaged item",
    "missing_or_wrong_item": "Missing or wrong item",
    "return_item": "Return an item",
    "refund_status": "Refund status",
    "cancel_order": "Cancel the order",
    "change_order": "Change the order",
    "change_shipping_address": "Change of address",
    "delivery_options": "Delivery options",
    "invoice": "Invoice",
    "payment": "Payment",
    "account": "Customer account",
    "contact_human_agent": "Asks for a person",
    "other": "To triage (unsure)",
}
"""Words for the intents of :data:`maillon.care.model.INTENTS` (queues and reply templates)."""
TEMPLATE_LABELS = INTENT_LABELS
TicketId = Annotated[int, Path(ge=1, le=2_147_483_647)]
_PAGE_NO = Query(ge=1, le=100_000)


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


def _row(ticket: Ticket, state: SlaState) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "reference": ticket_reference(ticket.id),
        "subject": ticket.subject,
        "email": ticket.customer_email,
        "order": order_number(ticket.order_id) if ticket.order_id else None,
        "category": ticket.category,
        "intent": ticket.intent,
        "priority": ticket.priority,
        "status": ticket.status,
        "assignee": ticket.assignee.name if ticket.assignee is not None else None,
        "created_at": ticket.created_at,
        "sla": _sla_view(state),
    }


def _agent_of(session: Session, user: ConsoleUser) -> CareAgent | None:
    """The care agent whose name is the signed-in user's, if there is one."""
    return queries.agent_named(session=session, name=user.principal.name)


def _inbox_context(filters: dict[str, Any], page: int) -> dict[str, Any]:
    """The inbox page's context before any ticket is read."""
    return {
        "filters": filters,
        "ticket_statuses": ("active", *STATUSES),
        "priorities": PRIORITIES,
        "categories": CATEGORIES,
        "intents": INTENTS,
        "intent_labels": INTENT_LABELS,
        "sla_choices": SLA_CHOICES,
        "tickets": [],
        "total": 0,
        "page": page,
        "pages": 1,
        "error": None,
        "no_agent": False,
    }


def _inbox_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The inbox with the filter's refusal and no tickets."""
    filters = {
        "status": values.get("status", "active"),
        "priority": values.get("priority", ""),
        "category": values.get("category", ""),
        "sla": values.get("sla", ""),
        "intent": values.get("intent", ""),
        "mine": values.get("mine", "").lower() in ("1", "true", "on", "yes"),
    }
    context = _inbox_context(filters, int(values.get("page", "1")))
    context["error"] = exc.message
    return render(request, "care.html", user, status_code=error_status(exc), **context)


@router.get("/care", response_class=HTMLResponse)
@on_refusal(_inbox_refused)
def care_inbox(
    request: Request,
    user: CarePage,
    status: Annotated[str, Query(max_length=20)] = "active",
    priority: Annotated[str, Query(max_length=10)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    sla: Annotated[str, Query(max_length=10)] = "",
    intent: Annotated[str, Query(max_length=60)] = "",
    mine: Annotated[bool, Query()] = False,
    page: Annotated[int, _PAGE_NO] = 1,
) -> Response:
    """The ticket inbox: filters, one page of tickets with their SLA clocks."""
    filters = {
        "status": status,
        "priority": priority,
        "category": category,
        "sla": sla,
        "intent": intent,
        "mine": mine,
    }
    context = _inbox_context(filters, page)
    with database(request).reader() as session:
        assignee: str | None = None
        if mine:
            agent = _agent_of(session, user)
            if agent is None:
                context["no_agent"] = True
                return render(request, "care.html", user, **context)
            assignee = str(agent.id)
        rows, total = care.list_tickets(
            session=session,
            status=status or None,
            priority=priority or None,
            category=category or None,
            sla_filter=sla or None,
            intent=intent or None,
            assignee=assignee,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
        context["tickets"] = [_row(t, s) for t, s in rows]
    context["total"] = total
    context["pages"] = page_count(total, PAGE)
    return render(request, "care.html", user, **context)


def _kb_page(
    request: Request,
    user: ConsoleUser,
    *,
    language: str = "",
    edit: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The knowledge base: articles (one language or all), one open for editing."""
    with database(request).reader() as session:
        rows = knowledge.list_articles(session=session, language=language or None)
        articles = [
            {
                "id": a.id,
                "slug": a.slug,
                "language": a.language,
                "intent": a.intent,
                "question": a.question,
                "alternates": "\n".join(a.alternates or []),
                "answer": a.answer,
                "active": a.active,
                "updated_by": a.updated_by,
            }
            for a in rows
        ]
    return render(
        request,
        "care_kb.html",
        user,
        status_code=status_code,
        articles=articles,
        editing=next((a for a in articles if a["id"] == edit), None),
        language=language,
        languages=("fr", "en"),
        intents=INTENTS,
        intent_labels=INTENT_LABELS,
        tokens=shop_policy.TOKENS,
        error=error,
    )


def _kb_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    edit = values.get("article_id")
    return _kb_page(
        request,
        user,
        edit=int(edit) if edit and edit.isdigit() else None,
        error=exc.message,
        status_code=error_status(exc),
    )


@router.get("/care/knowledge", response_class=HTMLResponse)
def care_knowledge(
    request: Request,
    user: CarePage,
    language: Annotated[str, Query(max_length=2)] = "",
    edit: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """The FAQ assistant's knowledge base: every article, the forms to add and change one."""
    return _kb_page(request, user, language=language, edit=edit)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


Short = Annotated[str, Form(max_length=300)]
Long = Annotated[str, Form(max_length=20_000)]


@router.post("/care/knowledge")
@on_refusal(_kb_refused)
def care_knowledge_add(
    request: Request,
    user: CareForm,
    slug: Annotated[str, Form(max_length=80)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
    intent: Annotated[str, Form(max_length=60)] = "other",
    question: Short = "",
    alternates: Long = "",
    answer: Long = "",
) -> Response:
    """Add an article."""
    with database(request).transaction() as session:
        knowledge.create_article(
            session=session,
            slug=slug.strip(),
            language=language,
            question=question,
            answer=answer,
            intent=intent,
            alternates=_lines(alternates),
            actor=user.principal.actor,
        )
    return RedirectResponse("/care/knowledge", status_code=303)


@router.post("/care/knowledge/{article_id}")
@on_refusal(_kb_refused)
def care_knowledge_change(
    request: Request,
    user: CareForm,
    article_id: TicketId,
    intent: Annotated[str, Form(max_length=60)] = "other",
    question: Short = "",
    alternates: Long = "",
    answer: Long = "",
    active: Annotated[bool, Form()] = False,
    delete: Annotated[bool, Form()] = False,
) -> Response:
    """Change an article (or delete it)."""
    with database(request).transaction() as session:
        if delete:
            knowledge.delete_article(session=session, article_id=article_id)
        else:
            knowledge.update_article(
                session=session,
                article_id=article_id,
                actor=user.principal.actor,
                question=question,
                answer=answer,
                intent=intent,
                alternates=_lines(alternates),
                active=active,
            )
    return RedirectResponse("/care/knowledge", status_code=303)


def _shipment_links(session: Session, ticket: Ticket, order: Order | None) -> list[dict[str, Any]]:
    """The ticket's shipment, or else the order's, with their tracking numbers."""
    return [
        {
            "id": s.id,
            "status": s.status,
            "carrier": s.carrier.name if s.carrier is not None else None,
            "tracking": [p.tracking_number for p in s.parcels if p.tracking_number],
        }
        for s in shipments_about(
            session=session,
            shipment_id=ticket.shipment_id,
            order_id=order.id if order is not None else None,
        )
    ]


def _replies(
    session: Session, ticket: Ticket, agent_name: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The suggested reply (or why there is none) and the grounded reply of every intent."""
    suggestion: dict[str, Any] = {
        "intent": ticket.intent,
        "confidence": ticket.intent_confidence,
        "labelled": ticket.intent_labelled,
        "template": None,
        "body": None,
        "missing": (),
    }
    filled = [
        {"intent": s.intent, "body": s.body, "missing": s.missing}
        for s in replies.suggest_all(session=session, ticket_id=ticket.id, agent_name=agent_name)
    ]
    found = next((f for f in filled if f["intent"] == ticket.intent), None)
    if found is not None:  # else (``other``, none): the page offers every reply
        suggestion.update(template=found["intent"], body=found["body"], missing=found["missing"])
    return suggestion, filled


def _ticket_context(
    session: Session, ticket: Ticket, user: ConsoleUser, use: str, draft: str | None
) -> dict[str, Any]:
    """What the ticket page shows: the ticket, its order and shipments, its history, the
    suggested reply and the templates, the reply prefilled (``use``) and the forms' choices."""
    order = order_by_id(session=session, order_id=ticket.order_id) if ticket.order_id else None
    suggestion, filled = _replies(session, ticket, user.principal.name)
    texts = {"suggested": suggestion["body"]} if suggestion["body"] else {}
    texts |= {t["intent"]: t["body"] for t in filled}
    if draft is None:
        draft = texts.get(use, "")
    return {
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
        "messages": [
            {"at": m.at, "kind": m.kind, "author": m.author, "body": m.body, "internal": m.internal}
            for m in ticket.messages
        ],
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
        "agents": [a.name for a in care.list_agents(session=session) if a.active],
        "next_statuses": sorted(TRANSITIONS.get(ticket.status, ()), key=STATUSES.index),
        "priorities": PRIORITIES,
    }


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
        try:
            ticket = care.get_ticket(session=session, ticket_id=ticket_id)
        except NotFound:
            return render(
                request,
                "error.html",
                user,
                status_code=404,
                message=f"No ticket {ticket_reference(ticket_id)}",
            )
        context = _ticket_context(session, ticket, user, use, draft)
    context |= {"note": note, "error": error}
    return render(request, "care_ticket.html", user, status_code=status_code, **context)


@router.get("/care/{ticket_id}", response_class=HTMLResponse)
def care_ticket(
    request: Request,
    user: CarePage,
    ticket_id: TicketId,
    use: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """One ticket: links, history, suggested reply, templates and the agent's forms."""
    return _ticket_page(request, user, ticket_id, use=use)


def _back(ticket_id: int) -> Response:
    return RedirectResponse(f"/care/{ticket_id}", status_code=303)


def _ticket_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The ticket page again with the refusal; a refused reply or note keeps its text."""
    kept: dict[str, Any] = {}
    if request.url.path.endswith("/reply"):
        kept["draft"] = values.get("body", "")
    elif request.url.path.endswith("/note"):
        kept["note"] = values.get("body", "")
    return _ticket_page(
        request,
        user,
        int(values["ticket_id"]),
        error=exc.message,
        status_code=error_status(exc),
        **kept,
    )


Body = Annotated[str, Form(max_length=20_000)]


@router.post("/care/{ticket_id}/reply")
@on_refusal(_ticket_refused)
def care_reply(request: Request, user: CareForm, ticket_id: TicketId, body: Body = "") -> Response:
    """Answer the customer (e-mailed through the outbox)."""
    with database(request).transaction() as session:
        care.reply(session=session, ticket_id=ticket_id, body=body, actor=user.principal.actor)
    return _back(ticket_id)


@router.post("/care/{ticket_id}/note")
@on_refusal(_ticket_refused)
def care_note(request: Request, user: CareForm, ticket_id: TicketId, body: Body = "") -> Response:
    """Add an internal note (never sent to the customer)."""
    with database(request).transaction() as session:
        care.add_note(session=session, ticket_id=ticket_id, body=body, actor=user.principal.actor)
    return _back(ticket_id)


@router.post("/care/{ticket_id}/assign")
@on_refusal(_ticket_refused)
def care_assign(
    request: Request,
    user: CareForm,
    ticket_id: TicketId,
    agent: Annotated[str, Form(max_length=120)] = "",
    me: Annotated[bool, Form()] = False,
) -> Response:
    """Assign the ticket to the signed-in user (made a care agent on first use) or to the
    agent named, or round-robin when none is named."""
    with database(request).transaction() as session:
        name: str | None = agent.strip() or None
        if me:
            mine = _agent_of(session, user)
            if mine is None:
                mine = care.add_agent(session=session, name=user.principal.name)
            name = mine.name
        care.assign(session=session, ticket_id=ticket_id, actor=user.principal.actor, agent=name)
    return _back(ticket_id)


@router.post("/care/{ticket_id}/update")
@on_refusal(_ticket_refused)
def care_update(
    request: Request,
    user: CareForm,
    ticket_id: TicketId,
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Change the ticket's status and/or priority (resolving sends the CSAT survey)."""
    with database(request).transaction() as session:
        care.update_ticket(
            session=session,
            ticket_id=ticket_id,
            actor=user.principal.actor,
            status=status or None,
            priority=priority or None,
        )
    return _back(ticket_id)
