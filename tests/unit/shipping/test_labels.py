"""Tests of shipping labels (maillon.shipping.labels) and carrier gateways (.carriers).

The Code 128 / GS1-128 encodings are checked against references written here from the
symbology's definition (values, check symbol), against reportlab's own Code 128 encoder, and
against the bars actually drawn in the PDF.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.graphics.barcode.code128 import Code128

from maillon.core.errors import Conflict, NotFound, ValidationError
from maillon.shipping import labels
from maillon.shipping.carriers import (
    CarrierEvent,
    CarrierGateway,
    FakeCarrierGateway,
    LocalCarrierGateway,
    ShipmentRequest,
)
from maillon.shipping.labels import (
    Address,
    LabelData,
    code128_symbols,
    code128_widths,
    printable_text,
    render_label,
    render_labels,
    sscc_problem,
    sscc_symbols,
)
from maillon.shipping.model import TrackingStatus

MM = 72 / 25.4  # points per millimetre

# -- references written from the definitions ---------------------------------------------

START_B, START_C, CODE_C, CODE_B, FNC1, STOP = 104, 105, 99, 100, 102, 106


def mod10(body: str) -> int:
    """GS1 check digit: weights 3, 1, 3, ... from the right of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return -total % 10


def with_check(body17: str) -> str:
    return body17 + str(mod10(body17))


def check_symbol(values: list[int]) -> int:
    """Code 128: start value + sum(position * value), modulo 103."""
    return (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103


def reference_sscc_symbols(sscc: str) -> list[int]:
    data = "00" + sscc
    values = [START_C, FNC1] + [int(data[i : i + 2]) for i in range(0, 20, 2)]
    return [*values, check_symbol(values), STOP]


def decode(values: tuple[int, ...]) -> tuple[str, bool]:
    """Decode B/C Code 128 values back to text; return (text, FNC1 after start)."""
    assert values[-1] == STOP
    assert values[-2] == check_symbol(list(values[:-2]))
    code_set = {START_B: "B", START_C: "C"}[values[0]]
    body = list(values[1:-2])
    fnc1 = bool(body) and body[0] == FNC1
    if fnc1:
        body = body[1:]
    out = []
    for v in body:
        if (code_set, v) in {("C", CODE_B), ("B", CODE_C)}:
            code_set = "B" if v == CODE_B else "C"
        elif code_set == "C":
            assert 0 <= v <= 99
            out.append(f"{v:02d}")
        else:
            assert 0 <= v <= 94
            out.append(chr(v + 32))
    return "".join(out), fnc1


def reportlab_widths(text: str) -> tuple[list[int], str]:
    """Reportlab's own encoding: symbol values and bar/space widths as digits."""
    bc = Code128(text)
    bc.validate()
    values = bc.encode()
    pattern = bc.decompose()  # letters: upper case bar, lower case space, A = 1 module
    return values, "".join(str(ord(c.upper()) - 64) for c in pattern)


sscc_bodies = st.text(alphabet="0123456789", min_size=17, max_size=17)


# -- fixtures ---------------------------------------------------------------------------

SENDER = Address(
    name="Maillon Warehouse",
    company="Maillon SAS",
    lines=("12 rue des Entrepots",),
    postcode="69007",
    city="Lyon",
    country="FR",
)
RECIPIENT = Address(
    name="Camille Durand",
    lines=["5 avenue Foch", "Batiment B"],
    postcode="75116",
    city="Paris",
    country="FR",
    phone="+33 6 12 34 56 78",
)
SSCC = with_check("03760000123456789")


def make_label(**changes: object) -> LabelData:
    base = LabelData(
        sscc=SSCC,
        tracking_number="MA00000000123FR",
        carrier="Colissimo",
        service="Domicile sans signature",
        sender=SENDER,
        recipient=RECIPIENT,
        weight_g=1250,
        ship_date=date(2025, 3, 14),
        parcel_number=1,
        parcel_count=2,
        order_reference="ORD-0042",
        routing_code="LYO 69",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


# -- GS1-128 / Code 128 encoding ---------------------------------------------------------


@pytest.mark.parametrize(
    "sscc",
    [
        "106141412345678908",  # GS1 US example
        "006141411234567890",  # GS1 General Specifications example
        SSCC,
    ],
)
def test_sscc_symbols_are_start_c_fnc1_ai00_and_pairs(sscc: str) -> None:
    values = sscc_symbols(sscc)
    assert values[:2] == (START_C, FNC1)
    assert list(values) == reference_sscc_symbols(sscc)
    assert decode(values) == ("00" + sscc, True)


@settings(max_examples=60, deadline=None)
@given(sscc_bodies)
def test_random_valid_ssccs_encode_like_the_definition_and_reportlab(body: str) -> None:
    sscc = with_check(body)
    assert sscc_problem(sscc) is None
    values = sscc_symbols(sscc)
    assert list(values) == reference_sscc_symbols(sscc)
    theirs, their_widths = reportlab_widths("\xf1" + "00" + sscc)
    assert list(values) == theirs
    assert code128_widths(values) == their_widths
    # 14 symbols: 13 of 11 modules and the 13-module stop.
    assert sum(int(w) for w in code128_widths(values)) == 13 * 11 + 13


@settings(max_examples=60, deadline=None)
@given(sscc_bodies, st.integers(1, 9))
def test_a_wrong_sscc_check_digit_is_rejected(body: str, offset: int) -> None:
    wrong = body + str((mod10(body) + offset) % 10)
    assert sscc_problem(wrong) is not None
    with pytest.raises(ValueError, match="check digit"):
        sscc_symbols(wrong)
    with pytest.raises(ValidationError) as info:
        make_label(sscc=wrong)
    assert info.value.field == "sscc"
    assert f"should be {mod10(body)}" in info.value.message


@pytest.mark.parametrize(
    "bad", ["", "12345", "0376000012345678951", "03760000123456789a", "０" * 18]
)
def test_sscc_problem_rejects_malformed_codes(bad: str) -> None:
    assert sscc_problem(bad) == "must be 18 digits"


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30)
)
def test_code128_round_trips_and_is_never_longer_than_reportlab(text: str) -> None:
    values = code128_symbols(text)
    assert decode(values) == (text, False)
    theirs, _ = reportlab_widths(text)
    assert len(values) <= len(theirs)


@pytest.mark.parametrize(
    ("text", "expected_body"),
    [
        ("12", [START_C, 12]),
        ("1", [START_B, 17]),
        ("A", [START_B, 33]),
        ("1234A", [START_C, 12, 34, CODE_B, 33]),
        ("AB1234", [START_B, 33, 34, CODE_C, 12, 34]),
        ("A12B", [START_B, 33, 17, 18, 34]),  # two digits alone are cheaper in set B
    ],
)
def test_code128_picks_the_shortest_code_sets(text: str, expected_body: list[int]) -> None:
    assert code128_symbols(text) == (*expected_body, check_symbol(expected_body), STOP)


@pytest.mark.parametrize("bad", ["", "caf\u00e9", "tab\there", "\x7f"])
def test_code128_rejects_what_it_cannot_encode(bad: str) -> None:
    with pytest.raises(ValueError, match="Code 128"):
        code128_symbols(bad)


def test_code128_patterns_obey_the_symbology() -> None:
    patterns = labels.CODE128_PATTERNS
    assert len(patterns) == 107
    assert len(set(patterns)) == 107
    for value, pattern in enumerate(patterns[:106]):
        widths = [int(w) for w in pattern]
        assert len(widths) == 6 and sum(widths) == 11, value
        assert sum(widths[0::2]) % 2 == 0, value  # bars: even number of modules
    assert patterns[106] == "2331112"
    with pytest.raises(ValueError, match="outside"):
        code128_widths([107])


# -- label data --------------------------------------------------------------------------


def test_label_data_reports_every_bad_field() -> None:
    with pytest.raises(ValidationError) as info:
        make_label(
            tracking_number="with space",
            weight_g=0,
            parcel_number=3,
            carrier=" ",
            routing_code="X" * 13,
        )
    fields = {e.field for e in info.value.errors}
    assert fields == {"tracking_number", "weight_g", "parcel_number", "carrier", "routing_code"}


def test_a_tracking_number_too_long_for_the_label_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        make_label(tracking_number="AB" * 20)
    assert info.value.field == "tracking_number"
    assert "too long" in info.value.message


def test_address_validation_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        Address(name="", lines=(), postcode="75001", city="Paris", country="fr")
    assert {e.field for e in info.value.errors} == {"name", "lines", "country"}
    with pytest.raises(ValidationError) as info:
        Address(name="A", lines=("ok", "x" * 71), postcode="", city="Dublin", country="IE")
    assert info.value.field == "lines.1"


def test_printable_text_folds_what_the_standard_fonts_lack() -> None:
    assert printable_text("Łódź Gdańsk") == "Lódz Gdansk"
    assert printable_text("Müller Œuvre €") == "Müller Œuvre €"  # all in Windows-1252
    assert printable_text("東京\n") == "?? "


# -- the PDF ------------------------------------------------------------------------------


def test_label_is_one_100_by_150_mm_page_with_the_texts() -> None:
    data = make_label()
    pdf = render_label(data)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(100 * MM, abs=0.01)
    assert float(box.height) == pytest.approx(150 * MM, abs=0.01)
    assert (round(float(box.width), 2), round(float(box.height), 2)) == (283.46, 425.2)
    text = reader.pages[0].extract_text()
    for expected in (
        "Camille Durand",
        "5 avenue Foch",
        "75116 Paris",
        "Maillon Warehouse",
        "MA00000000123FR",
        f"(00) {SSCC}",
        "Parcel 1/2",
        "1.25 kg",
        "ORD-0042",
        "2025-03-14",
        "LYO 69",
        "Colissimo",
    ):
        assert expected in text, expected
    assert "12 34 56 78" not in text  # the phone only when the carrier needs it


def test_phone_and_relay_point_are_printed_when_asked() -> None:
    text = pdf_pages(render_label(make_label(print_phone=True, relay_point="Tabac du Centre")))[0]
    assert "+33 6 12 34 56 78" in text
    assert "Tabac du Centre" in text


def _bar_rects(pdf: bytes, y_mm: float, height_mm: float) -> list[tuple[float, float]]:
    """(x, width) of the rectangles at ``y_mm`` of ``height_mm`` in the page's content."""
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert content is not None
    data = content.get_data().decode("latin-1")
    number = r"(-?\d+(?:\.\d+)?)"
    rects = re.findall(rf"{number} {number} {number} {number} re", data)
    return sorted(
        (float(x), float(w))
        for x, _y, w, h in rects
        if abs(float(h) - height_mm * MM) < 0.01 and abs(float(_y) - y_mm * MM) < 0.01
    )


def _widths_from_bars(bars: list[tuple[float, float]], module: float) -> str:
    out = []
    for k, (x, w) in enumerate(bars):
        if k:
            prev_x, prev_w = bars[k - 1]
            out.append(round((x - prev_x - prev_w) / module))
        out.append(round(w / module))
    return "".join(str(v) for v in out)


def test_the_drawn_sscc_bars_are_the_encoded_symbol() -> None:
    pdf = render_label(make_label())
    bars = _bar_rects(pdf, 12.5, 32)  # the SSCC: 32 mm high, 12.5 mm from the bottom
    module = 0.5 * MM
    assert _widths_from_bars(bars, module) == code128_widths(reference_sscc_symbols(SSCC))
    left, right = bars[0][0], bars[-1][0] + bars[-1][1]
    assert left >= 10 * module and 100 * MM - right >= 10 * module  # quiet zones
    tracking = _bar_rects(pdf, 55, 13)
    module = tracking[0][1] / int(code128_widths(code128_symbols("MA00000000123FR"))[0])
    assert _widths_from_bars(tracking, module) == code128_widths(code128_symbols("MA00000000123FR"))


def test_render_labels_makes_one_page_per_label_in_order_and_is_deterministic() -> None:
    data = [
        make_label(tracking_number=f"MA{k:011d}FR", sscc=with_check(f"0376000000000{k:04d}"))
        for k in range(1, 6)
    ]
    pdf = render_labels(data)
    pages = pdf_pages(pdf)
    assert len(pages) == 5
    for page, label in zip(pages, data, strict=True):
        assert label.tracking_number in page
        assert f"(00) {label.sscc}" in page
    assert render_labels(data) == pdf
    with pytest.raises(ValueError, match="at least one"):
        render_labels([])


def test_long_and_foreign_names_still_render() -> None:
    recipient = replace(
        RECIPIENT, name="Zofia Łukasiewicz-Wójcik-Brzęczyszczykiewicz", lines=("x" * 70,) * 4
    )
    text = pdf_pages(render_label(make_label(recipient=recipient, relay_point="R" * 70)))[0]
    assert "Zofia Lukasiewicz-Wójcik-Brzeczyszczykiewicz" in text


# -- carrier gateways ---------------------------------------------------------------------


def request(n: int = 1) -> ShipmentRequest:
    return ShipmentRequest(
        sscc=with_check(f"0376000000000{n:04d}"),
        service="Standard",
        sender=SENDER,
        recipient=RECIPIENT,
        weight_g=800,
        ship_date=date(2025, 3, 14),
        order_reference=f"ORD-{n}",
    )


T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def test_fake_gateway_numbers_shipments_and_renders_labels() -> None:
    gateway = FakeCarrierGateway(code="fake", tracking_prefix="FK", now=lambda: T0)
    assert isinstance(gateway, CarrierGateway)
    first = gateway.create_shipment(request(1))
    second = gateway.create_shipment(request(2))
    assert (first.tracking_number, second.tracking_number) == ("FK00000000001FR", "FK00000000002FR")
    assert first.carrier == "fake"
    text = pdf_pages(first.label_pdf)[0]
    assert "FK00000000001FR" in text and "Fake Carrier" in text
    events = gateway.fetch_events(first.tracking_number)
    assert [(e.status, e.occurred_at) for e in events] == [(TrackingStatus.LABEL_CREATED, T0)]
    assert gateway.requests == (request(1), request(2))


def test_fake_gateway_cancel_rules() -> None:
    gateway = FakeCarrierGateway(render=False)
    a = gateway.create_shipment(request(1)).tracking_number
    b = gateway.create_shipment(request(2)).tracking_number
    gateway.cancel(a)
    gateway.cancel(a)  # idempotent
    assert gateway.is_cancelled(a)
    gateway.push_event(b, TrackingStatus.PICKED_UP, occurred_at=T0)
    with pytest.raises(Conflict):
        gateway.cancel(b)
    with pytest.raises(Conflict):
        gateway.push_event(a, TrackingStatus.PICKED_UP, occurred_at=T0)
    with pytest.raises(NotFound):
        gateway.cancel("nope")
    with pytest.raises(NotFound):
        gateway.fetch_events("nope")
    ids = [e.event_id for e in gateway.fetch_events(b)]
    assert len(set(ids)) == len(ids) == 2


def test_fake_gateway_outage_and_bad_request() -> None:
    gateway = FakeCarrierGateway(render=False)
    gateway.fail_with = TimeoutError("carrier down")
    with pytest.raises(TimeoutError):
        gateway.create_shipment(request())
    gateway.fail_with = None
    with pytest.raises(ValidationError) as info:
        gateway.create_shipment(replace(request(), sscc="123"))
    assert info.value.field == "sscc"
    assert gateway.requests == ()


def test_local_gateway_renders_our_label_with_the_sscc_as_tracking_number() -> None:
    gateway = LocalCarrierGateway(code="dbs", name="DB Schenker", tracking_prefix="DB")
    assert isinstance(gateway, CarrierGateway)
    req = request(7)
    created = gateway.create_shipment(req)
    assert created.tracking_number == "DB" + req.sscc
    text = pdf_pages(created.label_pdf)[0]
    assert f"(00) {req.sscc}" in text and "DB Schenker" in text
    assert gateway.fetch_events(created.tracking_number) == ()
    custom = LocalCarrierGateway(
        code="x", name="X", tracking_number=lambda r: f"X-{r.order_reference}"
    )
    assert custom.create_shipment(req).tracking_number == "X-ORD-7"
    with pytest.raises(ValueError, match="code and a name"):
        LocalCarrierGateway(code="", name="X")


def test_carrier_event_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        CarrierEvent(
            event_id="e1",
            tracking_number="T",
            status=TrackingStatus.DELIVERED,
            occurred_at=datetime(2025, 1, 1),  # naive on purpose
        )


def test_public_api_is_pinned() -> None:
    assert sorted(labels.__all__) == sorted(
        [
            "CODE128_PATTERNS",
            "LABEL_HEIGHT_MM",
            "LABEL_WIDTH_MM",
            "Address",
            "LabelData",
            "code128_symbols",
            "code128_widths",
            "printable_text",
            "render_label",
            "render_labels",
            "sscc_problem",
            "sscc_symbols",
        ]
    )
