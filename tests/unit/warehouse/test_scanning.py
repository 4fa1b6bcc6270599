"""Scanner input made comparable: keyboard-wedge noise, symbology prefixes, GTIN spellings."""

from __future__ import annotations

import pytest

from maillon.warehouse.scanning import (
    barcode_matches,
    gtin_key,
    normalise_location,
    normalise_scan,
)

GTIN13 = "3760000000017"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (GTIN13 + "\r\n", GTIN13),
        ("\t " + GTIN13, GTIN13),
        ("]E0" + GTIN13, GTIN13),
        ("]C1" + "01" + "0" + GTIN13, "01" + "0" + GTIN13),
        ("", ""),
    ],
)
def test_normalise_scan_strips_wedge_noise(raw: str, expected: str) -> None:
    assert normalise_scan(raw) == expected


@pytest.mark.parametrize(
    "spelling",
    [
        GTIN13,
        "0" + GTIN13,
        "(01)0" + GTIN13,
        "010" + GTIN13,
        "010" + GTIN13 + "10LOT7",
        "]E0" + GTIN13,
    ],
)
def test_every_gtin_spelling_of_a_product_matches(spelling: str) -> None:
    assert gtin_key(spelling) == GTIN13.lstrip("0")
    assert barcode_matches(spelling, gtin=GTIN13, sku="MUG-01")


@pytest.mark.parametrize("other", ["3760000000024", "MUG-01", "", "37600000000", "abc"])
def test_other_codes_do_not_match_a_product_with_a_gtin(other: str) -> None:
    assert not barcode_matches(other, gtin=GTIN13, sku="MUG-01")


def test_products_without_gtin_are_scanned_by_sku() -> None:
    assert barcode_matches(" mug-01\r", gtin=None, sku="MUG-01")
    assert not barcode_matches(GTIN13, gtin=None, sku="MUG-01")
    assert gtin_key("not a code") is None


def test_locations_compare_case_and_noise_insensitively() -> None:
    assert normalise_location(" a01-02-1\r\n") == "A01-02-1"
