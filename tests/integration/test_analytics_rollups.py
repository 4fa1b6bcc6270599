"""The daily rollups of the order facts give exactly the figures the facts give: for whole
days, partial days at either end, periods inside one day, every dimension, and after an
incremental refresh that changed orders of past days. Runs on SQLite, and on PostgreSQL with
MAILLON_TEST_DATABASE_URL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from maillon.acquisition.tables import StorefrontEvent
from maillon.analytics import service as analytics
from maillon.analytics.definitions import DIMENSIONS, KpiTable
from maillon.analytics.queries import kpis_care
from maillon.analytics.service import histograms, refresh, rollups
from maillon.analytics.tables import (
    OrderDayCustomers,
    OrderDayHistogram,
    OrderDayRollup,
    OrderFact,
    OrderMonthHistogram,
    SessionDayRollup,
    SessionFact,
    StockDayRollup,
)
from maillon.care.tables import Ticket, TicketEvent
from maillon.core import clock
from maillon.core.db import Database
from maillon.inventory.tables import StockLevel, StockMovement, Warehouse
from maillon.orders import service as orders
from maillon.returns import service as returns
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.shipping.tables import Carrier
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday: weeks and months are cut inside the data
CHANNELS = ("api", "webshop", "marketplace")


def _compute(db: Database, *, rollups: bool, **period: Any) -> KpiTable:
    with clock.frozen_at(DAY0 + timedelta(days=40)), db.reader() as s:
        return analytics._compute_kpis(
            session=s,
            start=period.get("start"),
            end=period.get("end"),
            by=period.get("by"),
            ship_within_h=period.get("ship_within_h", 24.0),
            costs=None,
            keys=None,
            rollups=rollups,
        )


def _same(db: Database, **period: Any) -> KpiTable:
    """Compute both ways, check they agree, return the table."""
    fast = _compute(db, rollups=True, **period)
    slow = _compute(db, rollups=False, **period)
    assert fast.rows == slow.rows, period
    assert fast.breakdowns == slow.breakdowns, period
    return fast


def _fact(rng: random.Random, order_id: int, created: datetime, ids: dict[str, list[Any]]) -> Any:
    """A random but plausible order fact; durations are whole seconds (sums exact in any
    order)."""
    cancelled = rng.random() < 0.1
    shipped = not cancelled and rng.random() < 0.8
    delivered = shipped and rng.random() < 0.8
    waited = rng.random() < 0.2
    lines = rng.randint(1, 4)
    picked = rng.randint(0, lines) if shipped else 0
    flagged = rng.random() < 0.2

    def maybe(value: float) -> float | None:
        return None if rng.random() < 0.2 else value

    return OrderFact(
        order_id=order_id,
        created_at=created,
        customer_id=rng.randint(1, 40),
        customer_seq=rng.randint(1, 3),
        channel=rng.choice(CHANNELS),
        warehouse_id=rng.choice(ids["warehouse"]),
        carrier_id=rng.choice(ids["carrier"]) if shipped else None,
        status="cancelled" if cancelled else "delivered" if delivered else "confirmed",
        total_cents=rng.randint(500, 20000),
        cancelled=cancelled,
        waited=waited,
        attempted=waited or rng.random() < 0.9,
        n_lines=lines,
        units=lines + rng.randint(0, 2),
        shipped_units=lines + rng.randint(0, 2) if shipped else 0,
        shipped=shipped,
        delivered=delivered,
        cycle_s=float(rng.randint(600, 200_000)) if shipped else None,
        lateness_s=maybe(float(rng.randint(-200_000, 200_000))) if delivered else None,
        transit_s=float(rng.randint(3_600, 300_000)) if shipped and rng.random() < 0.9 else None,
        returned=delivered and rng.random() < 0.2,
        ticketed=rng.random() < 0.1,
        route_m=maybe(float(rng.randint(10, 400))) if shipped else None,
        pick_lines=picked,
        returned_units=rng.randint(0, 2) if delivered else 0,
        pick_scans=picked + rng.randint(0, 1),
        pick_mismatches=rng.randint(0, 1) if picked else 0,
        picked_lines=picked,
        pick_s=maybe(float(rng.randint(30, 3000))) if picked else None,
        parcels=rng.randint(1, 2) if shipped else 0,
        carton_cents=rng.randint(30, 90) if shipped else 0,
        ship_cents=maybe(rng.randint(400, 900)) if shipped else None,
        fraud_flagged=flagged,
        fraud_confirmed=rng.random() < 0.05,
        fraud_cleared=flagged and rng.random() < 0.5,
    )


@pytest.fixture
def facts(seeded: Database) -> Database:
    """About 600 random order facts over 40 days (some at midnight sharp, some in no
    warehouse or an unknown one), and their rollups."""
    rng = random.Random(11)
    with seeded.transaction() as s:
        ids: dict[str, list[Any]] = {
            "warehouse": [*s.scalars(select(Warehouse.id)), None, 999],
            "carrier": [*s.scalars(select(Carrier.id)), None],
        }
        for order_id in range(1, 601):
            if order_id % 25 == 0:
                created = DAY0 + timedelta(days=rng.randrange(40))  # midnight sharp
            else:
                created = DAY0 + timedelta(seconds=rng.randrange(40 * 86400))
            s.add(_fact(rng, order_id, created, ids))
        for n in range(400):
            cart = rng.random() < 0.4
            started = DAY0 + timedelta(seconds=rng.randrange(40 * 86400))
            s.add(
                SessionFact(
                    session_id=f"s{n}",
                    started_at=started.replace(hour=0, minute=0, second=0) if n % 20 else started,
                    channel=rng.choice(("organic", "email", "")),
                    cart=cart,
                    purchased=cart and rng.random() < 0.5,
                    cart_cents=rng.randint(0, 9000) if cart else 0,
                )
            )
        levels = list(
            s.execute(select(StockLevel.id, StockLevel.product_id, StockLevel.warehouse_id))
        )
        for n in range(300):
            level, product, warehouse_id = rng.choice(levels)
            kind = rng.choice(("ship", "ship", "receipt", "adjustment", "reserve"))
            delta = {"ship": -1, "receipt": 5, "adjustment": rng.choice((-2, 3))}.get(kind, 0)
            moved = DAY0 + timedelta(seconds=rng.randrange(40 * 86400))
            s.add(
                StockMovement(
                    stock_level_id=level,
                    product_id=product,
                    warehouse_id=warehouse_id,
                    kind=kind,
                    delta_on_hand=delta,
                    delta_reserved=-1 if kind == "ship" else 1 if kind == "reserve" else 0,
                    reference=f"r{n}",
                    reason="",
                    actor="t",
                    created_at=moved.replace(hour=0, minute=0, second=0) if n % 15 == 0 else moved,
                )
            )
        s.flush()
        dialect = s.get_bind().dialect.name
        refresh.refresh_stock_rollups(s, full=True)
        rollups.refresh_rollups(s, dialect, None)
        histograms.rebuild_histograms(s, dialect)
        rollups.refresh_session_rollups(s, dialect, None)
    return seeded


PERIODS: list[tuple[datetime | None, datetime | None]] = [
    (None, None),
    (DAY0, DAY0 + timedelta(days=40)),  # whole days only
    (DAY0 + timedelta(days=3, hours=5, minutes=7), DAY0 + timedelta(days=31, hours=17)),
    (DAY0 + timedelta(days=3), DAY0 + timedelta(days=31, hours=17)),  # partial end only
    (DAY0 + timedelta(days=3, hours=5), DAY0 + timedelta(days=31)),  # partial start only
    (DAY0 + timedelta(days=5, hours=1), DAY0 + timedelta(days=5, hours=23)),  # inside a day
    (DAY0 + timedelta(days=5, hours=1), DAY0 + timedelta(days=6, hours=23)),  # no whole day
    (DAY0 + timedelta(days=5, hours=1), DAY0 + timedelta(days=7, hours=1)),  # one whole day
    (None, DAY0 + timedelta(days=12, hours=3)),
    (DAY0 + timedelta(days=12, hours=3), None),
]


@pytest.mark.parametrize("by", [None, *DIMENSIONS])
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_rollups_give_the_figures_of_the_facts(
    facts: Database, by: str | None, start: datetime | None, end: datetime | None
) -> None:
    table = _same(facts, start=start, end=end, by=by)
    assert sum(int(row.get("orders") or 0) for row in table.rows.values()) > 0


@pytest.mark.parametrize(("start", "end"), [p for p in PERIODS if p[0] and p[1]])
def test_orders_per_day_from_the_rollups_are_those_of_the_facts(
    facts: Database, start: datetime, end: datetime
) -> None:
    with facts.reader() as s:
        fast = analytics.orders_per_day(session=s, start=start, end=end)
        slow = analytics.orders_per_day(session=s, start=start, end=end, rollups=False)
    assert fast == slow
    assert sum(fast.values()) > 0 and list(fast) == sorted(fast)


def test_storefront_figures_come_from_the_session_rollups(facts: Database) -> None:
    period = {"start": DAY0 + timedelta(days=2, hours=7), "end": DAY0 + timedelta(days=30)}
    row = _same(facts, **period).rows["all"]
    assert row["sessions"] and row["conversion_pct"] is not None
    with facts.transaction() as s:
        s.execute(delete(SessionFact))
    whole = {"start": DAY0 + timedelta(days=3), "end": DAY0 + timedelta(days=30)}
    assert _compute(facts, rollups=True, **whole).rows["all"]["sessions"]
    assert _compute(facts, rollups=False, **whole).rows["all"]["sessions"] is None


def test_stock_figures_come_from_the_ledger_rollups(facts: Database) -> None:
    whole = {"start": DAY0 + timedelta(days=3), "end": DAY0 + timedelta(days=30)}
    for by in (None, "warehouse"):
        table = _same(facts, by=by, **whole)
        assert any(row.get("units_shipped") for row in table.rows.values())
    with facts.reader() as s:
        assert s.scalar(select(func.count()).select_from(StockDayRollup))


def test_a_period_in_another_time_zone_is_cut_at_utc_midnight(facts: Database) -> None:
    paris = datetime(2026, 3, 4, tzinfo=UTC).astimezone().tzinfo
    start = datetime(2026, 3, 4, 0, 30, tzinfo=UTC).astimezone(paris)
    _same(facts, start=start, end=start + timedelta(days=9), by="day")


def test_another_shipping_threshold_reads_the_facts(facts: Database) -> None:
    period = {"start": DAY0, "end": DAY0 + timedelta(days=40)}
    within_12 = _same(facts, ship_within_h=12.0, **period).rows["all"]
    within_24 = _same(facts, **period).rows["all"]
    assert within_12["on_time_shipping_pct"] is not None
    assert within_12["on_time_shipping_pct"] < (within_24["on_time_shipping_pct"] or 0)


def test_whole_days_are_read_from_the_rollups(facts: Database) -> None:
    period = {"start": DAY0 + timedelta(days=2), "end": DAY0 + timedelta(days=9)}
    before = _compute(facts, rollups=True, **period).rows["all"]
    with facts.transaction() as s:
        s.execute(delete(OrderFact))
    assert _compute(facts, rollups=True, **period).rows["all"]["orders"] == before["orders"]
    assert _compute(facts, rollups=False, **period).rows.get("all", {}).get("orders") is None


# -- incremental refresh through the chain ------------------------------------------------------


def _rollup_rows(db: Database) -> list[list[tuple[Any, ...]]]:
    """Every row of the order rollup and histogram tables."""
    with db.reader() as s:
        return [
            [tuple(row) for row in s.execute(select(t).order_by(*t.primary_key))]
            for t in (
                OrderDayRollup.__table__,
                OrderDayCustomers.__table__,
                OrderDayHistogram.__table__,
                OrderMonthHistogram.__table__,
                StockDayRollup.__table__,
            )
        ]


def _refresh(db: Database, *, full: bool = False) -> int:
    with db.transaction() as s:
        return analytics.refresh_order_facts(session=s, full=full)


def test_an_incremental_refresh_updates_the_rollups_of_the_days_changed(seeded: Database) -> None:
    db = seeded

    def place(day: int, hour: int, lines: list[tuple[str, int]]) -> str:
        with clock.frozen_at(DAY0 + timedelta(days=day, hours=hour)):
            order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
        return order.number

    a = place(0, 10, [("MUG-01", 1)])
    b = place(0, 23, [("BOOK-07", 1)])
    c = place(1, 0, [("TSHIRT-M", 1)])  # midnight sharp
    d = place(2, 9, [("MUG-01", 1)])
    place(3, 12, [("LAMP-02", 50)])  # waits for stock
    with clock.frozen_at(DAY0 + timedelta(days=4)):
        _refresh(db)
    whole = {"start": DAY0, "end": DAY0 + timedelta(days=5)}
    before = _same(db, by="day", **whole).rows
    assert before["2026-03-01"]["orders"] == 2 and before["2026-03-02"]["orders"] == 1

    # later, orders of past days move on: a ships and is delivered, then comes back; c is
    # cancelled; d ships
    with clock.frozen_at(DAY0 + timedelta(days=5, hours=8)), db.transaction() as s:
        (pick_list,) = warehouse.create_pick_lists(session=s, number=a, actor="p")
        warehouse.confirm_pick_list(session=s, pick_list_id=pick_list.id, picked=None, actor="p")
        (pick_list,) = warehouse.create_pick_lists(session=s, number=d, actor="p")
        warehouse.confirm_pick_list(session=s, pick_list_id=pick_list.id, picked=None, actor="p")
    with clock.frozen_at(DAY0 + timedelta(days=5, hours=9)), db.transaction() as s:
        for number in (a, d):
            pack(s, number, "p")
            shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="o")
    with clock.frozen_at(DAY0 + timedelta(days=6)), db.transaction() as s:
        follow_up.mark_delivered(session=s, number=a, actor="o")
        orders.cancel_order(session=s, number=c, reason="changed mind", actor="t")
    with clock.frozen_at(DAY0 + timedelta(days=7)), db.transaction() as s:
        returns.request_return(
            session=s, number=a, lines=[("MUG-01", 1)], reason="wrong_size", actor="t"
        )
    with clock.frozen_at(DAY0 + timedelta(days=8)):
        assert _refresh(db) == 3  # a, c and d changed; b did not
    after = _same(db, by="day", **whole).rows
    assert after["2026-03-01"]["return_rate_pct"] == 100.0  # a delivered, then returned
    assert after["2026-03-02"]["cancel_rate_pct"] == 100.0  # c
    assert after["2026-03-03"]["cycle_time_mean_h"] is not None  # d shipped
    assert after["2026-03-04"] == before["2026-03-04"]
    for by in (None, "carrier", "warehouse", "week"):
        _same(db, by=by, **whole)
        _same(db, by=by, start=DAY0 + timedelta(hours=11), end=DAY0 + timedelta(days=2, hours=1))

    # the rollups refreshed day by day are those a full rebuild gives
    incremental = _rollup_rows(db)
    assert all(incremental)
    with clock.frozen_at(DAY0 + timedelta(days=8)):
        assert _refresh(db, full=True) == 5
    assert _rollup_rows(db) == incremental
    assert b


def _event(sid: str, n: int, kind: str, when: datetime, channel: str, cents: int = 0) -> Any:
    return StorefrontEvent(
        event_id=f"{sid}-{n}",
        type=kind,
        session_id=sid,
        anonymous_id=f"anon-{sid}",
        occurred_at=when,
        received_at=when,
        device="desktop",
        channel=channel,
        page="/",
        step=0,
        value_cents=cents,
        properties={},
    )


def test_a_session_moved_to_an_earlier_day_leaves_its_old_day(db: Database) -> None:
    with db.transaction() as s:
        s.add(_event("S1", 0, "add_to_cart", DAY0 + timedelta(days=3, hours=9), "email", 1200))
        s.add(_event("S2", 0, "page_view", DAY0 + timedelta(days=3, hours=10), "organic"))
    _refresh(db)
    period = {"start": DAY0, "end": DAY0 + timedelta(days=5), "by": "day"}
    before = _same(db, **period).rows
    assert before["2026-03-04"]["sessions"] == 2 and before["2026-03-04"]["cart_abandonment_pct"]
    # an earlier event of S1 arrives late: S1 started on the day before, on another channel,
    # and then it bought
    with db.transaction() as s:
        s.add(_event("S1", 1, "page_view", DAY0 + timedelta(days=2, hours=23), "organic"))
        s.add(_event("S1", 2, "purchase", DAY0 + timedelta(days=3, hours=11), "email", 1200))
    _refresh(db)
    after = _same(db, **period).rows
    assert after["2026-03-04"]["sessions"] == 1
    assert after["2026-03-03"]["sessions"] == 1 and after["2026-03-03"]["conversion_pct"] == 100.0
    assert (
        _same(db, start=period["start"], end=period["end"], by="channel").rows["organic"][
            "sessions"
        ]
        == 2
    )
    with db.reader() as s:
        incremental = sorted(tuple(r) for r in s.execute(select(SessionDayRollup.__table__)))
    _refresh(db, full=True)
    with db.reader() as s:
        assert (
            sorted(tuple(r) for r in s.execute(select(SessionDayRollup.__table__))) == incremental
        )


def test_the_sla_shortcut_gives_the_breaches_of_the_clocks(db: Database) -> None:
    """Tickets that met their targets in plain elapsed time skip the SLA clocks: the breach
    rates are those of running every ticket through them (answered or resolved late or
    early, paused, still open, urgent or not)."""
    rng = random.Random(5)
    with db.transaction() as s:
        for n in range(300):
            opened = DAY0 + timedelta(hours=rng.randrange(20 * 24), minutes=rng.randrange(60))
            first = opened + timedelta(minutes=rng.randrange(0, 60 * 30))
            resolved = first + timedelta(minutes=rng.randrange(0, 60 * 80))
            answered = rng.random() < 0.9
            ticket = Ticket(
                customer_email=f"c{n}@example.fr",
                subject="?",
                category=rng.choice(("delivery", "other")),
                priority=rng.choice(("urgent", "high", "normal", "low")),
                status="open",
                created_at=opened,
                first_response_at=first if answered else None,
                resolved_at=resolved if answered and rng.random() < 0.8 else None,
            )
            s.add(ticket)
            s.flush()
            if rng.random() < 0.3:  # waiting on the customer for a while
                for at, status in ((first, "waiting_on_customer"), (resolved, "open")):
                    s.add(
                        TicketEvent(
                            ticket_id=ticket.id, at=at, actor="a", kind="status", new=status
                        )
                    )
    period = {"start": DAY0, "end": DAY0 + timedelta(days=25)}
    for by in (None, "day"):
        table = _same(db, by=by, **period)
        rates = [row["sla_breach_pct"] for row in table.rows.values()]
        assert any(r for r in rates) and any(r is not None and r < 100 for r in rates)


def test_finished_tickets_run_their_sla_clocks_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket answered and resolved late has its breach remembered: the next KPIs read it
    without the clocks, and give the same figures; a ticket still open runs them each time,
    and a status event added to a finished ticket is a new ticket to the memory."""
    kpis_care._FINISHED_BREACHES.clear()
    with db.transaction() as s:
        for n in range(6):
            opened = DAY0 + timedelta(days=n, hours=9)
            finished = n < 4
            ticket = Ticket(
                customer_email=f"c{n}@example.fr",
                subject="?",
                category="other",
                priority="urgent",  # 1 business hour to answer: these are late
                status="resolved" if finished else "open",
                created_at=opened,
                first_response_at=opened + timedelta(hours=30),
                resolved_at=opened + timedelta(hours=50) if finished else None,
            )
            s.add(ticket)
    calls: list[int] = []
    real = kpis_care.sla.sla_state

    def counting(**kwargs: Any) -> Any:
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(kpis_care.sla, "sla_state", counting)
    period = {"start": DAY0, "end": DAY0 + timedelta(days=10)}
    first = _compute(db, rollups=True, **period).rows["all"]["sla_breach_pct"]
    assert len(calls) == 6 and first == 100.0
    calls.clear()
    again = _compute(db, rollups=True, **period).rows["all"]["sla_breach_pct"]
    assert again == first == _compute(db, rollups=False, **period).rows["all"]["sla_breach_pct"]
    calls.clear()
    _compute(db, rollups=True, **period)
    assert len(calls) == 2  # the two open tickets
    with db.transaction() as s:
        ticket_id = s.scalars(select(Ticket.id).order_by(Ticket.id)).first()
        s.add(
            TicketEvent(
                ticket_id=ticket_id,
                at=DAY0 + timedelta(hours=10),
                actor="a",
                kind="status",
                new="waiting_on_customer",
            )
        )
    calls.clear()
    _compute(db, rollups=True, **period)
    assert len(calls) == 3


def test_rows_committed_out_of_id_order_are_folded_in(seeded: Database) -> None:
    """A ledger movement (or storefront event) with an id below the last one folded in -- a
    transaction that committed late -- still reaches the rollups; with nothing new, nothing
    is read again."""
    with seeded.transaction() as s:
        level, product, warehouse_id = s.execute(
            select(StockLevel.id, StockLevel.product_id, StockLevel.warehouse_id)
        ).first()  # type: ignore[misc]
        top = s.scalar(select(func.max(StockMovement.id))) or 0

    def move(movement_id: int, day: int) -> None:
        with seeded.transaction() as s:
            s.add(
                StockMovement(
                    id=movement_id,
                    stock_level_id=level,
                    product_id=product,
                    warehouse_id=warehouse_id,
                    kind="ship",
                    delta_on_hand=-1,
                    delta_reserved=-1,
                    reference="late",
                    reason="",
                    actor="t",
                    created_at=DAY0 + timedelta(days=day, hours=10),
                )
            )

    move(top + 1, 1)
    move(top + 3, 2)
    with seeded.transaction() as s:
        s.add(_event("E1", 0, "page_view", DAY0 + timedelta(days=1), "organic"))
        s.add(_event("E3", 0, "page_view", DAY0 + timedelta(days=2), "organic"))
    _refresh(seeded)
    with seeded.transaction() as s:
        assert refresh.refresh_session_facts(session=s) == 0  # nothing new: nothing read
    move(top + 2, 5)  # committed late, below the last id folded in
    with seeded.transaction() as s:
        s.add(_event("E2", 0, "page_view", DAY0 + timedelta(days=5), "email"))
    _refresh(seeded)
    period = {"start": DAY0, "end": DAY0 + timedelta(days=7), "by": "day"}
    rows = _same(seeded, **period).rows
    assert rows["2026-03-06"]["sessions"] == 1
    assert _same(seeded, start=DAY0, end=DAY0 + timedelta(days=7)).rows["all"]["units_shipped"] == 3
    incremental = _rollup_rows(seeded)
    _refresh(seeded, full=True)
    assert _rollup_rows(seeded) == incremental
