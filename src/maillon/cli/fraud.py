"""``maillon fraud``: fraud scoring: review queue, training and the model card."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError

fraud_app = typer.Typer(
    help="Fraud scoring: review queue, training and the model card.", no_args_is_help=True
)


def _date(value: str | None, option: str) -> datetime | None:
    """Return an ISO date or datetime as aware UTC. Raises ValidationError naming ``option``."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            FieldError(option, f"{value!r} is not a date (YYYY-MM-DD or ISO 8601)")
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@fraud_app.command("train")
def train(
    start: Annotated[
        str | None, typer.Option("--from", help="first order date to learn from (YYYY-MM-DD)")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="learn from orders before this")] = None,
    seed: Annotated[int, typer.Option(help="random seed (LightGBM)")] = 0,
    mature_days: Annotated[
        int, typer.Option(help="days after which an unreviewed order without chargeback is legit")
    ] = 30,
    min_fraud: Annotated[int, typer.Option(help="fraud labels needed to train")] = 10,
    out: Annotated[
        Path | None, typer.Option(help="folder for the model card (default: the data folder)")
    ] = None,
    activate: Annotated[bool, typer.Option(help="score orders with it from now on")] = True,
    db: DbOption = None,
) -> None:
    """Choose and train the model on labelled orders (thresholds from the settings' costs),
    write its card and activate it."""
    from maillon.core.settings import load_settings
    from maillon.fraud.service import training

    database = open_db(db)
    folder = out if out is not None else load_settings(db).data_dir / "fraud"
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            progress.add_task("training the fraud model on labelled orders", total=None)
            result = training.train_model(
                database,
                actor=ACTOR,
                start=_date(start, "--from"),
                end=_date(end, "--to"),
                seed=seed,
                mature_days=mature_days,
                min_fraud=min_fraud,
                out_dir=folder,
                activate=activate,
            )
    except training.NotEnoughLabels as exc:
        console.print(f"[yellow]not trained:[/yellow] {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    except MaillonError as exc:
        fail(exc)
    console.print(Markdown(result.markdown))
    for path in result.files:
        console.print(f"wrote {path}", highlight=False)


@fraud_app.command("card")
def card(
    as_json: Annotated[bool, typer.Option("--json", help="print the card as JSON")] = False,
    db: DbOption = None,
) -> None:
    """Print the active model's card (or say that the rules decide alone)."""
    from maillon.fraud.service import training

    database = open_db(db)
    with database.reader() as session:
        record = training.active_model(session=session)
        data = dict(record.card) if record is not None else None
    if data is None:
        console.print("no active model: the rules alone score orders (see `maillon fraud train`)")
        return
    if as_json:
        console.print_json(json.dumps(data, default=str))
    else:
        console.print(Markdown(training.card_markdown(data, active=True)))


@fraud_app.command("models")
def models(db: DbOption = None) -> None:
    """List the trained models, newest first."""
    from maillon.fraud.service import training

    database = open_db(db)
    table = Table(
        Column("version", no_wrap=True), "active", "trained", "orders", "fraud", "ROC-AUC", "PR-AUC"
    )
    with database.reader() as session:
        for r in training.list_models(session=session):
            table.add_row(
                r.version,
                "yes" if r.active else "",
                f"{r.trained_at:%Y-%m-%d %H:%M}",
                str(r.n_samples),
                str(r.n_fraud),
                "n/a" if r.roc_auc is None else f"{r.roc_auc:.3f}",
                "n/a" if r.pr_auc is None else f"{r.pr_auc:.3f}",
            )
    console.print(table)


@fraud_app.command("activate")
def activate_cmd(
    version: Annotated[str | None, typer.Argument(help="model version; omit with --rules")] = None,
    rules: Annotated[bool, typer.Option("--rules", help="no model: the rules alone")] = False,
    db: DbOption = None,
) -> None:
    """Score orders with an earlier model, or with the rules alone (--rules)."""
    from maillon.fraud.service import training

    if (version is None) == (not rules):
        console.print("[red]error:[/red] give a model version, or --rules")
        raise typer.Exit(1)
    database = open_db(db)
    try:
        with database.transaction() as session:
            training.activate_model(session=session, version=None if rules else version)
    except MaillonError as exc:
        fail(exc)
    console.print("the rules alone score orders" if rules else f"model {version} is active")


@fraud_app.command("reviews")
def reviews(
    status: Annotated[str, typer.Option(help="open, approved, rejected")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = None,
) -> None:
    """The review queue: orders waiting for an analyst, with their score and reasons."""
    from maillon.fraud import service

    database = open_db(db)
    table = Table(
        Column("order", no_wrap=True), "placed", "customer", "total", "score", "scored", "reasons"
    )
    try:
        with database.reader() as session:
            items, total = service.list_reviews(session=session, status=status, limit=limit)
            for item in items:
                a, o = item.assessment, item.order
                table.add_row(
                    o.number,
                    f"{o.created_at:%Y-%m-%d %H:%M}",
                    o.customer.email,
                    f"{o.total_cents / 100:.2f} {o.currency}",
                    f"{a.score:.2f}",
                    a.decision,
                    "; ".join(a.reasons[:4]),
                )
    except MaillonError as exc:
        fail(exc)
    console.print(table)
    console.print(f"{total} order(s) {status}", highlight=False)


@fraud_app.command("decide")
def decide(
    number: Annotated[str, typer.Argument(help="order number, e.g. M0000042")],
    decision: Annotated[str, typer.Argument(help="approve or reject")],
    note: Annotated[str, typer.Option(help="why (kept with the decision)")] = "",
    db: DbOption = None,
) -> None:
    """Approve or reject an order of the review queue (reject cancels it)."""
    from maillon.fraud import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            item = service.decide(
                session=session, number=number, decision=decision, analyst=ACTOR, note=note
            )
            status = item.order.status
    except MaillonError as exc:
        fail(exc)
    done = "approved" if decision == "approve" else "rejected"
    console.print(f"{number.upper()}: {done}; order {status}", highlight=False)


@fraud_app.command("chargeback")
def chargeback(
    number: Annotated[str, typer.Argument(help="order number")],
    amount_cents: Annotated[int, typer.Argument(help="amount charged back, in cents")],
    reason: Annotated[str, typer.Option(help="the provider's reason code")] = "",
    db: DbOption = None,
) -> None:
    """Record a chargeback (a fraud label for the next training)."""
    from maillon.fraud import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            _cb, created = service.record_chargeback(
                session=session,
                number=number,
                amount_cents=amount_cents,
                reason=reason,
                actor=ACTOR,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(
        f"chargeback on {number.upper()} " + ("recorded" if created else "was already recorded"),
        highlight=False,
    )


@fraud_app.command("rules")
def rules(
    file: Annotated[
        Path | None, typer.Option("--set", help="replace the configuration with this JSON file")
    ] = None,
    db: DbOption = None,
) -> None:
    """Print the rules configuration (JSON), or replace it with --set FILE."""
    from maillon.fraud import service

    database = open_db(db)
    try:
        if file is not None:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ValidationError(FieldError("file", f"cannot read {file}: {exc}")) from None
            except json.JSONDecodeError as exc:
                raise ValidationError(FieldError("file", f"{file} is not JSON: {exc}")) from None
            with database.transaction() as session:
                config, revision = service.set_config(session=session, data=data, actor=ACTOR)
        else:
            with database.reader() as session:
                config, revision = service.get_config(session=session)
    except MaillonError as exc:
        fail(exc)
    console.print_json(json.dumps({"revision": revision, **config.to_dict()}))
