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
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "DIMENSIONS",
    "KPIS",
    "KpiDef",
    "KpiTable",
    "catalogue_markdown",
    "histogram_quantile",
    "mean_or_none",
    "rate",
]

DIMENSIONS = ("warehouse", "carrier", "channel", "day", "week", "month")


@dataclass(frozen=True)
class KpiDef:
    """One KPI: its key, what it means and how it is computed."""

    key: str
    label: str
    group: str
    unit: str  # "%", "h", "d", "count", "cents", "m", "units", "x", "score"
    formula: str
    better: str | None = None  # "higher", "lower" or None (a volume)


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
    # -- inventory -------------------------------------------------------------------------
    KpiDef(
        "units_shipped",
        "Units shipped",
        "inventory",
        "units",
        "units taken out of stock by shipments in the period (ledger)",
    ),
    KpiDef(
        "on_hand_end_units",
        "Units on hand at the end",
        "inventory",
        "units",
        "on-hand balance at the end of the period (ledger)",
    ),
    KpiDef(
        "inventory_turnover",
        "Inventory turnover",
        "inventory",
        "x",
        "units shipped / mean of on-hand units at the start and the end of the period",
        "higher",
    ),
    KpiDef(
        "days_of_supply",
        "Days of supply",
        "inventory",
        "d",
        "on-hand units at the end / units shipped per day over the period",
    ),
    KpiDef(
        "stockout_sku_pct",
        "Stock-out rate (SKUs)",
        "inventory",
        "%",
        "active SKUs with nothing available at the end of the period / active SKUs",
        "lower",
    ),
    # -- returns and care ------------------------------------------------------------------
    KpiDef(
        "return_rate_pct",
        "Return rate",
        "returns",
        "%",
        "delivered orders with a return / orders delivered",
        "lower",
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
        lines.append(f"| {k.label} | `{k.key}` | {k.unit} | {k.formula} | {k.better or ''} |")
        if k is KPIS[-1] or KPIS[KPIS.index(k) + 1].group != group:
            lines.append("")
    return "\n".join(lines)
