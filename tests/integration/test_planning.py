"""Planning on the database: demand history with stock-outs, replenishment proposals from the
policies, purchase orders received into stock that serve waiting backorders."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import ValidationError
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.tables import Order
from maillon.planning import service as planning
from tests.helpers import order_draft
from tests.helpers.database import row_counts
from tests.helpers.planning import TODAY


def backordered(db: Database) -> int:
    with db.reader() as s:
        return (
            s.scalar(select(func.count()).select_from(Order).where(Order.status == "backordered"))
            or 0
        )


def test_history_flags_the_days_without_stock(history: Database) -> None:
    with history.reader() as s:
        records, stockouts = planning.demand_history(
            session=s, start=(TODAY - timedelta(days=30)).date(), end=TODAY.date()
        )
    assert sum(r.qty for r in records if r.sku == "MUG-01") == 10
    assert len(records) == 10  # one record a day
    assert backordered(history) == 2  # 8 mugs in stock for 10 orders
    assert len(stockouts) == 2 and all(s.sku == "MUG-01" for s in stockouts)


def test_history_sums_each_utc_day_and_filters_one_sku(history: Database) -> None:
    # two more orders on the last day, one a minute before midnight UTC, one a minute after
    day = TODAY - timedelta(days=1)
    late = day.replace(hour=23, minute=59)
    for at, lines in ((late, [("MUG-01", 2), ("LAMP-02", 1)]), (late + timedelta(minutes=2), [])):
        if not lines:
            lines = [("LAMP-02", 3)]
        with clock.frozen_at(at):
            orders.place_order(history, order_draft(lines, email="late@example.fr"), actor="t")
    with history.reader() as s:
        records, _ = planning.demand_history(
            session=s, start=(TODAY - timedelta(days=30)).date(), end=TODAY.date() + timedelta(1)
        )
        lamp, _ = planning.demand_history(
            session=s,
            start=(TODAY - timedelta(days=30)).date(),
            end=TODAY.date() + timedelta(1),
            sku="LAMP-02",
        )
    by_key = {(r.sku, r.day): r.qty for r in records}
    assert by_key[("MUG-01", day.date())] == 3  # the day's order and the late one, summed
    assert by_key[("LAMP-02", day.date())] == 1
    assert by_key[("LAMP-02", TODAY.date())] == 3  # two minutes later: the next UTC day
    assert {(r.sku, r.day, r.qty) for r in lamp} == {
        ("LAMP-02", day.date(), 1.0),
        ("LAMP-02", TODAY.date(), 3.0),
    }


def test_proposals_become_purchase_orders_that_serve_backorders(history: Database) -> None:
    with clock.frozen_at(TODAY), history.reader() as s:
        proposals = planning.propose_replenishment(session=s, warehouse_code="PAR1")
    mug = next(p for p in proposals if p.sku == "MUG-01")
    assert mug.supplier == "ACME" and mug.quantity >= 10 and mug.quantity % 5 == 0
    assert mug.position.inventory_position <= mug.policy.reorder_point
    assert mug.position.backordered == 2 and "reorder point" in mug.reason
    assert all(p.sku != "LAMP-02" for p in proposals)  # no demand for lamps
    with clock.frozen_at(TODAY), history.transaction() as s:
        (po,) = planning.create_purchase_orders(
            session=s,
            warehouse_code="PAR1",
            lines=[(p.supplier, p.sku, p.quantity, p.reason) for p in proposals],
            actor="planner",
        )
        number = po.number
        planning.send_purchase_order(session=s, number=number, actor="planner")
    with history.reader() as s:
        positions = planning.stock_positions(session=s, warehouse_code="PAR1")
    assert positions["MUG-01"].on_order == mug.quantity
    with history.transaction() as s:
        done = planning.receive_purchase_order(
            session=s, number=number, location_code="A01-01", actor="receiver"
        )
        assert done.status == "received"
    assert backordered(history) == 0  # the receipt served the waiting orders
    with history.reader() as s:
        assert inventory.ledger_mismatches(session=s) == []
        assert planning.stock_positions(session=s, warehouse_code="PAR1")["MUG-01"].on_order == 0


def test_api_and_bad_input(history: Database, client: TestClient, auth: dict) -> None:
    op = auth["operator"]
    before = row_counts(history)
    for body, field in (
        (
            {"warehouse": "PAR1", "lines": [{"supplier": "ACME", "sku": "MUG-01", "quantity": 7}]},
            "lines.0.quantity",
        ),  # below the MOQ of 10
        (
            {"warehouse": "PAR1", "lines": [{"supplier": "ACME", "sku": "MUG-01", "quantity": 12}]},
            "lines.0.quantity",
        ),  # not a multiple of 5
        (
            {"warehouse": "PAR1", "lines": [{"supplier": "NOPE", "sku": "MUG-01", "quantity": 10}]},
            "lines.0.supplier",
        ),
        (
            {"warehouse": "PAR1", "lines": [{"supplier": "ACME", "sku": "BOOK-07", "quantity": 1}]},
            "lines.0.sku",
        ),  # ACME does not sell books
        ({"warehouse": "PAR1", "lines": []}, "lines"),
    ):
        r = client.post("/api/v1/purchase-orders", json=body, headers=op)
        assert r.status_code == 422 and field in r.text, (body, r.text)
    assert row_counts(history) == before
    r = client.post(
        "/api/v1/purchase-orders",
        json={
            "warehouse": "PAR1",
            "lines": [{"supplier": "ACME", "sku": "MUG-01", "quantity": 20}],
        },
        headers=op,
    )
    assert r.status_code == 201
    number = r.json()[0]["number"]
    assert r.json()[0]["total_cents"] == 6000
    bad = client.post(
        f"/api/v1/purchase-orders/{number}/receive",
        json={"location": "A01-01", "lines": [{"sku": "LAMP-02", "quantity": 1}]},
        headers=op,
    )
    assert bad.status_code == 422 and "lines.LAMP-02" in bad.text
    part = client.post(
        f"/api/v1/purchase-orders/{number}/receive",
        json={"location": "A01-01", "lines": [{"sku": "MUG-01", "quantity": 5}]},
        headers=op,
    )
    assert part.status_code == 200 and part.json()["status"] == "partially_received"
    rest = client.post(
        f"/api/v1/purchase-orders/{number}/receive", json={"location": "A01-01"}, headers=op
    )
    assert rest.status_code == 200 and rest.json()["lines"][0]["received"] == 20
    again = client.post(
        f"/api/v1/purchase-orders/{number}/receive", json={"location": "A01-01"}, headers=op
    )
    assert again.status_code == 409
    assert client.get("/api/v1/purchase-orders/PO999999", headers=op).status_code == 404
    assert client.get("/api/v1/purchase-orders", headers=auth["picker"]).status_code == 403
    demand = client.get(
        "/api/v1/planning/demand", params={"from": "2026-03-01", "to": "2026-03-21"}, headers=op
    )
    assert demand.status_code == 200
    mugs = [s for s in demand.json()["series"] if s["sku"] == "MUG-01"]
    assert sum(sum(s["observed"]) for s in mugs) == 10
    assert sum(sum(s["stockout_days"]) for s in mugs) == 2
    r = client.get(
        "/api/v1/planning/proposals", params={"warehouse": "PAR1", "service_level": 1.2}, headers=op
    )
    assert r.status_code == 422
    for cost, code in (("-1", 422), ("lots", 422), ("0.15", 200)):
        r = client.get(
            "/api/v1/planning/proposals",
            params={"warehouse": "PAR1", "storage_cost": cost},
            headers=op,
        )
        assert r.status_code == code, r.text
        assert code == 200 or "storage_cost" in r.text
    dup = client.post(
        "/api/v1/suppliers", json={"code": "ACME", "name": "x", "lead_time_days": 1}, headers=op
    )
    assert dup.status_code == 409


def test_cli(history: Database, db_url: str) -> None:
    from maillon.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["plan", "propose", "PAR1", "--create", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "MUG-01" in r.output and "draft purchase orders: PO" in r.output
    number = r.output.split("draft purchase orders: ")[1].split()[0].rstrip(",")
    r = runner.invoke(app, ["plan", "po-receive", number, "--location", "A01-01", "--db", db_url])
    assert r.exit_code == 0 and "received" in r.output
    r = runner.invoke(app, ["plan", "history", "--days", "3650", "--db", db_url])
    assert r.exit_code == 0 and "MUG-01" in r.output
    r = runner.invoke(
        app, ["plan", "supplier-add", "X", "Y", "--lead-time-days", "999", "--db", db_url]
    )
    assert r.exit_code == 1 and "lead_time_days" in r.output


def test_forecast_is_stored_and_drives_the_proposals(history: Database, db_url: str) -> None:
    from maillon.cli.main import app

    with clock.frozen_at(TODAY):
        run = planning.run_forecast(history, horizon=7, history_days=30)
    assert run.series >= 2 and run.engine == "local"
    with history.reader() as s:
        stored = planning.latest_forecast(session=s, warehouse_code="PAR1")
        assert "MUG-01" in stored and stored["MUG-01"][0] > 0
        with clock.frozen_at(TODAY):
            (mug,) = [
                p
                for p in planning.propose_replenishment(session=s, warehouse_code="PAR1")
                if p.sku == "MUG-01"
            ]
    assert mug.policy.forecast_mean == pytest.approx(stored["MUG-01"][0])
    with pytest.raises(ValidationError) as info:
        planning.run_forecast(history, horizon=0, engine="spark")
    assert {e.field for e in info.value.errors} == {"horizon", "engine"}
    r = CliRunner().invoke(
        app, ["plan", "forecast", "--horizon", "5", "--history-days", "3650", "--db", db_url]
    )
    assert r.exit_code == 0 and "forecast run 2" in r.output, r.output


@pytest.mark.slow
def test_dask_engine_gives_the_same_forecast(
    history: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run makes its own cluster, whose scheduler serves HTTP on port 8787: when another run
    # holds it (an xdist worker, another checkout) distributed warns and leaks a socket, and
    # warnings are errors here. Any free port will do (None would still mean 8787).
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(
        distributed,
        "LocalCluster",
        functools.partial(distributed.LocalCluster, dashboard_address="127.0.0.1:0"),
    )
    with clock.frozen_at(TODAY):
        local = planning.run_forecast(history, horizon=5, history_days=30)
        dask = planning.run_forecast(history, horizon=5, history_days=30, engine="dask")
    assert dask.engine == "dask"
    from sqlalchemy import select as sql_select

    from maillon.planning.tables import ForecastPoint

    def points(run_id: int) -> list[tuple[str, str, int, float]]:
        with history.reader() as s:
            rows = s.execute(
                sql_select(
                    ForecastPoint.sku,
                    ForecastPoint.warehouse,
                    ForecastPoint.step,
                    ForecastPoint.forecast,
                )
                .where(ForecastPoint.run_id == run_id)
                .order_by(ForecastPoint.sku, ForecastPoint.warehouse, ForecastPoint.step)
            ).all()
        return [tuple(r) for r in rows]

    a, b = points(local.id), points(dask.id)
    assert len(a) == len(b) > 0
    assert all(x[:3] == y[:3] and abs(x[3] - y[3]) < 1e-6 for x, y in zip(a, b, strict=True))
