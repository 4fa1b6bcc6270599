"""Fraud helpers for tests: a labelled order history to train on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from maillon.core import clock
from maillon.core.db import Database
from maillon.fraud import service as fraud
from maillon.orders import service as orders
from tests.helpers import order_draft

START = datetime.now(UTC) - timedelta(days=120)
"""Where the labelled history starts."""


def build_history(db: Database, *, n: int = 160, seed: int = 7) -> list[str]:
    """Orders over 80 days, 120 to 40 days ago: regular customers, and every fifth order a
    ring buying on a shared device and card with throw-away e-mails at night, which is
    charged back 10 days later. Returns the fraud order numbers."""
    rng = random.Random(seed)
    fraud_numbers: list[str] = []
    t = START
    for i in range(n):
        t += timedelta(minutes=rng.randint(300, 1000))
        is_fraud = i % 5 == 4
        if is_fraud:
            ring = i // 25
            at = t.replace(hour=rng.choice([1, 2, 3]))
            email = f"buyer{i}@{rng.choice(['yopmail.com', 'mailinator.com', 'example.org'])}"
            signals = {"device_id": f"ring-dev-{ring}", "card_fingerprint": f"ring-card-{ring}"}
            lines: tuple[tuple[str, int], ...] = (("LAMP-02", rng.randint(2, 4)),)
        else:
            at = t.replace(hour=rng.randint(9, 20))
            who = rng.randint(0, 40)
            email = f"client{who}@example.fr"
            signals = {"device_id": f"dev-{who}", "card_fingerprint": f"card-{who}"}
            lines = (("MUG-01", rng.randint(1, 2)),)
        with clock.frozen_at(at):
            order, _ = orders.place_order(
                db,
                order_draft(list(lines), email=email, signals=signals, external_id=f"H{i}"),
                actor="history",
            )
        if is_fraud:
            fraud_numbers.append(order.number)
            with clock.frozen_at(at + timedelta(days=10)), db.transaction() as s:
                fraud.record_chargeback(
                    session=s, number=order.number, amount_cents=order.total_cents, actor="psp"
                )
    return fraud_numbers
