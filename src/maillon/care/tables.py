"""After-sales tables: tickets, their messages and history, agents, CSAT surveys, intent models,
the FAQ knowledge base and the shop policy the assistant answers from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.core.db import Base, UtcDateTime


class CareAgent(Base):
    """A customer-service agent tickets can be assigned to (skills are ticket categories)."""

    __tablename__ = "care_agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Ticket(Base):
    """A customer claim or question, linked to what it is about (customer, order, shipment,
    return). Customer, shipment and return ids are plain integers (other packages' tables)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_email: Mapped[str] = mapped_column(String(320), index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    shipment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    return_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), default="other")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    # new, open, waiting_on_customer, resolved, closed (see care.model.TRANSITIONS)
    status: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="api")
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_agents.id"), nullable=True, index=True
    )
    intent: Mapped[str | None] = mapped_column(String(60), nullable=True)
    intent_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    # True when an agent set the intent (training data for ``maillon care retrain``)
    intent_labelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # what opened a proactive ticket ("shipment.delayed:12"): one ticket per source event
    source_key: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # when the SLA check saw each clock near its target, then past it (once each)
    first_response_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    first_response_breached_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), nullable=True
    )
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    messages: Mapped[list[TicketMessage]] = relationship(
        order_by="TicketMessage.id", lazy="selectin"
    )
    events: Mapped[list[TicketEvent]] = relationship(order_by="TicketEvent.id", lazy="selectin")
    assignee: Mapped[CareAgent | None] = relationship(lazy="joined")


class TicketMessage(Base):
    """One message on a ticket: ``customer`` (inbound), ``reply`` (sent to the customer),
    ``note`` (internal, never sent) or ``system`` (proactive notice text)."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(10), default="customer", server_default="customer")
    # the e-mail Message-ID of an inbound message: a webhook retry is recognised
    external_id: Mapped[str | None] = mapped_column(String(250), nullable=True, unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class TicketEvent(Base):
    """One change in a ticket's life (status, priority, category, assignee, intent, CSAT...).

    Status events are the SLA clocks' pauses: ``kind == "status"``, ``new`` the status entered.
    """

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    old: Mapped[str] = mapped_column(String(120), default="")
    new: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(String(300), default="")


class CsatSurvey(Base):
    """The satisfaction survey sent when a ticket is resolved; answered once, by token."""

    __tablename__ = "csat_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str] = mapped_column(String(2000), default="")


class IntentModelRecord(Base):
    """An intent model retrained on the merchant's labelled tickets (joblib bytes).

    The newest row is the model in use; without any, the packaged sample is trained on.
    Only Maillon writes this table: the bytes are a pickle, load nothing from elsewhere.
    """

    __tablename__ = "care_intent_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    examples: Mapped[int] = mapped_column(Integer)
    merchant_examples: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    intents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    model: Mapped[bytes] = mapped_column(LargeBinary)


class CareSettings(Base):
    """The merchant's care settings document (one row, id 1): the SLA policy."""

    __tablename__ = "care_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CareArticle(Base):
    """An article of the FAQ assistant's knowledge base, in one language: the question it
    answers (and other wordings of it), the answer (which may hold policy tokens such as
    ``{return_costs}``, see :mod:`maillon.care.shop_policy`) and the intent it serves.
    ``slug`` is shared by the translations of one article."""

    __tablename__ = "care_articles"
    __table_args__ = (UniqueConstraint("slug", "language", name="uq_care_articles_slug_language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(2))
    intent: Mapped[str] = mapped_column(String(60), default="other")
    question: Mapped[str] = mapped_column(String(300))
    alternates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ShopPolicyRow(Base):
    """The shop's policy document the assistant answers from (one row, id 1): payment
    methods, instalments, delivery options (:mod:`maillon.care.shop_policy`)."""

    __tablename__ = "care_shop_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
