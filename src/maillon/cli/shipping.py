"""``maillon shipping``: shipping: carriers, rates, labels, manifests and tracking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError

shipping_app = typer.Typer(
    help="Shipping: carriers, rates, labels, manifests and tracking.", no_args_is_help=True
)

_POLICIES = ("cheapest", "fastest", "best_value")


def _eur(cents: int | float | None) -> str:
    return "-" if cents is None else f"{cents / 100:.2f}"


def _day(text: str | None, field: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(FieldError(field, "must be a date such as 2026-11-02")) from None


@shipping_app.command("carriers-sync")
def carriers_sync(db: DbOption = None) -> None:
    """Create the carriers of the rate cards ($MAILLON_RATE_CARDS) missing from the database."""
    from maillon.shipping import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            created = [(c.code, c.name) for c in service.sync_carriers(session=session)]
    except MaillonError as exc:
        fail(exc)
    for code, name in created:
        console.print(f"added carrier {code} ({name})")
    console.print(f"{len(created)} carrier(s) added")


@shipping_app.command("rates")
def rates_cmd(
    order: Annotated[
        str | None, typer.Argument(help="order number (parcel from its lines)")
    ] = None,
    postcode: Annotated[str | None, typer.Option(help="destination postcode")] = None,
    country: Annotated[str, typer.Option(help="destination country (ISO code)")] = "FR",
    weight: Annotated[int | None, typer.Option(help="parcel weight in grams")] = None,
    size: Annotated[str, typer.Option(help="parcel sides in mm, LxWxH")] = "300x200x100",
    value: Annotated[float, typer.Option(help="declared value in euros")] = 0.0,
    policy: Annotated[str, typer.Option(help="cheapest, fastest or best_value")] = "best_value",
    show_excluded: Annotated[bool, typer.Option("--excluded", help="list exclusions")] = False,
    db: DbOption = None,
) -> None:
    """Rank the services for ORDER, or for --postcode/--weight, as a table with the reason."""
    from maillon.shipping import rates
    from maillon.shipping.service import quoting

    try:
        if policy not in _POLICIES:
            raise ValidationError(FieldError("policy", f"must be one of {', '.join(_POLICIES)}"))
        parcel = destination = None
        if order is None:
            if postcode is None:
                raise ValidationError(FieldError("postcode", "give an order or --postcode"))
            if weight is None:
                raise ValidationError(FieldError("weight", "give an order or --weight"))
            try:
                sides = [int(x) for x in size.lower().split("x")]
            except ValueError:
                sides = []
            if len(sides) != 3:
                raise ValidationError(FieldError("size", "must be LxWxH in mm, e.g. 300x200x100"))
            parcel = quoting.make_parcel(
                weight_g=weight,
                length_mm=sides[0],
                width_mm=sides[1],
                height_mm=sides[2],
                declared_value_cents=round(value * 100),
                field="",
            )
            destination = quoting.make_destination(country=country, postcode=postcode, field="")
        database = open_db(db)
        with database.reader() as session:
            shop = quoting.shop_rates(
                session=session,
                order_number=order,
                parcel=parcel,
                destination=destination,
                policy=rates.ShoppingPolicy(objective=rates.Objective(policy)),
            )
    except MaillonError as exc:
        fail(exc)
    p = shop.parcel
    console.print(
        f"{p.weight_g} g, {p.length_mm}x{p.width_mm}x{p.height_mm} mm to "
        f"{shop.destination.country} {shop.destination.postal_code} - policy {policy}"
    )
    table = Table("#", "carrier", "service", "kind", "zone", "EUR", "delivery", "on time")
    for k, q in enumerate(shop.result.quotes, start=1):
        table.add_row(
            str(k),
            q.carrier,
            q.service_name,
            q.kind.value,
            q.zone,
            _eur(q.total_cents),
            f"{q.promise.delivery_date:%a %d/%m}" if q.promise else "-",
            f"{q.on_time_rate:.0%} ({q.on_time_samples})" if q.on_time_rate is not None else "-",
        )
    console.print(table)
    console.print(shop.result.reason, soft_wrap=True)
    if show_excluded:
        for e in shop.result.excluded:
            console.print(f"  excluded {e.carrier}/{e.service}: {e.reason.value} - {e.detail}")


@shipping_app.command("manifest")
def manifest_cmd(
    carrier: Annotated[str, typer.Option(help="carrier code")],
    date: Annotated[str, typer.Option(help="hand-over day, YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="file to write (.csv or .pdf)")],
    warehouse: Annotated[str | None, typer.Option(help="only this warehouse")] = None,
    db: DbOption = None,
) -> None:
    """Write a carrier's daily manifest (CSV or PDF, from the --out extension)."""
    from maillon.shipping.service import documents

    fmt = out.suffix.lower().lstrip(".")
    try:
        if fmt not in documents.FORMATS:
            raise ValidationError(FieldError("out", "must end in .csv or .pdf"))
        day = _day(date, "date")
        assert day is not None
        database = open_db(db)
        with database.reader() as session:
            content, _media, _name = documents.manifest_document(
                session=session, carrier_code=carrier, day=day, fmt=fmt, warehouse_code=warehouse
            )
            manifest = documents.manifest_of(
                session=session, carrier_code=carrier, day=day, warehouse_code=warehouse
            )
    except MaillonError as exc:
        fail(exc)
    try:
        out.write_bytes(content)
    except OSError as exc:
        console.print(f"[red]error:[/red] out: cannot write {out}: {exc.strerror}")
        raise typer.Exit(1) from None
    console.print(
        f"{manifest.reference}: {manifest.total_parcels} parcel(s), "
        f"{manifest.total_weight_g / 1000:.3f} kg -> {out}"
    )


@shipping_app.command("detect-delays")
def detect_delays(db: DbOption = None) -> None:
    """Notify late shipments and carrier exceptions (once each): customer notice + ticket."""
    from maillon.shipping.service import follow_up

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
        ):
            progress.add_task("checking shipments", total=None)
            with database.transaction() as session:
                notices = follow_up.detect_delays(session=session, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    for n in notices:
        console.print(f"shipment {n.shipment_id} (order {n.order_number}) {n.kind}: {n.reason}")
    console.print(f"{len(notices)} shipment(s) notified")


@shipping_app.command("scorecards")
def scorecards(
    date_from: Annotated[str | None, typer.Option("--from", help="first hand-over day")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last hand-over day")] = None,
    db: DbOption = None,
) -> None:
    """Print carrier scorecards per zone: on time, transit spread, exceptions, claims."""
    from maillon.core import clock
    from maillon.shipping.service import history

    try:
        end = _day(date_to, "to") or clock.now().date()
        start = _day(date_from, "from") or end - dt.timedelta(days=29)
        database = open_db(db)
        with database.reader() as session:
            rows = history.carrier_scorecards(session=session, day_from=start, day_to=end)
    except MaillonError as exc:
        fail(exc)
    table = Table(title="damage/loss claims; promise: delivered by the promised day")
    table.add_column("carrier", no_wrap=True)
    for name in (
        "zone",
        "sent",
        "deliv",
        "on time",
        "transit d",
        "exc",
        "claims",
        "EUR",
        "promise",
    ):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(
            r.carrier,
            r.zone,
            str(r.shipments),
            str(r.delivered),
            "-" if r.on_time_rate is None else f"{r.on_time_rate:.0%}",
            "-" if r.transit_p50 is None else f"{r.transit_p50:g}/{r.transit_p90:g}",
            str(r.exceptions),
            f"{r.damage_claims}/{r.loss_claims}",
            _eur(r.claims_cents),
            f"{r.promise.on_time_rate:.0%}/{r.promise.count}" if r.promise.count else "-",
        )
    console.print(f"shipments handed over {start} to {end}")
    console.print(table)


@shipping_app.command("webhook-secret")
def webhook_secret(
    carrier: Annotated[str, typer.Argument(help="carrier code")],
    secret: Annotated[
        str | None,
        typer.Option(help="use this secret (24-200 characters); default: a new random one"),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="forget the secret (operator keys only)")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set or rotate the secret a carrier signs its tracking webhooks with (HMAC-SHA256 of
    the body in X-Maillon-Signature); the previous secret stops working at once."""
    from maillon.core import clock
    from maillon.shipping import service
    from maillon.shipping.tables import WEBHOOK_SIGNATURE_HEADER

    database = open_db(db)
    try:
        with database.transaction() as session:
            found = service.get_carrier(session=session, code=carrier)
            if clear:
                found.clear_webhook_secret()
                key = None
            else:
                try:
                    key = found.set_webhook_secret(secret, now=clock.now())
                except ValueError as exc:
                    raise ValidationError(FieldError("secret", str(exc))) from None
    except MaillonError as exc:
        fail(exc)
    if key is None:
        console.print(f"{carrier}: webhook secret cleared; only operator keys are accepted")
        return
    console.print(f"{carrier}: webhook secret set. Give it to the carrier (shown once):")
    console.print(key, highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"The carrier signs each call: {WEBHOOK_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "
        f"the raw body>, POST /api/v1/shipping/webhooks/{carrier}",
        highlight=False,
        markup=False,
    )


@shipping_app.command("print")
def print_cmd(
    out: Annotated[Path, typer.Option(help="file to write (.pdf or .zpl)")],
    format: Annotated[
        str | None, typer.Option("--format", help="pdf or zpl (default: from --out)")
    ] = None,
    order: Annotated[
        list[str] | None, typer.Option("--order", help="order number (repeat for more)")
    ] = None,
    shipment: Annotated[
        list[int] | None, typer.Option("--shipment", help="shipment id (repeat for more)")
    ] = None,
    today: Annotated[
        bool, typer.Option("--today", help="everything shipped today not printed yet")
    ] = False,
    day: Annotated[
        str | None, typer.Option(help="everything shipped that day (YYYY-MM-DD) not printed yet")
    ] = None,
    carrier: Annotated[str | None, typer.Option(help="with --today/--day: one carrier")] = None,
    with_slips: Annotated[
        bool, typer.Option("--with-slips", help="each shipment's packing slip after its labels")
    ] = False,
    db: DbOption = None,
) -> None:
    """Print labels in batch: one PDF, or one ZPL stream for a Zebra thermal printer.

    The shipments printed are recorded, so ``--today`` next time prints only the new ones.
    """
    from maillon.shipping.service import printing

    fmt = format or (out.suffix.lower().lstrip(".") if out.suffix else "pdf")
    try:
        chosen = _day(day, "day")
        if today:
            if chosen is not None:
                raise ValidationError(FieldError("day", "give --today or --day, not both"))
            chosen = printing.local_today()
        selection = printing.Selection(
            shipment_ids=tuple(shipment or ()),
            orders=tuple(order or ()),
            day=chosen,
            carrier=carrier,
        )
        database = open_db(db)
        with database.transaction() as session:
            batch = printing.print_batch(
                session=session,
                selection=selection,
                fmt=fmt,
                with_slips=with_slips,
                actor=ACTOR,
            )
            try:
                out.write_bytes(batch.content)
            except OSError as exc:  # nothing is recorded as printed
                raise ValidationError(
                    FieldError("out", f"cannot write {out}: {exc.strerror}")
                ) from None
    except MaillonError as exc:
        fail(exc)
    slips = f", {batch.slips} packing slip page(s)" if with_slips else ""
    console.print(
        f"{len(batch.shipment_ids)} shipment(s), {batch.labels} label(s){slips} ({fmt}) -> {out}"
    )
