"""``maillon webhooks``: the endpoints that receive Maillon's events, their secrets and logs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import MaillonError

webhooks_app = typer.Typer(
    help="Outgoing webhooks: endpoints receiving order, shipment, tracking, return and ticket "
    "events, signed with HMAC-SHA256.",
    no_args_is_help=True,
)
TopicOption = Annotated[
    list[str] | None,
    typer.Option("--topic", help="order.*, shipment.*, tracking, return.*, ticket.*, a topic or *"),
]


def _state(active: bool, reason: str | None) -> str:
    return "active" if active else f"disabled ({reason or 'by an admin'})"


@webhooks_app.command("topics")
def topics() -> None:
    """List the topics an endpoint may subscribe to."""
    from maillon.webhooks.model import TOPICS

    for topic in TOPICS:
        console.print(topic)


@webhooks_app.command("create")
def create(
    url: str,
    topic: TopicOption = None,
    description: Annotated[str, typer.Option(help="what receives the events")] = "",
    db: DbOption = None,
) -> None:
    """Register an endpoint; its signing secret is printed once, as the last line."""
    from maillon.webhooks import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            endpoint, secret = service.create_endpoint(
                session=session, url=url, topics=topic or [], description=description, actor=ACTOR
            )
            endpoint_id, topics_ = endpoint.id, ", ".join(endpoint.topics)
    except MaillonError as exc:
        fail(exc)
    console.print(
        f"created endpoint {endpoint_id} for {topics_}; keep the secret, it is not shown again:"
    )
    print(secret)


@webhooks_app.command("list")
def list_(db: DbOption = None) -> None:
    """List the endpoints and their state (a disabled one says why)."""
    from maillon.webhooks import service

    database = open_db(db)
    with database.reader() as session:
        endpoints = service.list_endpoints(session=session)
    table = Table("id", "url", "topics", "state", "failures", "last success")
    for e in endpoints:
        table.add_row(
            str(e.id),
            e.url,
            ", ".join(e.topics),
            _state(e.active, e.disabled_reason),
            str(e.failures),
            f"{e.last_success_at:%Y-%m-%d %H:%M}" if e.last_success_at else "",
        )
    console.print(table)


@webhooks_app.command("update")
def update(
    endpoint_id: int,
    url: Annotated[str | None, typer.Option(help="the new URL")] = None,
    topic: TopicOption = None,
    description: Annotated[str | None, typer.Option()] = None,
    active: Annotated[
        bool | None, typer.Option("--enable/--disable", help="enable (failures cleared) or not")
    ] = None,
    rotate_secret: Annotated[
        bool, typer.Option("--rotate-secret", help="make a new secret (printed once)")
    ] = False,
    db: DbOption = None,
) -> None:
    """Change an endpoint's URL, topics, description or state, or rotate its secret."""
    from maillon.webhooks import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            endpoint, secret = service.update_endpoint(
                session=session,
                endpoint_id=endpoint_id,
                url=url,
                topics=topic,
                description=description,
                active=active,
                rotate_secret=rotate_secret,
            )
            state = _state(endpoint.active, endpoint.disabled_reason)
    except MaillonError as exc:
        fail(exc)
    console.print(f"endpoint {endpoint_id}: {state}")
    if secret is not None:
        console.print("new secret; keep it, it is not shown again:")
        print(secret)


@webhooks_app.command("delete")
def delete(endpoint_id: int, db: DbOption = None) -> None:
    """Delete an endpoint and its delivery log."""
    from maillon.webhooks import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            service.delete_endpoint(session=session, endpoint_id=endpoint_id)
    except MaillonError as exc:
        fail(exc)
    console.print(f"deleted endpoint {endpoint_id}")


@webhooks_app.command("ping")
def ping(endpoint_id: int, db: DbOption = None) -> None:
    """Send a signed webhook.ping to the endpoint now and say how it answered."""
    from maillon.webhooks import service
    from maillon.webhooks.service import sending

    database = open_db(db)
    try:
        with database.transaction() as session:
            delivery = service.request_ping(session=session, endpoint_id=endpoint_id, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    outcome = sending.deliver(database, delivery.id)
    attempt = outcome.attempt
    if attempt is None or not attempt.ok:
        console.print(f"[red]ping failed:[/red] {outcome.note}")
        raise typer.Exit(1)
    console.print(f"ping delivered: HTTP {attempt.status_code} in {attempt.latency_ms} ms")


@webhooks_app.command("deliveries")
def deliveries(
    endpoint_id: int,
    status: Annotated[
        str | None, typer.Option(help="pending, delivered, failed, cancelled")
    ] = None,
    limit: int = 20,
    db: DbOption = None,
) -> None:
    """Show an endpoint's delivery log, newest first."""
    from maillon.webhooks import service

    database = open_db(db)
    try:
        with database.reader() as session:
            rows, total = service.deliveries_of(
                session=session, endpoint_id=endpoint_id, status=status, limit=limit
            )
    except MaillonError as exc:
        fail(exc)
    table = Table(
        "id",
        "event",
        "topic",
        "status",
        "attempts",
        "answer",
        "ms",
        "error",
        title=f"{total} deliveries",
    )
    for d in rows:
        table.add_row(
            str(d.id),
            str(d.event_id),
            d.topic,
            d.status,
            str(d.attempts),
            str(d.response_status or ""),
            str(d.latency_ms if d.latency_ms is not None else ""),
            d.error or "",
        )
    console.print(table)
