"""Reading a carrier's relay-point list (pure), every bad line reported, not only the first.

The file is a CSV in the points file's format (:data:`maillon.delivery.relay.COLUMNS`: ``id,
network, name, address, postcode, city, lat, lon, opening_hours``), with two optional columns:
``kind`` (``relay`` or ``locker``, default ``relay``) and ``country`` (ISO alpha-2, default
``FR``). ``network`` is the carrier's code in Maillon (``mondial_relay``, ``colissimo``...).
:func:`read_points` returns the good points and one :class:`LineError` per bad line, so an
import can refuse the file (or skip those lines) with a report a person can act on.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from maillon.delivery.model import RelayKind
from maillon.delivery.relay import COLUMNS, RelayPoint

__all__ = ["LineError", "ReadPoints", "read_points", "to_csv"]

MAX_ID = 40
OPTIONAL = ("kind", "country")


@dataclass(frozen=True)
class LineError:
    """What is wrong with one line of the file (line 1 is the header)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass
class ReadPoints:
    """The points read, the bad lines, and the lines of other carriers left out."""

    points: list[RelayPoint] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    other_carriers: int = 0


def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _problems(row: dict[str, str]) -> list[tuple[str, str]]:
    problems = []
    for column in ("id", "network", "name"):
        if not row[column]:
            problems.append((column, "is empty"))
    if len(row["id"]) > MAX_ID:
        problems.append(("id", f"longer than {MAX_ID} characters"))
    if _number(row["lat"], -90, 90) is None:
        problems.append(("lat", f"{row['lat']!r} is not a latitude in [-90, 90]"))
    if _number(row["lon"], -180, 180) is None:
        problems.append(("lon", f"{row['lon']!r} is not a longitude in [-180, 180]"))
    if row["kind"] not in {k.value for k in RelayKind}:
        problems.append(("kind", f"{row['kind']!r} is not relay or locker"))
    if not (len(row["country"]) == 2 and row["country"].isalpha()):
        problems.append(("country", f"{row['country']!r} is not an ISO country code"))
    return problems


def read_points(text: str, *, carrier: str | None = None) -> ReadPoints:
    """Return the points of the CSV ``text`` (only ``carrier``'s when given) and the bad lines.

    A line is bad when a required value is empty, a coordinate is not a number in range, the
    kind or country is unknown, or its (network, id) was seen on an earlier line. A header
    missing a column makes a single error on line 1.
    """
    reader = csv.DictReader(io.StringIO(text))
    out = ReadPoints()
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        out.errors.append(LineError(1, missing[0], "column missing from the header"))
        return out
    seen: dict[tuple[str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        row = {k: (raw.get(k) or "").strip() for k in (*COLUMNS, *OPTIONAL)}
        row["kind"] = row["kind"].lower() or RelayKind.RELAY.value
        row["country"] = row["country"].upper() or "FR"
        if carrier is not None and row["network"] != carrier:
            out.other_carriers += 1
            continue
        problems = _problems(row)
        key = (row["network"], row["id"])
        if key in seen:
            problems.append(("id", f"{row['id']!r} already on line {seen[key]}"))
        if problems:
            out.errors.extend(LineError(line, c, m) for c, m in problems)
            continue
        seen[key] = line
        out.points.append(
            RelayPoint(
                id=row["id"],
                network=row["network"],
                name=row["name"],
                address=row["address"],
                postcode=row["postcode"],
                city=row["city"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                opening_hours=row["opening_hours"],
                kind=row["kind"],
                country=row["country"],
            )
        )
    return out


def to_csv(points: Iterable[RelayPoint]) -> str:
    """Return ``points`` as a CSV :func:`read_points` reads back (with ``kind`` and
    ``country``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, *OPTIONAL])
    for p in points:
        writer.writerow(
            [p.id, p.network, p.name, p.address, p.postcode, p.city, f"{p.lat:.6f}",
             f"{p.lon:.6f}", p.opening_hours, p.kind, p.country]
        )  # fmt: skip
    return buffer.getvalue()
