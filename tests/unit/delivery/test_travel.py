"""Tests of maillon.delivery.travel: haversine, traffic profiles and the OSRM client."""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from maillon.delivery import travel
from maillon.delivery.travel import (
    FRENCH_URBAN_TRAFFIC,
    HaversineTravel,
    LatLon,
    OsrmTravel,
    TrafficPeriod,
    TrafficProfile,
    TravelMatrices,
    TravelMatrixError,
    TravelProvider,
    haversine_m,
)

PARIS = LatLon(48.8566, 2.3522)
LYON = LatLon(45.7640, 4.8357)
MARSEILLE = LatLon(43.2965, 5.3698)
LONDON = LatLon(51.5074, -0.1278)
LILLE = LatLon(50.6292, 3.0573)


def test_public_api_is_pinned() -> None:
    assert set(travel.__all__) == {
        "EARTH_RADIUS_M",
        "FRENCH_URBAN_TRAFFIC",
        "HaversineTravel",
        "LatLon",
        "OsrmTravel",
        "TrafficPeriod",
        "TrafficProfile",
        "TravelMatrices",
        "TravelMatrixError",
        "TravelProvider",
        "haversine_m",
    }


@pytest.mark.parametrize(
    ("a", "b", "km", "tolerance_km"),
    [
        (PARIS, LYON, 392.0, 2.0),
        (PARIS, MARSEILLE, 661.0, 3.0),
        (PARIS, LONDON, 344.0, 2.0),
        (PARIS, LILLE, 204.0, 2.0),
        (PARIS, PARIS, 0.0, 1e-9),
    ],
)
def test_haversine_matches_known_city_pairs(
    a: LatLon, b: LatLon, km: float, tolerance_km: float
) -> None:
    assert haversine_m(a, b) / 1000 == pytest.approx(km, abs=tolerance_km)
    assert haversine_m(a, b) == pytest.approx(haversine_m(b, a))


def test_haversine_quarter_meridian() -> None:
    # equator to pole along a meridian is a quarter of the circumference
    assert haversine_m(LatLon(0.0, 0.0), LatLon(90.0, 0.0)) == pytest.approx(
        math.pi / 2 * travel.EARTH_RADIUS_M
    )


@pytest.mark.parametrize("point", [LatLon(91.0, 0.0), LatLon(0.0, 181.0), LatLon(math.nan, 0.0)])
def test_haversine_rejects_out_of_range_points(point: LatLon) -> None:
    with pytest.raises(ValueError, match="not in"):
        haversine_m(point, PARIS)


def test_haversine_travel_matrices_apply_road_factor_and_speed() -> None:
    provider = HaversineTravel(road_factor=1.3, speed_kmh=36.0, traffic=TrafficProfile())
    m = provider.matrices([PARIS, LYON, LILLE])
    assert isinstance(provider, TravelProvider)
    assert m.size == 3
    assert m.distances.dtype == np.int64
    assert (np.diagonal(m.distances) == 0).all()
    assert (m.distances == m.distances.T).all()
    assert m.distances[0, 1] == round(haversine_m(PARIS, LYON) * 1.3)
    # 36 km/h = 10 m/s
    assert m.durations[0, 1] == pytest.approx(m.distances[0, 1] / 10, abs=1)
    assert not m.distances.flags.writeable


def test_rush_hour_slows_the_default_french_profile() -> None:
    provider = HaversineTravel()
    points = [PARIS, LatLon(48.8738, 2.2950)]  # Hotel de Ville -> Arc de Triomphe
    night = provider.matrices(points, departure=3 * 3600)
    morning = provider.matrices(points, departure=8 * 3600)
    midday = provider.matrices(points, departure=12 * 3600)
    evening = provider.matrices(points, departure=17 * 3600 + 1800)
    assert (night.distances == morning.distances).all()
    assert night.durations[0, 1] == midday.durations[0, 1]
    assert morning.durations[0, 1] == pytest.approx(night.durations[0, 1] / 0.6, abs=1)
    assert evening.durations[0, 1] == pytest.approx(night.durations[0, 1] / 0.65, abs=1)
    # about 4.6 km as the crow flies, 6 km on the road at 30 km/h: 12 minutes
    assert 600 < night.durations[0, 1] < 900


@pytest.mark.parametrize(
    ("hhmm", "factor"),
    [
        ((7, 29), 1.0),
        ((7, 30), 0.6),
        ((9, 29), 0.6),
        ((9, 30), 1.0),
        ((16, 30), 0.65),
        ((18, 59), 0.65),
        ((19, 0), 1.0),
        ((32, 0), 0.6),
    ],
)
def test_french_urban_profile_periods(hhmm: tuple[int, int], factor: float) -> None:
    assert FRENCH_URBAN_TRAFFIC.speed_factor(hhmm[0] * 3600 + hhmm[1] * 60) == factor


def test_free_flow_without_departure() -> None:
    assert FRENCH_URBAN_TRAFFIC.speed_factor(None) == 1.0


def test_empty_point_list_gives_empty_matrices() -> None:
    assert HaversineTravel().matrices([]).size == 0


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: TrafficPeriod(100, 100, 0.5), "start < end"),
        (lambda: TrafficPeriod(0, 100, 0.0), "speed_factor"),
        (lambda: TrafficPeriod(0, 100, 1.5), "speed_factor"),
        (
            lambda: TrafficProfile((TrafficPeriod(0, 100, 0.5), TrafficPeriod(50, 200, 0.5))),
            "overlap",
        ),
        (lambda: HaversineTravel(road_factor=0.9), "road_factor"),
        (lambda: HaversineTravel(speed_kmh=0.0), "speed_kmh"),
        (lambda: HaversineTravel().matrices([PARIS], departure=-1), "departure"),
        (lambda: TravelMatrices(np.zeros((2, 3), np.int64), np.zeros((2, 3), np.int64)), "square"),
        (lambda: TravelMatrices(np.zeros((2, 2), np.int64), np.zeros((3, 3), np.int64)), "differs"),
        (
            lambda: TravelMatrices(-np.ones((2, 2), np.int64), np.zeros((2, 2), np.int64)),
            "negative",
        ),
        (lambda: OsrmTravel(""), "base_url"),
        (lambda: OsrmTravel("http://x", timeout=0), "timeout"),
        (lambda: OsrmTravel("http://x", max_table_size=1), "max_table_size"),
        (lambda: OsrmTravel("http://x", profile="a/b"), "profile"),
    ],
)
def test_validation_errors(build: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


# ----------------------------------------------------------------- fake OSRM server


@dataclass
class FakeOsrm:
    """Behaviour of the fake server, changed by the tests."""

    mode: str = "ok"  # ok | error | null | slow | garbage
    requests: list[str] = field(default_factory=list)


def _fake_table(path: str, query: dict[str, list[str]]) -> dict[str, Any]:
    coords = path.split("/table/v1/driving/", 1)[1]
    points = [LatLon(float(c.split(",")[1]), float(c.split(",")[0])) for c in coords.split(";")]
    sources = [int(i) for i in query["sources"][0].split(";")] if "sources" in query else None
    dests = (
        [int(i) for i in query["destinations"][0].split(";")] if "destinations" in query else None
    )
    rows = sources if sources is not None else list(range(len(points)))
    cols = dests if dests is not None else list(range(len(points)))
    dist = [[haversine_m(points[i], points[j]) * 1.2 for j in cols] for i in rows]
    return {
        "code": "Ok",
        "distances": dist,
        "durations": [[d / 10.0 for d in row] for row in dist],
    }


@pytest.fixture
def osrm() -> Iterator[tuple[str, FakeOsrm]]:
    state = FakeOsrm()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)  # not urlparse: it cuts the path at ";"
            state.requests.append(self.path)
            status, body = 200, b""
            if state.mode == "slow":
                time.sleep(0.5)
            if state.mode == "error":
                status = 400
                body = json.dumps({"code": "InvalidQuery", "message": "bad coords"}).encode()
            elif state.mode == "garbage":
                status, body = 502, b"<html>bad gateway</html>"
            else:
                answer = _fake_table(url.path, parse_qs(url.query))
                if state.mode == "null":
                    answer["durations"][0][-1] = None
                body = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


POINTS = [
    PARIS,
    LatLon(48.8738, 2.2950),
    LatLon(48.8606, 2.3376),
    LatLon(48.8530, 2.3499),
    LatLon(48.8867, 2.3431),
]


def test_osrm_table_is_read_into_metres_and_seconds(osrm: tuple[str, FakeOsrm]) -> None:
    url, state = osrm
    m = OsrmTravel(url, timeout=2.0).matrices(POINTS)
    assert len(state.requests) == 1
    request = state.requests[0]
    assert request.startswith("/table/v1/driving/2.352200,48.856600;")
    assert "annotations=distance%2Cduration" in request
    assert m.size == len(POINTS)
    assert m.distances[0, 1] == round(haversine_m(POINTS[0], POINTS[1]) * 1.2)
    assert m.durations[0, 1] == round(haversine_m(POINTS[0], POINTS[1]) * 1.2 / 10)
    assert (np.diagonal(m.durations) == 0).all()


def test_osrm_blocks_big_tables_and_gives_the_same_answer(osrm: tuple[str, FakeOsrm]) -> None:
    url, state = osrm
    whole = OsrmTravel(url).matrices(POINTS)
    state.requests.clear()
    blocked = OsrmTravel(url, max_table_size=2).matrices(POINTS)
    assert len(state.requests) == 25  # 5 x 5 blocks of one point each
    assert all("sources=0" in r and "destinations=1" in r for r in state.requests)
    assert (whole.distances == blocked.distances).all()
    assert (whole.durations == blocked.durations).all()


def test_osrm_durations_take_a_traffic_profile(osrm: tuple[str, FakeOsrm]) -> None:
    url, _ = osrm
    free = OsrmTravel(url).matrices(POINTS, departure=8 * 3600)
    busy = OsrmTravel(url, traffic=FRENCH_URBAN_TRAFFIC).matrices(POINTS, departure=8 * 3600)
    assert busy.durations[0, 1] == pytest.approx(free.durations[0, 1] / 0.6, abs=1)


@pytest.mark.parametrize(
    ("mode", "match"),
    [
        ("error", "HTTP 400, code 'InvalidQuery': bad coords"),
        ("garbage", "HTTP 502 with a body that is not a JSON object"),
        ("null", "no route from point 0 to point 4"),
        ("slow", "did not answer within 0.1 s"),
    ],
)
def test_osrm_errors_are_clear(osrm: tuple[str, FakeOsrm], mode: str, match: str) -> None:
    url, state = osrm
    state.mode = mode
    with pytest.raises(TravelMatrixError, match=match):
        OsrmTravel(url, timeout=0.1).matrices(POINTS)


def test_osrm_unreachable_server() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TravelMatrixError, match="unreachable"):
        OsrmTravel(f"http://127.0.0.1:{port}", timeout=1.0).matrices(POINTS)


def test_osrm_uses_an_injected_client(osrm: tuple[str, FakeOsrm]) -> None:
    import httpx

    url, state = osrm
    with httpx.Client() as client:
        provider = OsrmTravel(url, client=client)
        first = provider.matrices(POINTS[:2])
        second = provider.matrices(POINTS[:2])  # the client stays open between calls
    assert len(state.requests) == 2
    assert (first.distances == second.distances).all()
