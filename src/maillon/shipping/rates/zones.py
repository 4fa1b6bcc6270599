"""Where a parcel goes: a carrier's zones, the destination, and the precompiled zone look-up.

A :class:`Zone` is a country, optionally narrowed to postal-code prefixes; the longest
matching prefix wins and a zone without prefixes covers the rest of its country. A carrier's
zones are compiled once (:func:`compile_zones`) into dictionaries by country and prefix length,
so :func:`find_zone` answers in a few dictionary look-ups (pure).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from maillon.core.geo import compact_postcode

__all__ = [
    "Destination",
    "Zone",
    "ZoneLookup",
    "check_country",
    "compile_zones",
    "find_zone",
]


def check_country(country: str) -> None:
    """Raise ValueError unless ``country`` is an upper-case ISO 3166 alpha-2 code."""
    if len(country) != 2 or not country.isalpha() or not country.isupper():
        raise ValueError(f"country {country!r} must be an ISO 3166 alpha-2 code such as 'FR'")


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
        check_country(self.country)
        prefixes = tuple(compact_postcode(p) for p in self.postal_prefixes)
        if any(not p or not p.isalnum() for p in prefixes):
            raise ValueError("postal prefixes must be non-empty letters/digits")
        if len(set(prefixes)) != len(prefixes):
            raise ValueError("postal prefixes must not repeat")
        object.__setattr__(self, "postal_prefixes", prefixes)


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
        check_country(country)
        code = compact_postcode(self.postal_code)
        if code and not code.replace("-", "").isalnum():
            raise ValueError(f"postal code {self.postal_code!r} is not a postal code")
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "postal_code", code)


ZoneLookup = dict[str, tuple[tuple[tuple[int, dict[str, Zone]], ...], Zone | None]]
"""Per country: the prefix tables by decreasing prefix length, and the whole-country zone."""


def compile_zones(carrier: str, zones: Iterable[Zone]) -> ZoneLookup:
    """Return the look-up of ``carrier``'s ``zones``.

    Raises ValueError when two zones claim the same country + prefix or the same whole country.
    """
    zones = tuple(zones)
    tables: dict[str, dict[int, dict[str, Zone]]] = {}
    fallback: dict[str, Zone] = {}
    for zone in zones:
        if not zone.postal_prefixes:
            if zone.country in fallback:
                raise ValueError(
                    f"{carrier}: zones {fallback[zone.country].code!r} and "
                    f"{zone.code!r} both cover all of {zone.country}"
                )
            fallback[zone.country] = zone
        for prefix in zone.postal_prefixes:
            table = tables.setdefault(zone.country, {}).setdefault(len(prefix), {})
            if prefix in table:
                raise ValueError(
                    f"{carrier}: prefix {zone.country} {prefix} is in zones "
                    f"{table[prefix].code!r} and {zone.code!r}"
                )
            table[prefix] = zone
    return {
        country: (
            tuple(sorted(tables.get(country, {}).items(), reverse=True)),
            fallback.get(country),
        )
        for country in {z.country for z in zones}
    }


def find_zone(lookup: ZoneLookup, destination: Destination) -> Zone | None:
    """Return the zone of ``lookup`` serving ``destination`` (longest prefix first), or None."""
    entry = lookup.get(destination.country)
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
