"""The FAQ assistant: answers customers' questions in French and English from the editable
knowledge base (``care_articles``, :mod:`maillon.care.service.knowledge`) and the configured
policies (return costs and window from the return settings, payment methods and delivery times
from the shop policy: the articles' ``{tokens}``, :mod:`maillon.care.shop_policy`) and, for
"where is my order?", from live tracking data. It hands over to a person when asked ("I want to
speak to a human", "je veux parler à quelqu'un": the intent classifier's
``contact_human_agent``) or unsure (a ticket when the customer left an e-mail), and cites the
article it used.

The question's intent (:mod:`maillon.care.service.classify`) makes articles serving it
preferred, so "Payer en 3 fois ?" is answered from a payment article, not a return one.
Retrieval only (:mod:`maillon.care.faq`): nothing is downloaded, it runs offline. Live order
data is given only when the e-mail matches the order's customer; the refusal is the same for an
unknown order and a wrong e-mail, so the assistant cannot be used to probe orders.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from maillon.care import service, shop_policy
from maillon.care.faq import LIVE_TRACK_ORDER, FaqEntry, FaqIndex, detect_language
from maillon.care.model import Intent
from maillon.care.service import classify, knowledge
from maillon.core import clock
from maillon.core.errors import ErrorCollector
from maillon.orders.model import OrderStatus, parse_order_number
from maillon.orders.tables import Order
from maillon.orders.validation import normalise_email
from maillon.returns.service.settings import load_settings
from maillon.shipping import service as shipping

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class AssistantAnswer:
    """The assistant's answer: text, confidence in [0, 1], where it comes from, and whether a
    human takes over (``ticket_id`` when a ticket was opened for it)."""

    answer: str
    language: str
    confidence: float
    sources: list[dict[str, Any]] = field(default_factory=list)
    handover: bool = False
    ticket_id: int | None = None
    kind: str = "faq"  # faq, live, needs_details, refused, handover


_indexes: dict[tuple[FaqEntry, ...], FaqIndex] = {}
_lock = threading.Lock()


def _index(session: Session) -> FaqIndex | None:
    """The index of the active articles, their policy tokens filled (rebuilt when an article
    or a policy changes), None when there is none."""
    returns = load_settings(session=session).policy
    shop = knowledge.load_shop_policy(session=session)
    entries = tuple(
        replace(e, answer=shop_policy.fill(e.answer, e.lang, returns=returns, shop=shop))
        for e in knowledge.faq_entries(session=session)
    )
    if not entries:
        return None
    with _lock:
        index = _indexes.get(entries)
        if index is None:
            index = FaqIndex.build(entries)
            _indexes.clear()
            _indexes[entries] = index
        return index


def _sibling(index: FaqIndex, entry: FaqEntry, language: str) -> FaqEntry:
    """Return the same article in ``language`` (ids end in ``-en`` / ``-fr``), else ``entry``."""
    if entry.lang == language:
        return entry
    stem = entry.id.rsplit("-", 1)[0]
    for other in index.entries:
        if other.id == f"{stem}-{language}":
            return other
    return entry


_TEXT = {
    "needs_details": {
        "fr": "Pour vous donner le statut de votre commande, indiquez son numéro (par exemple "
        "M0001234) et l'adresse e-mail utilisée pour la commander.",
        "en": "To give you your order's status, tell me its number (for example M0001234) "
        "and the e-mail address you ordered with.",
    },
    "refused": {
        "fr": "Je ne trouve pas de commande avec ce numéro pour cette adresse e-mail. "
        "Vérifiez les deux, ou écrivez-nous : un conseiller vous répondra.",
        "en": "I cannot find an order with this number for this e-mail address. Check both, "
        "or write to us and an agent will answer.",
    },
    "handover_ticket": {
        "fr": "Je transmets votre question à un conseiller, qui vous répondra par e-mail "
        "(demande {ref}).",
        "en": "I am passing your question to an agent, who will answer you by e-mail "
        "(request {ref}).",
    },
    "asked_for_person": {
        "fr": "Bien sûr : un conseiller va reprendre votre demande. Laissez-nous votre adresse "
        "e-mail et il vous répondra.",
        "en": "Of course: an agent will take over. Leave us your e-mail address and they will "
        "answer you.",
    },
    "handover_email": {
        "fr": "Je ne suis pas sûr de la réponse. Laissez-nous votre adresse e-mail et un "
        "conseiller vous répondra.",
        "en": "I am not sure of the answer. Leave us your e-mail address and an agent will "
        "answer you.",
    },
}

_STATUS = {
    "confirmed": ("est confirmée", "is confirmed"),
    "allocated": ("est en préparation", "is being prepared"),
    "backordered": (
        "attend le réassort d'un article",
        "is waiting for an item to be restocked",
    ),
    "picking": ("est en préparation", "is being prepared"),
    "packed": ("est emballée et part bientôt", "is packed and leaves soon"),
    "shipped": ("est en route", "is on its way"),
    "delivered": ("a été livrée", "was delivered"),
    "cancelled": ("est annulée", "is cancelled"),
}

_PARCEL = {
    "label_created": ("étiquette créée", "label created"),
    "picked_up": ("pris en charge par le transporteur", "picked up by the carrier"),
    "in_transit": ("en transit", "in transit"),
    "out_for_delivery": ("en cours de livraison", "out for delivery"),
    "delivered": ("livré", "delivered"),
    "exception": ("incident de livraison", "delivery problem"),
    "returned": ("retourné", "returned"),
}


def _live_answer(session: Session, order: Order, language: str) -> tuple[str, list[dict[str, Any]]]:
    """The order's status and each parcel's latest tracking status, in ``language``."""
    fr = language == "fr"
    phrase = _STATUS.get(order.status, (order.status, order.status))[0 if fr else 1]
    lines = [
        f"Votre commande {order.number} {phrase}." if fr else f"Your order {order.number} {phrase}."
    ]
    sources: list[dict[str, Any]] = [
        {"type": "order", "order": order.number, "status": order.status}
    ]
    shipments = [s for s in shipping.shipments_of(session=session, order=order) if s.carrier]
    events = shipping.tracking_events_of(session=session, shipments=shipments)
    latest = {e.parcel_id: e for e in events}  # events come by time: the last one wins
    for shipment in shipments:
        assert shipment.carrier is not None
        for parcel in shipment.parcels:
            status = _PARCEL.get(parcel.status, (parcel.status, parcel.status))[0 if fr else 1]
            event = latest.get(parcel.id)
            where = f" ({event.location})" if event is not None and event.location else ""
            when = (
                f", {clock.as_utc(event.occurred_at):%d/%m/%Y %H:%M} UTC"
                if event is not None
                else ""
            )
            label = "Colis" if fr else "Parcel"
            colon = " :" if fr else ":"
            carrier = shipment.carrier.name
            lines.append(
                f"{label} {parcel.tracking_number} ({carrier}){colon} {status}{where}{when}."
            )
            sources.append(
                {
                    "type": "tracking",
                    "tracking_number": parcel.tracking_number,
                    "carrier": shipment.carrier.code,
                    "status": parcel.status,
                }
            )
    if order.promised_at is not None and order.status not in (
        OrderStatus.DELIVERED,
        OrderStatus.CANCELLED,
    ):
        day = f"{clock.as_utc(order.promised_at):%d/%m/%Y}"
        lines.append(f"Livraison prévue au plus tard le {day}." if fr else f"Expected by {day}.")
    return " ".join(lines), sources


def _hand_over(
    session: Session,
    *,
    question: str,
    lang: str,
    address: str | None,
    order_number: str | None,
    confidence: float,
    asked: bool,
) -> AssistantAnswer:
    """Hand the question to a person: a ticket when the customer gave an e-mail."""
    if address is None:
        key = "asked_for_person" if asked else "handover_email"
        return AssistantAnswer(_TEXT[key][lang], lang, confidence, handover=True, kind="handover")
    ticket = service.open_ticket(
        session=session,
        email=address,
        subject=question.strip().splitlines()[0][:200],
        body=question.strip(),
        order_number=None,
        channel="assistant",
        language=lang,
    )
    if order_number:
        order_id = parse_order_number(order_number)
        order = session.get(Order, order_id) if order_id is not None else None
        if order is not None and order.customer.email == address:
            ticket.order_id = order.id
    ref = f"T{ticket.id}"
    return AssistantAnswer(
        _TEXT["handover_ticket"][lang].format(ref=ref),
        lang,
        confidence,
        handover=True,
        ticket_id=ticket.id,
        kind="handover",
    )


def _live(
    session: Session, lang: str, order_number: str | None, address: str | None
) -> AssistantAnswer:
    if not order_number or address is None:
        return AssistantAnswer(_TEXT["needs_details"][lang], lang, 1.0, kind="needs_details")
    order_id = parse_order_number(order_number)
    order = session.get(Order, order_id) if order_id is not None else None
    if order is None or order.customer.email != address:
        return AssistantAnswer(_TEXT["refused"][lang], lang, 1.0, kind="refused")
    text, sources = _live_answer(session, order, lang)
    return AssistantAnswer(text, lang, 1.0, sources, kind="live")


def _article_answer(index: FaqIndex, entry: FaqEntry, lang: str, score: float) -> AssistantAnswer:
    """The article in ``lang`` with its policy tokens filled, cited as the source."""
    article = _sibling(index, entry, lang)
    text = article.answer  # its tokens were filled when the index was built
    slug, _, language = article.id.rpartition("-")
    source = {
        "type": "article",
        "id": article.id,
        "slug": slug,
        "language": language,
        "question": article.question,
        "intent": article.intent,
        "topic": article.topic,
    }
    return AssistantAnswer(text, lang, round(score, 4), [source])


def ask(
    *,
    session: Session,
    question: str,
    language: str | None = None,
    order_number: str | None = None,
    email: str | None = None,
) -> AssistantAnswer:
    """Answer ``question``. Raises ValidationError naming ``question``, ``language`` or ``email``.

    A request for a person is handed over at once. "Where is my order?" is answered from live
    data when ``order_number`` and ``email`` match an order; other questions from the best
    article (preferring those serving the question's intent) when it scores at least the index
    threshold; otherwise the question is handed over (a ticket is opened when ``email`` is
    given).
    """
    errors = ErrorCollector()
    if not question or not question.strip():
        errors.add("question", "is required")
    if language is not None and language not in LANGUAGES:
        errors.add("language", "one of fr, en")
    address = None
    if email:
        address = normalise_email(email)
        if address is None:
            errors.add("email", "is not a valid e-mail address")
    errors.raise_if_any()
    lang = language or detect_language(question)
    routing = classify.route(session=session, text=question)
    handover = {
        "question": question,
        "lang": lang,
        "address": address,
        "order_number": order_number,
    }
    if routing.intent == Intent.CONTACT_HUMAN_AGENT:
        return _hand_over(session, **handover, confidence=routing.confidence, asked=True)
    index = _index(session)
    if index is None:
        return _hand_over(session, **handover, confidence=0.0, asked=False)
    found = index.answer(question, intent=routing.intent if routing.routed else None)
    if found.live_intent == LIVE_TRACK_ORDER:
        return _live(session, lang, order_number, address)
    if found.entry is not None and found.confident:
        return _article_answer(index, found.entry, lang, found.score)
    return _hand_over(session, **handover, confidence=round(found.score, 4), asked=False)
