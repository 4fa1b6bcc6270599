"""Relay points as the checkout and the order validation read them: the nearest points of a
carrier (or of any) to an address, and one point by carrier and id.

The source is the ``relay_points`` table once a list was imported (``maillon relay-points
import``); a fresh install without an import reads the illustrative points file
(:func:`maillon.delivery.relay.default_index`) instead. A nearest search reads the indexed
grid squares (:func:`~maillon.delivery.relay.grid_ranges`) of a small radius first and widens
it (2 km, 5 km, then ``max_km``) only while fewer than ``limit`` points are certain: a request
reads a few squares, never the whole table. Each function takes a session and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from maillon.core.errors import FieldError, ValidationError
from maillon.core.geo import locate_fr
from maillon.delivery.relay import NearPoint, RelayPoint, default_index, distance_km, grid_ranges
from maillon.delivery.tables import RelayPointRow

__all__ = [
    "carriers_of",
    "get_point",
    "has_points",
    "nearest_points",
    "nearest_to_address",
    "require_point",
]

RADII_KM = (2.0, 5.0)
"""The radii tried before ``max_km``: in a town the nearest points are within the first."""

_COLUMNS = (
    RelayPointRow.point_id,
    RelayPointRow.carrier,
    RelayPointRow.name,
    RelayPointRow.address,
    RelayPointRow.postcode,
    RelayPointRow.city,
    RelayPointRow.lat,
    RelayPointRow.lon,
    RelayPointRow.opening_hours,
    RelayPointRow.kind,
    RelayPointRow.country,
)


def _point(row: tuple) -> RelayPoint:  # type: ignore[type-arg]
    point_id, carrier, name, address, postcode, city, lat, lon, hours, kind, country = row
    return RelayPoint(
        id=point_id,
        network=carrier,
        name=name,
        address=address,
        postcode=postcode,
        city=city,
        lat=lat,
        lon=lon,
        opening_hours=hours,
        kind=kind,
        country=country,
    )


def has_points(*, session: Session) -> bool:
    """Return whether an import put active points in the table (else the file is read)."""
    found = session.scalar(
        select(RelayPointRow.id).where(RelayPointRow.active.is_(true())).limit(1)
    )
    return found is not None


def _within(
    session: Session, lat: float, lon: float, radius_km: float, carriers: frozenset[str] | None
) -> list[NearPoint]:
    """Return the active points within ``radius_km`` of (lat, lon), nearest first."""
    cells = or_(*(RelayPointRow.cell.between(a, b) for a, b in grid_ranges(lat, lon, radius_km)))
    # the carriers are filtered here, not in SQL: with ``carrier IN`` SQLite's planner reads
    # every point of the carrier through the (carrier, point_id) index instead of the squares
    query = select(*_COLUMNS).where(cells, RelayPointRow.active.is_(true()))
    near = []
    for row in session.execute(query):
        if carriers is not None and row.carrier not in carriers:
            continue
        d = distance_km(lat, lon, row.lat, row.lon)
        if d <= radius_km:
            near.append(NearPoint(_point(tuple(row)), round(d, 3)))
    near.sort(key=lambda n: (n.distance_km, n.point.network, n.point.id))
    return near


def nearest_points(
    *,
    session: Session,
    lat: float,
    lon: float,
    carriers: Iterable[str] | None = None,
    limit: int = 5,
    max_km: float = 15.0,
) -> tuple[NearPoint, ...]:
    """Return up to ``limit`` active points of ``carriers`` (None: every carrier) within
    ``max_km`` of (lat, lon), nearest first (ties by carrier and id).

    Raises ValueError for ``limit`` < 1 or a negative ``max_km`` (as the file's index does).
    """
    if limit < 1:
        raise ValueError(f"limit {limit} < 1 not understood.")
    if not max_km >= 0:
        raise ValueError(f"max_km {max_km!r} < 0 not understood.")
    wanted = None if carriers is None else frozenset(carriers)
    if not has_points(session=session):
        return default_index().nearest(lat, lon, limit=limit, max_km=max_km, networks=wanted)
    for radius in (*(r for r in RADII_KM if r < max_km), max_km):
        near = _within(session, lat, lon, radius, wanted)
        if len(near) >= limit or radius == max_km:
            return tuple(near[:limit])
    return ()


def nearest_to_address(
    *,
    session: Session,
    country: str,
    postcode: str,
    city: str | None = None,
    carriers: Iterable[str] | None = None,
    limit: int = 5,
    max_km: float = 15.0,
) -> tuple[NearPoint, ...]:
    """Return the points nearest to a French address (placed by its postcode and city).

    Raises ValidationError naming ``postcode`` when the address cannot be placed on the map.
    """
    commune = locate_fr(postcode.strip(), city) if country.upper() == "FR" else None
    if commune is None or commune.lat is None or commune.lon is None:
        raise ValidationError(
            FieldError("postcode", f"{postcode!r} ({country}) cannot be placed on the map")
        )
    return nearest_points(
        session=session,
        lat=commune.lat,
        lon=commune.lon,
        carriers=carriers,
        limit=limit,
        max_km=max_km,
    )


def get_point(*, session: Session, carrier: str, point_id: str) -> RelayPoint | None:
    """Return the active point ``point_id`` of ``carrier``, or None (table, else the file)."""
    if not has_points(session=session):
        for point in default_index().points:
            if point.network == carrier and point.id == point_id:
                return point
        return None
    row = session.execute(
        select(*_COLUMNS).where(
            and_(
                RelayPointRow.carrier == carrier,
                RelayPointRow.point_id == point_id,
                RelayPointRow.active.is_(true()),
            )
        )
    ).first()
    return None if row is None else _point(tuple(row))


def require_point(
    *, session: Session, carrier: str, point_id: str, field: str = "relay_point"
) -> RelayPoint:
    """Return the point an order chose. Raises ValidationError naming ``field`` for an unknown
    or closed point, saying so when the id is a point of another carrier."""
    point = get_point(session=session, carrier=carrier, point_id=point_id)
    if point is not None:
        return point
    others = sorted(carriers_of(session=session, point_id=point_id) - {carrier})
    if others:
        message = f"relay point {point_id!r} belongs to {', '.join(others)}, not {carrier}"
    else:
        message = f"no open relay point {point_id!r} of {carrier}"
    raise ValidationError(FieldError(field, message))


def carriers_of(*, session: Session, point_id: str) -> set[str]:
    """Return the carriers with an open point ``point_id`` (ids may repeat across carriers)."""
    if not has_points(session=session):
        return {p.network for p in default_index().points if p.id == point_id}
    return set(
        session.scalars(
            select(RelayPointRow.carrier).where(
                RelayPointRow.point_id == point_id, RelayPointRow.active.is_(true())
            )
        )
    )
