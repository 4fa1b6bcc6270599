"""Pure delivery modules: nearest relay points, optimal courier assignment, the micro-
warehouse what-if and slot generation, checked against brute force and hand calculations."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import pytest

from maillon.delivery import couriers, microhubs, relay, slots
from maillon.delivery.travel import LatLon, TravelMatrices

POINTS = relay.default_index().points


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cell_km", [1.0, 5.0, 25.0])
def test_nearest_relay_points_are_truly_the_nearest(seed: int, cell_km: float) -> None:
    index = relay.RelayIndex(POINTS, cell_km=cell_km)
    rng = random.Random(seed)
    for _ in range(60):
        anchor = rng.choice(POINTS)
        lat, lon = anchor.lat + rng.uniform(-0.2, 0.2), anchor.lon + rng.uniform(-0.2, 0.2)
        limit, max_km = rng.randint(1, 10), rng.uniform(0.5, 30)
        networks = None if rng.random() < 0.5 else {"dpd", "colissimo"}
        got = index.nearest(lat, lon, limit=limit, max_km=max_km, networks=networks)
        brute = sorted(
            (relay.distance_km(lat, lon, p.lat, p.lon), p.id)
            for p in POINTS
            if networks is None or p.network in networks
        )
        brute = [b for b in brute if b[0] <= max_km][:limit]
        assert [n.point.id for n in got] == [b[1] for b in brute]


def test_points_file_is_validated() -> None:
    header = ",".join(relay.COLUMNS)
    with pytest.raises(relay.RelayFileError, match="line 2, lat"):
        relay.load_relay_points("x.csv", text=f"{header}\nA,n,Shop,1 rue,75001,Paris,north,2,\n")
    row = "A,n,Shop,1 rue,75001,Paris,48.8,2.3,"
    with pytest.raises(relay.RelayFileError, match="line 3, id"):
        relay.load_relay_points("x.csv", text=f"{header}\n{row}\n{row}\n")
    assert len(POINTS) > 300 and len({p.id for p in POINTS}) == len(POINTS)


class Grid:
    """A travel provider on a line: one minute per 0.01 degree of longitude."""

    def matrices(self, points: list[LatLon], *, departure: int | None = None) -> TravelMatrices:
        n = len(points)
        dur = [[round(abs(a.lon - b.lon) * 6000) for b in points] for a in points]
        return TravelMatrices([[0] * n for _ in range(n)], dur)


def brute_force(cs: list[couriers.Courier], js: list[couriers.Job]) -> tuple[int, int]:
    ok = couriers.feasible_pairs(cs, js, travel=Grid())
    best = (0, 0)
    for k in range(1, min(len(cs), len(js)) + 1):
        for chosen in itertools.permutations(cs, k):
            for jobs in itertools.combinations(js, k):
                pairs = list(zip(chosen, jobs, strict=True))
                if all((c.id, j.id) in ok for c, j in pairs):
                    cost = sum(ok[(c.id, j.id)] for c, j in pairs)
                    best = min(best, (-k, cost))
    return -best[0], best[1]


@pytest.mark.parametrize("seed", range(12))
def test_assignment_is_optimal_against_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    cs = [
        couriers.Courier(f"C{i}", 45.0, rng.uniform(0, 0.3), rng.randint(0, 3000), 20000)
        for i in range(rng.randint(1, 4))
    ]
    js = []
    for i in range(rng.randint(1, 5)):
        ready = rng.randint(0, 3600)
        js.append(
            couriers.Job(
                f"J{i}",
                45.0,
                rng.uniform(0, 0.3),
                45.0,
                rng.uniform(0, 0.3),
                ready,
                ready + rng.randint(600, 5400),
                handover=60,
            )
        )
    result = couriers.assign(cs, js, travel=Grid())
    count, cost = brute_force(cs, js)
    assert len(result.assignments) == count
    assert result.total_travel_s == cost
    ok = couriers.feasible_pairs(cs, js, travel=Grid())
    for a in result.assignments:  # every pair respects windows
        assert (a.courier_id, a.job_id) in ok
        job = next(j for j in js if j.id == a.job_id)
        assert a.drop_at <= job.deadline and a.pickup_at >= job.ready
    assert len({a.courier_id for a in result.assignments}) == len(result.assignments)


def test_assignment_respects_availability_windows() -> None:
    late = couriers.Courier("LATE", 45.0, 0.0, 7200, 20000)  # free from 02:00
    early = couriers.Courier("EARLY", 45.0, 0.1, 0, 3000)  # far, but free now
    job = couriers.Job("J", 45.0, 0.0, 45.0, 0.01, 0, 3000, handover=0)
    result = couriers.assign([late, early], [job], travel=Grid())
    assert [(a.courier_id, a.job_id) for a in result.assignments] == [("EARLY", "J")]
    assert result.idle_couriers == ("LATE",)
    with pytest.raises(ValueError, match="unique"):
        couriers.assign([late, late], [job])


def test_what_if_on_a_hand_made_case() -> None:
    # central at the origin, four customers around a micro site 0.1 degree east
    lat0 = 0.0
    km_per_deg = 6371.0088 * math.pi / 180
    central = microhubs.Site("C", lat0, 0.0)
    micro = microhubs.Site("M", lat0, 0.1, fixed_cost_cents_per_day=1000)
    d = 0.01
    pts = [
        microhubs.DeliveryPoint(lat0 + a, 0.1 + b) for a, b in ((d, d), (d, -d), (-d, d), (-d, -d))
    ]
    van = microhubs.VehicleProfile("van", 10, 20.0, 50, 3000)
    bike = microhubs.VehicleProfile("bike", 10, 10.0, 10, 2000)
    got = microhubs.what_if(
        pts,
        central,
        [micro],
        days=2,
        van=van,
        micro_vehicle=bike,
        road_factor=1.0,
        service_s=360,
        min_area_km2=0.0,
    )
    area = (2 * d * km_per_deg) ** 2  # the square's hull
    n = 2.0  # four stops over two days
    r_central = sum(math.hypot(0.1 + b, a) for a, b in ((d, d), (d, -d), (-d, d), (-d, -d))) / 4
    r_central *= km_per_deg
    km_central = 2 * r_central * 1 + microhubs.BHH_CONSTANT * math.sqrt(n * area)
    assert got.central.km == pytest.approx(km_central, rel=1e-3)
    hours_central = km_central / 20 + n * 360 / 3600
    assert got.central.hours == pytest.approx(hours_central, rel=1e-3)
    assert got.central.cost_cents == pytest.approx(km_central * 50 + hours_central * 3000, rel=1e-3)
    r_micro = math.hypot(d, d) * km_per_deg
    km_micro = 2 * r_micro + microhubs.BHH_CONSTANT * math.sqrt(n * area)
    trunk = 2 * 0.1 * km_per_deg
    assert got.assignment == {"C": 0, "M": 4}
    assert got.micro.km == pytest.approx(km_micro + trunk, rel=1e-3)
    cost = km_micro * 10 + (km_micro / 10 + n * 0.1) * 2000 + 1000 + trunk * 50 + trunk / 20 * 3000
    assert got.micro.cost_cents == pytest.approx(cost, rel=1e-3)
    assert got.saving_km == pytest.approx(km_central - km_micro - trunk, abs=0.01)
    chart = got.chart()
    assert chart["labels"] == ["central", "micro"] and len(chart["series"]["km_per_day"]) == 2


def test_slots_follow_templates_and_skip_holidays() -> None:
    templates = [slots.SlotTemplate(0, 600, 720, 5), slots.SlotTemplate(3, 840, 960, 2, 490)]
    got = slots.generate_slots(templates, first_day=dt.date(2026, 12, 21), days=14)
    days = [s.day for s in got]
    assert dt.date(2026, 12, 24) in days and dt.date(2026, 12, 28) in days
    assert dt.date(2026, 12, 25) not in days  # a Friday and Christmas: no template anyway
    monday_holiday = slots.generate_slots(templates, first_day=dt.date(2026, 4, 6), days=1)
    assert monday_holiday == []  # Easter Monday
    assert (
        slots.zone_for(
            [slots.ZonePrefixes("A", "FR", ("69",)), slots.ZonePrefixes("B", "FR", ("6900",))],
            "FR",
            "69001",
        )
        == "B"
    )
    with pytest.raises(ValueError, match="before it ends"):
        slots.SlotTemplate(0, 720, 600, 1)
