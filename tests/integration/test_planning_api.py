"""Planning over the API and the CLI: ABC/XYZ classes with their thresholds, forecasting runs
and the stored forecast, the policy comparison; bad input named, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.errors import ValidationError
from maillon.orders import service as orders
from maillon.planning import service as planning
from tests.helpers import order_draft
from tests.helpers.database import row_counts
from tests.helpers.jobs import run_queued
from tests.helpers.planning import TODAY


@pytest.fixture
def mixed(history: Database) -> Database:
    """Besides ten mugs (ACME's price 3.00: 30.00), a lamp a day for five days (ACME's price
    12.00: 60.00) and one book two weeks ago (no supplier: the catalogue's 15.00)."""
    for day in range(5, 0, -1):
        with clock.frozen_at(TODAY - timedelta(days=day, hours=-1)):
            orders.place_order(
                history, order_draft([("LAMP-02", 1)], email=f"l{day}@example.fr"), actor="t"
            )
    with clock.frozen_at(TODAY - timedelta(days=14, hours=-1)):  # the oldest order
        orders.place_order(history, order_draft([("BOOK-07", 1)], email="b@example.fr"), actor="t")
    return history


def test_classes_split_value_and_variability_at_the_thresholds_given(mixed: Database) -> None:
    with clock.frozen_at(TODAY), mixed.reader() as s:
        found = planning.sku_classes(session=s, days=14).items  # both warehouses
        narrow = planning.sku_classes(
            session=s,
            days=14,
            thresholds=planning.class_thresholds(abc_a=0.5, abc_b=0.8, xyz_x=0.3),
        ).items
    assert [(c.sku, c.value) for c in found] == [
        ("LAMP-02", 60.0),  # the supplier's price, not the catalogue's 49.90
        ("MUG-01", 30.0),
        ("BOOK-07", 15.0),  # no supplier: the catalogue price
    ]
    assert [c.abc for c in found] == ["A", "A", "B"]  # before them: 0 %, 57 %, 86 % of value
    assert [c.abc for c in narrow] == ["A", "B", "C"]
    # The records start two weeks back: a longer window adds no empty weeks before them.
    with clock.frozen_at(TODAY), mixed.reader() as s:
        longer = planning.sku_classes(session=s, days=91).items
    assert [(c.sku, c.label, c.cv) for c in longer] == [(c.sku, c.label, c.cv) for c in found]
    mug = {c.sku: c for c in found}["MUG-01"]
    # weeks of 3 and 7 mugs: CV 2 / 5 = 0.4
    assert mug.cv == pytest.approx(0.4) and mug.xyz == "X"
    assert {c.sku: c for c in narrow}["MUG-01"].xyz == "Y"


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"abc_a": 0.0}, {"abc_a"}),
        ({"abc_a": 0.9, "abc_b": 0.85}, {"abc_b"}),
        ({"xyz_x": -0.1, "abc_a": 1.5}, {"xyz_x", "abc_a"}),
        ({"xyz_x": 0.5, "xyz_y": float("nan")}, {"xyz_y"}),
    ],
)
def test_bad_thresholds_are_named(kwargs: dict[str, float], fields: set[str]) -> None:
    with pytest.raises(ValidationError) as info:
        planning.class_thresholds(**kwargs)
    assert {e.field for e in info.value.errors} == fields


def test_classes_over_the_api(mixed: Database, client: TestClient, auth: dict) -> None:
    op = auth["operator"]
    with clock.frozen_at(TODAY):
        r = client.get(
            "/api/v1/planning/classes",
            params={"warehouse": "PAR1", "days": 14, "abc_a": 0.5, "abc_b": 0.8},
            headers=op,
        )
    assert r.status_code == 200, r.text
    body = r.json()
    # PAR1 only: three of the mugs were served from LYS1 (value 21.00, weeks of 3 and 4)
    assert [(i["sku"], i["value"], i["label"]) for i in body["items"]] == [
        ("LAMP-02", 60.0, "AY"),  # weeks of 0 and 5 lamps: CV 1.0, the Y bound included
        ("MUG-01", 21.0, "BX"),
        ("BOOK-07", 15.0, "CY"),
    ]
    assert body["counts"]["AY"] == 1 and sum(body["counts"].values()) == 3
    assert body["thresholds"] == {"abc_a": 0.5, "abc_b": 0.8, "xyz_x": 0.5, "xyz_y": 1.0}
    for params, field in (
        ({"abc_a": 0}, "abc_a"),
        ({"abc_b": 0.1}, "abc_b"),
        ({"xyz_y": "nan"}, "xyz_y"),
        ({"days": 5}, "days"),
        ({"xyz_x": "often"}, "xyz_x"),
    ):
        bad = client.get("/api/v1/planning/classes", params=params, headers=op)
        assert bad.status_code == 422 and field in bad.text, (params, bad.text)
    assert (
        client.get("/api/v1/planning/classes", params={"warehouse": "NOPE"}, headers=op).status_code
        == 404
    )
    assert client.get("/api/v1/planning/classes", headers=auth["picker"]).status_code == 403


def test_forecast_runs_over_the_api(history: Database, client: TestClient, auth: dict) -> None:
    op = auth["operator"]
    latest = "/api/v1/planning/forecasts/latest"
    empty = client.get(latest, params={"warehouse": "PAR1"}, headers=op)
    assert empty.status_code == 200 and empty.json() == {
        "run": None,
        "warehouse": "PAR1",
        "series": [],
    }
    before = row_counts(history)
    for body, field in (
        ({"horizon": 0}, "horizon"),
        ({"engine": "spark"}, "engine"),
        ({"freq": "M"}, "freq"),
        ({"history_days": 7}, "history_days"),
        ({"horizon": 5, "colour": "red"}, "colour"),
    ):
        r = client.post("/api/v1/planning/forecasts", json=body, headers=op)
        assert r.status_code == 422 and field in r.text, (body, r.text)
    assert row_counts(history) == before
    r = client.post(
        "/api/v1/planning/forecasts", json={"horizon": 5, "history_days": 3650}, headers=op
    )
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] == "queued" and queued["url"] == f"/api/v1/jobs/{queued['job_id']}"
    assert client.get(latest, params={"warehouse": "PAR1"}, headers=op).json()["run"] is None
    assert run_queued(history, planning.FORECAST_JOB) == [queued["job_id"]]
    job = client.get(queued["url"], headers=op).json()
    assert job["status"] == "succeeded" and job["progress"] == 1.0, job
    assert job["args"]["horizon"] == 5 and job["requested_by"] != "system"
    with history.reader() as s:
        stored = planning.latest_forecast_run(session=s)
        assert stored is not None
        run = {"id": stored.id, "horizon": stored.horizon, "freq": stored.freq}
        run["series"] = stored.series
    assert job["result"] == {"run": run["id"], "series": run["series"], "horizon": 5}
    assert run["horizon"] == 5 and run["freq"] == "D" and run["series"] >= 1
    r = client.get(latest, params={"warehouse": "PAR1", "sku": "MUG-01"}, headers=op)
    assert r.status_code == 200
    body = r.json()
    assert body["run"]["id"] == run["id"]
    (mug,) = body["series"]
    assert mug["sku"] == "MUG-01" and mug["model"]
    assert len(mug["days"]) == len(mug["forecast"]) == 5
    assert {"0.5", "0.9", "0.95"} <= set(mug["quantiles"])
    assert all(
        lo <= hi + 1e-9
        for lo, hi in zip(mug["quantiles"]["0.5"], mug["quantiles"]["0.95"], strict=True)
    )
    assert client.get(latest, params={"warehouse": "NOPE"}, headers=op).status_code == 404
    assert client.get(latest, params={}, headers=op).status_code == 422


def test_policy_comparison_over_the_api(mixed: Database, client: TestClient, auth: dict) -> None:
    op = auth["operator"]
    url = "/api/v1/planning/policy-comparison"
    with clock.frozen_at(TODAY):
        r = client.get(url, params={"warehouse": "PAR1", "sku": "MUG-01", "days": 42}, headers=op)
        assert r.status_code == 200, r.text
        body = r.json()
        with mixed.reader() as s:
            direct = planning.compare_policies(
                session=s, warehouse_code="PAR1", sku="MUG-01", days=42
            )
    assert direct is not None
    assert body["skus"] == ["MUG-01"] and body["measured_days"] == direct.periods
    assert [p["policy"] for p in body["policies"]] == ["ours", "minmax", "RS"]
    for got, want in zip(body["policies"], direct.outcomes, strict=True):
        assert got["fill_rate"] == pytest.approx(want.fill_rate, abs=1e-6)
        assert got["avg_inventory"] == pytest.approx(want.avg_inventory, abs=1e-3)
        assert len(got["on_hand"]) == len(got["short"]) == direct.periods
    assert body["sigma_shrinkage_prior"] == direct.prior
    for params, field in (
        ({"days": 7}, "days"),
        ({"service_level": 1.0}, "service_level"),
        ({"max_skus": 0}, "max_skus"),
    ):
        bad = client.get(url, params={"warehouse": "PAR1", **params}, headers=op)
        assert bad.status_code == 422 and field in bad.text, (params, bad.text)
    with clock.frozen_at(TODAY):
        none = client.get(url, params={"warehouse": "PAR1", "sku": "TSHIRT-M"}, headers=op)
    assert none.status_code == 404 and "sku" in none.text


def test_cli_classify_and_forecast_show(mixed: Database, db_url: str) -> None:
    from maillon.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["plan", "forecast-show", "PAR1", "--db", db_url])
    assert r.exit_code == 0 and "no stored daily forecast" in r.output, r.output
    r = runner.invoke(app, ["plan", "classify", "--days", "730", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert r.output.index("LAMP-02") < r.output.index("MUG-01") < r.output.index("BOOK-07")
    assert "3 SKUs classified" in r.output
    r = runner.invoke(app, ["plan", "classify", "--abc-a", "0", "--db", db_url])
    assert r.exit_code == 1 and "abc_a" in r.output
    r = runner.invoke(app, ["plan", "propose", "PAR1", "--xyz-x", "-1", "--db", db_url])
    assert r.exit_code == 1 and "xyz_x" in r.output
    r = runner.invoke(
        app, ["plan", "forecast", "--horizon", "4", "--history-days", "3650", "--db", db_url]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["plan", "forecast-show", "PAR1", "--sku", "MUG-01", "--days", "3", "--db", db_url]
    )
    assert r.exit_code == 0 and "MUG-01" in r.output and "LAMP-02" not in r.output, r.output
    r = runner.invoke(app, ["plan", "forecast-show", "NOPE", "--db", db_url])
    assert r.exit_code == 1 and "warehouse" in r.output


def test_proposals_take_class_targets_and_thresholds(
    mixed: Database, client: TestClient, auth: dict
) -> None:
    op = auth["operator"]
    url = "/api/v1/planning/proposals"
    targets = {"warehouse": "PAR1", "class_targets": "A=0.99,B=0.97,C=0.9"}

    def by_sku(**params: object) -> dict[str, dict]:
        with clock.frozen_at(TODAY):
            r = client.get(url, params={**targets, **params}, headers=op)
        assert r.status_code == 200, r.text
        return {p["sku"]: p for p in r.json()}

    wide, narrow = by_sku(), by_sku(abc_a=0.5)
    # PAR1's supplied demand: lamps 60.00, mugs 21.00 (before the mugs: 74 % of the value)
    assert wide["MUG-01"]["sku_class"][0] == "A" and wide["MUG-01"]["service_level"] == 0.99
    assert narrow["MUG-01"]["sku_class"][0] == "B" and narrow["MUG-01"]["service_level"] == 0.97
    assert narrow["LAMP-02"]["service_level"] == 0.99
    assert narrow["MUG-01"]["lead_time_demand"] is None  # no stored forecast: the history
    assert narrow["MUG-01"]["safety_stock"] < wide["MUG-01"]["safety_stock"]
    for params, field in (
        ({"class_targets": "A=2"}, "class_targets"),
        ({"abc_a": 0}, "abc_a"),
        ({"xyz_y": 0.1}, "xyz_y"),
    ):
        bad = client.get(url, params={**targets, **params}, headers=op)
        assert bad.status_code == 422 and field in bad.text, (params, bad.text)


def test_console_shows_the_class_matrix(mixed: Database, client: TestClient) -> None:
    from tests.helpers.console import sign_in

    sign_in(client, mixed)
    with clock.frozen_at(TODAY):
        page = client.get("/planning", params={"warehouse": "PAR1"})
        assert page.status_code == 200 and 'hx-get="/planning/classes?warehouse=PAR1"' in page.text
        fragment = client.get(
            "/planning/classes",
            params={"warehouse": "PAR1", "days": 14, "abc_a": "0.5", "abc_b": "0.8"},
        )
    assert fragment.status_code == 200
    html = fragment.text
    # PAR1: lamps 60.00 (AY), mugs 21.00 (BX), a book 15.00 (CY) out of 96.00
    for cell, share in (("AY", "62 %"), ("BX", "22 %"), ("CY", "16 %"), ("AX", "0 %")):
        start = html.index(f'data-cell="{cell}"')
        assert share in html[start : html.index("</td>", start)], cell
    assert "LAMP-02" in html and 'value="0.5"' in html
    for params, field in (({"abc_a": "lots"}, "abc_a"), ({"xyz_y": "0.1"}, "xyz_y")):
        bad = client.get("/planning/classes", params={"warehouse": "PAR1", **params})
        assert bad.status_code == 200 and 'role="alert"' in bad.text and field in bad.text
    unknown = client.get("/planning/classes", params={"warehouse": "NOPE"})
    assert unknown.status_code == 200 and 'role="alert"' in unknown.text


def test_a_slow_mover_is_not_read_from_its_first_sale(history: Database) -> None:
    from maillon.catalog.tables import Product

    with history.transaction() as s:  # listed long before the history window
        lamp = s.scalar(select(Product).where(Product.sku == "LAMP-02"))
        assert lamp is not None
        lamp.created_at = TODAY - timedelta(days=400)
    with clock.frozen_at(TODAY - timedelta(hours=20)):
        orders.place_order(history, order_draft([("LAMP-02", 1)], email="l@example.fr"), actor="t")
    with clock.frozen_at(TODAY), history.reader() as s:
        since = planning.selling_since(
            session=s, skus={"LAMP-02", "MUG-01"}, start=(TODAY - timedelta(days=56)).date()
        )
        (lamp_line,) = [
            p
            for p in planning.propose_replenishment(session=s, warehouse_code="PAR1")
            if p.sku == "LAMP-02"
        ]
    assert since["LAMP-02"] == (TODAY - timedelta(days=56)).date()
    assert since["MUG-01"] > TODAY.date()  # created by the fixture today, after these orders
    # one lamp in 56 days, not one lamp a day since yesterday's sale
    assert lamp_line.policy.forecast_mean == pytest.approx(1 / 56)


def test_console_lists_open_purchase_orders_by_arrival_and_flags_the_late(
    history: Database,
    client: TestClient,
) -> None:
    from tests.helpers.console import sign_in

    numbers = []
    for days_ago in (1, 6, 2):  # ACME delivers in 3 days: due in 2 days, 3 days ago, tomorrow
        with clock.frozen_at(TODAY - timedelta(days=days_ago)), history.transaction() as s:
            (po,) = planning.create_purchase_orders(
                session=s,
                warehouse_code="PAR1",
                lines=[("ACME", "MUG-01", 10, "test")],
                actor="t",
            )
            s.flush()
            planning.send_purchase_order(session=s, number=po.number, actor="t")
            numbers.append(po.number)
    first, late, soon = numbers
    with clock.frozen_at(TODAY), history.transaction() as s:
        (done,) = planning.create_purchase_orders(
            session=s, warehouse_code="PAR1", lines=[("ACME", "MUG-01", 15, "")], actor="t"
        )
        s.flush()
        planning.receive_purchase_order(
            session=s, number=done.number, location_code="A01-01", actor="t"
        )
        received = done.number
    sign_in(client, history)
    with clock.frozen_at(TODAY):
        page = client.get("/planning", params={"warehouse": "PAR1"}).text
    rows = page[page.index("Purchase orders") :]
    order = [rows.index(n) for n in (late, soon, first, received)]
    assert order == sorted(order)  # open by arrival (3 days late, tomorrow, in 2 days), then closed
    late_row = rows[rows.index(late) : rows.index("</tr>", rows.index(late))]
    soon_row = rows[rows.index(soon) : rows.index("</tr>", rows.index(soon))]
    assert "po-late" in late_row and "po-late" not in soon_row


def test_console_forecasts_now(history: Database, client: TestClient) -> None:
    from tests.helpers.console import sign_in

    sign_in(client, history)
    page = client.get("/planning", params={"warehouse": "PAR1", "sku": "MUG-01"})
    assert "No forecast yet" in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    form = {"warehouse": "PAR1", "sku": "MUG-01", "csrf": csrf}
    bad = client.post("/planning/forecast", data={**form, "csrf": "x"}, follow_redirects=False)
    assert bad.status_code in (400, 403)
    with history.reader() as s:
        assert planning.latest_forecast_run(session=s) is None
    r = client.post("/planning/forecast", data=form, follow_redirects=False)
    assert r.status_code == 303 and "queued=" in r.headers["location"]
    assert "sku=MUG-01" in r.headers["location"]
    shown = client.get(r.headers["location"])
    assert "Forecast queued" in shown.text and 'href="/jobs"' in shown.text
    assert "A forecast is being computed (0 %" in shown.text
    assert "No forecast yet" in shown.text  # not computed yet: the request only queued it
    (job_id,) = run_queued(history, planning.FORECAST_JOB)
    assert f"queued={job_id}" in r.headers["location"]
    with history.reader() as s:
        run = planning.latest_forecast_run(session=s)
        assert run is not None and run.id == 1 and run.job_id == job_id
    shown = client.get("/planning", params={"warehouse": "PAR1", "sku": "MUG-01"})
    assert "A forecast is being computed" not in shown.text
    assert "Newest forecast" in shown.text and '"forecast":' in shown.text  # the chart's trace
    wrong = client.post(
        "/planning/forecast", data={**form, "warehouse": "NOPE"}, follow_redirects=False
    )
    assert wrong.status_code == 303 and "error=" in wrong.headers["location"]
    with history.reader() as s:
        assert not jobs.active(s, planning.FORECAST_JOB)  # refused at once: nothing queued
