"""Benchmark of maillon.returns.ledger: appends per second and full verification time.

Builds a chain of synthetic return events (RMA opened / received / inspected / refunded, with
SKU, quantity, amount and timestamp), then verifies it in full, then alters one entry in the
middle and checks that verification names it.  ``--quick`` uses 100,000 events instead of
1,000,000.

Usage::

    python bench/ledger.py [--events N] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.returns.ledger import GENESIS_HASH, Entry, append, head_hash, verify  # noqa: E402

STEPS = ("opened", "received", "inspected", "refunded")


def events(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "rma": f"RMA-{i // len(STEPS):08d}",
                "event": STEPS[i % len(STEPS)],
                "sku": f"SKU-{rng.randrange(50_000):06d}",
                "qty": rng.randint(1, 3),
                "amount_cents": rng.randrange(500, 50_000),
                "at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                "operator": rng.choice(("alice", "bruno", "chloé")),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    n = args.events or (100_000 if args.quick else 1_000_000)

    contents = events(n)
    chain: list[Entry] = []
    prev = GENESIS_HASH
    t0 = time.perf_counter()
    for content in contents:
        entry = append(prev, content)
        chain.append(entry)
        prev = entry.hash
    append_s = time.perf_counter() - t0
    pinned = head_hash(chain)

    t0 = time.perf_counter()
    result = verify(chain, expected_head=pinned)
    verify_s = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit(f"untouched chain failed verification: {result}")

    middle = n // 2
    chain[middle] = replace(chain[middle], content={**chain[middle].content, "qty": 99})
    t0 = time.perf_counter()
    tampered = verify(chain, expected_head=pinned)
    detect_s = time.perf_counter() - t0
    if tampered.ok or tampered.first_bad_index != middle:
        raise SystemExit(f"tampering at {middle} not reported there: {tampered}")

    summary = {
        "n_events": n,
        "appends_per_second": n / append_s,
        "append_seconds": append_s,
        "verify_seconds": verify_s,
        "verified_per_second": n / verify_s,
        "tamper_detected_at": tampered.first_bad_index,
        "tamper_detect_seconds": detect_s,
    }
    table = Table(title=f"Returns ledger, {n:,} events ({'quick' if args.quick else 'full'})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("appends / s", f"{summary['appends_per_second']:,.0f}")
    table.add_row("append all (s)", f"{append_s:.2f}")
    table.add_row("full verify (s)", f"{verify_s:.2f}")
    table.add_row("verified entries / s", f"{summary['verified_per_second']:,.0f}")
    table.add_row("tamper at index", f"{middle:,} -> reported {tampered.first_bad_index:,}")
    table.add_row("verify up to tamper (s)", f"{detect_s:.2f}")
    Console(width=100).print(table)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": [summary]}, indent=2))


if __name__ == "__main__":
    main()
