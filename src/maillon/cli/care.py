"""``maillon care``: after-sales: tickets, SLAs, intents and the FAQ assistant."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from maillon.cli.care_kb import kb_app
from maillon.cli.common import ACTOR, DbOption, console, fail, open_db, read_document
from maillon.core.errors import MaillonError

care_app = typer.Typer(
    help="After-sales: tickets, SLAs, intents and the FAQ assistant.", no_args_is_help=True
)
care_app.add_typer(kb_app, name="kb")


def _date(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        console.print(f"[red]error:[/red] {name}: not a date (YYYY-MM-DD)")
        raise typer.Exit(1) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@care_app.command("classify")
def classify_cmd(
    text: Annotated[str, typer.Argument(help="a customer message")], db: DbOption = None
) -> None:
    """Print the intent of a message, its confidence and the queue it would go to."""
    from maillon.care.service import classify

    if not text.strip():
        console.print("[red]error:[/red] text: is empty")
        raise typer.Exit(1)
    database = open_db(db)
    with database.reader() as session:
        r = classify.route(session=session, text=text)
    queue = r.category if r.routed else "other (a person triages it)"
    console.print(
        f"{r.intent}  confidence {r.confidence:.2f} ({r.best_guess})  queue {queue}",
        highlight=False,
    )


@care_app.command("retrain")
def retrain_cmd(
    from_tickets: Annotated[
        bool,
        typer.Option(
            "--from-tickets", help="learn from the tickets whose intent an agent set (required)"
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Retrain the intent model on the merchant's labelled tickets and report its accuracy."""
    from maillon.care.service import classify

    if not from_tickets:
        console.print("[red]error:[/red] --from-tickets: say where to learn from")
        raise typer.Exit(1)
    database = open_db(db)
    try:
        with (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
            database.transaction() as session,
        ):
            progress.add_task("training the intent model", total=None)
            report = classify.retrain(session=session, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)

    def pct(value: float | None) -> str:
        return "n/a (too few examples to hold out)" if value is None else f"{value:.1%}"

    console.print(
        f"model {report.model_id}: {report.examples} examples "
        f"({report.merchant_examples} from your tickets), {len(report.intents)} intents",
        highlight=False,
    )
    console.print(
        f"accuracy on {report.held_out} held-out tickets: {pct(report.accuracy)} "
        f"(previous model: {pct(report.previous_accuracy)})",
        highlight=False,
    )


@care_app.command("inbox")
def inbox_cmd(
    status: Annotated[str | None, typer.Option(help="a status, or 'active'")] = "active",
    queue: Annotated[str | None, typer.Option(help="category")] = None,
    sla: Annotated[str | None, typer.Option(help="breached, warning or ok")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = None,
) -> None:
    """List tickets with their SLA clocks (filtered by SLA: most urgent first)."""
    from maillon.care import service

    database = open_db(db)
    try:
        with database.reader() as session:
            rows, total = service.list_tickets(
                session=session, status=status, category=queue, sla_filter=sla, limit=limit
            )
            table = Table(title=f"{total} ticket(s)")
            for column in ("ticket", "status", "priority", "queue", "assignee", "SLA", "subject"):
                table.add_column(column)
            for ticket, state in rows:
                due = state.next_due_at
                clock = (
                    "breached" if state.breaches else f"due {due:%d/%m %H:%M} UTC" if due else "met"
                )
                if state.warning and not state.breaches:
                    clock = f"warning, {clock}"
                table.add_row(
                    f"T{ticket.id}",
                    ticket.status,
                    ticket.priority,
                    ticket.category,
                    ticket.assignee.name if ticket.assignee else "-",
                    clock,
                    ticket.subject[:50],
                )
    except MaillonError as exc:
        fail(exc)
    console.print(table)


@care_app.command("agent-add")
def agent_add_cmd(
    name: Annotated[str, typer.Argument(help="the agent's name")],
    skills: Annotated[str, typer.Option(help="comma-separated categories")] = "",
    email: Annotated[str, typer.Option()] = "",
    db: DbOption = None,
) -> None:
    """Add an agent who can be assigned tickets."""
    from maillon.care import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            agent = service.add_agent(
                session=session,
                name=name,
                email=email,
                skills=[s.strip() for s in skills.split(",") if s.strip()],
            )
            console.print(
                f"agent {agent.id} {agent.name}: skills {', '.join(agent.skills) or '-'}",
                highlight=False,
            )
    except MaillonError as exc:
        fail(exc)


@care_app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="a customer's question")],
    order: Annotated[str | None, typer.Option(help="order number")] = None,
    email: Annotated[str | None, typer.Option(help="the customer's e-mail")] = None,
    language: Annotated[str | None, typer.Option(help="fr or en")] = None,
    db: DbOption = None,
) -> None:
    """Ask the FAQ assistant, as a customer would (a hand-over may open a ticket)."""
    from maillon.care.service import assistant

    database = open_db(db)
    try:
        with database.transaction() as session:
            answer = assistant.ask(
                session=session,
                question=question,
                language=language,
                order_number=order,
                email=email,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(answer.answer, highlight=False)
    sources = ", ".join(
        str(s.get("id") or s.get("tracking_number") or s.get("order")) for s in answer.sources
    )
    console.print(
        f"[dim]{answer.kind}, confidence {answer.confidence:.2f}"
        + (f", sources {sources}" if sources else "")
        + (", handed over" if answer.handover else "")
        + "[/dim]"
    )


@care_app.command("stats")
def stats_cmd(
    start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD (excluded)")] = None,
    db: DbOption = None,
) -> None:
    """First-response and resolution times (business hours), CSAT and breaches per agent and
    category."""
    from maillon.care.queries import stats

    database = open_db(db)
    try:
        with database.reader() as session:
            result = stats.service_stats(
                session=session, start=_date(start, "--from"), end=_date(end, "--to")
            )
    except MaillonError as exc:
        fail(exc)

    def num(value: float | None, suffix: str = "") -> str:
        return "-" if value is None else f"{value:g}{suffix}"

    for title, groups in (("per agent", result.by_agent), ("per category", result.by_category)):
        table = Table(title=f"{result.tickets} ticket(s) {title} (business hours)")
        for column in ("", "tickets", "1st resp. p50", "resolution p50", "CSAT", "breaches"):
            table.add_column(column)
        for g in groups:
            table.add_row(
                g.key,
                str(g.tickets),
                num(g.first_response_median_h, " h"),
                num(g.resolution_median_h, " h"),
                f"{num(g.csat_average)} ({g.csat_responses})",
                str(g.breaches),
            )
        console.print(table)
    console.print(
        f"SLA: {result.sla.breaches} breached clock(s), {result.sla.warnings} in warning",
        highlight=False,
    )


@care_app.command("sla-show")
def sla_show(db: DbOption = None) -> None:
    """Print the SLA policy in force (YAML): business-hour targets per priority and category."""
    from maillon.care import service
    from maillon.care.policy_doc import policy_document

    with open_db(db).reader() as session:
        document = policy_document(service.sla_policy(session=session))
    console.print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")


@care_app.command("sla-set")
def sla_set(file: Path, db: DbOption = None) -> None:
    """Replace the SLA policy from a YAML or JSON file (the shape ``sla-show`` prints)."""
    from maillon.care import service

    try:
        document = read_document(file)
        with open_db(db).transaction() as session:
            policy = service.set_sla_policy(session=session, document=document, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    console.print(f"SLA policy set: {len(policy.targets)} target(s)")


@care_app.command("sla-check")
def sla_check(
    limit: Annotated[int, typer.Option(help="at most this many warnings and breaches")] = 500,
    db: DbOption = None,
) -> None:
    """Record, escalate and tell the tickets' SLA warnings and breaches, once each (the worker
    does it every five minutes)."""
    from maillon.care.service import escalations

    try:
        with open_db(db).transaction() as session:
            notices = escalations.check_slas(session=session, actor=ACTOR, limit=limit)
    except MaillonError as exc:
        fail(exc)
    for n in notices:
        escalated = f", escalated to {n.priority}" if n.escalated else ""
        told = f", told {', '.join(n.told)}" if n.told else ""
        console.print(f"ticket T{n.ticket_id} {n.clock} {n.level}{escalated}{told}")
    console.print(f"{len(notices)} SLA warning(s) and breach(es) recorded")
