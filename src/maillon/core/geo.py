"""Postal codes and coordinates: format rules per country, the La Poste file for France,
and great-circle distance.

The French file (``maillon/data/laposte_hexasmal.csv``, © La Poste, ODbL 1.0) is read once,
lazily, on first use.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Formats of the countries Maillon ships to most; others must be 2-12 letters, digits, spaces
# or hyphens. Patterns follow each postal operator's published format.
POSTCODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "FR": re.compile(r"^\d{5}$"),
    "MC": re.compile(r"^980\d{2}$"),
    "BE": re.compile(r"^\d{4}$"),
    "LU": re.compile(r"^(L-)?\d{4}$"),
    "CH": re.compile(r"^\d{4}$"),
    "DE": re.compile(r"^\d{5}$"),
    "ES": re.compile(r"^(0[1-9]|[1-4]\d|5[0-2])\d{3}$"),
    "IT": re.compile(r"^\d{5}$"),
    "PT": re.compile(r"^\d{4}-\d{3}$"),
    "NL": re.compile(r"^\d{4} ?[A-Z]{2}$"),
    "AT": re.compile(r"^\d{4}$"),
    "DK": re.compile(r"^\d{4}$"),
    "SE": re.compile(r"^\d{3} ?\d{2}$"),
    "PL": re.compile(r"^\d{2}-\d{3}$"),
    "IE": re.compile(r"^[A-Z]\d[\dW] ?[A-Z\d]{4}$"),
    "GB": re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$"),
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"),
}
GENERIC_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 \-]{1,11}$")

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Commune:
    """A French commune served by a postal code, with its coordinates (may be unknown)."""

    insee: str
    name: str
    postcode: str
    lat: float | None
    lon: float | None


@cache
def french_communes() -> dict[str, tuple[Commune, ...]]:
    """Return every French postal code mapped to the communes it serves."""
    out: dict[str, list[Commune]] = {}
    text = resources.files("maillon.data").joinpath("laposte_hexasmal.csv").read_text("utf-8")
    reader = csv.reader(text.splitlines(), delimiter=";")
    next(reader)
    for row in reader:
        insee, name, postcode, _line5, _label, gps = row[:6]
        lat = lon = None
        if gps:
            a, b = gps.split(",")
            lat, lon = float(a), float(b)
        out.setdefault(postcode, []).append(Commune(insee, name, postcode, lat, lon))
    return {k: tuple(v) for k, v in out.items()}


def normalise_postcode(country: str, postcode: str) -> str:
    """Return ``postcode`` upper-cased with surrounding and repeated spaces removed."""
    return re.sub(r"\s+", " ", postcode.strip().upper())


def compact_postcode(code: str) -> str:
    """Return ``code`` without any space, upper-cased: the form postcodes and postcode
    prefixes are compared in (``"75 001"`` and ``"75001"`` are one code)."""
    return "".join(code.split()).upper()


def postcode_problem(country: str, postcode: str) -> str | None:
    """Return why ``postcode`` is not valid in ``country`` (ISO 3166 alpha-2), or None."""
    code = normalise_postcode(country, postcode)
    pattern = POSTCODE_PATTERNS.get(country.upper(), GENERIC_POSTCODE)
    if not pattern.match(code):
        return f"{postcode!r} is not a valid postal code for {country.upper()}"
    if country.upper() == "FR" and code not in french_communes():
        return f"{postcode!r} is not a French postal code in use (La Poste list)"
    return None


def _simplify(name: str) -> str:
    import unicodedata

    stripped = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", " ", stripped.upper()).replace(" ST ", " SAINT ").strip()


def locate_fr(postcode: str, city: str | None = None) -> Commune | None:
    """Return the commune for a French postal code, matching ``city`` when several share it."""
    communes = french_communes().get(postcode.strip())
    if not communes:
        return None
    if city:
        wanted = _simplify(city)
        for commune in communes:
            if _simplify(commune.name) == wanted:
                return commune
        for commune in communes:
            if _simplify(commune.name).startswith(wanted.split(" ")[0]):
                return commune
    with_gps = [c for c in communes if c.lat is not None]
    return with_gps[0] if with_gps else communes[0]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in kilometres between two points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
