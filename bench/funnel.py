"""Benchmark of maillon.acquisition.funnel: speed on generated events and calibration.

Generates sessions from the shipped calibration (UCI Online Shoppers Purchasing Intention,
12,330 sessions, 15.5 % conversion) until at least ``--events`` events (default 1,000,000),
then times ``compute_funnel`` (sessionisation + overall funnel + breakdowns by device,
channel and landing page) and compares the generated conversion with the data set's.

Usage::

    python bench/funnel.py [--events N] [--quick] [--seed S] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.acquisition.funnel import (  # noqa: E402
    compute_funnel,
    generate_events,
    load_calibration,
)

EVENTS_PER_SESSION_GUESS = 36.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; return the JSON-ready result."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 events")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    target = 100_000 if args.quick else args.events
    console = Console()
    cal = load_calibration()

    t0 = time.perf_counter()
    n_sessions = int(target / EVENTS_PER_SESSION_GUESS) + 1
    events = generate_events(n_sessions, seed=args.seed)
    while len(events) < target:
        n_sessions = int(n_sessions * target / max(1, len(events))) + 100
        events = generate_events(n_sessions, seed=args.seed)
    gen_s = time.perf_counter() - t0

    runs = []
    analysis = None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        analysis = compute_funnel(events)
        runs.append(time.perf_counter() - t0)
    assert analysis is not None
    best = min(runs)
    overall = analysis.overall
    reference = float(cal["conversion_rate"])

    rows: list[dict[str, Any]] = [
        {
            "stage": s.name,
            "sessions": s.sessions,
            "conversion_pct": 100 * s.conversion,
            "abandonment_pct": 100 * s.abandonment,
            "from_start_pct": 100 * s.from_start,
        }
        for s in overall.steps
    ]
    summary = {
        "events_per_s": len(events) / best,
        "conversion_pct": 100 * overall.conversion_rate,
        "reference_conversion_pct": 100 * reference,
        "conversion_gap_pts": 100 * (overall.conversion_rate - reference),
        "reference_cart_pct": 100 * float(cal["cart_rate"]),
        "cart_pct": 100 * overall.step("add_to_cart").from_start,
        "n_events": len(events),
        "n_sessions": overall.sessions,
        "funnel_s": best,
        "funnel_runs_s": runs,
        "generate_s": gen_s,
        "cart_abandonment_pct": 100 * overall.cart_abandonment_rate,
        "abandoned_cart_value": overall.abandoned_cart_value,
        "by_device_conversion_pct": {
            k: 100 * v.conversion_rate for k, v in analysis.by_device.items()
        },
        "by_landing_page_conversion_pct": {
            k: 100 * v.conversion_rate for k, v in analysis.by_landing_page.items()
        },
    }

    table = Table(
        title=f"Funnel on {len(events):,} generated events ({overall.sessions:,} sessions)"
    )
    for col in ("stage", "sessions", "conv. from prev.", "abandonment", "from start"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for r in rows:
        table.add_row(
            r["stage"],
            f"{r['sessions']:,}",
            f"{r['conversion_pct']:.1f} %",
            f"{r['abandonment_pct']:.1f} %",
            f"{r['from_start_pct']:.1f} %",
        )
    console.print(table)

    speed = Table(title="Speed and calibration")
    for col in ("measure", "value", "reference"):
        speed.add_column(col, justify="left" if col == "measure" else "right")
    speed.add_row(
        "compute_funnel (sessionise + funnel + 3 breakdowns)",
        f"{summary['events_per_s']:,.0f} events/s",
        f"best of {len(runs)}: {best:.2f} s",
    )
    speed.add_row(
        "session conversion",
        f"{summary['conversion_pct']:.2f} %",
        f"{summary['reference_conversion_pct']:.2f} % (Online Shoppers)",
    )
    speed.add_row(
        "sessions reaching the cart",
        f"{summary['cart_pct']:.2f} %",
        f"{summary['reference_cart_pct']:.2f} % (proxy: page value > 0 or bought)",
    )
    speed.add_row(
        "cart abandonment",
        f"{summary['cart_abandonment_pct']:.1f} %",
        f"value {summary['abandoned_cart_value']:,.0f}",
    )
    speed.add_row("event generation", f"{gen_s:.1f} s", "")
    console.print(speed)

    result = {"summary": summary, "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
