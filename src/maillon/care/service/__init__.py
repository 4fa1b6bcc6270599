"""After-sales use cases: tickets from every channel, workflow, SLA clocks, assignment, replies
and notes, suggested replies, inbound e-mail, proactive tickets, CSAT and service stats.

Every function takes the caller's ``session`` (one transaction per use case); messages to the
customer go through the outbox in that transaction. The SLA clocks are computed on read from the
ticket's status history (:mod:`maillon.care.sla`); the intent model lives in
:mod:`maillon.care.service.classify`, the FAQ assistant in :mod:`maillon.care.service.assistant`.

One concept per module: :mod:`.history` (events, messages, the status machine),
:mod:`.clocks` (SLA policy and clocks), :mod:`.agents` (agents and assignment),
:mod:`.tickets` (opening, the inbox, replies, changes), :mod:`.inbound` (e-mail and
proactive tickets) and :mod:`.csat`. Import the use cases from here.
"""

from __future__ import annotations

from maillon.care.service.agents import add_agent, assign, list_agents, update_agent
from maillon.care.service.clocks import CALENDAR, POLICY, set_sla_policy, sla_policy, ticket_sla
from maillon.care.service.csat import answer_csat, csat_survey
from maillon.care.service.history import get_ticket
from maillon.care.service.inbound import (
    SYSTEM,
    Inbound,
    on_return_requested,
    on_shipment_delayed,
    receive_email,
)
from maillon.care.service.tickets import (
    add_note,
    close_ticket,
    list_tickets,
    open_ticket,
    reply,
    update_ticket,
)

__all__ = [
    "CALENDAR",
    "POLICY",
    "SYSTEM",
    "Inbound",
    "add_agent",
    "add_note",
    "answer_csat",
    "assign",
    "close_ticket",
    "csat_survey",
    "get_ticket",
    "list_agents",
    "list_tickets",
    "on_return_requested",
    "on_shipment_delayed",
    "open_ticket",
    "receive_email",
    "reply",
    "set_sla_policy",
    "sla_policy",
    "ticket_sla",
    "update_agent",
    "update_ticket",
]
