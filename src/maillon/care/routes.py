"""After-sales routes: the ticket inbox and its actions, agents, inbound e-mail, the FAQ
assistant, CSAT answers and service stats. Tickets live under ``/api/v1/tickets`` (where they
always were), the rest under ``/api/v1/care``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, status

from maillon.care import service, sla
from maillon.care.model import ticket_reference
from maillon.care.policy_doc import policy_document
from maillon.care.queries import stats
from maillon.care.schemas import (
    AgentCreate,
    AgentRead,
    AgentUpdate,
    ArticleCreate,
    ArticleRead,
    ArticleUpdate,
    AssignmentUpdate,
    AssistantQuestion,
    AssistantReply,
    ClassificationCreate,
    ClassifyRead,
    ClockRead,
    CsatAnswer,
    CsatRead,
    EventRead,
    GroupStatsRead,
    InboundEmail,
    InboundRead,
    MessageRead,
    NoteCreate,
    ReplyCreate,
    SlaRead,
    StatsRead,
    SuggestionRead,
    TicketCreate,
    TicketRead,
    TicketSummary,
    TicketUpdate,
)
from maillon.care.service import assistant, classify, knowledge, replies
from maillon.care.tables import CareAgent, CareArticle, Ticket
from maillon.core import clock
from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, IdPath, Page, PageDep, allow
from maillon.orders.model import order_number

router = APIRouter(tags=["care"])
Agent = Annotated[Principal, Depends(allow(Role.AGENT, Role.OPERATOR))]
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def _clock(state: sla.ClockState | None) -> ClockRead | None:
    if state is None:
        return None
    return ClockRead(
        status=state.status.value,
        due_at=state.due_at,
        target_minutes=_minutes(state.target),
        elapsed_minutes=_minutes(state.elapsed),
        paused_minutes=_minutes(state.paused),
        remaining_minutes=_minutes(state.remaining),
        is_paused=state.is_paused,
    )


def _sla(state: sla.SlaState) -> SlaRead:
    return SlaRead(
        first_response=_clock(state.first_response),
        resolution=_clock(state.resolution),
        breaches=state.breaches,
        warning=state.warning,
        next_due_at=state.next_due_at,
    )


def _summary_fields(t: Ticket, state: sla.SlaState) -> dict[str, object]:
    return {
        "id": t.id,
        "reference": ticket_reference(t.id),
        "email": t.customer_email,
        "customer_id": t.customer_id,
        "order": order_number(t.order_id) if t.order_id else None,
        "shipment_id": t.shipment_id,
        "return_id": t.return_id,
        "subject": t.subject,
        "category": t.category,
        "priority": t.priority,
        "status": t.status,
        "channel": t.channel,
        "language": t.language,
        "assignee": t.assignee.name if t.assignee is not None else None,
        "intent": t.intent,
        "intent_confidence": t.intent_confidence,
        "created_at": t.created_at,
        "first_response_at": t.first_response_at,
        "resolved_at": t.resolved_at,
        "closed_at": t.closed_at,
        "sla": _sla(state),
    }


def ticket_read(t: Ticket) -> TicketRead:
    """Return the full response model of a ticket (messages and history)."""
    return TicketRead.model_validate(
        {
            **_summary_fields(t, service.ticket_sla(t)),
            "messages": [
                MessageRead(kind=m.kind, author=m.author, body=m.body, internal=m.internal, at=m.at)
                for m in t.messages
            ],
            "history": [
                EventRead(at=e.at, actor=e.actor, kind=e.kind, old=e.old, new=e.new, note=e.note)
                for e in t.events
            ],
        }
    )


def agent_read(a: CareAgent) -> AgentRead:
    """Return the response model of an agent."""
    return AgentRead(
        id=a.id,
        name=a.name,
        email=a.email,
        skills=list(a.skills or []),
        active=a.active,
        last_assigned_at=a.last_assigned_at,
    )


# --- tickets ----------------------------------------------------------------------------------


@router.post("/api/v1/tickets", status_code=status.HTTP_201_CREATED, response_model=TicketRead)
def open_ticket(body: TicketCreate, db: DbDep, who: Agent) -> TicketRead:
    """Open a ticket; its message is classified and, when confident, routed to a skilled agent."""
    with db.transaction() as session:
        return ticket_read(
            service.open_ticket(
                session=session,
                email=body.email,
                subject=body.subject,
                body=body.body,
                order_number=body.order,
                shipment_id=body.shipment_id,
                return_id=body.return_id,
                priority=body.priority,
                category=body.category,
                channel=body.channel,
                language=body.language,
                actor=who.actor,
            )
        )


@router.get("/api/v1/tickets", response_model=Page[TicketSummary])
def list_tickets(
    db: DbDep,
    page: PageDep,
    _: Agent,
    status_: Annotated[
        str | None, Query(alias="status", max_length=20, description="a status, or 'active'")
    ] = None,
    queue: Annotated[str | None, Query(max_length=40, description="category")] = None,
    intent: Annotated[
        str | None, Query(max_length=60, description="an intent (its queue); 'other': triage")
    ] = None,
    assignee: Annotated[
        str | None, Query(max_length=120, description="agent name or id, or 'none'")
    ] = None,
    priority: Annotated[str | None, Query(max_length=10)] = None,
    sla_: Annotated[
        str | None, Query(alias="sla", max_length=10, description="breached, warning or ok")
    ] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[TicketSummary]:
    """The inbox with each ticket's SLA clocks; filtered by SLA it is sorted by the next due
    time, otherwise newest first."""
    with db.reader() as session:
        rows, total = service.list_tickets(
            session=session,
            status=status_,
            category=queue,
            intent=intent,
            assignee=assignee,
            priority=priority,
            sla_filter=sla_,
            email=email,
            order_number=order,
            limit=page.limit,
            offset=page.offset,
        )
        items = [TicketSummary.model_validate(_summary_fields(t, s)) for t, s in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/api/v1/tickets/{ticket_id}", response_model=TicketRead)
def get_ticket(ticket_id: IdPath, db: DbDep, _: Agent) -> TicketRead:
    """One ticket with its messages, notes and full history."""
    with db.reader() as session:
        return ticket_read(service.get_ticket(session=session, ticket_id=ticket_id))


@router.patch("/api/v1/tickets/{ticket_id}", response_model=TicketRead)
def update_ticket(ticket_id: IdPath, body: TicketUpdate, db: DbDep, who: Agent) -> TicketRead:
    """Change status, priority, category or intent (resolving sends the CSAT survey)."""
    with db.transaction() as session:
        return ticket_read(
            service.update_ticket(
                session=session,
                ticket_id=ticket_id,
                actor=who.actor,
                status=body.status,
                priority=body.priority,
                category=body.category,
                intent=body.intent,
            )
        )


@router.post("/api/v1/tickets/{ticket_id}/replies", response_model=TicketRead)
def reply(ticket_id: IdPath, body: ReplyCreate, db: DbDep, who: Agent) -> TicketRead:
    """Answer the customer (e-mailed; the first answer stops the first-response clock)."""
    with db.transaction() as session:
        return ticket_read(
            service.reply(
                session=session,
                ticket_id=ticket_id,
                body=body.body,
                actor=who.actor,
                internal=body.internal,
            )
        )


@router.post("/api/v1/tickets/{ticket_id}/notes", response_model=TicketRead)
def add_note(ticket_id: IdPath, body: NoteCreate, db: DbDep, who: Agent) -> TicketRead:
    """Add an internal note (never sent to the customer)."""
    with db.transaction() as session:
        return ticket_read(
            service.add_note(session=session, ticket_id=ticket_id, body=body.body, actor=who.actor)
        )


@router.post("/api/v1/tickets/{ticket_id}/assign", response_model=TicketRead)
def assign(ticket_id: IdPath, body: AssignmentUpdate, db: DbDep, who: Agent) -> TicketRead:
    """Assign to a named agent, or round-robin (``strategy: skill`` among the category's
    skilled agents)."""
    with db.transaction() as session:
        return ticket_read(
            service.assign(
                session=session,
                ticket_id=ticket_id,
                actor=who.actor,
                agent=body.agent,
                strategy=body.strategy,
            )
        )


@router.post("/api/v1/tickets/{ticket_id}/close", response_model=TicketRead)
def close(ticket_id: IdPath, db: DbDep, who: Agent) -> TicketRead:
    """Close a ticket."""
    with db.transaction() as session:
        return ticket_read(
            service.close_ticket(session=session, ticket_id=ticket_id, actor=who.actor)
        )


@router.get("/api/v1/tickets/{ticket_id}/suggested-reply", response_model=SuggestionRead)
def suggested_reply(
    ticket_id: IdPath,
    db: DbDep,
    _: Agent,
    intent: Annotated[str | None, Query(max_length=60)] = None,
    language: Annotated[str | None, Query(max_length=2)] = None,
    agent_name: Annotated[str, Query(max_length=120)] = "Service client",
) -> SuggestionRead:
    """The reply to the ticket's intent, built from its order's, shipments' and returns' actual
    state (each stated fact listed in ``claims``)."""
    with db.reader() as session:
        s = replies.suggest_reply(
            session=session,
            ticket_id=ticket_id,
            intent=intent,
            language=language,
            agent_name=agent_name,
        )
    return SuggestionRead(
        intent=s.intent,
        language=s.language,
        subject=s.subject,
        body=s.body,
        missing=list(s.missing),
        claims=list(s.claims),
    )


# --- agents -----------------------------------------------------------------------------------


@router.post("/api/v1/care/agents", status_code=status.HTTP_201_CREATED, response_model=AgentRead)
def add_agent(
    body: AgentCreate, db: DbDep, _: Annotated[Principal, Depends(allow(Role.OPERATOR))]
) -> AgentRead:
    """Add an agent (operators and admins)."""
    with db.transaction() as session:
        return agent_read(
            service.add_agent(session=session, name=body.name, email=body.email, skills=body.skills)
        )


@router.get("/api/v1/care/agents", response_model=list[AgentRead])
def list_agents(db: DbDep, _: Agent) -> list[AgentRead]:
    """Every agent by name."""
    with db.reader() as session:
        return [agent_read(a) for a in service.list_agents(session=session)]


@router.patch("/api/v1/care/agents/{agent_id}", response_model=AgentRead)
def update_agent(
    agent_id: IdPath,
    body: AgentUpdate,
    db: DbDep,
    _: Annotated[Principal, Depends(allow(Role.OPERATOR))],
) -> AgentRead:
    """Change an agent's skills, or deactivate them (no more assignments)."""
    with db.transaction() as session:
        return agent_read(
            service.update_agent(
                session=session, agent_id=agent_id, skills=body.skills, active=body.active
            )
        )


# --- channels ---------------------------------------------------------------------------------


@router.post("/api/v1/care/inbound-email", response_model=InboundRead)
def inbound_email(body: InboundEmail, db: DbDep, _: Agent) -> InboundRead:
    """Webhook of the mail provider: threads a reply onto its ticket or opens a new one."""
    with db.transaction() as session:
        result = service.receive_email(
            session=session,
            sender=body.from_,
            subject=body.subject,
            text=body.text,
            in_reply_to=body.in_reply_to,
            message_id=body.message_id,
        )
        t = result.ticket
        return InboundRead(
            ticket=t.id,
            reference=ticket_reference(t.id),
            threaded=result.threaded,
            duplicate=result.duplicate,
            order=order_number(t.order_id) if t.order_id else None,
            status=t.status,
        )


@router.post("/api/v1/care/assistant", response_model=AssistantReply)
def ask_assistant(body: AssistantQuestion, db: DbDep) -> AssistantReply:
    """The customers' FAQ assistant (no key: it sits in the shop). Live order status only when
    the e-mail matches the order; hands over to an agent below its confidence threshold."""
    with db.transaction() as session:
        a = assistant.ask(
            session=session,
            question=body.question,
            language=body.language,
            order_number=body.order_number,
            email=body.email,
        )
    return AssistantReply(
        answer=a.answer,
        language=a.language,
        confidence=a.confidence,
        sources=a.sources,
        handover=a.handover,
        ticket=ticket_reference(a.ticket_id) if a.ticket_id else None,
        kind=a.kind,
    )


@router.post("/api/v1/care/csat/{token}", response_model=CsatRead)
def answer_csat(token: Token, body: CsatAnswer, db: DbDep) -> CsatRead:
    """The customer's satisfaction score, once per ticket (no key: the token is the secret)."""
    with db.transaction() as session:
        survey = service.answer_csat(
            session=session, token=token, score=body.score, comment=body.comment
        )
        assert survey.answered_at is not None and survey.score is not None
        return CsatRead(
            ticket=ticket_reference(survey.ticket_id),
            score=survey.score,
            answered_at=survey.answered_at,
        )


@router.post("/api/v1/care/classify", response_model=ClassifyRead)
def classify_text(body: ClassificationCreate, db: DbDep, _: Agent) -> ClassifyRead:
    """The intent of a message with the model in use, and the queue it would be routed to."""
    with db.reader() as session:
        r = classify.route(session=session, text=body.text)
    return ClassifyRead(
        intent=r.intent,
        best_guess=r.best_guess,
        confidence=r.confidence,
        routed=r.routed,
        category=r.category,
    )


@router.get("/api/v1/care/stats", response_model=StatsRead)
def service_stats(
    db: DbDep,
    _: Agent,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> StatsRead:
    """First-response and resolution times, CSAT and SLA breaches per agent and category, over
    the tickets opened in ``[from, to)``."""
    with db.reader() as session:
        result = stats.service_stats(
            session=session,
            start=clock.as_utc(start) if start else None,
            end=clock.as_utc(end) if end else None,
        )
    return StatsRead(
        tickets=result.tickets,
        overall=GroupStatsRead.model_validate(result.overall, from_attributes=True)
        if result.overall
        else None,
        by_agent=[GroupStatsRead.model_validate(g, from_attributes=True) for g in result.by_agent],
        by_category=[
            GroupStatsRead.model_validate(g, from_attributes=True) for g in result.by_category
        ],
        sla_breaches=result.sla.breaches,
        sla_warnings=result.sla.warnings,
        first_response={k.value: v for k, v in result.sla.first_response.items()},
        resolution={k.value: v for k, v in result.sla.resolution.items()},
    )


Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]


@router.get("/api/v1/care/sla-policy")
def get_sla_policy(db: DbDep, _: Agent) -> dict[str, Any]:
    """The SLA policy in force: business-hour targets per priority and category."""
    with db.reader() as session:
        return policy_document(service.sla_policy(session=session))


@router.put("/api/v1/care/sla-policy")
def put_sla_policy(
    db: DbDep, who: Operator, document: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Replace the SLA policy (the document ``GET`` returns); every open ticket's clocks follow
    it at once. A bad document is refused with each bad field named."""
    with db.transaction() as session:
        policy = service.set_sla_policy(session=session, document=document, actor=who.actor)
        return policy_document(policy)


# --- knowledge base and shop policy of the FAQ assistant --------------------------------------


def article_read(a: CareArticle) -> ArticleRead:
    """Return the response model of a knowledge-base article."""
    return ArticleRead(
        id=a.id,
        slug=a.slug,
        language=a.language,
        intent=a.intent,
        question=a.question,
        alternates=list(a.alternates or []),
        answer=a.answer,
        active=a.active,
        updated_by=a.updated_by,
        updated_at=a.updated_at,
    )


@router.get("/api/v1/care/articles", response_model=list[ArticleRead])
def list_articles(
    db: DbDep,
    _: Agent,
    language: Annotated[str | None, Query(max_length=2)] = None,
    intent: Annotated[str | None, Query(max_length=60)] = None,
) -> list[ArticleRead]:
    """The assistant's knowledge base, by slug then language."""
    with db.reader() as session:
        rows = knowledge.list_articles(session=session, language=language, intent=intent)
        return [article_read(a) for a in rows]


@router.get("/api/v1/care/articles/{article_id}", response_model=ArticleRead)
def get_article(article_id: IdPath, db: DbDep, _: Agent) -> ArticleRead:
    """One article."""
    with db.reader() as session:
        return article_read(knowledge.get_article(session=session, article_id=article_id))


@router.post(
    "/api/v1/care/articles", status_code=status.HTTP_201_CREATED, response_model=ArticleRead
)
def create_article(body: ArticleCreate, db: DbDep, who: Agent) -> ArticleRead:
    """Add an article (agents and operators); the assistant uses it at once."""
    with db.transaction() as session:
        article = knowledge.create_article(session=session, **body.model_dump(), actor=who.actor)
        return article_read(article)


@router.patch("/api/v1/care/articles/{article_id}", response_model=ArticleRead)
def update_article(article_id: IdPath, body: ArticleUpdate, db: DbDep, who: Agent) -> ArticleRead:
    """Change an article's question, answer, intent, wordings or whether it is used."""
    with db.transaction() as session:
        article = knowledge.update_article(
            session=session,
            article_id=article_id,
            actor=who.actor,
            **body.model_dump(exclude_unset=True),
        )
        return article_read(article)


@router.delete("/api/v1/care/articles/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_article(article_id: IdPath, db: DbDep, _: Operator) -> None:
    """Delete an article (operators and admins; agents deactivate instead)."""
    with db.transaction() as session:
        knowledge.delete_article(session=session, article_id=article_id)


@router.get("/api/v1/care/shop-policy")
def get_shop_policy(db: DbDep, _: Agent) -> dict[str, Any]:
    """What the assistant says of payment methods, instalments and delivery options."""
    with db.reader() as session:
        return knowledge.load_shop_policy(session=session).document()


@router.put("/api/v1/care/shop-policy")
def put_shop_policy(
    db: DbDep, who: Operator, document: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Replace the shop policy (the document ``GET`` returns); bad fields are named."""
    with db.transaction() as session:
        return knowledge.save_shop_policy(
            session=session, document=document, actor=who.actor
        ).document()
