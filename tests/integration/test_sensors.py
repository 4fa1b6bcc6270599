"""Shelf sensors by HTTP-level service calls and through a real Mosquitto broker."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.inventory.mqtt import SensorListener
from maillon.inventory.service import sensors
from maillon.inventory.tables import SensorReading
from tests.helpers import free_port

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


def reading(rid: str, minutes: int, grams: float) -> sensors.ReadingInput:
    return sensors.ReadingInput("SHELF-1", rid, T0 + timedelta(minutes=minutes), grams)


@pytest.fixture
def shelf(seeded: Database) -> Database:
    # MUG-01 weighs 350 g; PAR1/A01-01 holds 5 in the ledger
    with seeded.transaction() as s:
        sensors.register_sensor(
            session=s,
            code="SHELF-1",
            warehouse_code="PAR1",
            location_code="A01-01",
            sku="MUG-01",
            tare_g=200,
            min_units=2,
        )
    return seeded


def test_readings_are_idempotent_late_ones_change_nothing(shelf: Database) -> None:
    first = sensors.ingest(shelf, reading("r1", 0, 200 + 5 * 350))
    assert first.created and first.units == 5 and first.alerts == ()
    assert not sensors.ingest(shelf, reading("r1", 0, 200 + 5 * 350)).created  # replay
    newer = sensors.ingest(shelf, reading("r3", 10, 200 + 4 * 350 + 20))
    assert newer.units == 4 and newer.alerts == ("discrepancy",)
    late = sensors.ingest(shelf, reading("r2", 5, 200 + 1 * 350))  # older than r3
    assert late.created and late.stale and late.alerts == ()
    with shelf.reader() as s:
        alerts = sensors.open_alerts(session=s)
        assert [(a.kind, a.expected, a.observed) for a in alerts] == [("discrepancy", 5, 4)]
        assert s.scalar(select(func.count()).select_from(SensorReading)) == 3
    back = sensors.ingest(shelf, reading("r4", 20, 200 + 5 * 350))  # matches the ledger again
    assert back.alerts == ()
    with shelf.reader() as s:
        assert sensors.open_alerts(session=s) == []


def test_a_low_shelf_asks_for_replenishment(shelf: Database) -> None:
    outcome = sensors.ingest(shelf, reading("low", 0, 200 + 2 * 350))
    assert "replenish" in outcome.alerts
    with shelf.reader() as s:
        topics = s.scalars(select(OutboxMessage.topic)).all()
    assert "stock.replenish_needed" in topics


def test_mqtt_messages_must_be_well_formed() -> None:
    from maillon.core.errors import ValidationError

    with pytest.raises(ValidationError, match="topic"):
        sensors.parse_mqtt("sensors/x", b"{}")
    with pytest.raises(ValidationError, match="payload"):
        sensors.parse_mqtt("maillon/sensors/S/readings", b'{"grams": 1}')
    ok = sensors.parse_mqtt(
        "maillon/sensors/S/readings",
        b'{"reading_id": "a", "measured_at": "2026-11-02T08:00:00Z", "grams": 5}',
    )
    assert ok.sensor == "S" and ok.measured_at.tzinfo is not None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/bin")
    assert binary, "mosquitto is missing: run scripts/install_test_services.sh"
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            if proc.poll() is not None:  # e.g. the port was taken meanwhile
                raise RuntimeError(f"mosquitto exited ({proc.returncode}) on port {port}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"mosquitto did not listen on port {port}")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_readings_arrive_through_a_real_broker(shelf: Database, broker: int) -> None:
    listener = SensorListener(shelf, "127.0.0.1", broker)
    listener.start()
    try:
        assert listener.subscribed.wait(10)
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-shelf")
        publisher.connect("127.0.0.1", broker)
        publisher.loop_start()
        messages = [("m1", 0, 200 + 5 * 350), ("m1", 0, 200 + 5 * 350), ("m2", 5, 200 + 3 * 350)]
        for rid, minutes, grams in messages:
            body = {
                "reading_id": rid,
                "grams": grams,
                "measured_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            }
            publisher.publish(
                "maillon/sensors/SHELF-1/readings", json.dumps(body), qos=1
            ).wait_for_publish(5)
        publisher.publish("maillon/sensors/SHELF-1/readings", b"not json", qos=1).wait_for_publish(
            5
        )
        deadline = time.monotonic() + 10
        while listener.recorded + listener.rejected < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        publisher.loop_stop()
        publisher.disconnect()
    finally:
        listener.stop()
    assert (listener.recorded, listener.rejected) == (3, 1)
    with shelf.reader() as s:
        assert s.scalar(select(func.count()).select_from(SensorReading)) == 2  # m1 once
        alerts = sensors.open_alerts(session=s)
    assert [(a.kind, a.observed) for a in alerts] == [("discrepancy", 3)]
