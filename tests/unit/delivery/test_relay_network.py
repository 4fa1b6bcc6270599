"""The generated relay networks cover all of mainland France, as real ones do, with each
network's id format; the CSV reader reports every bad line."""

from __future__ import annotations

import re

import pytest

from maillon.delivery import relay_network
from maillon.delivery.relay import RelayIndex, RelayPoint, grid_cell, grid_ranges
from maillon.delivery.relay_files import read_points, to_csv

ID_FORMATS = {
    "mondial_relay": r"\d{6}",
    "colissimo": r"\d{6}",
    "chronopost": r"\d{4}[RL]\d*",
    "relais_colis": r"[IL]\d{5}",
    "dpd": r"P\d{5}",
}


@pytest.fixture(scope="module")
def points() -> tuple[RelayPoint, ...]:
    return relay_network.generate()


@pytest.fixture(scope="module")
def index(points: tuple[RelayPoint, ...]) -> RelayIndex:
    return RelayIndex(points)


def test_every_mainland_commune_has_every_network_within_15_km(index: RelayIndex) -> None:
    far = []
    for places in relay_network.mainland_postcodes().values():
        for place in places:
            for network in relay_network.NETWORKS:
                if not index.nearest(place.lat, place.lon, limit=1, max_km=15,
                                     networks=[network]):  # fmt: skip
                    far.append((place.postcode, place.name, network))
    assert far == []


def test_a_grid_over_mainland_france_is_covered(index: RelayIndex) -> None:
    places = RelayIndex(
        tuple(
            RelayPoint(
                id=f"{p.postcode}-{k}",
                network="commune",
                name=p.name,
                address="",
                postcode=p.postcode,
                city=p.name,
                lat=p.lat,
                lon=p.lon,
            )
            for places in relay_network.mainland_postcodes().values()
            for k, p in enumerate(places)
        )
    )
    checked = 0
    for i in range(0, 41):  # every 0.25 degree from 41.25 N to 51.25 N
        lat = 41.25 + 0.25 * i
        for j in range(0, 61):  # from 5.25 W to 9.75 E
            lon = -5.25 + 0.25 * j
            if not places.nearest(lat, lon, limit=1, max_km=5):
                continue  # sea or abroad: no French commune within 5 km
            checked += 1
            assert index.nearest(lat, lon, limit=1, max_km=15), (lat, lon)
    assert checked > 700


@pytest.mark.parametrize(("lat", "lon"), [(48.3904, -4.4861), (46.1711, 1.8717)])
def test_brest_and_gueret_have_relays_and_lockers_of_several_networks(
    index: RelayIndex, lat: float, lon: float
) -> None:
    near = index.nearest(lat, lon, limit=200, max_km=15)
    assert {n.point.network for n in near} >= {"mondial_relay", "colissimo", "chronopost",
                                               "relais_colis"}  # fmt: skip
    assert min(n.distance_km for n in near) < 3


def test_ids_follow_each_network_format_and_are_unique(points: tuple[RelayPoint, ...]) -> None:
    for p in points:
        assert re.fullmatch(ID_FORMATS[p.network], p.id), p
    assert len({(p.network, p.id) for p in points}) == len(points)
    kinds = {p.kind for p in points}
    assert kinds == {"relay", "locker"}
    lockers = [p for p in points if p.kind == "locker"]
    assert all(p.opening_hours == "Mo-Su 00:00-24:00" for p in lockers)
    assert 15_000 < len(points) < 30_000


def test_the_set_is_the_same_for_the_same_seed(points: tuple[RelayPoint, ...]) -> None:
    again = relay_network.generate()
    assert again == points
    assert read_points(to_csv(points[:500])).points == list(points[:500])


def test_grid_ranges_hold_every_point_within_the_radius(points: tuple[RelayPoint, ...]) -> None:
    from maillon.delivery.relay import distance_km

    for lat, lon in ((48.3904, -4.4861), (43.2965, 5.3698), (50.9513, 1.8587)):
        ranges = grid_ranges(lat, lon, 15)
        for p in points:
            if distance_km(lat, lon, p.lat, p.lon) <= 15:
                cell = grid_cell(p.lat, p.lon)
                assert any(a <= cell <= b for a, b in ranges), p


def test_the_reader_reports_every_bad_line() -> None:
    text = (
        "id,network,name,address,postcode,city,lat,lon,opening_hours,kind\n"
        "066974,mondial_relay,Librairie,1 rue A,29200,Brest,48.39,-4.48,,relay\n"
        ",mondial_relay,Sans id,1 rue B,29200,Brest,48.39,-4.48,,relay\n"
        "066975,mondial_relay,Loin,1 rue C,29200,Brest,148.39,east,,kiosk\n"
        "066974,mondial_relay,Doublon,1 rue D,29200,Brest,48.39,-4.48,,relay\n"
        "1234R,chronopost,Tabac,1 rue E,29200,Brest,48.39,-4.48,,locker\n"
    )
    read = read_points(text, carrier="mondial_relay")
    assert [p.id for p in read.points] == ["066974"]
    assert [(e.line, e.column) for e in read.errors] == [
        (3, "id"), (4, "lat"), (4, "lon"), (4, "kind"), (5, "id")
    ]  # fmt: skip
    assert "already on line 2" in str(read.errors[-1])
    assert read.other_carriers == 1
    assert read_points("id,name\n1,x\n").errors[0].column == "network"
