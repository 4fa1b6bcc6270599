"""A seeded, realistic e-commerce business (pure): catalogue, customers and a month of orders.

Sizes and weights follow the Olist catalogue's percentiles per category (``calibration.json``);
customers live at real French postal codes (La Poste file), with towns and cities weighted
above villages; orders follow a weekly and daily rhythm with small baskets and a long tail of
product popularity, as online retail order books show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
import phonenumbers

from maillon.catalog.model import ProductSpec
from maillon.core.geo import french_communes, locate_fr
from maillon.core.identifiers import make_gtin13
from maillon.delivery.relay import RelayIndex, default_index, distance_km
from maillon.orders.choice import HOME, DeliveryChoice, DeliveryMethod, RelayPointChoice

# Share of a week's orders per weekday (Monday first): Sunday evening and Monday peak online.
WEEKDAY_WEIGHTS = np.array([1.18, 1.08, 1.02, 0.98, 0.9, 0.8, 1.04])
# Share of a day's orders per hour: lunch and evening peaks, quiet nights.
HOUR_WEIGHTS = np.array(
    [
        0.6,
        0.3,
        0.2,
        0.1,
        0.1,
        0.2,
        0.6,
        1.4,
        2.4,
        3.4,
        4.0,
        4.6,
        5.4,
        5.6,
        5.0,
        4.6,
        4.6,
        5.0,
        5.8,
        6.8,
        7.4,
        7.2,
        5.4,
        2.8,
    ]
)
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Sarah",
    "Julie",
    "Lucas",
    "Hugo",
    "Louis",
    "Nathan",
    "Gabriel",
    "Arthur",
    "Jules",
    "Thomas",
    "Nicolas",
    "Marie",
    "Claire",
    "Sophie",
    "Antoine",
    "Paul",
    "Alice",
    "Zoé",
    "Yanis",
    "Amine",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Andre",
    "Mercier",
    "Benali",
    "Nguyen",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
]
STREETS = [
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "rue de la Gare",
    "place de l'Église",
    "rue Pasteur",
    "boulevard Gambetta",
    "rue du Moulin",
    "allée des Tilleuls",
    "chemin des Vignes",
    "rue Nationale",
    "avenue de Verdun",
]
MAIL_DOMAINS = [
    "gmail.com",
    "orange.fr",
    "free.fr",
    "hotmail.fr",
    "laposte.net",
    "sfr.fr",
    "yahoo.fr",
    "outlook.fr",
]


@dataclass(frozen=True)
class DemoCustomer:
    """A generated customer and delivery address."""

    email: str
    name: str
    phone: str
    line1: str
    postcode: str
    city: str


@dataclass(frozen=True)
class DemoOrder:
    """A generated order: when, who, and (SKU, quantity) lines."""

    created_at: datetime
    customer: int
    lines: tuple[tuple[str, int], ...]
    channel: str
    external_id: str


def load_calibration() -> dict[str, Any]:
    """Return the calibration table shipped with the package."""
    text = resources.files("maillon.demo").joinpath("calibration.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _from_quantiles(q: list[float], u: float) -> float:
    """Invert a piecewise-linear CDF through the 5/25/50/75/95 % points at probability ``u``."""
    probs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
    lo = q[0] * 0.7
    hi = q[-1] * 1.3
    return float(np.interp(u, probs, [lo, *q, hi]))


def generate_catalog(rng: np.random.Generator, count: int = 500) -> list[ProductSpec]:
    """Return ``count`` products with Olist-calibrated sizes, weights and GTIN-13 barcodes."""
    cal = load_calibration()["categories"]
    names = list(cal)
    shares = np.array([cal[c]["share"] for c in names])
    shares = shares / shares.sum()
    out = []
    for i in range(count):
        cat = names[int(rng.choice(len(names), p=shares))]
        c = cal[cat]
        size_u = float(rng.beta(2, 2))  # one draw drives every side: big things are big
        sides = sorted(
            (
                max(
                    1.0,
                    _from_quantiles(
                        c["sides_cm"][k], float(np.clip(size_u + rng.normal(0, 0.12), 0, 1))
                    ),
                )
                for k in range(3)
            ),
            reverse=True,
        )
        weight = _from_quantiles(c["weight_g"], float(np.clip(size_u + rng.normal(0, 0.1), 0, 1)))
        price = float(np.exp(rng.normal(np.log(22) + 0.35 * np.log(max(weight, 50) / 750), 0.55)))
        label = cat.replace("_", " ")
        out.append(
            ProductSpec(
                sku=f"SKU-{i + 1:05d}",
                name=f"{label.capitalize()} item {i + 1}",
                gtin=make_gtin13("376000", i + 1),
                length_mm=max(10, round(sides[0] * 10)),
                width_mm=max(10, round(sides[1] * 10)),
                height_mm=max(5, round(sides[2] * 10)),
                weight_g=max(20, round(weight)),
                price_cents=max(199, int(round(price, 0) * 100 - 1)),
                category=cat,
            )
        )
    return out


def _postcode_weights() -> tuple[list[tuple[str, str]], np.ndarray]:
    """Every (postcode, commune) pair with a weight: towns with their own postcode above
    villages sharing one, big cities (several postcodes) above all."""
    communes = french_communes()
    pairs: list[tuple[str, str]] = []
    weights: list[float] = []
    for code, towns in communes.items():
        for town in towns:
            if town.lat is None:
                continue
            w = 1.0 / len(towns)
            if (
                code.endswith("000")
                or code[:2] in ("75",)
                or town.name.startswith(("PARIS", "LYON", "MARSEILLE"))
            ):
                w *= 25.0
            pairs.append((code, town.name.title()))
            weights.append(w)
    arr = np.array(weights)
    return pairs, arr / arr.sum()


def _mobile(rng: np.random.Generator) -> str:
    """Return a French mobile number that phonenumbers accepts as valid."""
    while True:
        number = f"+33{int(rng.choice([6, 7]))}{int(rng.integers(10_000_000, 99_999_999)):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def generate_customers(rng: np.random.Generator, count: int) -> list[DemoCustomer]:
    """Return ``count`` customers at real French addresses, with valid mobile numbers."""
    pairs, weights = _postcode_weights()
    picks = rng.choice(len(pairs), size=count, p=weights)
    out = []
    for i, idx in enumerate(picks):
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        postcode, city = pairs[int(idx)]
        ascii_first = first.lower().replace("é", "e").replace("è", "e").replace("ï", "i")
        domain = MAIL_DOMAINS[int(rng.integers(len(MAIL_DOMAINS)))]
        out.append(
            DemoCustomer(
                email=f"{ascii_first}.{last.lower()}{i}@{domain}",
                name=f"{first} {last}",
                phone=_mobile(rng),
                line1=f"{int(rng.integers(1, 140))} {STREETS[int(rng.integers(len(STREETS)))]}",
                postcode=postcode,
                city=city,
            )
        )
    return out


def order_demand(orders: Sequence[DemoOrder]) -> dict[str, int]:
    """Return the units ``orders`` ask of each SKU."""
    demand: dict[str, int] = {}
    for o in orders:
        for sku, q in o.lines:
            demand[sku] = demand.get(sku, 0) + q
    return demand


def generate_orders(
    rng: np.random.Generator,
    *,
    skus: list[str],
    customers: int,
    start: datetime,
    days: int,
    count: int,
) -> list[DemoOrder]:
    """Return ``count`` orders over ``days`` days from ``start``, in time order.

    Weekly and daily seasonality; baskets of mostly one or two lines; Zipf-like SKU popularity;
    repeat customers (a third of orders come from a returning customer).
    """
    day_weights = np.array(
        [WEEKDAY_WEIGHTS[(start + timedelta(days=d)).weekday()] for d in range(days)]
    )
    per_day = rng.multinomial(count, day_weights / day_weights.sum())
    popularity = 1.0 / np.arange(1, len(skus) + 1) ** 0.9
    popularity = popularity / popularity.sum()
    order_of_skus = rng.permutation(len(skus))
    hours = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    channels = ["webshop", "webshop", "webshop", "marketplace", "api"]
    out: list[DemoOrder] = []
    for d, n in enumerate(per_day):
        for _ in range(int(n)):
            hour = int(rng.choice(24, p=hours))
            at = start + timedelta(days=d, hours=hour, seconds=int(rng.integers(3600)))
            n_lines = int(min(6, 1 + rng.geometric(0.62) - 1))
            chosen = rng.choice(len(skus), size=n_lines, replace=False, p=popularity)
            lines = tuple(
                (
                    skus[int(order_of_skus[c])],
                    int(1 + (rng.random() < 0.12) + (rng.random() < 0.03)),
                )
                for c in chosen
            )
            cust = (
                int(rng.integers(customers))
                if rng.random() < 0.66
                else int(rng.integers(max(1, customers // 4)))
            )
            channel = channels[int(rng.integers(len(channels)))]
            out.append(
                DemoOrder(at, cust, lines, channel, f"{channel[:2].upper()}{len(out) + 1:06d}")
            )
    out.sort(key=lambda o: o.created_at)
    return out


# How the demo's customers choose to be delivered (French e-commerce: most at home, a large
# share at a relay point, some express, a few collect in a store when one is near).
DELIVERY_SHARES = (
    (DeliveryMethod.HOME, 0.60),
    (DeliveryMethod.RELAY_POINT, 0.27),
    (DeliveryMethod.EXPRESS, 0.08),
    (DeliveryMethod.CLICK_COLLECT, 0.05),
)
RELAY_MAX_KM = 15.0
"""How far a customer goes to a relay point; with none that near, they choose home."""
COLLECT_MAX_KM = 30.0
"""How far a customer goes to collect in a store; farther, they choose home."""


def choose_delivery(
    rng: np.random.Generator,
    customer: DemoCustomer,
    *,
    networks: Sequence[str],
    stores: Sequence[tuple[str, float, float]],
    index: RelayIndex | None = None,
) -> DeliveryChoice:
    """Return how ``customer`` chooses to be delivered: a relay point of one of ``networks``
    among the three nearest within :data:`RELAY_MAX_KM` of their town (from the relay points
    index), a store of ``stores`` (code, lat, lon) within :data:`COLLECT_MAX_KM`, express, or
    home; a choice with no point or store near falls back to home."""
    methods = [m for m, _ in DELIVERY_SHARES]
    shares = np.array([p for _, p in DELIVERY_SHARES])
    method = methods[int(rng.choice(len(methods), p=shares / shares.sum()))]
    if method is DeliveryMethod.EXPRESS:
        return DeliveryChoice(DeliveryMethod.EXPRESS)
    if method is DeliveryMethod.HOME:
        return HOME
    commune = locate_fr(customer.postcode, customer.city)
    if commune is None or commune.lat is None or commune.lon is None:
        return HOME
    if method is DeliveryMethod.CLICK_COLLECT:
        near = [
            code
            for code, lat, lon in stores
            if distance_km(commune.lat, commune.lon, lat, lon) <= COLLECT_MAX_KM
        ]
        return DeliveryChoice(DeliveryMethod.CLICK_COLLECT, store=near[0]) if near else HOME
    points = (index or default_index()).nearest(
        commune.lat, commune.lon, limit=3, max_km=RELAY_MAX_KM, networks=networks
    )
    if not points:
        return HOME
    point = points[int(rng.integers(len(points)))].point
    return DeliveryChoice(
        DeliveryMethod.RELAY_POINT,
        carrier=point.network,
        relay_point=RelayPointChoice(point.network, point.id),
    )
