"""What the FAQ assistant may say about the shop's policies (pure), French and English.

Knowledge-base articles may hold policy tokens, filled at answer time from the configuration in
force, so an answer never contradicts it:

* ``{return_costs}``: who pays the return parcel, from the return settings' reason codes
  (:class:`maillon.returns.policy.ReturnPolicy`, ``returns.service.settings``);
* ``{return_window}``: the return window, from the same settings;
* ``{delivery_times}`` and ``{payment_methods}``: from the shop's document
  (:class:`ShopPolicy`, stored by the care service, edited through the API and CLI)::

    {"payment_methods": ["card", "paypal"],
     "installments": {"count": 3, "min_order_cents": 10000},
     "delivery": [{"option": "home", "days_min": 2, "days_max": 4,
                   "price_cents": 490, "free_from_cents": 6000}]}

:func:`fill` replaces the tokens; :func:`check_tokens` names an unknown one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from maillon.care.templates import format_money
from maillon.core.errors import ErrorCollector
from maillon.returns.policy import Payer, ReturnPolicy

__all__ = [
    "DEFAULT_SHOP_POLICY",
    "PAYMENT_METHODS",
    "TOKENS",
    "DeliveryOption",
    "ShopPolicy",
    "check_tokens",
    "fill",
    "policy_from_document",
]

PAYMENT_METHODS: Mapping[str, tuple[str, str]] = {
    "card": ("bank card (Visa, Mastercard, CB)", "carte bancaire (CB, Visa, Mastercard)"),
    "amex": ("American Express", "American Express"),
    "paypal": ("PayPal", "PayPal"),
    "apple_pay": ("Apple Pay", "Apple Pay"),
    "google_pay": ("Google Pay", "Google Pay"),
    "bank_transfer": ("bank transfer", "virement bancaire"),
    "gift_card": ("gift card", "carte cadeau"),
    "cash_on_delivery": ("cash on delivery", "paiement à la livraison"),
}
"""Payment methods a shop may list, with their English and French names."""

OPTIONS: Mapping[str, tuple[str, str]] = {
    "home": ("home delivery", "livraison à domicile"),
    "relay": ("relay point", "point relais"),
    "express": ("express delivery", "livraison express"),
    "collect": ("click & collect", "retrait en magasin"),
    "slot": ("delivery slot", "livraison sur créneau"),
}
"""Delivery options, with their English and French names."""

TOKENS = ("return_costs", "return_window", "delivery_times", "payment_methods")
_TOKEN = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True)
class DeliveryOption:
    """One delivery option: business days to deliver, price and free-shipping threshold."""

    option: str
    days_min: int
    days_max: int
    price_cents: int
    free_from_cents: int | None = None


@dataclass(frozen=True, slots=True)
class ShopPolicy:
    """Payment methods (keys of :data:`PAYMENT_METHODS`), instalments and delivery options."""

    payment_methods: tuple[str, ...]
    installments: int | None
    installments_min_cents: int
    delivery: tuple[DeliveryOption, ...]

    def document(self) -> dict[str, Any]:
        """Return the document :func:`policy_from_document` reads back."""
        return {
            "payment_methods": list(self.payment_methods),
            "installments": None
            if self.installments is None
            else {"count": self.installments, "min_order_cents": self.installments_min_cents},
            "delivery": [
                {
                    "option": d.option,
                    "days_min": d.days_min,
                    "days_max": d.days_max,
                    "price_cents": d.price_cents,
                    "free_from_cents": d.free_from_cents,
                }
                for d in self.delivery
            ],
        }


DEFAULT_SHOP_POLICY = ShopPolicy(
    payment_methods=("card", "paypal", "apple_pay"),
    installments=None,
    installments_min_cents=0,
    delivery=(
        DeliveryOption("home", 2, 4, 490, 6000),
        DeliveryOption("relay", 3, 5, 390, 4000),
    ),
)
"""What a shop that set nothing says: cards, PayPal, Apple Pay; home and relay delivery."""


def _count(errors: ErrorCollector, where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(where, f"a whole number from {low} to {high}")
        return low
    return value


def _delivery(errors: ErrorCollector, rows: Any) -> list[DeliveryOption]:
    if not isinstance(rows, list) or not rows:
        errors.add("delivery", "a non-empty list of delivery options")
        return []
    out = []
    for i, row in enumerate(rows):
        where = f"delivery.{i}"
        if not isinstance(row, dict):
            errors.add(where, "an object")
            continue
        for key in sorted(set(row) - {"option", "days_min", "days_max", "price_cents",
                                      "free_from_cents"}):  # fmt: skip
            errors.add(f"{where}.{key}", "unknown field")
        option = row.get("option")
        if option not in OPTIONS:
            errors.add(f"{where}.option", f"one of {', '.join(OPTIONS)}")
            option = "home"
        low = _count(errors, f"{where}.days_min", row.get("days_min"), 0, 60)
        high = _count(errors, f"{where}.days_max", row.get("days_max"), 0, 60)
        if high < low:
            errors.add(f"{where}.days_max", "at least days_min")
        price = _count(errors, f"{where}.price_cents", row.get("price_cents"), 0, 1_000_000)
        free = row.get("free_from_cents")
        if free is not None:
            free = _count(errors, f"{where}.free_from_cents", free, 0, 100_000_000)
        out.append(DeliveryOption(str(option), low, high, price, free))
    return out


def policy_from_document(document: Any) -> ShopPolicy:
    """Return the policy a document describes. Raises ValidationError naming every bad
    field (``delivery.1.days_max``, ``payment_methods``...)."""
    errors = ErrorCollector()
    if not isinstance(document, dict):
        errors.add("policy", "must be an object")
        errors.raise_if_any()
    for key in sorted(set(document) - {"payment_methods", "installments", "delivery"}):
        errors.add(key, "unknown setting")
    methods = document.get("payment_methods", list(DEFAULT_SHOP_POLICY.payment_methods))
    if (
        not isinstance(methods, list)
        or not methods
        or any(m not in PAYMENT_METHODS for m in methods)
    ):
        errors.add("payment_methods", f"a non-empty list among {', '.join(PAYMENT_METHODS)}")
        methods = []
    count: int | None = None
    minimum = 0
    raw = document.get("installments")
    if raw is not None:
        if not isinstance(raw, dict) or set(raw) - {"count", "min_order_cents"}:
            errors.add("installments", "null, or an object with count and min_order_cents")
        else:
            count = _count(errors, "installments.count", raw.get("count"), 2, 12)
            minimum = _count(
                errors, "installments.min_order_cents", raw.get("min_order_cents", 0), 0, 10**8
            )
    delivery = _delivery(
        errors, document.get("delivery", DEFAULT_SHOP_POLICY.document()["delivery"])
    )
    errors.raise_if_any()
    return ShopPolicy(tuple(dict.fromkeys(methods)), count, minimum, tuple(delivery))


def _join(items: list[str], fr: bool) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" et " if fr else " and ") + items[-1]


_REASONS_FR = {
    "defective": "défectueux ou en panne",
    "damaged_in_transit": "arrivé endommagé",
    "wrong_item": "mauvais article envoyé",
    "not_as_described": "non conforme à la description",
    "arrived_late": "arrivé trop tard",
    "wrong_size": "taille ou coupe inadaptée",
    "changed_mind": "changement d'avis",
    "other": "autre raison",
}


def _return_costs(returns: ReturnPolicy, fr: bool) -> str:
    def label(code: str, text: str) -> str:
        return _REASONS_FR.get(code, text) if fr else text

    reasons = returns.reasons.values()
    merchant = [
        label(r.code, r.label) for r in reasons if r.return_shipping_paid_by is Payer.MERCHANT
    ]
    customer = [
        label(r.code, r.label) for r in reasons if r.return_shipping_paid_by is Payer.CUSTOMER
    ]
    if not customer:
        return (
            "Les frais de retour sont à notre charge, quelle que soit la raison du retour."
            if fr
            else "We pay the return shipping, whatever the reason for the return."
        )
    if not merchant:
        return (
            "Les frais de retour sont à votre charge, quelle que soit la raison du retour."
            if fr
            else "You pay the return shipping, whatever the reason for the return."
        )
    if fr:
        return (
            f"Les frais de retour sont à notre charge quand le retour vient de nous "
            f"({_join(merchant, fr).lower()}). Ils sont à votre charge dans les autres cas "
            f"({_join(customer, fr).lower()}) : le prix de l'étiquette est alors déduit du "
            "remboursement."
        )
    return (
        f"We pay the return shipping when the return is our fault ({_join(merchant, fr).lower()}). "
        f"You pay it otherwise ({_join(customer, fr).lower()}): the label's price is then taken "
        "off the refund."
    )


def _return_window(returns: ReturnPolicy, fr: bool) -> str:
    days = returns.default_window_days
    if fr:
        return (
            f"Vous disposez de {days} jours après la livraison pour retourner un article ; un "
            "article défectueux ou non conforme peut être retourné au titre de la garantie légale."
        )
    return (
        f"You have {days} days after delivery to return an item; a faulty or wrong item can be "
        "returned under the legal guarantee."
    )


def _delivery_times(shop: ShopPolicy, fr: bool) -> str:
    parts = []
    lang = "fr" if fr else "en"
    for d in shop.delivery:
        name = OPTIONS[d.option][1 if fr else 0]
        span = f"{d.days_min}-{d.days_max}" if d.days_max != d.days_min else f"{d.days_min}"
        price = format_money(d.price_cents, lang)
        free = ""
        if d.free_from_cents is not None:
            money = format_money(d.free_from_cents, lang)
            free = f", offerte dès {money}" if fr else f", free from {money}"
        parts.append(
            f"{name} : {span} jours ouvrés, {price}{free}"
            if fr
            else f"{name}: {span} business days, {price}{free}"
        )
    head = "Délais et frais de livraison : " if fr else "Delivery times and costs: "
    return head + "; ".join(parts) + "."


def _payment_methods(shop: ShopPolicy, fr: bool) -> str:
    names = [PAYMENT_METHODS[m][1 if fr else 0] for m in shop.payment_methods]
    text = f"Nous acceptons : {_join(names, fr)}." if fr else f"We accept: {_join(names, fr)}."
    lang = "fr" if fr else "en"
    if shop.installments is None:
        text += (
            " Le paiement en plusieurs fois n'est pas proposé."
            if fr
            else " Paying in instalments is not offered."
        )
    else:
        floor = format_money(shop.installments_min_cents, lang)
        text += (
            f" Vous pouvez payer en {shop.installments} fois sans frais dès {floor} d'achat."
            if fr
            else f" You can pay in {shop.installments} instalments from {floor} of purchase."
        )
    return text


def check_tokens(text: str) -> list[str]:
    """Return the unknown ``{tokens}`` of an article body (empty when all are known)."""
    return [t for t in _TOKEN.findall(text) if t not in TOKENS]


def fill(text: str, language: str, *, returns: ReturnPolicy, shop: ShopPolicy) -> str:
    """Return ``text`` with its policy tokens replaced in ``language`` (unknown ones stay)."""
    fr = language == "fr"
    values = {
        "return_costs": lambda: _return_costs(returns, fr),
        "return_window": lambda: _return_window(returns, fr),
        "delivery_times": lambda: _delivery_times(shop, fr),
        "payment_methods": lambda: _payment_methods(shop, fr),
    }
    return _TOKEN.sub(lambda m: values[m.group(1)]() if m.group(1) in values else m.group(0), text)
