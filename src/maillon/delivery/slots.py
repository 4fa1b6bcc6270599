"""Delivery zones and appointment slots (pure).

A zone is a set of postal-code prefixes (the longest matching prefix wins, like carriers'
zones); each zone has weekly :class:`SlotTemplate` s (weekday, start, end, capacity, fee).
:func:`generate_slots` turns the templates into dated :class:`SlotInstance` s for the next
days, skipping the public holidays of the zone's country. Times of day are minutes since
midnight, local time (the zone's wall clock).

Errors: constructors and functions raise ``ValueError`` naming what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from maillon.core.geo import compact_postcode
from maillon.shipping.promise import holiday_dates

__all__ = [
    "MAX_DAYS",
    "SlotInstance",
    "SlotTemplate",
    "ZonePrefixes",
    "format_minutes",
    "generate_slots",
    "parse_minutes",
    "zone_for",
]

MAX_DAYS = 90
_DAY_MIN = 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def parse_minutes(text: str) -> int:
    """Return ``HH:MM`` (``24:00`` allowed) as minutes since midnight. Raises ValueError."""
    value = text.strip()
    if not _HHMM.match(value):
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def format_minutes(minutes: int) -> str:
    """Return minutes since midnight as ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class SlotTemplate:
    """A weekly window: ``weekday`` (0 = Monday), ``[start, end)`` minutes, capacity, fee.

    Raises ValueError for a weekday outside 0-6, a window outside the day or empty, a
    capacity below 1 or a negative fee.
    """

    weekday: int
    start: int
    end: int
    capacity: int
    fee_cents: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} not in 0-6 (0 = Monday)")
        if not 0 <= self.start < self.end <= _DAY_MIN:
            raise ValueError("a slot must start before it ends, within the day")
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        if self.fee_cents < 0:
            raise ValueError("fee_cents must be >= 0")

    def overlaps(self, other: SlotTemplate) -> bool:
        """Return True when both windows share a weekday and some minutes."""
        return self.weekday == other.weekday and self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class SlotInstance:
    """A dated slot produced from a template (``template`` is its index in the input)."""

    template: int
    day: dt.date
    start: int
    end: int
    capacity: int
    fee_cents: int


@dataclass(frozen=True, slots=True)
class ZonePrefixes:
    """A zone's code, country and postal-code prefixes (spaces dropped, upper case)."""

    code: str
    country: str
    prefixes: tuple[str, ...]


def zone_for(zones: Iterable[ZonePrefixes], country: str, postcode: str) -> str | None:
    """Return the code of the zone whose longest prefix matches ``postcode``, or None.

    Ties (two zones with the same prefix) go to the smaller zone code.
    """
    code = compact_postcode(postcode)
    best: tuple[int, str] | None = None
    for zone in zones:
        if zone.country != country.upper():
            continue
        for prefix in zone.prefixes:
            if code.startswith(prefix):
                key = (-len(prefix), zone.code)
                if best is None or key < best:
                    best = key
    return None if best is None else best[1]


def generate_slots(
    templates: Sequence[SlotTemplate],
    *,
    first_day: dt.date,
    days: int,
    country: str = "FR",
    closed: Iterable[dt.date] = (),
) -> list[SlotInstance]:
    """Return the slots of ``templates`` on ``days`` days from ``first_day``, by day and time.

    Public holidays of ``country`` and the ``closed`` dates get no slot. Raises ValueError for
    ``days`` outside 1-:data:`MAX_DAYS`.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    shut = set(closed)
    out = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if day in shut or day in holiday_dates(country, None, day.year):
            continue
        for i, template in enumerate(templates):
            if template.weekday == day.weekday():
                out.append(
                    SlotInstance(
                        i, day, template.start, template.end, template.capacity, template.fee_cents
                    )
                )
    out.sort(key=lambda s: (s.day, s.start, s.end, s.template))
    return out
