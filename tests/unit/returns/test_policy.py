"""Return eligibility, dispositions and refunds (integer cents)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.core.errors import ValidationError
from maillon.returns import policy as policy_module
from maillon.returns.policy import (
    DEFAULT_REASONS,
    Disposition,
    EligibilityResult,
    Grade,
    Payer,
    ReasonCode,
    RefundMethod,
    RequestedLine,
    ReturnPolicy,
    ShippingRefund,
    SoldLine,
    Verdict,
    check_eligibility,
    disposition_for,
    refund_amount,
)

PARIS = ZoneInfo("Europe/Paris")
DELIVERED = datetime(2025, 3, 3, 10, tzinfo=UTC)
POLICY = ReturnPolicy(
    default_window_days=30,
    window_days_by_category={"electronics": 14},
    non_returnable_categories=frozenset({"hygiene"}),
    non_returnable_skus=frozenset({"ENGRAVED-RING"}),
    max_days_after_delivery=730,
)
ORDER = (
    SoldLine("SHIRT", "apparel", 3, 1995, DELIVERED),
    SoldLine("PHONE", "electronics", 1, 29900, DELIVERED),
    SoldLine("TOOTHBRUSH", "hygiene", 2, 450, DELIVERED),
    SoldLine("ENGRAVED-RING", "jewellery", 1, 5000, DELIVERED),
    SoldLine("LAMP", "home", 1, 4500, None),
)


def check(
    requested: list[tuple[str, int, str]],
    now: datetime,
    already_returned: dict[str, int] | None = None,
) -> EligibilityResult:
    return check_eligibility(
        policy=POLICY,
        order_lines=ORDER,
        requested=requested,
        now=now,
        already_returned=already_returned,
    )


# --- eligibility ------------------------------------------------------------------------------


def test_accepts_a_line_within_the_window() -> None:
    result = check([("SHIRT", 2, "changed_mind")], DELIVERED + timedelta(days=5))
    (line,) = result.lines
    assert line.verdict is Verdict.ACCEPTED and line.accepted == 2 and line.remaining == 3
    assert line.last_day == date(2025, 4, 2)
    assert result.all_accepted
    assert result.accepted_lines() == (RequestedLine("SHIRT", 2, "changed_mind"),)
    assert result.return_shipping_paid_by is Payer.CUSTOMER


def test_category_window_expires_with_the_date_in_the_message() -> None:
    now = DELIVERED + timedelta(days=20)
    result = check([("PHONE", 1, "changed_mind"), ("SHIRT", 1, "changed_mind")], now)
    phone, shirt = result.lines
    assert phone.verdict is Verdict.WINDOW_EXPIRED and phone.accepted == 0
    assert "expired on 2025-03-17" in phone.message
    assert shirt.ok
    assert result.any_accepted and not result.all_accepted
    assert result.rejected == (phone,)


def test_merchant_fault_reason_has_the_long_window_and_merchant_pays() -> None:
    now = DELIVERED + timedelta(days=200)
    result = check([("PHONE", 1, "defective")], now)
    assert result.lines[0].ok
    assert result.return_shipping_paid_by is Payer.MERCHANT
    late = check([("PHONE", 1, "defective")], DELIVERED + timedelta(days=731))
    assert late.lines[0].verdict is Verdict.WINDOW_EXPIRED


def test_window_ends_at_local_midnight() -> None:
    # delivered on 1 March 23:30 in Paris (22:30 UTC); a 14-day window ends 15 March 24:00
    delivered = datetime(2025, 3, 1, 23, 30, tzinfo=PARIS)
    order = [SoldLine("PHONE", "electronics", 1, 100, delivered)]

    def verdict(now: datetime) -> Verdict:
        result = check_eligibility(
            policy=POLICY, order_lines=order, requested=[("PHONE", 1, "changed_mind")], now=now
        )
        return result.lines[0].verdict

    assert verdict(datetime(2025, 3, 15, 23, 59, tzinfo=PARIS).astimezone(UTC)) is Verdict.ACCEPTED
    assert verdict(datetime(2025, 3, 16, 0, 1, tzinfo=PARIS).astimezone(UTC)) is (
        Verdict.WINDOW_EXPIRED
    )


@pytest.mark.parametrize("sku", ["TOOTHBRUSH", "ENGRAVED-RING"])
def test_non_returnable_only_for_customer_reasons(sku: str) -> None:
    now = DELIVERED + timedelta(days=2)
    mind, defect = check([(sku, 1, "changed_mind"), (sku, 1, "defective")], now).lines
    assert mind.verdict is Verdict.NOT_RETURNABLE and mind.accepted == 0
    assert defect.verdict is Verdict.ACCEPTED


def test_already_returned_and_repeated_lines_share_the_remaining_units() -> None:
    now = DELIVERED + timedelta(days=2)
    result = check(
        [("SHIRT", 1, "changed_mind"), ("SHIRT", 1, "wrong_size"), ("SHIRT", 1, "defective")],
        now,
        already_returned={"SHIRT": 1},
    )
    first, second, third = result.lines
    assert first.ok and second.ok
    assert third.verdict is Verdict.EXCEEDS_REMAINING and third.remaining == 0
    assert "only 0 unit(s)" in third.message
    too_many = check([("SHIRT", 3, "changed_mind")], now, already_returned={"SHIRT": 1})
    assert too_many.lines[0].verdict is Verdict.EXCEEDS_REMAINING
    assert too_many.lines[0].remaining == 2


def test_not_delivered_and_not_in_order_are_verdicts() -> None:
    now = DELIVERED + timedelta(days=2)
    lamp, ghost = check([("LAMP", 1, "changed_mind"), ("GHOST", 1, "changed_mind")], now).lines
    assert lamp.verdict is Verdict.NOT_DELIVERED
    assert ghost.verdict is Verdict.NOT_IN_ORDER
    assert lamp.last_day is None and ghost.accepted == 0


def test_malformed_lines_raise_naming_every_field() -> None:
    with pytest.raises(ValidationError) as caught:
        check(
            [("SHIRT", 1, "changed_mind"), ("SHIRT", 0, "changed_mind"), ("PHONE", 1, "meh")],
            DELIVERED,
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == ["lines.1.quantity", "lines.2.reason"]
    assert caught.value.field == "lines.1.quantity"
    with pytest.raises(ValidationError, match="lines: at least one line"):
        check([], DELIVERED)
    with pytest.raises(ValidationError, match=r"lines\.0"):
        check([("SHIRT", 1)], DELIVERED)  # type: ignore[list-item]


def test_naive_now_and_bad_order_lines_raise_value_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        check([("SHIRT", 1, "changed_mind")], datetime(2025, 3, 5))
    with pytest.raises(ValueError, match="naive"):
        SoldLine("X", "c", 1, 100, datetime(2025, 3, 5))
    with pytest.raises(ValueError, match="quantity"):
        SoldLine("X", "c", -1, 100, DELIVERED)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"default_window_days": -1}, "default_window_days"),
        ({"window_days_by_category": {"x": 900}}, "window_days_by_category"),
        ({"reasons": {}}, "at least one"),
        ({"reasons": {"a": DEFAULT_REASONS["defective"]}}, "holds reason"),
        ({"store_credit_bonus_pct": Decimal(150)}, "between 0 and 100"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"refund_original_shipping": "sometimes"}, "sometimes"),
    ],
)
def test_policy_validation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ReturnPolicy(**kwargs)  # type: ignore[arg-type]


def test_reason_code_validation() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        ReasonCode("x", "X", Payer.CUSTOMER, False, Decimal(-1))
    assert ReasonCode("x", "X", Payer.CUSTOMER, False, 10).restocking_fee_pct == Decimal(10)  # type: ignore[arg-type]


# --- inspection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "category", "vendor", "expected"),
    [
        (Grade.A, "apparel", None, Disposition.RESTOCK),
        ("B", "apparel", None, Disposition.RESTOCK),
        (Grade.B, "electronics", None, Disposition.REFURBISH),
        (Grade.C, "electronics", None, Disposition.RETURN_TO_VENDOR),
        (Grade.C, "apparel", None, Disposition.REFURBISH),
        (Grade.C, "electronics", False, Disposition.REFURBISH),
        (Grade.C, "apparel", True, Disposition.RETURN_TO_VENDOR),
        (Grade.D, "electronics", True, Disposition.SCRAP),
    ],
)
def test_disposition_defaults(
    grade: Grade | str, category: str, vendor: bool | None, expected: Disposition
) -> None:
    policy = ReturnPolicy(
        refurbish_opened_categories=frozenset({"electronics"}),
        vendor_return_categories=frozenset({"electronics"}),
    )
    found = disposition_for(grade=grade, category=category, policy=policy, vendor_takes_back=vendor)
    assert found is expected


def test_unknown_grade_raises() -> None:
    with pytest.raises(ValueError, match="grade"):
        disposition_for(grade="E", category="x", policy=POLICY)
    assert Grade.C.description == "damaged"


# --- refunds ----------------------------------------------------------------------------------

FEES = ReturnPolicy(
    reasons={
        **DEFAULT_REASONS,
        "changed_mind": ReasonCode(
            "changed_mind", "Changed my mind", Payer.CUSTOMER, False, Decimal(10)
        ),
    },
    store_credit_bonus_pct=Decimal(5),
)
SMALL = (
    SoldLine("SHIRT", "apparel", 2, 1995, DELIVERED),
    SoldLine("CAP", "apparel", 1, 1000, DELIVERED),
)


def test_refund_with_restocking_fee_rounded_half_up() -> None:
    result = refund_amount(policy=FEES, order_lines=SMALL, returned=[("SHIRT", 1, "changed_mind")])
    # 10 % of 19.95 = 1.995 -> 2.00
    assert (result.goods_cents, result.restocking_fee_cents) == (1995, 200)
    assert result.refund_cents == 1795 and result.store_credit_cents == 0
    assert result.method is RefundMethod.REFUND and not result.capped


def test_shipping_refunded_only_for_a_whole_merchant_fault_return() -> None:
    whole = [("SHIRT", 2, "defective"), ("CAP", 1, "wrong_item")]
    result = refund_amount(policy=FEES, order_lines=SMALL, returned=whole, shipping_paid_cents=590)
    assert result.shipping_refund_cents == 590
    assert result.refund_cents == 2 * 1995 + 1000 + 590
    partial = refund_amount(
        policy=FEES, order_lines=SMALL, returned=whole[:1], shipping_paid_cents=590
    )
    assert partial.shipping_refund_cents == 0
    # the last units complete an earlier partial return
    rest = refund_amount(
        policy=FEES,
        order_lines=SMALL,
        returned=whole[1:],
        shipping_paid_cents=590,
        already_returned={"SHIRT": 2},
    )
    assert rest.shipping_refund_cents == 590
    mind = refund_amount(
        policy=FEES,
        order_lines=SMALL,
        returned=[("SHIRT", 2, "changed_mind"), ("CAP", 1, "changed_mind")],
        shipping_paid_cents=590,
    )
    assert mind.shipping_refund_cents == 0
    generous = ReturnPolicy(refund_original_shipping=ShippingRefund.ANY_FULL_RETURN)
    assert (
        refund_amount(
            policy=generous,
            order_lines=SMALL,
            returned=[("SHIRT", 2, "changed_mind"), ("CAP", 1, "changed_mind")],
            shipping_paid_cents=590,
        ).shipping_refund_cents
        == 590
    )


def test_return_label_deducted_when_the_customer_pays() -> None:
    customer = refund_amount(
        policy=POLICY,
        order_lines=SMALL,
        returned=[("CAP", 1, "changed_mind")],
        return_label_cents=490,
    )
    assert customer.return_label_cents == 490 and customer.refund_cents == 510
    mixed = refund_amount(
        policy=POLICY,
        order_lines=SMALL,
        returned=[("CAP", 1, "changed_mind"), ("SHIRT", 1, "defective")],
        return_label_cents=490,
    )
    assert mixed.return_label_cents == 0 and mixed.refund_cents == 2995


def test_store_credit_bonus_and_exchange() -> None:
    credit = refund_amount(
        policy=FEES,
        order_lines=SMALL,
        returned=[("CAP", 1, "defective")],
        method="store_credit",
    )
    assert credit.refund_cents == 0 and credit.bonus_cents == 50
    assert credit.store_credit_cents == 1050 and credit.total_cents == 1050
    exchange = refund_amount(
        policy=FEES,
        order_lines=SMALL,
        returned=[("SHIRT", 1, "wrong_size"), ("SHIRT", 1, "changed_mind")],
        method=RefundMethod.EXCHANGE,
    )
    assert exchange.total_cents == 0 and exchange.restocking_fee_cents == 0
    assert exchange.replacement_lines == (("SHIRT", 2),)


def test_units_are_priced_by_line_after_those_already_returned() -> None:
    order = [
        SoldLine("SOCK", "apparel", 2, 500, DELIVERED),
        SoldLine("SOCK", "apparel", 2, 300, DELIVERED),  # a second line at a promo price
    ]
    result = refund_amount(
        policy=POLICY,
        order_lines=order,
        returned=[("SOCK", 2, "defective")],
        already_returned={"SOCK": 1},
    )
    assert result.goods_cents == 500 + 300


def test_refund_capped_by_what_is_left_to_refund() -> None:
    result = refund_amount(
        policy=POLICY,
        order_lines=SMALL,
        returned=[("CAP", 1, "defective")],
        already_refunded_cents=4500,
    )
    assert result.refund_cents == 2 * 1995 + 1000 - 4500 and result.capped


def test_refund_rejects_units_not_left() -> None:
    with pytest.raises(ValidationError) as caught:
        refund_amount(
            policy=POLICY,
            order_lines=SMALL,
            returned=[("CAP", 1, "defective"), ("SHIRT", 2, "defective"), ("X", 1, "defective")],
            already_returned={"SHIRT": 1},
        )
    assert [e.field for e in caught.value.errors] == ["lines.1.quantity", "lines.2.sku"]
    with pytest.raises(ValueError, match="shipping_paid_cents"):
        refund_amount(
            policy=POLICY,
            order_lines=SMALL,
            returned=[("CAP", 1, "defective")],
            shipping_paid_cents=-1,
        )


# --- invariants -------------------------------------------------------------------------------

SKUS = ("A", "B", "C")
REASONS = tuple(DEFAULT_REASONS)
hyp = settings(max_examples=80, deadline=None)
order_lines = st.lists(
    st.builds(
        SoldLine,
        sku=st.sampled_from(SKUS),
        category=st.sampled_from(["apparel", "electronics", "hygiene"]),
        quantity=st.integers(0, 4),
        unit_price_cents=st.integers(0, 50_000),
        delivered_at=st.one_of(
            st.none(),
            st.datetimes(
                min_value=datetime(2025, 1, 1),
                max_value=datetime(2025, 6, 1),
                timezones=st.just(UTC),
            ),
        ),
    ),
    min_size=1,
    max_size=5,
)
requests = st.lists(
    st.tuples(st.sampled_from((*SKUS, "Z")), st.integers(1, 6), st.sampled_from(REASONS)),
    min_size=1,
    max_size=6,
)
returned_so_far = st.dictionaries(st.sampled_from(SKUS), st.integers(0, 5), max_size=3)


@hyp
@given(order_lines, requests, returned_so_far, st.integers(0, 400))
def test_eligibility_never_lets_through_more_than_delivered_minus_returned(
    lines: list[SoldLine], requested: list[tuple[str, int, str]], before: dict[str, int], days: int
) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=days)
    result = check_eligibility(
        policy=POLICY, order_lines=lines, requested=requested, now=now, already_returned=before
    )
    assert len(result.lines) == len(requested)
    for sku in (*SKUS, "Z"):
        delivered = sum(o.quantity for o in lines if o.sku == sku and o.delivered_at is not None)
        accepted = sum(v.accepted for v in result.lines if v.sku == sku)
        assert accepted <= max(0, delivered - before.get(sku, 0))
    for verdict, (_, qty, _) in zip(result.lines, requested, strict=True):
        assert verdict.accepted in (0, qty)
        assert verdict.ok == (verdict.accepted == qty)


@hyp
@given(
    order_lines,
    st.integers(0, 2_000),
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3), st.sampled_from(REASONS))),
    st.sampled_from(list(RefundMethod)),
    st.sampled_from([POLICY, FEES, ReturnPolicy(refund_original_shipping="any_full_return")]),
)
def test_refunds_never_exceed_what_was_paid(
    lines: list[SoldLine],
    shipping: int,
    chunks: list[tuple[str, int, str]],
    method: RefundMethod,
    policy: ReturnPolicy,
) -> None:
    # given an order returned in several chunks, each refunded as it comes
    paid = sum(o.quantity * o.unit_price_cents for o in lines) + shipping
    returned: dict[str, int] = {}
    refunded = 0
    for sku, qty, reason in chunks:
        left = sum(o.quantity for o in lines if o.sku == sku) - returned.get(sku, 0)
        if qty > left:
            continue
        result = refund_amount(
            policy=policy,
            order_lines=lines,
            returned=[(sku, qty, reason)],
            shipping_paid_cents=shipping,
            already_returned=returned,
            already_refunded_cents=refunded,
            method=method,
        )
        returned[sku] = returned.get(sku, 0) + qty
        assert result.refund_cents >= 0 and result.restocking_fee_cents <= result.goods_cents
        if method is RefundMethod.EXCHANGE:
            assert result.total_cents == 0 and result.replacement_lines == ((sku, qty),)
        refunded += result.refund_cents + result.store_credit_cents - result.bonus_cents
    # then all the money (and credit, bonus aside) given back stays within what was paid
    assert refunded <= paid


def test_public_api() -> None:
    assert set(policy_module.__all__) == {
        "DEFAULT_REASONS",
        "Disposition",
        "EligibilityResult",
        "Grade",
        "LineVerdict",
        "SoldLine",
        "Payer",
        "ReasonCode",
        "RefundMethod",
        "RefundResult",
        "RequestedLine",
        "ReturnPolicy",
        "ShippingRefund",
        "Verdict",
        "check_eligibility",
        "disposition_for",
        "refund_amount",
    }
