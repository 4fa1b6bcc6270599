"""The demo's WooCommerce shop: a small stateful server on 127.0.0.1 that speaks the part of
the WooCommerce REST API v3 Maillon uses (order notes, order status, products by SKU, batch
stock updates), so the demo's "webshop" channel is synced for real: shipped orders get their
tracking note and are completed, stock levels follow Maillon's. Its home page lists what it
received, in French and English.

It answers with the bodies WooCommerce documents (the fields Maillon reads), keeps everything
in memory, and checks the consumer key and secret like a shop would (HTTP basic auth).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from maillon.core.db import Database

API = "/wp-json/wc/v3"


@dataclass
class ShopState:
    """What the shop holds: its orders' notes and statuses, and its products."""

    key: str
    secret: str
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def product(self, sku: str) -> dict[str, Any]:
        """The product of ``sku``, made on first sight (the shop sells the whole catalogue)."""
        if sku not in self.products:
            self.products[sku] = {
                "id": 1000 + len(self.products),
                "sku": sku,
                "name": sku,
                "type": "simple",
                "status": "publish",
                "manage_stock": True,
                "stock_quantity": 0,
                "stock_status": "outofstock",
            }
        return self.products[sku]

    def answer(self, method: str, path: str, query: str, body: Any) -> tuple[int, Any]:
        """The status and JSON body WooCommerce answers to ``method path``."""
        parts = path.removeprefix(API).strip("/").split("/")
        with self.lock:
            if parts[0] == "orders" and len(parts) == 3 and parts[2] == "notes":
                return self._notes(method, parts[1], body)
            if parts[0] == "orders" and len(parts) == 2 and method == "PUT":
                self.statuses[parts[1]] = str(body.get("status", ""))
                return 200, {"id": parts[1], "status": self.statuses[parts[1]]}
            if parts == ["products"] and method == "GET":
                skus = parse_qs(query).get("sku", [""])[0].split(",")
                return 200, [self.product(s) for s in skus if s]
            if parts == ["products", "batch"] and method == "POST":
                return 200, {"update": [self._set_stock(u) for u in body.get("update", [])]}
        return 404, {"code": "rest_no_route", "message": "No route was found.", "data": {}}

    def _notes(self, method: str, order: str, body: Any) -> tuple[int, Any]:
        notes = self.notes.setdefault(order, [])
        if method == "GET":
            return 200, notes
        note = {
            "id": 1 + sum(len(n) for n in self.notes.values()),
            "note": str(body.get("note", "")),
            "customer_note": bool(body.get("customer_note")),
            "date_created_gmt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        }
        notes.append(note)
        return 201, note

    def _set_stock(self, update: dict[str, Any]) -> dict[str, Any]:
        product = next((p for p in self.products.values() if p["id"] == update.get("id")), None)
        if product is None:
            return {"id": update.get("id"), "error": {"code": "woocommerce_rest_invalid_id"}}
        product["stock_quantity"] = int(update.get("stock_quantity") or 0)
        product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"
        return product

    def home(self) -> str:
        """A page of what the shop received (newest notes first)."""
        with self.lock:
            rows = sorted(
                ((o, n) for o, notes in self.notes.items() for n in notes),
                key=lambda pair: -int(pair[1]["id"]),
            )[:200]
            completed = sum(1 for s in self.statuses.values() if s == "completed")
            stocked = sum(1 for p in self.products.values() if p["stock_quantity"] > 0)
        items = "".join(
            f"<tr><td>{html.escape(o)}</td><td>{html.escape(self.statuses.get(o, ''))}</td>"
            f"<td>{html.escape(n['note'])}</td></tr>"
            for o, n in rows
        )
        return (
            "<!doctype html><html lang='fr'><meta charset='utf-8'>"
            "<title>Boutique de démonstration / Demo shop</title>"
            "<h1>Boutique de démonstration (WooCommerce) / Demo shop</h1>"
            f"<p>{completed} commande(s) terminée(s) par Maillon / order(s) completed by "
            f"Maillon · {stocked} produit(s) en stock / product(s) in stock</p>"
            "<table><tr><th>Commande / Order</th><th>Statut / Status</th>"
            f"<th>Note de suivi / Tracking note</th></tr>{items}</table></html>"
        )


def _handler(state: ShopState) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{state.key}:{state.secret}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, payload: Any, content_type: str = "application/json") -> None:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _api(self, method: str) -> None:
            if self.headers.get("Authorization") != expected:
                self._reply(401, {"code": "woocommerce_rest_cannot_view", "message": "Sorry."})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._reply(400, {"code": "rest_invalid_json", "message": "Invalid JSON."})
                return
            url = urlsplit(self.path)
            self._reply(*state.answer(method, url.path, url.query, body))

        def do_GET(self) -> None:
            if urlsplit(self.path).path in ("", "/"):
                self._reply(200, state.home(), "text/html")
            else:
                self._api("GET")

        def do_POST(self) -> None:
            self._api("POST")

        def do_PUT(self) -> None:
            self._api("PUT")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def start_shop(key: str, secret: str) -> tuple[str, ShopState]:
    """Serve a demo shop on a free port of 127.0.0.1 (in a daemon thread); return its URL."""
    state = ShopState(key=key, secret=secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="demo-shop", daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", state


def connect_demo_shop(db: Database) -> str:
    """Start the demo's WooCommerce shop (:mod:`maillon.demo.shop`) and connect the
    ``webshop`` channel to it, so shipped orders and stock levels are pushed to it; return
    its URL."""
    from maillon.channels.service import register_channel

    key, secret = "ck_demo", secrets.token_urlsafe(16)
    url, _state = start_shop(key, secret)
    with db.transaction() as session:
        register_channel(
            session=session,
            code="webshop",
            kind="woocommerce",
            webhook_secret=secrets.token_urlsafe(24),
            shop_url=url,
            api_key=key,
            api_secret=secret,
        )
    return url
