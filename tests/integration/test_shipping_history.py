"""Scorecards and measured reliability computed from a hand-made shipping history."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft
from maillon.shipping import rates
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up, history, quoting
from maillon.shipping.tables import Shipment
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack


def shipped(db: Database, k: int) -> int:
    """Ship a one-mug order with Colissimo; return the shipment id."""
    # each customer at an address of their own: many accounts shipping to one address is
    # what fraud review holds off the floor
    address = AddressDraft(
        name=f"H {k}", line1=f"{k + 1} rue de la Paix", postcode="69002", city="Lyon", country="FR"
    )
    order, _ = orders.place_order(
        db, order_draft([("MUG-01", 1)], email=f"h{k}@example.fr", address=address), actor="t"
    )
    with db.transaction() as s:
        orders.allocate_order(session=s, number=order.number, actor="t")
        for pick_list in warehouse.create_pick_lists(session=s, number=order.number, actor="p"):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="p"
            )
        pack(s, order.number, "p")
        (shipment,) = shipping.ship_order(
            session=s, number=order.number, carrier_code="colissimo", actor="o"
        )
        return shipment.id


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def nov(day: int) -> date:
    return date(2026, 11, day)


# zone, shipped, delivered or None, promised day, carrier due day
HISTORY = [
    ("FR", at(2, 15), at(4, 10), nov(4), nov(4)),
    ("FR", at(2, 15), at(5, 10), nov(4), nov(4)),
    ("FR", at(3, 15), at(4, 9), nov(5), nov(5)),
    ("FR", at(6, 15), at(10, 9), nov(10), nov(10)),
    ("CORSE", at(2, 15), at(9, 9), nov(5), nov(6)),
    ("CORSE", at(2, 15), None, nov(5), nov(5)),
]


@pytest.fixture
def history_db(seeded: Database) -> list[int]:
    ids = [shipped(seeded, k) for k in range(len(HISTORY))]
    with seeded.transaction() as s:
        for shipment_id, (zone, when, done, promised, due) in zip(ids, HISTORY, strict=True):
            row = s.get(Shipment, shipment_id)
            assert row is not None
            row.zone, row.service_code = zone, "domicile"
            row.shipped_at, row.delivered_at = when, done
            row.status = "delivered" if done else "shipped"
            row.promised_on, row.carrier_due_on = promised, due
        follow_up.add_claim(
            session=s, shipment_id=ids[5], kind="loss", amount_cents=1290, note="", actor="a"
        )
        follow_up.add_claim(
            session=s, shipment_id=ids[1], kind="damage", amount_cents=500, note="", actor="a"
        )
    return ids


def test_scorecards_per_carrier_and_zone(seeded: Database, history_db: list[int]) -> None:
    with seeded.reader() as s:
        rows = history.carrier_scorecards(
            session=s, day_from=date(2026, 11, 1), day_to=date(2026, 11, 30)
        )
    by_zone = {r.zone: r for r in rows if r.carrier == "colissimo"}
    assert list(by_zone) == ["CORSE", "FR", "*"]
    fr = by_zone["FR"]
    assert (fr.shipments, fr.delivered, fr.on_time) == (4, 4, 3)
    assert fr.on_time_rate == pytest.approx(0.75)
    # transit in delivery days (Mon-Sat): 2, 3, 1 and Fri -> Tue = 3 (Sat, Mon, Tue)
    assert fr.transit_p50 == pytest.approx(2.5) and fr.transit_max == 3
    assert fr.transit_p90 == pytest.approx(3.0)
    assert (fr.damage_claims, fr.loss_claims, fr.claims_cents) == (1, 0, 500)
    assert fr.promise.count == 4 and fr.promise.on_time == 3
    corse = by_zone["CORSE"]
    assert (corse.shipments, corse.delivered, corse.on_time) == (2, 1, 0)
    assert (corse.loss_claims, corse.claims_cents) == (1, 1290)
    assert corse.promise.max_days_late == 4  # promised Thu 5th, delivered Mon 9th
    total = by_zone["*"]
    assert (total.shipments, total.delivered, total.on_time, total.claims_cents) == (6, 5, 3, 1790)
    with seeded.reader() as s:
        december = history.carrier_scorecards(
            session=s, day_from=date(2026, 12, 1), day_to=date(2026, 12, 31)
        )
    assert december == ()


def test_measured_reliability_feeds_rate_shopping(seeded: Database, history_db: list[int]) -> None:
    since = datetime(2026, 10, 1, tzinfo=UTC)
    with seeded.reader() as s:
        measured = history.measured_reliability(session=s, since=since)
    assert measured[("colissimo", "domicile", "FR")] == (0.75, 4)
    assert measured[("colissimo", "domicile", "CORSE")] == (0.0, 1)
    assert measured[("colissimo", "domicile", "*")] == (0.6, 5)
    parcel = rates.RateParcel(400, 200, 150, 100)
    with seeded.reader() as s:
        result = quoting.quote_options(
            session=s,
            parcel=parcel,
            destination=rates.Destination("FR", "69002"),
            ordered_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            history_days=3650,
        )
    quote = next(q for q in result.quotes if q.service == "domicile")
    policy = rates.DEFAULT_POLICY
    expected = (0.75 * 4 + policy.prior_on_time * policy.prior_weight) / (4 + policy.prior_weight)
    assert quote.on_time_samples == 4 and quote.on_time_rate == pytest.approx(expected)
    assert "not_set_up" in {e.reason.value for e in result.excluded}  # other cards' carriers


def test_delivery_promises_show_how_often_each_service_kept_them(
    seeded: Database, history_db: list[int]
) -> None:
    with seeded.reader() as s:
        options = quoting.promise_options(
            session=s,
            destination=rates.Destination("FR", "69002"),
            ordered_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
            history_days=3650,
        )
    policy = rates.DEFAULT_POLICY
    domicile = next(o for o in options if (o.carrier, o.service) == ("colissimo", "domicile"))
    assert domicile.on_time_samples == 4  # the four FR deliveries: three on time
    assert domicile.on_time_rate == pytest.approx(
        (0.75 * 4 + policy.prior_on_time * policy.prior_weight) / (4 + policy.prior_weight)
    )
    unmeasured = [o for o in options if o.service != "domicile"]
    assert unmeasured and all(o.on_time_samples == 0 for o in unmeasured)
    assert all(o.on_time_rate == policy.prior_on_time for o in unmeasured)


def test_concurrent_delay_runs_notify_once(seeded: Database) -> None:
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from maillon.core import clock
    from maillon.core.tables import OutboxMessage

    shipped(seeded, 0)

    def run() -> int:
        with clock.frozen_at(datetime(2027, 1, 15, 9, tzinfo=UTC)), seeded.transaction() as s:
            return len(follow_up.detect_delays(session=s, actor="t"))

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(contextvars.copy_context().run, run) for _ in range(2)]
        counts = sorted(f.result() for f in runs)
    assert counts == [0, 1]
    with seeded.reader() as s:
        events = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "shipment.delayed")
        )
    assert events == 1


def test_measured_reliability_sees_a_new_delivery_at_once(
    seeded: Database, history_db: list[int]
) -> None:
    since = datetime(2026, 10, 1, tzinfo=UTC)
    with seeded.reader() as s:
        before = history.measured_reliability(session=s, since=since)
        assert history.measured_reliability(session=s, since=since) == before  # kept
    with seeded.transaction() as s:
        row = s.get(Shipment, history_db[5])  # the lost Corsica parcel turns up, late
        assert row is not None
        row.delivered_at, row.status = at(12, 10), "delivered"
    with seeded.reader() as s:
        after = history.measured_reliability(session=s, since=since)
    assert before[("colissimo", "domicile", "CORSE")] == (0.0, 1)
    assert after[("colissimo", "domicile", "CORSE")] == (0.0, 2)
    assert after[("colissimo", "domicile", "*")] == (0.5, 6)
