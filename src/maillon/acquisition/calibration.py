"""The storefront generator's calibration, built from the UCI Online Shoppers data set.

:func:`build_calibration` reads the Online Shoppers Purchasing Intention CSV (one row per
session) into the table :func:`maillon.acquisition.funnel.generate_events` draws from:
conversion and cart rates, page-count quantiles, seconds per page, and the share and
conversion of each channel, device, visitor type and landing page.
:func:`write_calibration` writes it as the package's ``calibration.json``, which
:func:`maillon.acquisition.funnel.load_calibration` reads.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from maillon.acquisition.funnel import CALIBRATION_FILE

__all__ = ["build_calibration", "write_calibration"]

_QUANTILES = 40


def _quantiles(values: Sequence[float], k: int = _QUANTILES) -> list[float]:
    ordered = sorted(values)
    n = len(ordered)
    out = []
    for i in range(k + 1):
        pos = (n - 1) * i / k
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        out.append(round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 4))
    return out


def _categories(
    keys: Sequence[str], bought: Sequence[bool], prefix: str, min_share: float = 0.01
) -> dict[str, dict[str, float]]:
    n = len(keys)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for k, b in zip(keys, bought, strict=True):
        counts[k][0] += 1
        counts[k][1] += int(b)
    out: dict[str, dict[str, float]] = {}
    other = [0, 0]
    for k, (c, p) in sorted(counts.items(), key=lambda kv: -kv[1][0]):
        if c / n >= min_share:
            out[f"{prefix}{k}"] = {"share": round(c / n, 5), "conversion": round(p / c, 5)}
        else:
            other[0] += c
            other[1] += p
    if other[0]:
        out[f"{prefix}other"] = {
            "share": round(other[0] / n, 5),
            "conversion": round(other[1] / other[0], 5),
        }
    return out


def build_calibration(csv_path: str | Path) -> dict[str, Any]:
    """Return the generator calibration computed from the Online Shoppers CSV.

    The file has one row per session (``administrative``, ``informational``,
    ``product_related`` page counts and durations, ``page_values``, ``operating_systems``,
    ``traffic_type``, ``visitor_type``, ``revenue``).  Proxies, stated in the result:
    a session "reached the cart" when it bought or visited a page with a page value
    (``page_values > 0``, pages seen before a transaction); the channel is the traffic
    type, the device the operating system (both anonymised codes); the landing page is
    ``account`` when the session saw administrative pages, else ``info`` when it saw
    informational pages, else ``product``.

    Raises:
        ValueError: if the file has no rows or lacks a required column.
        OSError: if it cannot be read.
    """
    with Path(csv_path).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{csv_path} has no rows.")
    required = {
        "administrative",
        "informational",
        "product_related",
        "product_related_duration",
        "page_values",
        "operating_systems",
        "traffic_type",
        "visitor_type",
        "revenue",
    }
    missing = required - set(rows[0])
    if missing:
        raise ValueError(f"{csv_path} lacks columns {sorted(missing)}.")
    n = len(rows)
    bought = [r["revenue"].strip().lower() in ("yes", "true", "1") for r in rows]
    admin = [int(float(r["administrative"])) for r in rows]
    info = [int(float(r["informational"])) for r in rows]
    product = [int(float(r["product_related"])) for r in rows]
    cart = [b or float(r["page_values"]) > 0 for r, b in zip(rows, bought, strict=True)]
    landing = [
        "account" if a > 0 else "info" if i > 0 else "product"
        for a, i in zip(admin, info, strict=True)
    ]
    per_page = [
        float(r["product_related_duration"]) / p
        for r, p in zip(rows, product, strict=True)
        if p > 0
    ]
    conversion = sum(bought) / n
    cart_rate = sum(cart) / n
    pages = [a + i + p for a, i, p in zip(admin, info, product, strict=True)]
    return {
        "source": (
            "UCI Online Shoppers Purchasing Intention (Sakar & Kastro 2018, CC BY 4.0), "
            "via the R package liver"
        ),
        "proxies": (
            "cart = bought or page_values > 0; channel = traffic_type; device = "
            "operating_systems; landing = account/info/product by the page types seen"
        ),
        "n_sessions": n,
        "conversion_rate": round(conversion, 5),
        "cart_rate": round(cart_rate, 5),
        "purchase_given_cart": round(conversion / cart_rate, 5),
        "single_page_rate": round(sum(1 for p in pages if p <= 1) / n, 5),
        "seconds_per_page_median": round(sorted(per_page)[len(per_page) // 2], 3),
        "product_views_quantiles": {
            "cart": _quantiles([p for p, c in zip(product, cart, strict=True) if c]),
            "no_cart": _quantiles([p for p, c in zip(product, cart, strict=True) if not c]),
        },
        "other_pages_quantiles": _quantiles([a + i for a, i in zip(admin, info, strict=True)]),
        "channels": _categories([r["traffic_type"] for r in rows], bought, "traffic_"),
        "devices": _categories([r["operating_systems"] for r in rows], bought, "os_"),
        "visitor_types": _categories([r["visitor_type"] for r in rows], bought, ""),
        "landing_pages": _categories(landing, bought, ""),
    }


def write_calibration(csv_path: str | Path, out: str | Path | None = None) -> Path:
    """Write ``build_calibration(csv_path)`` as JSON; return the path written.

    ``out`` defaults to the package's ``calibration.json`` (next to this module).

    Raises:
        ValueError, OSError: as ``build_calibration`` or when the file cannot be written.
    """
    target = Path(out) if out is not None else Path(__file__).with_name(CALIBRATION_FILE)
    target.write_text(json.dumps(build_calibration(csv_path), indent=1) + "\n", encoding="utf-8")
    return target
