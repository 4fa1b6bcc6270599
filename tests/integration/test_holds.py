"""Checkout holds: held units are safe, expiry releases them exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict, InsufficientStock, ValidationError
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.service import holds
from tests.helpers import order_draft

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)


def available(db: Database, sku: str) -> int:
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku)
    return sum(r.available for r in rows)


def test_a_hold_keeps_units_from_other_orders_and_confirms_into_an_order(
    seeded: Database,
) -> None:
    with clock.frozen_at(T0), seeded.transaction() as s:
        token = holds.create_hold(session=s, lines=[("BOOK-07", 2)], ttl_seconds=600).token
    assert available(seeded, "BOOK-07") == 0
    other, _ = orders.place_order(seeded, order_draft([("BOOK-07", 1)], external_id="O"), actor="t")
    with seeded.transaction() as s:
        assert not orders.allocate_order(session=s, number=other.number, actor="t").allocated
    with clock.frozen_at(T0 + timedelta(minutes=5)):
        with pytest.raises(ValidationError, match="match the hold"):
            holds.confirm_hold(seeded, token=token, draft=order_draft([("BOOK-07", 1)]), actor="t")
        order = holds.confirm_hold(
            seeded, token=token, draft=order_draft([("BOOK-07", 2)]), actor="t"
        )
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=order.number).status == "allocated"
        assert holds.get_hold(session=s, token=token).status == "confirmed"
        assert inventory.ledger_mismatches(session=s) == []
    with clock.frozen_at(T0 + timedelta(minutes=6)), pytest.raises(Conflict, match="confirmed"):
        holds.confirm_hold(seeded, token=token, draft=order_draft([("BOOK-07", 2)]), actor="t")


def test_a_cart_is_held_in_full_or_not_at_all(seeded: Database) -> None:
    with seeded.transaction() as s, pytest.raises(InsufficientStock) as exc:
        holds.create_hold(session=s, lines=[("MUG-01", 1), ("LAMP-02", 5)])
    assert [(x.sku, x.requested, x.available) for x in exc.value.lines] == [("LAMP-02", 5, 2)]
    assert available(seeded, "MUG-01") == 8


def test_expired_holds_are_released_once_by_concurrent_sweeps(
    seeded: Database, db_url: str
) -> None:
    with clock.frozen_at(T0):
        for _ in range(6):
            with seeded.transaction() as s:
                holds.create_hold(session=s, lines=[("TSHIRT-M", 1)], ttl_seconds=60)
    assert available(seeded, "TSHIRT-M") == 4
    with clock.frozen_at(T0 + timedelta(seconds=30)):
        assert holds.sweep_expired(seeded) == 0  # not yet
    db2 = Database(db_url)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def sweep(db: Database) -> None:
        barrier.wait()
        with clock.frozen_at(T0 + timedelta(minutes=2)):
            counts.append(holds.sweep_expired(db))

    threads = [threading.Thread(target=sweep, args=(d,)) for d in (seeded, db2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db2.dispose()
    assert sum(counts) == 6
    assert available(seeded, "TSHIRT-M") == 10
    with seeded.reader() as s:
        assert inventory.ledger_mismatches(session=s) == []
    with clock.frozen_at(T0 + timedelta(minutes=3)):
        assert holds.sweep_expired(seeded) == 0


def test_an_expired_hold_cannot_be_confirmed(seeded: Database) -> None:
    with clock.frozen_at(T0), seeded.transaction() as s:
        token = holds.create_hold(session=s, lines=[("MUG-01", 1)], ttl_seconds=60).token
    with clock.frozen_at(T0 + timedelta(minutes=2)), pytest.raises(Conflict, match="expired"):
        holds.confirm_hold(seeded, token=token, draft=order_draft([("MUG-01", 1)]), actor="t")
