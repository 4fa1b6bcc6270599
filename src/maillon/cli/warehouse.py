"""``maillon warehouse``: layouts, slotting proposals and putaway suggestions; waves of picker
tours, picker metrics, the carton catalogue and pack plans."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db, read_document
from maillon.core.errors import FieldError, MaillonError, ValidationError

warehouse_app = typer.Typer(
    help="Warehouse layout, slotting, putaway, waves, picker metrics and packing.",
    no_args_is_help=True,
)


@warehouse_app.command("layout-set")
def layout_set(code: str, file: Path, db: DbOption = None) -> None:
    """Define a warehouse's layout from a YAML or JSON file (see maillon.warehouse.layout_spec)."""
    from maillon.warehouse import service

    database = open_db(db)
    try:
        data = read_document(file)
        with database.transaction() as session:
            warehouse, spec = service.set_layout(
                session=session, warehouse_code=code, data=data, actor=ACTOR
            )
    except MaillonError as exc:
        fail(exc)
    n = sum(1 for _ in spec.locations())
    console.print(
        f"layout of {warehouse.code}: {spec.aisles} aisles x {spec.aisle_length:g} m, "
        f"{spec.blocks} block(s), {n} locations"
    )


@warehouse_app.command("layout-show")
def layout_show(code: str, db: DbOption = None) -> None:
    """Print a warehouse's layout document (YAML)."""
    from maillon.warehouse import service

    database = open_db(db)
    try:
        with database.reader() as session:
            _, spec = service.require_layout(session=session, warehouse_code=code)
    except MaillonError as exc:
        fail(exc)
    print(yaml.safe_dump(spec.to_dict(), sort_keys=False), end="")


@warehouse_app.command("slotting")
def slotting(
    code: str,
    method: Annotated[str, typer.Option(help="coi, abc or turnover")] = "coi",
    max_moves: Annotated[int | None, typer.Option(min=1, help="keep the best N moves")] = None,
    days: Annotated[int, typer.Option(min=1, help="days of pick history")] = 90,
    db: DbOption = None,
) -> None:
    """Propose slot moves that bring fast movers near the depot, with the metres saved."""
    from maillon.warehouse import service

    database = open_db(db)
    try:
        with database.reader() as session:
            result = service.slotting_proposal(
                session=session, warehouse_code=code, method=method, max_moves=max_moves, days=days
            )
    except MaillonError as exc:
        fail(exc)
    table = Table(title=f"slotting proposal for {code} ({result.method}, {days} days)")
    for column in ("#", "SKU", "from", "to", "swap with", "metres saved"):
        table.add_column(column, justify="right" if column in ("#", "metres saved") else "left")
    for i, m in enumerate(result.moves, 1):
        table.add_row(
            str(i), m.sku, m.source or "-", m.target, m.swap_with or "", f"{m.saving:,.1f}"
        )
    console.print(table)
    line = f"{result.relocations} relocation(s); expected {result.expected_saving:,.1f} m saved"
    if result.measured_orders and result.measured_before and result.measured_after:
        n = result.measured_orders
        line += (
            f"; {n} recent orders re-routed: {result.measured_before / n:,.1f} -> "
            f"{result.measured_after / n:,.1f} m per order"
        )
    console.print(line)


@warehouse_app.command("putaway")
def putaway(
    code: str,
    sku: str,
    quantity: int,
    lot: Annotated[str | None, typer.Option(help="lot of the received units")] = None,
    db: DbOption = None,
) -> None:
    """Suggest where to put received units."""
    from maillon.warehouse import service

    database = open_db(db)
    try:
        with database.reader() as session:
            result = service.putaway_suggestions(
                session=session, warehouse_code=code, sku=sku, quantity=quantity, lot=lot
            )
    except MaillonError as exc:
        fail(exc)
    for s in result.suggestions:
        console.print(f"{s.slot_id}: {s.quantity} unit(s) ({s.reason}, {s.travel:,.1f} m)")
    if result.unplaced:
        console.print(f"[yellow]{result.unplaced} unit(s) fit nowhere[/yellow]")


@warehouse_app.command("wave")
def wave(
    code: str,
    max_orders: Annotated[int, typer.Option(help="orders in the wave, at most")] = 20,
    cart_units: Annotated[int, typer.Option(help="units a picker's cart holds")] = 40,
    cutoff: Annotated[
        str | None, typer.Option(help="only orders placed up to this time (ISO, UTC if naive)")
    ] = None,
    method: Annotated[str, typer.Option(help="batching: savings, seed or single")] = "savings",
    selection: Annotated[
        str, typer.Option(help="promise (most urgent first) or density (units per aisle)")
    ] = "promise",
    min_units: Annotated[int, typer.Option(help="density: least units in the wave")] = 0,
    max_units: Annotated[
        int | None, typer.Option(help="density: most units in the wave (default 4 carts)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Release allocated orders of a warehouse as a wave of picker tours."""
    from maillon.warehouse.service import release

    at = None
    if cutoff is not None:
        try:
            at = datetime.fromisoformat(cutoff)
        except ValueError:
            fail(ValidationError(FieldError("cutoff", f"{cutoff!r} is not an ISO date-time")))
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    database = open_db(db)
    try:
        with database.transaction() as session:
            row = release.create_wave(
                session=session,
                warehouse_code=code,
                actor=ACTOR,
                max_orders=max_orders,
                cart_units=cart_units,
                cutoff=at,
                method=method,
                selection=selection,
                min_units=min_units,
                max_units=max_units,
            )
            _print_wave(session, row)
    except MaillonError as exc:
        fail(exc)


@warehouse_app.command("wave-show")
def wave_show(wave_id: int, db: DbOption = None) -> None:
    """Show a wave and its picker tours."""
    from maillon.warehouse.service import release

    database = open_db(db)
    try:
        with database.reader() as session:
            _print_wave(session, release.get_wave(session=session, wave_id=wave_id))
    except MaillonError as exc:
        fail(exc)


def _print_wave(session: Any, row: Any) -> None:
    from maillon.orders.model import order_number
    from maillon.warehouse.service import release

    lists = release.lists_of_wave(session=session, wave=row)
    table = Table(title=f"wave {row.id} in {release.warehouse_code(session=session, wave=row)}")
    for column in ("tour", "status", "picker", "orders", "stops", "units", "metres"):
        table.add_column(column)
    for tour in row.tours:
        members = lists[tour.id]
        table.add_row(
            str(tour.id),
            tour.status,
            tour.picker or "-",
            " ".join(order_number(p.order_id) for p in members),
            str(sum(len(p.lines) for p in members)),
            str(sum(line.quantity for p in members for line in p.lines)),
            "-" if tour.route_m is None else f"{tour.route_m:,.1f}",
        )
    console.print(table)
    metres = "" if row.route_m is None else f", {row.route_m:,.1f} m in all"
    console.print(f"{row.orders} order(s) in {len(row.tours)} tour(s) ({row.method}){metres}")


@warehouse_app.command("picker-metrics")
def picker_metrics(
    start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD (UTC)")],
    end: Annotated[str | None, typer.Option("--to", help="last day (default: --from)")] = None,
    picker: Annotated[str | None, typer.Option(help="one picker only")] = None,
    db: DbOption = None,
) -> None:
    """Per picker and day: lines, units, scans, mismatches, accuracy, lines/hour, metres."""
    from maillon.warehouse.queries import picking_stats

    days = []
    for name, text in (("from", start), ("to", end or start)):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            fail(ValidationError(FieldError(name, f"{text!r} is not a date (YYYY-MM-DD)")))
    database = open_db(db)
    try:
        with database.reader() as session:
            rows = picking_stats.picker_metrics(
                session=session, start=days[0], end=days[1], picker=picker
            )
    except MaillonError as exc:
        fail(exc)
    table = Table(title=f"picker metrics {days[0]} to {days[1]}")
    headers = ("day", "picker", "lines", "units", "scans", "mismatches", "short")
    for column in (*headers, "accuracy", "hours", "lines/h", "metres"):
        table.add_column(column, justify="left" if column in ("day", "picker") else "right")
    for d in rows:
        table.add_row(
            str(d.day),
            d.picker,
            str(d.lines),
            str(d.units),
            str(d.scans),
            str(d.mismatches),
            str(d.short_picks),
            "-" if d.accuracy is None else f"{d.accuracy:.1%}",
            f"{d.active_hours:.2f}",
            "-" if d.lines_per_hour is None else f"{d.lines_per_hour:.1f}",
            f"{d.metres:,.1f}",
        )
    console.print(table)
    if not rows:
        console.print("no picking recorded in that period")


@warehouse_app.command("cartons-seed")
def cartons_seed(db: DbOption = None) -> None:
    """Add the default carton catalogue (cartons already there are kept as they are)."""
    from maillon.warehouse.service import packstation

    database = open_db(db)
    with database.transaction() as session:
        added, kept = packstation.seed_cartons(session=session)
    console.print(f"{len(added)} carton(s) added, {len(kept)} already there")


@warehouse_app.command("cartons")
def cartons_list(db: DbOption = None) -> None:
    """List the carton catalogue."""
    from maillon.warehouse.service import packstation

    database = open_db(db)
    with database.reader() as session:
        rows = packstation.list_cartons(session=session)
    table = Table(title="carton catalogue")
    for column in ("code", "inner L x W x H mm", "max kg", "cost", "active"):
        table.add_column(column)
    for c in rows:
        table.add_row(
            c.code,
            f"{c.length_mm} x {c.width_mm} x {c.height_mm}",
            f"{c.max_weight_g / 1000:g}",
            f"{c.cost_cents / 100:.2f}",
            "yes" if c.active else "no",
        )
    console.print(table)
    if not rows:
        console.print("empty: run `maillon warehouse cartons-seed` for the default catalogue")


@warehouse_app.command("pack-plan")
def pack_plan(number: str, db: DbOption = None) -> None:
    """Show which cartons an order goes in and where each unit goes."""
    from maillon.warehouse import service

    database = open_db(db)
    try:
        with database.reader() as session:
            plans = service.pack_plan(session=session, number=number)
    except MaillonError as exc:
        fail(exc)
    for plan in plans:
        console.print(
            f"[bold]{plan.order} from {plan.warehouse}[/bold]: {len(plan.parcels)} parcel(s), "
            f"{plan.total_cost_cents / 100:.2f} (cartons + shipping)"
        )
        for parcel in plan.parcels:
            console.print(
                f"parcel {parcel.number}: {parcel.carton} {'x'.join(map(str, parcel.inner_mm))} mm,"
                f" {parcel.gross_weight_g} g (charged {parcel.chargeable_weight_g} g), "
                f"carton {parcel.carton_cost_cents / 100:.2f} + shipping "
                f"{parcel.shipping_cost_cents / 100:.2f}"
            )
            for unit in parcel.units:
                console.print(f"  {unit.instruction}")
        if plan.unpackable:
            console.print(f"[yellow]no carton takes: {', '.join(plan.unpackable)}[/yellow]")
