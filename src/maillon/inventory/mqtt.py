"""Shelf-sensor readings from an MQTT broker (paho-mqtt).

``SensorListener`` subscribes to ``maillon/sensors/+/readings`` and records every message
through :func:`maillon.inventory.service.sensors.ingest`; a malformed message is counted and logged,
never fatal. QoS 1 means a broker may deliver a message twice: readings are idempotent.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt

from maillon.core.db import Database
from maillon.core.errors import MaillonError
from maillon.inventory.service.sensors import ingest, parse_mqtt

TOPIC = "maillon/sensors/+/readings"
log = logging.getLogger(__name__)


class SensorListener:
    """Subscribes to sensor readings on a broker and records them."""

    def __init__(
        self,
        db: Database,
        host: str = "127.0.0.1",
        port: int = 1883,
        topic: str = TOPIC,
        client_id: str = "maillon-sensors",
    ) -> None:
        self.db = db
        self.host, self.port, self.topic = host, port, topic
        self.recorded = 0
        self.rejected = 0
        self.subscribed = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, *_args: Any) -> None:
        self.subscribed.set()

    def _on_message(self, _client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            ingest(self.db, parse_mqtt(message.topic, message.payload))
            self.recorded += 1
        except MaillonError as exc:
            self.rejected += 1
            log.warning("sensor message on %s rejected: %s", message.topic, exc.message)

    def start(self) -> None:
        """Connect and process messages in a background thread."""
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the background thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def run_forever(self) -> None:
        """Connect and process messages until interrupted."""
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_forever()
