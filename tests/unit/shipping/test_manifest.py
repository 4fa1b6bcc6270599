"""Tests of carrier manifests (maillon.shipping.manifest): CSV and PDF."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from maillon.shipping import manifest as manifest_module
from maillon.shipping.manifest import (
    MANIFEST_COLUMNS,
    Manifest,
    ManifestLine,
    daily_manifests,
    manifest_csv,
    manifest_pdf,
)

DAY = date(2025, 3, 14)


def sscc(n: int) -> str:
    body = f"0376000000{n:07d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str(-total % 10)


def line(
    n: int, *, carrier: str = "colissimo", weight_g: int = 500, **changes: str
) -> ManifestLine:
    fields = {
        "tracking_number": f"MA{n:011d}FR",
        "recipient_name": f"Client {n}",
        "postcode": "75011",
        "city": "Paris",
        "country": "FR",
        "sscc": sscc(n),
        "order_reference": f"ORD-{n}",
        "service": "Home",
    }
    fields.update(changes)
    return ManifestLine(carrier=carrier, weight_g=weight_g, **fields)


def make_manifest(lines: list[ManifestLine]) -> Manifest:
    return Manifest(
        carrier="colissimo",
        carrier_name="Colissimo",
        manifest_date=DAY,
        shipper="Maillon SAS",
        account="ACC-1",
        reference="COLISSIMO-20250314",
        lines=lines,
    )


def parse(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


# -- CSV ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 40_000), min_size=0, max_size=30))
def test_csv_parses_back_and_totals_match(weights: list[int]) -> None:
    m = make_manifest([line(k, weight_g=w) for k, w in enumerate(weights, start=1)])
    header, rows = parse(manifest_csv(m))
    assert tuple(header) == MANIFEST_COLUMNS
    parcels, total = rows[:-1], rows[-1]
    assert [r["line"] for r in parcels] == [str(k) for k in range(1, len(weights) + 1)]
    assert [Decimal(r["weight_kg"]) * 1000 for r in parcels] == weights
    assert total["line"] == "TOTAL"
    assert int(total["parcels"]) == len(weights) == sum(int(r["parcels"]) for r in parcels)
    assert Decimal(total["weight_kg"]) == Decimal(sum(weights)) / 1000
    assert Decimal(total["weight_kg"]) == sum(
        (Decimal(r["weight_kg"]) for r in parcels), Decimal(0)
    )


def test_csv_rows_carry_each_parcel_in_column_order() -> None:
    text = manifest_csv(make_manifest([line(1, recipient_name='Dupont, "Jean"')]), totals=False)
    assert text.endswith("\r\n")
    header, rows = parse(text)
    assert len(rows) == 1
    assert rows[0] == {
        "line": "1",
        "carrier": "colissimo",
        "tracking_number": "MA00000000001FR",
        "sscc": sscc(1),
        "order_reference": "ORD-1",
        "recipient_name": 'Dupont, "Jean"',
        "postcode": "75011",
        "city": "Paris",
        "country": "FR",
        "service": "Home",
        "parcels": "1",
        "weight_kg": "0.500",
    }
    assert list(rows[0]) == header


def test_csv_defuses_spreadsheet_formulas() -> None:
    m = make_manifest([line(1, recipient_name='=HYPERLINK("http://x")', city="+33")])
    _, rows = parse(manifest_csv(m))
    assert rows[0]["recipient_name"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["city"] == "'+33"


# -- validation and grouping --------------------------------------------------------------


def test_manifest_rejects_foreign_and_duplicate_parcels() -> None:
    with pytest.raises(ValueError, match="goes with 'dhl'"):
        make_manifest([line(1), line(2, carrier="dhl")])
    with pytest.raises(ValueError, match="listed twice"):
        make_manifest([line(1), line(1)])
    with pytest.raises(ValueError, match="shipper"):
        Manifest(carrier="c", manifest_date=DAY, shipper=" ", lines=())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weight_g": 0}, "positive"),
        ({"sscc": "376000000000000001"}, "check digit"),
        ({"tracking_number": ""}, "tracking_number"),
        ({"recipient_name": " "}, "recipient_name"),
    ],
)
def test_manifest_line_validation(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "carrier": "c",
        "tracking_number": "T1",
        "recipient_name": "A",
        "postcode": "1",
        "city": "X",
        "country": "FR",
        "weight_g": 10,
    }
    fields.update(changes)
    with pytest.raises(ValueError, match=message):
        ManifestLine(**fields)  # type: ignore[arg-type]


def test_daily_manifests_one_per_carrier_in_code_order() -> None:
    lines = [line(1, carrier="ups"), line(2), line(3, carrier="ups"), line(4)]
    manifests = daily_manifests(
        lines, manifest_date=DAY, shipper="Maillon", carrier_names={"ups": "UPS"}
    )
    assert [m.carrier for m in manifests] == ["colissimo", "ups"]
    assert [x.tracking_number for x in manifests[1].lines] == ["MA00000000001FR", "MA00000000003FR"]
    assert manifests[1].carrier_name == "UPS"
    assert manifests[0].reference == "COLISSIMO-20250314"
    assert sum(m.total_parcels for m in manifests) == 4
    assert manifests[0].total_weight_g == 1000


# -- PDF ----------------------------------------------------------------------------------


def test_pdf_lists_every_parcel_once_over_several_pages_then_totals_and_signatures() -> None:
    lines = [line(k, weight_g=100 + k) for k in range(1, 121)]
    m = make_manifest(lines)
    pdf = manifest_pdf(m)
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf)
    assert len(pages) >= 3
    everything = "\n".join(pages)
    for x in lines:
        assert everything.count(x.tracking_number) == 1, x.tracking_number
        assert x.sscc in everything
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} / {len(pages)}" in page
        assert "Carrier manifest - Colissimo" in page
    total_kg = f"{sum(100 + k for k in range(1, 121)) / 1000:.3f}"
    assert f"Total: 120 parcel(s), {total_kg} kg" in pages[-1]
    assert "Received by (carrier driver)" in pages[-1]
    assert "Signature:" in pages[-1]
    assert all("Received by" not in page for page in pages[:-1])
    assert manifest_pdf(m) == pdf


@pytest.mark.parametrize("count", [0, 1, 20])
def test_small_manifests_fit_one_a4_page(count: int) -> None:
    pdf = manifest_pdf(make_manifest([line(k) for k in range(1, count + 1)]))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert f"Total: {count} parcel(s)" in reader.pages[0].extract_text()


def text_heights(pdf: bytes, needle: str) -> list[tuple[int, float]]:
    """(page index, height in points) of each text fragment holding ``needle``."""
    found: list[tuple[int, float]] = []
    for k, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):

        def visit(text: str, cm: list[float], tm: list[float], *_: object, k: int = k) -> None:
            if needle in text:
                found.append((k, tm[5] * cm[3] + cm[5]))

        page.extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("count", [33, 34, 45, 46])  # around the page-break boundaries
def test_rows_and_signature_boxes_stay_on_the_page(count: int) -> None:
    pdf = manifest_pdf(make_manifest([line(k) for k in range(1, count + 1)]))
    pages = pdf_pages(pdf)
    assert len(pages) in (1, 2)
    assert sum(page.count("MA0000000") for page in pages) == count
    signatures = text_heights(pdf, "Signature:")
    assert [k for k, _ in signatures] == [len(pages) - 1] * 2
    # The signature line is 5 mm above the box's bottom edge, which stays above the margin.
    assert min(y for _, y in signatures) >= 17 * 72 / 25.4
    rows = [y for _, y in text_heights(pdf, "MA0000000")]
    assert min(rows) >= 20 * 72 / 25.4


def test_identifiers_are_never_cut() -> None:
    long_ref = "ORDER-REFERENCE-THAT-IS-VERY-LONG-123"
    pdf = manifest_pdf(make_manifest([line(1, order_reference=long_ref, recipient_name="N" * 60)]))
    text = pdf_pages(pdf)[0]
    assert long_ref in text
    assert re.search(r"N+\u2026", text)  # free text is cut with an ellipsis


def test_public_api_is_pinned() -> None:
    assert sorted(manifest_module.__all__) == [
        "MANIFEST_COLUMNS",
        "Manifest",
        "ManifestLine",
        "daily_manifests",
        "manifest_csv",
        "manifest_pdf",
    ]
