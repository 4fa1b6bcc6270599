"""Silent shelf sensors: one alert per silence however often the check runs, closed when the
sensor is heard from again (by its reading, or by the next check), through the worker too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey
from sqlalchemy import select

from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.errors import ValidationError
from maillon.inventory.service import sensors
from maillon.inventory.tables import ShelfSensor, StockAlert
from maillon.worker.engine import Engine
from maillon.worker.tasks import HANDLERS, SCHEDULE

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
FIVE_MUGS = 200 + 5 * 350  # tare + 5 x MUG-01 (the ledger's 5 at PAR1/A01-01)


@pytest.fixture
def shelves(seeded: Database) -> Database:
    """SHELF-1 reports every 10 minutes, SHELF-2 every hour; both registered at T0."""
    with clock.frozen_at(T0), seeded.transaction() as s:
        for code, every in (("SHELF-1", 10), ("SHELF-2", 60)):
            sensors.register_sensor(
                session=s,
                code=code,
                warehouse_code="PAR1",
                location_code="A01-01",
                sku="MUG-01",
                tare_g=200,
                interval_minutes=every,
            )
    return seeded


def _check(db: Database, at: datetime) -> list[sensors.SilenceChange]:
    with clock.frozen_at(at), db.transaction() as s:
        return sensors.check_silent(session=s)


def _silent_alerts(db: Database) -> list[tuple[str, int, bool]]:
    """(sensor code, minutes silent when found, still open) of every silent alert."""
    with db.reader() as s:
        rows = s.execute(
            select(ShelfSensor.code, StockAlert.observed, StockAlert.resolved_at)
            .join(ShelfSensor, ShelfSensor.id == StockAlert.sensor_id)
            .where(StockAlert.kind == "silent")
            .order_by(StockAlert.id)
        ).all()
    return [(code, observed, resolved is None) for code, observed, resolved in rows]


def _reading(db: Database, code: str, rid: str, at: datetime) -> None:
    with clock.frozen_at(at):
        sensors.ingest(db, sensors.ReadingInput(code, rid, at, FIVE_MUGS))


def test_one_alert_per_silence_closed_by_the_next_reading(shelves: Database) -> None:
    _reading(shelves, "SHELF-1", "r1", T0 + timedelta(minutes=5))
    assert _check(shelves, T0 + timedelta(minutes=14)) == []  # 9 minutes: within 10
    found = _check(shelves, T0 + timedelta(minutes=20))
    assert found == [sensors.SilenceChange("SHELF-1", True, 15)]
    assert _check(shelves, T0 + timedelta(minutes=25)) == []  # still silent: no second alert
    assert _check(shelves, T0 + timedelta(minutes=40)) == []
    assert _silent_alerts(shelves) == [("SHELF-1", 15, True)]
    # a late reading (measured before the last one) still proves the sensor is alive
    _reading(shelves, "SHELF-1", "r0", T0 + timedelta(minutes=41))
    with shelves.transaction() as s:  # the same reading id again changes nothing
        sensors.record_reading(
            session=s, reading=sensors.ReadingInput("SHELF-1", "r0", T0, FIVE_MUGS)
        )
    assert _silent_alerts(shelves) == [("SHELF-1", 15, False)]
    # silent again later: a new alert for the new silence, SHELF-2 (never heard) too
    found = _check(shelves, T0 + timedelta(minutes=70))
    assert found == [
        sensors.SilenceChange("SHELF-1", True, 29),
        sensors.SilenceChange("SHELF-2", True, 70),
    ]
    assert [a for a in _silent_alerts(shelves) if a[2]] == [
        ("SHELF-1", 29, True),
        ("SHELF-2", 70, True),
    ]


def test_the_check_closes_the_alert_of_a_sensor_heard_meanwhile(shelves: Database) -> None:
    assert _check(shelves, T0 + timedelta(minutes=11)) == [
        sensors.SilenceChange("SHELF-1", True, 11)
    ]
    # a reading recorded by a writer that did not see the silence (a race): the check heals it
    with shelves.transaction() as s:
        sensor = s.scalar(select(ShelfSensor).where(ShelfSensor.code == "SHELF-1"))
        assert sensor is not None
        sensor.last_seen_at = T0 + timedelta(minutes=12)
    assert _check(shelves, T0 + timedelta(minutes=13)) == [
        sensors.SilenceChange("SHELF-1", False, 0)
    ]
    assert _silent_alerts(shelves) == [("SHELF-1", 11, False)]
    assert _check(shelves, T0 + timedelta(minutes=14)) == []


def test_sensors_without_a_start_are_left_alone_and_intervals_are_checked(
    shelves: Database,
) -> None:
    with shelves.transaction() as s:  # registered before intervals existed, never heard
        for sensor in s.scalars(select(ShelfSensor)):
            sensor.registered_at = None
    assert _check(shelves, T0 + timedelta(days=2)) == []
    with shelves.transaction() as s, pytest.raises(ValidationError) as bad:
        sensors.register_sensor(
            session=s,
            code="SHELF-3",
            warehouse_code="PAR1",
            location_code="A01-01",
            sku="MUG-01",
            interval_minutes=0,
        )
    assert "interval_minutes" in str(bad.value)


def test_the_worker_runs_the_check_every_five_minutes(shelves: Database) -> None:
    entry = next(e for e in SCHEDULE if e.name == "inventory.sensor_check")
    assert entry.minutes == 5
    engine = Engine(shelves, huey=MemoryHuey("t", utc=True), handlers=HANDLERS, schedule=())
    ids = []
    for minutes in (30, 35):
        with clock.frozen_at(T0 + timedelta(minutes=minutes)):
            job_id = engine.schedule(entry)
            assert job_id is not None
            engine.run(job_id)
            ids.append(job_id)
    with shelves.reader() as s:
        results = [jobs.get_job(s, i).result for i in ids]
    assert results == [{"silent": 1, "back": 0}, {"silent": 0, "back": 0}]
    assert _silent_alerts(shelves) == [("SHELF-1", 30, True)]


def test_the_check_by_hand(shelves: Database, db_url: str) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app

    with clock.frozen_at(T0 + timedelta(minutes=30)):
        first = CliRunner().invoke(app, ["sensors-check", "--db", db_url])
        again = CliRunner().invoke(app, ["sensors-check", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert "sensor SHELF-1 silent for 30 min: alert opened" in first.output
    assert "0 sensor(s) changed" in again.output
