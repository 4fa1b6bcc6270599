"""Packing slips: what is in a shipment's box, on the same 100 x 150 mm (4 x 6 in) stock as
its label, so a batch can interleave label and slip on one printer.

A frozen :class:`SlipData` (order number and day, who ships and who receives, the carrier and
tracking numbers, the lines with quantities) goes into :func:`render_slips_pdf` (one PDF, a
page per slip, more pages when the lines do not fit) or :func:`render_slip_zpl` (one ZPL
label per page, UTF-8 ``^CI28``). Raises ValueError for a slip without lines or an empty list.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from maillon.shipping.labels import (
    LABEL_HEIGHT_MM,
    LABEL_WIDTH_MM,
    Address,
    clipped,
    new_canvas,
    printable_text,
)
from maillon.shipping.zpl import LABEL_HEIGHT_DOTS, LABEL_WIDTH_DOTS, zpl_text

__all__ = ["LINES_PER_PAGE", "SlipData", "SlipLine", "render_slip_zpl", "render_slips_pdf"]

LINES_PER_PAGE = 16
"""Order lines a slip page holds; more continue on the next page."""


@dataclass(frozen=True)
class SlipLine:
    """One line of the box: SKU, product name and units."""

    sku: str
    name: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class SlipData:
    """Everything a packing slip shows. Raises ValueError without lines."""

    order_number: str
    ordered_on: date
    sender: Address
    recipient: Address
    lines: tuple[SlipLine, ...]
    carrier: str = ""
    tracking_numbers: tuple[str, ...] = ()
    relay_point: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "tracking_numbers", tuple(self.tracking_numbers))
        if not self.lines:
            raise ValueError(f"the packing slip of {self.order_number} has no line.")

    def pages(self) -> list[tuple[SlipLine, ...]]:
        """Return the lines page by page."""
        return [
            self.lines[k : k + LINES_PER_PAGE] for k in range(0, len(self.lines), LINES_PER_PAGE)
        ]

    def header(self) -> list[str]:
        """Return the slip's header lines (order, recipient, carrier), the same in PDF and ZPL."""
        r = self.recipient
        out = [
            f"Order / Commande {self.order_number}",
            f"Ordered / Commandé le {self.ordered_on.isoformat()}",
            f"Ship to / Livrer à: {r.name}",
            ", ".join(r.lines),
            f"{r.postcode} {r.city} {r.country}".strip(),
        ]
        if self.relay_point:
            out.append(f"Relay point / Point relais: {self.relay_point}")
        if self.carrier:
            out.append(f"{self.carrier} {' '.join(self.tracking_numbers)}".strip())
        return out


_W = LABEL_WIDTH_MM * mm
_H = LABEL_HEIGHT_MM * mm
_LEFT = 5 * mm
_INNER = _W - 2 * _LEFT


def _draw_page(canvas: Canvas, slip: SlipData, lines: Sequence[SlipLine], page: str) -> None:
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(_LEFT, _H - 12 * mm, "PACKING SLIP / BON DE LIVRAISON")
    canvas.setFont("Helvetica", 7)
    canvas.drawRightString(_W - _LEFT, _H - 6 * mm, page)
    y = _H - 20 * mm
    for k, text in enumerate(slip.header()):
        font = "Helvetica-Bold" if k == 0 else "Helvetica"
        canvas.setFont(font, 9)
        canvas.drawString(_LEFT, y, clipped(printable_text(text), font, 9, _INNER))
        y -= 4.6 * mm
    y -= 2 * mm
    canvas.line(_LEFT, y + 3 * mm, _W - _LEFT, y + 3 * mm)
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawString(_LEFT, y, "Qty")
    canvas.drawString(_LEFT + 12 * mm, y, "SKU")
    canvas.drawString(_LEFT + 40 * mm, y, "Item / Article")
    for line in lines:
        y -= 5 * mm
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(_LEFT, y, str(line.quantity))
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            _LEFT + 12 * mm, y, clipped(printable_text(line.sku), "Helvetica", 8, 27 * mm)
        )
        name = clipped(printable_text(line.name), "Helvetica", 8, _INNER - 40 * mm)
        canvas.drawString(_LEFT + 40 * mm, y, name)
    units = sum(x.quantity for x in slip.lines)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(_LEFT, 8 * mm, f"{units} unit(s) / article(s) - {slip.sender.name}")


def render_slips_pdf(slips: Sequence[SlipData]) -> bytes:
    """Return one PDF of ``slips``, 100 x 150 mm pages, a slip's pages in a row.

    Raises ValueError for an empty list.
    """
    if not slips:
        raise ValueError("render_slips_pdf needs at least one slip.")
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, pagesize=(_W, _H), title="Packing slips")
    for slip in slips:
        pages = slip.pages()
        for k, lines in enumerate(pages, start=1):
            _draw_page(canvas, slip, lines, f"{slip.order_number} {k}/{len(pages)}")
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_slip_zpl(slip: SlipData) -> bytes:
    """Return the ZPL II of a packing slip: one 4 x 6 in label per page (``^XA`` ... ``^XZ``)."""
    out: list[str] = []
    pages = slip.pages()
    for k, lines in enumerate(pages, start=1):
        parts = ["^XA", "^CI28", f"^PW{LABEL_WIDTH_DOTS}", f"^LL{LABEL_HEIGHT_DOTS}", "^LH0,0"]
        parts.append("^FO30,30^A0N,40,40^FH_^FDPACKING SLIP / BON DE LIVRAISON^FS")
        parts.append(f"^FO640,80^A0N,20,20^FH_^FD{zpl_text(f'{k}/{len(pages)}')}^FS")
        y = 110
        for text in slip.header():
            parts.append(f"^FO30,{y}^A0N,26,26^FB752,1,0,L,0^FH_^FD{zpl_text(text)}^FS")
            y += 34
        parts.append(f"^FO30,{y + 6}^GB752,3,3^FS")
        y += 20
        for line in lines:
            text = f"{line.quantity} x {line.sku}  {line.name}"
            parts.append(f"^FO30,{y}^A0N,26,26^FB752,1,0,L,0^FH_^FD{zpl_text(text)}^FS")
            y += 36
        parts += ["^PQ1", "^XZ"]
        out.append("\n".join(parts) + "\n")
    return "".join(out).encode("utf-8")
