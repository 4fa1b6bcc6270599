"""The merchant's return settings: a storable document, every bad field named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from maillon.core.errors import ValidationError
from maillon.returns.config import (
    DEFAULT_SETTINGS,
    OTHER_REASON,
    settings_from_dict,
    settings_to_dict,
)
from maillon.returns.policy import DEFAULT_REASONS, Payer, ShippingRefund


def test_defaults_add_the_other_reason() -> None:
    policy = DEFAULT_SETTINGS.policy
    assert set(policy.reasons) == set(DEFAULT_REASONS) | {OTHER_REASON.code}
    assert policy.default_window_days == 30 and DEFAULT_SETTINGS.auto_approve
    assert settings_from_dict({}) == DEFAULT_SETTINGS


def test_round_trip() -> None:
    doc = {
        "default_window_days": 14,
        "window_days_by_category": {"lighting": 60},
        "non_returnable_categories": ["hygiene"],
        "non_returnable_skus": ["GIFT-CARD"],
        "reasons": {
            "changed_mind": {
                "label": "Changed my mind",
                "paid_by": "customer",
                "merchant_fault": False,
                "restocking_fee_pct": "10",
            },
            "defective": {"label": "Broken", "paid_by": "merchant", "merchant_fault": True},
        },
        "refund_original_shipping": "any_full_return",
        "store_credit_bonus_pct": "5.5",
        "auto_approve": False,
        "refurbish_location": "REFURB",
    }
    settings = settings_from_dict(doc)
    p = settings.policy
    assert p.window_days_by_category == {"lighting": 60}
    assert p.reasons["changed_mind"].restocking_fee_pct == Decimal(10)
    assert p.reasons["defective"].return_shipping_paid_by is Payer.MERCHANT
    assert p.refund_original_shipping is ShippingRefund.ANY_FULL_RETURN
    assert settings.refurbish_location == "REFURB" and not settings.auto_approve
    assert settings_from_dict(settings_to_dict(settings)) == settings


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"default_window_days": -1}, "default_window_days"),
        ({"default_window_days": True}, "default_window_days"),
        ({"default_window_days": 40, "max_days_after_delivery": 30}, "default_window_days"),
        ({"window_days_by_category": {"lamps": "sixty"}}, "window_days_by_category.lamps"),
        ({"window_days_by_category": [1]}, "window_days_by_category"),
        ({"non_returnable_categories": "hygiene"}, "non_returnable_categories"),
        ({"reasons": {}}, "reasons"),
        ({"reasons": {"x": {"paid_by": "nobody"}}}, "reasons.x.paid_by"),
        ({"reasons": {"x": {"merchant_fault": "yes"}}}, "reasons.x.merchant_fault"),
        ({"reasons": {"x": {"restocking_fee_pct": 120}}}, "reasons.x.restocking_fee_pct"),
        ({"reasons": {"x": {"colour": "red"}}}, "reasons.x.colour"),
        ({"refund_original_shipping": "always"}, "refund_original_shipping"),
        ({"store_credit_bonus_pct": "lots"}, "store_credit_bonus_pct"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"auto_approve": "yes"}, "auto_approve"),
        ({"vendor_location": ""}, "vendor_location"),
        ({"window": 3}, "window"),
    ],
)
def test_bad_fields_are_named(doc: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        settings_from_dict(doc)
    assert info.value.field == field, info.value.message
