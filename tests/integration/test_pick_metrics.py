"""Picker metrics from a known history (frozen clock): lines, units, scans, mismatches, pick
accuracy, lines per hour and metres walked, per picker and day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict
from maillon.orders import service as orders
from maillon.warehouse import service
from maillon.warehouse.queries import picking_stats
from maillon.warehouse.service import tasks
from maillon.warehouse.tables import PickList
from tests.helpers import order_draft

GTIN_MUG = "3760000000017"
GTIN_BOOK = "3760000000048"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_metrics_from_a_known_history(seeded: Database) -> None:
    db = seeded
    with clock.frozen_at(at(2, 8)):
        order, _ = orders.place_order(
            db, order_draft([("MUG-01", 2), ("BOOK-07", 1)]), actor="t", allocate=True
        )
        with db.transaction() as s:
            (pick_list,) = service.create_pick_lists(session=s, number=order.number, actor="t")
            pick_list.route_m = 42.5  # as if walked in a warehouse with a layout
        second, _ = orders.place_order(db, order_draft([("MUG-01", 2)]), actor="t", allocate=True)
        with db.transaction() as s:
            service.create_pick_lists(session=s, number=second.number, actor="t")
    with clock.frozen_at(at(2, 9)), db.transaction() as s:
        first = tasks.next_task(session=s, warehouse_code="PAR1", picker="ana")
    assert first is not None and first.order == order.number
    with clock.frozen_at(at(2, 9, 10)), pytest.raises(Conflict):
        tasks.scan(
            db,
            line_id=first.line_id,
            picker="ana",
            location="A01-01",
            barcode=GTIN_BOOK if first.sku == "MUG-01" else GTIN_MUG,
            quantity=first.quantity,
        )
    gtin = {"MUG-01": GTIN_MUG, "BOOK-07": GTIN_BOOK}
    with clock.frozen_at(at(2, 9, 12)):
        outcome = tasks.scan(
            db,
            line_id=first.line_id,
            picker="ana",
            location="a01-01",
            barcode=gtin[first.sku],
            quantity=first.quantity,
        )
    assert outcome.next is not None
    with clock.frozen_at(at(2, 9, 30)):
        done = tasks.scan(
            db,
            line_id=outcome.next.line_id,
            picker="ana",
            location="A01-01",
            barcode=gtin[outcome.next.sku],
            quantity=outcome.next.quantity,
        )
    assert done.list_status == "done"
    # next day, ben takes the other list and finds one mug only: a short pick
    with clock.frozen_at(at(3, 14)), db.transaction() as s:
        task = tasks.next_task(session=s, warehouse_code="PAR1", picker="ben")
    assert task is not None and task.order == second.number
    with clock.frozen_at(at(3, 14, 15)):
        short = tasks.scan(
            db, line_id=task.line_id, picker="ben", location="A01-01", barcode=GTIN_MUG, quantity=1
        )
    assert short.exception is not None and short.list_status in ("open", "done")

    with db.reader() as s:
        days = picking_stats.picker_metrics(session=s, start=date(2026, 3, 1), end=date(2026, 3, 3))
        only_ben = picking_stats.picker_metrics(
            session=s, start=date(2026, 3, 3), end=date(2026, 3, 3), picker="ben"
        )
        lists = {p.picker: p for p in s.query(PickList)}
    ana, ben = days
    assert (ana.picker, ana.day, ben.picker, ben.day) == (
        "ana",
        date(2026, 3, 2),
        "ben",
        date(2026, 3, 3),
    )
    assert (ana.lines, ana.units, ana.scans, ana.mismatches, ana.short_picks) == (2, 3, 3, 1, 0)
    assert ana.accuracy == pytest.approx(1 - 1 / 3, abs=1e-4)
    assert ana.active_hours == pytest.approx(0.5)  # 09:00 list taken -> 09:30 last pick
    assert ana.lines_per_hour == pytest.approx(4.0)
    assert ana.metres == 42.5 and lists["ana"].status == "done"
    assert (ben.lines, ben.units, ben.scans, ben.mismatches, ben.short_picks) == (1, 1, 1, 0, 1)
    assert ben.accuracy == 1.0 and ben.lines_per_hour == pytest.approx(4.0)
    assert only_ben == [ben]
