"""Quoted vs rate-card prices: how far the rate cards are from what carriers' APIs quote.

For every recorded rating answer in ``tests/data/carriers/ups/rates/<zone>_<weight>.json``
(UPS Shop, documented JSON), the real UPS connector quotes a parcel of that weight to that
zone against a local HTTP server answering the recording; the same parcel is priced on the
rate card of ``tests/data/carriers/ups/rate_card``; :func:`pick_price` shows which price
checkout would use. Rows: carrier, service, weight, zone, quoted, rate card, difference
(cents). Summary: mean absolute difference, share of rows where the card under-estimates.

Usage::

    python bench/carrier_rates.py [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.shipping import rates  # noqa: E402
from maillon.shipping.carriers import CarrierAccount, ShipmentRequest  # noqa: E402
from maillon.shipping.connectors import build  # noqa: E402
from maillon.shipping.labels import Address  # noqa: E402
from maillon.shipping.rates.carrier_quotes import pick_price  # noqa: E402

DATA = ROOT / "tests" / "data" / "carriers" / "ups"
TOKEN = (DATA / "token.json").read_bytes()
CITIES = {"DE": ("10115", "Berlin"), "BE": ("1000", "Bruxelles"), "ES": ("28001", "Madrid")}


def _serve(answer: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = TOKEN if "oauth" in self.path else answer["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run(quick: bool) -> dict[str, Any]:
    cards = rates.load_rate_cards(DATA / "rate_card")
    card = cards[0]
    answer: dict[str, bytes] = {"body": b""}
    server, url = _serve(answer)
    account = CarrierAccount(
        carrier="ups",
        connector="ups",
        credentials={"client_id": "bench", "client_secret": "bench", "account_number": "B1"},
        base_url=url,
        options={"timeout": "5", "retries": "0"},
    )
    gateway = build(account)
    warehouse = Address(
        name="Entrepot", lines=("1 rue A",), postcode="69007", city="Lyon", country="FR"
    )
    files = sorted((DATA / "rates").glob("*.json"))
    if quick:
        files = files[:3]
    rows: list[dict[str, Any]] = []
    try:
        for path in files:
            zone, weight = path.stem.split("_")
            answer["body"] = path.read_bytes()
            postcode, city = CITIES[zone]
            to = Address(
                name="Client", lines=("1 Strasse",), postcode=postcode, city=city, country=zone
            )
            request = ShipmentRequest(
                sscc="003456789012345675",
                service="standard",
                sender=warehouse,
                recipient=to,
                weight_g=int(weight),
                ship_date=dt.date(2026, 3, 2),
            )
            quotes = gateway.quote(request)
            parcel = rates.RateParcel(int(weight), 300, 200, 100)
            for service in card.services:
                priced = rates.quote(card, service, parcel, rates.Destination(zone, postcode))
                card_cents = priced.total_cents if isinstance(priced, rates.Quote) else None
                picked = pick_price("ups", service.code, quotes=quotes, rate_card_cents=card_cents)
                quoted = picked.price_cents if picked.source == "carrier_api" else None
                rows.append(
                    {
                        "carrier": "ups",
                        "service": service.code,
                        "weight_g": int(weight),
                        "zone": zone,
                        "quoted_cents": quoted,
                        "rate_card_cents": card_cents,
                        "difference_cents": None
                        if quoted is None or card_cents is None
                        else quoted - card_cents,
                    }
                )
    finally:
        server.shutdown()
        server.server_close()
    diffs = [r["difference_cents"] for r in rows if r["difference_cents"] is not None]
    summary = {
        "rows": len(rows),
        "compared": len(diffs),
        "mean_abs_difference_cents": round(statistics.fmean(abs(d) for d in diffs), 1)
        if diffs
        else None,
        "card_underestimates_share": round(sum(d > 0 for d in diffs) / len(diffs), 3)
        if diffs
        else None,
    }
    return {"summary": summary, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three recordings only")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    result = run(args.quick)
    table = Table(title="Carrier API quotes vs rate card (cents)")
    for col in ("carrier", "service", "weight_g", "zone", "quoted", "rate card", "difference"):
        table.add_column(col)
    for r in result["rows"]:
        table.add_row(
            r["carrier"],
            r["service"],
            str(r["weight_g"]),
            r["zone"],
            str(r["quoted_cents"]),
            str(r["rate_card_cents"]),
            str(r["difference_cents"]),
        )
    console = Console()
    console.print(table)
    console.print(result["summary"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
