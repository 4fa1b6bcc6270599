"""The price of a service: the carrier's quote when its API gave one, else the rate card (pure).

:func:`pick_price` takes what a carrier's API quoted for a parcel (or the error it raised)
and the rate card's price for the same parcel and service, and says which price to use and
why, so checkout and rate shopping never fail because a carrier's API is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from maillon.shipping.carriers import CarrierQuote

__all__ = ["PickedPrice", "PriceSource", "pick_price"]


class PriceSource(StrEnum):
    """Where a service's price came from."""

    CARRIER_API = "carrier_api"
    RATE_CARD = "rate_card"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class PickedPrice:
    """The price to use (cents, or None when neither source prices the service)."""

    carrier: str
    service: str
    price_cents: int | None
    source: PriceSource
    reason: str = ""


def pick_price(
    carrier: str,
    service: str,
    *,
    quotes: Sequence[CarrierQuote] | Exception | None,
    rate_card_cents: int | None,
) -> PickedPrice:
    """Return the carrier API's quote of ``service`` when it has one, else the rate card's
    price. ``quotes`` is what the API answered, the exception it raised (unavailable,
    unsupported, refused), or None when the account has no API."""
    if isinstance(quotes, Exception):
        reason = f"carrier API failed: {quotes}"
        quotes = ()
    else:
        reason = "no carrier API" if quotes is None else f"carrier API did not quote {service}"
    match = next((q for q in quotes or () if q.carrier == carrier and q.service == service), None)
    if match is not None and match.price_cents >= 0:
        return PickedPrice(carrier, service, match.price_cents, PriceSource.CARRIER_API)
    if rate_card_cents is not None:
        return PickedPrice(carrier, service, rate_card_cents, PriceSource.RATE_CARD, reason)
    return PickedPrice(carrier, service, None, PriceSource.NONE, reason)
