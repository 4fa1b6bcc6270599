"""Rate shopping: every service of every card quoted, promised, and ranked under a policy.

:func:`shop` quotes every service of every card, promises a delivery date with
:func:`maillon.shipping.promise.promise_date`, estimates each service's on-time rate from our
own tracking history (a mapping ``(carrier, service, zone) -> (on_time_rate, parcels)`` shrunk
towards a prior for small samples) and ranks the quotes under a :class:`ShoppingPolicy`:

* ``cheapest``: lowest total, then fewest expected days;
* ``fastest``: earliest promised date, then most reliable, then lowest total;
* ``best_value``: lowest ``total + value_of_day_cents x expected days``, where
  ``expected days = days to the promised date + (1 - on-time rate) x late_delay_days``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from maillon.core.money import format_cents
from maillon.shipping.promise import DEFAULT_WAREHOUSE, Promise, WarehouseCalendar, promise_date
from maillon.shipping.rates.cards import RateCard, ServiceKind, ZoneRate
from maillon.shipping.rates.pricing import (
    Exclusion,
    ExclusionReason,
    Quote,
    RateParcel,
    price,
    priced_quote,
)
from maillon.shipping.rates.zones import Destination

__all__ = [
    "DEFAULT_POLICY",
    "Objective",
    "Reliability",
    "ShoppingPolicy",
    "ShoppingResult",
    "expected_on_time",
    "shop",
]


Reliability = Mapping[tuple[str, str, str], tuple[float, int]]
"""Measured on-time rates: ``(carrier, service, zone) -> (on_time_rate, parcels)``.

A zone of ``"*"`` gives a service's rate for every zone without its own entry."""


class Objective(StrEnum):
    """How :func:`shop` ranks the quotes."""

    CHEAPEST = "cheapest"
    FASTEST = "fastest"
    BEST_VALUE = "best_value"


@dataclass(frozen=True, slots=True)
class ShoppingPolicy:
    """How to choose among the services that can carry a parcel.

    Attributes:
        objective: see :class:`Objective` and the module docstring.
        value_of_day_cents: what one more day of waiting costs the customer (best value).
        late_delay_days: how many days a late parcel is late on average.
        prior_on_time: on-time rate assumed for a service without history.
        prior_weight: how many parcels the prior counts for: a measured rate over ``n``
            parcels is shrunk to ``(rate x n + prior_on_time x prior_weight) / (n + weight)``.
        kinds: the service kinds offered (None: all), e.g. only relay points.

    Raises ValueError for negative values, a prior outside 0-1 or an empty ``kinds``.
    """

    objective: Objective = Objective.BEST_VALUE
    value_of_day_cents: int = 100
    late_delay_days: float = 2.0
    prior_on_time: float = 0.9
    prior_weight: float = 30.0
    kinds: frozenset[ServiceKind] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective(self.objective))
        if self.value_of_day_cents < 0:
            raise ValueError("value_of_day_cents must be >= 0")
        if self.late_delay_days < 0:
            raise ValueError("late_delay_days must be >= 0")
        if not 0 <= self.prior_on_time <= 1:
            raise ValueError("prior_on_time must be between 0 and 1")
        if self.prior_weight < 0:
            raise ValueError("prior_weight must be >= 0")
        if self.kinds is not None:
            if not self.kinds:
                raise ValueError("kinds must name at least one service kind (or be None)")
            object.__setattr__(self, "kinds", frozenset(ServiceKind(k) for k in self.kinds))


DEFAULT_POLICY = ShoppingPolicy()


@dataclass(frozen=True, slots=True)
class ShoppingResult:
    """The outcome of :func:`shop`.

    Attributes:
        policy: the policy applied.
        quotes: every service able to carry the parcel, best first.
        excluded: the services left out, and why.
        reason: why the first quote was chosen, in one or two sentences.
    """

    policy: ShoppingPolicy
    quotes: tuple[Quote, ...]
    excluded: tuple[Exclusion, ...]
    reason: str

    @property
    def chosen(self) -> Quote | None:
        """The best quote, or None when no service can carry the parcel."""
        return self.quotes[0] if self.quotes else None


def _on_time(
    reliability: Reliability | None, key: tuple[str, str, str], policy: ShoppingPolicy
) -> tuple[float, int]:
    measured = None
    if reliability:
        measured = reliability.get(key)
        if measured is None:
            measured = reliability.get((key[0], key[1], "*"))
    if measured is None:
        return policy.prior_on_time, 0
    rate, samples = measured
    if not 0 <= rate <= 1 or samples < 0:
        raise ValueError(f"reliability {key}: on-time rate must be in 0-1 and samples >= 0")
    weight = policy.prior_weight + samples
    if weight == 0:
        return rate, samples
    return (rate * samples + policy.prior_on_time * policy.prior_weight) / weight, samples


def expected_on_time(
    reliability: Reliability | None,
    carrier: str,
    service: str,
    zone: str,
    policy: ShoppingPolicy = DEFAULT_POLICY,
) -> tuple[float, int]:
    """Return the on-time rate a quote of ``carrier``'s ``service`` to ``zone`` counts on (the
    measured rate shrunk to the policy's prior; the service's all-zone rate when the zone has
    none) and the deliveries it was measured on. Raises ValueError for a rate outside 0-1."""
    return _on_time(reliability, (carrier, service, zone), policy)


def _rank_key(q: Quote, objective: Objective) -> tuple[Any, ...]:
    assert q.promise is not None and q.expected_days is not None and q.value_cents is not None
    if objective is Objective.CHEAPEST:
        return (q.total_cents, q.expected_days, q.carrier, q.service)
    if objective is Objective.FASTEST:
        return (q.promise.delivery_date, q.expected_days, q.total_cents, q.carrier, q.service)
    return (q.value_cents, q.total_cents, q.expected_days, q.carrier, q.service)


def _reason(ranked: Sequence[Quote], excluded: Sequence[Exclusion], policy: ShoppingPolicy) -> str:
    if not ranked:
        counts: dict[str, int] = {}
        for e in excluded:
            counts[e.reason.value] = counts.get(e.reason.value, 0) + 1
        detail = ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in sorted(counts.items()))
        return f"No service can carry this parcel ({detail or 'no services'})."
    best = ranked[0]
    assert best.promise is not None and best.on_time_rate is not None
    why = {
        Objective.CHEAPEST: "the lowest price",
        Objective.FASTEST: "the earliest promised delivery",
        Objective.BEST_VALUE: (
            f"the best value (price + {format_cents(policy.value_of_day_cents)} per expected day)"
        ),
    }[policy.objective]
    history = (
        f"{best.on_time_samples} tracked parcels" if best.on_time_samples else "no history: prior"
    )
    text = (
        f"{best.service_name} ({best.carrier}, {best.kind.value}) chosen for {why}: "
        f"{format_cents(best.total_cents)}, delivery promised "
        f"{best.promise.delivery_date:%a %d %b %Y}, on time {best.on_time_rate:.0%} ({history})."
    )
    if len(ranked) > 1:
        nxt = ranked[1]
        assert nxt.promise is not None
        gap = nxt.total_cents - best.total_cents
        days = (nxt.promise.delivery_date - best.promise.delivery_date).days
        text += (
            f" Next: {nxt.service_name} ({nxt.carrier}), "
            f"{'+' if gap >= 0 else '-'}{format_cents(abs(gap))}, {days:+d} day(s)."
        )
    if excluded:
        text += f" {len(excluded)} service(s) excluded."
    return text


def shop(
    cards: Iterable[RateCard],
    parcel: RateParcel,
    destination: Destination,
    *,
    ordered_at: dt.datetime,
    policy: ShoppingPolicy = DEFAULT_POLICY,
    reliability: Reliability | None = None,
    warehouse: WarehouseCalendar = DEFAULT_WAREHOUSE,
) -> ShoppingResult:
    """Return every service of ``cards`` able to carry ``parcel`` to ``destination``, ranked.

    Each quote carries its price breakdown, its promise (order at ``ordered_at``, shipped
    from ``warehouse``), its prior-shrunk on-time rate from ``reliability`` and the expected
    days and value the ranking used; excluded services come with their reason. Ties are
    broken by carrier then service code, so the result is deterministic.

    Raises ValueError for a naive ``ordered_at`` or a reliability entry out of range.
    """
    if ordered_at.tzinfo is None or ordered_at.utcoffset() is None:
        raise ValueError("ordered_at must be timezone-aware (e.g. UTC)")
    quotes: list[Quote] = []
    excluded: list[Exclusion] = []
    promises: dict[tuple[Any, ...], Promise] = {}
    for card in cards:
        _shop_card(
            card,
            parcel,
            destination,
            ordered_at,
            policy,
            reliability,
            warehouse,
            promises,
            quotes,
            excluded,
        )
    objective = policy.objective
    quotes.sort(key=lambda q: _rank_key(q, objective))
    return ShoppingResult(
        policy=policy,
        quotes=tuple(quotes),
        excluded=tuple(excluded),
        reason=_reason(quotes, excluded, policy),
    )


def _shop_card(
    card: RateCard,
    parcel: RateParcel,
    destination: Destination,
    ordered_at: dt.datetime,
    policy: ShoppingPolicy,
    reliability: Reliability | None,
    warehouse: WarehouseCalendar,
    promises: dict[tuple[Any, ...], Promise],
    quotes: list[Quote],
    excluded: list[Exclusion],
) -> None:
    """Quote every service of ``card`` into ``quotes`` or ``excluded``; ``promises`` caches
    the promise of each (transit, cut-off, Saturday pickup, Saturday delivery)."""
    kinds = policy.kinds
    day_value = policy.value_of_day_cents
    late_days = policy.late_delay_days
    zone = card.zone_for(destination)
    for service in card.services:
        if kinds is not None and service.kind not in kinds:
            excluded.append(
                Exclusion(
                    card.carrier,
                    service.code,
                    ExclusionReason.KIND_NOT_ALLOWED,
                    f"{service.kind.value} services are not offered by the policy",
                )
            )
            continue
        if zone is None:
            excluded.append(
                Exclusion(
                    card.carrier,
                    service.code,
                    ExclusionReason.NO_COVERAGE,
                    f"{card.name} does not serve {destination.country} "
                    f"{destination.postal_code}".rstrip(),
                )
            )
            continue
        priced = price(service, zone, parcel)
        if isinstance(priced, Exclusion):
            excluded.append(priced)
            continue
        rate = priced[-1]
        assert isinstance(rate, ZoneRate)
        promise_key = (
            rate.transit_days,
            service.cutoff,
            service.saturday_pickup,
            service.saturday_delivery,
        )
        promise = promises.get(promise_key)
        if promise is None:
            promise = promise_date(
                ordered_at=ordered_at,
                transit_days=rate.transit_days,
                warehouse=warehouse,
                carrier_cutoff=service.cutoff,
                saturday_pickup=service.saturday_pickup,
                saturday_delivery=service.saturday_delivery,
                destination_country=destination.country,
                destination_postal_code=destination.postal_code,
            )
            promises[promise_key] = promise
        on_time = _on_time(reliability, (card.carrier, service.code, zone.code), policy)
        quotes.append(
            priced_quote(service, zone, parcel, priced, promise, on_time, day_value, late_days)
        )
