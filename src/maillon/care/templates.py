"""Reply templates for after-sales agents, filled with order data (pure).

A :class:`Template` is a subject and a body in one language with placeholders such as
``{order.number}``, ``{customer.first_name}`` or ``{shipment.tracking_url}``; ``{{`` and ``}}``
stand for literal braces. Templates may be written by operators, so they are never given to
``str.format`` (which would let ``{order.__class__}`` reach into objects): a template is parsed
once, every placeholder must be in a whitelist (:data:`PLACEHOLDERS`), and rendering is a plain
substitution from a flat ``{"order.number": "A-1001", ...}`` dict of strings.

:func:`build_context` makes that flat dict from plain mappings (``order={"number": ...}``),
taking only whitelisted keys and formatting money (integer cents) and dates for the language
(``12,50 €`` and ``14 juillet 2025`` in French; ``€12.50`` and ``14 July 2025`` in English).
:func:`render` fills a template; a placeholder without a value raises :class:`MissingValues`
naming every such placeholder. :data:`DEFAULT_TEMPLATES` holds French and English replies for
the common intents (:data:`INTENTS`); :func:`render_reply` picks one and fills it.

Suggested replies no longer come from these defaults: they state facts whatever the order's
state ("is cancelled", "is on its way with {shipment.carrier}"). Agents get the grounded replies
of :mod:`maillon.care.grounded`; this module keeps the placeholder engine and the money and date
formatting they use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

__all__ = [
    "DEFAULT_TEMPLATES",
    "INTENTS",
    "LANGUAGES",
    "PLACEHOLDERS",
    "Kind",
    "MissingValues",
    "Reply",
    "Template",
    "build_context",
    "format_date",
    "format_money",
    "get_template",
    "render",
    "render_reply",
]

LANGUAGES: tuple[str, ...] = ("fr", "en")
"""Languages of the default templates (the first is the fallback)."""

INTENTS: tuple[str, ...] = (
    "where_is_my_order",
    "return_request",
    "refund_status",
    "damaged_item",
    "change_address",
    "cancel_order",
)
"""Intents with a default template."""


class Kind(StrEnum):
    """How a placeholder's value is formatted by :func:`build_context`."""

    TEXT = "text"
    MONEY = "money"  # integer cents
    DATE = "date"


PLACEHOLDERS: Mapping[str, Kind] = {
    "customer.first_name": Kind.TEXT,
    "customer.last_name": Kind.TEXT,
    "customer.email": Kind.TEXT,
    "order.number": Kind.TEXT,
    "order.date": Kind.DATE,
    "order.status": Kind.TEXT,
    "order.total": Kind.MONEY,
    "order.items": Kind.TEXT,
    "order.delivery_address": Kind.TEXT,
    "shipment.carrier": Kind.TEXT,
    "shipment.tracking_number": Kind.TEXT,
    "shipment.tracking_url": Kind.TEXT,
    "shipment.shipped_at": Kind.DATE,
    "shipment.estimated_delivery": Kind.DATE,
    "return.number": Kind.TEXT,
    "return.label_url": Kind.TEXT,
    "return.deadline": Kind.DATE,
    "refund.amount": Kind.MONEY,
    "refund.method": Kind.TEXT,
    "refund.date": Kind.DATE,
    "ticket.number": Kind.TEXT,
    "agent.name": Kind.TEXT,
    "shop.name": Kind.TEXT,
    "shop.url": Kind.TEXT,
}
"""Every placeholder a template may use, and how its value is formatted."""

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")

_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


class MissingValues(ValueError):
    """A template was rendered without a value for some of its placeholders."""

    def __init__(self, template: str, placeholders: tuple[str, ...]) -> None:
        self.placeholders = placeholders
        names = ", ".join("{" + p + "}" for p in placeholders)
        super().__init__(f"template {template!r}: no value for {names}")


_Part = tuple[bool, str]
"""A piece of a parsed template: ``(False, literal text)`` or ``(True, placeholder name)``."""


def _parse(text: str, allowed: Mapping[str, Kind], where: str) -> tuple[_Part, ...]:
    """Split ``text`` into literal pieces and whitelisted placeholders.

    Raises ValueError for an unmatched brace or a placeholder outside ``allowed``.
    """
    parts: list[_Part] = []
    pos = 0
    literal: list[str] = []
    for match in _TOKEN.finditer(text):
        literal.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        name = match.group(1)
        if name is None:
            raise ValueError(
                f"{where}: unmatched {token!r} at position {match.start()}; "
                "write {{ or }} for a literal brace."
            )
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise ValueError(f"{where}: {{{name}}} is not a placeholder name.")
        if name not in allowed:
            raise ValueError(
                f"{where}: unknown placeholder {{{name}}}; allowed: {', '.join(sorted(allowed))}."
            )
        parts.append((False, "".join(literal)))
        literal = []
        parts.append((True, name))
    literal.append(text[pos:])
    parts.append((False, "".join(literal)))
    return tuple(p for p in parts if p[0] or p[1])


@dataclass(frozen=True)
class Template:
    """A reply template in one language.

    Attributes:
        intent: what it answers (``where_is_my_order``...).
        language: ``fr``, ``en``...
        subject: the subject line, may hold placeholders.
        body: the text, may hold placeholders.
        allowed: the placeholder whitelist (default :data:`PLACEHOLDERS`).

    Raises:
        ValueError: for an empty intent, language or body, an unmatched brace, or a
            placeholder outside ``allowed``.
    """

    intent: str
    language: str
    subject: str
    body: str
    allowed: Mapping[str, Kind] = field(default_factory=lambda: PLACEHOLDERS, repr=False)
    _subject: tuple[_Part, ...] = field(init=False, repr=False, compare=False)
    _body: tuple[_Part, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("intent", "language", "body"):
            if not getattr(self, name).strip():
                raise ValueError(f"Template: {name} is empty.")
        where = f"{self.intent}/{self.language}"
        object.__setattr__(self, "_subject", _parse(self.subject, self.allowed, f"{where} subject"))
        object.__setattr__(self, "_body", _parse(self.body, self.allowed, f"{where} body"))

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Return the placeholders used (subject then body, first occurrence order)."""
        seen: dict[str, None] = {}
        for is_placeholder, text in (*self._subject, *self._body):
            if is_placeholder:
                seen[text] = None
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Reply:
    """A filled template: what the agent sends (plain text)."""

    intent: str
    language: str
    subject: str
    body: str


def _fill(parts: tuple[_Part, ...], values: Mapping[str, str]) -> str:
    return "".join(values[text] if is_placeholder else text for is_placeholder, text in parts)


def render(template: Template, values: Mapping[str, str]) -> Reply:
    """Return ``template`` with every placeholder replaced by ``values[name]``.

    ``values`` is flat (``{"order.number": "A-1001"}``, e.g. from :func:`build_context`);
    values are inserted as they are, never parsed again (a value holding ``{...}`` stays).

    Raises:
        MissingValues: naming every placeholder without a value (a ``ValueError``).
    """
    missing = tuple(p for p in template.placeholders if p not in values)
    if missing:
        raise MissingValues(f"{template.intent}/{template.language}", missing)
    return Reply(
        intent=template.intent,
        language=template.language,
        subject=_fill(template._subject, values),
        body=_fill(template._body, values),
    )


def format_money(cents: int, language: str, currency: str = "EUR") -> str:
    """Return ``cents`` as ``12,50 €`` (French) or ``€12.50`` (other languages)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, currency)
    if language == "fr":
        grouped = f"{units:,}".replace(",", "\u202f")
        return f"{sign}{grouped},{rest:02d}\u00a0{symbol}"
    if symbol == currency:
        return f"{sign}{units:,}.{rest:02d} {currency}"
    return f"{sign}{symbol}{units:,}.{rest:02d}"


def format_date(value: date, language: str) -> str:
    """Return ``value`` as ``14 juillet 2025`` (French) or ``14 July 2025`` (English).

    A datetime is shown by its own date (convert it to the customer's zone first).
    """
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def build_context(
    language: str,
    *,
    allowed: Mapping[str, Kind] = PLACEHOLDERS,
    currency: str = "EUR",
    **sources: Mapping[str, object] | None,
) -> dict[str, str]:
    """Return the flat values of the whitelisted placeholders found in ``sources``.

    Each keyword is a placeholder prefix and a plain mapping (``order={"number": "A-1001",
    "total": 4990}``); only keys named in ``allowed`` are taken, ``None`` values are left
    out (so rendering reports them missing). Money placeholders take integer cents, date
    placeholders a date or datetime; both are formatted for ``language``.

    Raises:
        ValueError: if a money value is not an integer or a date value not a date.
    """
    values: dict[str, str] = {}
    for prefix, source in sources.items():
        if source is None:
            continue
        for key, raw in source.items():
            name = f"{prefix}.{key}"
            kind = allowed.get(name)
            if kind is None or raw is None:
                continue
            if kind is Kind.MONEY:
                if isinstance(raw, bool) or not isinstance(raw, int):
                    raise ValueError(f"{name} must be integer cents, not {raw!r}.")
                values[name] = format_money(raw, language, currency)
            elif kind is Kind.DATE:
                if not isinstance(raw, date):
                    raise ValueError(f"{name} must be a date, not {raw!r}.")
                day = raw.date() if isinstance(raw, datetime) else raw
                values[name] = format_date(day, language)
            else:
                values[name] = str(raw)
    return values


def _t(intent: str, language: str, subject: str, body: str) -> Template:
    return Template(intent=intent, language=language, subject=subject, body=body)


_DEFAULTS = (
    _t(
        "where_is_my_order",
        "fr",
        "Votre commande {order.number}",
        "Bonjour {customer.first_name},\n\n"
        "Votre commande {order.number} a été confiée à {shipment.carrier}. Vous pouvez suivre "
        "le colis ici : {shipment.tracking_url}\n"
        "Livraison estimée : {shipment.estimated_delivery}.\n\n"
        "Bien cordialement,\n{agent.name}",
    ),
    _t(
        "where_is_my_order",
        "en",
        "Your order {order.number}",
        "Hello {customer.first_name},\n\n"
        "Your order {order.number} is on its way with {shipment.carrier}. You can track the "
        "parcel here: {shipment.tracking_url}\n"
        "Estimated delivery: {shipment.estimated_delivery}.\n\n"
        "Kind regards,\n{agent.name}",
    ),
    _t(
        "return_request",
        "fr",
        "Retour {return.number} pour la commande {order.number}",
        "Bonjour {customer.first_name},\n\n"
        "Votre demande de retour {return.number} est acceptée. Imprimez l'étiquette de retour "
        "({return.label_url}) et déposez le colis avant le {return.deadline}.\n"
        "Le remboursement suivra l'inspection des articles.\n\n"
        "Bien cordialement,\n{agent.name}",
    ),
    _t(
        "return_request",
        "en",
        "Return {return.number} for order {order.number}",
        "Hello {customer.first_name},\n\n"
        "Your return {return.number} is approved. Print the return label "
        "({return.label_url}) and drop the parcel off by {return.deadline}.\n"
        "We refund you once the items are inspected.\n\n"
        "Kind regards,\n{agent.name}",
    ),
    _t(
        "refund_status",
        "fr",
        "Remboursement de la commande {order.number}",
        "Bonjour {customer.first_name},\n\n"
        "Nous avons effectué le {refund.date} un remboursement de {refund.amount} "
        "({refund.method}) pour votre commande {order.number}. Selon votre banque, il "
        "apparaîtra sous 3 à 5 jours ouvrés.\n\n"
        "Bien cordialement,\n{agent.name}",
    ),
    _t(
        "refund_status",
        "en",
        "Refund for order {order.number}",
        "Hello {customer.first_name},\n\n"
        "On {refund.date} we issued a refund of {refund.amount} ({refund.method}) for your "
        "order {order.number}. Depending on your bank it shows within 3 to 5 business days."
        "\n\nKind regards,\n{agent.name}",
    ),
    _t(
        "damaged_item",
        "fr",
        "Article endommagé - commande {order.number}",
        "Bonjour {customer.first_name},\n\n"
        "Nous sommes désolés que votre commande {order.number} soit arrivée endommagée. "
        "Pourriez-vous nous envoyer une photo de l'article et du colis en réponse à ce "
        "message ? Nous vous proposerons ensuite un remplacement ou un remboursement, sans "
        "frais de retour.\n\n"
        "Bien cordialement,\n{agent.name}",
    ),
    _t(
        "damaged_item",
        "en",
        "Damaged item - order {order.number}",
        "Hello {customer.first_name},\n\n"
        "We are sorry your order {order.number} arrived damaged. Could you reply with a photo "
        "of the item and the parcel? We will then offer a replacement or a refund, with no "
        "return shipping cost.\n\n"
        "Kind regards,\n{agent.name}",
    ),
    _t(
        "change_address",
        "fr",
        "Adresse de livraison - commande {order.number}",
        "Bonjour {customer.first_name},\n\n"
        "L'adresse de livraison de votre commande {order.number} est désormais :\n"
        "{order.delivery_address}\n"
        "Si le colis est déjà parti, le transporteur pourra demander un délai "
        "supplémentaire.\n\n"
        "Bien cordialement,\n{agent.name}",
    ),
    _t(
        "change_address",
        "en",
        "Delivery address - order {order.number}",
        "Hello {customer.first_name},\n\n"
        "The delivery address of your order {order.number} is now:\n"
        "{order.delivery_address}\n"
        "If the parcel has already left, the carrier may need an extra day.\n\n"
        "Kind regards,\n{agent.name}",
    ),
    _t(
        "cancel_order",
        "fr",
        "Annulation de la commande {order.number}",
        "Bonjour {customer.first_name},\n\n"
        "Votre commande {order.number} est annulée. Le montant de {order.total} vous sera "
        "remboursé sur votre moyen de paiement d'origine.\n\n"
        "Bien cordialement,\n{agent.name}",
    ),
    _t(
        "cancel_order",
        "en",
        "Order {order.number} cancelled",
        "Hello {customer.first_name},\n\n"
        "Your order {order.number} is cancelled. The {order.total} you paid will be refunded "
        "to your original payment method.\n\n"
        "Kind regards,\n{agent.name}",
    ),
)

DEFAULT_TEMPLATES: Mapping[tuple[str, str], Template] = {
    (t.intent, t.language): t for t in _DEFAULTS
}
"""French and English templates for every intent of :data:`INTENTS`, by (intent, language)."""


def get_template(
    intent: str,
    language: str,
    templates: Mapping[tuple[str, str], Template] = DEFAULT_TEMPLATES,
) -> Template:
    """Return the template of ``intent`` in ``language``, else in French, else in English.

    Raises:
        ValueError: if no template answers ``intent``.
    """
    for lang in (language, *LANGUAGES):
        found = templates.get((intent, lang))
        if found is not None:
            return found
    known = sorted({i for i, _ in templates})
    raise ValueError(f"no template for intent {intent!r}; known: {', '.join(known)}.")


def render_reply(
    *,
    intent: str,
    language: str,
    values: Mapping[str, str],
    templates: Mapping[tuple[str, str], Template] = DEFAULT_TEMPLATES,
) -> Reply:
    """Return the reply for ``intent`` in ``language`` filled with flat ``values``.

    Raises:
        ValueError: if no template answers ``intent``.
        MissingValues: naming every placeholder without a value.
    """
    return render(get_template(intent, language, templates), values)
