"""``maillon warehouse``: layout from a YAML file, slotting and putaway from the terminal."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from tests.helpers import order_draft, seed_basic

runner = CliRunner()
LAYOUT = {"aisles": 4, "aisle_length": 10, "aisle_spacing": 3, "levels": 2, "prefix": "A"}


def test_layout_slotting_and_putaway_commands(db_url: str, db: Database, tmp_path: Path) -> None:
    seed_basic(db)
    bad = tmp_path / "bad.yaml"
    bad.write_text("aisles: -2\naisle_length: 10\naisle_spacing: 3\n")
    r = runner.invoke(app, ["warehouse", "layout-set", "PAR1", str(bad), "--db", db_url])
    assert r.exit_code == 1 and "aisles" in r.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("aisles: [1,\n")
    r = runner.invoke(app, ["warehouse", "layout-set", "PAR1", str(broken), "--db", db_url])
    assert r.exit_code == 1 and "not valid" in r.output
    r = runner.invoke(app, ["warehouse", "layout-show", "PAR1", "--db", db_url])
    assert r.exit_code == 1 and "not found" in r.output

    good = tmp_path / "layout.yaml"
    good.write_text(yaml.safe_dump(LAYOUT))
    r = runner.invoke(app, ["warehouse", "layout-set", "PAR1", str(good), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "4 aisles" in r.output and "160 locations" in r.output  # 4 aisles x 20 bays x 2 levels
    r = runner.invoke(app, ["warehouse", "layout-show", "PAR1", "--db", db_url])
    assert r.exit_code == 0 and yaml.safe_load(r.output)["aisles"] == 4

    with db.transaction() as s:
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A04-20-2", sku="LAMP-02", quantity=30
        )
    for i in range(5):
        orders.place_order(
            db, order_draft([("LAMP-02", 1)], email=f"x{i}@example.fr"), actor="t", allocate=True
        )
    r = runner.invoke(app, ["warehouse", "slotting", "PAR1", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "LAMP-02" in r.output and "A04-20-2" in r.output and "m saved" in r.output
    r = runner.invoke(app, ["warehouse", "slotting", "PAR1", "--method", "x", "--db", db_url])
    assert r.exit_code == 1 and "method" in r.output

    r = runner.invoke(app, ["warehouse", "putaway", "PAR1", "LAMP-02", "4", "--db", db_url])
    assert r.exit_code == 0 and "A04-20-2: 4 unit(s) (consolidate" in r.output
    r = runner.invoke(app, ["warehouse", "putaway", "PAR1", "NOPE", "4", "--db", db_url])
    assert r.exit_code == 1 and "NOPE" in r.output
