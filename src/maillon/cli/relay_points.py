"""``maillon relay-points``: import the carriers' relay points, generate the demo's set, and
search the nearest points as the checkout does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError

relay_points_app = typer.Typer(
    help="Relay points and lockers: import a carrier's list, generate the demo's set, search.",
    no_args_is_help=True,
)


def _from_carrier(carrier: str, postcodes: str, base_url: str | None, mode: str) -> list:  # type: ignore[type-arg]
    """Return the points the carrier's connector finds around each postcode, as RelayPoints
    (credentials from ``MAILLON_<CARRIER>_<KEY>`` environment variables)."""
    from maillon.delivery.relay import RelayPoint
    from maillon.shipping import connectors
    from maillon.shipping.carriers import CarrierAccount, CarrierUnavailable

    connector = connectors.known().get(carrier)
    if connector is None:
        raise ValidationError(FieldError("carrier", f"no connector named {carrier!r}"))
    prefix = f"MAILLON_{carrier.upper()}_"
    credentials = {
        k: os.environ.get(prefix + k.upper(), "") for k in connector.required_credentials
    }
    account = CarrierAccount(
        carrier=carrier, connector=carrier, mode=mode, credentials=credentials, base_url=base_url
    )
    gateway = connectors.build(account)
    found: dict[str, RelayPoint] = {}
    for postcode in filter(None, (p.strip() for p in postcodes.split(","))):
        try:
            points = gateway.find_relay_points(postcode=postcode, city="", country="FR", limit=30)
        except CarrierUnavailable as exc:
            raise ValidationError(FieldError("postcodes", str(exc))) from None
        for p in points:
            if p.lat is None or p.lon is None:
                console.print(f"skipped {p.point_id}: the carrier gave no coordinates")
                continue
            found[p.point_id] = RelayPoint(
                id=p.point_id, network=carrier, name=p.name or p.point_id, address=p.line1,
                postcode=p.postcode, city=p.city, lat=p.lat, lon=p.lon,
                opening_hours=p.opening_hours, kind=p.kind, country=p.country,
            )  # fmt: skip
    return list(found.values())


@relay_points_app.command("import")
def import_file(
    file: Annotated[Path | None, typer.Argument(help="CSV list (relay_points.csv format)")] = None,
    carrier: Annotated[str | None, typer.Option(help="import only this carrier's points")] = None,
    from_carrier: Annotated[
        bool, typer.Option("--from-carrier", help="ask the carrier's API (--postcodes)")
    ] = False,
    postcodes: Annotated[str, typer.Option(help="with --from-carrier: 29200,23000")] = "",
    base_url: Annotated[str | None, typer.Option(help="the carrier API's address")] = None,
    mode: Annotated[str, typer.Option(help="sandbox or live")] = "sandbox",
    partial: Annotated[
        bool, typer.Option("--partial", help="keep the points missing from the file open")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="import the good lines, report the bad")
    ] = False,
    db: DbOption = None,
) -> None:
    """Upsert a carrier's relay points in one transaction (a bad line refuses the file unless
    --skip-invalid; a full list closes the points it no longer holds)."""
    from maillon.delivery.relay_files import read_points
    from maillon.delivery.service.relay_points import import_points, refuse_bad_lines

    try:
        if from_carrier:
            if not carrier or not postcodes:
                raise ValidationError(FieldError("carrier", "--from-carrier needs --carrier "
                                                 "and --postcodes"))  # fmt: skip
            points, full = _from_carrier(carrier, postcodes, base_url, mode), False
        else:
            if file is None:
                raise ValidationError(FieldError("file", "give a CSV file or --from-carrier"))
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                message = f"cannot read {file}: {exc.strerror}"
                raise ValidationError(FieldError("file", message)) from None
            read = read_points(text, carrier=carrier)
            for error in read.errors:
                console.print(f"{file} {error}", highlight=False)
            if not skip_invalid:
                refuse_bad_lines(read.errors)
            points, full = read.points, not partial
        database = open_db(db)
        with database.transaction() as session:
            report = import_points(session=session, points=points, full=full)
    except MaillonError as exc:
        if isinstance(exc, ValidationError) and len(exc.errors) > 1:
            console.print(f"[red]error:[/red] {len(exc.errors)} problem(s); nothing imported")
            raise typer.Exit(1) from None
        fail(exc)
    console.print(
        f"{', '.join(report.carriers) or 'no carrier'}: {report.inserted} new, "
        f"{report.updated} updated, {report.closed} closed",
        highlight=False,
    )


@relay_points_app.command("generate")
def generate(
    out: Annotated[Path, typer.Argument(help="CSV file to write")],
    seed: Annotated[int | None, typer.Option(help="another seed, another set")] = None,
) -> None:
    """Write the generated (made-up) relay points covering mainland France as a CSV."""
    from maillon.delivery import relay_network
    from maillon.delivery.relay_files import to_csv

    points = relay_network.generate(relay_network.SEED if seed is None else seed)
    out.write_text(to_csv(points), encoding="utf-8")
    console.print(f"{len(points)} points written to {out}", highlight=False)


@relay_points_app.command("near")
def near(
    postcode: str,
    city: Annotated[str | None, typer.Option(help="commune, when the postcode has several")] = None,
    carrier: Annotated[list[str] | None, typer.Option(help="only this carrier (repeat)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    max_km: Annotated[float, typer.Option(min=0.1, max=200)] = 15.0,
    db: DbOption = None,
) -> None:
    """Print the relay points nearest to a French address, as the checkout finds them."""
    from maillon.delivery.queries.relay_points import nearest_to_address

    database = open_db(db)
    try:
        with database.reader() as session:
            found = nearest_to_address(
                session=session, country="FR", postcode=postcode, city=city,
                carriers=carrier or None, limit=limit, max_km=max_km,
            )  # fmt: skip
    except MaillonError as exc:
        fail(exc)
    table = Table(title=f"Relay points near {postcode}")
    for column in ("carrier", "id", "kind", "name", "address", "km", "opening hours"):
        table.add_column(column)
    for n in found:
        p = n.point
        table.add_row(p.network, p.id, p.kind, p.name, f"{p.address}, {p.postcode} {p.city}",
                      f"{n.distance_km:.2f}", p.opening_hours)  # fmt: skip
    console.print(table if found else f"no relay point within {max_km:g} km")
