"""``maillon carriers``: set an account (credentials encrypted, never printed), list the
carriers' modes, disable, and a refusal naming the missing credential."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.core.secrets import SecretBox
from maillon.shipping.tables import CarrierAccountRow
from tests.helpers import seed_basic

runner = CliRunner()


def test_carrier_account_commands(db_url: str, db: Database) -> None:
    seed_basic(db)
    base = ["carriers", "account", "set", "colissimo", "--connector", "colissimo", "--db", db_url]
    r = runner.invoke(app, [*base, "--mode", "live", "--credential", "contract_number=811200"])
    assert r.exit_code == 1 and "credentials.password" in r.output, r.output

    r = runner.invoke(
        app,
        [
            *base,
            "--mode",
            "sandbox",
            "--credential",
            "contract_number=811200",
            "--credential",
            "password=s3cret!",
            "--label-format",
            "zpl",
            "--base-url",
            "http://127.0.0.1:9",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "sandbox through colissimo (credentials set: contract_number, password)" in r.output
    assert "s3cret" not in r.output
    with db.reader() as s:
        row = s.scalar(select(CarrierAccountRow))
    assert (
        row is not None and row.label_format == "zpl" and "s3cret" not in row.credentials_encrypted
    )

    r = runner.invoke(app, ["carriers", "list", "--db", db_url])
    assert r.exit_code == 0 and "sandbox" in r.output and "relay_search" in r.output, r.output
    assert "s3cret" not in r.output

    r = runner.invoke(app, ["carriers", "account", "disable", "colissimo", "--db", db_url])
    assert r.exit_code == 0 and "rate card only" in r.output
    r = runner.invoke(app, ["carriers", "list", "--db", db_url])
    assert "rate_card (disabled)" in r.output

    r = runner.invoke(app, [*base, "--credential", "nokey"])
    assert r.exit_code == 1 and "credential" in r.output

    r = runner.invoke(app, ["carriers", "new-key"])
    assert r.exit_code == 0
    SecretBox(r.output.strip())  # a usable key
