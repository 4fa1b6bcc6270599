"""Carriers, rate cards and rate shopping (pure).

A :class:`RateCard` is one carrier: its zones (a country, optionally narrowed to postal-code
prefixes; the longest matching prefix wins, a zone without prefixes covers the rest of its
country) and its :class:`Service` s (standard, express, relay point, appointment, same-day).
A service prices a parcel with the weight bands of the destination's zone and adds its
:class:`Surcharges`:

    billed weight = max(actual weight, volume / dim_divisor)   (dimensional weight, if set)
    base          = price of the first band whose max weight >= billed weight
    remote        = remote-area surcharge when the zone is remote (Corsica, islands...)
    oversize      = oversize surcharge past the length / sides-sum / weight thresholds
    fuel          = fuel_pct of (base + remote + oversize), rounded half up
    insurance     = insurance_pct of the declared value above what the service includes
    total         = base + remote + oversize + fuel + insurance      (integer cents)

A service that does not serve the zone, or whose limits (weight, length, sides sum, girth,
declared value) the parcel exceeds, is excluded with the reason (:class:`Exclusion`).

:func:`shop` quotes every service of every card, promises a delivery date with
:func:`maillon.shipping.promise.promise_date`, estimates each service's on-time rate from our
own tracking history (a mapping ``(carrier, service, zone) -> (on_time_rate, parcels)`` shrunk
towards a prior for small samples) and ranks the quotes under a :class:`ShoppingPolicy`:

* ``cheapest``: lowest total, then fewest expected days;
* ``fastest``: earliest promised date, then most reliable, then lowest total;
* ``best_value``: lowest ``total + value_of_day_cents x expected days``, where
  ``expected days = days to the promised date + (1 - on-time rate) x late_delay_days``.

Zone look-ups are precompiled into dictionaries by country and prefix length, so a shop over
10 carriers and 50 services takes a fraction of a millisecond.

:func:`load_rate_cards` reads cards from YAML (carriers, zones, services, surcharges, inline
grids) and CSV weight grids, validating every row: a bad value raises :class:`RateCardError`
(a ``ValidationError`` and a ``ValueError``) naming the file, the line and the field.
:func:`load_example_rate_cards` loads the illustrative French cards shipped in ``data/``.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import yaml

from maillon.core.errors import FieldError, ValidationError
from maillon.core.money import format_cents
from maillon.shipping.promise import DEFAULT_WAREHOUSE, Promise, WarehouseCalendar, promise_date

__all__ = [
    "DEFAULT_POLICY",
    "EXAMPLE_DATA",
    "Destination",
    "Exclusion",
    "ExclusionReason",
    "Objective",
    "Parcel",
    "Quote",
    "RateCard",
    "RateCardError",
    "Reliability",
    "Service",
    "ServiceKind",
    "ShoppingPolicy",
    "ShoppingResult",
    "Surcharges",
    "WeightBand",
    "Zone",
    "ZoneRate",
    "load_example_rate_cards",
    "load_rate_cards",
    "quote",
    "shop",
]

EXAMPLE_DATA = Path(__file__).resolve().parent / "data"
"""Folder of the illustrative example cards (``carriers.yaml`` + ``grids.csv``)."""

Reliability = Mapping[tuple[str, str, str], tuple[float, int]]
"""Measured on-time rates: ``(carrier, service, zone) -> (on_time_rate, parcels)``.

A zone of ``"*"`` gives a service's rate for every zone without its own entry."""


class ServiceKind(StrEnum):
    """What a service offers the customer."""

    STANDARD = "standard"
    EXPRESS = "express"
    RELAY_POINT = "relay_point"
    APPOINTMENT = "appointment"
    SAME_DAY = "same_day"


def _normalise_postal(code: str) -> str:
    return "".join(code.split()).upper()


def _check_country(country: str) -> None:
    if len(country) != 2 or not country.isalpha() or not country.isupper():
        raise ValueError(f"country {country!r} must be an ISO 3166 alpha-2 code such as 'FR'")


def _basis_points(pct: float, name: str) -> int:
    if not 0 <= pct <= 100:
        raise ValueError(f"{name} must be between 0 and 100")
    points = round(pct * 100)
    if abs(points - pct * 100) > 1e-6:
        raise ValueError(f"{name} has more than 2 decimals")
    return points


def _share(cents: int, points: int) -> int:
    """Return ``points`` basis points of ``cents`` (>= 0), rounded half up."""
    return (cents * points + 5000) // 10000


@dataclass(frozen=True, slots=True)
class WeightBand:
    """One line of a price grid: parcels up to ``max_weight_g`` (inclusive) cost ``price_cents``.

    Raises ValueError for a non-positive weight or a negative price.
    """

    max_weight_g: int
    price_cents: int

    def __post_init__(self) -> None:
        if self.max_weight_g <= 0:
            raise ValueError("max_weight_g must be > 0")
        if self.price_cents < 0:
            raise ValueError("price_cents must be >= 0")


@dataclass(frozen=True, slots=True)
class Zone:
    """A carrier's delivery zone: a country, optionally narrowed to postal-code prefixes.

    A zone without prefixes covers its whole country (except codes another zone's prefix
    matches). ``remote`` zones pay the remote-area surcharge. Raises ValueError for an empty
    code, a country that is not an upper-case alpha-2 code, or an empty or repeated prefix.
    """

    code: str
    country: str
    postal_prefixes: tuple[str, ...] = ()
    remote: bool = False

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ValueError("zone code must not be empty")
        _check_country(self.country)
        prefixes = tuple(_normalise_postal(p) for p in self.postal_prefixes)
        if any(not p or not p.isalnum() for p in prefixes):
            raise ValueError("postal prefixes must be non-empty letters/digits")
        if len(set(prefixes)) != len(prefixes):
            raise ValueError("postal prefixes must not repeat")
        object.__setattr__(self, "postal_prefixes", prefixes)


@dataclass(frozen=True, slots=True)
class ZoneRate:
    """A service's price grid and transit time for one zone.

    ``bands`` go by strictly increasing weight with non-decreasing prices; ``transit_days``
    counts delivery days after the ship date. Raises ValueError otherwise.
    """

    zone: str
    bands: tuple[WeightBand, ...]
    transit_days: int
    _weights: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.bands:
            raise ValueError(f"zone {self.zone!r} needs at least one weight band")
        for before, after in itertools.pairwise(self.bands):
            if after.max_weight_g <= before.max_weight_g:
                raise ValueError(
                    f"zone {self.zone!r}: weight bands must go by increasing max weight "
                    f"({after.max_weight_g} g after {before.max_weight_g} g)"
                )
            if after.price_cents < before.price_cents:
                raise ValueError(
                    f"zone {self.zone!r}: the {after.max_weight_g} g band is cheaper than "
                    f"the {before.max_weight_g} g band"
                )
        if self.transit_days < 0:
            raise ValueError("transit_days must be >= 0")
        object.__setattr__(self, "_weights", tuple(b.max_weight_g for b in self.bands))

    @property
    def max_weight_g(self) -> int:
        """The heaviest band's max weight."""
        return self.bands[-1].max_weight_g

    def band_for(self, weight_g: int) -> WeightBand | None:
        """Return the first band holding ``weight_g``, or None above the heaviest band."""
        k = bisect.bisect_left(self._weights, weight_g)
        return self.bands[k] if k < len(self.bands) else None


@dataclass(frozen=True, slots=True)
class Surcharges:
    """What a service adds to the grid price.

    Attributes:
        fuel_pct: fuel surcharge, % of base + remote + oversize (at most 2 decimals).
        remote_cents: added in remote zones.
        oversize_cents: added when the longest side exceeds ``oversize_length_mm``, the sum of
            the sides exceeds ``oversize_sides_sum_mm`` or the weight exceeds
            ``oversize_weight_g`` (each threshold optional).
        insurance_pct: % of the declared value above ``insurance_included_cents``.

    Raises ValueError for negative amounts or thresholds, or percentages outside 0-100.
    """

    fuel_pct: float = 0.0
    remote_cents: int = 0
    oversize_cents: int = 0
    oversize_length_mm: int | None = None
    oversize_sides_sum_mm: int | None = None
    oversize_weight_g: int | None = None
    insurance_pct: float = 0.0
    insurance_included_cents: int = 0
    _fuel_points: int = field(init=False, repr=False, compare=False)
    _insurance_points: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fuel_points", _basis_points(self.fuel_pct, "fuel_pct"))
        object.__setattr__(
            self, "_insurance_points", _basis_points(self.insurance_pct, "insurance_pct")
        )
        for name in ("remote_cents", "oversize_cents", "insurance_included_cents"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("oversize_length_mm", "oversize_sides_sum_mm", "oversize_weight_g"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0")


NO_SURCHARGES = Surcharges()


@dataclass(frozen=True, slots=True)
class Service:
    """One carrier service and everything needed to price and promise it.

    Attributes:
        carrier, code, name, kind: identity (``carrier`` is the card's code).
        rates: one :class:`ZoneRate` per zone served (coverage).
        surcharges: see :class:`Surcharges`.
        dim_divisor: cm³ per kg for dimensional weight (5000 means 1 kg per 5 dm³);
            None: billed on actual weight only.
        max_weight_g: heaviest parcel accepted (None: the heaviest band of each zone).
        max_length_mm, max_sides_sum_mm, max_girth_mm: size limits (longest side,
            L + W + H, L + 2 W + 2 H); None: no limit.
        max_value_cents: highest declared value accepted; None: no limit.
        cutoff: collection cut-off at the warehouse (local, naive); None: the warehouse's.
        saturday_pickup, saturday_delivery: whether the carrier collects / delivers on Saturday.

    Raises ValueError for an empty code or name, no rates, a zone priced twice, or a
    non-positive limit or divisor.
    """

    carrier: str
    code: str
    name: str
    kind: ServiceKind
    rates: tuple[ZoneRate, ...]
    surcharges: Surcharges = NO_SURCHARGES
    dim_divisor: int | None = None
    max_weight_g: int | None = None
    max_length_mm: int | None = None
    max_sides_sum_mm: int | None = None
    max_girth_mm: int | None = None
    max_value_cents: int | None = None
    cutoff: dt.time | None = None
    saturday_pickup: bool = False
    saturday_delivery: bool = False
    _by_zone: dict[str, ZoneRate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.carrier.strip() or not self.code.strip() or not self.name.strip():
            raise ValueError("a service needs a carrier, a code and a name")
        object.__setattr__(self, "kind", ServiceKind(self.kind))
        if not self.rates:
            raise ValueError(f"service {self.code!r} has no rates: it serves no zone")
        by_zone = {r.zone: r for r in self.rates}
        if len(by_zone) != len(self.rates):
            raise ValueError(f"service {self.code!r} prices a zone twice")
        object.__setattr__(self, "_by_zone", by_zone)
        for name in (
            "dim_divisor",
            "max_weight_g",
            "max_length_mm",
            "max_sides_sum_mm",
            "max_girth_mm",
        ):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0")
        if self.max_value_cents is not None and self.max_value_cents < 0:
            raise ValueError("max_value_cents must be >= 0")
        if self.cutoff is not None and self.cutoff.tzinfo is not None:
            raise ValueError("cutoff is a local wall-clock time: give it without tzinfo")

    def rate_for(self, zone: str) -> ZoneRate | None:
        """Return the service's grid for ``zone``, or None when it does not serve it."""
        return self._by_zone.get(zone)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a parcel goes: an ISO alpha-2 country and a postal code (spaces dropped).

    Raises ValueError for a country that is not two letters or a postal code with other
    characters than letters, digits, spaces and dashes.
    """

    country: str
    postal_code: str = ""

    def __post_init__(self) -> None:
        country = self.country.strip().upper()
        _check_country(country)
        code = _normalise_postal(self.postal_code)
        if code and not code.replace("-", "").isalnum():
            raise ValueError(f"postal code {self.postal_code!r} is not a postal code")
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "postal_code", code)


@dataclass(frozen=True, slots=True)
class Parcel:
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


@dataclass(frozen=True, slots=True)
class RateCard:
    """One carrier: its zones and services, with a precompiled zone look-up.

    Raises ValueError for an empty code, repeated zone or service codes, two zones claiming
    the same country + prefix (or the same whole country), or a service that is another
    carrier's or prices a zone the card does not define.
    """

    carrier: str
    name: str
    zones: tuple[Zone, ...]
    services: tuple[Service, ...]
    _lookup: dict[str, tuple[tuple[tuple[int, dict[str, Zone]], ...], Zone | None]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.carrier.strip() or not self.name.strip():
            raise ValueError("a rate card needs a carrier code and a name")
        codes = [z.code for z in self.zones]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.carrier}: zone codes must not repeat")
        service_codes = [s.code for s in self.services]
        if len(set(service_codes)) != len(service_codes):
            raise ValueError(f"{self.carrier}: service codes must not repeat")
        known = set(codes)
        for service in self.services:
            if service.carrier != self.carrier:
                raise ValueError(f"service {service.code!r} belongs to {service.carrier!r}")
            for rate in service.rates:
                if rate.zone not in known:
                    raise ValueError(f"service {service.code!r} prices unknown zone {rate.zone!r}")
        tables: dict[str, dict[int, dict[str, Zone]]] = {}
        fallback: dict[str, Zone] = {}
        for zone in self.zones:
            if not zone.postal_prefixes:
                if zone.country in fallback:
                    raise ValueError(
                        f"{self.carrier}: zones {fallback[zone.country].code!r} and "
                        f"{zone.code!r} both cover all of {zone.country}"
                    )
                fallback[zone.country] = zone
            for prefix in zone.postal_prefixes:
                table = tables.setdefault(zone.country, {}).setdefault(len(prefix), {})
                if prefix in table:
                    raise ValueError(
                        f"{self.carrier}: prefix {zone.country} {prefix} is in zones "
                        f"{table[prefix].code!r} and {zone.code!r}"
                    )
                table[prefix] = zone
        lookup = {
            country: (
                tuple(sorted(tables.get(country, {}).items(), reverse=True)),
                fallback.get(country),
            )
            for country in {z.country for z in self.zones}
        }
        object.__setattr__(self, "_lookup", lookup)

    def zone_for(self, destination: Destination) -> Zone | None:
        """Return the zone serving ``destination`` (longest prefix first), or None."""
        entry = self._lookup.get(destination.country)
        if entry is None:
            return None
        by_length, fallback = entry
        code = destination.postal_code
        for length, table in by_length:
            if len(code) >= length:
                zone = table.get(code[:length])
                if zone is not None:
                    return zone
        return fallback

    def service(self, code: str) -> Service:
        """Return the service ``code``. Raises KeyError when the card has none."""
        for service in self.services:
            if service.code == code:
                return service
        raise KeyError(f"{self.carrier} has no service {code!r}")


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


def _excluded(service: Service, reason: ExclusionReason, detail: str) -> Exclusion:
    return Exclusion(service.carrier, service.code, reason, detail)


def _price(
    service: Service, zone: Zone, parcel: Parcel
) -> tuple[int, int, int, int, int, int | None, int, int, ZoneRate] | Exclusion:
    """Price ``parcel`` on ``service`` in ``zone``: the components, or why it cannot."""
    rate = service._by_zone.get(zone.code)
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
    s = service.surcharges
    remote = s.remote_cents if zone.remote else 0
    oversize = 0
    if (
        (s.oversize_length_mm is not None and longest > s.oversize_length_mm)
        or (s.oversize_sides_sum_mm is not None and sides > s.oversize_sides_sum_mm)
        or (s.oversize_weight_g is not None and weight > s.oversize_weight_g)
    ):
        oversize = s.oversize_cents
    fuel = _share(band.price_cents + remote + oversize, s._fuel_points)
    insured = value - s.insurance_included_cents
    insurance = _share(insured, s._insurance_points) if insured > 0 else 0
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


def _quote(
    service: Service,
    zone: Zone,
    parcel: Parcel,
    priced: tuple[int, int, int, int, int, int | None, int, int, ZoneRate],
    promise: Promise | None = None,
    on_time: tuple[float, int] | None = None,
    value_of_day_cents: int = 0,
    late_delay_days: float = 0.0,
) -> Quote:
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
    card: RateCard, service: str | Service, parcel: Parcel, destination: Destination
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
    priced = _price(svc, zone, parcel)
    if isinstance(priced, Exclusion):
        return priced
    return _quote(svc, zone, parcel, priced)


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
    parcel: Parcel,
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
    kinds = policy.kinds
    day_value = policy.value_of_day_cents
    late_days = policy.late_delay_days
    for card in cards:
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
            priced = _price(service, zone, parcel)
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
                _quote(service, zone, parcel, priced, promise, on_time, day_value, late_days)
            )
    objective = policy.objective
    quotes.sort(key=lambda q: _rank_key(q, objective))
    return ShoppingResult(
        policy=policy,
        quotes=tuple(quotes),
        excluded=tuple(excluded),
        reason=_reason(quotes, excluded, policy),
    )


# --------------------------------------------------------------------------- loading


class RateCardError(ValidationError, ValueError):
    """A rate-card file that cannot be loaded; ``source``, ``line`` and ``field`` say where.

    It is a :class:`~maillon.core.errors.ValidationError` (HTTP 422, ``field`` set) and a
    ``ValueError``, so pure callers can catch either.
    """

    def __init__(self, *, source: str, line: int | None, field: str, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(FieldError(field, message), text)


class _Map(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class _Seq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []


_CARRIER_KEYS = {"code", "name", "zones", "services", "defaults"}
_ZONE_KEYS = {"code", "country", "prefixes", "remote"}
_OPTION_KEYS = {
    "dim_divisor",
    "max_weight_g",
    "max_length_mm",
    "max_sides_sum_mm",
    "max_girth_mm",
    "max_value_eur",
    "cutoff",
    "saturday_pickup",
    "saturday_delivery",
    "surcharges",
}
_SERVICE_KEYS = {"code", "name", "kind", "transit_days", "rates"} | _OPTION_KEYS
_SURCHARGE_KEYS = {
    "fuel_pct",
    "remote_eur",
    "oversize_eur",
    "oversize_length_mm",
    "oversize_sides_sum_mm",
    "oversize_weight_g",
    "insurance_pct",
    "insurance_included_eur",
}
_GRID_COLUMNS = ("carrier", "service", "zone", "max_weight_g", "price_eur")

_Row = tuple[int, int, str, int]
"""A grid row: max weight (g), price (cents), source, line."""


class _Reader:
    """Validating reader of one rate-card source; every error names file, line and field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int | None, field: str, message: str, source: str = "") -> NoReturn:
        raise RateCardError(source=source or self.source, line=line, field=field, message=message)

    # -- YAML with line numbers
    def parse_yaml(self, text: str) -> Any:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else self._convert(loader, node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self.fail(mark.line + 1 if mark else None, "", f"not valid YAML: {exc.problem}")
        except yaml.YAMLError as exc:
            self.fail(None, "", f"not valid YAML: {exc}")
        finally:
            loader.dispose()

    def _convert(self, loader: Any, node: Any) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = _Map(line)
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.fail(line, "<<", "YAML merge keys are not supported")
                key = loader.construct_object(key_node, deep=True)
                if isinstance(key, bool) or not isinstance(key, str | int):
                    self.fail(key_node.start_mark.line + 1, str(key), "keys must be text")
                key = str(key)
                if key in out:
                    self.fail(key_node.start_mark.line + 1, key, "key given twice")
                out[key] = self._convert(loader, value_node)
                out.lines[key] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = _Seq(line)
            for item in node.value:
                seq.append(self._convert(loader, item))
                seq.lines.append(item.start_mark.line + 1)
            return seq
        return loader.construct_object(node, deep=True)

    # -- typed getters
    def mapping(self, value: Any, line: int | None, path: str, allowed: set[str]) -> _Map:
        if not isinstance(value, _Map):
            self.fail(line, path, "must be a mapping (key: value)")
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(
                value.line_of(unknown[0]),
                f"{path}.{unknown[0]}" if path else unknown[0],
                f"unknown field (expected one of: {', '.join(sorted(allowed))})",
            )
        return value

    def sequence(self, value: Any, line: int | None, path: str) -> _Seq:
        if not isinstance(value, _Seq):
            self.fail(line, path, "must be a list")
        return value

    def text(self, m: _Map, key: str, path: str) -> str:
        value = m.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(m.line_of(key), f"{path}.{key}", "must be non-empty text")
        return value.strip()

    def integer(self, value: Any, line: int | None, path: str, *, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(line, path, f"must be a whole number, not {value!r}")
        if value < minimum:
            self.fail(line, path, f"must be >= {minimum}, not {value}")
        return value

    def percent(self, value: Any, line: int | None, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(line, path, f"must be a percentage such as 12.5, not {value!r}")
        try:
            _basis_points(float(value), path)
        except ValueError as exc:
            self.fail(line, path, str(exc))
        return float(value)

    def money(self, value: Any, line: int | None, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(line, path, f"must be an amount in euros such as 4.95, not {value!r}")
        try:
            amount = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            self.fail(line, path, f"must be an amount in euros such as 4.95, not {value!r}")
        if not amount.is_finite() or amount < 0:
            self.fail(line, path, f"must be a non-negative amount, not {value!r}")
        cents = amount * 100
        if cents != cents.to_integral_value():
            self.fail(line, path, f"{value!r} has more than 2 decimals")
        return int(cents)

    def boolean(self, value: Any, line: int | None, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(line, path, f"must be true or false, not {value!r}")
        return value

    def clock(self, value: Any, line: int | None, path: str) -> dt.time:
        if not isinstance(value, str):
            self.fail(line, path, f"must be a quoted time such as '17:00' (YAML read {value!r})")
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            self.fail(line, path, f"must be a time such as '17:00', not {value!r}")

    # -- grids
    def grid_file(self, path: Path, rows: dict[tuple[str, str, str], list[_Row]]) -> None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(None, "grid_files", f"cannot read {source}: {exc.strerror}")
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in _GRID_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            self.fail(1, missing[0], "missing column in the header", source)
        for row in reader:
            line = reader.line_num
            key = []
            for column in ("carrier", "service", "zone"):
                cell = (row.get(column) or "").strip()
                if not cell:
                    self.fail(line, column, "must not be empty", source)
                key.append(cell)
            weight_text = (row.get("max_weight_g") or "").strip()
            if not weight_text.isdigit() or int(weight_text) <= 0:
                self.fail(
                    line, "max_weight_g", f"must be a whole number > 0, not {weight_text!r}", source
                )
            try:
                cents = self.money(row.get("price_eur") or "", line, "price_eur")
            except RateCardError as exc:
                self.fail(line, "price_eur", exc.errors[0].message, source)
            rows.setdefault((key[0], key[1], key[2]), []).append(
                (int(weight_text), cents, source, line)
            )


def _bands(reader: _Reader, rows: list[_Row], path: str) -> tuple[WeightBand, ...]:
    ordered = sorted(rows, key=lambda r: (r[0], r[3]))
    for before, after in itertools.pairwise(ordered):
        if after[0] == before[0]:
            reader.fail(
                after[3], f"{path}.max_weight_g", f"band {after[0]} g given twice", after[2]
            )
        if after[1] < before[1]:
            reader.fail(
                after[3],
                f"{path}.price_eur",
                f"the {after[0]} g band is cheaper than the {before[0]} g band",
                after[2],
            )
    return tuple(WeightBand(max_weight_g=w, price_cents=c) for w, c, _s, _l in ordered)


def _surcharges(reader: _Reader, layers: list[tuple[_Map, str]]) -> Surcharges:
    values: dict[str, Any] = {}
    for m, path in layers:
        for key in m:
            line, where = m.line_of(key), f"{path}.{key}"
            raw = m[key]
            if key.endswith("_eur"):
                values[key.removesuffix("_eur") + "_cents"] = reader.money(raw, line, where)
            elif key.endswith("_pct"):
                values[key] = reader.percent(raw, line, where)
            else:
                values[key] = reader.integer(raw, line, where, minimum=1)
    return Surcharges(**values)


def _service(
    reader: _Reader,
    m: _Map,
    path: str,
    carrier: str,
    defaults: _Map,
    default_path: str,
    zones: set[str],
    grid: dict[tuple[str, str, str], list[_Row]],
) -> Service:
    code = reader.text(m, "code", path)
    path = f"{path}[{code}]"
    name = reader.text(m, "name", path)
    kind_text = reader.text(m, "kind", path)
    try:
        kind = ServiceKind(kind_text)
    except ValueError:
        reader.fail(
            m.line_of("kind"),
            f"{path}.kind",
            f"{kind_text!r} is not one of {', '.join(k.value for k in ServiceKind)}",
        )
    options: dict[str, Any] = {}
    for key in _OPTION_KEYS - {"surcharges"}:
        source, where = (m, path) if key in m else (defaults, default_path)
        if key not in source or source[key] is None:
            continue
        value, line, field_path = source[key], source.line_of(key), f"{where}.{key}"
        if key == "cutoff":
            options[key] = reader.clock(value, line, field_path)
        elif key.startswith("saturday_"):
            options[key] = reader.boolean(value, line, field_path)
        elif key == "max_value_eur":
            options["max_value_cents"] = reader.money(value, line, field_path)
        else:
            options[key] = reader.integer(value, line, field_path, minimum=1)
    layers = [
        (
            reader.mapping(
                owner["surcharges"],
                owner.line_of("surcharges"),
                f"{where}.surcharges",
                _SURCHARGE_KEYS,
            ),
            f"{where}.surcharges",
        )
        for owner, where in ((defaults, default_path), (m, path))
        if owner.get("surcharges") is not None
    ]
    surcharges = _surcharges(reader, layers)

    transit = reader.mapping(
        m.get("transit_days"), m.line_of("transit_days"), f"{path}.transit_days", zones
    )
    if not transit:
        reader.fail(
            m.line_of("transit_days"), f"{path}.transit_days", "must name at least one zone"
        )
    inline: dict[str, list[_Row]] = {}
    if m.get("rates") is not None:
        rates = reader.mapping(m["rates"], m.line_of("rates"), f"{path}.rates", zones)
        for zone, raw_rows in rates.items():
            where = f"{path}.rates.{zone}"
            seq = reader.sequence(raw_rows, rates.line_of(zone), where)
            for k, (row, line) in enumerate(zip(seq, seq.lines, strict=True)):
                if not isinstance(row, list) or len(row) != 2:
                    reader.fail(line, f"{where}[{k}]", "must be [max_weight_g, price_eur]")
                weight = reader.integer(row[0], line, f"{where}[{k}].max_weight_g", minimum=1)
                cents = reader.money(row[1], line, f"{where}[{k}].price_eur")
                inline.setdefault(zone, []).append((weight, cents, reader.source, line))
    zone_rates: list[ZoneRate] = []
    for zone in sorted(zones):
        from_grid = grid.pop((carrier, code, zone), None)
        rows = inline.get(zone)
        if rows and from_grid:
            reader.fail(
                from_grid[0][3],
                "zone",
                f"{carrier}/{code}/{zone} is also priced inline",
                from_grid[0][2],
            )
        rows = rows or from_grid
        if not rows:
            if zone in transit:
                reader.fail(
                    transit.line_of(zone),
                    f"{path}.transit_days.{zone}",
                    "zone has a transit time but no rates",
                )
            continue
        if zone not in transit:
            reader.fail(
                m.line_of("transit_days"), f"{path}.transit_days.{zone}", "missing: zone has rates"
            )
        days = reader.integer(transit[zone], transit.line_of(zone), f"{path}.transit_days.{zone}")
        zone_rates.append(
            ZoneRate(
                zone=zone, bands=_bands(reader, rows, f"{path}.rates.{zone}"), transit_days=days
            )
        )
    try:
        return Service(
            carrier=carrier,
            code=code,
            name=name,
            kind=kind,
            rates=tuple(zone_rates),
            surcharges=surcharges,
            **options,
        )
    except ValueError as exc:
        reader.fail(m.line, path, str(exc))


def _card(
    reader: _Reader, m: _Map, path: str, grid: dict[tuple[str, str, str], list[_Row]]
) -> RateCard:
    code = reader.text(m, "code", path)
    path = f"carriers[{code}]"
    name = reader.text(m, "name", path)
    zones: list[Zone] = []
    zone_seq = reader.sequence(m.get("zones"), m.line_of("zones"), f"{path}.zones")
    for k, (raw, line) in enumerate(zip(zone_seq, zone_seq.lines, strict=True)):
        zm = reader.mapping(raw, line, f"{path}.zones[{k}]", _ZONE_KEYS)
        zone_code = reader.text(zm, "code", f"{path}.zones[{k}]")
        zpath = f"{path}.zones[{zone_code}]"
        country = reader.text(zm, "country", zpath)
        prefixes: list[str] = []
        if zm.get("prefixes") is not None:
            seq = reader.sequence(zm["prefixes"], zm.line_of("prefixes"), f"{zpath}.prefixes")
            for j, (prefix, pline) in enumerate(zip(seq, seq.lines, strict=True)):
                if not isinstance(prefix, str):
                    reader.fail(
                        pline,
                        f"{zpath}.prefixes[{j}]",
                        f"write postal prefixes in quotes ('{prefix}'): YAML drops leading zeros",
                    )
                prefixes.append(prefix)
        remote = False
        if "remote" in zm:
            remote = reader.boolean(zm["remote"], zm.line_of("remote"), f"{zpath}.remote")
        try:
            zones.append(Zone(zone_code, country, tuple(prefixes), remote))
        except ValueError as exc:
            reader.fail(line, zpath, str(exc))
    defaults = _Map(m.line_of("defaults"))
    if m.get("defaults") is not None:
        defaults = reader.mapping(
            m["defaults"], m.line_of("defaults"), f"{path}.defaults", _OPTION_KEYS
        )
    zone_codes = {z.code for z in zones}
    services: list[Service] = []
    service_seq = reader.sequence(m.get("services"), m.line_of("services"), f"{path}.services")
    for k, (raw, line) in enumerate(zip(service_seq, service_seq.lines, strict=True)):
        sm = reader.mapping(raw, line, f"{path}.services[{k}]", _SERVICE_KEYS)
        services.append(
            _service(
                reader, sm, f"{path}.services", code, defaults, f"{path}.defaults", zone_codes, grid
            )
        )
    try:
        return RateCard(carrier=code, name=name, zones=tuple(zones), services=tuple(services))
    except ValueError as exc:
        reader.fail(m.line, path, str(exc))


def load_rate_cards(source: str | Path, *, base_dir: Path | None = None) -> tuple[RateCard, ...]:
    """Return the rate cards described by ``source``, validated.

    ``source`` is a folder holding ``carriers.yaml``, a YAML file, or YAML text. The YAML
    lists ``carriers`` (code, name, zones, services, optional ``defaults`` for every service)
    and may name CSV ``grid_files`` (columns ``carrier,service,zone,max_weight_g,price_eur``)
    read relative to the YAML file (or ``base_dir`` for text); grids may also be inline
    (``rates: {ZONE: [[max_weight_g, price_eur], ...]}``). See ``data/README.md``.

    Raises RateCardError (a ValidationError and a ValueError) naming the file, line and
    field of the first bad value: unknown field, wrong type, unquoted time or prefix,
    unknown zone, bands out of order, a grid row for an unknown service...
    """
    if isinstance(source, Path) or ("\n" not in source and Path(source).exists()):
        path = Path(source)
        if path.is_dir():
            path = path / "carriers.yaml"
        reader = _Reader(str(path))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            reader.fail(None, "", f"cannot read: {exc.strerror}")
        base_dir = path.parent
    else:
        reader = _Reader("<text>")
        text = source
    top = reader.mapping(reader.parse_yaml(text), 1, "", {"version", "grid_files", "carriers"})
    if top.get("version", 1) != 1:
        reader.fail(top.line_of("version"), "version", "only version 1 is understood")
    grid: dict[tuple[str, str, str], list[_Row]] = {}
    if top.get("grid_files") is not None:
        files = reader.sequence(top["grid_files"], top.line_of("grid_files"), "grid_files")
        if base_dir is None:
            reader.fail(
                top.line_of("grid_files"),
                "grid_files",
                "give base_dir to read grid files from text",
            )
        for name, line in zip(files, files.lines, strict=True):
            if not isinstance(name, str) or not name.strip():
                reader.fail(line, "grid_files", "must be file names")
            reader.grid_file(base_dir / name, grid)
    carriers = reader.sequence(top.get("carriers"), top.line_of("carriers"), "carriers")
    if not carriers:
        reader.fail(top.line_of("carriers"), "carriers", "must list at least one carrier")
    cards: list[RateCard] = []
    for k, (raw, line) in enumerate(zip(carriers, carriers.lines, strict=True)):
        cm = reader.mapping(raw, line, f"carriers[{k}]", _CARRIER_KEYS)
        card = _card(reader, cm, f"carriers[{k}]", grid)
        if any(c.carrier == card.carrier for c in cards):
            reader.fail(
                cm.line_of("code"), f"carriers[{k}].code", f"carrier {card.carrier!r} given twice"
            )
        cards.append(card)
    if grid:
        rows = min(grid.values(), key=lambda r: (r[0][2], r[0][3]))
        carrier_code, service_code, zone_code = next(k for k, v in grid.items() if v is rows)
        reader.fail(
            rows[0][3],
            "service",
            f"no service {carrier_code}/{service_code} with zone {zone_code} for this grid row",
            rows[0][2],
        )
    return tuple(cards)


def load_example_rate_cards() -> tuple[RateCard, ...]:
    """Return the illustrative French rate cards shipped in :data:`EXAMPLE_DATA`."""
    return load_rate_cards(EXAMPLE_DATA)
