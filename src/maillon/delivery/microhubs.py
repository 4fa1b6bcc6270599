"""Micro-warehouse what-if (pure): last-mile from the central warehouse vs from urban sites.

Given delivery points (the order history of a period of ``days`` days) and candidate urban
micro-warehouses, :func:`what_if` estimates a day of last-mile delivery in two scenarios:

* **central**: every point is served from the central warehouse;
* **micro**: every point is served from its nearest site (a micro-warehouse, or the central
  warehouse when it is nearer), and each open micro-warehouse is replenished from the central
  warehouse by ``replenishments_per_day`` round trips of a van.

Routes are estimated with the continuous approximation of Daganzo (1984) built on the
Beardwood-Halton-Hammersley theorem, rather than solved, so a year of orders costs
milliseconds. For ``n`` stops a day served from one site, in an area ``A`` (km2, the convex
hull of the site's points, at least ``min_area_km2``), by vehicles taking ``capacity`` stops a
route:

    routes   = ceil(n / capacity)
    km       = road_factor x (2 x r x routes + k x sqrt(n x A))       k = 0.7124 (BHH)
    hours    = km / speed + n x service_s / 3600
    cost     = km x cost_per_km + hours x cost_per_hour (+ a micro site's fixed daily cost)

where ``r`` is the mean straight-line distance from the site to its points (the stem driven
out and back on each route). Vans serve from the central warehouse; micro-warehouses use their
own vehicle (a cargo bike by default). The approximation is good to a few per cent on
hundreds of stops and coarse on a handful: compare scenarios with it, plan routes with
:mod:`maillon.delivery.routing`.

:func:`what_if_vrp` answers the same question by solving the routes (``mode="vrp"`` of the
service): a typical day (``len(points) / days`` points drawn from the history with a seed)
is split between the sites as above and each site's routes are solved with
:func:`maillon.delivery.routing.solve` (PyVRP) on straight-line distances times
``road_factor``, with the vehicle's capacity in stops, its speed and the service time. It
reports the same figures (km, hours, cost, routes), solved instead of estimated, in seconds
instead of milliseconds.

Errors: constructors, :func:`what_if` and :func:`what_if_vrp` raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from maillon.delivery import routing
from maillon.delivery.travel import EARTH_RADIUS_M, LatLon, haversine_m

__all__ = [
    "BHH_CONSTANT",
    "CARGO_BIKE",
    "MAX_VRP_STOPS",
    "VAN",
    "DeliveryPoint",
    "ScenarioFigures",
    "Site",
    "SiteFigures",
    "VehicleProfile",
    "WhatIfResult",
    "convex_hull_area_km2",
    "what_if",
    "what_if_vrp",
]

MAX_VRP_STOPS = 2000
"""The largest day :func:`what_if_vrp` solves (stops of all sites together)."""

BHH_CONSTANT = 0.7124
"""Beardwood-Halton-Hammersley constant for the Euclidean TSP in the plane."""


@dataclass(frozen=True, slots=True)
class VehicleProfile:
    """A last-mile vehicle: stops per route, speed (km/h), costs (cents per km and hour).

    Raises ValueError for a capacity below 1, a non-positive speed or negative costs.
    """

    name: str
    capacity: int
    speed_kmh: float
    cost_per_km_cents: float
    cost_per_hour_cents: float

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"{self.name}: capacity must be at least 1 stop")
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise ValueError(f"{self.name}: speed_kmh must be > 0")
        if self.cost_per_km_cents < 0 or self.cost_per_hour_cents < 0:
            raise ValueError(f"{self.name}: costs must be >= 0")


VAN = VehicleProfile(
    "van", capacity=80, speed_kmh=25.0, cost_per_km_cents=35, cost_per_hour_cents=2800
)
CARGO_BIKE = VehicleProfile(
    "cargo bike", capacity=30, speed_kmh=15.0, cost_per_km_cents=5, cost_per_hour_cents=2200
)


@dataclass(frozen=True, slots=True)
class Site:
    """A warehouse position; ``fixed_cost_cents_per_day`` is a micro site's rent and staff.

    Raises ValueError for an empty id, bad coordinates or a negative cost.
    """

    id: str
    lat: float
    lon: float
    fixed_cost_cents_per_day: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("site id cannot be empty")
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"site {self.id!r}: coordinates out of range")
        if self.fixed_cost_cents_per_day < 0:
            raise ValueError(f"site {self.id!r}: fixed cost must be >= 0")


@dataclass(frozen=True, slots=True)
class DeliveryPoint:
    """Where an order of the history was delivered. Raises ValueError for bad coordinates."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError("delivery point coordinates out of range")


@dataclass(frozen=True, slots=True)
class SiteFigures:
    """One site's estimated day: stops, routes, km, hours, cost (cents)."""

    site: str
    vehicle: str
    stops: float
    routes: int
    area_km2: float
    mean_radius_km: float
    km: float
    hours: float
    cost_cents: float
    replenishment_km: float = 0.0


@dataclass(frozen=True, slots=True)
class ScenarioFigures:
    """A scenario's estimated day, in total and per site."""

    name: str
    km: float
    hours: float
    cost_cents: float
    routes: int
    sites: tuple[SiteFigures, ...]


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    """Both scenarios, what the micro-warehouses change, and the data a chart needs."""

    points: int
    days: int
    central: ScenarioFigures
    micro: ScenarioFigures
    assignment: dict[str, int] = field(default_factory=dict)

    @property
    def saving_km(self) -> float:
        """Kilometres a day saved by the micro-warehouses (negative: more driving)."""
        return round(self.central.km - self.micro.km, 2)

    @property
    def saving_cost_cents(self) -> float:
        """Cost a day saved by the micro-warehouses (negative: dearer)."""
        return round(self.central.cost_cents - self.micro.cost_cents, 2)

    def chart(self) -> dict[str, Any]:
        """Return the series of a grouped bar chart (km, hours, cost in euros) by scenario."""
        scenarios = (self.central, self.micro)
        return {
            "labels": [s.name for s in scenarios],
            "series": {
                "km_per_day": [round(s.km, 1) for s in scenarios],
                "hours_per_day": [round(s.hours, 2) for s in scenarios],
                "cost_eur_per_day": [round(s.cost_cents / 100, 2) for s in scenarios],
            },
            "sites": [
                {"site": f.site, "stops_per_day": round(f.stops, 2), "km_per_day": round(f.km, 1)}
                for f in self.micro.sites
            ],
        }


def _project(points: Sequence[tuple[float, float]], lat0: float) -> list[tuple[float, float]]:
    """Equirectangular projection around ``lat0``: (x, y) in km."""
    k = EARTH_RADIUS_M / 1000 * math.pi / 180
    c = math.cos(math.radians(lat0))
    return [(lon * k * c, lat * k) for lat, lon in points]


def convex_hull_area_km2(points: Sequence[tuple[float, float]]) -> float:
    """Return the area (km2) of the convex hull of (lat, lon) points (0 for fewer than 3)."""
    if len(points) < 3:
        return 0.0
    lat0 = sum(p[0] for p in points) / len(points)
    xy = sorted(set(_project(points, lat0)))
    if len(xy) < 3:
        return 0.0

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in xy:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(xy):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    twice = sum(
        hull[i][0] * hull[(i + 1) % len(hull)][1] - hull[(i + 1) % len(hull)][0] * hull[i][1]
        for i in range(len(hull))
    )
    return abs(twice) / 2


def _site_day(
    site: Site,
    points: Sequence[DeliveryPoint],
    *,
    days: int,
    vehicle: VehicleProfile,
    road_factor: float,
    service_s: float,
    min_area_km2: float,
    fixed: bool,
) -> SiteFigures:
    n_day = len(points) / days
    if not points:
        cost = site.fixed_cost_cents_per_day if fixed else 0.0
        return SiteFigures(site.id, vehicle.name, 0.0, 0, 0.0, 0.0, 0.0, 0.0, float(cost))
    radius = sum(haversine_m(LatLon(site.lat, site.lon), LatLon(p.lat, p.lon)) for p in points) / (
        1000 * len(points)
    )
    area = max(min_area_km2, convex_hull_area_km2([(p.lat, p.lon) for p in points]))
    routes = math.ceil(n_day / vehicle.capacity - 1e-9)
    km = road_factor * (2 * radius * routes + BHH_CONSTANT * math.sqrt(n_day * area))
    hours = km / vehicle.speed_kmh + n_day * service_s / 3600
    cost = km * vehicle.cost_per_km_cents + hours * vehicle.cost_per_hour_cents
    if fixed:
        cost += site.fixed_cost_cents_per_day
    return SiteFigures(site.id, vehicle.name, n_day, routes, area, radius, km, hours, cost)


def _with_trunk(
    day: SiteFigures,
    central: Site,
    site: Site,
    serves: bool,
    van: VehicleProfile,
    road_factor: float,
    replenishments_per_day: float,
) -> SiteFigures:
    """Return a micro-site's day plus its replenishment trips from the central warehouse
    (there and back, by the central's van, ``replenishments_per_day`` times when it serves
    anyone)."""
    trunk = 0.0
    if serves and replenishments_per_day:
        one_way = haversine_m(LatLon(central.lat, central.lon), LatLon(site.lat, site.lon))
        trunk = 2 * one_way / 1000 * road_factor * replenishments_per_day
    trunk_hours = trunk / van.speed_kmh
    return SiteFigures(
        site=day.site,
        vehicle=day.vehicle,
        stops=day.stops,
        routes=day.routes,
        area_km2=day.area_km2,
        mean_radius_km=day.mean_radius_km,
        km=day.km,
        hours=day.hours + trunk_hours,
        cost_cents=day.cost_cents
        + trunk * van.cost_per_km_cents
        + trunk_hours * van.cost_per_hour_cents,
        replenishment_km=trunk,
    )


def _scenario(name: str, figures: Sequence[SiteFigures]) -> ScenarioFigures:
    return ScenarioFigures(
        name=name,
        km=sum(f.km + f.replenishment_km for f in figures),
        hours=sum(f.hours for f in figures),
        cost_cents=sum(f.cost_cents for f in figures),
        routes=sum(f.routes for f in figures),
        sites=tuple(figures),
    )


def what_if(
    points: Sequence[DeliveryPoint],
    central: Site,
    micros: Sequence[Site],
    *,
    days: int = 1,
    van: VehicleProfile = VAN,
    micro_vehicle: VehicleProfile = CARGO_BIKE,
    road_factor: float = 1.3,
    service_s: float = 180.0,
    min_area_km2: float = 1.0,
    replenishments_per_day: int = 1,
) -> WhatIfResult:
    """Return the estimated daily km, hours and cost of both scenarios (see the module).

    ``points`` cover ``days`` days. Raises ValueError for ``days`` < 1, a road factor below 1,
    a negative service time, area or replenishment count, or repeated site ids.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if not (math.isfinite(road_factor) and road_factor >= 1):
        raise ValueError("road_factor must be >= 1")
    if service_s < 0 or min_area_km2 < 0 or replenishments_per_day < 0:
        raise ValueError("service_s, min_area_km2 and replenishments_per_day must be >= 0")
    ids = [central.id, *(m.id for m in micros)]
    if len(set(ids)) != len(ids):
        raise ValueError("site ids must be unique (and differ from the central warehouse's)")

    def day_of(
        site: Site, served: Sequence[DeliveryPoint], vehicle: VehicleProfile, fixed: bool
    ) -> SiteFigures:
        return _site_day(
            site,
            served,
            days=days,
            vehicle=vehicle,
            road_factor=road_factor,
            service_s=service_s,
            min_area_km2=min_area_km2,
            fixed=fixed,
        )

    baseline = _scenario("central", [day_of(central, points, van, False)])

    sites = [central, *micros]
    served: dict[str, list[DeliveryPoint]] = {s.id: [] for s in sites}
    for p in points:
        nearest = min(
            sites,
            key=lambda s: (haversine_m(LatLon(s.lat, s.lon), LatLon(p.lat, p.lon)), s.id),
        )
        served[nearest.id].append(p)
    figures = [day_of(central, served[central.id], van, False)]
    for site in micros:
        day = day_of(site, served[site.id], micro_vehicle, True)
        figures.append(
            _with_trunk(
                day, central, site, bool(served[site.id]), van, road_factor, replenishments_per_day
            )
        )
    return WhatIfResult(
        points=len(points),
        days=days,
        central=baseline,
        micro=_scenario("micro", figures),
        assignment={k: len(v) for k, v in served.items()},
    )


def _assign(
    points: Sequence[DeliveryPoint], sites: Sequence[Site]
) -> dict[str, list[DeliveryPoint]]:
    served: dict[str, list[DeliveryPoint]] = {s.id: [] for s in sites}
    for p in points:
        nearest = min(
            sites,
            key=lambda s: (haversine_m(LatLon(s.lat, s.lon), LatLon(p.lat, p.lon)), s.id),
        )
        served[nearest.id].append(p)
    return served


def _road_metres(where: Sequence[LatLon], road_factor: float) -> npt.NDArray[np.int64]:
    """Return the great-circle distances between ``where`` times ``road_factor``, in whole
    metres (the haversine formula of :func:`~maillon.delivery.travel.haversine_m`, vectorised)."""
    lat = np.radians(np.array([w.lat for w in where], dtype=np.float64))
    lon = np.radians(np.array([w.lon for w in where], dtype=np.float64))
    dphi = lat[None, :] - lat[:, None]
    dlmb = lon[None, :] - lon[:, None]
    h = np.sin(dphi / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlmb / 2) ** 2
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) * road_factor
    out: npt.NDArray[np.int64] = np.rint(metres).astype(np.int64)
    np.fill_diagonal(out, 0)
    return out


def _solved_day(
    site: Site,
    points: Sequence[DeliveryPoint],
    *,
    vehicle: VehicleProfile,
    road_factor: float,
    service_s: float,
    fixed: bool,
    seed: int,
    time_limit: float,
    max_iterations: int | None,
) -> SiteFigures:
    """Solve one site's day of ``points`` with PyVRP and return its figures."""
    if not points:
        cost = site.fixed_cost_cents_per_day if fixed else 0.0
        return SiteFigures(site.id, vehicle.name, 0.0, 0, 0.0, 0.0, 0.0, 0.0, float(cost))
    where = [LatLon(site.lat, site.lon), *(LatLon(p.lat, p.lon) for p in points)]
    size = len(where)
    metres = _road_metres(where, road_factor)
    seconds = np.rint(metres / (vehicle.speed_kmh / 3.6)).astype(np.int64)
    fleet = math.ceil(len(points) / vehicle.capacity) + 2
    problem = routing.RoutingProblem(
        depot=routing.Depot(0),
        vehicles=tuple(
            routing.Vehicle(id=f"{site.id}-{k + 1}", capacity_parcels=vehicle.capacity)
            for k in range(fleet)
        ),
        stops=tuple(
            routing.Stop(id=str(i), location=i, parcels=1, service_time=round(service_s))
            for i in range(1, size)
        ),
        distance_matrix=metres,
        duration_matrix=seconds,
    )
    result = routing.solve(problem, seed=seed, time_limit=time_limit, max_iterations=max_iterations)
    if not result.feasible:
        raise ValueError(f"site {site.id!r}: no feasible routes found; raise the time limit")
    km = result.total_distance / 1000
    hours = result.total_duration / 3600
    cost = km * vehicle.cost_per_km_cents + hours * vehicle.cost_per_hour_cents
    if fixed:
        cost += site.fixed_cost_cents_per_day
    radius = sum(haversine_m(where[0], w) for w in where[1:]) / (1000 * len(points))
    area = convex_hull_area_km2([(p.lat, p.lon) for p in points])
    return SiteFigures(
        site.id,
        vehicle.name,
        float(len(points)),
        result.num_vehicles,
        area,
        radius,
        km,
        hours,
        cost,
    )


def _vrp_day(
    points: Sequence[DeliveryPoint],
    central: Site,
    micros: Sequence[Site],
    days: int,
    road_factor: float,
    service_s: float,
    replenishments_per_day: int,
    seed: int,
) -> list[DeliveryPoint]:
    """Check :func:`what_if_vrp`'s arguments and draw its typical day of points."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if not (math.isfinite(road_factor) and road_factor >= 1):
        raise ValueError("road_factor must be >= 1")
    if service_s < 0 or replenishments_per_day < 0:
        raise ValueError("service_s and replenishments_per_day must be >= 0")
    if not points:
        raise ValueError("give at least one delivery point")
    ids = [central.id, *(m.id for m in micros)]
    if len(set(ids)) != len(ids):
        raise ValueError("site ids must be unique (and differ from the central warehouse's)")
    per_day = max(1, round(len(points) / days))
    if per_day > MAX_VRP_STOPS:
        raise ValueError(f"a day of {per_day} stops is above the {MAX_VRP_STOPS} solved")
    if seed < 0:
        raise ValueError(f"seed = {seed} < 0 not understood.")
    if per_day < len(points):
        rng = np.random.default_rng(seed)
        picked = sorted(int(i) for i in rng.choice(len(points), size=per_day, replace=False))
        return [points[i] for i in picked]
    return list(points)


def what_if_vrp(
    points: Sequence[DeliveryPoint],
    central: Site,
    micros: Sequence[Site],
    *,
    days: int = 1,
    van: VehicleProfile = VAN,
    micro_vehicle: VehicleProfile = CARGO_BIKE,
    road_factor: float = 1.3,
    service_s: float = 180.0,
    replenishments_per_day: int = 1,
    seed: int = 0,
    time_limit: float = 1.0,
    max_iterations: int | None = None,
) -> WhatIfResult:
    """Return the daily km, hours and cost of both scenarios with solved routes.

    A typical day of ``round(len(points) / days)`` points (all of them when ``days`` is 1) is
    drawn from ``points`` with ``seed``; the central scenario solves it from ``central`` with
    ``van``, the micro scenario splits it by nearest site and solves each site's routes
    (``micro_vehicle`` for micro-warehouses, plus their replenishment round trips as in
    :func:`what_if`). Each solve stops after ``time_limit`` seconds or ``max_iterations``.
    ``assignment`` counts the whole history's points by nearest site, like :func:`what_if`.
    Raises ValueError for the arguments :func:`what_if` refuses, no points, a day above
    :data:`MAX_VRP_STOPS` stops, a bad seed or time limit, or a site whose routes are not
    feasible in the time given.
    """
    day = _vrp_day(
        points, central, micros, days, road_factor, service_s, replenishments_per_day, seed
    )

    def solved(
        site: Site, served: Sequence[DeliveryPoint], vehicle: VehicleProfile, fixed: bool
    ) -> SiteFigures:
        return _solved_day(
            site,
            served,
            vehicle=vehicle,
            road_factor=road_factor,
            service_s=service_s,
            fixed=fixed,
            seed=seed,
            time_limit=time_limit,
            max_iterations=max_iterations,
        )

    baseline = _scenario("central", [solved(central, day, van, False)])
    sites = [central, *micros]
    served = _assign(day, sites)
    figures = [solved(central, served[central.id], van, False)]
    for site in micros:
        f = solved(site, served[site.id], micro_vehicle, True)
        figures.append(
            _with_trunk(
                f, central, site, bool(served[site.id]), van, road_factor, replenishments_per_day
            )
        )
    whole = _assign(points, sites)
    return WhatIfResult(
        points=len(points),
        days=days,
        central=baseline,
        micro=_scenario("micro", figures),
        assignment={k: len(v) for k, v in whole.items()},
    )
