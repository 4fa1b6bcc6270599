"""Printing the KPI summary in a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from maillon.analytics.kpi import KpiSummary
from maillon.core.money import format_cents


def print_kpis(console: Console, k: KpiSummary) -> None:
    """Print ``k`` as a two-column table."""

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1f} %"

    def hours(v: float | None) -> str:
        return "–" if v is None else f"{v:.1f} h"

    table = Table("KPI", "value", title="KPI summary")
    rows = [
        ("orders", str(k.orders)),
        ("revenue (not cancelled)", format_cents(k.revenue_cents)),
        ("shipped", str(k.shipped)),
        ("delivered", str(k.delivered)),
        ("delivered on time (vs promise)", pct(k.on_time_delivery_pct)),
        ("allocated first time", pct(k.first_time_allocation_pct)),
        (
            "order to ship, mean / p90",
            f"{hours(k.cycle_time_mean_h)} / {hours(k.cycle_time_p90_h)}",
        ),
        ("waiting for stock now", str(k.open_backorders)),
        ("cancelled", str(k.cancelled)),
        ("return rate", pct(k.return_rate_pct)),
        ("tickets / median first answer", f"{k.tickets} / {hours(k.first_response_median_h)}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
