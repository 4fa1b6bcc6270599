"""Tests of driver route sheets (maillon.delivery.sheets)."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from maillon.delivery import sheets as sheets_module
from maillon.delivery.routing import (
    Depot,
    RoutingProblem,
    Stop,
    Vehicle,
    VehicleRoute,
    Visit,
    solve,
)
from maillon.delivery.sheets import (
    RouteSheet,
    SheetStop,
    format_time,
    route_sheet_pdf,
    route_sheets_pdf,
    sheets_for,
)

DAY = date(2025, 3, 14)


def make_route(n: int, vehicle_id: str = "VAN-1") -> VehicleRoute:
    visits = tuple(
        Visit(
            stop_id=f"S{i}",
            arrival=8 * 3600 + i * 600,
            start=8 * 3600 + i * 600 + (120 if i == 2 else 0),
            departure=8 * 3600 + i * 600 + 300,
        )
        for i in range(1, n + 1)
    )
    return VehicleRoute(
        vehicle_id=vehicle_id,
        visits=visits,
        start_time=8 * 3600,
        end_time=8 * 3600 + (n + 1) * 600,
        distance=12_345,
        duration=(n + 1) * 600,
        parcels=n,
        weight_kg=float(n),
    )


def make_stop(i: int, **changes: object) -> SheetStop:
    fields: dict[str, object] = {
        "stop_id": f"S{i}",
        "name": f"Recipient {i:03d}",
        "address": f"{i} rue de la Paix, 75002 Paris",
        "parcels": 1,
        "references": (f"MA{i:011d}FR",),
    }
    fields.update(changes)
    return SheetStop(**fields)  # type: ignore[arg-type]


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


# -- times and validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00"), (8 * 3600 + 15 * 60 + 59, "08:15"), (86_399, "23:59"), (90_000, "01:00 +1d")],
)
def test_format_time(seconds: int, text: str) -> None:
    assert format_time(seconds) == text


@given(st.integers(0, 3 * 86_400))
def test_format_time_reads_back(seconds: int) -> None:
    text = format_time(seconds)
    hhmm, _, days = text.partition(" +")
    hours, minutes = (int(x) for x in hhmm.split(":"))
    total = (int(days[:-1]) if days else 0) * 86_400 + hours * 3600 + minutes * 60
    assert 0 <= seconds - total < 60


def test_format_time_rejects_negative_times() -> None:
    with pytest.raises(ValueError, match="< 0"):
        format_time(-1)


def test_sheet_stop_window_and_validation() -> None:
    assert make_stop(1, tw_start=9 * 3600, tw_end=12 * 3600).window == "09:00-12:00"
    assert make_stop(1, tw_end=12 * 3600).window == "...-12:00"
    assert make_stop(1).window == ""
    assert make_stop(1, parcels=0, references=["a", "b"]).parcel_count == 2
    with pytest.raises(ValueError, match="tw_end < tw_start"):
        make_stop(1, tw_start=10, tw_end=5)
    with pytest.raises(ValueError, match="name"):
        make_stop(1, name=" ")
    with pytest.raises(ValueError, match="parcels"):
        make_stop(1, parcels=-1)


def test_route_sheet_needs_details_for_every_visit() -> None:
    with pytest.raises(ValueError, match="S3"):
        RouteSheet(route=make_route(3), stops=[make_stop(1), make_stop(2)], day=DAY)
    with pytest.raises(ValueError, match="unique"):
        RouteSheet(route=make_route(1), stops=[make_stop(1), make_stop(1)], day=DAY)


# -- PDF ----------------------------------------------------------------------------------


def test_sheet_lists_stops_in_visiting_order_with_etas_windows_and_parcels() -> None:
    route = make_route(4)
    # Details given in another order than the route's: the sheet follows the route.
    stops = [
        make_stop(3, notes="Code 4521B, 2nd floor"),
        make_stop(1, tw_start=9 * 3600, tw_end=11 * 3600),
        make_stop(4),
        make_stop(2, phone="+33 1 23 45 67 89"),
    ]
    sheet = RouteSheet(route=route, stops=stops, day=DAY, driver="Jean Dupont", depot="Hub Nord")
    pdf = route_sheet_pdf(sheet)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = reader.pages[0].extract_text()
    positions = [text.index(f"Recipient {i:03d}") for i in (1, 2, 3, 4)]
    assert positions == sorted(positions)
    for expected in (
        "VAN-1",
        "Jean Dupont",
        "2025-03-14",
        "Hub Nord",
        "08:10",  # ETA of the first stop
        "start 08:22",  # the second stop waits for its window
        "09:00-11:00",
        "Code 4521B, 2nd floor",
        "+33 1 23 45 67 89",
        "MA00000000003FR",
        "Signature",
        "12.3 km",
        "Parcels: 4",
    ):
        assert expected in text, expected
    assert route_sheet_pdf(sheet) == pdf


def test_long_routes_paginate_and_keep_every_stop_once() -> None:
    n = 40
    sheet = RouteSheet(route=make_route(n), stops=[make_stop(i) for i in range(1, n + 1)], day=DAY)
    pages = pdf_pages(route_sheet_pdf(sheet))
    assert len(pages) >= 3
    everything = "\n".join(pages)
    for i in range(1, n + 1):
        assert everything.count(f"Recipient {i:03d}") == 1
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} / {len(pages)}" in page
    # Visiting order is kept within and across pages.
    order = [int(x) for page in pages for x in re.findall(r"Recipient (\d{3})", page)]
    assert order == list(range(1, n + 1))


def test_an_empty_route_still_prints_a_sheet() -> None:
    route = make_route(0)
    text = pdf_pages(route_sheet_pdf(RouteSheet(route=route, stops=(), day=DAY)))[0]
    assert "No stop on this route." in text
    with pytest.raises(ValueError, match="at least one"):
        route_sheets_pdf([])


def test_sheets_for_a_solved_day_give_each_driver_their_own_stops() -> None:
    xy = np.array([[0, 0], [10, 0], [20, 0], [-10, 0], [-20, 0]], dtype=float)
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    problem = RoutingProblem(
        Depot(0),
        (Vehicle("east", capacity_parcels=2), Vehicle("west", capacity_parcels=2)),
        tuple(Stop(id=f"s{i}", location=i, parcels=1) for i in range(1, 5)),
        dist,
        dist,
        xy,
    )
    result = solve(problem, seed=1, max_iterations=200)
    details = [SheetStop(stop_id=f"s{i}", name=f"Customer {i}", address="x") for i in range(1, 5)]
    sheets = sheets_for(result, stops=details, day=DAY, drivers={"east": "Ana", "west": "Bo"})
    assert [s.route.vehicle_id for s in sheets] == [r.vehicle_id for r in result.routes]
    pdf = route_sheets_pdf(sheets)
    pages = pdf_pages(pdf)
    assert len(pages) == len(sheets)
    for page, sheet in zip(pages, sheets, strict=True):
        assert ("Ana" if sheet.route.vehicle_id == "east" else "Bo") in page
        for visit in sheet.route.visits:
            assert f"Customer {visit.stop_id[1:]}" in page
    visited = sorted(v.stop_id for s in sheets for v in s.route.visits)
    assert visited == ["s1", "s2", "s3", "s4"]


def test_public_api_is_pinned() -> None:
    assert sorted(sheets_module.__all__) == [
        "RouteSheet",
        "SheetStop",
        "format_time",
        "route_sheet_pdf",
        "route_sheets_pdf",
        "sheets_for",
    ]
