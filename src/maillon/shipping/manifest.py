"""Carrier manifests: the daily list of parcels handed to one carrier, as CSV and PDF.

A frozen :class:`Manifest` (carrier, date, shipper, account, reference and its
:class:`ManifestLine` rows, one per parcel) goes into :func:`manifest_csv` (a CSV string
with the columns of :data:`MANIFEST_COLUMNS` in that order, then a ``TOTAL`` row) or
:func:`manifest_pdf` (A4 portrait: a header on each page, the table over as many pages as it
takes, then the totals of parcels and weight and a signature box for the shipper and the
driver). :func:`daily_manifests` splits one day's parcels into a manifest per carrier.

Weights are whole grams in the data and kilograms with three decimals in print (exact).
Text cells of the CSV that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``.

Errors: every invalid value raises ValueError from the constructors.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from maillon.shipping.labels import (
    clipped,
    fitted_size,
    new_canvas,
    printable_text,
    sscc_problem,
)

__all__ = [
    "MANIFEST_COLUMNS",
    "Manifest",
    "ManifestLine",
    "daily_manifests",
    "manifest_csv",
    "manifest_pdf",
]

MANIFEST_COLUMNS: tuple[str, ...] = (
    "line",
    "carrier",
    "tracking_number",
    "sscc",
    "order_reference",
    "recipient_name",
    "postcode",
    "city",
    "country",
    "service",
    "parcels",
    "weight_kg",
)
"""The CSV columns, in order."""


def _kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}"


@dataclass(frozen=True, kw_only=True)
class ManifestLine:
    """One parcel handed over: carrier code, tracking number, SSCC, order, recipient, weight.

    Raises ValueError for an empty carrier, tracking number or recipient name, an invalid
    SSCC (an empty one is allowed: not every parcel carries one) or a non-positive weight.
    """

    carrier: str
    tracking_number: str
    recipient_name: str
    postcode: str
    city: str
    country: str
    weight_g: int
    sscc: str = ""
    order_reference: str = ""
    service: str = ""

    def __post_init__(self) -> None:
        for name in ("carrier", "tracking_number", "recipient_name"):
            if not getattr(self, name).strip():
                raise ValueError(f"manifest line {name} cannot be empty.")
        if self.sscc:
            problem = sscc_problem(self.sscc)
            if problem:
                raise ValueError(f"manifest line {self.tracking_number}: sscc {problem}.")
        if isinstance(self.weight_g, bool) or not isinstance(self.weight_g, int):
            raise ValueError(f"manifest line {self.tracking_number}: weight_g must be an int.")
        if self.weight_g <= 0:
            raise ValueError(f"manifest line {self.tracking_number}: weight_g must be positive.")


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The parcels handed to ``carrier`` on ``manifest_date`` by ``shipper``.

    ``reference`` is the manifest number the carrier signs for; ``account`` the shipper's
    account number with the carrier. ``lines`` (a list is turned into a tuple) may be empty.

    Raises ValueError for an empty carrier or shipper, a line of another carrier, or a
    tracking number listed twice.
    """

    carrier: str
    manifest_date: date
    shipper: str
    lines: tuple[ManifestLine, ...]
    reference: str = ""
    account: str = ""
    carrier_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        if not self.carrier.strip():
            raise ValueError("manifest carrier cannot be empty.")
        if not self.shipper.strip():
            raise ValueError("manifest shipper cannot be empty.")
        seen: set[str] = set()
        for line in self.lines:
            if line.carrier != self.carrier:
                raise ValueError(
                    f"parcel {line.tracking_number} goes with {line.carrier!r}, "
                    f"not {self.carrier!r}."
                )
            if line.tracking_number in seen:
                raise ValueError(f"parcel {line.tracking_number} is listed twice.")
            seen.add(line.tracking_number)

    @property
    def total_parcels(self) -> int:
        """Return the number of parcels."""
        return len(self.lines)

    @property
    def total_weight_g(self) -> int:
        """Return the total weight in grams."""
        return sum(line.weight_g for line in self.lines)


def daily_manifests(
    lines: Iterable[ManifestLine],
    *,
    manifest_date: date,
    shipper: str,
    carrier_names: dict[str, str] | None = None,
    accounts: dict[str, str] | None = None,
) -> tuple[Manifest, ...]:
    """Return one manifest per carrier present in ``lines``, by carrier code.

    Lines keep their order within a carrier. References are
    ``<carrier>-<YYYYMMDD>``. Raises ValueError as :class:`Manifest` does.
    """
    by_carrier: dict[str, list[ManifestLine]] = {}
    for line in lines:
        by_carrier.setdefault(line.carrier, []).append(line)
    names = carrier_names or {}
    accounts = accounts or {}
    return tuple(
        Manifest(
            carrier=code,
            carrier_name=names.get(code, ""),
            manifest_date=manifest_date,
            shipper=shipper,
            account=accounts.get(code, ""),
            reference=f"{code.upper()}-{manifest_date:%Y%m%d}",
            lines=tuple(by_carrier[code]),
        )
        for code in sorted(by_carrier)
    )


# --------------------------------------------------------------------------- CSV

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def manifest_csv(manifest: Manifest, *, totals: bool = True) -> str:
    """Return the manifest as CSV text (RFC 4180, ``\\r\\n`` line ends, header row).

    One row per parcel with the columns of :data:`MANIFEST_COLUMNS`; with ``totals`` a last
    row has ``line`` = ``TOTAL``, the number of parcels and the total weight.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MANIFEST_COLUMNS)
    for k, line in enumerate(manifest.lines, start=1):
        writer.writerow(
            (
                k,
                line.carrier,
                line.tracking_number,
                line.sscc,
                _cell(line.order_reference),
                _cell(line.recipient_name),
                _cell(line.postcode),
                _cell(line.city),
                line.country,
                _cell(line.service),
                1,
                _kg(line.weight_g),
            )
        )
    if totals:
        blanks = [""] * (len(MANIFEST_COLUMNS) - 4)
        writer.writerow(
            (
                "TOTAL",
                manifest.carrier,
                *blanks,
                manifest.total_parcels,
                _kg(manifest.total_weight_g),
            )
        )
    return out.getvalue()


# --------------------------------------------------------------------------- PDF

_PAGE_W: float = float(A4[0])
_PAGE_H: float = float(A4[1])
_MARGIN = 12 * mm
_ROW_H = 5.2 * mm
_HEADER_H = 38 * mm  # page header down to the first table row
_FOOTER_H = 10 * mm
_CLOSING_H = 58 * mm  # totals and signature box
_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"
_SIZE = 7.5

# (title, width in mm, alignment): "r" right-aligned; "s" shrunk to fit (identifiers are
# never cut); "c" cut with an ellipsis when too long (free text).
_COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("#", 8, "r"),
    ("Tracking number", 30, "s"),
    ("SSCC", 30, "s"),
    ("Order", 20, "s"),
    ("Recipient", 29, "c"),
    ("Postcode", 14, "s"),
    ("City", 21, "c"),
    ("Ctry", 8, "c"),
    ("Service", 13, "c"),
    ("kg", 11, "r"),
)


def _rows_per_page() -> int:
    return int((_PAGE_H - _HEADER_H - _FOOTER_H - _MARGIN) // _ROW_H)


def _page_count(lines: int) -> int:
    per_page = _rows_per_page()
    pages = max(1, math.ceil(lines / per_page))
    left = lines - (pages - 1) * per_page
    if left * _ROW_H + _CLOSING_H > per_page * _ROW_H:
        pages += 1  # totals and signatures do not fit under the last rows
    return pages


def _cells(k: int, line: ManifestLine) -> tuple[str, ...]:
    return (
        str(k),
        line.tracking_number,
        line.sscc,
        line.order_reference,
        line.recipient_name,
        line.postcode,
        line.city,
        line.country,
        line.service,
        _kg(line.weight_g),
    )


def _draw_row(canvas: Canvas, y: float, cells: tuple[str, ...], *, font: str) -> None:
    x = _MARGIN
    for (_title, width_mm, how), text in zip(_COLUMNS, cells, strict=True):
        width = width_mm * mm
        text = printable_text(text)
        if how == "c":
            text = clipped(text, font, _SIZE, width - 2 * mm)
        canvas.setFont(font, fitted_size(text, font, _SIZE, width - 2 * mm))
        if how == "r":
            canvas.drawRightString(x + width - 1 * mm, y + 1.6 * mm, text)
        else:
            canvas.drawString(x + 1 * mm, y + 1.6 * mm, text)
        x += width


def _draw_header(canvas: Canvas, manifest: Manifest, page: int, pages: int) -> float:
    top = _PAGE_H - _MARGIN
    carrier = manifest.carrier_name or manifest.carrier
    canvas.setFont(_BOLD, 15)
    canvas.drawString(_MARGIN, top - 6 * mm, printable_text(f"Carrier manifest - {carrier}"))
    canvas.setFont(_FONT, 9)
    facts = [
        f"Date: {manifest.manifest_date.isoformat()}",
        f"Shipper: {manifest.shipper}",
    ]
    if manifest.account:
        facts.append(f"Account: {manifest.account}")
    if manifest.reference:
        facts.append(f"Manifest: {manifest.reference}")
    canvas.drawString(_MARGIN, top - 12 * mm, printable_text("    ".join(facts)))
    canvas.drawRightString(_PAGE_W - _MARGIN, top - 6 * mm, f"Page {page} / {pages}")
    canvas.drawString(
        _MARGIN,
        top - 17 * mm,
        f"{manifest.total_parcels} parcel(s), {_kg(manifest.total_weight_g)} kg",
    )
    y: float = _PAGE_H - _HEADER_H
    canvas.setFillGray(0.85)
    canvas.rect(_MARGIN, y, _PAGE_W - 2 * _MARGIN, _ROW_H, stroke=0, fill=1)
    canvas.setFillGray(0)
    _draw_row(canvas, y, tuple(title for title, _w, _r in _COLUMNS), font=_BOLD)
    return y


def _draw_closing(canvas: Canvas, manifest: Manifest, top: float) -> None:
    width = _PAGE_W - 2 * _MARGIN
    y = top - 8 * mm
    canvas.setFont(_BOLD, 10)
    canvas.drawString(
        _MARGIN,
        y,
        f"Total: {manifest.total_parcels} parcel(s), {_kg(manifest.total_weight_g)} kg",
    )
    box_h = 40 * mm
    y -= box_h + 5 * mm
    half = (width - 6 * mm) / 2
    for k, title in enumerate(("Handed over by (shipper)", "Received by (carrier driver)")):
        x = _MARGIN + k * (half + 6 * mm)
        canvas.setLineWidth(0.8)
        canvas.rect(x, y, half, box_h)
        canvas.setFont(_BOLD, 9)
        canvas.drawString(x + 2 * mm, y + box_h - 5 * mm, title)
        canvas.setFont(_FONT, 8)
        for row, label in enumerate(("Name:", "Date and time:", "Parcels counted:", "Signature:")):
            canvas.drawString(x + 2 * mm, y + box_h - (11 + row * 8) * mm, label)


def manifest_pdf(manifest: Manifest) -> bytes:
    """Return the manifest as an A4 PDF: table over as many pages as needed, then the totals
    and the signature boxes. The output is the same bytes for the same input."""
    buffer = io.BytesIO()
    carrier = manifest.carrier_name or manifest.carrier
    canvas = new_canvas(buffer, pagesize=A4, title=f"Manifest {carrier} {manifest.manifest_date}")
    per_page = _rows_per_page()
    pages = _page_count(len(manifest.lines))
    for page in range(pages):
        y = _draw_header(canvas, manifest, page + 1, pages)
        chunk = manifest.lines[page * per_page : (page + 1) * per_page]
        canvas.setLineWidth(0.3)
        for k, line in enumerate(chunk, start=page * per_page + 1):
            y -= _ROW_H
            _draw_row(canvas, y, _cells(k, line), font=_FONT)
            canvas.line(_MARGIN, y, _PAGE_W - _MARGIN, y)
        if page == pages - 1:
            _draw_closing(canvas, manifest, y)
        canvas.setFont(_FONT, 7)
        canvas.drawString(_MARGIN, _MARGIN / 2, printable_text(manifest.reference or carrier))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
