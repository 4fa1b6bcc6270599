"""The OSRM matrix provider against a real (tiny) HTTP server, and slot booking under
concurrency: never more bookings than places."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from maillon.core.db import Database
from maillon.delivery import service
from maillon.delivery.service import lastmile
from maillon.delivery.tables import DeliverySlot, DeliverySlotBooking
from maillon.delivery.travel import HaversineTravel, LatLon, OsrmTravel, TravelMatrixError
from maillon.orders import service as orders
from tests.helpers import order_draft, seed_basic


class OsrmHandler(BaseHTTPRequestHandler):
    """Answers ``/table/v1/driving/lon,lat;...`` like OSRM: 100 m and 10 s per 0.001 degree
    of longitude, honouring ``sources`` and ``destinations``."""

    requests: list[str] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        OsrmHandler.requests.append(url.path)
        if not url.path.startswith("/table/v1/driving/"):
            self.send_response(400)
            self.end_headers()
            self.wfile.write(json.dumps({"code": "InvalidUrl", "message": "bad"}).encode())
            return
        coords = [c.split(",") for c in url.path.rsplit("/", 1)[1].split(";")]
        lons = [float(c[0]) for c in coords]
        query = parse_qs(url.query)
        rows = [int(i) for i in query["sources"][0].split(";")] if "sources" in query else None
        cols = (
            [int(i) for i in query["destinations"][0].split(";")]
            if "destinations" in query
            else None
        )
        rows = rows if rows is not None else list(range(len(lons)))
        cols = cols if cols is not None else list(range(len(lons)))
        dist = [[abs(lons[i] - lons[j]) * 100_000 for j in cols] for i in rows]
        dur = [[abs(lons[i] - lons[j]) * 10_000 for j in cols] for i in rows]
        body = json.dumps({"code": "Ok", "distances": dist, "durations": dur}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osrm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OsrmHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_osrm_provider_reads_a_real_server(osrm: str) -> None:
    points = [LatLon(45.0, 4.800 + 0.001 * i) for i in range(5)]
    whole = OsrmTravel(osrm).matrices(points)
    assert whole.distances[0, 4] == 400 and whole.durations[4, 1] == 30
    # blocks of at most 2 coordinates a request give the same matrix
    OsrmHandler.requests.clear()
    blocked = OsrmTravel(osrm, max_table_size=2).matrices(points)
    assert (blocked.distances == whole.distances).all()
    assert len(OsrmHandler.requests) > 1
    with pytest.raises(TravelMatrixError, match="code 'InvalidUrl'"):
        OsrmTravel(osrm, profile="cycling").matrices(points)
    with pytest.raises(TravelMatrixError, match=r"unreachable|did not answer"):
        OsrmTravel("http://127.0.0.1:9", timeout=1).matrices(points)


def test_plan_with_osrm_travel(osrm: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_basic(db)
    monkeypatch.setenv(lastmile.OSRM_URL_ENV, osrm)
    numbers = [
        orders.place_order(db, order_draft(email=f"o{i}@example.fr"), actor="t")[0].number
        for i in range(2)
    ]
    with db.transaction() as s:
        plan = lastmile.plan_routes(
            session=s,
            warehouse_code="LYS1",
            day=dt.date(2030, 1, 8),
            vehicles=[lastmile.VehicleSpec("V1", None, None, 8 * 3600, 18 * 3600)],
            numbers=numbers,
            travel="osrm",
            actor="t",
        )
        assert plan.travel == "osrm" and {x.status for x in plan.stops} == {"planned"}
        # same place for both orders: 0 m between them, the depot leg as OSRM says
        depot = service.warehouse_point(lastmile.plan_warehouse(session=s, plan=plan))
        leg = round(abs(depot[1] - plan.stops[0].lon) * 100_000)
        assert plan.total_distance_m == 2 * leg
    assert isinstance(lastmile.travel_provider("haversine"), HaversineTravel)


def test_slot_booking_never_exceeds_capacity_under_concurrency(db: Database) -> None:
    seed_basic(db)
    tomorrow = service.local_today() + dt.timedelta(days=2)
    with db.transaction() as s:
        zone = service.create_zone(session=s, code="LY", name="Lyon", country="FR", prefixes=["69"])
        slot = DeliverySlot(
            zone_id=zone.id, day=tomorrow, start_min=600, end_min=720, capacity=3, booked=0
        )
        s.add(slot)
    numbers = [
        orders.place_order(db, order_draft(email=f"x{i}@example.fr"), actor="t")[0].number
        for i in range(8)
    ]
    results: list[str] = []
    barrier = threading.Barrier(len(numbers))

    def book(number: str) -> None:
        barrier.wait()
        try:
            with db.transaction() as s:
                service.book_slot(session=s, slot_id=slot.id, number=number, actor="t")
            results.append("ok")
        except Exception as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=book, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 3 and results.count("Conflict") == 5, results
    with db.reader() as s:
        assert s.get(DeliverySlot, slot.id).booked == 3  # type: ignore[union-attr]
        booked = s.scalar(select(func.count()).where(DeliverySlotBooking.status == "booked"))
        assert booked == 3
