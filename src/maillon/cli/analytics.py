"""``maillon kpi``: the figures of the whole chain."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError


def _when(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            FieldError(field, f"{value!r} is not a date (YYYY-MM-DD or ISO time)")
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kpi(
    start: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="day after the last (YYYY-MM-DD)")] = None,
    by: Annotated[
        str | None, typer.Option(help="warehouse, carrier, channel, day, week or month")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="also write the table as CSV")] = None,
    db: DbOption = None,
) -> None:
    """Print the KPIs of the orders created in [from, to), optionally split by a dimension."""
    from maillon.analytics.definitions import KPIS
    from maillon.analytics.service import kpis

    database = open_db(db)
    try:
        table = kpis(database, start=_when(start, "from"), end=_when(end, "to"), by=by)
    except MaillonError as exc:
        fail(exc)
    names = list(table.rows)
    out = Table(title=f"KPIs {start or '...'} to {end or 'now'}" + (f" by {by}" if by else ""))
    out.add_column("KPI")
    for name in names:
        out.add_column(name, justify="right")
    for k in KPIS:
        cells = []
        for name in names:
            value = table.rows[name].get(k.key)
            cells.append("" if value is None else f"{value:,.2f}".rstrip("0").rstrip("."))
        out.add_row(f"{k.label} ({k.unit})", *cells)
    console.print(out)
    if csv is not None:
        csv.write_text(table.to_csv(), encoding="utf-8")
        console.print(f"wrote {csv}")
