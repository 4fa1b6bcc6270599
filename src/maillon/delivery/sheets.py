"""Driver route sheets: a vehicle's stops in visiting order, as an A4 PDF.

A frozen :class:`RouteSheet` (a :class:`~maillon.delivery.routing.VehicleRoute` from
:func:`maillon.delivery.routing.solve`, the :class:`SheetStop` details of its stops, the
driver and the day) goes into :func:`route_sheet_pdf`; :func:`route_sheets_pdf` prints many
sheets in one PDF, each starting on a new page with its own page numbers.
:func:`sheets_for` builds the sheets of every route of a
:class:`~maillon.delivery.routing.RoutingResult`.

Each row is one stop: its position, the ETA (the route's arrival time), the time window,
the recipient and address, the parcels (count and references), notes for the driver and an
empty box for the recipient's signature. Times are seconds since midnight, printed
``HH:MM`` (``+1d`` past midnight); distances are metres, printed in km.

Errors: constructors raise ValueError (a visit without details, a detail without a stop id).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from maillon.delivery.routing import RoutingResult, VehicleRoute, Visit
from maillon.shipping.labels import clipped, fitted_size, new_canvas, printable_text

__all__ = [
    "RouteSheet",
    "SheetStop",
    "format_time",
    "route_sheet_pdf",
    "route_sheets_pdf",
    "sheets_for",
]


def format_time(seconds: int) -> str:
    """Return seconds since midnight as ``HH:MM`` (``HH:MM +Nd`` on a later day).

    Minutes are rounded down. Raises ValueError for a negative time.
    """
    if seconds < 0:
        raise ValueError(f"time {seconds} < 0 not understood.")
    days, rest = divmod(seconds, 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{text} +{days}d" if days else text


@dataclass(frozen=True, kw_only=True)
class SheetStop:
    """What the driver needs to know about one stop.

    ``tw_start`` / ``tw_end`` are the time window in seconds since midnight (``None``:
    open); ``parcels`` is the number of parcels and ``references`` their tracking numbers
    (either may be given; the count shown is the larger). A list of references is turned
    into a tuple.

    Raises ValueError for an empty stop id or name, a negative parcel count, or a window
    that closes before it opens.
    """

    stop_id: str
    name: str
    address: str
    tw_start: int | None = None
    tw_end: int | None = None
    parcels: int = 0
    references: tuple[str, ...] = ()
    notes: str = ""
    phone: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", tuple(self.references))
        if not self.stop_id:
            raise ValueError("sheet stop id cannot be empty.")
        if not self.name.strip():
            raise ValueError(f"sheet stop {self.stop_id!r}: name cannot be empty.")
        if self.parcels < 0:
            raise ValueError(f"sheet stop {self.stop_id!r}: parcels < 0 not understood.")
        for label, value in (("tw_start", self.tw_start), ("tw_end", self.tw_end)):
            if value is not None and value < 0:
                raise ValueError(f"sheet stop {self.stop_id!r}: {label} < 0 not understood.")
        if self.tw_start is not None and self.tw_end is not None and self.tw_end < self.tw_start:
            raise ValueError(f"sheet stop {self.stop_id!r}: tw_end < tw_start.")

    @property
    def parcel_count(self) -> int:
        """Return the number of parcels to hand over."""
        return max(self.parcels, len(self.references))

    @property
    def window(self) -> str:
        """Return the time window as text (empty when the stop has none)."""
        if self.tw_start is None and self.tw_end is None:
            return ""
        start = format_time(self.tw_start) if self.tw_start is not None else "..."
        end = format_time(self.tw_end) if self.tw_end is not None else "..."
        return f"{start}-{end}"


@dataclass(frozen=True, kw_only=True)
class RouteSheet:
    """One driver's sheet: the route, the details of its stops, who drives and when.

    ``stops`` may hold more stops than the route visits (the whole day's details); every
    visited stop must be there. A list is turned into a tuple.

    Raises ValueError when a visited stop has no details or a stop id repeats.
    """

    route: VehicleRoute
    stops: tuple[SheetStop, ...]
    day: date
    driver: str = ""
    depot: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(self.stops))
        ids = [s.stop_id for s in self.stops]
        if len(set(ids)) != len(ids):
            raise ValueError("route sheet stop ids must be unique.")
        missing = [v.stop_id for v in self.route.visits if v.stop_id not in set(ids)]
        if missing:
            raise ValueError(f"route sheet has no details for stop(s) {', '.join(missing)}.")

    def rows(self) -> tuple[tuple[Visit, SheetStop], ...]:
        """Return each visit with its stop details, in visiting order."""
        by_id = {s.stop_id: s for s in self.stops}
        return tuple((v, by_id[v.stop_id]) for v in self.route.visits)

    @property
    def total_parcels(self) -> int:
        """Return the parcels to hand over on the route."""
        return sum(stop.parcel_count for _visit, stop in self.rows())


def sheets_for(
    result: RoutingResult,
    *,
    stops: Iterable[SheetStop],
    day: date,
    drivers: Mapping[str, str] | None = None,
    depot: str = "",
) -> tuple[RouteSheet, ...]:
    """Return a sheet for each route of ``result``, in its order.

    ``drivers`` maps vehicle ids to driver names. Raises ValueError as :class:`RouteSheet`.
    """
    details = tuple(stops)
    names = drivers or {}
    return tuple(
        RouteSheet(
            route=route,
            stops=details,
            day=day,
            driver=names.get(route.vehicle_id, ""),
            depot=depot,
        )
        for route in result.routes
    )


# --------------------------------------------------------------------------- PDF

_PAGE_W: float = float(A4[0])
_PAGE_H: float = float(A4[1])
_MARGIN: float = 12 * mm
_ROW_H: float = 17 * mm
_HEADER_H: float = 40 * mm
_FOOTER_H: float = 12 * mm
_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"

# (title, width in mm)
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("#", 8),
    ("ETA", 15),
    ("Window", 22),
    ("Recipient and address", 62),
    ("Parcels", 26),
    ("Notes", 27),
    ("Signature", 26),
)


def _rows_per_page() -> int:
    return int((_PAGE_H - _HEADER_H - _FOOTER_H) // _ROW_H)


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines: list[str] = simpleSplit(printable_text(text), font, size, width)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = clipped(lines[-1] + " ...", font, size, width)
    return lines


def _draw_header(canvas: Canvas, sheet: RouteSheet, page: int, pages: int) -> None:
    top = _PAGE_H - _MARGIN
    route = sheet.route
    canvas.setFont(_BOLD, 15)
    title = f"Route sheet - {route.vehicle_id}"
    if sheet.driver:
        title += f" - {sheet.driver}"
    width = _PAGE_W - 2 * _MARGIN - 25 * mm
    title = printable_text(title)
    canvas.setFont(_BOLD, fitted_size(title, _BOLD, 15, width))
    canvas.drawString(_MARGIN, top - 6 * mm, title)
    canvas.setFont(_FONT, 9)
    canvas.drawRightString(_PAGE_W - _MARGIN, top - 6 * mm, f"Page {page} / {pages}")
    facts = [
        f"Date: {sheet.day.isoformat()}",
        f"Start: {format_time(route.start_time)}",
        f"Back: {format_time(route.end_time)}",
        f"Stops: {len(route.visits)}",
        f"Parcels: {sheet.total_parcels}",
        f"Distance: {route.distance / 1000:.1f} km",
    ]
    canvas.drawString(_MARGIN, top - 12 * mm, "    ".join(facts))
    if sheet.depot:
        depot = printable_text(f"Depot: {sheet.depot}")
        canvas.drawString(_MARGIN, top - 17 * mm, clipped(depot, _FONT, 9, _PAGE_W - 2 * _MARGIN))
    y = _PAGE_H - _HEADER_H
    canvas.setFillGray(0.85)
    canvas.rect(_MARGIN, y, _PAGE_W - 2 * _MARGIN, 6 * mm, stroke=0, fill=1)
    canvas.setFillGray(0)
    canvas.setFont(_BOLD, 8)
    x = _MARGIN
    for title_text, width_mm in _COLUMNS:
        canvas.drawString(x + 1 * mm, y + 2 * mm, title_text)
        x += width_mm * mm


def _draw_stop(canvas: Canvas, top: float, number: int, visit: Visit, stop: SheetStop) -> None:
    y = top - _ROW_H
    x = _MARGIN
    widths = [w * mm for _t, w in _COLUMNS]
    first = top - 4 * mm
    canvas.setFont(_BOLD, 10)
    canvas.drawRightString(x + widths[0] - 1 * mm, first, str(number))
    x += widths[0]
    canvas.drawString(x + 1 * mm, first, format_time(visit.arrival))
    if visit.start > visit.arrival:
        canvas.setFont(_FONT, 6.5)
        canvas.drawString(x + 1 * mm, first - 3.5 * mm, f"start {format_time(visit.start)}")
    x += widths[1]
    canvas.setFont(_FONT, 8.5)
    canvas.drawString(x + 1 * mm, first, stop.window)
    x += widths[2]

    inner = widths[3] - 2 * mm
    name = printable_text(stop.name)
    canvas.setFont(_BOLD, 9)
    canvas.drawString(x + 1 * mm, first, clipped(name, _BOLD, 9, inner))
    canvas.setFont(_FONT, 8)
    for k, line in enumerate(_wrap(stop.address, _FONT, 8, inner, 2)):
        canvas.drawString(x + 1 * mm, first - (3.6 + 3.3 * k) * mm, line)
    if stop.phone:
        phone = printable_text(f"Tel. {stop.phone}")
        canvas.drawString(x + 1 * mm, first - 10.2 * mm, clipped(phone, _FONT, 8, inner))
    x += widths[3]

    inner = widths[4] - 2 * mm
    canvas.setFont(_BOLD, 9)
    canvas.drawString(x + 1 * mm, first, f"{stop.parcel_count} parcel(s)")
    canvas.setFont(_FONT, 6.5)
    refs = list(stop.references[:3])
    if len(stop.references) > 3:
        refs[-1] = f"+{len(stop.references) - 2} more"
    for k, ref in enumerate(refs):
        text = printable_text(ref)
        canvas.setFont(_FONT, fitted_size(text, _FONT, 6.5, inner))
        canvas.drawString(x + 1 * mm, first - (3.4 + 2.8 * k) * mm, text)
    x += widths[4]

    canvas.setFont(_FONT, 7)
    for k, line in enumerate(_wrap(stop.notes, _FONT, 7, widths[5] - 2 * mm, 4)):
        canvas.drawString(x + 1 * mm, first - 3 * k * mm, line)
    x += widths[5]

    canvas.setLineWidth(0.5)
    canvas.rect(x + 1 * mm, y + 1.5 * mm, widths[6] - 2 * mm, _ROW_H - 3 * mm)
    canvas.setLineWidth(0.3)
    canvas.line(_MARGIN, y, _PAGE_W - _MARGIN, y)


def _draw_sheet(canvas: Canvas, sheet: RouteSheet) -> None:
    rows = sheet.rows()
    per_page = _rows_per_page()
    pages = max(1, -(-len(rows) // per_page))
    for page in range(pages):
        _draw_header(canvas, sheet, page + 1, pages)
        y = _PAGE_H - _HEADER_H
        chunk = rows[page * per_page : (page + 1) * per_page]
        for number, (visit, stop) in enumerate(chunk, start=page * per_page + 1):
            _draw_stop(canvas, y, number, visit, stop)
            y -= _ROW_H
        if not rows:
            canvas.setFont(_FONT, 10)
            canvas.drawString(_MARGIN, y - 8 * mm, "No stop on this route.")
        canvas.setFont(_FONT, 7)
        footer = f"{sheet.route.vehicle_id} - {sheet.day.isoformat()}"
        canvas.drawString(_MARGIN, _MARGIN / 2, printable_text(footer))
        canvas.showPage()


def route_sheets_pdf(sheets: Sequence[RouteSheet]) -> bytes:
    """Return one A4 PDF with every sheet, each from a new page, stops paginated.

    The output is the same bytes for the same input. Raises ValueError if ``sheets`` is
    empty.
    """
    if not sheets:
        raise ValueError("route_sheets_pdf needs at least one sheet.")
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, pagesize=A4, title=f"Route sheets {sheets[0].day.isoformat()}")
    for sheet in sheets:
        _draw_sheet(canvas, sheet)
    canvas.save()
    return buffer.getvalue()


def route_sheet_pdf(sheet: RouteSheet) -> bytes:
    """Return the route sheet of one driver as an A4 PDF."""
    return route_sheets_pdf([sheet])
