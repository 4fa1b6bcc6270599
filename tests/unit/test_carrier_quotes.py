"""The carrier API's quote wins; the rate card is the fallback."""

from __future__ import annotations

from maillon.shipping.carriers import CarrierQuote, CarrierUnavailable
from maillon.shipping.rates.carrier_quotes import PriceSource, pick_price

QUOTES = (CarrierQuote(carrier="ups", service="standard", price_cents=1420),)


def test_the_api_quote_is_used() -> None:
    picked = pick_price("ups", "standard", quotes=QUOTES, rate_card_cents=1310)
    assert (picked.price_cents, picked.source) == (1420, PriceSource.CARRIER_API)


def test_api_failure_falls_back_to_the_card() -> None:
    failed = CarrierUnavailable("ups", "time-out")
    picked = pick_price("ups", "standard", quotes=failed, rate_card_cents=1310)
    assert (picked.price_cents, picked.source) == (1310, PriceSource.RATE_CARD)
    assert "time-out" in picked.reason


def test_service_not_quoted_falls_back_to_the_card() -> None:
    picked = pick_price("ups", "express_saver", quotes=QUOTES, rate_card_cents=2950)
    assert (picked.price_cents, picked.source) == (2950, PriceSource.RATE_CARD)


def test_neither_source_prices_the_service() -> None:
    picked = pick_price("ups", "express", quotes=None, rate_card_cents=None)
    assert picked.price_cents is None and picked.source is PriceSource.NONE
