"""Carriers, rate cards and rate shopping (pure), one concept per module.

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

The package holds one concept per module: :mod:`.zones` (zones, destinations, the zone
look-up), :mod:`.surcharges`, :mod:`.cards` (services, price grids, rate cards),
:mod:`.pricing` (parcels, quotes, exclusions), :mod:`.shopping` (policies and the ranking),
:mod:`.reader` (validated YAML and CSV) and :mod:`.loading` (cards from files). Import the
public names from here.
"""

from __future__ import annotations

from maillon.shipping.rates.cards import RateCard, Service, ServiceKind, WeightBand, ZoneRate
from maillon.shipping.rates.loading import EXAMPLE_DATA, load_example_rate_cards, load_rate_cards
from maillon.shipping.rates.pricing import Exclusion, ExclusionReason, Quote, RateParcel, quote
from maillon.shipping.rates.reader import RateCardError
from maillon.shipping.rates.shopping import (
    DEFAULT_POLICY,
    Objective,
    Reliability,
    ShoppingPolicy,
    ShoppingResult,
    shop,
)
from maillon.shipping.rates.surcharges import Surcharges
from maillon.shipping.rates.zones import Destination, Zone

__all__ = [
    "DEFAULT_POLICY",
    "EXAMPLE_DATA",
    "Destination",
    "Exclusion",
    "ExclusionReason",
    "Objective",
    "Quote",
    "RateCard",
    "RateCardError",
    "RateParcel",
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
