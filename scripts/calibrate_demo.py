"""Regenerate ``src/maillon/demo/calibration.json`` from the Olist products file.

Usage: python scripts/calibrate_demo.py [PATH to olist_products_dataset.csv]

Keeps, for the most common categories, their share of the catalogue and the 5/25/50/75/95th
percentiles of weight and of each side (sorted longest first), so the demo's catalogue has
realistic sizes without shipping the data set.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

DEFAULT = Path(__file__).resolve().parents[2] / "shared/datasets/olist_partial"
QUANTILES = [5, 25, 50, 75, 95]


def main() -> None:
    """Read the products file and write the calibration JSON."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    products = folder / "olist_products_dataset.csv" if folder.is_dir() else folder
    names_file = products.parent / "product_category_name_translation.csv"
    names = {}
    if names_file.exists():
        with names_file.open(encoding="utf-8-sig") as fh:
            names = {r[0]: r[1] for r in csv.reader(fh) if len(r) == 2}
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    with products.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            try:
                w = float(r["product_weight_g"])
                dims = sorted(
                    (
                        float(r["product_length_cm"]),
                        float(r["product_width_cm"]),
                        float(r["product_height_cm"]),
                    ),
                    reverse=True,
                )
            except (ValueError, KeyError):
                continue
            if w <= 0 or min(dims) <= 0:
                continue
            cat = names.get(r["product_category_name"], r["product_category_name"] or "other")
            rows[cat].append((w, *dims))
    total = sum(len(v) for v in rows.values())
    top = sorted(rows, key=lambda c: -len(rows[c]))[:20]
    out = {
        "source": "Olist products (MIT), olist/work-at-olist-data",
        "products": total,
        "quantiles": QUANTILES,
        "categories": {},
    }
    for cat in top:
        arr = np.array(rows[cat])
        out["categories"][cat] = {
            "share": round(len(arr) / total, 4),
            "weight_g": [round(float(x)) for x in np.percentile(arr[:, 0], QUANTILES)],
            "sides_cm": [
                [round(float(x), 1) for x in np.percentile(arr[:, i], QUANTILES)] for i in (1, 2, 3)
            ],
        }
    target = Path(__file__).resolve().parents[1] / "src/maillon/demo/calibration.json"
    target.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {target} from {total} products, {len(top)} categories")


if __name__ == "__main__":
    main()
