"""Shipping labels in ZPL II for Zebra thermal printers: the same label as the PDF one.

:func:`render_zpl` turns :class:`~maillon.shipping.labels.LabelData` into one ZPL label
(``^XA`` ... ``^XZ``) of 4 x 6 inches at 203 dpi (812 x 1218 dots): carrier and service,
routing code, sender, recipient (and the relay point when the parcel goes to one), parcel
facts, the tracking number as a Code 128 barcode and the SSCC as a GS1-128 barcode (X = 4
dots = 0.5 mm, 256 dots = 32 mm high, ``(00) <SSCC>`` in clear underneath).
:func:`render_zpl_labels` concatenates labels into one stream a printer takes in one go.

Barcodes are written with ZPL's Code 128 invocation codes (``>;`` start C, ``>:`` start B,
``>5`` / ``>6`` switch to C / B, ``>8`` FNC1) from the symbol values of
:func:`~maillon.shipping.labels.code128_symbols`, so the printer draws exactly the symbols
the PDF label draws (it adds the check symbol and STOP itself).

Text is UTF-8 (``^CI28``): accents print as they are. Every field's data goes through
``^FH`` so that ``^``, ``~`` and ``_`` in a name never end the field or start a command.
"""

from __future__ import annotations

from collections.abc import Sequence

from maillon.shipping.labels import LabelData, code128_symbols, code128_widths, sscc_symbols

__all__ = [
    "DOTS_PER_INCH",
    "LABEL_HEIGHT_DOTS",
    "LABEL_WIDTH_DOTS",
    "ZPL_MEDIA_TYPE",
    "barcode_field",
    "render_zpl",
    "render_zpl_labels",
    "zpl_text",
]

DOTS_PER_INCH = 203
LABEL_WIDTH_DOTS = 812  # 4 in
LABEL_HEIGHT_DOTS = 1218  # 6 in
ZPL_MEDIA_TYPE = "application/zpl"

_MARGIN = 30
_INNER = LABEL_WIDTH_DOTS - 2 * _MARGIN
_QUIET_MODULES = 10
_START_B, _START_C, _CODE_C, _CODE_B, _FNC1 = 104, 105, 99, 100, 102
_INVOCATION = {_START_B: ">:", _START_C: ">;", _CODE_C: ">5", _CODE_B: ">6", _FNC1: ">8"}
_ESCAPES = {"^": "_5E", "~": "_7E", "_": "_5F"}


def zpl_text(text: str) -> str:
    """Return ``text`` as ``^FH``-escaped field data: control characters become spaces and
    ``^``, ``~``, ``_`` become their hexadecimal escapes."""
    out = []
    for char in text:
        if ord(char) < 32 or 127 <= ord(char) < 160:
            out.append(" ")
        else:
            out.append(_ESCAPES.get(char, char))
    return "".join(out)


def barcode_field(symbols: Sequence[int]) -> str:
    """Return the ``^BC`` field data (mode N) that makes a printer draw ``symbols``.

    ``symbols`` are Code 128 values from a start symbol to the STOP (as
    :func:`~maillon.shipping.labels.code128_symbols` returns them); the check symbol and STOP
    are left out (the printer adds them). Raises ValueError for a symbol ZPL data cannot
    name (code set A is never used by our encoder).
    """
    out: list[str] = []
    in_c = False
    for value in symbols[:-2]:
        # a value means what the current code set says: in set C, 99 is the pair "99", and
        # only in set B is it the switch to set C
        if in_c and 0 <= value <= 99:
            out.append(f"{value:02d}")
        elif not in_c and 0 <= value <= 94:
            char = chr(value + 32)
            out.append("><" if char == ">" else zpl_text(char))
        elif value in _INVOCATION:
            out.append(_INVOCATION[value])
            if value in (_START_C, _CODE_C):
                in_c = True
            elif value in (_START_B, _CODE_B):
                in_c = False
        else:
            raise ValueError(f"Code 128 symbol {value} has no ZPL field data here.")
    return "".join(out)


def _modules(symbols: Sequence[int]) -> int:
    """Width of ``symbols`` in modules, quiet zones included."""
    return sum(int(w) for w in code128_widths(symbols)) + 2 * _QUIET_MODULES


def _fit(text: str, height: int, width: int) -> str:
    """Cut ``text`` (with ``...``) so that font 0 at ``height`` dots fits in ``width`` dots."""
    limit = max(4, int(width / (height * 0.52)))
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class _Label:
    """The commands of one label, written top-down."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, x: int, y: int, height: int, text: str, *, width: int = _INNER) -> None:
        fitted = _fit(text, height, width - (x - _MARGIN))
        self.parts.append(f"^FO{x},{y}^A0N,{height},{height}^FH_^FD{zpl_text(fitted)}^FS")

    def centred(self, y: int, height: int, text: str) -> None:
        fitted = zpl_text(_fit(text, height, _INNER))
        self.parts.append(
            f"^FO{_MARGIN},{y}^A0N,{height},{height}^FB{_INNER},1,0,C,0^FH_^FD{fitted}^FS"
        )

    def rule(self, y: int) -> None:
        self.parts.append(f"^FO{_MARGIN},{y}^GB{_INNER},3,3^FS")

    def barcode(self, y: int, symbols: Sequence[int], *, module: int, height: int) -> None:
        x = (LABEL_WIDTH_DOTS - (_modules(symbols) - 2 * _QUIET_MODULES) * module) // 2
        self.parts.append(
            f"^FO{x},{y}^BY{module}^BCN,{height},N,N,N,N^FH_^FD{barcode_field(symbols)}^FS"
        )


def _block(label: _Label, lines: list[tuple[str, int]], *, top: int, bottom: int) -> None:
    """Write ``(text, height)`` lines from ``top`` down, scaled to end above ``bottom``."""
    total = sum(round(h * 1.15) for _, h in lines)
    scale = min(1.0, (bottom - top) / total) if total else 1.0
    y = top
    for text, height in lines:
        size = max(12, int(height * scale))
        label.text(_MARGIN + 10, y, size, text)
        y += round(size * 1.15)


def _label(data: LabelData) -> str:
    label = _Label()
    label.parts += [
        "^XA",
        "^CI28",
        f"^PW{LABEL_WIDTH_DOTS}",
        f"^LL{LABEL_HEIGHT_DOTS}",
        "^LH0,0",
        f"^FO10,10^GB{LABEL_WIDTH_DOTS - 20},{LABEL_HEIGHT_DOTS - 20},4^FS",
    ]
    header = _INNER
    if data.routing_code:
        label.parts.append(f"^FO{LABEL_WIDTH_DOTS - _MARGIN - 260},25^GB260,95,3^FS")
        code = zpl_text(_fit(data.routing_code.strip(), 64, 240))
        label.parts.append(
            f"^FO{LABEL_WIDTH_DOTS - _MARGIN - 260},42^A0N,64,64^FB260,1,0,C,0^FH_^FD{code}^FS"
        )
        header -= 280
    label.text(_MARGIN, 30, 48, data.carrier, width=header)
    label.text(_MARGIN, 86, 28, data.service, width=header)
    label.rule(128)

    s = data.sender
    label.text(_MARGIN, 138, 18, "FROM / EXPEDITEUR")
    name = s.name if not s.company else f"{s.company} - {s.name}"
    place = " ".join(p for p in (s.postcode, s.city, s.country) if p)
    _block(label, [(name, 24), (", ".join(s.lines), 24), (place, 24)], top=160, bottom=245)
    label.rule(250)

    r = data.recipient
    label.text(_MARGIN, 260, 20, "TO / DESTINATAIRE")
    lines: list[tuple[str, int]] = [(r.name, 44)]
    if r.company:
        lines.append((r.company, 34))
    lines += [(line, 34) for line in r.lines]
    lines.append((f"{r.postcode} {r.city}".strip(), 44))
    lines.append((r.country, 34))
    if data.print_phone and r.phone:
        lines.append((f"Tel. {r.phone}", 28))
    if data.relay_point:
        lines.append((f"Relay point / Point relais: {data.relay_point}", 30))
    _block(label, lines, top=288, bottom=615)
    label.rule(620)

    facts = [
        f"Weight {data.weight_g / 1000:.2f} kg",
        f"Parcel {data.parcel_number}/{data.parcel_count}",
    ]
    if data.order_reference:
        facts.append(f"Order {data.order_reference}")
    facts.append(f"Shipped {data.ship_date.isoformat()}")
    label.text(_MARGIN, 632, 24, "   ".join(facts))
    label.rule(668)

    tracking = code128_symbols(data.tracking_number)
    module = max(2, min(4, _INNER // _modules(tracking)))
    label.text(_MARGIN, 678, 18, "TRACKING")
    label.barcode(702, tracking, module=module, height=100)
    label.centred(810, 30, data.tracking_number)
    label.rule(850)

    label.text(_MARGIN, 860, 18, "SSCC")
    label.barcode(884, sscc_symbols(data.sscc), module=4, height=256)
    label.centred(1152, 36, f"(00) {data.sscc}")
    label.parts += ["^PQ1", "^XZ"]
    return "\n".join(label.parts) + "\n"


def render_zpl(data: LabelData) -> bytes:
    """Return the ZPL II of one parcel's 4 x 6 in label (UTF-8 bytes, ``^XA`` ... ``^XZ``)."""
    return _label(data).encode("utf-8")


def render_zpl_labels(labels: Sequence[LabelData]) -> bytes:
    """Return one ZPL stream of ``labels``, one ``^XA`` ... ``^XZ`` each, in the given order.

    Raises ValueError if ``labels`` is empty.
    """
    if not labels:
        raise ValueError("render_zpl_labels needs at least one label.")
    return b"".join(render_zpl(data) for data in labels)
