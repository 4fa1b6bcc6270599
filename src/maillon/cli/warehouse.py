"""``maillon warehouse``: layouts, slotting proposals and putaway suggestions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError

warehouse_app = typer.Typer(help="Warehouse layout, slotting and putaway.", no_args_is_help=True)


def read_document(path: Path) -> Any:
    """Return the YAML or JSON document in ``path``. Raises ValidationError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(FieldError("file", f"cannot read {path}: {exc.strerror}")) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(FieldError("file", f"{path} is not valid: {exc}")) from None


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
