"""Importing the carriers' relay points into ``relay_points`` (one transaction per import).

A list is upserted by (carrier, point id): new points are inserted, known ones updated (and
made active again), in bulk statements rather than one per point. A *full* list (a carrier's
file) also closes (``active`` false) the carrier's points it no longer holds; a partial one
(the connector's search around a few postcodes) closes nothing. The caller's transaction
commits it all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import FieldError, ValidationError
from maillon.delivery.relay import RelayPoint, grid_cell
from maillon.delivery.relay_files import LineError
from maillon.delivery.tables import RelayPointRow

BATCH = 2000
"""Rows per bulk statement."""


@dataclass(frozen=True)
class ImportReport:
    """What an import changed: points inserted, updated, closed (absent from a full list)."""

    inserted: int
    updated: int
    closed: int
    carriers: tuple[str, ...]


def refuse_bad_lines(errors: Sequence[LineError], *, limit: int = 50) -> None:
    """Raise ValidationError naming each bad line (``line N``; the first ``limit``) if any."""
    if not errors:
        return
    fields = [FieldError(f"line {e.line}", f"{e.column}: {e.message}") for e in errors[:limit]]
    if len(errors) > limit:
        fields.append(FieldError("file", f"{len(errors) - limit} more bad line(s) not shown"))
    raise ValidationError(fields)


def _values(point: RelayPoint, now: datetime) -> dict[str, object]:
    return {
        "carrier": point.network,
        "point_id": point.id,
        "name": point.name[:200],
        "address": point.address[:300],
        "postcode": point.postcode[:12],
        "city": point.city[:100],
        "country": point.country,
        "lat": point.lat,
        "lon": point.lon,
        "cell": grid_cell(point.lat, point.lon),
        "kind": point.kind,
        "opening_hours": point.opening_hours[:300],
        "active": True,
        "imported_at": now,
    }


def import_points(
    *, session: Session, points: Sequence[RelayPoint], full: bool = True
) -> ImportReport:
    """Upsert ``points`` by (carrier, point id); with ``full``, close the points of the same
    carriers that ``points`` no longer holds. Returns what changed.

    Raises ValidationError naming ``points`` when a (carrier, id) appears twice.
    """
    keys = [(p.network, p.id) for p in points]
    if len(set(keys)) != len(keys):
        raise ValidationError(FieldError("points", "a (carrier, point id) appears twice"))
    carriers = tuple(sorted({p.network for p in points}))
    known: dict[tuple[str, str], int] = {}
    for carrier in carriers:
        rows = session.execute(
            select(RelayPointRow.point_id, RelayPointRow.id).where(RelayPointRow.carrier == carrier)
        )
        known.update({(carrier, point_id): row_id for point_id, row_id in rows})
    now = clock.now()
    new = [_values(p, now) for p in points if (p.network, p.id) not in known]
    changed = [
        {"id": known[(p.network, p.id)], **_values(p, now)}
        for p in points
        if (p.network, p.id) in known
    ]
    for start in range(0, len(new), BATCH):
        session.execute(insert(RelayPointRow), new[start : start + BATCH])
    for start in range(0, len(changed), BATCH):
        session.execute(update(RelayPointRow), changed[start : start + BATCH])
    closed = 0
    if full:
        listed = set(keys)
        stale = [i for key, i in known.items() if key not in listed]
        for start in range(0, len(stale), BATCH):
            result = session.execute(
                update(RelayPointRow)
                .where(
                    RelayPointRow.id.in_(stale[start : start + BATCH]),
                    RelayPointRow.active.is_(True),
                )
                .values(active=False, imported_at=now)
                .execution_options(synchronize_session=False)
            )
            closed += result.rowcount  # type: ignore[attr-defined]
    session.flush()
    return ImportReport(len(new), len(changed), closed, carriers)
