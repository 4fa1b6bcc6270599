"""After-sales rules (pure): ticket workflow, intent routing, inbound parsing, assignment, stats.

* Workflow: a ticket is ``new`` until an agent touches it, ``open`` while the desk owes an
  answer, ``waiting_on_customer`` after a public reply (the SLA clocks stand still, see
  :mod:`maillon.care.sla`), ``resolved`` when the agent says it is solved (a CSAT survey goes
  out), ``closed`` at the end. :data:`TRANSITIONS` says which moves are allowed; a customer
  message reopens a waiting or resolved ticket (:func:`status_after_customer_message`).
* Intents: :class:`Intent` is the e-commerce label set of the classifier (French and English),
  ``other`` when unsure; each maps onto a queue (:data:`INTENT_CATEGORY`) and, but ``other``,
  onto a grounded reply (:data:`INTENT_TEMPLATE`); the labels of the former Bitext set map onto
  the new ones (:data:`OLD_INTENTS`).
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
    "INTENTS",
    "INTENT_CATEGORY",
    "INTENT_TEMPLATE",
    "OLD_INTENTS",
    "PRIORITIES",
    "STATUSES",
    "TRANSITIONS",
    "AgentCandidate",
    "GroupStats",
    "Intent",
    "TicketFacts",
    "TicketStatus",
    "can_transition",
    "category_of_intent",
    "find_order_numbers",
    "find_ticket_reference",
    "intent_of_label",
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


class Intent(StrEnum):
    """What an e-merchant's customer writes about (the classifier's labels, French and
    English). ``other`` is what the classifier says when it is unsure: such a message goes to
    the human triage queue (``other``), never to a specialised one."""

    TRACK_ORDER = "track_order"
    DAMAGED_ITEM = "damaged_item"
    MISSING_OR_WRONG_ITEM = "missing_or_wrong_item"
    RETURN_ITEM = "return_item"
    REFUND_STATUS = "refund_status"
    CANCEL_ORDER = "cancel_order"
    CHANGE_ORDER = "change_order"
    CHANGE_SHIPPING_ADDRESS = "change_shipping_address"
    DELIVERY_OPTIONS = "delivery_options"
    INVOICE = "invoice"
    PAYMENT = "payment"
    ACCOUNT = "account"
    CONTACT_HUMAN_AGENT = "contact_human_agent"
    OTHER = "other"


INTENTS: tuple[str, ...] = tuple(Intent)
"""Every intent label, ``other`` last."""

_I = Intent
INTENT_CATEGORY: dict[str, str] = {
    _I.TRACK_ORDER: "delivery",
    _I.DELIVERY_OPTIONS: "delivery",
    _I.CHANGE_SHIPPING_ADDRESS: "delivery",
    _I.DAMAGED_ITEM: "returns",
    _I.MISSING_OR_WRONG_ITEM: "returns",
    _I.RETURN_ITEM: "returns",
    _I.REFUND_STATUS: "refund",
    _I.INVOICE: "payment",
    _I.PAYMENT: "payment",
    _I.CANCEL_ORDER: "order",
    _I.CHANGE_ORDER: "order",
    _I.ACCOUNT: "account",
    _I.CONTACT_HUMAN_AGENT: "other",
    _I.OTHER: "other",
}
"""Queue (category: SLA targets and agent skills) of each intent; ``other`` is the human triage
queue, where unsure messages and requests for a person land."""

OLD_INTENTS: dict[str, str] = {
    "delivery_period": "delivery_options",
    "set_up_shipping_address": "change_shipping_address",
    "check_refund_policy": "return_item",
    "get_refund": "refund_status",
    "track_refund": "refund_status",
    "check_invoice": "invoice",
    "get_invoice": "invoice",
    "check_payment_methods": "payment",
    "payment_issue": "payment",
    "check_cancellation_fee": "cancel_order",
    "place_order": "other",
    "create_account": "account",
    "delete_account": "account",
    "edit_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "switch_account": "account",
    "newsletter_subscription": "account",
    "complaint": "other",
    "review": "other",
    "contact_customer_service": "contact_human_agent",
}
"""The labels of the previous (Bitext) intent set and the intent each one became (migration
0036 rewrote the stored tickets with it; :func:`intent_of_label` reads old labels the same)."""

INTENT_TEMPLATE: dict[str, str] = {i.value: i.value for i in Intent if i is not Intent.OTHER}
"""Reply (:mod:`maillon.care.grounded`) answering an intent: every intent but ``other``."""


def intent_of_label(label: str | None) -> str:
    """Return the intent a stored or given label means (old Bitext labels are mapped; an unknown
    or empty one is ``other``)."""
    value = (label or "").strip()
    if value in INTENTS:
        return value
    return OLD_INTENTS.get(value, Intent.OTHER.value)


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
    return INTENT_CATEGORY.get(intent_of_label(intent), "other")


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
