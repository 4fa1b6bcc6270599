"""Proposals designed on the stored forecast's quantiles, per-class targets, the policy
comparison on the demand history, and the planning console page that shows both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import ValidationError
from maillon.planning import service as planning
from maillon.planning.policy import ServiceTargets
from tests.helpers.console import sign_in
from tests.helpers.planning import TODAY


def test_proposals_use_the_lead_time_demand_of_the_stored_quantiles(history: Database) -> None:
    with clock.frozen_at(TODAY):
        planning.run_forecast(history, horizon=7, history_days=30)
    with history.reader() as s:
        steps = planning.latest_forecast_steps(session=s, warehouse_code="PAR1")
        mug_steps = steps["MUG-01"]
        assert len(mug_steps.forecast) == 7 and {0.5, 0.9, 0.95} <= set(mug_steps.quantiles)
        assert all(
            lo <= hi + 1e-9
            for lo, hi in zip(mug_steps.quantiles[0.5], mug_steps.quantiles[0.95], strict=True)
        )
        with clock.frozen_at(TODAY):
            found = planning.propose_replenishment(session=s, warehouse_code="PAR1")
    (mug,) = [p for p in found if p.sku == "MUG-01"]
    ltd = mug.lead_time_demand
    assert ltd is not None
    # ACME: lead time 3 +/- 1 day, reviewed every day: 4 days of protection
    assert ltd.periods == 4 and ltd.mean == pytest.approx(sum(mug_steps.forecast[:4]))
    assert mug.policy.forecast_mean == pytest.approx(ltd.mean / 4)
    # the lead-time spread is part of the lead-time demand's spread
    assert ltd.sd >= ltd.demand_sd and ltd.sd >= ltd.rate * 1.0 - 1e-9
    assert "forecast quantiles" in mug.reason


def test_targets_per_class_set_each_proposals_fill_rate(history: Database) -> None:
    targets = "A=0.99,B=0.9,C=0.8"
    with history.reader() as s, clock.frozen_at(TODAY):
        found = planning.propose_replenishment(
            session=s, warehouse_code="PAR1", class_targets=targets
        )
        plain = planning.propose_replenishment(session=s, warehouse_code="PAR1")
    assert found
    expected = ServiceTargets.parse(targets)
    for p in found:
        assert len(p.sku_class) == 2 and p.service_level == expected.level_for(p.sku_class)
        assert f"{p.service_level:.1%}" in p.reason
    assert all(p.sku_class == "" and p.service_level == 0.95 for p in plain)


def test_bad_class_targets_name_the_field(history: Database) -> None:
    with history.reader() as s, pytest.raises(ValidationError) as info:
        planning.propose_replenishment(
            session=s, warehouse_code="PAR1", class_targets="A=2", step_correlation=3
        )
    assert {e.field for e in info.value.errors} == {"class_targets", "step_correlation"}


def test_policy_comparison_replays_the_history(history: Database) -> None:
    with history.reader() as s, clock.frozen_at(TODAY + timedelta(days=1)):
        one = planning.compare_policies(session=s, warehouse_code="PAR1", sku="MUG-01", days=42)
        a_items = planning.compare_policies(session=s, warehouse_code="PAR1", days=42)
        nothing = planning.compare_policies(
            session=s, warehouse_code="PAR1", sku="NO-SUCH", days=42
        )
    assert one is not None and one.skus == ("MUG-01",)
    assert [o.name for o in one.outcomes] == ["ours", "minmax", "RS"]
    for o in one.outcomes:
        assert len(o.on_hand) == len(o.short) == one.periods == 42 - one.start
        assert 0.0 <= o.fill_rate <= 1.0
        assert o.stockout_days == sum(1 for v in o.short if v > 0)
    assert a_items is not None and "MUG-01" in a_items.skus
    assert nothing is None
    with history.reader() as s, pytest.raises(ValidationError) as info:
        planning.compare_policies(session=s, warehouse_code="PAR1", days=7, max_skus=0)
    assert {e.field for e in info.value.errors} == {"days", "max_skus"}


def test_console_shows_intervals_and_loads_the_comparison(
    client: TestClient,
    history: Database,
) -> None:
    with clock.frozen_at(TODAY):
        planning.run_forecast(history, horizon=7, history_days=30)
    sign_in(client, history)
    with clock.frozen_at(TODAY):
        page = client.get("/planning", params={"warehouse": "PAR1", "sku": "MUG-01"})
    assert page.status_code == 200
    assert 'hx-get="/planning/compare?' in page.text and "q50–q95" in page.text
    assert '<script src="/static/plotly.min.js">' in page.text and "cdn" not in page.text.lower()
    with clock.frozen_at(TODAY + timedelta(days=1)):
        fragment = client.get(
            "/planning/compare",
            params={"warehouse": "PAR1", "sku": "MUG-01", "scope": "sku", "days": 42},
        )
    assert fragment.status_code == 200
    for label in ("ours (s, Q)", "min/max", "(R, S)", "compare-chart"):
        assert label in fragment.text
    bad = client.get("/planning", params={"warehouse": "PAR1", "class_targets": "Q=1"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text and "class_targets" in bad.text
    assert (
        client.get("/planning/compare", params={"warehouse": "PAR1", "days": 5}).status_code == 422
    )


def test_cli_compare_and_class_targets(history: Database, db_url: str) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app

    runner = CliRunner()
    with clock.frozen_at(TODAY + timedelta(days=1)):
        r = runner.invoke(
            app, ["plan", "compare", "PAR1", "--sku", "MUG-01", "--days", "42", "--db", db_url]
        )
    assert r.exit_code == 0, r.output
    assert all(name in r.output for name in ("ours", "minmax", "RS"))
    with clock.frozen_at(TODAY):
        r = runner.invoke(
            app, ["plan", "propose", "PAR1", "--class-targets", "A=0.99,C=0.8", "--db", db_url]
        )
    assert r.exit_code == 0 and "99.0%" in r.output, r.output
    r = runner.invoke(app, ["plan", "propose", "PAR1", "--class-targets", "A", "--db", db_url])
    assert r.exit_code == 1 and "class_targets" in r.output
    r = runner.invoke(app, ["plan", "propose", "PAR1", "--storage-cost", "-1", "--db", db_url])
    assert r.exit_code == 1 and "storage_cost" in r.output
    with clock.frozen_at(TODAY):
        r = runner.invoke(
            app, ["plan", "propose", "PAR1", "--storage-cost", "0.15", "--db", db_url]
        )
    assert r.exit_code == 0 and "MUG-01" in r.output, r.output


def test_a_storage_cost_raises_the_holding_cost_of_every_policy(history: Database) -> None:
    """A cost of keeping a unit a year whatever its price is added to each policy's holding
    cost per day: lots never grow (here the supplier's lot of 10 bounds them), the fill-rate
    target stays; a negative cost is refused, naming the field."""
    with history.reader() as s, clock.frozen_at(TODAY):
        plain = {p.sku: p for p in planning.propose_replenishment(session=s, warehouse_code="PAR1")}
        stored = planning.propose_replenishment(session=s, warehouse_code="PAR1", storage_cost=36.5)
    assert stored and {p.sku for p in stored} <= set(plain)
    for p in stored:
        before = plain[p.sku].policy
        assert p.policy.holding_cost == pytest.approx(before.holding_cost + 0.1)
        assert (p.policy.order_quantity or 0) <= (before.order_quantity or 0) + 1e-9
        assert p.service_level == 0.95
    with history.reader() as s, pytest.raises(ValidationError) as info:
        planning.propose_replenishment(session=s, warehouse_code="PAR1", storage_cost=-1)
    assert [e.field for e in info.value.errors] == ["storage_cost"]
