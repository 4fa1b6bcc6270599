"""Same-day courier assignment (pure): one job per available courier, optimally.

Crowdsourced or in-house couriers announce an availability window and where they are; a
same-day job is a pick-up (a store, a micro-warehouse) and a drop (the customer) with a ready
time and a deadline. A courier can do a job when, leaving from where they are no earlier
than their availability starts,

    pickup  = max(leave + travel(courier -> pickup), ready)
    drop    = pickup + handover + travel(pickup -> drop)
    drop    <= deadline   and   drop + handover <= available_until

:func:`assign` gives each courier at most one job and each job at most one courier,
maximising first the number of jobs served, then minimising the total travel time
(``scipy.optimize.linear_sum_assignment`` on travel seconds, infeasible pairs priced above
every feasible assignment so they are never preferred, and dropped). Travel times come from a
:class:`~maillon.delivery.travel.TravelProvider` (haversine at bicycle speed by default).
Times are seconds since midnight.

Errors: constructors and :func:`assign` raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from maillon.delivery.travel import (
    HaversineTravel,
    LatLon,
    TrafficProfile,
    TravelProvider,
)

__all__ = [
    "BIKE",
    "Assignment",
    "AssignmentResult",
    "Courier",
    "Job",
    "assign",
    "feasible_pairs",
]

BIKE = HaversineTravel(road_factor=1.3, speed_kmh=15.0, traffic=TrafficProfile())
"""Default travel model: a cargo bike or scooter at 15 km/h, unaffected by traffic."""


def _check_point(what: str, lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(f"{what}: latitude {lat!r} not in [-90, 90].")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(f"{what}: longitude {lon!r} not in [-180, 180].")


@dataclass(frozen=True, slots=True)
class Courier:
    """A courier available in ``[available_from, available_until]`` at (lat, lon).

    Raises ValueError for an empty id, bad coordinates or a window that ends before it starts.
    """

    id: str
    lat: float
    lon: float
    available_from: int
    available_until: int

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("courier id cannot be empty.")
        _check_point(f"courier {self.id!r}", self.lat, self.lon)
        if not 0 <= self.available_from <= self.available_until:
            raise ValueError(f"courier {self.id!r}: availability window is empty or negative.")


@dataclass(frozen=True, slots=True)
class Job:
    """A same-day delivery: pick up at ``pickup`` from ``ready``, drop by ``deadline``.

    ``handover`` is the seconds spent at each end. Raises ValueError for an empty id, bad
    coordinates, a deadline before the ready time or a negative handover.
    """

    id: str
    pickup_lat: float
    pickup_lon: float
    drop_lat: float
    drop_lon: float
    ready: int
    deadline: int
    handover: int = 120

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("job id cannot be empty.")
        _check_point(f"job {self.id!r} pickup", self.pickup_lat, self.pickup_lon)
        _check_point(f"job {self.id!r} drop", self.drop_lat, self.drop_lon)
        if not 0 <= self.ready <= self.deadline:
            raise ValueError(f"job {self.id!r}: deadline before ready time.")
        if self.handover < 0:
            raise ValueError(f"job {self.id!r}: handover < 0 not understood.")


@dataclass(frozen=True, slots=True)
class Assignment:
    """A courier doing a job: when they pick up and drop, and the seconds they ride."""

    job_id: str
    courier_id: str
    pickup_at: int
    drop_at: int
    travel_s: int


@dataclass(frozen=True, slots=True)
class AssignmentResult:
    """The assignments (by job id), the jobs nobody can do in time and the idle couriers."""

    assignments: tuple[Assignment, ...]
    unassigned_jobs: tuple[str, ...]
    idle_couriers: tuple[str, ...]
    total_travel_s: int


@dataclass(frozen=True, slots=True)
class _Pair:
    feasible: bool
    pickup_at: int
    drop_at: int
    travel_s: int


def _pairs(
    couriers: Sequence[Courier], jobs: Sequence[Job], now: int, travel: TravelProvider
) -> list[list[_Pair]]:
    points = [LatLon(c.lat, c.lon) for c in couriers]
    points += [LatLon(j.pickup_lat, j.pickup_lon) for j in jobs]
    points += [LatLon(j.drop_lat, j.drop_lon) for j in jobs]
    dur = travel.matrices(points, departure=now).durations
    n, m = len(couriers), len(jobs)
    out = []
    for i, courier in enumerate(couriers):
        row = []
        leave = max(courier.available_from, now)
        for k, job in enumerate(jobs):
            to_pickup = int(dur[i, n + k])
            ride = int(dur[n + k, n + m + k])
            pickup = max(leave + to_pickup, job.ready)
            drop = pickup + job.handover + ride
            ok = drop <= job.deadline and drop + job.handover <= courier.available_until
            row.append(_Pair(ok, pickup, drop, to_pickup + ride))
        out.append(row)
    return out


def feasible_pairs(
    couriers: Sequence[Courier], jobs: Sequence[Job], *, now: int = 0, travel: TravelProvider = BIKE
) -> dict[tuple[str, str], int]:
    """Return ``(courier id, job id) -> travel seconds`` for every pair that is on time."""
    pairs = _pairs(couriers, jobs, now, travel)
    return {
        (c.id, j.id): pairs[i][k].travel_s
        for i, c in enumerate(couriers)
        for k, j in enumerate(jobs)
        if pairs[i][k].feasible
    }


def assign(
    couriers: Sequence[Courier],
    jobs: Sequence[Job],
    *,
    now: int = 0,
    travel: TravelProvider = BIKE,
) -> AssignmentResult:
    """Return the assignment serving the most jobs on time, then with the least travel.

    Couriers leave no earlier than ``now`` (seconds since midnight). Raises ValueError for a
    negative ``now`` or repeated courier or job ids.
    """
    if now < 0:
        raise ValueError(f"now = {now} < 0 not understood.")
    for what, ids in (("courier", [c.id for c in couriers]), ("job", [j.id for j in jobs])):
        if len(set(ids)) != len(ids):
            raise ValueError(f"{what} ids must be unique.")
    if not couriers or not jobs:
        return AssignmentResult((), tuple(j.id for j in jobs), tuple(c.id for c in couriers), 0)
    pairs = _pairs(couriers, jobs, now, travel)
    cost = np.array([[p.travel_s for p in row] for row in pairs], dtype=np.float64)
    feasible = np.array([[p.feasible for p in row] for row in pairs], dtype=bool)
    # one infeasible pair must cost more than any set of feasible ones
    forbidden = float(cost[feasible].sum()) + 1.0 if feasible.any() else 1.0
    rows, cols = linear_sum_assignment(np.where(feasible, cost, forbidden))
    chosen = []
    for i, k in zip(rows.tolist(), cols.tolist(), strict=True):
        if feasible[i, k]:
            p = pairs[i][k]
            chosen.append(
                Assignment(jobs[k].id, couriers[i].id, p.pickup_at, p.drop_at, p.travel_s)
            )
    chosen.sort(key=lambda a: a.job_id)
    busy = {a.courier_id for a in chosen}
    done = {a.job_id for a in chosen}
    return AssignmentResult(
        assignments=tuple(chosen),
        unassigned_jobs=tuple(j.id for j in jobs if j.id not in done),
        idle_couriers=tuple(c.id for c in couriers if c.id not in busy),
        total_travel_s=sum(a.travel_s for a in chosen),
    )
