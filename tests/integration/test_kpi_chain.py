"""The chain KPIs added to the catalogue (picking, costs, returns by reason, SLA and CSAT,
storefront conversion, fraud outcomes), on a small hand-built history whose figures are
worked out by hand below. Runs on SQLite, and on PostgreSQL with MAILLON_TEST_DATABASE_URL.

The history (orders A, B, C, D placed on Monday 2 March 2026, one warehouse):

- picking: A's own list (no tour) taken at 12:00, lines picked 12:10 and 12:30 by ana
  (1,800 s, 2 lines); B's and C's lists in one tour taken at 14:00, lines picked 14:20 (B)
  and 14:40 (C, short) by bob (2,400 s, 2 lines, 1,200 s each). Scans: A ok, ok,
  wrong_location; B ok; C wrong_barcode, short.
- packing: A two parcels, plan cartons 80 + 120 cents; B one parcel, plan carton 50 (an
  older finished plan of 999 is superseded). Shipments: A quoted 650 cents, B not quoted.
- delivered: A (3 units), B (1), C (1). Returns: A received (BOOK 2 asked / 1 received
  wrong_size, MUG 1 received defective), B requested (1 unit, the merchant's own code
  ``fits_badly``), C rejected (1 unit changed_mind).
- fraud: A review, approved; B accepted, charged back; C reject, rejected by an analyst;
  D review, approved, then charged back.
- tickets (Monday 10:00 UTC = 11:00 Paris, normal priority: 8 business hours to answer, 27
  to resolve; urgent: 1 and 8): T1 (A) answered 11:00 and resolved 15:00: met; T2 (B)
  answered Wednesday 10:00: 18 business hours, breached; T3 (C) urgent, answered 10:30, still
  open on Friday 12:00 UTC: resolution breached; T4 (no order) as T2 but waiting on the
  customer from Monday 12:00 to Wednesday 09:00 UTC: 2 + 1 = 3 business hours, met.
  CSAT: T1 5, T2 2, T4 4.
- storefront: S1 organic, cart then purchase; S2 organic, no cart; S3 paid_search, cart 2000
  then checkout 2500, no purchase; S4 paid_search then email, cart 1000; S5 on Sunday
  (outside the period).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from maillon.acquisition.tables import StorefrontEvent
from maillon.analytics import service as analytics
from maillon.analytics.definitions import KPIS, CostRates
from maillon.care.tables import CsatSurvey, Ticket, TicketEvent
from maillon.core import clock
from maillon.core.db import Database
from maillon.fraud.tables import FraudAssessment, FraudChargeback, FraudReview
from maillon.orders import service as orders
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.returns.tables import ReturnLine, ReturnRequest
from maillon.shipping.tables import Carrier, Parcel, Shipment
from maillon.warehouse.queries import picking_stats
from maillon.warehouse.tables import (
    PackingSession,
    PickList,
    PickListLine,
    PickScan,
    PickTour,
    PickWave,
)
from tests.helpers import order_draft

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
WEEK_END = MONDAY + timedelta(days=7)
FRIDAY_NOON = MONDAY + timedelta(days=4, hours=12)
RATES = CostRates(labour_cents_per_hour=3600, pack_seconds_per_parcel=60)  # 1 cent a second


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def _plan(*cartons: int) -> dict[str, Any]:
    return {"parcels": [{"carton": f"C{c}", "carton_cost_cents": c} for c in cartons]}


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
        step=1 if kind == "checkout_step" else 0,
        value_cents=cents,
        properties={},
    )


@pytest.fixture
def chain(seeded: Database) -> Database:
    db = seeded
    numbers = []
    for minute, lines in enumerate(
        ([("MUG-01", 1), ("BOOK-07", 2)], [("MUG-01", 1)], [("TSHIRT-M", 1)], [("MUG-01", 1)])
    ):
        with clock.frozen_at(at(0, 10, minute)):
            order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
        numbers.append(order.id)
    with db.transaction() as s:
        a, b, c, d = (s.get(Order, n) for n in numbers)
        assert a and b and c and d
        wh = a.warehouse_id
        assert wh is not None and b.warehouse_id == wh and c.warehouse_id == wh
        colissimo = s.scalar(select(Carrier.id).where(Carrier.code == "colissimo"))
        for o in (a, b, c):
            o.status, o.shipped_at, o.delivered_at = "delivered", at(0, 18), at(2, 10)
            o.updated_at = at(2, 10)

        def lines_of(o: Order) -> list[tuple[OrderLine, int]]:
            rows = s.execute(
                select(OrderLine, Allocation.id)
                .join(Allocation, Allocation.order_line_id == OrderLine.id)
                .where(OrderLine.order_id == o.id)
                .order_by(OrderLine.line_no)
            ).all()
            first: dict[int, tuple[OrderLine, int]] = {}
            for line, alloc in rows:  # one allocation per line is enough to point at
                first.setdefault(line.id, (line, alloc))
            return list(first.values())

        # -- picking ---------------------------------------------------------------------------
        wave = PickWave(
            warehouse_id=wh,
            status="done",
            method="savings",
            max_orders=20,
            cart_units=40,
            orders=2,
            created_at=at(0, 13),
        )
        s.add(wave)
        s.flush()
        tour = PickTour(
            wave_id=wave.id,
            warehouse_id=wh,
            status="done",
            picker="bob",
            assigned_at=at(0, 14),
            created_at=at(0, 13),
        )
        s.add(tour)
        s.flush()
        scans = {a.id: ["ok", "ok", "wrong_location"], b.id: ["ok"], c.id: ["wrong_barcode"]}
        picks = {
            a.id: ("ana", at(0, 12), None, [at(0, 12, 10), at(0, 12, 30)]),
            b.id: ("bob", at(0, 14), tour.id, [at(0, 14, 20)]),
            c.id: ("bob", at(0, 14), tour.id, [at(0, 14, 40)]),
        }
        for o in (a, b, c):
            picker, taken, tour_id, times = picks[o.id]
            plist = PickList(
                order_id=o.id,
                warehouse_id=wh,
                status="done",
                picker=picker,
                created_at=at(0, 11),
                completed_at=times[-1],
                assigned_at=taken,
                tour_id=tour_id,
            )
            s.add(plist)
            s.flush()
            made = []
            for seq, ((line, alloc), when) in enumerate(zip(lines_of(o), times, strict=True)):
                short = o is c
                pl = PickListLine(
                    pick_list_id=plist.id,
                    allocation_id=alloc,
                    sequence=seq,
                    location_code="A01-01",
                    sku=line.sku,
                    quantity=line.quantity,
                    picked_quantity=0 if short else line.quantity,
                    status="short" if short else "done",
                    picked_at=when,
                    picked_by=picker,
                )
                s.add(pl)
                made.append(pl)
            s.flush()
            outcomes = scans[o.id] + (["short"] if o is c else [])
            for k, outcome in enumerate(outcomes):
                s.add(
                    PickScan(
                        line_id=made[min(k, len(made) - 1)].id,
                        warehouse_id=wh,
                        picker=picker,
                        at=times[0],
                        location="A01-01",
                        barcode="x",
                        quantity=1,
                        outcome=outcome,
                    )
                )
        # -- packing and shipping --------------------------------------------------------------
        for o, plan in ((b, _plan(999)), (a, _plan(80, 120)), (b, _plan(50))):
            s.add(
                PackingSession(
                    order_id=o.id,
                    warehouse_id=wh,
                    status="done",
                    plan=plan,
                    packer="p",
                    created_at=at(0, 16),
                    completed_at=at(0, 16),
                )
            )
            s.flush()
        for o, parcels, quoted in ((a, 2, 650), (b, 1, None)):
            shipment = Shipment(
                order_id=o.id,
                warehouse_id=wh,
                carrier_id=colissimo,
                status="delivered",
                packed_at=at(0, 16),
                shipped_at=at(0, 18),
                delivered_at=at(2, 10),
                quoted_cents=quoted,
            )
            s.add(shipment)
            s.flush()
            for _ in range(parcels):
                s.add(
                    Parcel(
                        shipment_id=shipment.id,
                        weight_g=500,
                        length_mm=300,
                        width_mm=200,
                        height_mm=100,
                    )
                )
        # -- returns ----------------------------------------------------------------------------
        (mug, _), (book, _) = lines_of(a)
        for o, status, rows in (
            (a, "received", [(book, 2, 1, "wrong_size"), (mug, 1, 1, "defective")]),
            (b, "requested", [(lines_of(b)[0][0], 1, 0, "fits_badly")]),
            (c, "rejected", [(lines_of(c)[0][0], 1, 0, "changed_mind")]),
        ):
            request = ReturnRequest(order_id=o.id, status=status, reason="x", created_at=at(3, 9))
            s.add(request)
            s.flush()
            for line, qty, received, code in rows:
                s.add(
                    ReturnLine(
                        return_id=request.id,
                        order_line_id=line.id,
                        sku=line.sku,
                        quantity=qty,
                        reason_code=code,
                        received_quantity=received,
                    )
                )
        # -- fraud -----------------------------------------------------------------------------
        for o, decision, review in (
            (a, "review", "approve"),
            (b, "accept", None),
            (c, "reject", "reject"),
            (d, "review", "approve"),
        ):
            assessment = s.get(FraudAssessment, o.id)
            if assessment is None:
                assessment = FraudAssessment(
                    order_id=o.id,
                    score=0.5,
                    reasons=[],
                    rules_fired=[],
                    features={},
                    latency_ms=1.0,
                    assessed_at=at(0, 10),
                )
                s.add(assessment)
            assessment.decision = decision
            assessment.review_status = {"approve": "approved", "reject": "rejected"}.get(
                review or ""
            )
            if review is not None:
                s.add(
                    FraudReview(order_id=o.id, decision=review, analyst="eve", decided_at=at(0, 11))
                )
        for o in (b, d):
            s.add(
                FraudChargeback(
                    order_id=o.id,
                    customer_id=o.customer_id,
                    amount_cents=100,
                    currency="EUR",
                    occurred_at=at(3, 0),
                    recorded_at=at(3, 0),
                    recorded_by="psp",
                )
            )
        # -- care ------------------------------------------------------------------------------
        tickets = {}
        for name, o, priority, answered, resolved in (
            ("T1", a, "normal", at(0, 11), at(0, 15)),
            ("T2", b, "normal", at(2, 10), None),
            ("T3", c, "urgent", at(0, 10, 30), None),
            ("T4", None, "normal", at(2, 10), None),
        ):
            ticket = Ticket(
                customer_email="camille.martin@example.fr",
                order_id=o.id if o is not None else None,
                subject=name,
                category="delivery",
                priority=priority,
                status="resolved" if resolved else "open",
                channel="email",
                created_at=at(0, 10),
                first_response_at=answered,
                resolved_at=resolved,
            )
            s.add(ticket)
            s.flush()
            tickets[name] = ticket
        for when, status in ((at(0, 12), "waiting_on_customer"), (at(2, 9), "open")):
            s.add(
                TicketEvent(
                    ticket_id=tickets["T4"].id, at=when, actor="x", kind="status", new=status
                )
            )
        for name, score in (("T1", 5), ("T2", 2), ("T3", None), ("T4", 4)):
            s.add(
                CsatSurvey(
                    ticket_id=tickets[name].id,
                    token=f"tok-{name}",
                    sent_at=at(1, 9),
                    answered_at=at(1, 10) if score else None,
                    score=score,
                )
            )
        # -- storefront ------------------------------------------------------------------------
        for sid, steps in (
            ("S1", [("page_view", 0, "organic"), ("add_to_cart", 3000, "organic")]),
            ("S2", [("page_view", 0, "organic"), ("product_view", 0, "organic")]),
            ("S3", [("add_to_cart", 2000, "paid_search"), ("checkout_step", 2500, "x")]),
            ("S4", [("page_view", 0, "paid_search"), ("add_to_cart", 1000, "email")]),
        ):
            for n, (kind, cents, channel) in enumerate(steps):
                s.add(_event(sid, n, kind, at(1, 9, n), channel, cents))
        s.add(_event("S1", 9, "purchase", at(1, 9, 30), "organic", 4500))
        s.add(_event("S5", 0, "add_to_cart", at(-1, 9), "organic", 700))
    return db


def kpis(db: Database, by: str | None = None) -> dict[str, dict[str, float | None]]:
    with db.transaction() as s:
        analytics.refresh_order_facts(session=s)
    with clock.frozen_at(FRIDAY_NOON), db.reader() as s:
        table = analytics.compute_kpis(session=s, start=MONDAY, end=WEEK_END, by=by, costs=RATES)
    return table.rows


def test_picking_kpis(chain: Database) -> None:
    row = kpis(chain)["all"]
    assert row["pick_accuracy_pct"] == pytest.approx(66.67)  # 6 scans, 2 refused
    assert row["lines_per_hour"] == pytest.approx(3.43)  # 4 lines in 1,800 + 2,400 s
    by_wh = kpis(chain, "warehouse")
    (name,) = [k for k in by_wh if by_wh[k].get("orders")]
    assert by_wh[name]["lines_per_hour"] == pytest.approx(3.43)
    assert kpis(chain, "carrier")["colissimo"]["lines_per_hour"] is None  # no meaning
    # the per-picker figures of the warehouse package add up to the same rate
    with chain.reader() as s:
        days = picking_stats.picker_metrics(session=s, start=MONDAY.date(), end=MONDAY.date())
    assert sum(d.lines for d in days) == 4
    assert sum(d.active_hours for d in days) == pytest.approx(4200 / 3600, abs=0.01)


def test_cost_per_order(chain: Database) -> None:
    row = kpis(chain)["all"]
    assert row["pick_cost_cents"] == pytest.approx(1400.0)  # (1,800 + 1,200 + 1,200) / 3
    assert row["pack_cost_cents"] == pytest.approx(215.0)  # (80 + 120 + 50 + 3 x 60) / 2
    assert row["ship_cost_cents"] == pytest.approx(650.0)  # only A's shipment is priced
    assert row["cost_per_order_cents"] == pytest.approx(2265.0)
    by_carrier = kpis(chain, "carrier")
    assert by_carrier["colissimo"]["pick_cost_cents"] == pytest.approx(1500.0)  # A and B
    assert by_carrier["(none)"]["pick_cost_cents"] == pytest.approx(1200.0)  # C
    assert by_carrier["(none)"]["pack_cost_cents"] is None  # C was never packed
    assert by_carrier["(none)"]["cost_per_order_cents"] is None


def test_cost_rates_come_from_the_environment(
    chain: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLON_KPI_LABOUR_CENTS_PER_HOUR", "7200")  # 2 cents a second
    monkeypatch.setenv("MAILLON_KPI_PACK_SECONDS_PER_PARCEL", "0")
    with chain.transaction() as s:
        analytics.refresh_order_facts(session=s)
    with chain.reader() as s:
        row = analytics.compute_kpis(session=s, start=MONDAY, end=WEEK_END).rows["all"]
    assert row["pick_cost_cents"] == pytest.approx(2800.0)
    assert row["pack_cost_cents"] == pytest.approx(125.0)  # cartons only: 250 / 2
    monkeypatch.setenv("MAILLON_KPI_LABOUR_CENTS_PER_HOUR", "lots")
    from maillon.core.errors import ValidationError

    with pytest.raises(ValidationError) as info, chain.reader() as s:
        analytics.compute_kpis(session=s, start=MONDAY, end=WEEK_END)
    assert info.value.errors[0].field == "MAILLON_KPI_LABOUR_CENTS_PER_HOUR"


def test_returns_by_reason(chain: Database) -> None:
    with chain.transaction() as s:
        analytics.refresh_order_facts(session=s)
    with clock.frozen_at(FRIDAY_NOON), chain.reader() as s:
        table = analytics.compute_kpis(session=s, start=MONDAY, end=WEEK_END, costs=RATES)
    row = table.rows["all"]
    assert row["return_rate_pct"] == pytest.approx(66.67)  # A and B; C's return was rejected
    assert row["return_units_pct"] == pytest.approx(60.0)  # 1 + 1 + 1 of 5 delivered units
    assert row["return_reason_wrong_size_pct"] == pytest.approx(33.33)
    assert row["return_reason_defective_pct"] == pytest.approx(33.33)
    assert row["return_reason_other_pct"] == pytest.approx(33.33)  # the merchant's own code
    assert row["return_reason_changed_mind_pct"] == 0.0  # rejected: left out
    assert table.breakdowns["all"]["return_reasons"] == {
        "defective": 1,
        "fits_badly": 1,
        "wrong_size": 1,
    }


def test_sla_breaches_and_csat(chain: Database) -> None:
    row = kpis(chain)["all"]
    assert row["tickets"] == 4
    assert row["sla_breach_pct"] == 50.0  # T2 and T3
    assert row["csat_mean"] == pytest.approx(3.67)  # (5 + 2 + 4) / 3
    assert row["csat_satisfied_pct"] == pytest.approx(66.67)
    by_carrier = kpis(chain, "carrier")
    assert by_carrier["colissimo"]["sla_breach_pct"] == 50.0  # T1 met, T2 breached
    assert by_carrier["colissimo"]["csat_mean"] == pytest.approx(3.5)


def test_storefront_conversion_and_abandonment(chain: Database) -> None:
    row = kpis(chain)["all"]
    assert row["sessions"] == 4
    assert row["conversion_pct"] == 25.0
    assert row["cart_abandonment_pct"] == pytest.approx(66.67)  # S3 and S4 of 3 carts
    assert row["abandoned_cart_cents"] == 3500
    by_channel = kpis(chain, "channel")
    assert by_channel["organic"]["conversion_pct"] == 50.0
    assert by_channel["organic"]["cart_abandonment_pct"] == 0.0
    assert by_channel["paid_search"]["sessions"] == 2  # S4's first event decides
    assert by_channel["paid_search"]["abandoned_cart_cents"] == 3500
    assert "email" not in by_channel
    assert kpis(chain, "carrier")["colissimo"]["conversion_pct"] is None  # no meaning
    # a late purchase event folds into its session at the next refresh
    with chain.transaction() as s:
        s.add(_event("S3", 7, "purchase", at(1, 10), "paid_search", 2500))
    row = kpis(chain)["all"]
    assert row["conversion_pct"] == 50.0
    assert row["cart_abandonment_pct"] == pytest.approx(33.33)
    assert row["abandoned_cart_cents"] == 1000


def test_fraud_catch_and_false_positive_rates(chain: Database) -> None:
    row = kpis(chain)["all"]
    assert row["fraud_catch_pct"] == pytest.approx(66.67)  # B, C, D fraud; C and D flagged
    assert row["fraud_false_positive_pct"] == pytest.approx(33.33)  # A of A, C, D
    # a chargeback arriving later turns A into a caught fraud at the next refresh
    with chain.transaction() as s:
        a = s.scalar(select(Order).order_by(Order.id).limit(1))
        assert a is not None
        s.add(
            FraudChargeback(
                order_id=a.id,
                customer_id=a.customer_id,
                amount_cents=100,
                currency="EUR",
                occurred_at=clock.now(),
                recorded_at=clock.now(),
                recorded_by="psp",
            )
        )
    row = kpis(chain)["all"]
    assert row["fraud_catch_pct"] == 75.0
    assert row["fraud_false_positive_pct"] == 0.0


def test_every_kpi_is_in_every_row(chain: Database) -> None:
    for by in (None, "warehouse", "channel", "month"):
        for row in kpis(chain, by).values():
            assert set(row) == {k.key for k in KPIS}


def test_api_lists_the_new_kpis_and_the_reasons(chain: Database) -> None:
    from fastapi.testclient import TestClient

    from maillon.app import create_app
    from tests.helpers.database import api_key

    headers = {"Authorization": f"Bearer {api_key(chain, 'agent')}"}
    params = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z"}
    with chain.transaction() as s:  # the worker's refresh: the API only reads the facts
        analytics.refresh_order_facts(session=s)
    with TestClient(create_app(chain)) as client:
        body = client.get("/api/v1/kpi/table", params=params, headers=headers).json()
        assert body["breakdowns"]["all"]["return_reasons"]["wrong_size"] == 1
        assert body["rows"]["all"]["fraud_catch_pct"] == pytest.approx(66.67)
        header = client.get(
            "/api/v1/kpi/table", params={**params, "format": "csv"}, headers=headers
        ).text.splitlines()[0]
        assert "sla_breach_pct" in header.split(",") and "conversion_pct" in header.split(",")
        catalogue = client.get("/api/v1/kpi/catalogue", headers=headers).json()
        lines = next(c for c in catalogue if c["key"] == "lines_per_hour")
        assert lines["not_by"] == ["carrier", "channel"]
