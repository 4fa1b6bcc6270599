"""The micro-warehouse what-if with solved routes (PyVRP) on small instances."""

from __future__ import annotations

import math

import pytest

from maillon.delivery import microhubs
from maillon.delivery.microhubs import (
    CARGO_BIKE,
    VAN,
    DeliveryPoint,
    Site,
    VehicleProfile,
    what_if,
    what_if_vrp,
)
from maillon.delivery.travel import LatLon, haversine_m

CENTRAL = Site("C", 45.70, 4.95)
MICRO = Site("M", 45.76, 4.84, fixed_cost_cents_per_day=5000)
FAST = {"time_limit": 5.0, "max_iterations": 300}


def km(a: Site | DeliveryPoint, b: Site | DeliveryPoint, road: float = 1.3) -> float:
    return haversine_m(LatLon(a.lat, a.lon), LatLon(b.lat, b.lon)) * road / 1000


def test_one_point_is_an_out_and_back_trip() -> None:
    p = DeliveryPoint(45.76, 4.85)
    got = what_if_vrp([p], CENTRAL, [MICRO], **FAST)
    assert got.central.km == pytest.approx(2 * km(CENTRAL, p), abs=0.01)
    assert got.central.routes == 1
    hours = 2 * km(CENTRAL, p) / VAN.speed_kmh + 180 / 3600
    assert got.central.hours == pytest.approx(hours, abs=0.01)
    assert got.central.cost_cents == pytest.approx(
        2 * km(CENTRAL, p) * VAN.cost_per_km_cents + hours * VAN.cost_per_hour_cents, rel=1e-3
    )
    # served from the micro site by bike, plus the van's replenishment round trip
    site = next(f for f in got.micro.sites if f.site == "M")
    assert site.km == pytest.approx(2 * km(MICRO, p), abs=0.01)
    assert site.replenishment_km == pytest.approx(2 * km(CENTRAL, MICRO), abs=0.01)
    assert got.assignment == {"C": 0, "M": 1}


def test_points_on_a_ray_are_one_route_to_the_farthest() -> None:
    # four points on the way out: one route visiting all costs the farthest's round trip
    pts = [DeliveryPoint(45.70 + 0.01 * k, 4.95) for k in range(1, 5)]
    got = what_if_vrp(pts, CENTRAL, [], **FAST)
    assert got.central.routes == 1
    assert got.central.km == pytest.approx(2 * km(CENTRAL, pts[-1]), rel=0.002)


def grid() -> list[DeliveryPoint]:
    return [DeliveryPoint(45.72 + 0.01 * (i % 6), 4.80 + 0.012 * (i // 6)) for i in range(36)]


def test_capacity_bounds_routes_and_distance_has_a_lower_bound() -> None:
    pts = grid()
    bike = VehicleProfile(
        "bike", capacity=5, speed_kmh=15, cost_per_km_cents=5, cost_per_hour_cents=2000
    )
    van = VehicleProfile(
        "van", capacity=7, speed_kmh=25, cost_per_km_cents=35, cost_per_hour_cents=2800
    )
    got = what_if_vrp(pts, CENTRAL, [MICRO], van=van, micro_vehicle=bike, **FAST)
    assert got.central.routes >= math.ceil(36 / 7)
    farthest = max(km(CENTRAL, p) for p in pts)
    assert got.central.km >= 2 * farthest - 0.01
    # never worse than a return trip to every point
    assert got.central.km <= sum(2 * km(CENTRAL, p) for p in pts)
    by_site = {f.site: f for f in got.micro.sites}
    assert sum(f.stops for f in got.micro.sites) == 36
    assert by_site["M"].routes >= math.ceil(by_site["M"].stops / 5)
    assert got.micro.km == pytest.approx(
        sum(f.km + f.replenishment_km for f in got.micro.sites), abs=1e-6
    )
    assert sum(got.assignment.values()) == 36


def test_a_typical_day_is_drawn_from_the_history() -> None:
    pts = grid()
    got = what_if_vrp(pts, CENTRAL, [MICRO], days=4, **FAST)
    assert got.points == 36 and got.days == 4
    assert sum(f.stops for f in got.micro.sites) == 9  # 36 / 4 a day
    assert got.central.sites[0].stops == 9
    assert sum(got.assignment.values()) == 36  # the whole history's split
    again = what_if_vrp(pts, CENTRAL, [MICRO], days=4, **FAST)
    assert again.central.km == got.central.km  # same seed, same day, same routes


def test_solved_and_estimated_agree_roughly_on_a_dense_area() -> None:
    pts = grid()
    solved = what_if_vrp(pts, CENTRAL, [MICRO], **FAST)
    estimated = what_if(pts, CENTRAL, [MICRO])
    for a, b in ((solved.central, estimated.central), (solved.micro, estimated.micro)):
        assert 0.5 < a.km / b.km < 2.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "days"),
        ({"road_factor": 0.5}, "road_factor"),
        ({"service_s": -1}, "service_s"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        what_if_vrp([DeliveryPoint(45.7, 4.9)], CENTRAL, [MICRO], **kwargs)  # type: ignore[arg-type]


def test_no_points_and_duplicate_sites_raise() -> None:
    with pytest.raises(ValueError, match="at least one"):
        what_if_vrp([], CENTRAL, [MICRO])
    with pytest.raises(ValueError, match="unique"):
        what_if_vrp([DeliveryPoint(45.7, 4.9)], CENTRAL, [Site("C", 45.7, 4.9)])
    assert "what_if_vrp" in microhubs.__all__ and CARGO_BIKE.capacity > 0
