"""ZPL II labels (maillon.shipping.zpl) read back the way a Zebra printer reads them
(tests/helpers/zpl.py): balanced formats, one origin per field, the barcodes' data, UTF-8."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maillon.core.identifiers import make_sscc
from maillon.shipping.carriers import FakeCarrierGateway, LocalCarrierGateway, ShipmentRequest
from maillon.shipping.labels import Address, LabelData, code128_symbols
from maillon.shipping.zpl import (
    LABEL_HEIGHT_DOTS,
    LABEL_WIDTH_DOTS,
    barcode_field,
    render_zpl,
    render_zpl_labels,
)
from tests.helpers.zpl import code128_data, fields, labels, tokens

SSCC = make_sscc(0, "3760000", 4242)
WAREHOUSE = Address(name="Entrepôt Lyon", lines=("1 rue de la Gare",), postcode="69002",
                    city="Lyon", country="FR")  # fmt: skip
CUSTOMER = Address(
    name="Zoé Lefèvre-Ñúñez",
    lines=("12 rue de l'Église", "Bâtiment ^B ~ 2_3"),
    postcode="29200",
    city="Brest",
    country="FR",
    phone="+33600000000",
)


def label(**overrides: object) -> LabelData:
    values: dict[str, object] = {
        "sscc": SSCC,
        "tracking_number": "6A12345678901",
        "carrier": "Colissimo",
        "service": "Point Retrait",
        "sender": WAREHOUSE,
        "recipient": CUSTOMER,
        "weight_g": 1250,
        "ship_date": date(2026, 11, 2),
        "parcel_number": 2,
        "parcel_count": 3,
        "order_reference": "M0000042",
        "relay_point": "MR-029123",
        "routing_code": "29B",
    }
    values.update(overrides)
    return LabelData(**values)  # type: ignore[arg-type]


def test_a_label_reads_back_as_a_printer_reads_it() -> None:
    stream = render_zpl(label()).decode("utf-8")
    (only,) = labels(stream)
    # 4 x 6 in at 203 dpi, UTF-8 text
    assert only.has("^CI", "28") and only.has("^PW", str(LABEL_WIDTH_DOTS))
    assert only.has("^LL", str(LABEL_HEIGHT_DOTS)) and (LABEL_WIDTH_DOTS, LABEL_HEIGHT_DOTS) == (
        812,
        1218,
    )
    found = fields(only)
    assert all(0 <= f.x < LABEL_WIDTH_DOTS and 0 <= f.y < LABEL_HEIGHT_DOTS for f in found)
    texts = [f.data for f in found if f.kind == "text"]
    # accents as they are (UTF-8), ^ ~ _ escaped so they print instead of acting
    assert "Zoé Lefèvre-Ñúñez" in texts and "12 rue de l'Église" in texts
    assert "Bâtiment ^B ~ 2_3" in texts
    assert "Relay point / Point relais: MR-029123" in texts
    assert "29200 Brest" in texts and "29B" in texts and "Colissimo" in texts
    assert any("Parcel 2/3" in t and "Order M0000042" in t for t in texts)
    assert "Tel. +33600000000" not in texts  # printed only when the carrier requires it
    # two Code 128 barcodes: the tracking number, then the SSCC as GS1-128 (AI 00 after FNC1)
    tracking, sscc = [f for f in found if f.kind == "^BC"]
    assert code128_data(tracking.data) == "6A12345678901"
    assert code128_data(sscc.data) == f"<FNC1>00{SSCC}"
    assert sscc.parameters.split(",")[1] == "256"  # 32 mm high at 8 dots/mm
    modules = [p for c, p in only.commands if c == "^BY"]
    assert modules[-1] == "4"  # X = 0.5 mm for the SSCC
    assert f"(00) {SSCC}" in texts


def test_the_printer_draws_the_symbols_the_pdf_draws() -> None:
    # the field data names each symbol of our encoder: start, code set switches, pairs
    symbols = code128_symbols("AB12345678CD")
    data = barcode_field(symbols)
    assert data == ">:AB>512345678>6CD"
    assert code128_data(data) == "AB12345678CD"


@example("0099").via("the pair 99 in set C, not the switch to set C")
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
               max_size=30))  # fmt: skip
def test_any_tracking_number_round_trips(number: str) -> None:
    assert _unescaped(barcode_field(code128_symbols(number))) == number


def _unescaped(data: str) -> str:
    decoded = code128_data(data)
    for char, code in (("^", "_5E"), ("~", "_7E"), ("_", "_5F")):
        decoded = decoded.replace(code, char)
    return decoded


def test_without_relay_point_or_routing_code_nothing_is_left_blank() -> None:
    stream = render_zpl(label(relay_point=None, routing_code=None)).decode("utf-8")
    texts = [f.data for lab in labels(stream) for f in fields(lab) if f.kind == "text"]
    assert not any("Relay point" in t for t in texts)
    assert all(t.strip() for t in texts)


def test_many_labels_make_one_stream_and_long_names_are_cut() -> None:
    long = replace(CUSTOMER, name="Ö" * 70)
    stream = render_zpl_labels([label(), label(recipient=long, tracking_number="XX1")])
    parsed = labels(stream.decode("utf-8"))
    assert len(parsed) == 2
    second = [f.data for f in fields(parsed[1]) if f.kind == "text"]
    assert any(t.startswith("ÖÖÖ") and t.endswith("...") for t in second)
    with pytest.raises(ValueError, match="at least one"):
        render_zpl_labels([])


def test_the_tokenizer_refuses_unbalanced_formats() -> None:
    with pytest.raises(AssertionError, match="without"):
        labels("^XA^FO1,1^A0N,20,20^FDx^FS")
    with pytest.raises(AssertionError, match="inside"):
        labels("^XA^XA^XZ")
    with pytest.raises(AssertionError, match="outside"):
        labels("^FO1,1^XA^XZ")
    assert tokens("^XA\n^FDa^b^FS^XZ") == [("^XA", ""), ("^FD", "a^b"), ("^FS", ""), ("^XZ", "")]


def request() -> ShipmentRequest:
    return ShipmentRequest(
        sscc=SSCC,
        service="Return / Retour",
        sender=CUSTOMER,
        recipient=WAREHOUSE,
        weight_g=900,
        ship_date=date(2026, 11, 2),
    )


def test_local_and_fake_gateways_give_zpl_and_return_labels() -> None:
    local = LocalCarrierGateway(code="colissimo", name="Colissimo", tracking_prefix="6A")
    created = local.create_shipment(request())
    assert created.label_pdf.startswith(b"%PDF") and created.label_zpl.startswith(b"^XA")
    back = local.create_return(request())
    (lab,) = labels(back.label_zpl.decode("utf-8"))
    texts = [f.data for f in fields(lab) if f.kind == "text"]
    # the customer sends, the warehouse receives; the number comes from the carrier's range
    assert back.tracking_number == f"6A{SSCC}"
    assert texts.index("Zoé Lefèvre-Ñúñez") < texts.index("Entrepôt Lyon")

    fake = FakeCarrierGateway(code="gls", tracking_prefix="GL")
    returned = fake.create_return(request())
    assert returned.tracking_number == "GL00000000001FR" and fake.returns == [request()]
    assert labels(returned.label_zpl.decode("utf-8"))
    without = FakeCarrierGateway(code="ups", offers_returns=False)
    with pytest.raises(Exception, match="does not offer return label"):
        without.create_return(request())
