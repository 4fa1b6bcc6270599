"""The KPIs of the whole chain: one definition each, with its formula (pure).

Every KPI is computed over a period ``[from, to)`` and optionally split by a dimension
(warehouse, carrier, channel, day, week, month). Order KPIs follow the cohort of orders
*created* in the period: their cycle time, delivery and returns are those orders' outcomes,
so a period's figures do not change meaning as time passes, they only fill in. Stock KPIs
read the ledger (flows in the period, balances at its ends). Care KPIs follow the tickets
opened in the period.

The database does the counting (SQL aggregates, see :mod:`maillon.analytics.service`); this
module holds the definitions, the arithmetic that turns counts into rates, and quantiles read
from histograms, so that both are tested without a database. ``KPIS`` is the catalogue the API,
the CLI, the CSV export and ``docs/kpis.md`` are made from.

A KPI that has no meaning for a dimension names it in ``KpiDef.not_by`` and is None in the rows
of that split (lines per hour by carrier: a picker's tour mixes carriers). Costs use the rates
of :class:`CostRates` (labour cost per hour, packing seconds per parcel), read from the
``MAILLON_KPI_LABOUR_CENTS_PER_HOUR`` and ``MAILLON_KPI_PACK_SECONDS_PER_PARCEL`` environment
variables by the service (:func:`cost_rates_from_env` here parses them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from maillon.returns.policy import DEFAULT_REASONS

__all__ = [
    "DEFAULT_LABOUR_CENTS_PER_HOUR",
    "DEFAULT_PACK_SECONDS_PER_PARCEL",
    "DIMENSIONS",
    "KPIS",
    "RETURN_REASON_CODES",
    "CostRates",
    "KpiDef",
    "KpiTable",
    "catalogue_markdown",
    "cost_rates_from_env",
    "histogram_quantile",
    "mean_or_none",
    "rate",
    "reason_key",
]

DIMENSIONS = ("warehouse", "carrier", "channel", "day", "week", "month")

DEFAULT_LABOUR_CENTS_PER_HOUR = 2500
"""Loaded cost of one hour of warehouse work (EUR 25: wage, charges and overheads)."""
DEFAULT_PACK_SECONDS_PER_PARCEL = 90.0
"""Packing labour per parcel: build the carton, place the units, fill, close, label."""
LABOUR_ENV = "MAILLON_KPI_LABOUR_CENTS_PER_HOUR"
PACK_ENV = "MAILLON_KPI_PACK_SECONDS_PER_PARCEL"

RETURN_REASON_CODES: tuple[str, ...] = (*DEFAULT_REASONS, "other")
"""Reason codes with a KPI of their own; a merchant's own codes count under ``other``."""


@dataclass(frozen=True)
class KpiDef:
    """One KPI: its key, what it means and how it is computed."""

    key: str
    label: str
    group: str
    unit: str  # "%", "h", "d", "count", "cents", "m", "units", "x", "score"
    formula: str
    better: str | None = None  # "higher", "lower" or None (a volume)
    not_by: tuple[str, ...] = ()  # dimensions where it has no meaning (None in those rows)


@dataclass(frozen=True)
class CostRates:
    """The rates that turn work into money in the cost-per-order KPIs.

    Attributes:
        labour_cents_per_hour: loaded cost of one hour of picking or packing, in cents.
        pack_seconds_per_parcel: packing labour per parcel, in seconds.

    Raises:
        ValueError: for a negative or non-finite rate.
    """

    labour_cents_per_hour: float = DEFAULT_LABOUR_CENTS_PER_HOUR
    pack_seconds_per_parcel: float = DEFAULT_PACK_SECONDS_PER_PARCEL

    def __post_init__(self) -> None:
        for name in ("labour_cents_per_hour", "pack_seconds_per_parcel"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < float("inf")):
                raise ValueError(f"{name} = {value!r} must be a finite number >= 0.")


def cost_rates_from_env(environ: Mapping[str, str]) -> CostRates:
    """Return the cost rates set in ``environ`` (``MAILLON_KPI_LABOUR_CENTS_PER_HOUR``,
    ``MAILLON_KPI_PACK_SECONDS_PER_PARCEL``), the defaults for those not set.

    Raises ValueError naming the variable when one is not a number >= 0.
    """
    values: dict[str, float] = {}
    for env, name in ((LABOUR_ENV, "labour_cents_per_hour"), (PACK_ENV, "pack_seconds_per_parcel")):
        raw = environ.get(env, "").strip()
        if not raw:
            continue
        try:
            values[name] = float(raw)
        except ValueError:
            raise ValueError(f"{env} = {raw!r} is not a number.") from None
        if not 0 <= values[name] < float("inf"):
            raise ValueError(f"{env} = {raw!r} must be a finite number >= 0.")
    return CostRates(**values)


def reason_key(code: str) -> str:
    """Return the KPI key of the share of returned units with reason ``code`` (codes without
    a KPI of their own count under ``other``)."""
    return f"return_reason_{code if code in RETURN_REASON_CODES else 'other'}_pct"


_STOCK_NOT_BY = ("carrier", "channel", "day", "week", "month")  # stock is per warehouse

KPIS: tuple[KpiDef, ...] = (
    # -- orders ----------------------------------------------------------------------------
    KpiDef("orders", "Orders", "orders", "count", "orders created in the period"),
    KpiDef(
        "revenue_cents",
        "Revenue",
        "orders",
        "cents",
        "sum of order totals, cancelled orders excluded",
        "higher",
    ),
    KpiDef(
        "average_order_cents",
        "Average order value",
        "orders",
        "cents",
        "revenue / orders not cancelled",
        "higher",
    ),
    KpiDef("cancel_rate_pct", "Cancellation rate", "orders", "%", "cancelled / orders", "lower"),
    KpiDef(
        "repeat_purchase_pct",
        "Repeat-purchase rate",
        "orders",
        "%",
        "customers of the period with at least two orders up to its end / customers of the period",
        "higher",
    ),
    # -- fulfilment ------------------------------------------------------------------------
    KpiDef(
        "fill_rate_pct",
        "Order fill rate",
        "fulfilment",
        "%",
        "orders served from stock at intake (never waited for stock) / orders that were allocated "
        "or waited",
        "higher",
    ),
    KpiDef(
        "backorder_rate_pct",
        "Backorder rate",
        "fulfilment",
        "%",
        "orders that waited for stock at some point / orders",
        "lower",
    ),
    KpiDef(
        "stockout_line_rate_pct",
        "Stock-out rate (lines)",
        "fulfilment",
        "%",
        "order lines of orders that waited for stock / order lines",
        "lower",
    ),
    KpiDef(
        "cycle_time_mean_h",
        "Order cycle time (mean)",
        "fulfilment",
        "h",
        "mean of shipped_at - created_at over shipped orders",
        "lower",
    ),
    KpiDef(
        "cycle_time_p50_h",
        "Order cycle time (median)",
        "fulfilment",
        "h",
        "median of shipped_at - created_at (15-minute histogram)",
        "lower",
    ),
    KpiDef(
        "cycle_time_p90_h",
        "Order cycle time (90th percentile)",
        "fulfilment",
        "h",
        "90th percentile of shipped_at - created_at (15-minute histogram)",
        "lower",
    ),
    KpiDef(
        "on_time_shipping_pct",
        "On-time shipping",
        "fulfilment",
        "%",
        "orders shipped within the ship window (24 h by default) / orders shipped",
        "higher",
    ),
    KpiDef(
        "on_time_delivery_pct",
        "On-time delivery",
        "fulfilment",
        "%",
        "orders delivered no later than promised / orders delivered",
        "higher",
    ),
    KpiDef(
        "otif_pct",
        "OTIF (on time, in full)",
        "fulfilment",
        "%",
        "orders delivered on time with every ordered unit shipped / orders delivered",
        "higher",
    ),
    KpiDef(
        "perfect_order_pct",
        "Perfect order rate",
        "fulfilment",
        "%",
        "OTIF orders with no return and no customer ticket / orders delivered",
        "higher",
    ),
    KpiDef(
        "promise_accuracy_pct",
        "Promise accuracy",
        "fulfilment",
        "%",
        "orders delivered within one day of the promised date (early or late) / orders delivered",
        "higher",
    ),
    KpiDef(
        "mean_days_late",
        "Mean lateness of late orders",
        "fulfilment",
        "d",
        "mean of delivered_at - promised_at over orders delivered late",
        "lower",
    ),
    # -- shipping --------------------------------------------------------------------------
    KpiDef(
        "carrier_on_time_pct",
        "Carrier on-time rate",
        "shipping",
        "%",
        "shipments delivered no later than their order's promise / shipments delivered",
        "higher",
    ),
    KpiDef(
        "transit_p50_h",
        "Transit time (median)",
        "shipping",
        "h",
        "median of delivered_at - shipped_at over delivered shipments",
        "lower",
    ),
    KpiDef(
        "transit_p90_h",
        "Transit time (90th percentile)",
        "shipping",
        "h",
        "90th percentile of delivered_at - shipped_at (its spread against the median)",
        "lower",
    ),
    # -- warehouse -------------------------------------------------------------------------
    KpiDef(
        "metres_per_line",
        "Metres walked per pick line",
        "warehouse",
        "m",
        "route metres of the period's pick lists / their lines (warehouses with a layout)",
        "lower",
    ),
    KpiDef(
        "pick_accuracy_pct",
        "Pick accuracy",
        "warehouse",
        "%",
        "100 x (1 - refused pick scans (wrong location or wrong barcode) / pick scans), over the "
        "scans of the orders' pick lines (as the per-picker metrics)",
        "higher",
    ),
    KpiDef(
        "lines_per_hour",
        "Pick lines per hour",
        "warehouse",
        "count",
        "pick lines confirmed (done or short) / picking hours; the hours of a picker's unit of "
        "work (a tour, else a pick list) on a UTC day run from taking it (clipped to the day's "
        "start; else the first pick) to its last pick, as the per-picker metrics; no meaning by "
        "carrier or channel (a tour mixes them)",
        "higher",
        ("carrier", "channel"),
    ),
    # -- costs -----------------------------------------------------------------------------
    KpiDef(
        "pick_cost_cents",
        "Pick cost per order",
        "costs",
        "cents",
        "picking hours of the orders (each unit of work's hours shared equally among its lines) "
        "x labour cost per hour / orders with a confirmed pick line",
        "lower",
    ),
    KpiDef(
        "pack_cost_cents",
        "Pack cost per order",
        "costs",
        "cents",
        "(carton costs of the orders' packing plans + parcels x packing seconds per parcel x "
        "labour cost per hour) / orders packed (with a parcel)",
        "lower",
    ),
    KpiDef(
        "ship_cost_cents",
        "Ship cost per order",
        "costs",
        "cents",
        "carrier cost of the orders' shipments (quoted from the rate card when shipped) / orders "
        "shipped with a known cost",
        "lower",
    ),
    KpiDef(
        "cost_per_order_cents",
        "Fulfilment cost per order",
        "costs",
        "cents",
        "pick + pack + ship cost per order (None when one of them is unknown); labour cost per "
        f"hour MAILLON_KPI_LABOUR_CENTS_PER_HOUR (default {DEFAULT_LABOUR_CENTS_PER_HOUR}), "
        "packing seconds per parcel MAILLON_KPI_PACK_SECONDS_PER_PARCEL (default "
        f"{DEFAULT_PACK_SECONDS_PER_PARCEL:g})",
        "lower",
    ),
    # -- inventory -------------------------------------------------------------------------
    KpiDef(
        "units_shipped",
        "Units shipped",
        "inventory",
        "units",
        "units taken out of stock by shipments in the period (ledger)",
        None,
        _STOCK_NOT_BY,
    ),
    KpiDef(
        "on_hand_end_units",
        "Units on hand at the end",
        "inventory",
        "units",
        "on-hand balance at the end of the period (ledger)",
        None,
        _STOCK_NOT_BY,
    ),
    KpiDef(
        "inventory_turnover",
        "Inventory turnover",
        "inventory",
        "x",
        "units shipped / mean of on-hand units at the start and the end of the period",
        "higher",
        _STOCK_NOT_BY,
    ),
    KpiDef(
        "days_of_supply",
        "Days of supply",
        "inventory",
        "d",
        "on-hand units at the end / units shipped per day over the period",
        None,
        _STOCK_NOT_BY,
    ),
    KpiDef(
        "stockout_sku_pct",
        "Stock-out rate (SKUs)",
        "inventory",
        "%",
        "active SKUs with nothing available at the end of the period / active SKUs",
        "lower",
        _STOCK_NOT_BY,
    ),
    # -- returns and care ------------------------------------------------------------------
    KpiDef(
        "return_rate_pct",
        "Return rate",
        "returns",
        "%",
        "delivered orders with a return (rejected and cancelled returns left out) / orders "
        "delivered",
        "lower",
    ),
    KpiDef(
        "return_units_pct",
        "Return rate (units)",
        "returns",
        "%",
        "units coming back (requested, or received once the parcel arrived; rejected and "
        "cancelled returns left out, as the returns module counts) / units of the orders "
        "delivered",
        "lower",
    ),
    *(
        KpiDef(
            f"return_reason_{code}_pct",
            f"Returned units: {code.replace('_', ' ')}",
            "returns",
            "%",
            f"returned units with reason code `{code}` / returned units"
            + (" (every code without a KPI of its own counts here)" if code == "other" else ""),
        )
        for code in RETURN_REASON_CODES
    ),
    KpiDef("tickets", "Tickets opened", "care", "count", "tickets opened in the period"),
    KpiDef(
        "first_response_p50_h",
        "First response time (median)",
        "care",
        "h",
        "median of first_response_at - created_at over answered tickets (15-minute histogram)",
        "lower",
    ),
    KpiDef(
        "resolution_p50_h",
        "Resolution time (median)",
        "care",
        "h",
        "median of resolved_at (else closed_at) - created_at over resolved tickets "
        "(15-minute histogram)",
        "lower",
    ),
    KpiDef(
        "sla_breach_pct",
        "SLA breach rate",
        "care",
        "%",
        "tickets whose first-response or resolution clock breached its target (business hours, "
        "paused while waiting on the customer, clocks still running judged now; as the care "
        "module's SLA) / tickets opened",
        "lower",
    ),
    KpiDef(
        "csat_mean",
        "CSAT (mean score)",
        "care",
        "score",
        "mean score (1-5) of the answered satisfaction surveys of the tickets opened",
        "higher",
    ),
    KpiDef(
        "csat_satisfied_pct",
        "CSAT (satisfied)",
        "care",
        "%",
        "answered surveys scoring 4 or 5 / answered surveys",
        "higher",
    ),
    # -- storefront ------------------------------------------------------------------------
    KpiDef(
        "sessions",
        "Storefront sessions",
        "storefront",
        "count",
        "storefront sessions started in the period (by channel: the session's acquisition "
        "channel); no meaning by warehouse or carrier",
        None,
        ("warehouse", "carrier"),
    ),
    KpiDef(
        "conversion_pct",
        "Conversion rate",
        "storefront",
        "%",
        "sessions with a purchase / sessions",
        "higher",
        ("warehouse", "carrier"),
    ),
    KpiDef(
        "cart_abandonment_pct",
        "Cart abandonment rate",
        "storefront",
        "%",
        "sessions with a cart (added to cart, checkout or purchase) and no purchase / sessions "
        "with a cart",
        "lower",
        ("warehouse", "carrier"),
    ),
    KpiDef(
        "abandoned_cart_cents",
        "Abandoned cart value",
        "storefront",
        "cents",
        "sum of the cart values (the largest seen in the session) of the sessions that abandoned "
        "their cart",
        "lower",
        ("warehouse", "carrier"),
    ),
    # -- fraud -----------------------------------------------------------------------------
    KpiDef(
        "fraud_catch_pct",
        "Fraud catch rate",
        "fraud",
        "%",
        "confirmed fraud orders (a chargeback, or rejected by an analyst) scored review or reject "
        "at intake / confirmed fraud orders",
        "higher",
    ),
    KpiDef(
        "fraud_false_positive_pct",
        "Fraud false-positive rate",
        "fraud",
        "%",
        "orders scored review or reject found legitimate (approved by an analyst, no chargeback) "
        "/ such flagged orders with an outcome (an analyst's decision or a chargeback)",
        "lower",
    ),
)

_BY_KEY = {k.key: k for k in KPIS}


def rate(numerator: float | None, denominator: float | None, *, pct: bool = True) -> float | None:
    """Return ``numerator / denominator`` (x100 with ``pct``) rounded to 2 places, or None when
    the denominator is zero or unknown."""
    if numerator is None or not denominator:
        return None
    value = float(numerator) / float(denominator) * (100.0 if pct else 1.0)
    return round(value, 2)


def mean_or_none(total: float | None, count: float | None, *, scale: float = 1.0) -> float | None:
    """Return ``total / count * scale`` rounded to 2 places, or None for an empty set."""
    if total is None or not count:
        return None
    return round(float(total) / float(count) * scale, 2)


def histogram_quantile(histogram: Mapping[int, int], q: float, *, width: float) -> float | None:
    """Return the ``q`` quantile (0-1) of values counted in buckets of ``width``.

    ``histogram`` maps a bucket index ``k`` (the values in ``[k*width, (k+1)*width)``) to its
    count; the quantile is interpolated inside its bucket, so it is exact to the bucket width.
    Returns None for an empty histogram. Raises ValueError for ``q`` outside [0, 1].
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q = {q!r} must lie in [0, 1].")
    total = sum(histogram.values())
    if total <= 0:
        return None
    target = q * total
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count <= 0:
            continue
        if seen + count >= target:
            inside = (target - seen) / count
            return round((bucket + inside) * width, 2)
        seen += count
    last = max(histogram)
    return round((last + 1) * width, 2)


@dataclass
class KpiTable:
    """The KPIs of a period, one row per value of the dimension (``"all"`` without one)."""

    start: datetime | None
    end: datetime | None
    by: str | None
    rows: dict[str, dict[str, float | None]] = field(default_factory=dict)
    breakdowns: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def value(self, key: str, row: str = "all") -> float | None:
        """Return one KPI of one row (None when unknown or not computable)."""
        if key not in _BY_KEY:
            raise KeyError(f"unknown KPI {key!r}")
        return self.rows.get(row, {}).get(key)

    def to_csv(self, keys: Sequence[str] | None = None) -> str:
        """Return the table as CSV: one line per row, one column per KPI (empty when None)."""
        keys = list(keys or [k.key for k in KPIS])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.by or "scope", *keys])
        for name, values in self.rows.items():
            writer.writerow([name, *("" if values.get(k) is None else values.get(k) for k in keys)])
        return out.getvalue()


def catalogue_markdown() -> str:
    """Return the KPI catalogue as Markdown (what ``docs/kpis.md`` holds)."""
    lines = [
        "# KPIs",
        "",
        "Computed over a period `[from, to)`, optionally split by "
        + ", ".join(f"`{d}`" for d in DIMENSIONS)
        + ". Order KPIs follow the orders created in the period; stock KPIs read the ledger; "
        "care KPIs follow the tickets opened in the period. Generated from "
        "`maillon.analytics.definitions.KPIS`.",
        "",
    ]
    group = None
    for k in KPIS:
        if k.group != group:
            group = k.group
            lines += [f"## {group.capitalize()}", "", "| KPI | key | unit | formula | better |"]
            lines.append("|---|---|---|---|---|")
        formula = k.formula + (f" *(None by {', '.join(k.not_by)})*" if k.not_by else "")
        lines.append(f"| {k.label} | `{k.key}` | {k.unit} | {formula} | {k.better or ''} |")
        if k is KPIS[-1] or KPIS[KPIS.index(k) + 1].group != group:
            lines.append("")
    return "\n".join(lines)
