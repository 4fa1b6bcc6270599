"""KPIs over a large history: seconds to compute the whole catalogue on SQLite and PostgreSQL.

KPIs read ``order_facts`` (one narrow row per order, refreshed incrementally) and its daily
rollups (sums and histograms per day, kept up to date with the facts; the storefront sessions
and the stock ledger rolled up per day likewise): the bench times the full build of facts and
rollups once, an incremental refresh after 1,000 orders changed, and then the catalogue over
the year for each dimension (no split, warehouse, carrier, channel, day, week, month).

Generates a synthetic but consistent history of N orders (default 1,000,000) straight into a
fresh SQLite file and a fresh PostgreSQL database (migrated with Alembic, rows bulk-loaded:
``executemany`` on SQLite, ``COPY`` on PostgreSQL): customers, addresses, order lines,
allocations, order events, shipments with carriers and carrier costs, parcels, packing plans
with carton costs, returns with lines and reason codes, pick lists with route metres, their
lines and scans (0.6 % refused), tickets with priorities, pauses and SLA clocks, CSAT surveys
(35 % answered), storefront sessions of the webshop channel (15.5 % conversion, 25 % carts, as
the acquisition calibration), fraud assessments (2.7 % flagged), analyst reviews and
chargebacks, stock levels and ship movements. Then it times
``maillon.analytics.service.compute_kpis`` for the whole period and split by each dimension,
and, as the reference in the same run, the row-by-row way (``kpi_summary``: every order
brought back to Python, fewer KPIs), on the same data.

Without ``--pg-url`` the bench starts its own throwaway PostgreSQL with
``scripts/pg_test_server.sh`` on port 54510 (skipped with ``--no-postgres``).

Usage::

    python bench/kpi.py [--orders N] [--quick] [--pg-url URL] [--no-postgres] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.analytics.service import (  # noqa: E402
    _compute_kpis,
    compute_kpis,
    kpi_summary,
    refresh_order_facts,
)
from maillon.bootstrap import load_tables  # noqa: E402
from maillon.core.db import Base, Database  # noqa: E402
from maillon.core.migrate import upgrade  # noqa: E402
from maillon.orders.tables import Order  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 140)
PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
OWN_PG_PORT = 54510
START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 365
CUT = timedelta(hours=7, minutes=33)  # a period cut inside days
WAREHOUSES = ("PAR1", "LYS1", "LIL1")
CARRIERS = ("colissimo", "chronopost", "dpd", "gls", "mondial-relay")
CHANNELS = ("webshop", "shopify", "woocommerce", "marketplace")
SKUS = 5000
DIMS: tuple[str | None, ...] = (None, "warehouse", "carrier", "channel", "day", "week", "month")
RETURN_REASONS = ("wrong_size", "changed_mind", "defective", "damaged_in_transit", "wrong_item")


# -- a consistent synthetic history ------------------------------------------------------------


class History:
    """Row generators for each table, deterministic for a seed.

    ``now`` censors the history: what would happen after it (a shipment, a delivery, a return,
    a ticket's answer, a chargeback...) has not happened yet, and the statuses say so. Without
    it, the orders of the last days ship, get delivered and returned in the future.
    """

    def __init__(
        self, orders: int, seed: int, start: datetime = START, now: datetime | None = None
    ) -> None:
        self.n = orders
        self.seed = seed
        self.start = start
        self.now = now

    def _past(self, at: datetime | None) -> datetime | None:
        """``at`` if it has happened by ``now``, else None."""
        return at if at is None or self.now is None or at <= self.now else None

    def tables(self) -> list[tuple[str, Callable[[], Iterator[dict[str, Any]]], int]]:
        n = self.n
        return [
            ("warehouses", self.warehouses, len(WAREHOUSES)),
            ("carriers", self.carriers, len(CARRIERS)),
            ("products", self.products, SKUS),
            ("locations", self.locations, SKUS * len(WAREHOUSES)),
            ("stock_levels", self.stock_levels, SKUS * len(WAREHOUSES)),
            ("customers", self.customers, n // 3),
            ("addresses", self.addresses, n // 3),
            ("orders", self.orders, n),
            ("order_lines", self.order_lines, int(n * 1.5)),
            ("allocations", self.allocations, int(n * 1.5)),
            ("order_events", self.order_events, int(n * 3.8)),
            ("shipments", self.shipments, int(n * 0.93)),
            ("pick_lists", self.pick_lists, int(n * 0.93)),
            ("stock_movements", self.movements, int(n * 1.4)),
            ("returns", self.returns, int(n * 0.05)),
            ("return_lines", self.return_lines, int(n * 0.05)),
            ("tickets", self.tickets, int(n * 0.03)),
            ("ticket_events", self.ticket_events, int(n * 0.1)),
            ("csat_surveys", self.csat_surveys, int(n * 0.03)),
            ("pick_list_lines", self.pick_list_lines, int(n * 1.4)),
            ("pick_scans", self.pick_scans, int(n * 1.4)),
            ("packing_sessions", self.packing_sessions, int(n * 0.93)),
            ("parcels", self.parcels, int(n * 1.0)),
            ("fraud_assessments", self.fraud_assessments, n),
            ("fraud_reviews", self.fraud_reviews, int(n * 0.02)),
            ("fraud_chargebacks", self.fraud_chargebacks, int(n * 0.002)),
            ("storefront_events", self.storefront_events, int(n * 0.25 / 0.155 * 1.4)),
        ]

    def warehouses(self) -> Iterator[dict[str, Any]]:
        for i, code in enumerate(WAREHOUSES, 1):
            yield {"id": i, "code": code, "name": code, "priority": i * 10}

    def carriers(self) -> Iterator[dict[str, Any]]:
        for i, code in enumerate(CARRIERS, 1):
            yield {"id": i, "code": code, "name": code, "tracking_prefix": code[:2].upper()}

    def products(self) -> Iterator[dict[str, Any]]:
        for i in range(1, SKUS + 1):
            yield {
                "id": i,
                "sku": f"SKU-{i:05d}",
                "name": f"Product {i}",
                "category": "home",
                "length_mm": 200,
                "width_mm": 150,
                "height_mm": 100,
                "weight_g": 500,
                "price_cents": 1000 + i % 5000,
                "active": True,
                "created_at": self.start,
            }

    def locations(self) -> Iterator[dict[str, Any]]:
        for w in range(len(WAREHOUSES)):
            for p in range(SKUS):
                yield {
                    "id": w * SKUS + p + 1,
                    "warehouse_id": w + 1,
                    "code": f"A{p // 80 + 1:02d}-{p % 80 + 1:02d}",
                    "kind": "pick",
                }

    def stock_levels(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.seed)
        for w in range(len(WAREHOUSES)):
            for p in range(SKUS):
                yield {
                    "id": w * SKUS + p + 1,
                    "product_id": p + 1,
                    "location_id": w * SKUS + p + 1,
                    "warehouse_id": w + 1,
                    "lot": "",
                    "on_hand": 0 if rng.random() < 0.04 else rng.randint(1, 400),
                    "reserved": 0,
                    "updated_at": self.start + timedelta(days=DAYS),
                }

    def customers(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n // 3 + 1):
            yield {
                "id": i,
                "email": f"c{i}@example.fr",
                "name": f"Customer {i}",
                "phone": "",
                "created_at": self.start,
            }

    def addresses(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n // 3 + 1):
            yield {
                "id": i,
                "customer_id": i,
                "name": f"Customer {i}",
                "line1": "1 rue de la Paix",
                "line2": "",
                "postcode": "75002",
                "city": "Paris",
                "country": "FR",
                "phone": "",
                "created_at": self.start,
                "last_used_at": self.start,
            }

    def _order(self, i: int) -> dict[str, Any]:
        """The facts of order ``i`` (1-based), the same whichever table asks."""
        rng = random.Random(self.seed * 1_000_003 + i)
        created = self.start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        waited = rng.random() < 0.05
        cancelled = not waited and rng.random() < 0.02
        shipped = None if cancelled else created + timedelta(hours=rng.lognormvariate(2.8, 0.5))
        if waited and shipped is not None:
            shipped += timedelta(days=rng.uniform(2, 10))
        promised = created + timedelta(days=3)
        delivered = None
        if shipped is not None and rng.random() < 0.97:
            delivered = shipped + timedelta(hours=rng.lognormvariate(3.7, 0.35))
        n_lines = 1 if rng.random() < 0.6 else rng.randint(2, 3)
        shipped = self._past(shipped)
        delivered = self._past(delivered) if shipped else None
        status = (
            "cancelled"
            if cancelled
            else "delivered"
            if delivered
            else "shipped"
            if shipped
            else "allocated"
        )
        extra = [rng.random() for _ in range(8)]  # drawn last: the figures above stay as they were
        return {
            "rng": rng,
            "x": extra,
            "created": created,
            "waited": waited,
            "cancelled": cancelled,
            "shipped": shipped,
            "delivered": delivered,
            "promised": promised,
            "n_lines": n_lines,
            "status": status,
            "warehouse": 1 + i % len(WAREHOUSES),
            "carrier": 1 + (i * 7) % len(CARRIERS),
            "channel": CHANNELS[i % len(CHANNELS)],
            "customer": 1 + (i * 2654435761) % max(1, self.n // 3),
        }

    def orders(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n + 1):
            o = self._order(i)
            yield {
                "id": i,
                "channel": o["channel"],
                "customer_id": o["customer"],
                "address_id": o["customer"],
                "status": o["status"],
                "currency": "EUR",
                "total_cents": 2000 + i % 9000,
                "ship_name": "Customer",
                "ship_line1": "1 rue de la Paix",
                "ship_line2": "",
                "ship_postcode": "75002",
                "ship_city": "Paris",
                "ship_country": "FR",
                "ship_phone": "",
                "warehouse_id": o["warehouse"],
                "ship_complete": False,
                "note": "",
                "created_at": o["created"],
                "updated_at": o["created"],
                "promised_at": o["promised"],
                "allocated_at": None if o["cancelled"] else o["created"],
                "shipped_at": o["shipped"],
                "delivered_at": o["delivered"],
            }

    def _lines(self) -> Iterator[tuple[int, dict[str, Any], int, int]]:
        """(order id, order facts, line id, line number) of every order line."""
        line_id = 0
        for i in range(1, self.n + 1):
            o = self._order(i)
            for k in range(o["n_lines"]):
                line_id += 1
                yield i, o, line_id, k + 1

    def order_lines(self) -> Iterator[dict[str, Any]]:
        for i, _o, line_id, line_no in self._lines():
            product = 1 + (i * 31 + line_id) % SKUS
            yield {
                "id": line_id,
                "order_id": i,
                "line_no": line_no,
                "product_id": product,
                "sku": f"SKU-{product:05d}",
                "name": "Product",
                "quantity": 1,
                "unit_price_cents": 1500,
            }

    def allocations(self) -> Iterator[dict[str, Any]]:
        for i, o, line_id, _ in self._lines():
            if o["cancelled"]:
                continue
            product = 1 + (i * 31 + line_id) % SKUS
            yield {
                "id": line_id,
                "order_id": i,
                "order_line_id": line_id,
                "stock_level_id": (o["warehouse"] - 1) * SKUS + product,
                "warehouse_id": o["warehouse"],
                "quantity": 1,
                "status": "shipped" if o["shipped"] else "reserved",
            }

    def order_events(self) -> Iterator[dict[str, Any]]:
        event_id = 0
        for i in range(1, self.n + 1):
            o = self._order(i)
            steps: list[tuple[str | None, str, datetime]] = [(None, "confirmed", o["created"])]
            if o["waited"]:
                steps.append(("confirmed", "backordered", o["created"]))
            if o["cancelled"]:
                steps.append(("confirmed", "cancelled", o["created"]))
            else:
                steps.append((steps[-1][1], "allocated", o["created"]))
            if o["shipped"]:
                steps.append(("allocated", "shipped", o["shipped"]))
            if o["delivered"]:
                steps.append(("shipped", "delivered", o["delivered"]))
            for src, dst, at in steps:
                event_id += 1
                yield {
                    "id": event_id,
                    "order_id": i,
                    "at": at,
                    "from_status": src,
                    "to_status": dst,
                    "actor": "bench",
                    "note": "",
                }

    def shipments(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n + 1):
            o = self._order(i)
            if o["shipped"] is None:
                continue
            yield {
                "id": i,
                "order_id": i,
                "warehouse_id": o["warehouse"],
                "carrier_id": o["carrier"],
                "status": "delivered" if o["delivered"] else "shipped",
                "packed_at": o["shipped"],
                "shipped_at": o["shipped"],
                "delivered_at": o["delivered"],
                # 10 % ship with a carrier without a rate card: no cost known
                "quoted_cents": None if o["x"][0] < 0.1 else 450 + int(450 * o["x"][1]),
            }

    def pick_lists(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n + 1):
            o = self._order(i)
            if o["shipped"] is None:
                continue
            yield {
                "id": i,
                "order_id": i,
                "warehouse_id": o["warehouse"],
                "status": "done",
                "picker": "p",
                "created_at": o["created"],
                "completed_at": o["shipped"],
                "route_m": round(40 + 35 * o["n_lines"] * o["rng"].random(), 1),
                "assigned_at": o["shipped"] - timedelta(hours=2),
            }

    # -- picking, packing, parcels ---------------------------------------------------------------

    def pick_list_lines(self) -> Iterator[dict[str, Any]]:
        for i, o, line_id, line_no in self._lines():
            if o["shipped"] is None:
                continue
            product = 1 + (i * 31 + line_id) % SKUS
            yield {
                "id": line_id,
                "pick_list_id": i,
                "allocation_id": line_id,
                "sequence": line_no,
                "location_code": f"A{product // 80 + 1:02d}-{product % 80 + 1:02d}",
                "sku": f"SKU-{product:05d}",
                "quantity": 1,
                "picked_quantity": 1,
                "status": "done",
                # a list is taken 2 h before shipping; a line every 2-6 minutes
                "picked_at": o["shipped"] - timedelta(hours=2) + timedelta(minutes=4 * line_no),
                "picked_by": f"picker{i % 40}",
            }

    def pick_scans(self) -> Iterator[dict[str, Any]]:
        scan_id = 0
        for i, o, line_id, line_no in self._lines():
            if o["shipped"] is None:
                continue
            refused = o["x"][2] < 0.006 * o["n_lines"] and line_no == 1
            for outcome in ("wrong_location", "ok") if refused else ("ok",):
                scan_id += 1
                yield {
                    "id": scan_id,
                    "line_id": line_id,
                    "warehouse_id": o["warehouse"],
                    "picker": f"picker{i % 40}",
                    "at": o["shipped"] - timedelta(hours=2) + timedelta(minutes=4 * line_no),
                    "location": "A01-01",
                    "barcode": "3760000000000",
                    "quantity": 1,
                    "outcome": outcome,
                }

    def _parcels(self, o: dict[str, Any]) -> list[int]:
        """Carton costs (cents) of the parcels of a shipped order."""
        n = 2 if o["n_lines"] > 1 and o["x"][3] < 0.15 else 1
        return [35 + 15 * ((o["n_lines"] + k) % 3) for k in range(n)]

    def packing_sessions(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n + 1):
            o = self._order(i)
            if o["shipped"] is None:
                continue
            # the shape of maillon.warehouse.service.packstation.PackPlan.to_dict (units left out)
            parcels = [
                {
                    "number": k,
                    "carton": "BOX-S",
                    "inner_mm": [300, 200, 150],
                    "outer_mm": [308, 208, 158],
                    "contents_weight_g": 650,
                    "gross_weight_g": 800,
                    "chargeable_weight_g": 2025,
                    "carton_cost_cents": c,
                    "shipping_cost_cents": 999,
                    "fill_pct": 40.0,
                    "units": [],
                }
                for k, c in enumerate(self._parcels(o), start=1)
            ]
            plan = {
                "order": f"M{i:07d}",
                "warehouse": f"W{o['warehouse']}",
                "parcels": parcels,
                "unpackable": [],
                "total_cost_cents": sum(p["carton_cost_cents"] + 999 for p in parcels),
                "catalogue": "default",
            }
            yield {
                "id": i,
                "order_id": i,
                "warehouse_id": o["warehouse"],
                "status": "done",
                "plan": json.dumps(plan),
                "packer": "packer",
                "created_at": o["shipped"],
                "completed_at": o["shipped"],
            }

    def parcels(self) -> Iterator[dict[str, Any]]:
        parcel_id = 0
        for i in range(1, self.n + 1):
            o = self._order(i)
            if o["shipped"] is None:
                continue
            for _ in self._parcels(o):
                parcel_id += 1
                yield {
                    "id": parcel_id,
                    "shipment_id": i,
                    "weight_g": 800,
                    "length_mm": 300,
                    "width_mm": 200,
                    "height_mm": 120,
                    "status": "delivered" if o["delivered"] else "in_transit",
                }

    # -- fraud -------------------------------------------------------------------------------

    def _fraud(self, o: dict[str, Any]) -> tuple[bool, str, str | None]:
        """(fraud, decision at intake, analyst decision): 0.4 % fraud, 70 % of it flagged;
        2.7 % of the legitimate orders flagged; analysts decide 90 % of the reviews, right."""
        fraud = o["x"][4] < 0.004
        r = o["x"][5]
        if fraud:
            decision = "review" if r < 0.5 else "reject" if r < 0.7 else "accept"
        else:
            decision = "review" if r < 0.025 else "reject" if r < 0.027 else "accept"
        review = None
        decided = self._past(o["created"] + timedelta(hours=3))
        if decision == "review" and o["x"][6] < 0.9 and decided:
            review = "reject" if fraud else "approve"
        return fraud, decision, review

    def fraud_assessments(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.n + 1):
            o = self._order(i)
            _, decision, review = self._fraud(o)
            yield {
                "order_id": i,
                "score": round(o["x"][5], 4),
                "decision": decision,
                "reasons": "[]",
                "rules_fired": "[]",
                "features": "{}",
                "latency_ms": 2.0,
                "review_status": {"approve": "approved", "reject": "rejected"}.get(
                    review or "", "open" if decision == "review" else None
                ),
                "assessed_at": o["created"],
            }

    def fraud_reviews(self) -> Iterator[dict[str, Any]]:
        rid = 0
        for i in range(1, self.n + 1):
            o = self._order(i)
            _, _, review = self._fraud(o)
            if review is None:
                continue
            rid += 1
            yield {
                "id": rid,
                "order_id": i,
                "decision": review,
                "analyst": "analyst",
                "note": "",
                "decided_at": o["created"] + timedelta(hours=3),
            }

    def fraud_chargebacks(self) -> Iterator[dict[str, Any]]:
        cid = 0
        for i in range(1, self.n + 1):
            o = self._order(i)
            fraud, decision, review = self._fraud(o)
            if not fraud or decision == "reject" or review == "reject":
                continue
            if not self._past(o["created"] + timedelta(days=31)):
                continue
            cid += 1
            yield {
                "id": cid,
                "order_id": i,
                "customer_id": o["customer"],
                "amount_cents": 2000,
                "currency": "EUR",
                "reason": "fraudulent",
                "occurred_at": o["created"] + timedelta(days=30),
                "recorded_at": o["created"] + timedelta(days=31),
                "recorded_by": "psp",
            }

    # -- storefront sessions -----------------------------------------------------------------

    def storefront_events(self) -> Iterator[dict[str, Any]]:
        """Sessions of the webshop channel: its orders are the purchases (15.5 % of the
        sessions, as the acquisition calibration); 25 % of the sessions hold a cart."""
        channels = ("traffic_1", "traffic_2", "traffic_3", "traffic_4")
        rng = random.Random(self.seed + 17)
        event_id = 0
        webshop = [i for i in range(1, self.n + 1) if CHANNELS[i % len(CHANNELS)] == "webshop"]
        sessions = int(len(webshop) / 0.155)
        for k in range(sessions):
            bought = k < len(webshop)
            started = (
                self._order(webshop[k])["created"] - timedelta(minutes=12)
                if bought
                else self.start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            )
            cart = bought or rng.random() < (0.25 - 0.155) / (1 - 0.155)
            steps = [("page_view", 0)]
            if cart:
                steps.append(("add_to_cart", 1000 + rng.randrange(9000)))
            if bought:
                steps.append(("purchase", steps[-1][1]))
            channel = channels[k % len(channels)]
            for n, (kind, cents) in enumerate(steps):
                event_id += 1
                yield {
                    "id": event_id,
                    "event_id": f"e{event_id}",
                    "type": kind,
                    "session_id": f"s{k}",
                    "anonymous_id": f"a{k}",
                    "occurred_at": started + timedelta(minutes=5 * n),
                    "received_at": started + timedelta(minutes=5 * n),
                    "device": "os_2",
                    "channel": channel,
                    "page": "/",
                    "step": 0,
                    "value_cents": cents,
                    "properties": "{}",
                }

    def movements(self) -> Iterator[dict[str, Any]]:
        for i, o, line_id, _ in self._lines():
            if o["shipped"] is None:
                continue
            product = 1 + (i * 31 + line_id) % SKUS
            yield {
                "id": line_id,
                "stock_level_id": (o["warehouse"] - 1) * SKUS + product,
                "product_id": product,
                "warehouse_id": o["warehouse"],
                "kind": "ship",
                "delta_on_hand": -1,
                "delta_reserved": -1,
                "reference": f"M{i:07d}",
                "reason": "",
                "actor": "bench",
                "created_at": o["shipped"],
            }

    def returns(self) -> Iterator[dict[str, Any]]:
        rid = 0
        for i in range(1, self.n + 1, 20):
            o = self._order(i)
            if not self._returned(o):
                continue
            rid += 1
            yield {
                "id": rid,
                "order_id": i,
                "status": "received",
                "reason": RETURN_REASONS[rid % len(RETURN_REASONS)],
                "created_at": o["delivered"] + timedelta(days=3),
            }

    def _returned(self, o: dict[str, Any]) -> bool:
        """Whether the 1-in-20 order ``o`` has been returned (3 days after its delivery)."""
        return o["delivered"] is not None and bool(self._past(o["delivered"] + timedelta(days=3)))

    def return_lines(self) -> Iterator[dict[str, Any]]:
        """One line per return: the order's first line, received, with the return's reason."""
        rid = 0
        first_line = 0
        for i, o, line_id, line_no in self._lines():
            if line_no == 1:
                first_line = line_id
            if (i - 1) % 20 or line_no != 1 or not self._returned(o):
                continue
            rid += 1
            product = 1 + (i * 31 + first_line) % SKUS
            yield {
                "id": rid,
                "return_id": rid,
                "order_line_id": first_line,
                "sku": f"SKU-{product:05d}",
                "quantity": 1,
                "reason_code": RETURN_REASONS[rid % len(RETURN_REASONS)],
                "unit_price_cents": 1500,
                "received_quantity": 1,
                "disposition": "",
            }

    def tickets(self) -> Iterator[dict[str, Any]]:
        for tid, t in self._tickets():
            yield {
                "id": tid,
                "customer_email": f"c{t['customer']}@example.fr",
                "order_id": t["order"],
                "subject": "Where is my order?",
                "category": "delivery",
                "priority": t["priority"],
                "status": t["status"],
                "channel": "email",
                "created_at": t["opened"],
                "first_response_at": t["answered"],
                "resolved_at": t["resolved"],
                "closed_at": t["closed"],
            }

    def _tickets(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Tickets on 3 % of the orders: priority, answer and resolution times, pauses."""
        for tid, i in enumerate(range(3, self.n + 1, 33), 1):
            o = self._order(i)
            rng = random.Random(tid)
            opened = o["created"] + timedelta(days=1)
            answered = opened + timedelta(hours=rng.lognormvariate(1.2, 0.9))
            resolved = answered + timedelta(hours=rng.lognormvariate(2.8, 0.8))
            if not self._past(opened):
                continue
            r = rng.random()
            priority = (
                "urgent" if r < 0.05 else "high" if r < 0.15 else "low" if r < 0.2 else "normal"
            )
            paused = rng.random() < 0.15
            score = None
            if rng.random() < 0.35:
                s = rng.random()
                score = 5 if s < 0.45 else 4 if s < 0.7 else 3 if s < 0.82 else 2 if s < 0.9 else 1
            yield (
                tid,
                {
                    "order": i,
                    "customer": o["customer"],
                    "opened": opened,
                    "answered": self._past(answered),
                    "resolved": self._past(resolved),
                    "closed": self._past(resolved + timedelta(days=2)),
                    "status": (
                        "closed"
                        if self._past(resolved + timedelta(days=2))
                        else "resolved"
                        if self._past(resolved)
                        else "open"
                    ),
                    "due": (answered, resolved),
                    "priority": priority,
                    "paused": paused,
                    "score": score,
                },
            )

    def ticket_events(self) -> Iterator[dict[str, Any]]:
        eid = 0
        for tid, t in self._tickets():
            answered, resolved = t["due"]
            steps = [(answered, "open")]
            if t["paused"]:  # waiting on the customer for a third of the time to resolve
                wait = answered + (resolved - answered) / 3
                steps += [(answered + timedelta(minutes=1), "waiting_on_customer")]
                steps += [(wait, "open")]
            steps += [(resolved, "resolved"), (resolved + timedelta(days=2), "closed")]
            for at, status in steps:
                if not self._past(at):
                    break
                eid += 1
                yield {
                    "id": eid,
                    "ticket_id": tid,
                    "at": at,
                    "actor": "agent",
                    "kind": "status",
                    "old": "",
                    "new": status,
                    "note": "",
                }

    def csat_surveys(self) -> Iterator[dict[str, Any]]:
        for tid, t in self._tickets():
            if t["resolved"] is None:
                continue
            answered = self._past(t["resolved"] + timedelta(hours=5)) if t["score"] else None
            yield {
                "id": tid,
                "ticket_id": tid,
                "token": f"t{tid}",
                "sent_at": t["resolved"],
                "answered_at": answered,
                "score": t["score"] if answered else None,
                "comment": "",
            }


def _default(column: Any) -> Any:
    """A value for a NOT NULL column the generator does not know (a newer schema's column)."""
    t = column.type
    if isinstance(t, Boolean):
        return False
    if isinstance(t, Integer | Float):
        return 0
    if isinstance(t, DateTime):
        return START
    if isinstance(t, String | Text):
        return ""
    return None


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def load(history: History, *, sqlite_path: Path | None, pg_url: str | None) -> dict[str, float]:
    """Bulk-load the history; return seconds per target."""
    load_tables()
    seconds: dict[str, float] = {}
    plan = history.tables()
    targets = []
    if sqlite_path is not None:
        targets.append("sqlite")
    if pg_url is not None:
        targets.append("postgresql")
    for target in targets:
        started = time.perf_counter()
        if target == "sqlite":
            assert sqlite_path is not None
            conn = sqlite3.connect(sqlite_path)
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA foreign_keys=OFF")
        else:
            assert pg_url is not None
            pg = psycopg.connect(pg_url)
        with Progress(console=console, transient=True) as progress:
            for name, rows, expected in plan:
                table = Base.metadata.tables[name]
                columns = [c for c in table.columns]
                names = [c.name for c in columns]
                defaults = [None if c.nullable else _default(c) for c in columns]
                task = progress.add_task(f"{target}: {name}", total=expected)

                def tuples(
                    rows: Callable[[], Iterator[dict[str, Any]]] = rows,
                    names: list[str] = names,
                    defaults: list[Any] = defaults,
                    task: Any = task,
                ) -> Iterator[tuple[Any, ...]]:
                    for k, row in enumerate(rows(), 1):
                        if k % 50_000 == 0:
                            progress.update(task, completed=k)
                        yield tuple(row.get(n, d) for n, d in zip(names, defaults, strict=True))

                if target == "sqlite":
                    marks = ",".join("?" * len(names))
                    sql = f"INSERT INTO {name} ({','.join(names)}) VALUES ({marks})"
                    conn.executemany(sql, (tuple(_sqlite_value(v) for v in t) for t in tuples()))
                    conn.commit()
                else:
                    with (
                        pg.cursor() as cur,
                        cur.copy(f"COPY {name} ({','.join(names)}) FROM STDIN") as copy,
                    ):
                        for t in tuples():
                            copy.write_row(t)
                    pg.commit()
                progress.update(task, completed=expected)
        if target == "sqlite":
            conn.execute("ANALYZE")
            conn.commit()
            conn.close()
        else:
            with pg.cursor() as cur:
                for name, _, _ in plan:
                    if "id" not in Base.metadata.tables[name].columns:
                        continue
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
            pg.commit()
            pg.autocommit = True
            pg.execute("VACUUM ANALYZE")
            pg.close()
        seconds[target] = time.perf_counter() - started
    return seconds


def time_kpis(db: Database, end: datetime, reference: bool) -> list[dict[str, Any]]:
    """Build the order facts, time compute_kpis for each dimension, an incremental refresh
    after 1,000 orders changed, and the row-by-row reference; return rows."""
    rows = []
    started = time.perf_counter()
    with db.transaction() as session:
        built = refresh_order_facts(session=session, full=True)
    rows.append(
        {
            "how": "build facts + rollups (full, once)",
            "by": "-",
            "seconds": round(time.perf_counter() - started, 2),
            "groups": 0,
            "kpis": 0,
            "orders": built,
        }
    )
    with db.transaction() as session:  # 1,000 orders move on, as a busy hour would
        session.execute(
            update(Order)
            .where(Order.id <= 1000)
            .values(updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
    started = time.perf_counter()
    with db.transaction() as session:
        changed = refresh_order_facts(session=session)
    rows.append(
        {
            "how": "refresh facts + rollups (incremental)",
            "by": "-",
            "seconds": round(time.perf_counter() - started, 2),
            "groups": 0,
            "kpis": 0,
            "orders": changed,
        }
    )
    for by in DIMS:
        started = time.perf_counter()
        with db.reader() as session:
            table = compute_kpis(session=session, start=START, end=end, by=by)
        took = time.perf_counter() - started
        rows.append(
            {
                "how": "compute_kpis (rollups + facts)",
                "by": by or "-",
                "seconds": round(took, 2),
                "groups": len(table.rows),
                "kpis": max(
                    (sum(1 for v in row.values() if v is not None) for row in table.rows.values()),
                    default=0,
                ),
                "orders": int(sum((r.get("orders") or 0) for r in table.rows.values())),
            }
        )
    # the figures are those of counting over the facts alone (the computation before the
    # rollups), on a whole-day period and on one cut inside days, as the console's
    for by, lower, upper in ((None, START, end), ("carrier", START + CUT, end - CUT)):
        with db.reader() as session:
            fast = compute_kpis(session=session, start=lower, end=upper, by=by)
            started = time.perf_counter()
            slow = _compute_kpis(
                session=session,
                start=lower,
                end=upper,
                by=by,
                ship_within_h=24.0,
                costs=None,
                keys=None,
                rollups=False,
            )
        rows.append(
            {
                "how": "check: facts only, no rollups",
                "by": by or "-",
                "seconds": round(time.perf_counter() - started, 2),
                "groups": len(slow.rows),
                "kpis": 0,
                "orders": int(sum((r.get("orders") or 0) for r in slow.rows.values())),
                "same": fast.rows == slow.rows and fast.breakdowns == slow.breakdowns,
            }
        )
    if reference:
        started = time.perf_counter()
        with db.reader() as session:
            summary = kpi_summary(session=session, start=START, end=end)
        took = time.perf_counter() - started
        rows.append(
            {
                "how": "reference: rows to Python (kpi_summary)",
                "by": "-",
                "seconds": round(took, 2),
                "groups": 1,
                "kpis": 9,
                "orders": summary.orders,
            }
        )
    return rows


@contextlib.contextmanager
def own_postgres() -> Iterator[str]:
    env = {**os.environ, "PG_TEST_PORT": str(OWN_PG_PORT)}
    out = subprocess.run(
        [str(PG_SCRIPT), "start"], env=env, check=True, capture_output=True, text=True
    )
    try:
        yield out.stdout.strip()
    finally:
        subprocess.run([str(PG_SCRIPT), "stop"], env=env, check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, help="orders to generate (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="100,000 orders")
    parser.add_argument("--pg-url", help="a PostgreSQL server to create the database on")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-reference", action="store_true", help="skip the row-by-row run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    n = args.orders or (100_000 if args.quick else 1_000_000)
    history = History(n, args.seed)
    end = START + timedelta(days=DAYS + 30)
    results: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"orders": n}
    with tempfile.TemporaryDirectory(prefix="maillon-kpi-") as tmp:
        sqlite_path = Path(tmp) / "kpi.db"
        sqlite_db = Database(f"sqlite:///{sqlite_path}")
        upgrade(sqlite_db)
        stack = contextlib.ExitStack()
        with stack:
            pg_db = None
            pg_url = None
            if not args.no_postgres:
                server = args.pg_url or stack.enter_context(own_postgres())
                name = f"maillon_kpi_{os.getpid()}"
                admin = make_url(server).set(drivername="postgresql", database="postgres")
                with psycopg.connect(
                    admin.render_as_string(hide_password=False), autocommit=True
                ) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}"')
                    c.execute(f'CREATE DATABASE "{name}"')
                url = make_url(server).set(database=name)
                pg_db = Database(url.render_as_string(hide_password=False))
                upgrade(pg_db)
                pg_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
                stack.callback(pg_db.dispose)
            sqlite_db.dispose()  # the loader writes through its own connection
            console.print(f"generating and loading {n:,} orders ...")
            loaded = load(history, sqlite_path=sqlite_path, pg_url=pg_url)
            summary.update({f"load_s_{k}": round(v, 1) for k, v in loaded.items()})
            for label, db in (("sqlite", sqlite_db), ("postgresql", pg_db)):
                if db is None:
                    continue
                rows = time_kpis(db, end, reference=not args.no_reference)
                for r in rows:
                    r["database"] = label
                results += rows
                ours = [r["seconds"] for r in rows if r["how"].startswith("compute")]
                build = [r["seconds"] for r in rows if r["how"].startswith("build")]
                incremental = [r["seconds"] for r in rows if r["how"].startswith("refresh")]
                key = "seconds_sqlite" if label == "sqlite" else "seconds_postgres"
                summary[key] = round(max(ours), 2)
                summary[f"{key}_all_dimensions"] = round(sum(ours), 2)
                summary[f"facts_build_s_{label}"] = build[0]
                summary[f"facts_refresh_1000_s_{label}"] = incremental[0]
                checks = [r["same"] for r in rows if r["how"].startswith("check")]
                summary[f"rollups_match_facts_{label}"] = all(checks)
                ref = [r["seconds"] for r in rows if r["how"].startswith("reference")]
                if ref:
                    summary[f"reference_{key}"] = ref[0]
            if pg_db is not None:
                pg_db.dispose()
                with psycopg.connect(
                    admin.render_as_string(hide_password=False), autocommit=True
                ) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        sqlite_db.dispose()
    summary.setdefault("seconds_postgres", None)
    report(summary, results, args.json)


def report(summary: dict[str, Any], rows: list[dict[str, Any]], out: Path | None) -> None:
    table = Table(
        title=f"KPIs over {summary['orders']:,} orders (one year), same machine, same run"
    )
    for col in ("database", "how", "by", "seconds", "groups", "KPIs filled", "orders"):
        table.add_column(
            col,
            justify="right" if col in ("seconds", "groups", "KPIs filled", "orders") else "left",
        )
    for r in rows:
        table.add_row(
            r["database"],
            r["how"],
            r["by"],
            f"{r['seconds']:.2f}",
            str(r["groups"]),
            str(r["kpis"]) if "same" not in r else ("same" if r["same"] else "DIFFERENT"),
            f"{r['orders']:,}",
        )
    console.print(table)
    console.print(
        "summary: "
        + ", ".join(f"{k} {v}" for k, v in summary.items())
        + "  (seconds_* = slowest single KPI table; target: seconds)"
    )
    if out is not None:
        out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2, default=str))
        console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
