"""After-sales rules (pure): ticket workflow, intent routing, inbound parsing, assignment, stats.

* Workflow: a ticket is ``new`` until an agent touches it, ``open`` while the desk owes an
  answer, ``waiting_on_customer`` after a public reply (the SLA clocks stand still, see
  :mod:`maillon.care.sla`), ``resolved`` when the agent says it is solved (a CSAT survey goes
  out), ``closed`` at the end. :data:`TRANSITIONS` says which moves are allowed; a customer
  message reopens a waiting or resolved ticket (:func:`status_after_customer_message`).
* Intent routing: the classifier's intents (the Bitext customer-service set, plus any the
  merchant labels) map onto a queue (:data:`INTENT_CATEGORY`) and, for some, onto a reply
  template of :mod:`maillon.care.templates` (:data:`INTENT_TEMPLATE`).
* Inbound e-mail: :func:`parse_sender`, :func:`find_order_numbers` and
  :func:`find_ticket_reference` read the payload of a mail webhook.
* Assignment: :func:`pick_agent` chooses an agent round-robin (the least recently assigned
  active agent), optionally among those with a skill.
* Stats: :func:`summarise` turns per-ticket facts into first-response / resolution times,
  CSAT and breach counts per group (agent or category).

Pure: stdlib only.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from enum import StrEnum

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "INTENT_CATEGORY",
    "INTENT_TEMPLATE",
    "PRIORITIES",
    "STATUSES",
    "TRANSITIONS",
    "AgentCandidate",
    "GroupStats",
    "TicketFacts",
    "TicketStatus",
    "can_transition",
    "category_of_intent",
    "find_order_numbers",
    "find_ticket_reference",
    "parse_sender",
    "pick_agent",
    "status_after_customer_message",
    "summarise",
    "ticket_reference",
]


class TicketStatus(StrEnum):
    """Where a ticket is, in workflow order."""

    NEW = "new"  # nobody has looked at it yet
    OPEN = "open"  # an agent is on it
    WAITING_ON_CUSTOMER = "waiting_on_customer"  # answered; its SLA clocks pause
    RESOLVED = "resolved"  # answered for good; the customer may still reopen it
    CLOSED = "closed"  # final: a later message opens a new ticket


ACTIVE = "active"
"""The inbox filter for every ticket not resolved or closed yet (not a status itself)."""

STATUSES: tuple[str, ...] = tuple(TicketStatus)
"""Ticket statuses, in workflow order."""

_S = TicketStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    _S.NEW: frozenset({_S.OPEN, _S.WAITING_ON_CUSTOMER, _S.RESOLVED, _S.CLOSED}),
    _S.OPEN: frozenset({_S.WAITING_ON_CUSTOMER, _S.RESOLVED, _S.CLOSED}),
    _S.WAITING_ON_CUSTOMER: frozenset({_S.OPEN, _S.RESOLVED, _S.CLOSED}),
    _S.RESOLVED: frozenset({_S.OPEN, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}
"""Allowed status changes (``closed`` is final: a later message opens a new ticket)."""

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
"""Ticket priorities, lowest first."""

CHANNELS: tuple[str, ...] = ("api", "email", "portal", "proactive", "assistant", "phone")
"""Where a ticket came from."""

CATEGORIES: tuple[str, ...] = (
    "delivery",
    "returns",
    "refund",
    "payment",
    "order",
    "account",
    "product",
    "complaint",
    "other",
)
"""Ticket categories; each is also a queue and an agent skill."""

INTENT_CATEGORY: dict[str, str] = {
    "track_order": "delivery",
    "delivery_options": "delivery",
    "delivery_period": "delivery",
    "change_shipping_address": "delivery",
    "set_up_shipping_address": "delivery",
    "check_refund_policy": "returns",
    "get_refund": "refund",
    "track_refund": "refund",
    "check_invoice": "payment",
    "get_invoice": "payment",
    "check_payment_methods": "payment",
    "payment_issue": "payment",
    "cancel_order": "order",
    "change_order": "order",
    "place_order": "order",
    "check_cancellation_fee": "order",
    "create_account": "account",
    "delete_account": "account",
    "edit_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "switch_account": "account",
    "newsletter_subscription": "account",
    "complaint": "complaint",
    "review": "other",
    "contact_customer_service": "other",
    "contact_human_agent": "other",
}
"""Queue (category) of each known intent; unknown intents go to ``other``."""

INTENT_TEMPLATE: dict[str, str] = {
    "track_order": "where_is_my_order",
    "get_refund": "return_request",
    "check_refund_policy": "return_request",
    "track_refund": "refund_status",
    "change_shipping_address": "change_address",
    "cancel_order": "cancel_order",
}
"""Reply template (:data:`maillon.care.templates.INTENTS`) answering an intent, where one fits."""


def can_transition(current: str, target: str) -> bool:
    """Return whether a ticket may go from status ``current`` to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def status_after_customer_message(current: str) -> str:
    """Return the status of a ticket after the customer wrote again.

    A ticket waiting on the customer or resolved is open again; ``new`` and ``open`` stay.
    Raises ValueError for a closed ticket (a new message opens a new ticket) or an unknown one.
    """
    if current in (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED):
        return TicketStatus.OPEN.value
    if current in (TicketStatus.NEW, TicketStatus.OPEN):
        return current
    raise ValueError(f"status = {current!r}: a customer message cannot reopen it.")


def category_of_intent(intent: str | None) -> str:
    """Return the queue of ``intent`` (``other`` for none or an unknown intent)."""
    return INTENT_CATEGORY.get(intent or "", "other")


def ticket_reference(ticket_id: int) -> str:
    """Return the reference customers see in subjects: ``T123``."""
    return f"T{ticket_id}"


_TICKET_REF = re.compile(
    r"\[\s*T-?(\d{1,9})\s*\]|\bticket\s*(?:#|no\.?|n°)?\s*T?-?(\d{1,9})\b", re.I
)
_BARE_REF = re.compile(r"^\s*(?:T-?)?(\d{1,9})\s*$", re.I)
_ORDER_NUMBER = re.compile(r"\bM\d{7}\b", re.I)


def find_ticket_reference(*texts: str | None) -> int | None:
    """Return the ticket id named in the first text that names one, else None.

    Recognises ``[T123]`` (what Maillon puts in reply subjects), ``ticket #123`` and, for a
    text that is only a reference (an ``in_reply_to`` field), ``T123`` or ``123``.
    """
    for text in texts:
        if not text:
            continue
        bare = _BARE_REF.match(text)
        if bare:
            return int(bare.group(1))
        match = _TICKET_REF.search(text)
        if match:
            return int(match.group(1) or match.group(2))
    return None


def find_order_numbers(text: str) -> list[str]:
    """Return the order numbers (``M0000042``) found in ``text``, upper-cased, first seen first."""
    seen: dict[str, None] = {}
    for match in _ORDER_NUMBER.finditer(text or ""):
        seen[match.group(0).upper()] = None
    return list(seen)


def parse_sender(value: str) -> tuple[str, str]:
    """Return ``(display name, address)`` of a From header (``"Camille <c@x.fr>"``).

    The address is lower-cased; either part may be empty when absent.
    """
    name, address = parseaddr(value or "")
    return name.strip(), address.strip().lower()


@dataclass(frozen=True, slots=True)
class AgentCandidate:
    """An agent as seen by :func:`pick_agent`."""

    id: int
    skills: frozenset[str]
    active: bool
    last_assigned_at: datetime | None


def pick_agent(
    agents: Iterable[AgentCandidate], *, skill: str | None = None
) -> AgentCandidate | None:
    """Return the next agent, round-robin: the active one assigned least recently.

    Never-assigned agents come first, ties go to the lowest id. With ``skill``, only agents
    holding it are considered; returns None when no active agent qualifies.
    """
    eligible = [a for a in agents if a.active and (skill is None or skill in a.skills)]
    if not eligible:
        return None

    def key(agent: AgentCandidate) -> tuple[int, float, int]:
        last = agent.last_assigned_at
        return (0 if last is None else 1, last.timestamp() if last else 0.0, agent.id)

    return min(eligible, key=key)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the stats need of one ticket (times in hours; None when not reached)."""

    agent: str
    category: str
    first_response_h: float | None
    resolution_h: float | None
    csat: int | None
    breaches: int


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Service figures of one group of tickets (an agent or a category)."""

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


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def summarise(facts: Iterable[TicketFacts], *, by: str) -> list[GroupStats]:
    """Return one :class:`GroupStats` per value of ``by`` (``"agent"`` or ``"category"``).

    CSAT satisfied share counts scores 4 and 5 (the usual CSAT definition). Groups are sorted
    by key. Raises ValueError for another ``by``.
    """
    if by not in ("agent", "category"):
        raise ValueError(f"by = {by!r} not understood; use 'agent' or 'category'.")
    groups: dict[str, list[TicketFacts]] = {}
    for fact in facts:
        groups.setdefault(getattr(fact, by), []).append(fact)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        first = [r.first_response_h for r in rows if r.first_response_h is not None]
        resolution = [r.resolution_h for r in rows if r.resolution_h is not None]
        scores = [r.csat for r in rows if r.csat is not None]
        satisfied = sum(s >= 4 for s in scores)
        out.append(
            GroupStats(
                key=key,
                tickets=len(rows),
                answered=len(first),
                resolved=len(resolution),
                first_response_median_h=_median(first),
                first_response_mean_h=_mean(first),
                resolution_median_h=_median(resolution),
                resolution_mean_h=_mean(resolution),
                csat_responses=len(scores),
                csat_average=_mean([float(s) for s in scores]),
                csat_satisfied_pct=round(100 * satisfied / len(scores), 1) if scores else None,
                breaches=sum(r.breaches for r in rows),
            )
        )
    return out
