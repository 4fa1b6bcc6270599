"""Shipping labels: one 10x15 cm PDF page per parcel, with a GS1-128 SSCC barcode.

A frozen :class:`LabelData` (SSCC, tracking number, carrier and service, sender and
recipient :class:`Address`, weight, parcel *n* of *m*, order reference, ship date, optional
relay point and routing code) goes into :func:`render_label`, which returns the bytes of a
one-page PDF of 100 x 150 mm; :func:`render_labels` puts many labels in one PDF, a page each.

The barcodes are drawn bar by bar from :func:`code128_widths`, so what is printed is exactly
what the pure encoders return:

* :func:`sscc_symbols` returns the GS1-128 symbol values of an SSCC-18: START C, FNC1, the
  application identifier ``00`` and the 18 digits as ten pairs, the modulo-103 check symbol
  and STOP. Printed with X = 0.5 mm and 32 mm high (GS1 logistic label minimums: 0.495 mm
  and 31.75 mm), with ``(00) <SSCC>`` in clear underneath.
* :func:`code128_symbols` returns the shortest Code 128 symbol sequence (code sets B and C)
  of a tracking number; the label prints it as wide as fits (0.25 to 0.5 mm modules).

Only what the carrier needs is printed about the customer: name, company, address, and the
phone number solely when the address has one *and* ``LabelData.print_phone`` is set (some
carriers require it for home delivery).

Fonts are the PDF standard Helvetica family, which holds the Windows-1252 characters:
:func:`printable_text` folds other letters to their base letter (``"Łódź"`` ->
``"Lodz"``) and replaces what cannot be folded with ``?``.

Errors: invalid input raises :class:`maillon.core.errors.ValidationError` naming every
offending field (``sscc``, ``recipient.postcode``, ...); :func:`render_labels` raises
ValueError for an empty list.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from maillon.core.errors import ErrorCollector
from maillon.core.identifiers import gs1_check_digit

__all__ = [
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

LABEL_WIDTH_MM = 100.0
"""Label width (the short side), millimetres."""

LABEL_HEIGHT_MM = 150.0
"""Label height, millimetres."""

# --------------------------------------------------------------------------- Code 128

CODE128_PATTERNS: tuple[str, ...] = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)  # fmt: skip
"""Element widths (bar, space, bar, ...) in modules of each Code 128 symbol value 0-106."""

_CODE_C = 99  # switch to code set C (from B)
_CODE_B = 100  # switch to code set B (from C)
_FNC1 = 102
_START_B = 104
_START_C = 105
_STOP = 106
_QUIET_MODULES = 10  # quiet zone each side, in modules


def code128_symbols(data: str, *, fnc1: bool = False) -> tuple[int, ...]:
    """Return the Code 128 symbol values of ``data``: start, data, check symbol, stop.

    The sequence is as short as code sets B and C allow (pairs of digits in set C, other
    printable ASCII in set B). ``fnc1=True`` puts FNC1 right after the start symbol, which
    makes the symbol GS1-128. The check symbol is the start value plus each following
    value times its position, modulo 103.

    Raises ValueError if ``data`` is empty or holds a character outside ASCII 32-126.
    """
    if not data:
        raise ValueError("Code 128 data cannot be empty.")
    bad = sorted({c for c in data if not 32 <= ord(c) <= 126})
    if bad:
        raise ValueError(f"Code 128 cannot encode {''.join(bad)!r}; use printable ASCII.")
    n = len(data)
    inf = n * 4 + 10
    # cost[i][s]: fewest symbols to encode data[i:] when currently in set s (0 = B, 1 = C).
    cost = [[0, 0] for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        in_b = 1 + cost[i + 1][0]
        in_c = 1 + cost[i + 2][1] if data[i : i + 2].isdigit() and i + 1 < n else inf
        cost[i][0] = min(in_b, 1 + in_c)
        cost[i][1] = min(in_c, 1 + in_b)
    current = 1 if cost[0][1] < cost[0][0] else 0
    values = [_START_C if current else _START_B]
    if fnc1:
        values.append(_FNC1)
    i = 0
    while i < n:
        pair = data[i : i + 2].isdigit() and i + 1 < n
        in_b = 1 + cost[i + 1][0]
        in_c = 1 + cost[i + 2][1] if pair else inf
        stay, switch = (in_c, in_b) if current else (in_b, in_c)
        if switch + 1 < stay:
            current = 1 - current
            values.append(_CODE_C if current else _CODE_B)
        if current:
            values.append(int(data[i : i + 2]))
            i += 2
        else:
            values.append(ord(data[i]) - 32)
            i += 1
    check = (values[0] + sum(k * v for k, v in enumerate(values[1:], start=1))) % 103
    return (*values, check, _STOP)


def sscc_symbols(sscc: str) -> tuple[int, ...]:
    """Return the GS1-128 symbol values of SSCC ``sscc`` with application identifier 00.

    The result is START C, FNC1, ``00`` and the nine digit pairs of the SSCC, the check
    symbol and STOP (14 values). Raises ValueError if ``sscc`` is not a valid SSCC-18.
    """
    problem = sscc_problem(sscc)
    if problem is not None:
        raise ValueError(f"sscc {sscc!r} {problem}.")
    return code128_symbols("00" + sscc, fnc1=True)


def code128_widths(symbols: Sequence[int]) -> str:
    """Return the element widths of ``symbols`` as one string of digits 1-4.

    Elements alternate bar, space, bar, ... starting with a bar; each digit is a width in
    modules. Raises ValueError for a value outside 0-106.
    """
    out = []
    for value in symbols:
        if not 0 <= value <= _STOP:
            raise ValueError(f"Code 128 symbol value {value} outside 0-106.")
        out.append(CODE128_PATTERNS[value])
    return "".join(out)


def sscc_problem(code: str) -> str | None:
    """Return why ``code`` is not a valid SSCC-18, or None when it is."""
    if len(code) != 18 or not code.isascii() or not code.isdigit():
        return "must be 18 digits"
    expected = gs1_check_digit(code[:-1])
    if expected != int(code[-1]):
        return f"has a wrong check digit (should be {expected})"
    return None


# --------------------------------------------------------------------------- data

_MAX_FIELD = 70
_MAX_LINES = 4
_MIN_MODULE_MM = 0.25
_MAX_MODULE_MM = 0.5
_MARGIN_MM = 4.0


def _text_problem(value: str, *, required: bool) -> str | None:
    if required and not value.strip():
        return "is required"
    if len(value) > _MAX_FIELD:
        return f"must have at most {_MAX_FIELD} characters"
    if any(unicodedata.category(c) == "Cc" for c in value):
        return "cannot hold control characters"
    return None


@dataclass(frozen=True, kw_only=True)
class Address:
    """A postal address as a label prints it.

    ``lines`` are the street lines (1 to 4, a list is turned into a tuple); ``country`` is
    an ISO 3166-1 alpha-2 code; ``postcode`` may be empty (countries without one);
    ``phone`` is optional and printed only when the label asks for it.

    Raises ValidationError naming every invalid field: an empty name, city or line, no line
    or more than four, a field longer than 70 characters or holding control characters,
    a country that is not two capital letters.
    """

    name: str
    lines: tuple[str, ...]
    postcode: str
    city: str
    country: str
    company: str = ""
    phone: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        errors = ErrorCollector()
        checks = (
            ("name", self.name, True),
            ("postcode", self.postcode, False),
            ("city", self.city, True),
            ("company", self.company, False),
            ("phone", self.phone or "", False),
        )
        for name, value, required in checks:
            problem = _text_problem(value, required=required)
            if problem:
                errors.add(name, problem)
        if not 1 <= len(self.lines) <= _MAX_LINES:
            errors.add("lines", f"needs 1 to {_MAX_LINES} lines, got {len(self.lines)}")
        for k, line in enumerate(self.lines):
            problem = _text_problem(line, required=True)
            if problem:
                errors.add(f"lines.{k}", problem)
        if not (len(self.country) == 2 and self.country.isascii() and self.country.isupper()):
            errors.add("country", "must be an ISO 3166 two-letter code such as FR")
        errors.raise_if_any()


@dataclass(frozen=True, kw_only=True)
class LabelData:
    """Everything one parcel's label shows.

    ``sscc`` is an SSCC-18 with a correct GS1 check digit; ``tracking_number`` is the
    carrier's number (printable ASCII without spaces, at most 40 characters, short enough
    to print as a Code 128 barcode on the label); ``weight_g`` is positive grams; the parcel
    is number ``parcel_number`` of ``parcel_count``. ``routing_code`` is the carrier's sort
    code printed large in the corner (at most 12 characters); ``relay_point`` names the
    pick-up point when the parcel goes to one. ``print_phone`` prints the recipient's phone
    number (only when the carrier requires it).

    Raises ValidationError naming every invalid field.
    """

    sscc: str
    tracking_number: str
    carrier: str
    service: str
    sender: Address
    recipient: Address
    weight_g: int
    ship_date: date
    parcel_number: int = 1
    parcel_count: int = 1
    order_reference: str = ""
    relay_point: str | None = None
    routing_code: str | None = None
    print_phone: bool = False

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        problem = sscc_problem(self.sscc)
        if problem:
            errors.add("sscc", problem)
        tracking = self.tracking_number
        if not tracking or len(tracking) > 40 or not all(33 <= ord(c) <= 126 for c in tracking):
            errors.add("tracking_number", "must be 1-40 printable ASCII characters, no spaces")
        elif _module_mm(_modules(code128_symbols(tracking))) < _MIN_MODULE_MM:
            errors.add("tracking_number", "is too long to print as a barcode on the label")
        for name, value, required in (
            ("carrier", self.carrier, True),
            ("service", self.service, False),
            ("order_reference", self.order_reference, False),
            ("relay_point", self.relay_point or "", False),
        ):
            problem = _text_problem(value, required=required)
            if problem:
                errors.add(name, problem)
        if self.routing_code is not None and not (
            1 <= len(self.routing_code.strip()) <= 12 and self.routing_code.isprintable()
        ):
            errors.add("routing_code", "must have 1 to 12 printable characters")
        if isinstance(self.weight_g, bool) or not isinstance(self.weight_g, int):
            errors.add("weight_g", "must be a whole number of grams")
        elif self.weight_g <= 0:
            errors.add("weight_g", "must be positive")
        if self.parcel_count < 1:
            errors.add("parcel_count", "must be at least 1")
        elif not 1 <= self.parcel_number <= self.parcel_count:
            errors.add("parcel_number", f"must be between 1 and {self.parcel_count}")
        errors.raise_if_any()


# --------------------------------------------------------------------------- PDF helpers
# Shared with maillon.shipping.manifest and maillon.delivery.sheets.

_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def printable_text(text: str) -> str:
    """Return ``text`` as the standard PDF fonts can print it (Windows-1252).

    Letters outside that set lose their accents (``"ő"`` -> ``"o"``, ``"ł"`` -> ``"l"``);
    other characters become ``?``; control characters become spaces.
    """
    out = []
    for char in text:
        if unicodedata.category(char) == "Cc":
            out.append(" ")
            continue
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char.translate(_FOLD))
            base = "".join(c for c in base if not unicodedata.combining(c))
            try:
                base.encode("cp1252")
            except UnicodeEncodeError:
                base = "?"
            out.append(base or "?")
        else:
            out.append(char)
    return "".join(out)


def fitted_size(text: str, font: str, size: float, width: float) -> float:
    """Return the font size, at most ``size``, at which ``text`` fits in ``width`` points."""
    actual = stringWidth(text, font, size)
    return size if actual <= width else size * width / actual


def clipped(text: str, font: str, size: float, width: float) -> str:
    """Return ``text`` cut (with an ellipsis) so that it fits in ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text + "\u2026"


def new_canvas(buffer: io.BytesIO, *, pagesize: tuple[float, float], title: str) -> Canvas:
    """Return a reportlab canvas writing a deterministic, compressed PDF to ``buffer``."""
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("Maillon")
    canvas.setAuthor("Maillon")
    return canvas


# --------------------------------------------------------------------------- rendering

_W = LABEL_WIDTH_MM * mm
_H = LABEL_HEIGHT_MM * mm
_INNER = _W - 2 * _MARGIN_MM * mm
_BOLD = "Helvetica-Bold"
_REGULAR = "Helvetica"


def _modules(symbols: Sequence[int]) -> int:
    return sum(int(w) for w in code128_widths(symbols)) + 2 * _QUIET_MODULES


def _module_mm(modules: int) -> float:
    """Module width (mm) of a barcode of ``modules`` filling the label, snapped to 1/8 mm."""
    fit = (LABEL_WIDTH_MM - 2 * _MARGIN_MM) / modules
    return min(_MAX_MODULE_MM, int(fit * 8) / 8)


def _draw_barcode(
    canvas: Canvas, symbols: Sequence[int], *, y: float, height: float, module: float
) -> None:
    """Draw ``symbols`` centred on the label, bottom at ``y``, bars ``height`` high."""
    widths = code128_widths(symbols)
    total = sum(int(w) for w in widths) * module
    x = (_W - total) / 2
    path = canvas.beginPath()
    for k, w in enumerate(widths):
        width = int(w) * module
        if k % 2 == 0:
            path.rect(x, y, width, height)
        x += width
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_line(canvas: Canvas, text: str, *, x: float, y: float, font: str, size: float) -> None:
    text = printable_text(text)
    canvas.setFont(font, fitted_size(text, font, size, _W - _MARGIN_MM * mm - x))
    canvas.drawString(x, y, text)


def _block(
    canvas: Canvas, lines: list[tuple[str, str, float]], *, top: float, bottom: float
) -> None:
    """Draw ``(text, font, size)`` lines from ``top`` down, scaled to end above ``bottom``."""
    height = sum(size * 1.2 for _, _, size in lines)
    scale = min(1.0, (top - bottom) / height) if height else 1.0
    y = top
    for text, font, size in lines:
        scaled = size * scale
        y -= scaled * 1.2
        _draw_line(
            canvas, text, x=(_MARGIN_MM + 2) * mm, y=y + scaled * 0.25, font=font, size=scaled
        )


def _rule(canvas: Canvas, y_mm: float) -> None:
    canvas.line(_MARGIN_MM * mm, y_mm * mm, _W - _MARGIN_MM * mm, y_mm * mm)


def _draw_label(canvas: Canvas, data: LabelData) -> None:
    left = _MARGIN_MM * mm
    canvas.setLineWidth(0.8)
    canvas.rect(left / 2, left / 2, _W - left, _H - left)

    # Header: carrier and service, routing code boxed on the right.
    header_right = _W - left
    if data.routing_code:
        code = printable_text(data.routing_code.strip())
        box_w = 34 * mm
        canvas.rect(_W - left - box_w, 133 * mm, box_w, 13 * mm, stroke=1, fill=0)
        size = fitted_size(code, _BOLD, 24, box_w - 3 * mm)
        canvas.setFont(_BOLD, size)
        canvas.drawCentredString(_W - left - box_w / 2, 136.5 * mm, code)
        header_right -= box_w + 2 * mm
    carrier = printable_text(data.carrier)
    canvas.setFont(_BOLD, fitted_size(carrier, _BOLD, 16, header_right - left))
    canvas.drawString(left, 140 * mm, carrier)
    service = printable_text(data.service)
    canvas.setFont(_REGULAR, fitted_size(service, _REGULAR, 9, header_right - left))
    canvas.drawString(left, 135 * mm, service)
    _rule(canvas, 132)

    # Sender, small.
    s = data.sender
    canvas.setFont(_REGULAR, 6)
    canvas.drawString(left, 128.5 * mm, "FROM / EXPEDITEUR")
    name = s.name if not s.company else f"{s.company} - {s.name}"
    place = " ".join(p for p in (s.postcode, s.city, s.country) if p)
    _block(
        canvas,
        [(name, _BOLD, 7.5), (", ".join(s.lines), _REGULAR, 7.5), (place, _REGULAR, 7.5)],
        top=127.5 * mm,
        bottom=118 * mm,
    )
    _rule(canvas, 117)

    # Recipient, large.
    r = data.recipient
    canvas.setFont(_REGULAR, 7)
    canvas.drawString(left, 113.5 * mm, "TO / DESTINATAIRE")
    lines: list[tuple[str, str, float]] = [(r.name, _BOLD, 15)]
    if r.company:
        lines.append((r.company, _REGULAR, 12))
    lines += [(line, _REGULAR, 12) for line in r.lines]
    lines.append((f"{r.postcode} {r.city}".strip(), _BOLD, 15))
    lines.append((r.country, _BOLD, 12))
    if data.print_phone and r.phone:
        lines.append((f"Tel. {r.phone}", _REGULAR, 10))
    if data.relay_point:
        lines.append((f"Relay point: {data.relay_point}", _BOLD, 10))
    _block(canvas, lines, top=112.5 * mm, bottom=80 * mm)
    _rule(canvas, 79)

    # Parcel facts.
    kg = f"{data.weight_g / 1000:.2f} kg"
    facts = [f"Weight {kg}", f"Parcel {data.parcel_number}/{data.parcel_count}"]
    if data.order_reference:
        facts.append(f"Order {data.order_reference}")
    facts.append(f"Shipped {data.ship_date.isoformat()}")
    _draw_line(canvas, "   ".join(facts), x=left, y=74.5 * mm, font=_BOLD, size=8.5)
    _rule(canvas, 72.5)

    # Tracking number barcode.
    symbols = code128_symbols(data.tracking_number)
    module = _module_mm(_modules(symbols)) * mm
    canvas.setFont(_REGULAR, 6)
    canvas.drawString(left, 69 * mm, "TRACKING")
    _draw_barcode(canvas, symbols, y=55 * mm, height=13 * mm, module=module)
    canvas.setFont(_BOLD, 10)
    canvas.drawCentredString(_W / 2, 51.5 * mm, data.tracking_number)
    _rule(canvas, 49.5)

    # SSCC, GS1-128, X = 0.5 mm, 32 mm high, human-readable interpretation below.
    canvas.setFont(_REGULAR, 6)
    canvas.drawString(left, 46.5 * mm, "SSCC")
    _draw_barcode(canvas, sscc_symbols(data.sscc), y=12.5 * mm, height=32 * mm, module=0.5 * mm)
    canvas.setFont(_BOLD, 11)
    canvas.drawCentredString(_W / 2, 7 * mm, f"(00) {data.sscc}")


def render_labels(labels: Sequence[LabelData]) -> bytes:
    """Return one PDF holding a 100 x 150 mm page per label, in the given order.

    The output is byte-for-byte the same for the same input. Raises ValueError if
    ``labels`` is empty.
    """
    if not labels:
        raise ValueError("render_labels needs at least one label.")
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, pagesize=(_W, _H), title="Shipping labels")
    for data in labels:
        _draw_label(canvas, data)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_label(data: LabelData) -> bytes:
    """Return the label of one parcel as a one-page PDF of 100 x 150 mm."""
    return render_labels([data])
