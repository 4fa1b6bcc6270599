"""``maillon carriers``: each carrier's mode (sandbox, live, rate card only), its API account
and what it can do; the secret key the credentials are encrypted with."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError

carriers_app = typer.Typer(
    help="Carriers: their mode (sandbox, live, rate card), API accounts and capabilities.",
    no_args_is_help=True,
)
account_app = typer.Typer(help="A carrier's API account.", no_args_is_help=True)
carriers_app.add_typer(account_app, name="account")


def _pairs(values: list[str], field: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, secret = value.partition("=")
        if not sep or not key.strip():
            raise ValidationError(FieldError(field, f"{value.split('=')[0]!r}: write KEY=VALUE"))
        pairs[key.strip()] = secret
    return pairs


@carriers_app.command("list")
def list_cmd(db: DbOption = None) -> None:
    """List every carrier with its mode, connector, credential keys set and capabilities."""
    from maillon.shipping.service import accounts

    database = open_db(db)
    with database.reader() as session:
        views = accounts.account_views(session=session)
    table = Table("carrier", "mode", "connector", "credentials set", "missing", "can")
    for v in views:
        table.add_row(
            v.carrier,
            v.mode.value + (" (disabled)" if v.disabled else ""),
            v.connector or "-",
            ", ".join(v.credential_keys) or "-",
            ", ".join(v.missing_credentials) or "-",
            ", ".join(sorted(c.value for c in v.capabilities)),
        )
    console.print(table)


@account_app.command("set")
def set_cmd(
    carrier: Annotated[str, typer.Argument(help="the carrier's code")],
    connector: Annotated[str, typer.Option(help="the API it speaks (colissimo, ...)")],
    mode: Annotated[str, typer.Option(help="sandbox, live or rate_card")] = "sandbox",
    credential: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE, repeated (stored encrypted; KEY= removes one)"),
    ] = None,
    option: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeated")] = None,
    base_url: Annotated[str | None, typer.Option(help="replace the carrier's address")] = None,
    label_format: Annotated[str, typer.Option(help="pdf or zpl")] = "pdf",
    db: DbOption = None,
) -> None:
    """Add or change CARRIER's API account; it is used at once for new shipments."""
    from maillon.shipping.service import accounts

    database = open_db(db)
    try:
        credentials = _pairs(credential or [], "credential")
        options = _pairs(option, "option") if option else None
        with database.transaction() as session:
            accounts.set_account(
                session=session,
                carrier_code=carrier,
                connector=connector,
                mode=mode,
                credentials=credentials,
                base_url=base_url,
                label_format=label_format,
                options=options,
                actor=ACTOR,
            )
            [view] = accounts.account_views(session=session, carrier_code=carrier)
    except MaillonError as exc:
        fail(exc)
    keys = ", ".join(view.credential_keys) or "none"
    console.print(f"{carrier}: {view.mode.value} through {connector} (credentials set: {keys})")


@account_app.command("disable")
def disable_cmd(
    carrier: Annotated[str, typer.Argument(help="the carrier's code")], db: DbOption = None
) -> None:
    """Put CARRIER back on its rate card (the account and its credentials are kept)."""
    from maillon.shipping.service import accounts

    database = open_db(db)
    try:
        with database.transaction() as session:
            accounts.disable_account(session=session, carrier_code=carrier, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    console.print(f"{carrier}: rate card only")


@carriers_app.command("new-key")
def new_key_cmd() -> None:
    """Print a fresh secret key for MAILLON_SECRET_KEY (keep it with your backups)."""
    from maillon.core.secrets import new_key

    console.print(new_key())
