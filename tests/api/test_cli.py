"""The ``maillon`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.auth import authenticate
from maillon.core.db import Database
from maillon.core.errors import AuthenticationError
from tests.helpers import order_body, seed_basic

runner = CliRunner()


def test_keys_create_prints_the_key_last(db_url: str, db: Database) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "admin", "--db", db_url])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    with db.reader() as s:
        assert authenticate(session=s, raw_key=key).role.value == "admin"


def test_bad_role_is_a_usage_error(db_url: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "king", "--db", db_url])
    assert result.exit_code == 1 and "role" in result.output


def test_order_flow_from_the_command_line(db_url: str, db: Database, tmp_path: Path) -> None:
    seed_basic(db)
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order_body([("TSHIRT-M", 2)], external_id="CLI-1")))
    result = runner.invoke(app, ["orders", "create", str(path), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "created" in result.output and "M0000001" in result.output
    again = runner.invoke(app, ["orders", "create", str(path), "--db", db_url])
    assert "already received" in again.output
    for step in (["allocate"], ["pick"], ["pack"], ["ship", "--carrier", "colissimo"], ["deliver"]):
        r = runner.invoke(app, ["orders", step[0], "M0000001", *step[1:], "--db", db_url])
        assert r.exit_code == 0, r.output
    shown = runner.invoke(app, ["orders", "show", "M0000001", "--db", db_url])
    assert "delivered" in shown.output and "shipped" in shown.output
    check = runner.invoke(app, ["stock", "check", "--db", db_url])
    assert check.exit_code == 0 and "agree" in check.output


def test_cli_errors_name_the_field(db_url: str, db: Database, tmp_path: Path) -> None:
    seed_basic(db)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(order_body([("TSHIRT-M", 0)])))
    result = runner.invoke(app, ["orders", "create", str(path), "--db", db_url])
    assert result.exit_code == 1 and "lines.0.quantity" in result.output
    r = runner.invoke(app, ["orders", "ship", "M0000001", "--carrier", "x", "--db", db_url])
    assert r.exit_code == 1 and "error" in r.output


def test_csv_import_from_the_command_line(db_url: str, db: Database, tmp_path: Path) -> None:
    seed_basic(db)
    path = tmp_path / "orders.csv"
    path.write_text(
        "external_id,email,name,line1,postcode,city,sku,quantity\n"
        "X1,ana@example.fr,Ana Roux,1 rue Pasteur,69002,Lyon,MUG-01,1\n"
        "X2,bob@example.fr,Bob Petit,2 rue Pasteur,69002,Lyon,MUG-01,0\n"
    )
    result = runner.invoke(app, ["orders", "import", str(path), "--db", db_url])
    assert result.exit_code == 1  # one bad row
    assert "1 order(s) created" in result.output and "row 3" in result.output


def test_new_commands_reject_bad_input(db_url: str) -> None:
    r = runner.invoke(
        app, ["channel-add", "shop", "--kind", "amazon", "--secret", "x", "--db", db_url]
    )
    assert r.exit_code == 1 and "kind" in r.output and "webhook_secret" in r.output
    r = runner.invoke(app, ["sensors-listen", "--broker", "nohostport", "--db", db_url])
    assert r.exit_code == 2 and "--broker" in r.output
    ok = runner.invoke(
        app,
        [
            "channel-add",
            "shop",
            "--kind",
            "shopify",
            "--secret",
            "shpss_0123456789abcdef",
            "--db",
            db_url,
        ],
    )
    assert ok.exit_code == 0 and "/api/v1/webhooks/shopify/shop" in ok.output
    r = runner.invoke(app, ["holds-sweep", "--db", db_url])
    assert r.exit_code == 0 and "0 expired hold(s) released" in r.output


def test_keys_revoke(db_url: str, db: Database) -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "agent", "--db", db_url])
    key = created.output.strip().splitlines()[-1]
    key_id = created.output.split("created key ")[1].split()[0]
    result = runner.invoke(app, ["keys", "revoke", key_id, "--db", db_url])
    assert result.exit_code == 0, result.output
    with db.reader() as s, pytest.raises(AuthenticationError):
        authenticate(session=s, raw_key=key)
    missing = runner.invoke(app, ["keys", "revoke", "999999", "--db", db_url])
    assert missing.exit_code == 1 and "API key 999999 not found" in missing.output


def test_demo_prints_a_console_user_and_a_key(db_url: str, db: Database) -> None:
    from maillon.core.users import sign_in_with_password

    result = runner.invoke(
        app, ["demo", "--days", "2", "--orders", "12", "--no-serve", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    password, key = result.output.strip().splitlines()[-2:]
    with db.transaction() as s:
        assert sign_in_with_password(session=s, username="demo", password=password)
        assert authenticate(session=s, raw_key=key).role.value == "admin"
