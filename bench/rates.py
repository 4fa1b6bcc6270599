"""Benchmark of maillon.shipping.rates (rate shopping) and maillon.shipping.promise.

Rate cards: the example cards (``--data``, a folder with ``carriers.yaml``, default the
illustrative French cards of ``maillon/shipping/data``) are grown to ``--carriers`` carriers and
``--services`` services (default 10 and 50): whole cards are cloned (``<code>_b``...) and then
services duplicated (``<code>_alt<k>``), prices shifted a few %, so the set has the requested
size whatever the input.

Shopping: ``--parcels`` random parcels (weight, three sides, declared value) to destinations
drawn from La Poste's postal codes (``--postcodes``, ``;``-separated, column ``Code_postal``;
10 % of destinations in BE/DE/ES/IT/NL instead), random order times in 2025 and a random
on-time history for every (carrier, service, zone); each parcel is shopped under the
best-value policy and timed alone (p50 / p95 / p99 in ms; target p95 < 2 ms).

Promises: ``--orders`` random orders, each with a random service's transit, cut-off and
Saturday rules, timed as a whole (orders per second).

Reference (same run, same machine): a naive implementation that scans every zone row of every
card for the longest matching prefix, scans the weight bands, and rebuilds the holiday
calendar on every promise (no cache). It is run on ``--reference-parcels`` /
``--reference-orders`` of the same inputs, and its choices are compared with ours
(``agreement_pct``: same service, total and delivery date).

Usage::

    python bench/rates.py [--data PATH] [--postcodes CSV] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.shipping.promise import (  # noqa: E402
    DEFAULT_WAREHOUSE,
    WarehouseCalendar,
    french_subdivision,
    promise_date,
)
from maillon.shipping.rates import (  # noqa: E402
    EXAMPLE_DATA,
    Destination,
    RateCard,
    RateParcel,
    Service,
    ShoppingPolicy,
    WeightBand,
    ZoneRate,
    load_rate_cards,
    shop,
)

DEFAULT_POSTCODES = ROOT / "src" / "maillon" / "data" / "laposte_hexasmal.csv"
TARGET_P95_MS = 2.0
EU_CODES = {
    "BE": lambda r: f"{r.randint(1000, 9999)}",
    "DE": lambda r: f"{r.randint(1067, 99998):05d}",
    "ES": lambda r: f"{r.randint(1001, 52080):05d}",
    "IT": lambda r: f"{r.randint(10, 98168):05d}",
    "NL": lambda r: f"{r.randint(1011, 9999)}{r.choice('ABCDEFGH')}{r.choice('ABCDEFGH')}",
}


# -- synthetic card set --------------------------------------------------------------------


def _shift(service: Service, factor: float, code: str, carrier: str) -> Service:
    rates = tuple(
        ZoneRate(
            zone=r.zone,
            bands=tuple(WeightBand(b.max_weight_g, round(b.price_cents * factor)) for b in r.bands),
            transit_days=r.transit_days,
        )
        for r in service.rates
    )
    return dataclasses.replace(service, carrier=carrier, code=code, rates=rates)


def grow_cards(cards: tuple[RateCard, ...], carriers: int, services: int) -> list[RateCard]:
    """Return ``cards`` cloned / trimmed to ``carriers`` cards holding ``services`` services."""
    grown: list[RateCard] = []
    k = 0
    while len(grown) < carriers:
        card = cards[k % len(cards)]
        round_ = k // len(cards)
        code = card.carrier if round_ == 0 else f"{card.carrier}_{'bcdefghij'[round_ - 1]}"
        factor = 1 + 0.04 * round_
        grown.append(
            RateCard(
                carrier=code,
                name=card.name if round_ == 0 else f"{card.name} ({round_ + 1})",
                zones=card.zones,
                services=tuple(
                    _shift(s, factor, s.code, code) if round_ else s for s in card.services
                ),
            )
        )
        k += 1
    lists = [list(c.services) for c in grown]
    total = sum(len(s) for s in lists)
    k = 0
    while total > services:  # trim the largest cards first, keeping one service each
        biggest = max(range(len(lists)), key=lambda j: len(lists[j]))
        if len(lists[biggest]) <= 1:
            break
        lists[biggest].pop()
        total -= 1
    while total < services:
        j = k % len(lists)
        base = grown[j].services[(k // len(lists)) % len(grown[j].services)]
        alt = 1 + k // len(lists)
        lists[j].append(_shift(base, 1 + 0.03 * alt, f"{base.code}_alt{alt}", grown[j].carrier))
        total += 1
        k += 1
    return [dataclasses.replace(c, services=tuple(s)) for c, s in zip(grown, lists, strict=True)]


# -- random inputs ---------------------------------------------------------------------------


def read_postcodes(path: Path) -> list[str]:
    """Return the distinct postal codes of a La Poste ``;``-separated file."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter=";")
        key = next(k for k in reader.fieldnames or () if k.lower().startswith("code_postal"))
        return sorted({row[key].strip().zfill(5) for row in reader if row[key].strip()})


def random_parcel(rng: random.Random) -> RateParcel:
    """Return a parcel shaped like e-commerce traffic (mostly small, a few bulky)."""
    weight = int(min(40_000, max(50, rng.lognormvariate(7.0, 1.1))))
    sides = sorted((rng.randint(80, 600) for _ in range(3)), reverse=True)
    if rng.random() < 0.05:
        sides[0] = rng.randint(1000, 2000)
    return RateParcel(
        weight, *sides, declared_value_cents=rng.choice([0, 0, 2_500, 15_000, 90_000])
    )


def random_destination(rng: random.Random, postcodes: list[str]) -> Destination:
    """Return a French destination (90 %) or one in a neighbouring EU country."""
    if rng.random() < 0.9:
        return Destination("FR", rng.choice(postcodes))
    country = rng.choice(sorted(EU_CODES))
    return Destination(country, EU_CODES[country](rng))


def random_time(rng: random.Random) -> dt.datetime:
    """Return a random UTC time in 2025."""
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    return start + dt.timedelta(seconds=rng.randrange(365 * 86_400))


def random_history(
    rng: random.Random, cards: list[RateCard]
) -> dict[tuple[str, str, str], tuple[float, int]]:
    """Return an on-time history for most (carrier, service, zone) triples."""
    return {
        (c.carrier, s.code, r.zone): (rng.uniform(0.75, 0.99), rng.choice([0, 5, 80, 1_500]))
        for c in cards
        for s in c.services
        for r in s.rates
        if rng.random() < 0.8
    }


# -- naive reference -------------------------------------------------------------------------


def naive_is_holiday(day: dt.date, country: str, subdiv: str | None) -> bool:
    """Rebuild the holiday calendar on every call (what a cache saves)."""
    try:
        return day in holidays.country_holidays(country, subdiv=subdiv, years=day.year)
    except NotImplementedError:
        return False


def naive_promise(
    ordered_at: dt.datetime,
    transit: int,
    cutoff: dt.time | None,
    sat_pickup: bool,
    sat_delivery: bool,
    dest: Destination,
    warehouse: WarehouseCalendar,
) -> dt.date:
    """Return the delivery date, walking day by day with uncached holidays."""
    local = ordered_at.astimezone(ZoneInfo(warehouse.timezone))
    limit = min(warehouse.cutoff, cutoff) if cutoff else warehouse.cutoff
    day = local.date()
    if local.time().replace(tzinfo=None) >= limit:
        day += dt.timedelta(days=1)
    while not (
        day.weekday() in warehouse.working_weekdays
        and day.weekday() != 6
        and (day.weekday() != 5 or sat_pickup)
        and day not in warehouse.closed_dates
        and not naive_is_holiday(day, warehouse.holiday_country, warehouse.holiday_subdivision)
    ):
        day += dt.timedelta(days=1)
    subdiv = french_subdivision(dest.postal_code) if dest.country == "FR" else None
    left = transit
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() == 6 or (day.weekday() == 5 and not sat_delivery):
            continue
        if not naive_is_holiday(day, dest.country, subdiv):
            left -= 1
    return day


def naive_shop(
    cards: list[RateCard],
    parcel: RateParcel,
    dest: Destination,
    ordered_at: dt.datetime,
    policy: ShoppingPolicy,
    history: dict[tuple[str, str, str], tuple[float, int]],
    warehouse: WarehouseCalendar,
) -> tuple[str, str, int, dt.date] | None:
    """Return (carrier, service, total, delivery) of the best-value choice, the slow way."""
    best: tuple[Any, ...] | None = None
    for card in cards:
        zone = None
        fallback = None
        for z in card.zones:  # linear scan of every zone row
            if z.country != dest.country:
                continue
            if not z.postal_prefixes:
                fallback = z
            for prefix in z.postal_prefixes:
                if dest.postal_code.startswith(prefix) and (zone is None or len(prefix) > zone[1]):
                    zone = (z, len(prefix))
        chosen_zone = zone[0] if zone else fallback
        if chosen_zone is None:
            continue
        for s in card.services:
            rate = next((r for r in s.rates if r.zone == chosen_zone.code), None)
            if rate is None:
                continue
            w = parcel.weight_g
            if w > (s.max_weight_g or rate.bands[-1].max_weight_g):
                continue
            longest, sides = parcel.longest_mm, parcel.sides_sum_mm
            if (
                (s.max_length_mm and longest > s.max_length_mm)
                or (s.max_sides_sum_mm and sides > s.max_sides_sum_mm)
                or (s.max_girth_mm and 2 * sides - longest > s.max_girth_mm)
                or (
                    s.max_value_cents is not None
                    and parcel.declared_value_cents > s.max_value_cents
                )
            ):
                continue
            billed = max(w, -(-parcel.volume_mm3 // s.dim_divisor)) if s.dim_divisor else w
            band = next((b for b in rate.bands if b.max_weight_g >= billed), None)
            if band is None:
                continue
            sc = s.surcharges
            remote = sc.remote_cents if chosen_zone.remote else 0
            over = (
                (sc.oversize_length_mm is not None and longest > sc.oversize_length_mm)
                or (sc.oversize_sides_sum_mm is not None and sides > sc.oversize_sides_sum_mm)
                or (sc.oversize_weight_g is not None and w > sc.oversize_weight_g)
            )
            oversize = sc.oversize_cents if over else 0
            fuel_points = round(sc.fuel_pct * 100)
            fuel = ((band.price_cents + remote + oversize) * fuel_points + 5000) // 10000
            insured = parcel.declared_value_cents - sc.insurance_included_cents
            ins_points = round(sc.insurance_pct * 100)
            insurance = (insured * ins_points + 5000) // 10000 if insured > 0 else 0
            total = band.price_cents + remote + oversize + fuel + insurance
            delivery = naive_promise(
                ordered_at, rate.transit_days, s.cutoff, s.saturday_pickup,
                s.saturday_delivery, dest, warehouse,
            )  # fmt: skip
            measured = history.get((card.carrier, s.code, chosen_zone.code))
            rate_on_time, n = measured if measured else (policy.prior_on_time, 0)
            on_time = (rate_on_time * n + policy.prior_on_time * policy.prior_weight) / (
                n + policy.prior_weight
            )
            days = (delivery - ordered_at.astimezone(ZoneInfo(warehouse.timezone)).date()).days
            expected = days + (1 - on_time) * policy.late_delay_days
            key = (total + policy.value_of_day_cents * expected, total, expected,
                   card.carrier, s.code)  # fmt: skip
            if best is None or key < best[0]:
                best = (key, (card.carrier, s.code, total, delivery))
    return best[1] if best else None


# -- run ---------------------------------------------------------------------------------------


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    """Return p50 / p95 / p99 / mean of ``samples_ns`` in milliseconds."""
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": statistics.fmean(ordered) / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=EXAMPLE_DATA, help="rate-card folder")
    parser.add_argument("--postcodes", type=Path, default=DEFAULT_POSTCODES)
    parser.add_argument("--quick", action="store_true", help="fewer parcels and orders")
    parser.add_argument("--carriers", type=int, default=10)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--parcels", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--reference-parcels", type=int, default=1_000)
    parser.add_argument("--reference-orders", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.parcels, args.orders = min(args.parcels, 4_000), min(args.orders, 2_000)
        args.reference_parcels = min(args.reference_parcels, 200)
        args.reference_orders = min(args.reference_orders, 300)
    console = Console(width=140)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    cards = grow_cards(load_rate_cards(args.data), args.carriers, args.services)
    n_services = sum(len(c.services) for c in cards)
    postcodes = read_postcodes(args.postcodes)
    history = random_history(rng, cards)
    policy = ShoppingPolicy()
    warehouse = DEFAULT_WAREHOUSE
    inputs = [
        (random_parcel(rng), random_destination(rng, postcodes), random_time(rng))
        for _ in range(args.parcels)
    ]

    # ours
    shop_ns: list[int] = []
    ours: list[tuple[str, str, int, dt.date] | None] = []
    quoted = 0
    for parcel, dest, at in inputs:
        t0 = time.perf_counter_ns()
        result = shop(cards, parcel, dest, ordered_at=at, policy=policy,
                      reliability=history, warehouse=warehouse)  # fmt: skip
        shop_ns.append(time.perf_counter_ns() - t0)
        quoted += len(result.quotes)
        best = result.chosen
        ours.append(
            (best.carrier, best.service, best.total_cents, best.promise.delivery_date)
            if best and best.promise
            else None
        )
    ours_stats = percentiles(shop_ns)

    # reference
    ref_ns: list[int] = []
    agree = 0
    n_ref = min(args.reference_parcels, len(inputs))
    for k, (parcel, dest, at) in enumerate(inputs[:n_ref]):
        t0 = time.perf_counter_ns()
        theirs = naive_shop(cards, parcel, dest, at, policy, history, warehouse)
        ref_ns.append(time.perf_counter_ns() - t0)
        agree += theirs == ours[k]
    ref_stats = percentiles(ref_ns) if ref_ns else {}

    # promises
    services = [s for c in cards for s in c.services]
    orders = []
    for _ in range(args.orders):
        s = rng.choice(services)
        dest = random_destination(rng, postcodes)
        orders.append((random_time(rng), rng.choice(s.rates).transit_days, s, dest))
    t0 = time.perf_counter()
    dates = [
        promise_date(ordered_at=at, transit_days=n, warehouse=warehouse, carrier_cutoff=s.cutoff,
                     saturday_pickup=s.saturday_pickup, saturday_delivery=s.saturday_delivery,
                     destination_country=d.country,
                     destination_postal_code=d.postal_code).delivery_date
        for at, n, s, d in orders
    ]  # fmt: skip
    promise_s = time.perf_counter() - t0
    n_ref_orders = min(args.reference_orders, len(orders))
    t0 = time.perf_counter()
    ref_dates = [
        naive_promise(at, n, s.cutoff, s.saturday_pickup, s.saturday_delivery, d, warehouse)
        for at, n, s, d in orders[:n_ref_orders]
    ]
    ref_promise_s = time.perf_counter() - t0
    promise_agree = sum(a == b for a, b in zip(dates, ref_dates, strict=False))

    rows: list[dict[str, Any]] = [
        {"name": "shop (ours: compiled zones, cached holidays)", "kind": "shop",
         "count": len(shop_ns), **ours_stats, "per_s": 1e3 / ours_stats["mean_ms"]},
        {"name": "shop (naive reference)", "kind": "shop", "count": len(ref_ns), **ref_stats,
         "per_s": 1e3 / ref_stats["mean_ms"] if ref_stats else None},
        {"name": "promise (ours)", "kind": "promise", "count": len(orders),
         "mean_ms": 1e3 * promise_s / max(1, len(orders)),
         "per_s": len(orders) / promise_s if promise_s else None},
        {"name": "promise (naive reference)", "kind": "promise", "count": n_ref_orders,
         "mean_ms": 1e3 * ref_promise_s / max(1, n_ref_orders),
         "per_s": n_ref_orders / ref_promise_s if ref_promise_s else None},
    ]  # fmt: skip
    table = Table(
        title=f"Rate shopping over {len(cards)} carriers / {n_services} services "
        f"(best-value policy{', --quick' if args.quick else ''}) and promise dates"
    )
    for header in ("what", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms", "per second"):
        table.add_column(header, justify="left" if header == "what" else "right")

    def fmt(value: float | None, digits: int = 3) -> str:
        return "-" if value is None else f"{value:,.{digits}f}"

    for row in rows:
        table.add_row(
            row["name"],
            f"{row['count']:,}",
            fmt(row.get("p50_ms")),
            fmt(row.get("p95_ms")),
            fmt(row.get("p99_ms")),
            fmt(row.get("mean_ms"), 4),
            fmt(row.get("per_s"), 0),
        )
    console.print(table)
    summary = {
        "shop_p50_ms": ours_stats["p50_ms"],
        "shop_p95_ms": ours_stats["p95_ms"],
        "shop_p99_ms": ours_stats["p99_ms"],
        "shop_mean_ms": ours_stats["mean_ms"],
        "reference_shop_p50_ms": ref_stats.get("p50_ms"),
        "reference_shop_p95_ms": ref_stats.get("p95_ms"),
        "shop_speedup_p50": (ref_stats["p50_ms"] / ours_stats["p50_ms"]) if ref_stats else None,
        "agreement_pct": 100 * agree / n_ref if n_ref else None,
        "quotes_per_parcel": quoted / max(1, len(inputs)),
        "no_service_pct": 100 * sum(o is None for o in ours) / max(1, len(ours)),
        "promise_orders_per_s": len(orders) / promise_s if promise_s else None,
        "promise_us_per_order": 1e6 * promise_s / max(1, len(orders)),
        "reference_promise_orders_per_s": n_ref_orders / ref_promise_s if ref_promise_s else None,
        "promise_agreement_pct": 100 * promise_agree / n_ref_orders if n_ref_orders else None,
        "services": n_services,
        "carriers": len(cards),
        "parcels": len(inputs),
        "orders": len(orders),
        "target_p95_ms": TARGET_P95_MS,
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
    }
    met = ours_stats["p95_ms"] < TARGET_P95_MS
    console.print(
        f"shop p95 {ours_stats['p95_ms']:.3f} ms over {len(cards)} carriers / {n_services} "
        f"services (target < {TARGET_P95_MS:g} ms: {'met' if met else 'MISSED'}); "
        f"{summary['quotes_per_parcel']:.1f} quotes per parcel; same choice as the naive "
        f"reference on {summary['agreement_pct'] or 0:.1f} % of {n_ref} parcels; promises "
        f"{summary['promise_orders_per_s'] or 0:,.0f} orders/s (reference "
        f"{summary['reference_promise_orders_per_s'] or 0:,.0f}/s, same date on "
        f"{summary['promise_agreement_pct'] or 0:.1f} %); {summary['seconds']:.0f} s",
        highlight=False,
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
