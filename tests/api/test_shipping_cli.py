"""``maillon shipping``: carriers-sync, rates, manifest, detect-delays and scorecards."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core import clock
from maillon.core.db import Database
from tests.helpers import packed_order, seed_basic

runner = CliRunner()


def test_shipping_commands(db_url: str, db: Database, tmp_path: Path) -> None:
    seed_basic(db)
    r = runner.invoke(app, ["shipping", "carriers-sync", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "added carrier dpd" in r.output and "colissimo" not in r.output
    r = runner.invoke(app, ["shipping", "carriers-sync", "--db", db_url])
    assert "0 carrier(s) added" in r.output

    args = ["shipping", "rates", "--postcode", "69002", "--weight", "800", "--db", db_url]
    r = runner.invoke(app, [*args, "--policy", "cheapest"])
    assert r.exit_code == 0, r.output
    assert "lowest price" in r.output and "Colissimo" in r.output
    for bad, field in (
        (["--weight", "0"], "weight_g"),
        (["--policy", "slowest"], "policy"),
        (["--size", "10x10"], "size"),
    ):
        r = runner.invoke(app, [*args, *bad])
        assert r.exit_code == 1 and field in r.output, r.output
    r = runner.invoke(
        app, ["shipping", "rates", "--postcode", "123", "--weight", "5", "--db", db_url]
    )
    assert r.exit_code == 1 and "postcode" in r.output

    with clock.frozen_at(datetime(2026, 11, 2, 8, tzinfo=UTC)):
        number = packed_order(db)
        r = runner.invoke(app, ["orders", "ship", number, "--carrier", "colissimo", "--db", db_url])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["shipping", "rates", number, "--db", db_url])
    assert r.exit_code == 0 and "policy best_value" in r.output

    out = tmp_path / "manifest.csv"
    manifest = ["shipping", "manifest", "--carrier", "colissimo", "--out", str(out)]
    r = runner.invoke(app, [*manifest, "--date", "2026-11-02", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "1 parcel(s)" in r.output and number in out.read_text()
    r = runner.invoke(app, [*manifest, "--date", "2/11", "--db", db_url])
    assert r.exit_code == 1 and "date" in r.output

    with clock.frozen_at(datetime(2026, 11, 20, 8, tzinfo=UTC)):
        r = runner.invoke(app, ["shipping", "detect-delays", "--db", db_url])
        assert r.exit_code == 0 and "1 shipment(s) notified" in r.output, r.output
        r = runner.invoke(app, ["shipping", "detect-delays", "--db", db_url])
        assert "0 shipment(s) notified" in r.output
    r = runner.invoke(
        app,
        ["shipping", "scorecards", "--from", "2026-11-01", "--to", "2026-11-30", "--db", db_url],
    )
    assert r.exit_code == 0 and "colissimo" in r.output, r.output
    r = runner.invoke(app, ["shipping", "scorecards", "--from", "nope", "--db", db_url])
    assert r.exit_code == 1 and "from" in r.output
