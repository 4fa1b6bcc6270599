"""``maillon serve`` alone runs the worker tier: with ``MAILLON_SMTP_URL`` set, an order's
confirmation reaches a real SMTP server within seconds, with no other command, once."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from tests.helpers import order_body
from tests.helpers.database import api_key
from tests.helpers.servers import SmtpSink, maillon_serve

pytestmark = pytest.mark.slow


def test_serve_sends_the_confirmation_by_itself(
    seeded: Database, db_url: str, tmp_path: Path
) -> None:
    key = api_key(seeded, "operator")
    with (
        SmtpSink() as sink,
        maillon_serve(
            db_url,
            tmp_path / "server.log",
            env={
                "MAILLON_SMTP_URL": sink.url,
                "MAILLON_SMTP_FROM": "boutique@example.fr",
                "MAILLON_SHOP_NAME": "Les Tasses de Lyon",
            },
        ) as base,
    ):
        placed = httpx.post(
            f"{base}/api/v1/orders",
            json=order_body(),
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert placed.status_code == 201, placed.text
        number = placed.json()["number"]
        received = sink.wait_for(1)
        assert len(received) == 1, (tmp_path / "server.log").read_text()[-3000:]
        mail = received[0]
        assert mail["To"] == "camille.martin@example.fr"
        assert number in mail["Subject"]
        assert mail["From"] == "Les Tasses de Lyon <boutique@example.fr>"
        assert mail["Date"] and mail["Message-ID"].startswith("<maillon-outbox-")
    with seeded.reader() as session:
        waiting = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.channel == "email", OutboxMessage.delivered_at.is_(None)
            )
        ).all()
    assert waiting == []
    assert len(sink.messages) == 1  # sent once, however many deliveries ran
