"""The KPI catalogue computed by the database, on a small history whose figures are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from maillon.analytics import service as analytics
from maillon.analytics.definitions import KPIS
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import ValidationError
from maillon.orders import service as orders
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return MONDAY.replace(hour=hour) + timedelta(days=day)


def ship(db: Database, number: str, shipped: datetime, delivered: datetime) -> None:
    with clock.frozen_at(shipped), db.transaction() as s:
        (pick_list,) = warehouse.create_pick_lists(session=s, number=number, actor="p")
        warehouse.confirm_pick_list(session=s, pick_list_id=pick_list.id, picked=None, actor="p")
    with clock.frozen_at(shipped), db.transaction() as s:
        pack(s, number, "p")
    with clock.frozen_at(shipped), db.transaction() as s:
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="o")
    with clock.frozen_at(delivered), db.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="o")


@pytest.fixture
def history(seeded: Database) -> Database:
    db = seeded

    def place(hour: int, lines: list[tuple[str, int]]) -> str:
        with clock.frozen_at(at(0, hour)):
            order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
        return order.number

    a = place(10, [("MUG-01", 1)])  # promised Wednesday 18:00
    b = place(11, [("BOOK-07", 1)])
    c = place(12, [("TSHIRT-M", 1)])
    d = place(13, [("LAMP-02", 50)])  # more than there is: waits for stock
    ship(db, a, shipped=at(0, 20), delivered=at(2, 10))  # 10 h to ship, delivered early
    ship(db, b, shipped=at(1, 15), delivered=at(4, 10))  # 28 h to ship, 40 h late
    with clock.frozen_at(at(0, 14)), db.transaction() as s:
        orders.cancel_order(session=s, number=c, reason="changed mind", actor="t")
    assert d
    return db


def test_order_kpis_match_the_history(history: Database) -> None:
    table = analytics.kpis(history, start=MONDAY, end=at(7, 0))
    row = table.rows["all"]
    assert row["orders"] == 4
    assert row["cancel_rate_pct"] == 25.0
    assert row["backorder_rate_pct"] == 25.0
    assert row["fill_rate_pct"] == pytest.approx(66.67)  # a and b served, d waited
    assert row["cycle_time_mean_h"] == pytest.approx(19.0)
    assert row["on_time_shipping_pct"] == 50.0
    assert row["on_time_delivery_pct"] == 50.0
    assert row["otif_pct"] == 50.0 and row["perfect_order_pct"] == 50.0
    assert row["promise_accuracy_pct"] == 50.0  # a 8 h early, b 40 h late
    assert row["mean_days_late"] == pytest.approx(40 / 24, abs=0.01)
    assert row["carrier_on_time_pct"] == 50.0
    assert row["transit_p90_h"] is not None and 38 <= row["transit_p50_h"] <= 38.25
    assert row["repeat_purchase_pct"] == 100.0  # one customer, four orders
    assert row["units_shipped"] == 2
    assert set(row) == {k.key for k in KPIS}


def test_split_by_carrier_and_day(history: Database) -> None:
    by_carrier = analytics.kpis(history, start=MONDAY, end=at(7, 0), by="carrier")
    by_day = analytics.kpis(history, start=MONDAY, end=at(7, 0), by="day")
    assert by_carrier.rows["colissimo"]["orders"] == 2
    assert by_carrier.rows["(none)"]["orders"] == 2
    assert by_day.rows["2026-03-02"]["orders"] == 4
    assert "colissimo" in by_carrier.to_csv().splitlines()[1] + by_carrier.to_csv()


def test_an_empty_period_and_bad_arguments(history: Database) -> None:
    empty = analytics.kpis(history, start=at(20, 0), end=at(21, 0))
    assert empty.rows == {} or empty.value("orders") in (None, 0)
    with pytest.raises(ValidationError) as info:
        analytics.kpis(history, by="planet")
    assert info.value.errors[0].field == "by"
    with pytest.raises(ValidationError):
        analytics.kpis(history, start=at(2, 0), end=at(1, 0))


def test_kpi_table_api_and_cli(history: Database, db_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from maillon.app import create_app
    from maillon.cli.main import app as cli
    from maillon.core import jobs
    from tests.helpers.database import api_key
    from tests.helpers.jobs import run_queued

    headers = {"Authorization": f"Bearer {api_key(history, 'agent')}"}
    week = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z", "by": "carrier"}
    with TestClient(create_app(history)) as client:
        r = client.get("/api/v1/kpi/table", params=week, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["refreshed_at"] is None and r.json()["rows"] == {}  # never refreshed
        asked = client.post("/api/v1/kpi/refresh", headers=headers)
        assert asked.status_code == 202, asked.text
        again = client.post("/api/v1/kpi/refresh", headers=headers)
        assert again.json()["job_id"] == asked.json()["job_id"]  # one refresh waits, not two
        assert run_queued(history, "analytics.refresh") == [asked.json()["job_id"]]
        with history.reader() as s:
            job = jobs.get_job(s, asked.json()["job_id"])
            assert (job.status, job.result) == (jobs.JobStatus.SUCCEEDED, {"orders": 4})
            assert job.requested_by.startswith("agent:")
        picker = {"Authorization": f"Bearer {api_key(history, 'picker')}"}
        assert client.post("/api/v1/kpi/refresh", headers=picker).status_code == 403
        r = client.get("/api/v1/kpi/table", params=week, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["rows"]["colissimo"]["otif_pct"] == 50.0
        refreshed = datetime.fromisoformat(r.json()["refreshed_at"])
        assert refreshed > at(7, 0)
        r = client.get("/api/v1/kpi/table", params={"format": "csv"}, headers=headers)
        assert r.status_code == 200 and r.text.startswith("scope,orders,")
        assert datetime.fromisoformat(r.headers["x-refreshed-at"]) == refreshed
        bad = client.get("/api/v1/kpi/table", params={"by": "moon"}, headers=headers)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "by"
        bad = client.get("/api/v1/kpi/table", params={"format": "xls"}, headers=headers)
        assert bad.status_code == 422
        catalogue = client.get("/api/v1/kpi/catalogue", headers=headers).json()
        assert {"key": "otif_pct"}.items() <= catalogue[
            [c["key"] for c in catalogue].index("otif_pct")
        ].items()
    out = tmp_path / "k.csv"
    result = CliRunner().invoke(
        cli,
        [
            "kpi",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-09",
            "--by",
            "day",
            "--csv",
            str(out),
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "OTIF" in result.output and out.read_text().startswith("day,orders,")
    result = CliRunner().invoke(cli, ["kpi", "--from", "yesterday", "--db", db_url])
    assert result.exit_code == 1 and "from" in result.output


def test_facts_follow_changes_incrementally(history: Database) -> None:
    before = analytics.kpis(history, start=MONDAY, end=at(7, 0)).rows["all"]
    assert before["return_rate_pct"] == 0.0
    from maillon.returns import service as returns

    with history.reader() as s:
        order = orders.list_orders(session=s, status="delivered", limit=1, offset=0)[0][0]
        sku = order.lines[0].sku
    with history.transaction() as s:
        returns.request_return(
            session=s, number=order.number, lines=[(sku, 1)], reason="wrong_size", actor="t"
        )
    after = analytics.kpis(history, start=MONDAY, end=at(7, 0)).rows["all"]
    assert after["return_rate_pct"] == 50.0  # one of the two delivered orders came back
    with history.transaction() as s:
        assert analytics.refresh_order_facts(session=s) <= 2  # nothing else changed
        assert analytics.refresh_order_facts(session=s, full=True) == 4


def test_repeat_purchase_counts_orders_up_to_the_end_of_the_period(seeded: Database) -> None:
    def place(email: str, day: int) -> None:
        with clock.frozen_at(at(day, 10)):
            orders.place_order(seeded, order_draft([("MUG-01", 1)], email=email), actor="t")

    place("ana@example.fr", 0)  # first order in the period ...
    place("ana@example.fr", 10)  # ... the second one after it
    place("bob@example.fr", 0)
    place("bob@example.fr", 1)  # two orders in the period
    place("cyd@example.fr", -5)  # an older order, then one in the period
    place("cyd@example.fr", 2)
    row = analytics.kpis(seeded, start=MONDAY, end=at(7, 0)).rows["all"]
    assert row["repeat_purchase_pct"] == pytest.approx(66.67)  # bob and cyd, not ana
