"""``maillon delivery``: delivery options, last-mile routes and couriers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import FieldError, MaillonError, ValidationError

if TYPE_CHECKING:
    from maillon.delivery.tables import RoutePlan

delivery_app = typer.Typer(
    help="Delivery: options at checkout, last-mile routes, route sheets and couriers.",
    no_args_is_help=True,
)

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _hhmm(text: str, field: str) -> int:
    from maillon.delivery.slots import parse_minutes

    try:
        return parse_minutes(text)
    except ValueError as exc:
        raise ValidationError(FieldError(field, str(exc))) from None


def _clock(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@delivery_app.command("slots-generate")
def slots_generate(
    days: Annotated[int, typer.Option(help="days ahead, from tomorrow")] = 14,
    db: DbOption = None,
) -> None:
    """Create the appointment slots of every zone for the next days (existing ones kept)."""
    from maillon.delivery import service

    database = open_db(db)
    try:
        with database.transaction() as session:
            created = service.generate_zone_slots(session=session, days=days)
    except MaillonError as exc:
        fail(exc)
    if not created:
        console.print("no delivery zone yet: add one with POST /api/v1/delivery/zones")
    for zone, n in created.items():
        console.print(f"{zone}: {n} new slot(s) over {days} day(s)")


@delivery_app.command("relay-points")
def relay_points(
    postcode: str,
    city: Annotated[str | None, typer.Option(help="commune, when the postcode has several")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    max_km: Annotated[float, typer.Option(min=0.1, max=200)] = 15.0,
) -> None:
    """Print the relay points nearest to a French address (illustrative points file)."""
    from maillon.core.geo import locate_fr
    from maillon.delivery.relay import default_index

    commune = locate_fr(postcode, city)
    if commune is None or commune.lat is None or commune.lon is None:
        fail(ValidationError(FieldError("postcode", f"{postcode!r} cannot be placed on the map")))
    near = default_index().nearest(commune.lat, commune.lon, limit=limit, max_km=max_km)
    table = Table(title=f"Relay points near {commune.postcode} {commune.name}")
    for column in ("id", "network", "name", "address", "km", "opening hours"):
        table.add_column(column)
    for n in near:
        p = n.point
        table.add_row(
            p.id,
            p.network,
            p.name,
            f"{p.address}, {p.postcode} {p.city}",
            f"{n.distance_km:.2f}",
            p.opening_hours,
        )
    console.print(table if near else f"no relay point within {max_km:g} km")


def draw_routes(
    stops: list[tuple[float, float, str]],
    depot: tuple[float, float],
    *,
    width: int = 60,
    height: int = 20,
) -> str:
    """Return a character map: the depot as ``#``, each stop as its vehicle's letter
    (``?`` when unassigned), north up."""
    lats = [depot[0], *(s[0] for s in stops)]
    lons = [depot[1], *(s[1] for s in stops)]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    grid = [[" "] * width for _ in range(height)]

    def put(lat: float, lon: float, mark: str) -> None:
        x = 0 if lon1 == lon0 else round((lon - lon0) / (lon1 - lon0) * (width - 1))
        y = 0 if lat1 == lat0 else round((lat1 - lat) / (lat1 - lat0) * (height - 1))
        grid[y][x] = mark

    for lat, lon, mark in stops:
        put(lat, lon, mark)
    put(depot[0], depot[1], "#")
    border = "+" + "-" * width + "+"
    return "\n".join([border, *("|" + "".join(row) + "|" for row in grid), border])


def _routes_table(result: RoutePlan, warehouse: str, date: dt.date) -> tuple[Table, dict[str, str]]:
    """Return the table of the plan's stops by vehicle, and each vehicle's map letter."""
    letter = {v["id"]: _LETTERS[i % 26] for i, v in enumerate(result.vehicles)}
    table = Table(title=f"Routes from {warehouse} on {date}")
    for column in ("vehicle", "#", "order", "ETA", "window", "address"):
        table.add_column(column)
    for s in sorted(result.stops, key=lambda s: (s.vehicle or "~", s.sequence)):
        window = f"{_clock(s.tw_start)}-{_clock(s.tw_end)}" if s.tw_end else ""
        table.add_row(
            f"{s.vehicle} ({letter[s.vehicle]})" if s.vehicle else "unassigned",
            str(s.sequence or ""),
            s.stop_key,
            _clock(s.eta_s),
            window,
            s.address,
        )
    return table, letter


@delivery_app.command("plan")
def plan(
    warehouse: str,
    day: Annotated[str, typer.Argument(help="delivery date, YYYY-MM-DD")],
    vehicles: Annotated[int, typer.Option(min=1, max=50)] = 2,
    capacity: Annotated[int | None, typer.Option(help="parcels per vehicle")] = None,
    shift: Annotated[str, typer.Option(help="shift HH:MM-HH:MM")] = "08:00-18:00",
    order: Annotated[list[str] | None, typer.Option(help="orders (default: booked)")] = None,
    sheets: Annotated[Path | None, typer.Option(help="write the route sheets PDF here")] = None,
    time_limit: Annotated[float, typer.Option(min=0.1, max=600)] = 2.0,
    db: DbOption = None,
) -> None:
    """Plan a day's last-mile routes from a warehouse, draw them and print the sheets."""
    from maillon.delivery import service
    from maillon.delivery.service import lastmile

    database = open_db(db)
    try:
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise ValidationError(FieldError("day", f"{day!r} is not a date YYYY-MM-DD")) from None
        start, _, end = shift.partition("-")
        specs = [
            lastmile.VehicleSpec(
                id=f"V{i + 1}",
                capacity_parcels=capacity,
                capacity_kg=None,
                shift_start=_hhmm(start, "shift") * 60,
                shift_end=_hhmm(end, "shift") * 60,
            )
            for i in range(vehicles)
        ]
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            progress.add_task(f"planning routes (up to {time_limit:g} s)", total=None)
            with database.transaction() as session:
                result = lastmile.plan_routes(
                    session=session,
                    warehouse_code=warehouse,
                    day=date,
                    vehicles=specs,
                    numbers=order or None,
                    actor=ACTOR,
                    time_limit=time_limit,
                )
                wh = lastmile.plan_warehouse(session=session, plan=result)
                depot = service.warehouse_point(wh)
                pdf = (
                    lastmile.route_sheets_pdf(session=session, plan_id=result.id) if sheets else b""
                )
    except MaillonError as exc:
        fail(exc)
    console.print(
        f"plan {result.id}: {len(result.stops)} stop(s), "
        f"{result.total_distance_m / 1000:.1f} km, "
        f"{'feasible' if result.feasible else 'NOT feasible'}"
    )
    table, letter = _routes_table(result, warehouse, date)
    console.print(table)
    marks = [(s.lat, s.lon, letter[s.vehicle] if s.vehicle else "?") for s in result.stops]
    console.print(draw_routes(marks, depot), highlight=False, markup=False)
    if sheets:
        sheets.write_bytes(pdf)
        console.print(f"route sheets written to {sheets}")


@delivery_app.command("what-if")
def what_if(
    central: str,
    site: Annotated[list[str], typer.Option(help="ID:LAT:LON[:EUR_PER_DAY], repeatable")],
    days: Annotated[int, typer.Option(min=1, max=366)] = 30,
    radius_km: Annotated[float, typer.Option(min=0.1, max=500)] = 30.0,
    mode: Annotated[
        str, typer.Option(help="approx (continuous approximation) or vrp (solved with PyVRP)")
    ] = "approx",
    time_limit: Annotated[float, typer.Option(min=0.1, max=60, help="seconds a site (vrp)")] = 1.0,
    db: DbOption = None,
) -> None:
    """Compare last-mile from the central warehouse vs from micro-warehouses (order history)."""
    from maillon.delivery.service import lastmile

    database = open_db(db)
    try:
        sites = []
        for i, text in enumerate(site):
            parts = text.split(":")
            try:
                if len(parts) not in (3, 4):
                    raise ValueError
                cost = round(float(parts[3]) * 100) if len(parts) == 4 else 0
                sites.append(lastmile.SiteInput(parts[0], float(parts[1]), float(parts[2]), cost))
            except ValueError:
                raise ValidationError(
                    FieldError(f"site.{i}", f"{text!r}: use ID:LAT:LON[:EUR_PER_DAY]")
                ) from None
        with database.reader() as session:
            result = lastmile.micro_what_if(
                session=session,
                central_code=central,
                sites=sites,
                days=days,
                radius_km=radius_km,
                mode=mode,
                time_limit=time_limit,
            )
    except MaillonError as exc:
        fail(exc)
    how = "routes solved (PyVRP)" if mode == "vrp" else "continuous approximation"
    table = Table(title=f"Last mile, {result.points} orders over {days} day(s): a day, {how}")
    for column in ("scenario", "site", "stops", "routes", "km", "hours", "cost EUR"):
        table.add_column(column, justify="right")
    for scenario in (result.central, result.micro):
        for f in scenario.sites:
            table.add_row(
                scenario.name,
                f.site,
                f"{f.stops:.1f}",
                str(f.routes),
                f"{f.km + f.replenishment_km:.1f}",
                f"{f.hours:.1f}",
                f"{f.cost_cents / 100:.2f}",
            )
        table.add_row(
            f"[bold]{scenario.name} total[/bold]",
            "",
            "",
            str(scenario.routes),
            f"{scenario.km:.1f}",
            f"{scenario.hours:.1f}",
            f"{scenario.cost_cents / 100:.2f}",
        )
    console.print(table)
    console.print(
        f"micro-warehouses save {result.saving_km:.1f} km and "
        f"{result.saving_cost_cents / 100:.2f} EUR a day (negative: they cost more)"
    )


@delivery_app.command("couriers-assign")
def couriers_assign(db: DbOption = None) -> None:
    """Assign the open same-day jobs to the free couriers, optimally, and print the result."""
    from maillon.delivery.service import courier_jobs

    database = open_db(db)
    try:
        with database.transaction() as session:
            result, _couriers, jobs = courier_jobs.assign_couriers(session=session)
    except MaillonError as exc:
        fail(exc)
    table = Table(title="Courier assignments")
    for column in ("job", "courier", "pick-up", "drop", "ride min"):
        table.add_column(column)
    for a in result.assignments:
        job = jobs[a.job_id]
        table.add_row(
            f"{job.id} {job.reference}",
            a.courier_id,
            f"{job.pickup_eta:%H:%M}" if job.pickup_eta else "-",
            f"{job.drop_eta:%H:%M}" if job.drop_eta else "-",
            f"{a.travel_s / 60:.0f}",
        )
    console.print(table)
    console.print(
        f"{len(result.assignments)} assigned, {len(result.unassigned_jobs)} job(s) without "
        f"courier, {len(result.idle_couriers)} courier(s) idle"
    )


@delivery_app.command("collect-sweep")
def collect_sweep(
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="at most this many")] = 1000,
    db: DbOption = None,
) -> None:
    """Release the click & collect reservations nobody collected in time (safe to run
    concurrently, e.g. from cron on several hosts)."""
    from maillon.delivery.service import collect

    database = open_db(db)
    released = collect.sweep_expired(database, limit=limit)
    console.print(f"{released} expired reservation(s) released")


@delivery_app.command("collect-link")
def collect_link(
    token: Annotated[str, typer.Argument(help="reservation token")],
    order: Annotated[str, typer.Argument(help="order number placed with click & collect")],
    db: DbOption = None,
) -> None:
    """Link the order placed with the click & collect option to its reservation."""
    from maillon.delivery.service import collect

    database = open_db(db)
    try:
        with database.transaction() as session:
            row = collect.link_order(session=session, token=token, number=order, actor=ACTOR)
            expires = row.expires_at
    except MaillonError as exc:
        fail(exc)
    console.print(f"order {order} linked; held until {expires:%Y-%m-%d %H:%M} UTC")


@delivery_app.command("collected")
def collected(
    token: Annotated[str, typer.Argument(help="reservation token")],
    db: DbOption = None,
) -> None:
    """Mark a reservation collected at the store: its units leave stock through the ledger."""
    from maillon.delivery.service import collect

    database = open_db(db)
    try:
        with database.transaction() as session:
            row = collect.close_reservation(
                session=session, token=token, collected=True, actor=ACTOR
            )
            units = sum(line.quantity for line in row.lines)
    except MaillonError as exc:
        fail(exc)
    console.print(f"collected: {units} unit(s) left the store")


@delivery_app.command("sheets")
def sheets_cmd(
    plan_id: Annotated[int, typer.Argument(help="route plan id")],
    out: Annotated[Path, typer.Argument(help="PDF file to write")],
    vehicle: Annotated[str | None, typer.Option(help="only this vehicle's sheet")] = None,
    db: DbOption = None,
) -> None:
    """Write the drivers' route sheets of a plan (or one van's) as a PDF."""
    from maillon.delivery.service import lastmile

    database = open_db(db)
    try:
        with database.reader() as session:
            pdf = lastmile.route_sheets_pdf(session=session, plan_id=plan_id, vehicle=vehicle)
    except MaillonError as exc:
        fail(exc)
    out.write_bytes(pdf)
    console.print(f"route sheets written to {out}")
