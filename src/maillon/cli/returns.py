"""``maillon returns``: returns: RMAs, the merchant's return policy and the tamper-evident
record (verify the chain, export its head)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db, read_document
from maillon.core.errors import FieldError, MaillonError, ValidationError

returns_app = typer.Typer(
    help="Returns: RMAs, inspection, refunds and the tamper-evident record.", no_args_is_help=True
)


@returns_app.command("verify")
def verify(
    expected_head: Annotated[
        str | None,
        typer.Option("--expected-head", help="a head hash exported earlier (anchored elsewhere)"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Re-compute the returns record; exit 1 naming the first entry altered, removed or
    reordered."""
    from maillon.returns.service import record

    if expected_head is not None and (
        len(expected_head) != 64 or any(c not in "0123456789abcdef" for c in expected_head)
    ):
        fail(ValidationError(FieldError("expected_head", "64 lowercase hex characters")))
    database = open_db(db)
    with database.reader() as session:
        total = record.head(session=session).seq
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("verify", total=total or None)
            report = record.verify_chain(
                session=session,
                expected_head=expected_head,
                progress=lambda n: bar.advance(task, n),
            )
    if report.ok:
        console.print(
            f"chain intact: {report.count} entries, head {report.head_hash}", soft_wrap=True
        )
        return
    console.print(
        f"[red]chain broken[/red] at entry {report.bad_seq} ({report.problem}): {report.message}",
        soft_wrap=True,
    )
    raise typer.Exit(1)


@returns_app.command("head")
def head(db: DbOption = None) -> None:
    """Print the head of the returns record as JSON (to anchor it elsewhere)."""
    from maillon.returns.service import record

    database = open_db(db)
    with database.reader() as session:
        print(json.dumps(record.head(session=session).to_dict()))


@returns_app.command("list")
def list_returns(
    status: Annotated[str | None, typer.Option(help="only RMAs with this status")] = None,
    order: Annotated[str | None, typer.Option(help="only RMAs of this order")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = None,
) -> None:
    """List RMAs, newest first."""
    from maillon.orders.model import order_number
    from maillon.returns import service

    database = open_db(db)
    try:
        with database.reader() as session:
            rows = service.list_returns(session=session, status=status, order=order, limit=limit)
            table = Table("RMA", "order", "status", "channel", "units", "reason", "created")
            for r in rows:
                table.add_row(
                    r.number,
                    order_number(r.order_id),
                    r.status,
                    r.channel,
                    ", ".join(f"{x.quantity} x {x.sku}" for x in r.lines),
                    r.reason,
                    r.created_at.strftime("%Y-%m-%d %H:%M"),
                )
    except MaillonError as exc:
        fail(exc)
    if not rows:
        console.print("no returns")
        return
    console.print(table)


@returns_app.command("policy-show")
def policy_show(db: DbOption = None) -> None:
    """Print the return policy and handling settings (YAML)."""
    from maillon.returns import service
    from maillon.returns.config import settings_to_dict

    database = open_db(db)
    with database.reader() as session:
        document = settings_to_dict(service.load_settings(session=session))
    print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")


@returns_app.command("policy-set")
def policy_set(file: Path, db: DbOption = None) -> None:
    """Replace the return policy from a YAML or JSON file (missing keys take the defaults)."""
    from maillon.returns import service

    database = open_db(db)
    try:
        document = read_document(file)
        if not isinstance(document, dict):
            raise ValidationError(FieldError("file", "the settings must be a mapping"))
        with database.transaction() as session:
            settings = service.save_settings(session=session, document=document, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    p = settings.policy
    console.print(
        f"return policy saved: {p.default_window_days}-day window, "
        f"{len(p.window_days_by_category)} category window(s), {len(p.reasons)} reason codes"
    )


@returns_app.command("expire")
def expire(
    limit: Annotated[int, typer.Option(help="at most this many returns")] = 500,
    db: DbOption = None,
) -> None:
    """Cancel the returns whose parcel did not arrive in time, telling each customer once (the
    worker does it every hour)."""
    from maillon.returns.service import expiry

    try:
        with open_db(db).transaction() as session:
            expired = expiry.expire_returns(session=session, actor=ACTOR, limit=limit)
    except MaillonError as exc:
        fail(exc)
    for x in expired:
        console.print(f"{x.rma} ({x.was}) expired: parcel due by {x.deadline.isoformat()}")
    console.print(f"{len(expired)} return(s) expired")
