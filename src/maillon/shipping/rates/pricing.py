"""Pricing one parcel on one service: the quote and its breakdown, or why it is excluded.

    billed weight = max(actual weight, volume / dim_divisor)   (dimensional weight, if set)
    base          = price of the first band whose max weight >= billed weight
    total         = base + remote + oversize + fuel + insurance      (integer cents)

with the surcharges of :mod:`.surcharges`. A service that does not serve the zone, or whose
limits (weight, length, sides sum, girth, declared value) the parcel exceeds, is excluded with
the reason (:class:`Exclusion`). :func:`quote` prices one service; :mod:`.shopping` ranks them
all (pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from maillon.core.money import format_cents
from maillon.shipping.promise import Promise
from maillon.shipping.rates.cards import RateCard, Service, ServiceKind, ZoneRate
from maillon.shipping.rates.zones import Destination, Zone

__all__ = [
    "Exclusion",
    "ExclusionReason",
    "Priced",
    "Quote",
    "RateParcel",
    "price",
    "priced_quote",
    "quote",
]


@dataclass(frozen=True, slots=True)
class RateParcel:
    """A parcel to ship: weight (g), three sides (mm, any order), declared value (cents).

    Raises ValueError for a non-positive weight or side, or a negative declared value.
    """

    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    declared_value_cents: int = 0

    def __post_init__(self) -> None:
        if self.weight_g <= 0:
            raise ValueError("weight_g must be > 0")
        if min(self.length_mm, self.width_mm, self.height_mm) <= 0:
            raise ValueError("parcel sides must be > 0 mm")
        if self.declared_value_cents < 0:
            raise ValueError("declared_value_cents must be >= 0")

    @property
    def longest_mm(self) -> int:
        """The longest side."""
        return max(self.length_mm, self.width_mm, self.height_mm)

    @property
    def sides_sum_mm(self) -> int:
        """Length + width + height."""
        return self.length_mm + self.width_mm + self.height_mm

    @property
    def girth_mm(self) -> int:
        """Longest side + twice each of the other two (length + girth)."""
        return 2 * self.sides_sum_mm - self.longest_mm

    @property
    def volume_mm3(self) -> int:
        """Length x width x height."""
        return self.length_mm * self.width_mm * self.height_mm


class ExclusionReason(StrEnum):
    """Why a service cannot carry a parcel."""

    NO_COVERAGE = "no_coverage"
    TOO_HEAVY = "too_heavy"
    TOO_BIG = "too_big"
    VALUE_TOO_HIGH = "value_too_high"
    KIND_NOT_ALLOWED = "kind_not_allowed"
    NOT_SET_UP = "not_set_up"


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A service left out of the shop, the reason and a human-readable detail."""

    carrier: str
    service: str
    reason: ExclusionReason
    detail: str


@dataclass(frozen=True, slots=True)
class Quote:
    """One service's price for a parcel, with its breakdown, promise and reliability.

    Attributes:
        carrier, service, service_name, kind, zone: what is quoted, for which zone.
        base_cents, fuel_cents, remote_cents, oversize_cents, insurance_cents: the breakdown.
        total_cents: their sum.
        actual_weight_g, dim_weight_g, billed_weight_g: the weights (``dim_weight_g`` is
            None when the service has no dimensional divisor); ``dim_weight_used`` is True
            when the dimensional weight was billed.
        band_max_weight_g: the band the billed weight fell in.
        transit_days: the zone's transit, in delivery days.
        promise: ship and delivery dates (``shop`` only).
        on_time_rate, on_time_samples: the estimated on-time rate (prior-shrunk) and how many
            tracked parcels it rests on (``shop`` only).
        expected_days: calendar days to the promise plus the expected lateness (``shop``).
        value_cents: total plus the value of the expected days (``shop``).
    """

    carrier: str
    service: str
    service_name: str
    kind: ServiceKind
    zone: str
    base_cents: int
    fuel_cents: int
    remote_cents: int
    oversize_cents: int
    insurance_cents: int
    total_cents: int
    actual_weight_g: int
    dim_weight_g: int | None
    billed_weight_g: int
    dim_weight_used: bool
    band_max_weight_g: int
    transit_days: int
    promise: Promise | None = None
    on_time_rate: float | None = None
    on_time_samples: int = 0
    expected_days: float | None = None
    value_cents: float | None = None

    def breakdown(self) -> dict[str, int | bool | None]:
        """Return the price components (cents) and the weights behind them."""
        return {
            "base_cents": self.base_cents,
            "fuel_cents": self.fuel_cents,
            "remote_cents": self.remote_cents,
            "oversize_cents": self.oversize_cents,
            "insurance_cents": self.insurance_cents,
            "total_cents": self.total_cents,
            "actual_weight_g": self.actual_weight_g,
            "dim_weight_g": self.dim_weight_g,
            "billed_weight_g": self.billed_weight_g,
            "dim_weight_used": self.dim_weight_used,
            "band_max_weight_g": self.band_max_weight_g,
        }

    def explain(self) -> str:
        """Return the price as one line, e.g. ``base 6.15 EUR (zone FR, <= 1000 g ...) ...``."""
        billed = "dimensional" if self.dim_weight_used else "actual"
        parts = [
            f"base {format_cents(self.base_cents)} (zone {self.zone}, band <= "
            f"{self.band_max_weight_g} g, {billed} weight {self.billed_weight_g} g billed)"
        ]
        for label, cents in (
            ("remote area", self.remote_cents),
            ("oversize", self.oversize_cents),
            ("fuel", self.fuel_cents),
            ("insurance", self.insurance_cents),
        ):
            if cents:
                parts.append(f"{label} {format_cents(cents)}")
        return " + ".join(parts) + f" = {format_cents(self.total_cents)}"


Priced = tuple[int, int, int, int, int, int | None, int, int, ZoneRate]
"""A priced parcel: base, fuel, remote, oversize and insurance cents, dimensional and billed
weights, the band's max weight and the zone's rate."""


def _excluded(service: Service, reason: ExclusionReason, detail: str) -> Exclusion:
    return Exclusion(service.carrier, service.code, reason, detail)


def price(service: Service, zone: Zone, parcel: RateParcel) -> Priced | Exclusion:
    """Price ``parcel`` on ``service`` in ``zone``: the components, or why it cannot."""
    rate = service.rate_for(zone.code)
    if rate is None:
        return _excluded(
            service,
            ExclusionReason.NO_COVERAGE,
            f"{service.name} does not serve zone {zone.code}",
        )
    weight = parcel.weight_g
    max_weight = service.max_weight_g or rate.bands[-1].max_weight_g
    if weight > max_weight:
        return _excluded(
            service,
            ExclusionReason.TOO_HEAVY,
            f"{weight} g is over the {max_weight} g limit of {service.name}",
        )
    longest = parcel.longest_mm
    sides = parcel.sides_sum_mm
    for limit, size, what in (
        (service.max_length_mm, longest, "longest side"),
        (service.max_sides_sum_mm, sides, "length + width + height"),
        (service.max_girth_mm, 2 * sides - longest, "length + girth"),
    ):
        if limit is not None and size > limit:
            return _excluded(
                service,
                ExclusionReason.TOO_BIG,
                f"{what} {size} mm is over the {limit} mm limit of {service.name}",
            )
    value = parcel.declared_value_cents
    if service.max_value_cents is not None and value > service.max_value_cents:
        return _excluded(
            service,
            ExclusionReason.VALUE_TOO_HIGH,
            f"declared value {format_cents(value)} is over the "
            f"{format_cents(service.max_value_cents)} {service.name} accepts",
        )
    dim_weight = None
    billed = weight
    if service.dim_divisor is not None:
        dim_weight = -(-parcel.volume_mm3 // service.dim_divisor)
        billed = max(weight, dim_weight)
    band = rate.band_for(billed)
    if band is None:
        return _excluded(
            service,
            ExclusionReason.TOO_BIG,
            f"dimensional weight {billed} g is over the heaviest band "
            f"({rate.bands[-1].max_weight_g} g) of {service.name}",
        )
    remote, oversize, fuel, insurance = service.surcharges.amounts(
        band.price_cents,
        remote_zone=zone.remote,
        longest_mm=longest,
        sides_sum_mm=sides,
        weight_g=weight,
        declared_value_cents=value,
    )
    return (
        band.price_cents,
        fuel,
        remote,
        oversize,
        insurance,
        dim_weight,
        billed,
        band.max_weight_g,
        rate,
    )


def priced_quote(
    service: Service,
    zone: Zone,
    parcel: RateParcel,
    priced: Priced,
    promise: Promise | None = None,
    on_time: tuple[float, int] | None = None,
    value_of_day_cents: int = 0,
    late_delay_days: float = 0.0,
) -> Quote:
    """Return the :class:`Quote` of ``priced``, with the promise, on-time rate, expected days
    and value when :mod:`.shopping` gives them."""
    base, fuel, remote, oversize, insurance, dim_weight, billed, band_max, rate = priced
    total = base + fuel + remote + oversize + insurance
    expected = value = None
    if promise is not None and on_time is not None:
        expected = promise.days_to_delivery + (1.0 - on_time[0]) * late_delay_days
        value = total + value_of_day_cents * expected
    return Quote(
        carrier=service.carrier,
        service=service.code,
        service_name=service.name,
        kind=service.kind,
        zone=zone.code,
        base_cents=base,
        fuel_cents=fuel,
        remote_cents=remote,
        oversize_cents=oversize,
        insurance_cents=insurance,
        total_cents=total,
        actual_weight_g=parcel.weight_g,
        dim_weight_g=dim_weight,
        billed_weight_g=billed,
        dim_weight_used=billed > parcel.weight_g,
        band_max_weight_g=band_max,
        transit_days=rate.transit_days,
        promise=promise,
        on_time_rate=on_time[0] if on_time else None,
        on_time_samples=on_time[1] if on_time else 0,
        expected_days=expected,
        value_cents=value,
    )


def quote(
    card: RateCard, service: str | Service, parcel: RateParcel, destination: Destination
) -> Quote | Exclusion:
    """Return the price of ``parcel`` to ``destination`` on one service of ``card``.

    The result is a :class:`Quote` (no promise or reliability: see :func:`shop`) or, when the
    service cannot carry it, an :class:`Exclusion` saying why. Raises KeyError for a service
    code the card does not have.
    """
    svc = card.service(service) if isinstance(service, str) else service
    zone = card.zone_for(destination)
    if zone is None:
        return Exclusion(
            card.carrier,
            svc.code,
            ExclusionReason.NO_COVERAGE,
            f"{card.name} does not serve {destination.country} {destination.postal_code}".rstrip(),
        )
    priced = price(svc, zone, parcel)
    if isinstance(priced, Exclusion):
        return priced
    return priced_quote(svc, zone, parcel, priced)
