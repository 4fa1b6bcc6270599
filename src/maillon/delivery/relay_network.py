"""A generated but realistic set of relay points and lockers over all of mainland France
(pure, deterministic for a seed): the demo's and the tests' relay networks.

The points are MADE UP (names, street addresses, ids, hours); only their geography is real:
they sit at the communes of La Poste's postal-code file (``maillon/data/laposte_hexasmal.csv``,
© La Poste, ODbL 1.0) with a seeded jitter, spread as the networks are:

* **towns**: the big towns and the prefectures of ``delivery/data/town_population.csv``
  (INSEE legal populations, approximate, rounded to thousands: public facts, Licence Ouverte
  2.0; our compact derived file) get one point per
  :data:`PEOPLE_PER_POINT` inhabitants, drawn among the communes within a radius growing with
  the town, nearer ones likelier; about one in five is a locker;
* **everywhere**: each commune gets a point with probability :data:`RURAL_SHARE`;
* **coverage**: then, for each network, every commune with no point of that network within
  :data:`COVERAGE_KM` gets one, so every mainland postcode area (Brest and Guéret included)
  has points of every network within 15 km.

Networks are Maillon's carrier codes with their id formats: ``mondial_relay`` and
``colissimo`` six digits, ``chronopost`` four digits and a letter (``R`` relay, ``L`` locker),
``relais_colis`` ``I`` (relay) or ``L`` (locker) and five digits, ``dpd`` ``P`` and five
digits. Mainland means metropolitan France with Corsica (postcodes below 97000, Monaco out).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from maillon.core.geo import french_communes
from maillon.delivery.model import RelayKind
from maillon.delivery.relay import RelayPoint, distance_km

__all__ = ["COVERAGE_KM", "NETWORKS", "SEED", "generate", "mainland_postcodes"]

SEED = 20260318
NETWORKS = ("mondial_relay", "colissimo", "relais_colis", "chronopost", "dpd")
NETWORK_SHARE = (0.34, 0.28, 0.18, 0.12, 0.08)
"""How often a town or commune point belongs to each network (Mondial Relay and La Poste's
Pickup being the largest in France)."""

PEOPLE_PER_POINT = 3000
RURAL_SHARE = 0.22
COVERAGE_KM = 11.0
URBAN_LOCKERS = 0.2
RURAL_LOCKERS = 0.03
_CELL = 0.1  # degrees, the generator's own neighbour grid

SHOPS = (
    "Tabac Presse", "Librairie", "Pressing", "Epicerie", "Fleuriste", "Cordonnerie",
    "Superette", "Quincaillerie", "Station service", "Boulangerie", "Bureau de tabac",
    "Maison de la presse", "Jardinerie", "Cave", "Boutique Multiservice",
)  # fmt: skip
LOCKER_NAMES = {
    "mondial_relay": "Locker Mondial Relay",
    "colissimo": "Consigne Pickup Station",
    "relais_colis": "Consigne Relais Colis",
    "chronopost": "Consigne Pickup Chronopost",
    "dpd": "DPD Pickup Station",
}
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "place du Marché",
    "boulevard Gambetta", "rue Pasteur", "rue de la Gare", "avenue de la Liberté",
    "Grande Rue", "rue du Général de Gaulle", "place de l'Église", "rue Nationale",
)  # fmt: skip
HOURS = (
    "Mo-Fr 09:00-19:00; Sa 09:00-12:30",
    "Mo-Sa 08:30-20:00",
    "Tu-Sa 09:00-12:30,14:00-19:00",
    "Mo-Sa 07:00-20:00; Su 08:00-12:30",
)
LOCKER_HOURS = "Mo-Su 00:00-24:00"


@dataclass(frozen=True, slots=True)
class Place:
    """A commune of the La Poste file with coordinates (one per postcode it serves)."""

    postcode: str
    name: str
    lat: float
    lon: float


def mainland_postcodes() -> dict[str, tuple[Place, ...]]:
    """Return every mainland postcode and its communes with coordinates."""
    out: dict[str, tuple[Place, ...]] = {}
    for code, communes in french_communes().items():
        if code >= "97000":
            continue
        places = tuple(
            Place(code, c.name, c.lat, c.lon)
            for c in communes
            if c.lat is not None and c.lon is not None and 41 < c.lat < 52 and -6 < c.lon < 10
        )
        if places:
            out[code] = places
    return out


@cache
def towns() -> tuple[tuple[str, str, int], ...]:
    """Return the big towns: (postcode of the centre, name, inhabitants)."""
    text = resources.files("maillon.delivery").joinpath("data/town_population.csv")
    rows = csv.DictReader(text.read_text("utf-8").splitlines())
    return tuple((r["postcode"], r["name"], int(r["population"])) for r in rows)


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL), math.floor(lon / _CELL)


def _around(
    grid: dict[tuple[int, int], list[Place]], lat: float, lon: float, km: float
) -> Iterator[Place]:
    rows = math.ceil(km / 111.2 / _CELL) + 1
    cols = math.ceil(km / (111.2 * max(0.2, math.cos(math.radians(lat)))) / _CELL) + 1
    r0, c0 = _cell(lat, lon)
    for r in range(r0 - rows, r0 + rows + 1):
        for c in range(c0 - cols, c0 + cols + 1):
            yield from grid.get((r, c), ())


@dataclass
class _Builder:
    rng: random.Random
    points: list[RelayPoint] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    by_network: dict[str, dict[tuple[int, int], list[tuple[float, float]]]] = field(
        default_factory=dict
    )

    def _id(self, network: str, kind: RelayKind) -> str:
        n = self.counters.get(network, 0) + 1 + self.rng.randrange(3)
        self.counters[network] = n
        locker = kind is RelayKind.LOCKER
        if network in ("mondial_relay", "colissimo"):
            return f"{n + 1000:06d}"
        if network == "chronopost":
            return f"{n % 10000:04d}{'L' if locker else 'R'}{'' if n < 10000 else n // 10000}"
        if network == "relais_colis":
            return f"{'L' if locker else 'I'}{n:05d}"
        return f"P{n:05d}"

    def add(self, place: Place, network: str, kind: RelayKind, jitter_km: float) -> None:
        lat = place.lat + self.rng.gauss(0, jitter_km) / 111.2
        lon = place.lon + self.rng.gauss(0, jitter_km) / (111.2 * math.cos(math.radians(lat)))
        city = place.name.title()
        if kind is RelayKind.LOCKER:
            name, hours = f"{LOCKER_NAMES[network]} {city}", LOCKER_HOURS
        else:
            name, hours = f"{self.rng.choice(SHOPS)} {city}", self.rng.choice(HOURS)
        self.points.append(
            RelayPoint(
                id=self._id(network, kind),
                network=network,
                name=name[:200],
                address=f"{self.rng.randint(1, 120)} {self.rng.choice(STREETS)}",
                postcode=place.postcode,
                city=city,
                lat=round(lat, 6),
                lon=round(lon, 6),
                opening_hours=hours,
                kind=kind.value,
            )
        )
        self.by_network.setdefault(network, {}).setdefault(_cell(lat, lon), []).append((lat, lon))

    def covered(self, network: str, lat: float, lon: float, km: float) -> bool:
        cells = self.by_network.get(network, {})
        r0, c0 = _cell(lat, lon)
        span = math.ceil(km / (111.2 * math.cos(math.radians(lat))) / _CELL) + 1
        for r in range(r0 - span, r0 + span + 1):
            for c in range(c0 - span, c0 + span + 1):
                for plat, plon in cells.get((r, c), ()):
                    if distance_km(lat, lon, plat, plon) <= km:
                        return True
        return False

    def network(self) -> str:
        return self.rng.choices(NETWORKS, NETWORK_SHARE)[0]


def _town_points(b: _Builder, grid: dict[tuple[int, int], list[Place]]) -> None:
    postcodes = mainland_postcodes()
    for postcode, _name, people in towns():
        centre = postcodes.get(postcode)
        if not centre:
            continue
        lat, lon = centre[0].lat, centre[0].lon
        radius = 3.0 + 0.25 * math.sqrt(people / 1000)
        near = [(p, distance_km(lat, lon, p.lat, p.lon)) for p in _around(grid, lat, lon, radius)]
        near = [(p, d) for p, d in near if d <= radius]
        weights = [math.exp(-2 * d / radius) for _p, d in near]
        for _ in range(round(people / PEOPLE_PER_POINT)):
            place = b.rng.choices([p for p, _d in near], weights)[0]
            locker = b.rng.random() < URBAN_LOCKERS
            b.add(place, b.network(), RelayKind.LOCKER if locker else RelayKind.RELAY, 0.4)


def generate(seed: int = SEED) -> tuple[RelayPoint, ...]:
    """Return the generated points over mainland France (the same for the same seed)."""
    b = _Builder(random.Random(seed))
    postcodes = mainland_postcodes()
    grid: dict[tuple[int, int], list[Place]] = {}
    for places in postcodes.values():
        for p in places:
            grid.setdefault(_cell(p.lat, p.lon), []).append(p)
    _town_points(b, grid)
    for code in sorted(postcodes):
        for place in postcodes[code]:
            if b.rng.random() < RURAL_SHARE:
                locker = b.rng.random() < RURAL_LOCKERS
                b.add(place, b.network(), RelayKind.LOCKER if locker else RelayKind.RELAY, 0.3)
    order = sorted(postcodes)
    b.rng.shuffle(order)
    for network in NETWORKS:
        for code in order:
            for place in postcodes[code]:
                if not b.covered(network, place.lat, place.lon, COVERAGE_KM):
                    b.add(place, network, RelayKind.RELAY, 0.2)
    return tuple(b.points)
