"""The ``maillon`` command: every package's commands under one Typer app.

Each command takes ``--db URL`` (default: ``MAILLON_DATABASE_URL`` or the SQLite file in the
user's data folder), runs one use case in one transaction and prints the result. Errors print
their message (naming the field) and exit with status 1.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from maillon.cli.analytics import kpi
from maillon.cli.care import care_app
from maillon.cli.carriers import carriers_app
from maillon.cli.channels import channels_app
from maillon.cli.common import ACTOR, DbOption, _cleanup, console, fail, open_db
from maillon.cli.delivery import delivery_app
from maillon.cli.fraud import fraud_app
from maillon.cli.planning import plan_app
from maillon.cli.relay_points import relay_points_app
from maillon.cli.returns import returns_app
from maillon.cli.shipping import shipping_app
from maillon.cli.users import users_app
from maillon.cli.warehouse import warehouse_app
from maillon.cli.webhooks import webhooks_app
from maillon.core.db import Database
from maillon.core.errors import MaillonError
from maillon.core.settings import load_settings

app = typer.Typer(
    help="Maillon: operations for e-commerce, from order to after-sales.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
orders_app = typer.Typer(help="Orders through the chain.", no_args_is_help=True)
stock_app = typer.Typer(help="Warehouses and stock.", no_args_is_help=True)
products_app = typer.Typer(help="The catalogue.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(orders_app, name="orders")
app.add_typer(stock_app, name="stock")
app.add_typer(products_app, name="products")
app.add_typer(db_app, name="db")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(shipping_app, name="shipping")
app.add_typer(carriers_app, name="carriers")
app.add_typer(delivery_app, name="delivery")
app.add_typer(relay_points_app, name="relay-points")
app.add_typer(returns_app, name="returns")
app.add_typer(care_app, name="care")
app.add_typer(plan_app, name="plan")
app.add_typer(fraud_app, name="fraud")
app.add_typer(channels_app, name="channels")
app.add_typer(webhooks_app, name="webhooks")
app.command("kpi")(kpi)


@app.callback()
def _start(ctx: typer.Context) -> None:
    """Maillon: operations for e-commerce, from order to after-sales."""
    stack = ExitStack()
    ctx.call_on_close(stack.close)  # databases opened by the command close with it
    _cleanup.set(stack)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or upgrade the schema to the newest migration."""
    database = open_db(db)
    console.print(f"schema up to date: {database.url.split('@')[-1]}")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, operator, picker or agent")],
    name: Annotated[str, typer.Option(help="who or what uses the key")] = "",
    db: DbOption = None,
) -> None:
    """Create an API key; the key is printed once, as the last line."""
    from maillon.core.auth import create_key

    database = open_db(db)
    try:
        with database.transaction() as session:
            row, raw = create_key(session=session, role=role, name=name)
    except MaillonError as exc:
        fail(exc)
    console.print(f"created key {row.id} ({row.role}); keep it secret, it is not stored:")
    print(raw)


@keys_app.command("revoke")
def keys_revoke(key_id: int, db: DbOption = None) -> None:
    """Revoke an API key by its id (see the console or GET /api/v1/keys)."""
    from maillon.core.auth import revoke_key

    database = open_db(db)
    try:
        with database.transaction() as session:
            row = revoke_key(session=session, key_id=key_id)
    except MaillonError as exc:
        fail(exc)
    console.print(f"revoked key {row.id} ({row.role}, {row.prefix}...)")


@products_app.command("add")
def products_add(
    sku: str,
    name: str,
    weight_g: Annotated[int, typer.Option()],
    length_mm: Annotated[int, typer.Option()],
    width_mm: Annotated[int, typer.Option()],
    height_mm: Annotated[int, typer.Option()],
    price_cents: Annotated[int, typer.Option()] = 0,
    gtin: Annotated[str | None, typer.Option()] = None,
    category: str = "",
    db: DbOption = None,
) -> None:
    """Add a product."""
    from maillon.catalog.model import ProductSpec
    from maillon.catalog.service import create_product

    database = open_db(db)
    spec = ProductSpec(
        sku, name, gtin, length_mm, width_mm, height_mm, weight_g, price_cents, category
    )
    try:
        with database.transaction() as session:
            create_product(session=session, spec=spec)
    except MaillonError as exc:
        fail(exc)
    console.print(f"added {sku}")


@stock_app.command("add-warehouse")
def add_warehouse(
    code: str,
    name: str,
    postcode: str = "",
    city: str = "",
    priority: int = 100,
    db: DbOption = None,
) -> None:
    """Add a warehouse."""
    from maillon.inventory.service import create_warehouse

    database = open_db(db)
    try:
        with database.transaction() as session:
            create_warehouse(
                session=session,
                code=code,
                name=name,
                postcode=postcode,
                city=city,
                priority=priority,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(f"added warehouse {code}")


@stock_app.command("receive")
def stock_receive(
    warehouse: str, location: str, sku: str, quantity: int, reference: str = "", db: DbOption = None
) -> None:
    """Receive goods into a location."""
    from maillon.inventory.service import receive

    database = open_db(db)
    try:
        with database.transaction() as session:
            level = receive(
                session=session,
                warehouse_code=warehouse,
                location_code=location,
                sku=sku,
                quantity=quantity,
                reference=reference,
                actor=ACTOR,
            )
            on_hand, reserved = level.on_hand, level.reserved
    except MaillonError as exc:
        fail(exc)
    console.print(f"{sku} at {warehouse}/{location}: {on_hand} on hand, {reserved} reserved")


@stock_app.command("list")
def stock_list(
    sku: str | None = None, warehouse: str | None = None, limit: int = 50, db: DbOption = None
) -> None:
    """Show balances: on hand, reserved, available."""
    from maillon.inventory.service import list_balances

    database = open_db(db)
    with database.reader() as session:
        rows, total = list_balances(session=session, sku=sku, warehouse=warehouse, limit=limit)
    table = Table(
        "warehouse",
        "location",
        "sku",
        "on hand",
        "reserved",
        "available",
        title=f"{total} balances",
    )
    for r in rows:
        table.add_row(
            r.warehouse, r.location, r.sku, str(r.on_hand), str(r.reserved), str(r.available)
        )
    console.print(table)


@stock_app.command("check")
def stock_check(db: DbOption = None) -> None:
    """Verify that every balance equals the sum of its ledger movements."""
    from maillon.inventory.service import ledger_mismatches

    database = open_db(db)
    with database.reader() as session:
        bad = ledger_mismatches(session=session)
    if bad:
        for row in bad:
            console.print(
                f"[red]stock record {row[0]}[/red]: balance {row[1]}/{row[3]}, "
                f"ledger {row[2]}/{row[4]}"
            )
        raise typer.Exit(1)
    console.print("ledger and balances agree")


def _print_order(number: str, database: Database) -> None:
    from maillon.orders.queries import order_events
    from maillon.orders.service import get_order

    with database.reader() as session:
        order = get_order(session=session, number=number)
        console.print(
            f"[bold]{order.number}[/bold] {order.status} · {order.customer.email} · "
            f"{order.ship_postcode} {order.ship_city} · {order.total_cents / 100:.2f} "
            f"{order.currency}"
        )
        for line in order.lines:
            console.print(f"  {line.quantity} x {line.sku} {line.name}")
        for e in order_events(session=session, order=order):
            console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.to_status:<12} {e.actor} {e.note}")


@orders_app.command("create")
def orders_create(
    file: Annotated[
        Path, typer.Argument(help="JSON file with the order ('-' for stdin)", allow_dash=True)
    ],
    db: DbOption = None,
) -> None:
    """Create an order from JSON (same shape as POST /api/v1/orders)."""
    from pydantic import ValidationError as PydanticError

    from maillon.orders.schemas import OrderCreate
    from maillon.orders.service import place_order

    text = sys.stdin.read() if str(file) == "-" else file.read_text()
    try:
        body = OrderCreate.model_validate(json.loads(text))
    except (json.JSONDecodeError, PydanticError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    database = open_db(db)
    try:
        order, created = place_order(database, body.to_draft(), actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    console.print("created" if created else "already received")
    _print_order(order.number, database)


def _step(number: str, db: str | None, action: Any) -> None:
    database = open_db(db)
    try:
        with database.transaction() as session:
            action(session)
    except MaillonError as exc:
        fail(exc)
    _print_order(number, database)


@orders_app.command("import")
def orders_import(
    file: Annotated[Path, typer.Argument(help="CSV file, one line item per row")],
    channel: Annotated[str, typer.Option(help="channel of rows without one")] = "csv",
    db: DbOption = None,
) -> None:
    """Import orders from CSV; good orders go in, every bad row is named.

    Columns: external_id, email, name, line1, postcode, city, sku, quantity (required);
    channel, phone, line2, country, unit_price, ship_complete, note (optional).
    """
    from maillon.orders.service import import_orders_csv

    database = open_db(db)
    try:
        report = import_orders_csv(
            database, file.read_text(encoding="utf-8-sig"), actor=ACTOR, channel=channel
        )
    except MaillonError as exc:
        fail(exc)
    console.print(f"{len(report.created)} order(s) created, {len(report.replayed)} already known")
    for e in report.errors:
        console.print(f"[red]row {e.row}[/red] {e.field}: {e.message}")
    if report.errors:
        raise typer.Exit(1)


@app.command("sensors-listen")
def sensors_listen(
    broker: Annotated[str, typer.Option(help="MQTT broker host:port")] = "127.0.0.1:1883",
    topic: Annotated[str, typer.Option()] = "maillon/sensors/+/readings",
    db: DbOption = None,
) -> None:
    """Record shelf-sensor readings published on an MQTT broker (until interrupted)."""
    from maillon.inventory.mqtt import SensorListener

    host, _, port = broker.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter("use host:port", param_hint="--broker")
    database = open_db(db)
    console.print(f"listening on {broker} for {topic}")
    SensorListener(database, host, int(port), topic).run_forever()


@app.command("sensors-check")
def sensors_check(db: DbOption = None) -> None:
    """Alert on shelf sensors silent longer than their interval (one alert each), close the
    alerts of those heard from again (the worker does it every five minutes)."""
    from maillon.inventory.service import sensors

    with open_db(db).transaction() as session:
        changes = sensors.check_silent(session=session)
    for c in changes:
        what = f"silent for {c.minutes} min: alert opened" if c.silent else "back: alert closed"
        console.print(f"sensor {c.sensor} {what}")
    console.print(f"{len(changes)} sensor(s) changed")


@app.command("holds-sweep")
def holds_sweep(db: DbOption = None) -> None:
    """Release checkout holds past their expiry (run it every minute, e.g. from cron)."""
    from maillon.orders.service.holds import sweep_expired

    database = open_db(db)
    console.print(f"{sweep_expired(database)} expired hold(s) released")


@app.command("channel-add")
def channel_add(
    code: str,
    kind: Annotated[str, typer.Option(help="shopify or woocommerce")],
    secret: Annotated[
        str, typer.Option(envvar="MAILLON_WEBHOOK_SECRET", help="the shop's webhook signing secret")
    ],
    shop_url: Annotated[
        str, typer.Option(help="the shop's address, to answer it (https://...)")
    ] = "",
    api_key: Annotated[
        str, typer.Option(envvar="MAILLON_SHOP_API_KEY", help="WooCommerce consumer key")
    ] = "",
    api_secret: Annotated[
        str,
        typer.Option(
            envvar="MAILLON_SHOP_API_SECRET",
            help="Shopify Admin API access token, or WooCommerce consumer secret",
        ),
    ] = "",
    stock_location: Annotated[
        str, typer.Option(help="Shopify location whose stock Maillon sets (id or gid)")
    ] = "",
    db: DbOption = None,
) -> None:
    """Register a webshop whose order webhooks Maillon accepts and, with its URL and
    credentials, that Maillon tells about shipments and stock."""
    from maillon.channels.service import register_channel

    database = open_db(db)
    try:
        with database.transaction() as session:
            channel = register_channel(
                session=session,
                code=code,
                kind=kind,
                webhook_secret=secret,
                shop_url=shop_url,
                api_key=api_key,
                api_secret=api_secret,
                stock_location=stock_location,
            )
            connected = bool(channel.api_secret)
    except MaillonError as exc:
        fail(exc)
    console.print(f"webhook URL: /api/v1/webhooks/{kind}/{code}")
    if connected:
        console.print("fulfilments and stock will be pushed to the shop")


@orders_app.command("show")
def orders_show(number: str, db: DbOption = None) -> None:
    """Show an order and its timeline."""
    database = open_db(db)
    try:
        _print_order(number, database)
    except MaillonError as exc:
        fail(exc)


@orders_app.command("list")
def orders_list(status: str | None = None, limit: int = 20, db: DbOption = None) -> None:
    """List recent orders."""
    from maillon.orders.service import list_orders

    database = open_db(db)
    with database.reader() as session:
        rows, total = list_orders(session=session, status=status, limit=limit)
        table = Table("number", "created", "status", "customer", "city", title=f"{total} orders")
        for o in rows:
            table.add_row(
                o.number, f"{o.created_at:%Y-%m-%d %H:%M}", o.status, o.customer.email, o.ship_city
            )
    console.print(table)


@orders_app.command("allocate")
def orders_allocate(number: str, db: DbOption = None) -> None:
    """Reserve stock for an order (or leave it backordered)."""
    from maillon.orders.service import allocate_order

    _step(number, db, lambda s: allocate_order(session=s, number=number, actor=ACTOR))


@orders_app.command("pick")
def orders_pick(number: str, db: DbOption = None) -> None:
    """Issue the pick lists and confirm them picked in full."""
    from maillon.warehouse.service import confirm_pick_list, create_pick_lists

    def action(s: Any) -> None:
        for pick_list in create_pick_lists(session=s, number=number, actor=ACTOR):
            for line in pick_list.lines:
                console.print(f"  pick {line.quantity} x {line.sku} at {line.location_code}")
            confirm_pick_list(session=s, pick_list_id=pick_list.id, picked=None, actor=ACTOR)

    _step(number, db, action)


@orders_app.command("pack")
def orders_pack(number: str, db: DbOption = None) -> None:
    """Pack a picked order into one estimated parcel."""
    from maillon.warehouse.service.packing_flow import finish_packing

    _step(number, db, lambda s: finish_packing(session=s, number=number, actor=ACTOR))


@orders_app.command("ship")
def orders_ship(number: str, carrier: Annotated[str, typer.Option()], db: DbOption = None) -> None:
    """Hand a packed order to a carrier."""
    from maillon.shipping.service import ship_order

    _step(
        number,
        db,
        lambda s: ship_order(session=s, number=number, carrier_code=carrier, actor=ACTOR),
    )


@orders_app.command("deliver")
def orders_deliver(number: str, db: DbOption = None) -> None:
    """Confirm delivery of a shipped order."""
    from maillon.shipping.service.follow_up import mark_delivered

    _step(number, db, lambda s: mark_delivered(session=s, number=number, actor=ACTOR))


@orders_app.command("cancel")
def orders_cancel(number: str, reason: Annotated[str, typer.Option()], db: DbOption = None) -> None:
    """Cancel an order that has not shipped (releases its stock)."""
    from maillon.orders.service import cancel_order

    _step(number, db, lambda s: cancel_order(session=s, number=number, reason=reason, actor=ACTOR))


@app.command("carrier-add")
def carrier_add(code: str, name: str, prefix: str = "MA", db: DbOption = None) -> None:
    """Add a carrier."""
    from maillon.shipping.service import create_carrier

    database = open_db(db)
    try:
        with database.transaction() as session:
            create_carrier(session=session, code=code, name=name, tracking_prefix=prefix)
    except MaillonError as exc:
        fail(exc)
    console.print(f"added carrier {code}")


@app.command("outbox-deliver")
def outbox_deliver(
    smtp_url: Annotated[
        str | None,
        typer.Option(
            envvar="MAILLON_SMTP_URL",
            help="smtp://user:pass@host:587, smtps://host:465 or smtp://127.0.0.1:2525?tls=off",
        ),
    ] = None,
    sender: Annotated[
        str | None, typer.Option(envvar="MAILLON_SMTP_FROM", help="From: address")
    ] = None,
    db: DbOption = None,
) -> None:
    """Send the messages waiting in the outbox (confirmations, shipping notices, replies) now;
    ``maillon serve`` and ``maillon worker`` send them by themselves within seconds."""
    from maillon.core.outbox import (
        ChannelSender,
        Sender,
        deliver_pending,
        shop_name,
        sms_sender_from_environment,
        smtp_sender_from_url,
        waiting,
    )

    if not smtp_url:
        console.print(
            "[red]error:[/red] no transport: set MAILLON_SMTP_URL or pass --smtp-url "
            "(nothing was sent, nothing marked sent)"
        )
        raise typer.Exit(2)
    try:
        senders: dict[str, Sender] = {
            "email": smtp_sender_from_url(smtp_url, sender=sender, sender_name=shop_name())
        }
    except ValueError as exc:
        console.print(f"[red]error:[/red] --smtp-url: {exc}")
        raise typer.Exit(2) from None
    try:  # text messages too when MAILLON_SMS_PROVIDER names one
        sms = sms_sender_from_environment()
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if sms is not None:
        senders["sms"] = sms
    transport = ChannelSender(senders)
    database = open_db(db)
    count = deliver_pending(database, transport)
    console.print(
        f"{count} message(s) delivered through {transport.describe()}, "
        f"{waiting(database)} still waiting"
    )


def _check_public_url() -> None:
    """Refuse to start with a MAILLON_PUBLIC_URL the e-mails' links cannot start with (found
    at start, not as a 500 on the first order)."""
    from maillon.core.outbox import brand_from_environment

    try:
        brand_from_environment()
    except ValueError as exc:
        console.print(f"[red]error:[/red] MAILLON_PUBLIC_URL: {exc}")
        raise typer.Exit(2) from None


@app.command("serve")
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=0, max=32, help="worker threads run in this process (0: none)"),
    ] = 2,
) -> None:
    """Serve the API (docs at /docs) and the console, with the worker tier inside unless
    ``--workers 0`` (then run ``maillon worker`` beside it)."""
    import uvicorn

    from maillon.app import create_app, tune_for_serving
    from maillon.worker.engine import Embedded, Engine

    _check_public_url()
    database = open_db(db)
    app = create_app(database)
    try:
        tune_for_serving(app)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    engine = Engine(database).install()
    embedded = Embedded(engine, workers=workers).start() if workers else None
    where = f"{workers} worker thread(s) inside" if workers else "no worker inside"
    console.print(f"Maillon on http://{host}:{port} (API docs at /docs), {where}")
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if embedded is not None:
            embedded.stop()


@app.command("worker")
def worker(
    db: DbOption = None,
    processes: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 2,
    no_schedule: Annotated[
        bool,
        typer.Option("--no-schedule", help="run jobs only; another worker schedules"),
    ] = False,
) -> None:
    """Run the worker tier: jobs and scheduled work, on as many machines as needed against
    one PostgreSQL (each scheduled job is recorded once per slot, whoever schedules it)."""
    from maillon.worker.engine import Engine, run_workers

    _check_public_url()
    database = open_db(db)
    engine = Engine(database).install()
    console.print(
        f"Maillon worker: {processes} process(es), schedule {'off' if no_schedule else 'on'}"
    )
    run_workers(engine, processes=processes, periodic=not no_schedule)


@app.command("demo")
def demo(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    days: Annotated[int, typer.Option(min=1, max=365, help="days of business")] = 30,
    orders_count: Annotated[
        int | None,
        typer.Option("--orders", min=1, help="orders to generate (default about 67 a day)"),
    ] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the replay")] = False,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Generate a realistic month of business, replay it through the chain, then serve it."""
    import secrets

    from maillon.core.users import create_user
    from maillon.demo.carriers import start_demo_carriers
    from maillon.demo.run import connect_demo_shop, run_demo

    if db is None and not os.environ.get("MAILLON_DATABASE_URL"):
        # The demo gets a database of its own, made anew each run.
        path = load_settings().data_dir / "demo.db"
        for suffix in ("", "-wal", "-shm", ".jobs", ".jobs-wal", ".jobs-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = str(path)
        console.print(f"demo database: {path}")
    database = open_db(db)
    # the links of the e-mails written during the replay lead to the demo's own server
    os.environ.setdefault("MAILLON_PUBLIC_URL", f"http://127.0.0.1:{port}")
    carriers = start_demo_carriers()  # kept running while the console serves
    try:
        shop = None if no_serve else connect_demo_shop(database)
        key = run_demo(
            database, seed=seed, days=days, orders=orders_count, console=console, sandbox=carriers
        )
        password = secrets.token_urlsafe(9)
        with database.transaction() as session:
            create_user(
                session=session,
                username="demo",
                password=password,
                role="admin",
                display_name="Demo manager",
            )
    except MaillonError as exc:
        carriers.close()
        fail(exc)
    if no_serve:
        carriers.close()  # its sockets closed, not left to the garbage collector
        console.print("demo done; console user 'demo', password and API key:")
        print(password)
        print(key)
        return
    console.print(
        f"sign in at http://127.0.0.1:{port}/login as [bold]demo[/bold] with the password "
        f"[bold]{password}[/bold] (or the API key {key})"
    )
    _demo_mailbox()
    console.print(
        f"Colissimo, Chronopost and Mondial Relay ship in sandbox mode through their connectors "
        f"against the carrier sandbox at {carriers.url} (its home page lists the parcels); the "
        "other carriers on their rate cards (see /carriers)"
    )
    if shop:
        console.print(
            f"the webshop channel is a WooCommerce shop at {shop}: the worker pushes shipped "
            "orders and stock levels to it (its home page lists what it received)"
        )
    serve(db=database.url, port=port)


def _demo_mailbox() -> None:
    """Without a configured transport, the demo's e-mails go to a folder as ``.eml`` files
    (emptied first); say where."""
    if os.environ.get("MAILLON_SMTP_URL"):
        console.print(f"e-mails go to {os.environ['MAILLON_SMTP_URL'].split('@')[-1]}")
        return
    mailbox = load_settings().data_dir / "demo-mail"
    mailbox.mkdir(parents=True, exist_ok=True)
    for old in mailbox.glob("*.eml"):
        old.unlink()
    os.environ["MAILLON_SMTP_URL"] = mailbox.as_uri()
    console.print(
        f"the worker sends the demo's e-mails within a minute to {mailbox} "
        "(one .eml file each: open them in any mail client)"
    )


def main() -> None:
    """Entry point of the ``maillon`` script."""
    app()


if __name__ == "__main__":
    main()
