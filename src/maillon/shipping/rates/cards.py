"""A carrier's rate card: its services, their weight-band price grids by zone, and its zones.

A :class:`RateCard` is one carrier: its zones (see :mod:`.zones`) and its :class:`Service` s
(standard, express, relay point, appointment, same-day). A service holds one
:class:`ZoneRate` per zone served (weight bands and transit days), its surcharges and its
limits; the card checks that they agree and precompiles its zone look-up (pure).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass, field
from enum import StrEnum

from maillon.shipping.rates.surcharges import NO_SURCHARGES, Surcharges
from maillon.shipping.rates.zones import Destination, Zone, ZoneLookup, compile_zones, find_zone

__all__ = ["RateCard", "Service", "ServiceKind", "WeightBand", "ZoneRate"]


class ServiceKind(StrEnum):
    """What a service offers the customer."""

    STANDARD = "standard"
    EXPRESS = "express"
    RELAY_POINT = "relay_point"
    APPOINTMENT = "appointment"
    SAME_DAY = "same_day"


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
    _lookup: ZoneLookup = field(init=False, repr=False, compare=False)

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
        object.__setattr__(self, "_lookup", compile_zones(self.carrier, self.zones))

    def zone_for(self, destination: Destination) -> Zone | None:
        """Return the zone serving ``destination`` (longest prefix first), or None."""
        return find_zone(self._lookup, destination)

    def service(self, code: str) -> Service:
        """Return the service ``code``. Raises KeyError when the card has none."""
        for service in self.services:
            if service.code == code:
                return service
        raise KeyError(f"{self.carrier} has no service {code!r}")
