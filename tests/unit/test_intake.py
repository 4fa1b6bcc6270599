"""Webshop payloads, their signatures and CSV files (pure)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from maillon.core.errors import ValidationError
from maillon.orders.intake import (
    from_shopify,
    from_woocommerce,
    read_orders_csv,
    signature,
    signature_ok,
)

DATA = Path(__file__).parents[1] / "data" / "intake"


RFC4231_CASE2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_signature_is_base64_of_hmac_sha256() -> None:
    # RFC 4231 test case 2, in the base64 form Shopify and WooCommerce send
    expected = base64.b64encode(bytes.fromhex(RFC4231_CASE2)).decode()
    body = b"what do ya want for nothing?"
    assert signature("Jefe", body) == expected
    assert signature_ok("Jefe", body, expected)
    assert not signature_ok("Jefe", body + b" ", expected)
    assert not signature_ok("jefe", body, expected)
    assert not signature_ok("hush", b'{"id":1}', None)
    assert not signature_ok("", b'{"id":1}', signature("", b'{"id":1}'))


def test_shopify_order_maps_to_a_draft() -> None:
    draft = from_shopify(json.loads((DATA / "shopify_order.json").read_text()), "myshop")
    assert draft.external_id == "820982911946154508" and draft.channel == "myshop"
    assert draft.email == "jon@example.com" and draft.customer_name == "Jon Snow"
    assert draft.address.postcode == "69002" and draft.address.country == "FR"
    assert [(x.sku, x.quantity, x.unit_price_cents) for x in draft.lines] == [
        ("MUG-01", 2, 1290),
        ("BOOK-07", 1, 1500),
    ]


def test_woocommerce_uses_billing_when_shipping_is_empty() -> None:
    draft = from_woocommerce(json.loads((DATA / "woocommerce_order.json").read_text()), "woo")
    assert draft.external_id == "727" and draft.address.line1 == "3 place Bellecour"
    assert draft.customer_name == "Léa Durand" and draft.lines[0].unit_price_cents == 1990


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": None}, "id"),
        ({"line_items": []}, "line_items"),
        ({"line_items": [{"sku": "", "quantity": 1}]}, "line_items.0.sku"),
        ({"line_items": [{"sku": "A", "quantity": 1.5}]}, "line_items.0.quantity"),
        ({"line_items": [{"sku": "A", "quantity": 1, "price": "cheap"}]}, "line_items.0.price"),
        ({"shipping_address": None}, "shipping_address"),
    ],
)
def test_bad_shopify_payloads_name_the_field(change: dict[str, object], field: str) -> None:
    payload = json.loads((DATA / "shopify_order.json").read_text())
    payload.update(change)
    with pytest.raises(ValidationError) as exc:
        from_shopify(payload, "myshop")
    assert exc.value.field == field


CSV = """external_id,email,name,line1,postcode,city,sku,quantity,unit_price
A1,a@example.fr,Ana Roux,1 rue Pasteur,69002,Lyon,MUG-01,2,12.90
A1,a@example.fr,Ana Roux,1 rue Pasteur,69002,Lyon,BOOK-07,1,
B2,b@example.fr,Bob Petit,2 rue Pasteur,75001,Paris,MUG-01,two,
,c@example.fr,Cy,3 rue,75001,Paris,MUG-01,1,
C3,c@example.fr,Cy Moreau,3 rue Pasteur,75001,Paris,LAMP-02,1,49.9
"""


def test_csv_groups_rows_and_reports_bad_ones() -> None:
    orders, errors = read_orders_csv(CSV)
    assert [o.draft.external_id for o in orders] == ["A1", "C3"]
    assert orders[0].rows == (2, 3) and len(orders[0].draft.lines) == 2
    assert orders[0].draft.lines[0].unit_price_cents == 1290
    assert [(e.row, e.field) for e in errors] == [(5, "external_id"), (4, "quantity")]


def test_csv_without_required_columns_is_refused() -> None:
    with pytest.raises(ValidationError, match="missing column"):
        read_orders_csv("email,sku\nx@y.fr,A\n")
