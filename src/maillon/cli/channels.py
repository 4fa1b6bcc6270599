"""``maillon channels``: shops: the stock drift report, a stock push now, the inbox of
refused webhooks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import MaillonError

channels_app = typer.Typer(
    help="Shops: stock drift, stock push, refused webhooks.", no_args_is_help=True
)


@channels_app.command("drift")
def drift(
    code: str,
    only_drifting: Annotated[bool, typer.Option(help="hide the SKUs in step")] = False,
    db: DbOption = None,
) -> None:
    """Our available units against the shop's, per SKU (the drifting ones first)."""
    from maillon.channels.service import outgoing

    try:
        rows = outgoing.drift_report(open_db(db), code=code)
    except MaillonError as exc:
        fail(exc)
    table = Table("SKU", "ours", "shop", "shop - ours")
    drifting = 0
    for row in rows:
        gap = row.difference
        drifting += gap != 0
        if only_drifting and gap == 0:
            continue
        theirs = "not sold" if row.theirs is None else str(row.theirs)
        table.add_row(row.sku, str(row.ours), theirs, "" if gap is None else f"{gap:+d}")
    console.print(table)
    console.print(f"{drifting} of {len(rows)} SKU(s) drift")


@channels_app.command("push-stock")
def push_stock(
    code: Annotated[list[str] | None, typer.Argument(help="channels (all connected: none)")] = None,
    full: Annotated[bool, typer.Option(help="every SKU, not only those that changed")] = False,
    db: DbOption = None,
) -> None:
    """Set the shops' stock to our available units now (the worker does it every 15 min)."""
    from maillon.channels.service import outgoing

    try:
        report = outgoing.push_stock(open_db(db), codes=code or None, full=full)
    except MaillonError as exc:
        fail(exc)
    for channel, result in report.items():
        console.print(f"{channel}: {result['updated']} SKU(s) set, {result['unknown']} not sold")


@channels_app.command("inbox")
def inbox(db: DbOption = None) -> None:
    """Webhooks refused and waiting to be fixed and reprocessed."""
    from maillon.channels.service import incoming

    database = open_db(db)
    table = Table("id", "channel", "kind", "shop order", "received", "why")
    with database.reader() as session:
        for entry, channel in incoming.list_inbox(session=session, limit=500):
            why = "; ".join(f"{e['field']}: {e['message']}" for e in entry.errors)
            table.add_row(
                str(entry.id), channel, entry.kind, entry.shop_order_id, str(entry.received), why
            )
    console.print(table)


@channels_app.command("reprocess")
def reprocess(entry_id: int, db: DbOption = None) -> None:
    """Take a refused webhook again (after fixing it through the API or the console)."""
    from maillon.channels.service import incoming

    try:
        entry = incoming.reprocess(open_db(db), entry_id=entry_id, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    console.print(f"inbox entry {entry_id}: {entry.status} (order {entry.order_number})")
