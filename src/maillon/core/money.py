"""Money as integer minor units (cents); never floats in storage or arithmetic."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def to_cents(amount: Decimal | int | float | str) -> int:
    """Return ``amount`` (in major units, e.g. euros) as integer cents, rounding half up."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_cents(cents: int, currency: str = "EUR") -> str:
    """Return ``cents`` as a human amount such as ``12.50 EUR``."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d} {currency}"
