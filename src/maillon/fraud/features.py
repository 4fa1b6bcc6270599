"""Order fraud features, computed from plain inputs.

``compute_features(order, history, activity)`` turns three immutable values into an
``OrderFeatures`` vector with named float fields (``FEATURE_NAMES``), ready for the rules
layer (``maillon.fraud.rules``) and the trained model (``maillon.fraud.scoring``):

``Order``
    the order being scored: amount, e-mail, card fingerprint, IP, device, billing and
    shipping coordinates, a normalised shipping-address key, the local UTC offset.
``CustomerHistory``
    what is known about the customer before this order (account creation, number of past
    orders, mean / standard deviation / maximum of past amounts); ``None`` for a guest.
``ActivityCounters``
    recent activity: how many earlier orders share this order's customer, e-mail, card,
    IP or device within each window of ``VELOCITY_WINDOWS`` (1 hour, 24 hours, 7 days), and
    how many *other* accounts used the same shipping address, device or card.  A service
    keeps these counters in its store; ``count_activity`` computes them from a list of
    recent orders (tests, backfills, small shops).

Unknown values are ``nan`` (LightGBM treats them as missing; a rule comparison with ``nan``
never fires).  Times must be timezone-aware.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from operator import attrgetter

import numpy as np
import numpy.typing as npt

__all__ = [
    "FEATURE_NAMES",
    "MIN_ORDERS_FOR_ZSCORE",
    "RISKY_HOURS",
    "VELOCITY_KEYS",
    "VELOCITY_WINDOWS",
    "ActivityCounters",
    "CustomerHistory",
    "GeoPoint",
    "Order",
    "OrderFeatures",
    "compute_features",
    "count_activity",
    "disposable_domains",
    "haversine_km",
    "is_disposable_email",
]

VELOCITY_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
)
"""Velocity windows (label, length), shortest first."""

VELOCITY_KEYS: tuple[str, ...] = ("customer", "email", "card", "ip", "device")
"""Order attributes whose recent usage is counted."""

RISKY_HOURS: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5})
"""Local hours (00:00-05:59) considered risky by default."""

_EARTH_RADIUS_KM = 6371.0088
_NAN = math.nan


MIN_ORDERS_FOR_ZSCORE = 3
"""Earlier orders a customer needs before an amount is compared with their spread."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in kilometres between two (lat, lon) points in degrees."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    """Return the shipped set of disposable e-mail domains (lower case), read once."""
    text = resources.files("maillon.fraud").joinpath("disposable_domains.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def is_disposable_email(email: str, domains: frozenset[str] | None = None) -> bool:
    """Return ``True`` when the e-mail's domain (or a parent domain) is a disposable one.

    ``domains`` defaults to ``disposable_domains()``.  An address without ``@`` is never
    disposable (it is invalid, which validation reports elsewhere).
    """
    at = email.rfind("@")
    if at < 0:
        return False
    known = disposable_domains() if domains is None else domains
    domain = email[at + 1 :].strip().lower().rstrip(".")
    while domain:
        if domain in known:
            return True
        dot = domain.find(".")
        if dot < 0:
            return False
        domain = domain[dot + 1 :]
    return False


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}.")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A point in degrees.

    Raises:
        ValueError: if latitude is outside [-90, 90] or longitude outside [-180, 180].
    """

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0:
            raise ValueError(f"latitude {self.lat} not in [-90, 90].")
        if not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"longitude {self.lon} not in [-180, 180].")


@dataclass(frozen=True, slots=True)
class Order:
    """The order to score.

    Attributes:
        order_id: the order's identifier.
        email: the buyer's e-mail address.
        amount: order total (any currency, consistent with ``CustomerHistory``), >= 0.
        created_at: when the order was placed (timezone-aware).
        customer_id: the account, or ``None`` for a guest checkout.
        card_fingerprint: the payment provider's card fingerprint, if any.
        ip: the client IP address, if known.
        device_id: a device fingerprint, if known.
        billing, shipping: geocoded billing and shipping addresses, if known.
        shipping_address_key: a normalised shipping address (for reuse across accounts).
        utc_offset_minutes: the buyer's local UTC offset (for risky hours); ``None`` uses
            ``created_at``'s own offset.
        n_items: number of units in the order, >= 1.

    Raises:
        ValueError: on a negative amount, ``n_items < 1``, a naive ``created_at`` or an
            offset outside +-18 hours.
    """

    order_id: str
    email: str
    amount: float
    created_at: datetime
    customer_id: str | None = None
    card_fingerprint: str | None = None
    ip: str | None = None
    device_id: str | None = None
    billing: GeoPoint | None = None
    shipping: GeoPoint | None = None
    shipping_address_key: str | None = None
    utc_offset_minutes: int | None = None
    n_items: int = 1

    def __post_init__(self) -> None:
        if not math.isfinite(self.amount) or self.amount < 0:
            raise ValueError(f"amount must be a finite number >= 0, got {self.amount}.")
        if self.n_items < 1:
            raise ValueError(f"n_items must be >= 1, got {self.n_items}.")
        _require_aware("created_at", self.created_at)
        if self.utc_offset_minutes is not None and abs(self.utc_offset_minutes) > 18 * 60:
            raise ValueError(f"utc_offset_minutes {self.utc_offset_minutes} not in +-1080.")

    def key(self, name: str) -> str | None:
        """Return the value of velocity key ``name`` (one of ``VELOCITY_KEYS``).

        Raises:
            ValueError: if ``name`` is not a velocity key.
        """
        if name == "customer":
            return self.customer_id
        if name == "email":
            return self.email.strip().lower() or None
        if name == "card":
            return self.card_fingerprint
        if name == "ip":
            return self.ip
        if name == "device":
            return self.device_id
        raise ValueError(f"unknown velocity key {name!r}; expected one of {VELOCITY_KEYS}.")

    def local_hour(self) -> int:
        """Return the hour of day (0-23) in the buyer's local time."""
        if self.utc_offset_minutes is None:
            return self.created_at.hour
        offset = self.created_at.utcoffset() or timedelta(0)
        local = self.created_at - offset + timedelta(minutes=self.utc_offset_minutes)
        return local.hour


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """What is known about a registered customer before the order.

    Attributes:
        account_created_at: when the account was opened (timezone-aware).
        n_orders: number of earlier orders.
        amount_mean, amount_std, amount_max: statistics of earlier order amounts
            (ignored when ``n_orders == 0``).
        n_chargebacks: earlier orders that ended in a chargeback.

    Raises:
        ValueError: on negative counts or statistics, or a naive ``account_created_at``.
    """

    account_created_at: datetime
    n_orders: int = 0
    amount_mean: float = 0.0
    amount_std: float = 0.0
    amount_max: float = 0.0
    n_chargebacks: int = 0

    def __post_init__(self) -> None:
        _require_aware("account_created_at", self.account_created_at)
        if self.n_orders < 0 or self.n_chargebacks < 0:
            raise ValueError("n_orders and n_chargebacks must be >= 0.")
        for name in ("amount_mean", "amount_std", "amount_max"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}.")

    @classmethod
    def from_amounts(
        cls, account_created_at: datetime, amounts: Sequence[float], n_chargebacks: int = 0
    ) -> CustomerHistory:
        """Return a history summarising earlier order ``amounts`` (population std)."""
        n = len(amounts)
        if n == 0:
            return cls(account_created_at, 0, n_chargebacks=n_chargebacks)
        mean = math.fsum(amounts) / n
        var = math.fsum((a - mean) ** 2 for a in amounts) / n
        return cls(account_created_at, n, mean, math.sqrt(var), max(amounts), n_chargebacks)


def _zeros() -> tuple[int, ...]:
    return (0,) * len(VELOCITY_WINDOWS)


@dataclass(frozen=True, slots=True)
class ActivityCounters:
    """Recent activity around an order (counts exclude the order itself).

    Each velocity attribute holds one count per window of ``VELOCITY_WINDOWS``, in that
    order; counts are non-decreasing with the window length.  ``*_accounts`` count
    *other* accounts that used the same shipping address, device or card.

    Raises:
        ValueError: on a wrong number of windows, a negative count or counts that decrease
            as the window grows.
    """

    customer: tuple[int, ...] = field(default_factory=_zeros)
    email: tuple[int, ...] = field(default_factory=_zeros)
    card: tuple[int, ...] = field(default_factory=_zeros)
    ip: tuple[int, ...] = field(default_factory=_zeros)
    device: tuple[int, ...] = field(default_factory=_zeros)
    address_accounts: int = 0
    device_accounts: int = 0
    card_accounts: int = 0

    def __post_init__(self) -> None:
        n = len(VELOCITY_WINDOWS)
        for key in VELOCITY_KEYS:
            counts = tuple(getattr(self, key))
            object.__setattr__(self, key, counts)
            if len(counts) != n:
                raise ValueError(f"{key} needs {n} counts (one per window), got {len(counts)}.")
            if any(c < 0 for c in counts):
                raise ValueError(f"{key} counts must be >= 0, got {counts}.")
            if any(a > b for a, b in pairwise(counts)):
                raise ValueError(f"{key} counts must not decrease with the window: {counts}.")
        for name in ("address_accounts", "device_accounts", "card_accounts"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0.")


def count_activity(order: Order, recent: Iterable[Order]) -> ActivityCounters:
    """Return the ``ActivityCounters`` of ``order`` computed from earlier orders ``recent``.

    Only orders placed strictly before ``order.created_at`` count towards velocity; the
    cross-account counts use every order in ``recent`` with a different (known) customer.
    An order with the same ``order_id`` is ignored.
    """
    windows = [w for _, w in VELOCITY_WINDOWS]
    keys = {k: order.key(k) for k in VELOCITY_KEYS}
    counts = {k: [0] * len(windows) for k in VELOCITY_KEYS}
    address_accounts: set[str] = set()
    device_accounts: set[str] = set()
    card_accounts: set[str] = set()
    me = order.customer_id
    for other in recent:
        if other.order_id == order.order_id:
            continue
        age = order.created_at - other.created_at
        if age > timedelta(0):
            for k, value in keys.items():
                if value is not None and other.key(k) == value:
                    row = counts[k]
                    for i, w in enumerate(windows):
                        if age <= w:
                            row[i] += 1
        who = other.customer_id
        if who is None or who == me:
            continue
        if order.shipping_address_key and other.shipping_address_key == order.shipping_address_key:
            address_accounts.add(who)
        if order.device_id and other.device_id == order.device_id:
            device_accounts.add(who)
        if order.card_fingerprint and other.card_fingerprint == order.card_fingerprint:
            card_accounts.add(who)
    return ActivityCounters(
        customer=tuple(counts["customer"]),
        email=tuple(counts["email"]),
        card=tuple(counts["card"]),
        ip=tuple(counts["ip"]),
        device=tuple(counts["device"]),
        address_accounts=len(address_accounts),
        device_accounts=len(device_accounts),
        card_accounts=len(card_accounts),
    )


@dataclass(frozen=True, slots=True)
class OrderFeatures:
    """The feature vector of one order; every field is a float (``nan`` = unknown).

    Field order is ``FEATURE_NAMES``; ``as_array`` gives a ``(1, n)`` float64 row for the
    model and ``values`` a plain tuple.
    """

    amount: float
    n_items: float
    is_guest: float
    account_age_days: float
    prior_orders: float
    prior_chargebacks: float
    amount_zscore: float
    amount_ratio_mean: float
    amount_ratio_max: float
    customer_orders_1h: float
    customer_orders_24h: float
    customer_orders_7d: float
    email_orders_1h: float
    email_orders_24h: float
    email_orders_7d: float
    card_orders_1h: float
    card_orders_24h: float
    card_orders_7d: float
    ip_orders_1h: float
    ip_orders_24h: float
    ip_orders_7d: float
    device_orders_1h: float
    device_orders_24h: float
    device_orders_7d: float
    billing_shipping_km: float
    address_accounts: float
    device_accounts: float
    card_accounts: float
    local_hour: float
    is_risky_hour: float
    email_disposable: float

    def values(self) -> tuple[float, ...]:
        """Return the feature values in ``FEATURE_NAMES`` order."""
        return _values(self)

    def as_array(self) -> npt.NDArray[np.float64]:
        """Return the features as a ``(1, len(FEATURE_NAMES))`` float64 array."""
        return np.array([_values(self)], dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        """Return ``{name: value}`` in ``FEATURE_NAMES`` order."""
        return dict(zip(FEATURE_NAMES, _values(self), strict=True))


FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(OrderFeatures))
"""Names of the ``OrderFeatures`` fields, in vector order."""

_values: Callable[[OrderFeatures], tuple[float, ...]] = attrgetter(*FEATURE_NAMES)


def _account_features(
    order: Order, history: CustomerHistory | None, amount: float
) -> tuple[float, float, float, float, float, float]:
    """Return the account age (days), prior orders, chargebacks, amount z-score and the
    amount's ratios to the mean and the max of earlier orders (all ``nan`` without history).

    Raises ValueError if ``history.account_created_at`` is after ``order.created_at``.
    """
    if history is None:
        return _NAN, _NAN, _NAN, _NAN, _NAN, _NAN
    delta = order.created_at - history.account_created_at
    if delta < timedelta(0):
        raise ValueError("account_created_at is after the order's created_at.")
    age = delta.total_seconds() / 86400.0
    prior = float(history.n_orders)
    chargebacks = float(history.n_chargebacks)
    if history.n_orders > 0 and history.amount_mean > 0:
        ratio_mean = amount / history.amount_mean
        ratio_max = amount / history.amount_max if history.amount_max > 0 else _NAN
    else:
        ratio_mean = ratio_max = _NAN
    if history.n_orders >= MIN_ORDERS_FOR_ZSCORE and history.amount_mean > 0:
        std = max(history.amount_std, 0.05 * history.amount_mean)
        z = (amount - history.amount_mean) / std
    else:
        # a spread needs a few orders: one earlier order made any other amount an outlier
        z = _NAN
    return age, prior, chargebacks, z, ratio_mean, ratio_max


def compute_features(
    order: Order,
    history: CustomerHistory | None = None,
    activity: ActivityCounters | None = None,
    *,
    risky_hours: frozenset[int] = RISKY_HOURS,
    domains: frozenset[str] | None = None,
) -> OrderFeatures:
    """Return the ``OrderFeatures`` of ``order``.

    ``history`` is ``None`` for a guest or an unknown customer (account features become
    ``nan``); ``activity`` defaults to no recent activity.  ``amount_zscore`` uses a
    standard deviation floored at 5 % of the mean (so a customer with constant amounts does
    not produce infinite scores) and is ``nan`` with fewer than
    :data:`MIN_ORDERS_FOR_ZSCORE` earlier orders (the ratios need one).

    Raises:
        ValueError: if ``history.account_created_at`` is after ``order.created_at``.
    """
    act = activity if activity is not None else ActivityCounters()
    amount = order.amount
    age, prior, chargebacks, z, ratio_mean, ratio_max = _account_features(order, history, amount)
    if order.billing is not None and order.shipping is not None:
        b, s = order.billing, order.shipping
        distance = haversine_km(b.lat, b.lon, s.lat, s.lon)
    else:
        distance = _NAN
    hour = order.local_hour()
    c, e, k, i, d = act.customer, act.email, act.card, act.ip, act.device
    return OrderFeatures(
        amount,
        float(order.n_items),
        1.0 if order.customer_id is None else 0.0,
        age,
        prior,
        chargebacks,
        z,
        ratio_mean,
        ratio_max,
        float(c[0]),
        float(c[1]),
        float(c[2]),
        float(e[0]),
        float(e[1]),
        float(e[2]),
        float(k[0]),
        float(k[1]),
        float(k[2]),
        float(i[0]),
        float(i[1]),
        float(i[2]),
        float(d[0]),
        float(d[1]),
        float(d[2]),
        distance,
        float(act.address_accounts),
        float(act.device_accounts),
        float(act.card_accounts),
        float(hour),
        1.0 if hour in risky_hours else 0.0,
        1.0 if is_disposable_email(order.email, domains) else 0.0,
    )
