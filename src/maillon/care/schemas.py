"""After-sales request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "waiting_on_customer", "resolved", "closed"]
CategoryStr = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]


class TicketCreate(StrictModel):
    """A new ticket (an agent typing a phone call, a form, another system)."""

    email: str = Field(max_length=320)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    order: str | None = Field(default=None, max_length=20)
    shipment_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    return_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    priority: Priority = "normal"
    category: CategoryStr | None = None
    channel: Literal["api", "email", "portal", "phone"] = "api"
    language: Literal["fr", "en"] | None = None


class ReplyCreate(StrictModel):
    """An agent's answer (e-mailed to the customer) or, with ``internal``, a note."""

    body: str = Field(min_length=1, max_length=20_000)
    internal: bool = False


class NoteCreate(StrictModel):
    """An internal note, never sent to the customer."""

    body: str = Field(min_length=1, max_length=20_000)


class TicketUpdate(StrictModel):
    """What an agent may change on a ticket; an intent set here labels it for retraining."""

    status: Status | None = None
    priority: Priority | None = None
    category: CategoryStr | None = None
    intent: str | None = Field(default=None, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")


class AssignmentUpdate(StrictModel):
    """Assign to a named agent, or let Maillon choose (round-robin, optionally by skill)."""

    agent: str | None = Field(default=None, min_length=1, max_length=120)
    strategy: Literal["round_robin", "skill"] = "round_robin"


class AgentCreate(StrictModel):
    """A new agent; skills are ticket categories."""

    name: str = Field(min_length=1, max_length=120)
    email: str = Field(default="", max_length=320)
    skills: list[CategoryStr] = Field(default_factory=list, max_length=20)


class AgentUpdate(StrictModel):
    """Change an agent's skills or take them off assignment."""

    skills: list[CategoryStr] | None = Field(default=None, max_length=20)
    active: bool | None = None


class AgentRead(BaseModel):
    """An agent."""

    id: int
    name: str
    email: str
    skills: list[str]
    active: bool
    last_assigned_at: datetime | None


class ClockRead(BaseModel):
    """One SLA clock (business time in minutes)."""

    status: str
    due_at: datetime
    target_minutes: int
    elapsed_minutes: int
    paused_minutes: int
    remaining_minutes: int
    is_paused: bool


class SlaRead(BaseModel):
    """Both SLA clocks of a ticket, with a summary for the inbox."""

    first_response: ClockRead | None
    resolution: ClockRead | None
    breaches: int
    warning: bool
    next_due_at: datetime | None


class MessageRead(BaseModel):
    """A message on a ticket."""

    kind: str
    author: str
    body: str
    internal: bool
    at: datetime


class EventRead(BaseModel):
    """One change in a ticket's history."""

    at: datetime
    actor: str
    kind: str
    old: str
    new: str
    note: str


class TicketSummary(BaseModel):
    """A ticket as listed in the inbox."""

    id: int
    reference: str
    email: str
    customer_id: int | None
    order: str | None
    shipment_id: int | None
    return_id: int | None
    subject: str
    category: str
    priority: str
    status: str
    channel: str
    language: str
    assignee: str | None
    intent: str | None
    intent_confidence: float | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: SlaRead


class TicketRead(TicketSummary):
    """A ticket with its messages (notes included) and full history."""

    messages: list[MessageRead]
    history: list[EventRead]


class SuggestionRead(BaseModel):
    """The grounded reply to the ticket's intent: built from its order's, shipments' and
    returns' actual state; ``claims`` lists each fact it states (``order.status=delivered``);
    ``missing`` stays empty (no placeholder is ever shown)."""

    intent: str
    language: str
    subject: str
    body: str
    missing: list[str]
    claims: list[str] = []


class InboundEmail(StrictModel):
    """An inbound e-mail as posted by the mail provider's webhook."""

    from_: str = Field(alias="from", min_length=3, max_length=400)
    subject: str = Field(default="", max_length=998)
    text: str = Field(min_length=1, max_length=100_000)
    in_reply_to: str | None = Field(default=None, max_length=250)
    message_id: str | None = Field(default=None, min_length=1, max_length=250)


class InboundRead(BaseModel):
    """What the inbound e-mail did."""

    ticket: int
    reference: str
    threaded: bool
    duplicate: bool
    order: str | None
    status: str


class AssistantQuestion(StrictModel):
    """A customer's question to the FAQ assistant."""

    question: str = Field(min_length=1, max_length=2_000)
    language: Literal["fr", "en"] | None = None
    order_number: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=320)


class AssistantReply(BaseModel):
    """The assistant's answer."""

    answer: str
    language: str
    confidence: float
    sources: list[dict[str, Any]]
    handover: bool
    ticket: str | None
    kind: str


class CsatAnswer(StrictModel):
    """The customer's satisfaction score."""

    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2_000)


class CsatRead(BaseModel):
    """A recorded survey answer."""

    ticket: str
    score: int
    answered_at: datetime


class ClassificationCreate(StrictModel):
    """A message to classify."""

    text: str = Field(min_length=1, max_length=20_000)


class ClassifyRead(BaseModel):
    """The intent of a message (``other`` when unsure: a person triages it), the classifier's
    best guess and its probability, and the queue it would be routed to."""

    intent: str
    best_guess: str
    confidence: float
    routed: bool
    category: str


class GroupStatsRead(BaseModel):
    """Service figures of one agent or category (times in business hours)."""

    key: str
    tickets: int
    answered: int
    resolved: int
    first_response_median_h: float | None
    first_response_mean_h: float | None
    resolution_median_h: float | None
    resolution_mean_h: float | None
    csat_responses: int
    csat_average: float | None
    csat_satisfied_pct: float | None
    breaches: int


class StatsRead(BaseModel):
    """Service figures over the tickets opened in a period."""

    tickets: int
    hours: str = "business hours (Mon-Fri 09:00-18:00 Europe/Paris, French holidays)"
    overall: GroupStatsRead | None
    by_agent: list[GroupStatsRead]
    by_category: list[GroupStatsRead]
    sla_breaches: int
    sla_warnings: int
    first_response: dict[str, int]
    resolution: dict[str, int]


class ArticleCreate(StrictModel):
    """A knowledge-base article in one language (``slug`` is shared by its translations).
    The answer may hold policy tokens: ``{return_costs}``, ``{return_window}``,
    ``{delivery_times}``, ``{payment_methods}``."""

    slug: str = Field(min_length=1, max_length=80)
    language: str = Field(min_length=2, max_length=2)
    question: str = Field(min_length=1, max_length=300)
    answer: str = Field(min_length=1, max_length=20_000)
    intent: str = Field(default="other", max_length=60)
    alternates: list[str] = Field(default_factory=list, max_length=30)
    active: bool = True


class ArticleUpdate(StrictModel):
    """What may change on an article (the fields given)."""

    question: str | None = Field(default=None, min_length=1, max_length=300)
    answer: str | None = Field(default=None, min_length=1, max_length=20_000)
    intent: str | None = Field(default=None, max_length=60)
    alternates: list[str] | None = Field(default=None, max_length=30)
    active: bool | None = None


class ArticleRead(BaseModel):
    """A knowledge-base article."""

    id: int
    slug: str
    language: str
    intent: str
    question: str
    alternates: list[str]
    answer: str
    active: bool
    updated_by: str
    updated_at: datetime
