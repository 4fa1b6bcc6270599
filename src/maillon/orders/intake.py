"""Orders from outside (pure): webshop webhook payloads, their signatures, and CSV files.

Shopify signs a webhook with ``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw
body under the shop's shared secret; WooCommerce does the same in ``X-WC-Webhook-Signature``.
Both are checked with a constant-time comparison. Payloads map to :class:`OrderDraft`, keyed
by the shop's own order id so replays change nothing.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import InvalidOperation
from typing import Any

from maillon.core.errors import FieldError, ValidationError
from maillon.core.money import to_cents
from maillon.orders.choice import DeliveryChoice, DeliveryMethod, RelayPointChoice, SlotChoice
from maillon.orders.model import AddressDraft, LineDraft, OrderDraft


def signature(secret: str, body: bytes) -> str:
    """Return the base64 HMAC-SHA256 of ``body`` under ``secret`` (Shopify/WooCommerce style)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Return True if ``header`` is the signature of ``body`` under ``secret``."""
    if not header or not secret:
        return False
    return hmac.compare_digest(signature(secret, body), header.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _price(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return to_cents(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(FieldError(field, f"{value!r} is not an amount")) from None


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(FieldError(field, "must be a whole number"))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(FieldError(field, "must be a whole number")) from None
    if not number.is_integer():
        raise ValidationError(FieldError(field, "must be a whole number"))
    return int(number)


def _lines(items: Any, sku_key: str, price_key: str) -> tuple[LineDraft, ...]:
    if not isinstance(items, list) or not items:
        raise ValidationError(FieldError("line_items", "an order needs at least one line item"))
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValidationError(FieldError(f"line_items.{i}", "must be an object"))
        sku = _text(item.get(sku_key))
        if not sku:
            raise ValidationError(FieldError(f"line_items.{i}.{sku_key}", "is required"))
        out.append(
            LineDraft(
                sku=sku,
                quantity=_quantity(item.get("quantity"), f"line_items.{i}.quantity"),
                unit_price_cents=_price(item.get(price_key), f"line_items.{i}.{price_key}"),
            )
        )
    return tuple(out)


# ------------------------------------------------------------------ the delivery chosen
# One convention for both shops (README "Delivery choice from a shop"): the checkout's relay
# point, store or slot app writes these keys in Shopify's ``note_attributes`` or in the
# WooCommerce shipping line's ``meta_data``; the shipping line's code (Shopify ``code``,
# WooCommerce ``method_id``) may name the method as ``<method>[:<carrier>[:<service>]]``.
CHOICE_KEYS = (
    "delivery_method",
    "carrier",
    "service",
    "relay_point_id",
    "relay_point_carrier",
    "store",
    "slot_id",
    "promised_on",
)
_METHODS = frozenset(m.value for m in DeliveryMethod)
_WOO_METHODS = {
    "local_pickup": DeliveryMethod.CLICK_COLLECT,
    "pickup_location": (DeliveryMethod.CLICK_COLLECT),
}


def _pairs(items: Any, key: str, value: str) -> dict[str, str]:
    """Return the ``{key: value}`` of a list of name/value objects (unknown names kept)."""
    out: dict[str, str] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping) and _text(item.get(key)):
                out[_text(item.get(key)).lstrip("_").lower()] = _text(item.get(value))
    return out


def delivery_choice(
    code: str, attributes: Mapping[str, str], price: Any, field: str
) -> DeliveryChoice:
    """Return the delivery chosen at a shop's checkout: the method, carrier and service named
    by the shipping line's ``code`` (``relay_point:mondial_relay:point_relais``) or by the
    ``attributes`` (:data:`CHOICE_KEYS`), the relay point, store, slot and promised date of
    the attributes, the shipping line's ``price``. Without any of them: home delivery.
    Raises ValidationError naming ``field`` (the shipping line) or the attribute."""
    parts = [p.strip().lower() for p in code.split(":")] if code else []
    method_text = attributes.get("delivery_method", "").lower()
    if not method_text and parts and parts[0] in _METHODS:
        method_text = parts[0]
    carrier = attributes.get("carrier") or (parts[1] if len(parts) > 1 else "")
    service = attributes.get("service") or (parts[2] if len(parts) > 2 else "")
    relay_id = attributes.get("relay_point_id", "")
    store = attributes.get("store", "")
    if not method_text:
        method_text = (
            DeliveryMethod.RELAY_POINT
            if relay_id
            else DeliveryMethod.CLICK_COLLECT
            if store
            else DeliveryMethod.HOME
        )
    if method_text not in _METHODS:
        known = ", ".join(sorted(_METHODS))
        raise ValidationError(
            FieldError("delivery_method", f"unknown delivery method {method_text!r} ({known})")
        )
    slot = None
    if attributes.get("slot_id"):
        if not attributes["slot_id"].isdigit():
            raise ValidationError(FieldError("slot_id", "must be a slot id (a whole number)"))
        slot = SlotChoice(int(attributes["slot_id"]))
    promised = None
    if attributes.get("promised_on"):
        try:
            promised = dt.date.fromisoformat(attributes["promised_on"][:10])
        except ValueError:
            raise ValidationError(FieldError("promised_on", "must be a date YYYY-MM-DD")) from None
    choice = DeliveryChoice(
        method=DeliveryMethod(method_text),
        carrier=carrier or None,
        service=service or None,
        relay_point=(
            RelayPointChoice(
                carrier=attributes.get("relay_point_carrier") or carrier, point_id=relay_id
            )
            if relay_id
            else None
        ),
        store=store or None,
        slot=slot,
        promised_on=promised,
        price_cents=_price(price, f"{field}.price"),
    )
    return choice


def _shopify_choice(payload: Mapping[str, Any]) -> DeliveryChoice:
    lines = payload.get("shipping_lines") or []
    line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], Mapping) else {}
    attributes = _pairs(payload.get("note_attributes"), "name", "value")
    code = _text(line.get("code"))
    if code and code.split(":")[0].strip().lower() not in _METHODS:
        code = ""  # a shop's own rate name (e.g. "Standard"): not our convention
    return delivery_choice(code, attributes, line.get("price"), "shipping_lines.0.code")


def _woocommerce_choice(payload: Mapping[str, Any]) -> DeliveryChoice:
    lines = payload.get("shipping_lines") or []
    line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], Mapping) else {}
    attributes = _pairs(line.get("meta_data"), "key", "value")
    code = _text(line.get("method_id"))
    if code in _WOO_METHODS:
        attributes.setdefault("delivery_method", _WOO_METHODS[code].value)
        code = ""
    elif code.split(":")[0].strip().lower() not in _METHODS:
        code = ""
    return delivery_choice(code, attributes, line.get("total"), "shipping_lines.0.method_id")


def from_shopify(payload: Mapping[str, Any], channel: str) -> OrderDraft:
    """Return the draft of a Shopify ``orders/create`` payload.

    Raises ValidationError naming the Shopify field that is missing or malformed.
    """
    order_id = _text(payload.get("id"))
    if not order_id:
        raise ValidationError(FieldError("id", "the Shopify order id is required"))
    customer = payload.get("customer") or {}
    ship = payload.get("shipping_address") or {}
    if not isinstance(ship, Mapping) or not ship:
        raise ValidationError(FieldError("shipping_address", "is required to deliver"))
    name = (
        _text(ship.get("name"))
        or f"{_text(ship.get('first_name'))} {_text(ship.get('last_name'))}".strip()
    )
    email = (
        _text(payload.get("email"))
        or _text(payload.get("contact_email"))
        or _text(customer.get("email") if isinstance(customer, Mapping) else "")
    )
    customer_name = name
    if isinstance(customer, Mapping) and (customer.get("first_name") or customer.get("last_name")):
        customer_name = (
            f"{_text(customer.get('first_name'))} {_text(customer.get('last_name'))}".strip()
        )
    return OrderDraft(
        email=email,
        customer_name=customer_name,
        phone=_text(payload.get("phone"))
        or _text(customer.get("phone") if isinstance(customer, Mapping) else ""),
        address=AddressDraft(
            name=name,
            line1=_text(ship.get("address1")),
            line2=_text(ship.get("address2")),
            postcode=_text(ship.get("zip")),
            city=_text(ship.get("city")),
            country=_text(ship.get("country_code")) or "FR",
            phone=_text(ship.get("phone")),
        ),
        lines=_lines(payload.get("line_items"), "sku", "price"),
        channel=channel,
        external_id=order_id,
        currency=_text(payload.get("currency")) or "EUR",
        note=_text(payload.get("note"))[:500],
        delivery=_shopify_choice(payload),
    )


def from_woocommerce(payload: Mapping[str, Any], channel: str) -> OrderDraft:
    """Return the draft of a WooCommerce order webhook payload.

    Raises ValidationError naming the WooCommerce field that is missing or malformed.
    """
    order_id = _text(payload.get("id"))
    if not order_id:
        raise ValidationError(FieldError("id", "the WooCommerce order id is required"))
    billing = payload.get("billing") or {}
    ship = payload.get("shipping") or {}
    if not isinstance(ship, Mapping) or not _text(ship.get("address_1")):
        ship = billing  # WooCommerce leaves shipping empty when it equals billing
    if not isinstance(ship, Mapping) or not ship:
        raise ValidationError(FieldError("shipping", "is required to deliver"))
    name = f"{_text(ship.get('first_name'))} {_text(ship.get('last_name'))}".strip()
    buyer = name
    if isinstance(billing, Mapping) and (billing.get("first_name") or billing.get("last_name")):
        buyer = f"{_text(billing.get('first_name'))} {_text(billing.get('last_name'))}".strip()
    return OrderDraft(
        email=_text(billing.get("email") if isinstance(billing, Mapping) else ""),
        customer_name=buyer,
        phone=_text(billing.get("phone") if isinstance(billing, Mapping) else ""),
        address=AddressDraft(
            name=name,
            line1=_text(ship.get("address_1")),
            line2=_text(ship.get("address_2")),
            postcode=_text(ship.get("postcode")),
            city=_text(ship.get("city")),
            country=_text(ship.get("country")) or "FR",
            phone=_text(ship.get("phone")),
        ),
        lines=_lines(payload.get("line_items"), "sku", "price"),
        channel=channel,
        external_id=order_id,
        currency=_text(payload.get("currency")) or "EUR",
        note=_text(payload.get("customer_note"))[:500],
        delivery=_woocommerce_choice(payload),
    )


CSV_COLUMNS = ("external_id", "email", "name", "line1", "postcode", "city", "sku", "quantity")
CSV_OPTIONAL = (
    "channel",
    "phone",
    "line2",
    "country",
    "unit_price",
    "ship_complete",
    "note",
    *CHOICE_KEYS,
)
_CSV_DELIVERY = {
    "delivery.method": "delivery_method",
    "delivery.carrier": "carrier",
    "delivery.service": "service",
    "delivery.relay_point": "relay_point_id",
    "delivery.relay_point.id": "relay_point_id",
    "delivery.relay_point.carrier": "relay_point_carrier",
    "delivery.store": "store",
    "delivery.slot": "slot_id",
    "delivery.slot.id": "slot_id",
    "delivery.price_cents": "delivery_method",
}


@dataclass(frozen=True)
class CsvOrder:
    """One order read from a CSV file, with the file rows it came from (1 = header)."""

    rows: tuple[int, ...]
    draft: OrderDraft


@dataclass(frozen=True)
class CsvRowError:
    """A row that could not be read: its number (1 = header), the column and why."""

    row: int
    field: str
    message: str


def read_orders_csv(
    text: str, *, default_channel: str = "csv"
) -> tuple[list[CsvOrder], list[CsvRowError]]:
    """Read orders from CSV text, one line item per row, rows grouped by ``external_id``.

    Required columns: external_id, email, name, line1, postcode, city, sku, quantity; optional:
    channel, phone, line2, country, unit_price (major units), ship_complete, note, and the
    delivery chosen (:data:`CHOICE_KEYS`: delivery_method, carrier, service, relay_point_id,
    relay_point_carrier, store, slot_id, promised_on; none: home delivery). Returns the
    orders it could read and an error per unreadable row (an order with any bad row is left
    out whole, so no order is half imported). Raises ValidationError if a required column is
    missing or the text is not CSV.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ValidationError(FieldError("file", f"missing column(s): {', '.join(missing)}"))
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    errors: list[CsvRowError] = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): _text(v) for k, v in raw.items() if k is not None}
        key = row.get("external_id", "")
        if not key:
            errors.append(CsvRowError(number, "external_id", "is required"))
            continue
        groups.setdefault(key, []).append((number, row))
    orders: list[CsvOrder] = []
    for key, rows in groups.items():
        first = rows[0][1]
        bad = False
        lines = []
        for number, row in rows:
            try:
                qty = _quantity(row.get("quantity"), "quantity")
                price = _price(row.get("unit_price"), "unit_price")
            except ValidationError as exc:
                errors.append(CsvRowError(number, exc.field, exc.errors[0].message))
                bad = True
                continue
            lines.append(LineDraft(row.get("sku", ""), qty, price))
        try:
            delivery = delivery_choice(
                "", {k: first[k] for k in CHOICE_KEYS if first.get(k)}, None, "delivery_method"
            )
        except ValidationError as exc:
            errors.append(CsvRowError(rows[0][0], exc.field, exc.errors[0].message))
            bad = True
        if bad:
            continue
        draft = OrderDraft(
            email=first.get("email", ""),
            customer_name=first.get("name", ""),
            phone=first.get("phone", ""),
            address=AddressDraft(
                name=first.get("name", ""),
                line1=first.get("line1", ""),
                line2=first.get("line2", ""),
                postcode=first.get("postcode", ""),
                city=first.get("city", ""),
                country=first.get("country") or "FR",
            ),
            lines=tuple(lines),
            channel=first.get("channel") or default_channel,
            external_id=key,
            note=first.get("note", ""),
            ship_complete=first.get("ship_complete", "").lower() in ("1", "true", "yes", "oui"),
            delivery=delivery,
        )
        orders.append(CsvOrder(tuple(n for n, _ in rows), draft))
    return orders, errors


def csv_field(field: str) -> str:
    """Map a draft field path (``shipping_address.postcode``, ``lines.0.sku``) to a CSV column."""
    if field in _CSV_DELIVERY:
        return _CSV_DELIVERY[field]
    tail = field.split(".")[-1]
    return {
        "email": "email",
        "name": "name",
        "phone": "phone",
        "postcode": "postcode",
        "city": "city",
        "line1": "line1",
        "country": "country",
        "sku": "sku",
        "quantity": "quantity",
        "unit_price_cents": "unit_price",
        "channel": "channel",
    }.get(tail, tail)


def line_row(field: str, rows: Iterable[int]) -> int:
    """Return the CSV row a draft field belongs to (``lines.N`` is the N-th row of the order)."""
    numbers = list(rows)
    parts = field.split(".")
    if (
        len(parts) >= 2
        and parts[0] == "lines"
        and parts[1].isdigit()
        and int(parts[1]) < len(numbers)
    ):
        return numbers[int(parts[1])]
    return numbers[0]
