"""Return eligibility, inspection grades, dispositions and refunds (pure, integer cents).

A :class:`ReturnPolicy` holds the merchant's rules: a return window in days (a default and
one per category), categories and SKUs that cannot be returned for a change of mind, the reason
codes (:class:`ReasonCode`: who pays the return shipping, a restocking fee, whether it is the
merchant's fault), whether the original shipping is refunded when the whole order comes back,
and the absolute limit after delivery for merchant-fault returns (the French legal guarantee of
conformity lasts two years).

:func:`check_eligibility` answers a customer's return request line by line with a
:class:`LineVerdict` (accepted, window expired on <date>, not returnable, more than the N units
left, not delivered, not in the order). A customer's wrong choice never raises: it gets a
verdict. Only malformed input raises :class:`~maillon.core.errors.ValidationError` naming the
field (``lines.1.quantity`` for a quantity below 1, ``lines.0.reason`` for an unknown reason
code). No line ever lets through more than delivered minus already returned units of a SKU,
even when several request lines name the same SKU.

At the warehouse each unit gets a :class:`Grade` (A like new, B opened, C damaged, D unusable)
and :func:`disposition_for` proposes a :class:`Disposition`: A restock; B restock, or refurbish
in categories that need it; C return to vendor when the vendor takes it back, else refurbish;
D scrap.

:func:`refund_amount` prices returned units in integer cents: units x unit price (units are
matched to order lines in order, after the units already returned), minus the restocking fee of
each line's reason, plus the original shipping when due, minus the return label when the
customer pays return shipping. Store credit adds a bonus percentage; an exchange refunds nothing
and lists replacement lines. Money refunded never exceeds what was paid minus what was already
refunded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from maillon.core.errors import ErrorCollector

__all__ = [
    "DEFAULT_REASONS",
    "Disposition",
    "EligibilityResult",
    "Grade",
    "LineVerdict",
    "Payer",
    "ReasonCode",
    "RefundMethod",
    "RefundResult",
    "RequestedLine",
    "ReturnPolicy",
    "ShippingRefund",
    "SoldLine",
    "Verdict",
    "check_eligibility",
    "disposition_for",
    "refund_amount",
]


class Payer(StrEnum):
    """Who pays the return shipping."""

    MERCHANT = "merchant"
    CUSTOMER = "customer"


class Grade(StrEnum):
    """Condition of a returned unit found at inspection."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def description(self) -> str:
        """Return what the grade means."""
        return {"A": "like new", "B": "opened", "C": "damaged", "D": "unusable"}[self.value]


class Disposition(StrEnum):
    """What becomes of a returned unit."""

    RESTOCK = "restock"
    REFURBISH = "refurbish"
    RETURN_TO_VENDOR = "return_to_vendor"
    SCRAP = "scrap"


class RefundMethod(StrEnum):
    """How a return is settled."""

    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"


class ShippingRefund(StrEnum):
    """When the original shipping is refunded: never, when the whole order comes back for a
    merchant-fault reason, or whenever the whole order comes back."""

    NEVER = "never"
    MERCHANT_FAULT = "merchant_fault"
    ANY_FULL_RETURN = "any_full_return"


class Verdict(StrEnum):
    """The answer to one requested line."""

    ACCEPTED = "accepted"
    WINDOW_EXPIRED = "window_expired"
    NOT_RETURNABLE = "not_returnable"
    EXCEEDS_REMAINING = "exceeds_remaining"
    NOT_DELIVERED = "not_delivered"
    NOT_IN_ORDER = "not_in_order"


def _percent(value: Decimal | int | str, name: str) -> Decimal:
    """A percentage as a Decimal in [0, 100]. Raises ValueError otherwise."""
    try:
        pct = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValueError(f"{name} = {value!r} is not a number.") from exc
    if not pct.is_finite() or not 0 <= pct <= 100:
        raise ValueError(f"{name} = {value!r} must be between 0 and 100.")
    return pct


def _cents_of(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ReasonCode:
    """A reason a customer may give for a return.

    Attributes:
        code: the stable identifier (``defective``).
        label: a human label.
        return_shipping_paid_by: who pays the return parcel.
        merchant_fault: the merchant is at fault (defect, wrong item): the return is allowed
            up to ``ReturnPolicy.max_days_after_delivery`` even for non-returnable items, and
            may refund the original shipping.
        restocking_fee_pct: percentage of the returned goods kept as a restocking fee.

    Raises:
        ValueError: for an empty code or a fee outside 0-100 %.
    """

    code: str
    label: str
    return_shipping_paid_by: Payer
    merchant_fault: bool
    restocking_fee_pct: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not self.code or not self.code.strip():
            raise ValueError("ReasonCode needs a code.")
        object.__setattr__(
            self, "restocking_fee_pct", _percent(self.restocking_fee_pct, "restocking_fee_pct")
        )


DEFAULT_REASONS: Mapping[str, ReasonCode] = {
    r.code: r
    for r in (
        ReasonCode("defective", "Defective or not working", Payer.MERCHANT, True),
        ReasonCode("damaged_in_transit", "Arrived damaged", Payer.MERCHANT, True),
        ReasonCode("wrong_item", "Wrong item sent", Payer.MERCHANT, True),
        ReasonCode("not_as_described", "Not as described", Payer.MERCHANT, True),
        ReasonCode("arrived_late", "Arrived too late", Payer.MERCHANT, True),
        ReasonCode("wrong_size", "Wrong size or fit", Payer.CUSTOMER, False),
        ReasonCode("changed_mind", "Changed my mind", Payer.CUSTOMER, False),
    )
}
"""Common reason codes; merchants adjust fees and payers through ``ReturnPolicy.reasons``."""


@dataclass(frozen=True)
class ReturnPolicy:
    """A merchant's return rules.

    Attributes:
        default_window_days: days after delivery to return for a customer reason.
        window_days_by_category: per-category windows overriding the default.
        non_returnable_categories: categories returnable only for a merchant-fault reason
            (hygiene, personalised goods...).
        non_returnable_skus: SKUs returnable only for a merchant-fault reason.
        reasons: the accepted reason codes by code.
        max_days_after_delivery: the window of merchant-fault reasons (legal guarantee of
            conformity: two years); customer reasons never exceed it either.
        refund_original_shipping: when the original shipping is refunded.
        store_credit_bonus_pct: bonus percentage added when the customer takes store credit.
        refurbish_opened_categories: categories whose opened (grade B) units are refurbished
            rather than restocked.
        vendor_return_categories: categories whose vendor takes damaged (grade C) units back.
        timezone: where window dates are counted (a window ends at local midnight).

    Raises:
        ValueError: for a negative or zero window, a window longer than
            ``max_days_after_delivery``, no reason code, a reason keyed under another code,
            a bonus outside 0-100 % or an unknown time zone.
    """

    default_window_days: int = 30
    window_days_by_category: Mapping[str, int] = field(default_factory=dict, hash=False)
    non_returnable_categories: frozenset[str] = frozenset()
    non_returnable_skus: frozenset[str] = frozenset()
    reasons: Mapping[str, ReasonCode] = field(
        default_factory=lambda: dict(DEFAULT_REASONS), hash=False
    )
    max_days_after_delivery: int = 730
    refund_original_shipping: ShippingRefund = ShippingRefund.MERCHANT_FAULT
    store_credit_bonus_pct: Decimal = Decimal(0)
    refurbish_opened_categories: frozenset[str] = frozenset()
    vendor_return_categories: frozenset[str] = frozenset()
    timezone: str = "Europe/Paris"
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.max_days_after_delivery < 1:
            raise ValueError(f"max_days_after_delivery = {self.max_days_after_delivery} < 1.")
        windows = {"default_window_days": self.default_window_days}
        windows |= {
            f"window_days_by_category[{c!r}]": d for c, d in self.window_days_by_category.items()
        }
        for name, days in windows.items():
            if not 0 <= days <= self.max_days_after_delivery:
                raise ValueError(
                    f"{name} = {days} must be between 0 and max_days_after_delivery "
                    f"({self.max_days_after_delivery})."
                )
        if not self.reasons:
            raise ValueError("reasons: at least one reason code.")
        for code, reason in self.reasons.items():
            if reason.code != code:
                raise ValueError(f"reasons[{code!r}] holds reason {reason.code!r}.")
        object.__setattr__(self, "reasons", dict(self.reasons))
        object.__setattr__(self, "window_days_by_category", dict(self.window_days_by_category))
        object.__setattr__(
            self, "refund_original_shipping", ShippingRefund(self.refund_original_shipping)
        )
        object.__setattr__(
            self,
            "store_credit_bonus_pct",
            _percent(self.store_credit_bonus_pct, "store_credit_bonus_pct"),
        )
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone = {self.timezone!r} is not a known IANA zone.") from exc

    def window_days(self, category: str, reason: ReasonCode) -> int:
        """Return the days after delivery a unit of ``category`` may come back for ``reason``."""
        if reason.merchant_fault:
            return self.max_days_after_delivery
        return self.window_days_by_category.get(category, self.default_window_days)

    def returnable(self, sku: str, category: str, reason: ReasonCode) -> bool:
        """Return whether ``sku`` of ``category`` may come back at all for ``reason``."""
        if reason.merchant_fault:
            return True
        return sku not in self.non_returnable_skus and category not in (
            self.non_returnable_categories
        )

    def last_day(self, delivered_at: datetime, days: int) -> date:
        """Return the last local day of a ``days`` window starting at ``delivered_at``."""
        return delivered_at.astimezone(self._zone).date() + timedelta(days=days)

    def local_date(self, moment: datetime) -> date:
        """Return the local date of ``moment`` in the policy's time zone."""
        return moment.astimezone(self._zone).date()


@dataclass(frozen=True, slots=True)
class SoldLine:
    """A line of the order as returns see it.

    Attributes:
        sku: the SKU.
        category: its catalogue category.
        quantity: units delivered (0 if not delivered yet).
        unit_price_cents: price paid per unit, taxes included, after discounts.
        delivered_at: when it was delivered (aware), ``None`` if not delivered.

    Raises:
        ValueError: for a negative quantity or price, or a naive ``delivered_at``.
    """

    sku: str
    category: str
    quantity: int
    unit_price_cents: int
    delivered_at: datetime | None

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValueError(f"SoldLine {self.sku!r}: quantity = {self.quantity} < 0.")
        if self.unit_price_cents < 0:
            raise ValueError(f"SoldLine {self.sku!r}: unit_price_cents < 0.")
        if self.delivered_at is not None and self.delivered_at.utcoffset() is None:
            raise ValueError(f"SoldLine {self.sku!r}: delivered_at is naive.")


@dataclass(frozen=True, slots=True)
class RequestedLine:
    """A unit count of a SKU the customer wants to return, and why (a reason code)."""

    sku: str
    quantity: int
    reason: str


LineInput = RequestedLine | tuple[str, int, str]


def _requested(lines: Sequence[LineInput], policy: ReturnPolicy) -> list[RequestedLine]:
    """Parse requested lines. Raises ValidationError naming every malformed field."""
    errors = ErrorCollector()
    if not lines:
        errors.add("lines", "at least one line")
    out: list[RequestedLine] = []
    for i, raw in enumerate(lines):
        if isinstance(raw, RequestedLine):
            line = raw
        elif isinstance(raw, tuple) and len(raw) == 3:
            line = RequestedLine(*raw)
        else:
            errors.add(f"lines.{i}", "needs (sku, quantity, reason)")
            continue
        if not isinstance(line.sku, str) or not line.sku:
            errors.add(f"lines.{i}.sku", "is required")
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int):
            errors.add(f"lines.{i}.quantity", "must be a whole number")
        elif line.quantity < 1:
            errors.add(f"lines.{i}.quantity", "must be at least 1")
        if line.reason not in policy.reasons:
            errors.add(
                f"lines.{i}.reason",
                f"unknown reason {line.reason!r}; one of {', '.join(sorted(policy.reasons))}",
            )
        out.append(line)
    errors.raise_if_any()
    return out


@dataclass(frozen=True, slots=True)
class LineVerdict:
    """The answer to one requested line.

    Attributes:
        index: position of the line in the request.
        sku, requested, reason: as requested.
        verdict: accepted, or why not.
        accepted: units accepted (``requested`` or 0).
        remaining: units of the SKU that could still be returned before this line.
        last_day: last local day of the return window for this reason (``None`` if not
            delivered or not in the order).
        return_shipping_paid_by: who pays the return parcel for this reason.
        message: a human explanation.
    """

    index: int
    sku: str
    requested: int
    reason: str
    verdict: Verdict
    accepted: int
    remaining: int
    last_day: date | None
    return_shipping_paid_by: Payer
    message: str

    @property
    def ok(self) -> bool:
        """Return whether the line was accepted."""
        return self.verdict is Verdict.ACCEPTED


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """Verdicts per requested line, in request order."""

    lines: tuple[LineVerdict, ...]

    @property
    def all_accepted(self) -> bool:
        """Return whether every line was accepted."""
        return all(v.ok for v in self.lines)

    @property
    def any_accepted(self) -> bool:
        """Return whether at least one line was accepted."""
        return any(v.ok for v in self.lines)

    @property
    def rejected(self) -> tuple[LineVerdict, ...]:
        """Return the lines not accepted."""
        return tuple(v for v in self.lines if not v.ok)

    def accepted_lines(self) -> tuple[RequestedLine, ...]:
        """Return the accepted lines, ready for :func:`refund_amount`."""
        return tuple(RequestedLine(v.sku, v.accepted, v.reason) for v in self.lines if v.ok)

    @property
    def return_shipping_paid_by(self) -> Payer | None:
        """Return who pays the return parcel: the merchant if any accepted line's reason says
        so, else the customer; ``None`` when nothing was accepted."""
        payers = {v.return_shipping_paid_by for v in self.lines if v.ok}
        if not payers:
            return None
        return Payer.MERCHANT if Payer.MERCHANT in payers else Payer.CUSTOMER


def _check_now(now: datetime) -> None:
    if now.utcoffset() is None:
        raise ValueError("now is naive; pass a timezone-aware datetime.")


def _delivered(order_lines: Iterable[SoldLine]) -> dict[str, list[SoldLine]]:
    by_sku: dict[str, list[SoldLine]] = {}
    for line in order_lines:
        by_sku.setdefault(line.sku, []).append(line)
    return by_sku


def _judge(
    policy: ReturnPolicy,
    line: RequestedLine,
    reason: ReasonCode,
    by_sku: Mapping[str, list[SoldLine]],
    returned: Mapping[str, int],
    today: date,
) -> tuple[Verdict, str, int, date | None]:
    """(verdict, message, units remaining, last day of the window) of one requested line."""
    order = by_sku.get(line.sku)
    if order is None:
        return Verdict.NOT_IN_ORDER, f"{line.sku} is not in this order", 0, None
    delivered = [o for o in order if o.delivered_at is not None and o.quantity > 0]
    if not delivered:
        return Verdict.NOT_DELIVERED, f"{line.sku} is not delivered yet", 0, None
    remaining = max(0, sum(o.quantity for o in delivered) - returned.get(line.sku, 0))
    days = policy.window_days(delivered[0].category, reason)
    last = policy.last_day(max(o.delivered_at for o in delivered if o.delivered_at), days)
    if not any(policy.returnable(line.sku, o.category, reason) for o in delivered):
        message = f"{line.sku} cannot be returned for reason {line.reason!r}"
        return Verdict.NOT_RETURNABLE, message, remaining, last
    if today > last:
        message = f"the {days}-day return window expired on {last.isoformat()}"
        return Verdict.WINDOW_EXPIRED, message, remaining, last
    if line.quantity > remaining:
        message = f"only {remaining} unit(s) of {line.sku} left to return"
        return Verdict.EXCEEDS_REMAINING, message, remaining, last
    return Verdict.ACCEPTED, "accepted", remaining, last


def check_eligibility(
    *,
    policy: ReturnPolicy,
    order_lines: Sequence[SoldLine],
    requested: Sequence[LineInput],
    now: datetime,
    already_returned: Mapping[str, int] | None = None,
) -> EligibilityResult:
    """Return a verdict for each requested line ``(sku, quantity, reason)``.

    A line is accepted when its SKU is in the order and delivered, returnable for the reason
    (non-returnable items only for a merchant-fault reason), within the window on the local
    date of ``now`` (the category window, or ``max_days_after_delivery`` for a merchant-fault
    reason; counted from the latest delivery of the SKU), and asks for no more than the units
    delivered minus those already returned and those accepted on earlier lines of this request.

    Raises:
        ValidationError: for malformed lines (``lines.<i>.quantity`` below 1 or not whole,
            ``lines.<i>.reason`` unknown, ``lines`` empty).
        ValueError: if ``now`` is naive.
    """
    _check_now(now)
    lines = _requested(requested, policy)
    today = policy.local_date(now)
    by_sku = _delivered(order_lines)
    returned = dict(already_returned or {})
    verdicts: list[LineVerdict] = []
    for i, line in enumerate(lines):
        reason = policy.reasons[line.reason]
        kind, message, remaining, last = _judge(policy, line, reason, by_sku, returned, today)
        if kind is Verdict.ACCEPTED:
            returned[line.sku] = returned.get(line.sku, 0) + line.quantity
        accepted = line.quantity if kind is Verdict.ACCEPTED else 0
        verdicts.append(
            LineVerdict(
                index=i,
                sku=line.sku,
                requested=line.quantity,
                reason=line.reason,
                verdict=kind,
                accepted=accepted,
                remaining=remaining,
                last_day=last,
                return_shipping_paid_by=reason.return_shipping_paid_by,
                message=message,
            )
        )
    return EligibilityResult(tuple(verdicts))


def disposition_for(
    *,
    grade: Grade | str,
    category: str,
    policy: ReturnPolicy,
    vendor_takes_back: bool | None = None,
) -> Disposition:
    """Return the default disposition of a returned unit of ``grade`` and ``category``.

    A: restock. B: restock, or refurbish in ``policy.refurbish_opened_categories``.
    C: return to vendor when the vendor takes it back (``vendor_takes_back``, or by default
    the category is in ``policy.vendor_return_categories``), else refurbish. D: scrap.

    Raises:
        ValueError: for an unknown grade.
    """
    try:
        grade = Grade(grade)
    except ValueError as exc:
        raise ValueError(f"grade = {grade!r} not understood; one of A, B, C, D.") from exc
    if grade is Grade.A:
        return Disposition.RESTOCK
    if grade is Grade.B:
        if category in policy.refurbish_opened_categories:
            return Disposition.REFURBISH
        return Disposition.RESTOCK
    if grade is Grade.C:
        vendor = (
            category in policy.vendor_return_categories
            if vendor_takes_back is None
            else vendor_takes_back
        )
        return Disposition.RETURN_TO_VENDOR if vendor else Disposition.REFURBISH
    return Disposition.SCRAP


@dataclass(frozen=True, slots=True)
class RefundResult:
    """How a return is settled, all in integer cents.

    Attributes:
        method: refund, store credit or exchange.
        goods_cents: returned units x their unit prices.
        restocking_fee_cents: fees kept (per line, by reason, rounded half up).
        shipping_refund_cents: original shipping refunded.
        return_label_cents: return label deducted (customer-paid return shipping).
        bonus_cents: store-credit bonus.
        refund_cents: money back to the original payment method (refund only).
        store_credit_cents: store credit issued (store credit only, bonus included).
        replacement_lines: ``(sku, quantity)`` to ship again (exchange only).
        capped: whether the refund was reduced to what remained refundable.
    """

    method: RefundMethod
    goods_cents: int
    restocking_fee_cents: int
    shipping_refund_cents: int
    return_label_cents: int
    bonus_cents: int
    refund_cents: int
    store_credit_cents: int
    replacement_lines: tuple[tuple[str, int], ...]
    capped: bool

    @property
    def total_cents(self) -> int:
        """Return the value given back: money plus store credit."""
        return self.refund_cents + self.store_credit_cents


def _price_units(order: Sequence[SoldLine], skip: int, count: int) -> int:
    """Price of ``count`` units of a SKU's order lines (in order) after the first ``skip``."""
    total = 0
    for line in order:
        take = min(line.quantity - min(skip, line.quantity), count)
        skip = max(0, skip - line.quantity)
        total += take * line.unit_price_cents
        count -= take
    return total


def _goods_and_fees(
    policy: ReturnPolicy,
    lines: Sequence[RequestedLine],
    by_sku: Mapping[str, Sequence[SoldLine]],
    skipped: dict[str, int],
) -> tuple[int, int]:
    """Return the goods value and restocking fees of ``lines``, each SKU's units priced on its
    order lines after the ``skipped`` ones (counted on as they are taken).

    Raises ValidationError naming each SKU not in the order or quantity over what is left.
    """
    errors = ErrorCollector()
    goods = 0
    fee = 0
    for i, line in enumerate(lines):
        order = by_sku.get(line.sku)
        if order is None:
            errors.add(f"lines.{i}.sku", f"{line.sku!r} is not in the order")
            continue
        start = skipped.get(line.sku, 0)
        total_units = sum(o.quantity for o in order)
        if start + line.quantity > total_units:
            errors.add(
                f"lines.{i}.quantity",
                f"only {max(0, total_units - start)} unit(s) left to return",
            )
            continue
        skipped[line.sku] = start + line.quantity
        value = _price_units(order, start, line.quantity)
        goods += value
        fee += _cents_of(value * policy.reasons[line.reason].restocking_fee_pct / 100)
    errors.raise_if_any()
    return goods, fee


def _shipping_refund(
    policy: ReturnPolicy,
    reasons: Sequence[ReasonCode],
    by_sku: Mapping[str, Sequence[SoldLine]],
    skipped: Mapping[str, int],
    shipping_paid_cents: int,
) -> int:
    """Return the original shipping refunded: all of it when every delivered unit is back and
    the policy's rule allows it for these reasons, else nothing."""
    complete = all(
        skipped.get(sku, 0) >= sum(o.quantity for o in order) for sku, order in by_sku.items()
    )
    rule = policy.refund_original_shipping
    shipping = 0
    if complete and (
        rule is ShippingRefund.ANY_FULL_RETURN
        or (rule is ShippingRefund.MERCHANT_FAULT and all(r.merchant_fault for r in reasons))
    ):
        shipping = shipping_paid_cents
    return shipping


def refund_amount(
    *,
    policy: ReturnPolicy,
    order_lines: Sequence[SoldLine],
    returned: Sequence[LineInput],
    shipping_paid_cents: int = 0,
    already_returned: Mapping[str, int] | None = None,
    already_refunded_cents: int = 0,
    method: RefundMethod | str = RefundMethod.REFUND,
    return_label_cents: int = 0,
) -> RefundResult:
    """Return the settlement of ``returned`` units ``(sku, quantity, reason)``.

    Units of a SKU are matched to its order lines in order, after the ``already_returned``
    units, and priced at those lines' unit prices. Each line's restocking fee is its reason's
    percentage of its goods (rounded half up). The original shipping is refunded when these
    units complete the return of every delivered unit and ``policy.refund_original_shipping``
    allows it (merchant-fault reasons only, by default). ``return_label_cents`` is deducted
    when the customer pays the return shipping (no line has a merchant-paid reason). Store
    credit adds ``policy.store_credit_bonus_pct`` of the credit; an exchange refunds nothing
    and charges no fee. Money refunded is capped at the order total paid (goods + shipping)
    minus ``already_refunded_cents``, and never negative.

    Raises:
        ValidationError: for malformed lines (as :func:`check_eligibility`), a SKU not in the
            order (``lines.<i>.sku``) or more units than delivered minus returned
            (``lines.<i>.quantity``).
        ValueError: for a negative amount or an unknown method.
    """
    for name, value in (
        ("shipping_paid_cents", shipping_paid_cents),
        ("already_refunded_cents", already_refunded_cents),
        ("return_label_cents", return_label_cents),
    ):
        if value < 0:
            raise ValueError(f"{name} = {value} < 0.")
    method = RefundMethod(method)
    lines = _requested(returned, policy)
    by_sku = _delivered(order_lines)
    skipped = dict(already_returned or {})
    goods, fee = _goods_and_fees(policy, lines, by_sku, skipped)
    reasons = [policy.reasons[line.reason] for line in lines]
    if method is RefundMethod.EXCHANGE:
        replacements: dict[str, int] = {}
        for line in lines:
            replacements[line.sku] = replacements.get(line.sku, 0) + line.quantity
        return RefundResult(
            method, goods, 0, 0, 0, 0, 0, 0, tuple(sorted(replacements.items())), False
        )
    fee = min(fee, goods)
    shipping = _shipping_refund(policy, reasons, by_sku, skipped, shipping_paid_cents)
    customer_pays = all(r.return_shipping_paid_by is Payer.CUSTOMER for r in reasons)
    label = return_label_cents if customer_pays else 0
    value = max(0, goods - fee + shipping - label)
    paid = sum(o.quantity * o.unit_price_cents for o in order_lines) + shipping_paid_cents
    refundable = max(0, paid - already_refunded_cents)
    if method is RefundMethod.REFUND:
        refund = min(value, refundable)
        return RefundResult(method, goods, fee, shipping, label, 0, refund, 0, (), refund < value)
    credit = min(value, refundable)
    bonus = _cents_of(credit * policy.store_credit_bonus_pct / 100)
    return RefundResult(
        method, goods, fee, shipping, label, bonus, 0, credit + bonus, (), credit < value
    )
