"""A configurable rules layer over ``OrderFeatures``.

A ``Rule`` is a small typed object: ``feature operator threshold`` with a ``weight`` in
(0, 1] and a human ``reason``.  A ``RuleSet`` evaluates every rule and combines the weights
of the fired rules with a noisy-OR, ``score = 1 - prod(1 - weight)``, so the score stays in
[0, 1], grows with every fired rule and equals the weight when one rule fires.

Rule sets load from a dict or JSON::

    {"rules": [{"name": "card_velocity", "feature": "card_orders_1h", "op": ">=",
                "threshold": 3, "weight": 0.35, "reason": "card used 3+ times in an hour"}],
     "review_at": 0.3, "reject_at": 0.8}

``evaluate(features)`` uses ``DEFAULT_RULES`` unless given a rule set.  A comparison with an
unknown (``nan``) feature never fires.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from maillon.fraud.features import FEATURE_NAMES, OrderFeatures

__all__ = [
    "DEFAULT_RULES",
    "OPERATORS",
    "Rule",
    "RuleResult",
    "RuleSet",
    "evaluate",
]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
"""Comparison operators a rule may use."""


@dataclass(frozen=True, slots=True)
class Rule:
    """``feature op threshold`` fires with ``weight`` and explains itself with ``reason``.

    Raises:
        ValueError: on an unknown feature or operator, a non-finite threshold, a weight
            outside (0, 1] or an empty name or reason.
    """

    name: str
    feature: str
    op: str
    threshold: float
    weight: float
    reason: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a rule needs a non-empty name.")
        if self.feature not in FEATURE_NAMES:
            raise ValueError(f"rule {self.name!r}: unknown feature {self.feature!r}.")
        if self.op not in OPERATORS:
            raise ValueError(
                f"rule {self.name!r}: operator {self.op!r} not understood; "
                f"expected one of {sorted(OPERATORS)}."
            )
        if not math.isfinite(self.threshold):
            raise ValueError(f"rule {self.name!r}: threshold must be finite.")
        if not 0.0 < self.weight <= 1.0:
            raise ValueError(f"rule {self.name!r}: weight {self.weight} not in (0, 1].")
        if not self.reason:
            raise ValueError(f"rule {self.name!r}: a rule needs a reason text.")

    def fires(self, value: float) -> bool:
        """Return whether the rule fires on a feature ``value`` (never on ``nan``)."""
        if math.isnan(value):
            return False
        return OPERATORS[self.op](value, self.threshold)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Return a rule from ``{name, feature, op, threshold, weight, reason}``.

        Raises:
            ValueError: on missing or unknown keys or invalid values.
        """
        expected = {"name", "feature", "op", "threshold", "weight", "reason"}
        missing = expected - set(data)
        extra = set(data) - expected
        if missing or extra:
            raise ValueError(
                f"rule {data.get('name')!r}: missing keys {sorted(missing)}, "
                f"unknown keys {sorted(extra)}."
            )
        return cls(
            name=str(data["name"]),
            feature=str(data["feature"]),
            op=str(data["op"]),
            threshold=float(data["threshold"]),
            weight=float(data["weight"]),
            reason=str(data["reason"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as a JSON-ready dict (inverse of ``from_dict``)."""
        return {
            "name": self.name,
            "feature": self.feature,
            "op": self.op,
            "threshold": self.threshold,
            "weight": self.weight,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of evaluating a rule set.

    Attributes:
        score: noisy-OR of the fired rules' weights, in [0, 1] (0 when none fired).
        reasons: the fired rules' reasons, heaviest first.
        fired: the fired rules' names, in the same order as ``reasons``.
    """

    score: float
    reasons: tuple[str, ...]
    fired: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """An ordered collection of rules with routing thresholds on the combined score.

    Raises:
        ValueError: on duplicate rule names or thresholds not satisfying
            ``0 < review_at <= reject_at <= 1``.
    """

    rules: tuple[Rule, ...]
    review_at: float = 0.3
    reject_at: float = 0.8
    _plan: tuple[tuple[int, Rule], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate rule names in {names}.")
        if not 0.0 < self.review_at <= self.reject_at <= 1.0:
            raise ValueError(
                f"need 0 < review_at <= reject_at <= 1, got {self.review_at}, {self.reject_at}."
            )
        index = {name: i for i, name in enumerate(FEATURE_NAMES)}
        object.__setattr__(self, "_plan", tuple((index[r.feature], r) for r in self.rules))

    def evaluate(self, features: OrderFeatures | Iterable[float]) -> RuleResult:
        """Return the ``RuleResult`` of these rules on ``features``.

        ``features`` is an ``OrderFeatures`` or its values in ``FEATURE_NAMES`` order.

        Raises:
            ValueError: if a plain sequence has the wrong length.
        """
        values = features.values() if isinstance(features, OrderFeatures) else tuple(features)
        if len(values) != len(FEATURE_NAMES):
            raise ValueError(f"expected {len(FEATURE_NAMES)} feature values, got {len(values)}.")
        fired = [rule for i, rule in self._plan if rule.fires(values[i])]
        fired.sort(key=lambda r: -r.weight)
        keep = 1.0
        for rule in fired:
            keep *= 1.0 - rule.weight
        return RuleResult(
            score=1.0 - keep,
            reasons=tuple(r.reason for r in fired),
            fired=tuple(r.name for r in fired),
        )

    def decision(self, score: float) -> str:
        """Return ``"accept"``, ``"review"`` or ``"reject"`` for a rules ``score``."""
        if score >= self.reject_at:
            return "reject"
        if score >= self.review_at:
            return "review"
        return "accept"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Return a rule set from ``{"rules": [...], "review_at": .., "reject_at": ..}``.

        Raises:
            ValueError: if ``rules`` is missing or a rule or threshold is invalid.
        """
        if "rules" not in data:
            raise ValueError("a rule set needs a 'rules' list.")
        return cls(
            rules=tuple(Rule.from_dict(r) for r in data["rules"]),
            review_at=float(data.get("review_at", 0.3)),
            reject_at=float(data.get("reject_at", 0.8)),
        )

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        """Return a rule set from its JSON text (see ``from_dict``).

        Raises:
            ValueError: on invalid JSON or an invalid rule set.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"rule set is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("rule set JSON must be an object.")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the rule set as a JSON-ready dict (inverse of ``from_dict``)."""
        return {
            "rules": [r.to_dict() for r in self.rules],
            "review_at": self.review_at,
            "reject_at": self.reject_at,
        }


DEFAULT_RULES = RuleSet.from_dict(
    {
        "review_at": 0.3,
        "reject_at": 0.8,
        "rules": [
            {
                "name": "card_velocity_1h",
                "feature": "card_orders_1h",
                "op": ">=",
                "threshold": 3,
                "weight": 0.4,
                "reason": "card used for 3 or more orders in the last hour",
            },
            {
                "name": "card_shared_accounts",
                "feature": "card_accounts",
                "op": ">=",
                "threshold": 2,
                "weight": 0.4,
                "reason": "card used by 2 or more other accounts",
            },
            {
                "name": "device_shared_accounts",
                "feature": "device_accounts",
                "op": ">=",
                "threshold": 3,
                "weight": 0.3,
                "reason": "device used by 3 or more other accounts",
            },
            {
                "name": "address_shared_accounts",
                "feature": "address_accounts",
                "op": ">=",
                "threshold": 3,
                "weight": 0.25,
                "reason": "shipping address used by 3 or more other accounts",
            },
            {
                "name": "ip_velocity_1h",
                "feature": "ip_orders_1h",
                "op": ">=",
                "threshold": 5,
                "weight": 0.25,
                "reason": "5 or more orders from this IP in the last hour",
            },
            {
                "name": "email_velocity_24h",
                "feature": "email_orders_24h",
                "op": ">=",
                "threshold": 5,
                "weight": 0.2,
                "reason": "5 or more orders with this e-mail in the last 24 hours",
            },
            {
                "name": "disposable_email",
                "feature": "email_disposable",
                "op": "==",
                "threshold": 1,
                "weight": 0.3,
                "reason": "disposable e-mail domain",
            },
            {
                "name": "amount_outlier",
                "feature": "amount_zscore",
                "op": ">",
                "threshold": 4,
                "weight": 0.25,
                "reason": "amount far above the customer's usual orders",
            },
            {
                "name": "far_shipping",
                "feature": "billing_shipping_km",
                "op": ">",
                "threshold": 1000,
                "weight": 0.2,
                "reason": "shipping address over 1,000 km from billing address",
            },
            {
                "name": "new_account",
                "feature": "account_age_days",
                "op": "<",
                "threshold": 1,
                "weight": 0.1,
                "reason": "account opened less than a day ago",
            },
            {
                "name": "past_chargebacks",
                "feature": "prior_chargebacks",
                "op": ">=",
                "threshold": 1,
                "weight": 0.35,
                "reason": "customer has had a chargeback before",
            },
            {
                "name": "risky_hour",
                "feature": "is_risky_hour",
                "op": "==",
                "threshold": 1,
                "weight": 0.1,
                "reason": "placed between midnight and 6 a.m. local time",
            },
        ],
    }
)
"""Sensible default rules; any one strong signal reaches review, three strong ones reject."""


def evaluate(
    features: OrderFeatures | Iterable[float], rules: RuleSet = DEFAULT_RULES
) -> RuleResult:
    """Return the ``RuleResult`` of ``rules`` (default ``DEFAULT_RULES``) on ``features``.

    Raises:
        ValueError: if a plain sequence of values has the wrong length.
    """
    return rules.evaluate(features)
