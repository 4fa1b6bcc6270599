"""The merchant's return settings (pure): the policy as a plain, storable document.

:func:`settings_from_dict` reads the document a merchant stores (API, CLI or a YAML/JSON file)
into :class:`ReturnSettings`, naming every bad field in a
:class:`~maillon.core.errors.ValidationError`; :func:`settings_to_dict` writes it back. Missing
keys take the defaults of :class:`~maillon.returns.policy.ReturnPolicy`, and the reason codes
default to :data:`~maillon.returns.policy.DEFAULT_REASONS` plus ``other``.

Example::

    {"default_window_days": 30, "window_days_by_category": {"lighting": 60},
     "non_returnable_categories": ["hygiene"], "auto_approve": true,
     "reasons": {"changed_mind": {"label": "Changed my mind", "paid_by": "customer",
                                  "merchant_fault": false, "restocking_fee_pct": "10"}}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from maillon.core.errors import ErrorCollector
from maillon.returns.policy import (
    DEFAULT_REASONS,
    Payer,
    ReasonCode,
    ReturnPolicy,
    ShippingRefund,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "OTHER_REASON",
    "ReturnSettings",
    "settings_from_dict",
    "settings_to_dict",
]

OTHER_REASON = ReasonCode("other", "Other reason", Payer.CUSTOMER, False)
"""The code of a free-text reason given to an agent."""

_KEYS = frozenset(
    {
        "default_window_days",
        "window_days_by_category",
        "non_returnable_categories",
        "non_returnable_skus",
        "reasons",
        "max_days_after_delivery",
        "refund_original_shipping",
        "store_credit_bonus_pct",
        "refurbish_opened_categories",
        "vendor_return_categories",
        "timezone",
        "auto_approve",
        "refurbish_location",
        "vendor_location",
        "return_by_days",
        "return_carrier",
    }
)


def _default_reasons() -> dict[str, ReasonCode]:
    return {**DEFAULT_REASONS, OTHER_REASON.code: OTHER_REASON}


@dataclass(frozen=True)
class ReturnSettings:
    """The return policy and how the warehouse handles returns.

    Attributes:
        policy: eligibility, reasons, grades and refunds (:class:`ReturnPolicy`).
        auto_approve: approve portal requests whose every line the policy accepts.
        refurbish_location: location (not sellable) receiving units to refurbish.
        vendor_location: location (not sellable) holding units to return to their vendor.
        return_by_days: days the customer has to send the parcel once the return is asked
            for, approved or its label issued (a prepaid label's validity); an RMA whose
            parcel has not arrived by then expires (0: never).
        return_carrier: the carrier code prepaid return labels are bought from ("": the
            carrier the order shipped with).
    """

    policy: ReturnPolicy = field(default_factory=lambda: ReturnPolicy(reasons=_default_reasons()))
    auto_approve: bool = True
    refurbish_location: str = "RET-REFURB"
    vendor_location: str = "RET-RTV"
    return_by_days: int = 30
    return_carrier: str = ""


DEFAULT_SETTINGS = ReturnSettings()


def _int(errors: ErrorCollector, doc: Mapping[str, Any], key: str, default: int) -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
        errors.add(key, "a whole number of days from 0 to 3650")
        return default
    return value


def _strings(errors: ErrorCollector, doc: Mapping[str, Any], key: str) -> frozenset[str]:
    value = doc.get(key, [])
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and 0 < len(v) <= 80 for v in value
    ):
        errors.add(key, "a list of names (1-80 characters)")
        return frozenset()
    return frozenset(value)


def _carrier(errors: ErrorCollector, doc: Mapping[str, Any]) -> str:
    value = doc.get("return_carrier", "")
    if not isinstance(value, str) or len(value) > 30:
        errors.add("return_carrier", 'a carrier code of at most 30 characters ("": the order\'s)')
        return ""
    return value.strip()


def _pct(errors: ErrorCollector, key: str, value: Any) -> Decimal:
    try:
        pct = Decimal(str(value))
    except InvalidOperation:
        pct = Decimal(-1)
    if isinstance(value, bool) or not pct.is_finite() or not 0 <= pct <= 100:
        errors.add(key, "a percentage from 0 to 100")
        return Decimal(0)
    return pct


def _reasons(errors: ErrorCollector, doc: Mapping[str, Any]) -> dict[str, ReasonCode]:
    raw = doc.get("reasons")
    if raw is None:
        return _default_reasons()
    if not isinstance(raw, Mapping) or not raw:
        errors.add("reasons", "an object of reason codes (at least one)")
        return _default_reasons()
    reasons: dict[str, ReasonCode] = {}
    for code, spec in raw.items():
        where = f"reasons.{code}"
        if not isinstance(code, str) or not 0 < len(code) <= 40:
            errors.add("reasons", "codes are 1-40 characters")
            continue
        if not isinstance(spec, Mapping):
            errors.add(where, "an object with label, paid_by, merchant_fault")
            continue
        unknown = set(spec) - {"label", "paid_by", "merchant_fault", "restocking_fee_pct"}
        if unknown:
            errors.add(f"{where}.{sorted(unknown)[0]}", "unknown field")
        label = spec.get("label", code)
        if not isinstance(label, str) or not 0 < len(label) <= 120:
            errors.add(f"{where}.label", "1-120 characters")
            label = code
        paid_by = spec.get("paid_by", "customer")
        if paid_by not in {p.value for p in Payer}:
            errors.add(f"{where}.paid_by", "merchant or customer")
            paid_by = "customer"
        fault = spec.get("merchant_fault", False)
        if not isinstance(fault, bool):
            errors.add(f"{where}.merchant_fault", "true or false")
            fault = False
        fee = _pct(errors, f"{where}.restocking_fee_pct", spec.get("restocking_fee_pct", 0))
        reasons[code] = ReasonCode(code, label, Payer(paid_by), fault, fee)
    return reasons


def settings_from_dict(doc: Mapping[str, Any]) -> ReturnSettings:
    """Return the settings a document describes (missing keys take the defaults).

    Raises:
        ValidationError: naming every bad field (``reasons.defective.paid_by``,
            ``window_days_by_category.lamps``, an unknown key...).
    """
    errors = ErrorCollector()
    if not isinstance(doc, Mapping):
        errors.add("", "the settings must be an object")
        errors.raise_if_any()
    for key in sorted(set(doc) - _KEYS):
        errors.add(str(key), "unknown setting")
    windows: dict[str, int] = {}
    raw_windows = doc.get("window_days_by_category", {})
    if not isinstance(raw_windows, Mapping):
        errors.add("window_days_by_category", "an object of category: days")
    else:
        for category, days in raw_windows.items():
            if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
                errors.add(f"window_days_by_category.{category}", "a whole number of days")
            else:
                windows[str(category)] = days
    refund_shipping = doc.get("refund_original_shipping", ShippingRefund.MERCHANT_FAULT.value)
    if refund_shipping not in {s.value for s in ShippingRefund}:
        errors.add(
            "refund_original_shipping", "one of " + ", ".join(s.value for s in ShippingRefund)
        )
        refund_shipping = ShippingRefund.MERCHANT_FAULT.value
    timezone = doc.get("timezone", "Europe/Paris")
    if not isinstance(timezone, str) or not 0 < len(timezone) <= 60:
        errors.add("timezone", "an IANA time zone such as Europe/Paris")
        timezone = "Europe/Paris"
    auto = doc.get("auto_approve", True)
    if not isinstance(auto, bool):
        errors.add("auto_approve", "true or false")
        auto = True
    locations = {}
    for key, default in (("refurbish_location", "RET-REFURB"), ("vendor_location", "RET-RTV")):
        value = doc.get(key, default)
        if not isinstance(value, str) or not 0 < len(value) <= 40:
            errors.add(key, "a location code of 1-40 characters")
            value = default
        locations[key] = value
    return_by = _int(errors, doc, "return_by_days", 30)
    return_carrier = _carrier(errors, doc)
    fields: dict[str, Any] = {
        "default_window_days": _int(errors, doc, "default_window_days", 30),
        "max_days_after_delivery": _int(errors, doc, "max_days_after_delivery", 730),
        "window_days_by_category": windows,
        "non_returnable_categories": _strings(errors, doc, "non_returnable_categories"),
        "non_returnable_skus": _strings(errors, doc, "non_returnable_skus"),
        "refurbish_opened_categories": _strings(errors, doc, "refurbish_opened_categories"),
        "vendor_return_categories": _strings(errors, doc, "vendor_return_categories"),
        "reasons": _reasons(errors, doc),
        "refund_original_shipping": ShippingRefund(refund_shipping),
        "store_credit_bonus_pct": _pct(
            errors, "store_credit_bonus_pct", doc.get("store_credit_bonus_pct", 0)
        ),
        "timezone": timezone,
    }
    errors.raise_if_any()
    try:
        policy = ReturnPolicy(**fields)
    except ValueError as exc:
        text = str(exc)
        named = [k for k in _KEYS if k in text]
        name = min(named, key=lambda k: (text.index(k), -len(k))) if named else ""
        errors.add(name, text)
        errors.raise_if_any()
        raise  # pragma: no cover - raise_if_any always raises here
    return ReturnSettings(
        policy,
        auto,
        locations["refurbish_location"],
        locations["vendor_location"],
        return_by,
        return_carrier,
    )


def settings_to_dict(settings: ReturnSettings) -> dict[str, Any]:
    """Return the document of ``settings`` (JSON-ready; percentages as strings)."""
    p = settings.policy
    return {
        "default_window_days": p.default_window_days,
        "window_days_by_category": dict(sorted(p.window_days_by_category.items())),
        "non_returnable_categories": sorted(p.non_returnable_categories),
        "non_returnable_skus": sorted(p.non_returnable_skus),
        "reasons": {
            code: {
                "label": r.label,
                "paid_by": r.return_shipping_paid_by.value,
                "merchant_fault": r.merchant_fault,
                "restocking_fee_pct": str(r.restocking_fee_pct),
            }
            for code, r in sorted(p.reasons.items())
        },
        "max_days_after_delivery": p.max_days_after_delivery,
        "refund_original_shipping": p.refund_original_shipping.value,
        "store_credit_bonus_pct": str(p.store_credit_bonus_pct),
        "refurbish_opened_categories": sorted(p.refurbish_opened_categories),
        "vendor_return_categories": sorted(p.vendor_return_categories),
        "timezone": p.timezone,
        "auto_approve": settings.auto_approve,
        "refurbish_location": settings.refurbish_location,
        "vendor_location": settings.vendor_location,
        "return_by_days": settings.return_by_days,
        "return_carrier": settings.return_carrier,
    }
