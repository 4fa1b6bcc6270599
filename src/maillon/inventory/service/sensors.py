"""Shelf sensors: readings by HTTP or MQTT, turned into units, compared with the ledger.

Each reading is stored once per sensor and reading id (replays change nothing). A reading
older than one already applied is kept as history but changes nothing (sensors and brokers
deliver out of order). An applied reading that disagrees with the ledger opens (or updates) a
discrepancy alert; one at or below the shelf's minimum opens a replenishment alert and
publishes ``stock.replenish_needed`` so the pick face can be refilled. Readings never move
stock by themselves: a person confirms with a count.

A sensor that sends nothing for longer than its reporting interval is *silent*: the scheduled
:func:`check_silent` opens one ``silent`` alert for it (claimed by a conditional update of
``silent_since``, so runs never open a second one), and its next reading closes it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.catalog.service import get_by_sku
from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.db import Database
from maillon.core.errors import (
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.inventory import service as inventory
from maillon.inventory.model import AlertKind
from maillon.inventory.sensing import (
    ShelfConfig,
    ShelfReading,
    ShelfVerdict,
    assess,
    silent_for,
    units_from_grams,
)
from maillon.inventory.tables import SensorReading, ShelfSensor, StockAlert, StockLevel

MAX_INTERVAL_MINUTES = 7 * 24 * 60


def register_sensor(
    *,
    session: Session,
    code: str,
    warehouse_code: str,
    location_code: str,
    sku: str,
    tare_g: int = 0,
    tolerance_units: int = 0,
    min_units: int = 0,
    interval_minutes: int = 15,
) -> ShelfSensor:
    """Register a weighing shelf that reports every ``interval_minutes`` (silent longer, it
    gets an alert). Raises ValidationError, NotFound, DuplicateError."""
    errors = ErrorCollector()
    if not code or len(code) > 60:
        errors.add("code", "1-60 characters")
    for name, value in (
        ("tare_g", tare_g),
        ("tolerance_units", tolerance_units),
        ("min_units", min_units),
    ):
        if value < 0:
            errors.add(name, "must be >= 0")
    if not 1 <= interval_minutes <= MAX_INTERVAL_MINUTES:
        errors.add("interval_minutes", f"from 1 to {MAX_INTERVAL_MINUTES} (a week)")
    errors.raise_if_any()
    if session.scalar(select(ShelfSensor.id).where(ShelfSensor.code == code)) is not None:
        raise DuplicateError("sensor", "code", code)
    product = get_by_sku(session=session, sku=sku)
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    location = inventory.ensure_location(session=session, warehouse=warehouse, code=location_code)
    sensor = ShelfSensor(
        code=code,
        warehouse_id=warehouse.id,
        location_id=location.id,
        product_id=product.id,
        tare_g=tare_g,
        tolerance_units=tolerance_units,
        min_units=min_units,
        interval_minutes=interval_minutes,
        registered_at=clock.now(),
    )
    session.add(sensor)
    session.flush()
    return sensor


@dataclass(frozen=True)
class ReadingInput:
    """A reading as a sensor sends it."""

    sensor: str
    reading_id: str
    measured_at: datetime
    grams: float


@dataclass(frozen=True)
class ReadingOutcome:
    """What a reading did: new or a replay, applied or stale, and the alerts it raised."""

    created: bool
    stale: bool
    units: int
    alerts: tuple[str, ...]


def _open_alert(
    session: Session, sensor: ShelfSensor, kind: str, expected: int, observed: int, note: str
) -> None:
    alert = session.scalar(
        select(StockAlert).where(
            StockAlert.sensor_id == sensor.id,
            StockAlert.kind == kind,
            StockAlert.resolved_at.is_(None),
        )
    )
    if alert is None:
        session.add(
            StockAlert(
                kind=kind,
                sensor_id=sensor.id,
                location_id=sensor.location_id,
                product_id=sensor.product_id,
                expected=expected,
                observed=observed,
                note=note,
                created_at=clock.now(),
            )
        )
    else:
        alert.expected, alert.observed, alert.note = expected, observed, note


def _close_alerts(session: Session, sensor: ShelfSensor, kind: str) -> None:
    for alert in session.scalars(
        select(StockAlert).where(
            StockAlert.sensor_id == sensor.id,
            StockAlert.kind == kind,
            StockAlert.resolved_at.is_(None),
        )
    ):
        alert.resolved_at = clock.now()


def _heard_from(session: Session, sensor: ShelfSensor) -> None:
    """A reading arrived (even a late one): the sensor is alive, its silence is over."""
    sensor.last_seen_at = clock.now()
    if sensor.silent_since is not None:
        sensor.silent_since = None
        _close_alerts(session, sensor, AlertKind.SILENT)


def _check_reading(reading: ReadingInput) -> None:
    """Raise ValidationError for a bad reading id, weight or naive time."""
    errors = ErrorCollector()
    if not reading.reading_id or len(reading.reading_id) > 100:
        errors.add("reading_id", "1-100 characters")
    if not 0 <= reading.grams < 10_000_000:
        errors.add("grams", "must be between 0 and 10,000,000")
    if reading.measured_at.tzinfo is None:
        errors.add("measured_at", "needs a time zone")
    errors.raise_if_any()


def _update_alerts(
    session: Session,
    sensor: ShelfSensor,
    product: Product,
    reading: ReadingInput,
    shelf: ShelfReading,
    ledger: int,
    verdict: ShelfVerdict,
) -> list[str]:
    """Open or close the sensor's discrepancy and replenish alerts; return those opened."""
    alerts = []
    if verdict.discrepancy:
        note = (
            f"shelf shows {shelf.units}, ledger {ledger}"
            if shelf.trusted
            else f"{reading.grams:.0f} g is not a whole number of {product.sku}"
        )
        _open_alert(session, sensor, "discrepancy", int(ledger), shelf.units, note)
        alerts.append("discrepancy")
    else:
        _close_alerts(session, sensor, "discrepancy")
    if verdict.replenish:
        _open_alert(
            session,
            sensor,
            "replenish",
            sensor.min_units,
            shelf.units,
            f"{shelf.units} left, minimum {sensor.min_units}",
        )
        outbox.publish(
            session,
            "stock.replenish_needed",
            {
                "sensor": sensor.code,
                "location_id": sensor.location_id,
                "product_id": sensor.product_id,
                "units": shelf.units,
            },
        )
        alerts.append("replenish")
    elif shelf.trusted:
        _close_alerts(session, sensor, "replenish")
    return alerts


def record_reading(*, session: Session, reading: ReadingInput) -> ReadingOutcome:
    """Store and assess one reading. Raises NotFound (sensor), ValidationError (bad values)."""
    _check_reading(reading)
    sensor = session.scalar(select(ShelfSensor).where(ShelfSensor.code == reading.sensor))
    if sensor is None:
        raise NotFound("sensor", reading.sensor, field="sensor")
    existing = session.scalar(
        select(SensorReading).where(
            SensorReading.sensor_id == sensor.id, SensorReading.reading_id == reading.reading_id
        )
    )
    if existing is not None:
        return ReadingOutcome(False, existing.stale, existing.units, ())
    product = session.get(Product, sensor.product_id)
    assert product is not None
    config = ShelfConfig(
        unit_weight_g=product.weight_g,
        tare_g=sensor.tare_g,
        tolerance_units=sensor.tolerance_units,
        min_units=sensor.min_units,
    )
    shelf = units_from_grams(reading.grams, config)
    stale = sensor.last_measured_at is not None and reading.measured_at <= sensor.last_measured_at
    session.add(
        SensorReading(
            sensor_id=sensor.id,
            reading_id=reading.reading_id,
            measured_at=reading.measured_at,
            received_at=clock.now(),
            grams=reading.grams,
            units=shelf.units,
            trusted=shelf.trusted,
            stale=stale,
        )
    )
    _heard_from(session, sensor)
    if stale:
        return ReadingOutcome(True, True, shelf.units, ())
    sensor.last_measured_at = reading.measured_at
    sensor.last_units = shelf.units
    ledger = (
        session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                StockLevel.location_id == sensor.location_id,
                StockLevel.product_id == sensor.product_id,
            )
        )
        or 0
    )
    verdict = assess(shelf, int(ledger), config)
    alerts = _update_alerts(session, sensor, product, reading, shelf, ledger, verdict)
    return ReadingOutcome(True, False, shelf.units, tuple(alerts))


def ingest(db: Database, reading: ReadingInput) -> ReadingOutcome:
    """Record one reading in its own transaction, safe against concurrent replays."""
    try:
        with db.transaction() as session:
            return record_reading(session=session, reading=reading)
    except IntegrityError:  # the same reading arrived twice at once: the other one won
        return ReadingOutcome(False, False, 0, ())


def known_codes(*, session: Session, codes: set[str]) -> set[str]:
    """Return which of ``codes`` are registered sensors."""
    if not codes:
        return set()
    return set(session.scalars(select(ShelfSensor.code).where(ShelfSensor.code.in_(codes))))


def open_alerts(*, session: Session, limit: int = 200) -> Sequence[StockAlert]:
    """Return unresolved stock alerts, newest first."""
    return session.scalars(
        select(StockAlert)
        .where(StockAlert.resolved_at.is_(None))
        .order_by(StockAlert.id.desc())
        .limit(limit)
    ).all()


def parse_mqtt(topic: str, payload: bytes) -> ReadingInput:
    """Return the reading in an MQTT message on ``maillon/sensors/<code>/readings``.

    The payload is JSON: ``{"reading_id": ..., "measured_at": ISO 8601, "grams": ...}``.
    Raises ValidationError naming what is wrong.
    """
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "maillon" or parts[1] != "sensors" or parts[3] != "readings":
        raise ValidationError(FieldError("topic", "expected maillon/sensors/<code>/readings"))
    try:
        data: Any = json.loads(payload)
        measured = datetime.fromisoformat(str(data["measured_at"]).replace("Z", "+00:00"))
        return ReadingInput(parts[2], str(data["reading_id"]), measured, float(data["grams"]))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError(FieldError("payload", "is not JSON")) from None
    except (KeyError, TypeError) as exc:
        raise ValidationError(FieldError("payload", f"missing or bad field {exc}")) from None
    except ValueError as exc:
        raise ValidationError(FieldError("payload", str(exc))) from None


@dataclass(frozen=True)
class SilenceChange:
    """A sensor found silent (an alert opened) or heard from again (its alert closed)."""

    sensor: str
    silent: bool
    minutes: int  # how long it had been silent when found, 0 when heard from again


def _overdue(sensor: ShelfSensor, now: datetime) -> Any:
    """SQL: the sensor has sent nothing since ``now`` minus its interval (re-checked in the
    claim, so a reading that arrived meanwhile wins)."""
    cutoff = now - timedelta(minutes=sensor.interval_minutes)
    return or_(
        ShelfSensor.last_seen_at < cutoff,
        and_(ShelfSensor.last_seen_at.is_(None), ShelfSensor.registered_at < cutoff),
    )


def _open_silent(session: Session, sensor: ShelfSensor, now: datetime, quiet: timedelta) -> bool:
    claimed = session.execute(
        update(ShelfSensor)
        .where(
            ShelfSensor.id == sensor.id, ShelfSensor.silent_since.is_(None), _overdue(sensor, now)
        )
        .values(silent_since=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return False  # heard from meanwhile, or another run opened its alert
    since = sensor.last_seen_at or sensor.registered_at
    assert since is not None
    session.add(
        StockAlert(
            kind=AlertKind.SILENT.value,
            sensor_id=sensor.id,
            location_id=sensor.location_id,
            product_id=sensor.product_id,
            expected=sensor.interval_minutes,
            observed=int(quiet.total_seconds() // 60),
            note=(
                f"sensor {sensor.code} silent since {clock.as_utc(since):%Y-%m-%d %H:%M} UTC "
                f"(reports every {sensor.interval_minutes} min)"
            )[:200],
            created_at=now,
        )
    )
    return True


def _close_silent(session: Session, sensor: ShelfSensor) -> bool:
    cleared = session.execute(
        update(ShelfSensor)
        .where(ShelfSensor.id == sensor.id, ShelfSensor.silent_since == sensor.silent_since)
        .values(silent_since=None)
        .execution_options(synchronize_session=False)
    )
    if getattr(cleared, "rowcount", 0) != 1:
        return False
    _close_alerts(session, sensor, AlertKind.SILENT)
    return True


def check_silent(*, session: Session) -> list[SilenceChange]:
    """Open a ``silent`` alert for each sensor that has sent nothing for longer than its
    interval (counted from its last reading, else its registration), once per silence, and
    close the alert of each silent sensor heard from since. Returns the changes, by sensor.

    A second run finds nothing new. Sensors registered before intervals existed and never
    heard from are left alone (nothing says since when they are silent).
    """
    now = clock.now()
    changes: list[SilenceChange] = []
    for sensor in session.scalars(select(ShelfSensor).order_by(ShelfSensor.id)).all():
        if sensor.silent_since is not None:
            seen = sensor.last_seen_at
            heard = seen is not None and clock.as_utc(seen) > clock.as_utc(sensor.silent_since)
            if heard and _close_silent(session, sensor):
                changes.append(SilenceChange(sensor.code, False, 0))
            continue
        quiet = silent_for(
            now=now,
            last_seen_at=clock.as_utc(sensor.last_seen_at) if sensor.last_seen_at else None,
            registered_at=clock.as_utc(sensor.registered_at) if sensor.registered_at else None,
            interval_minutes=sensor.interval_minutes,
        )
        if quiet is not None and _open_silent(session, sensor, now, quiet):
            changes.append(SilenceChange(sensor.code, True, int(quiet.total_seconds() // 60)))
    return changes
