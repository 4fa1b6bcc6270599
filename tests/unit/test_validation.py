"""Validation of incoming orders: every bad field named, good input normalised."""

from __future__ import annotations

from dataclasses import replace

import pytest

from maillon.core.errors import ValidationError
from maillon.core.geo import postcode_problem
from maillon.orders.model import AddressDraft, LineDraft
from maillon.orders.validation import validate_order
from tests.helpers import order_draft


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e.field for e in exc.value.errors}


def test_valid_order_is_normalised() -> None:
    draft = order_draft(email="  Camille.Martin@Example.FR ", phone="06 12 34 56 78")
    out = validate_order(draft)
    assert out.email == "camille.martin@example.fr"
    assert out.phone == "+33612345678"
    assert out.address.country == "FR"


@pytest.mark.parametrize(
    ("country", "postcode", "ok"),
    [
        ("FR", "69002", True),
        ("FR", "75001", True),
        ("FR", "99999", False),
        ("FR", "6900", False),
        ("FR", "2A004", False),
        ("BE", "1000", True),
        ("BE", "10000", False),
        ("NL", "1012 AB", True),
        ("NL", "1012", False),
        ("GB", "SW1A 1AA", True),
        ("GB", "12345", False),
        ("DE", "10115", True),
        ("ES", "28013", True),
        ("ES", "99013", False),
        ("PT", "1100-148", True),
        ("US", "94105-1804", True),
        ("CH", "1201", True),
        ("LU", "L-1009", True),
        ("JP", "100-0001", True),
    ],
)
def test_postcode_formats(country: str, postcode: str, ok: bool) -> None:
    assert (postcode_problem(country, postcode) is None) is ok


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "customer.email"),
        ({"customer_name": "  "}, "customer.name"),
        ({"phone": "12"}, "customer.phone"),
        ({"channel": "Web Shop!"}, "channel"),
        ({"currency": "euro"}, "currency"),
        ({"lines": ()}, "lines"),
        ({"lines": (LineDraft("MUG-01", 0),)}, "lines.0.quantity"),
        ({"lines": (LineDraft("MUG-01", 1), LineDraft("", 1))}, "lines.1.sku"),
        ({"lines": (LineDraft("MUG-01", -3),)}, "lines.0.quantity"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_order(replace(order_draft(), **change))  # type: ignore[arg-type]
    assert field in fields_of(exc)


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (AddressDraft("A", "1 rue", "99999", "Nowhere", "FR"), "shipping_address.postcode"),
        (AddressDraft("A", "1 rue", "", "Lyon", "FR"), "shipping_address.postcode"),
        (AddressDraft("A", "", "69002", "Lyon", "FR"), "shipping_address.line1"),
        (AddressDraft("A", "1 rue", "69002", "", "FR"), "shipping_address.city"),
        (AddressDraft("A", "1 rue", "69002", "Lyon", "France"), "shipping_address.country"),
        (AddressDraft("A", "1 rue", "69002", "Lyon", "FR", phone="abc"), "shipping_address.phone"),
    ],
)
def test_address_fields_are_named(address: AddressDraft, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_order(order_draft(address=address))
    assert field in fields_of(exc)


def test_all_errors_come_at_once() -> None:
    bad = order_draft(
        email="x", lines=[("MUG-01", 0)], address=AddressDraft("", "1 rue", "00000", "Lyon", "FR")
    )
    with pytest.raises(ValidationError) as exc:
        validate_order(bad)
    assert {
        "customer.email",
        "lines.0.quantity",
        "shipping_address.name",
        "shipping_address.postcode",
    } <= fields_of(exc)
    assert exc.value.field == "customer.email"  # the first, for clients that show one
