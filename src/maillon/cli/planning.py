"""``maillon plan``: planning: demand history, forecasts, policies and replenishment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db
from maillon.core.errors import MaillonError

plan_app = typer.Typer(
    help="Planning: demand history, forecasts, policies and replenishment.", no_args_is_help=True
)


@plan_app.command("supplier-add")
def supplier_add(
    code: str,
    name: str,
    lead_time_days: Annotated[int, typer.Option(help="mean lead time in days")],
    lead_time_sd_days: Annotated[int, typer.Option(help="its spread (standard deviation)")] = 0,
    order_cost_cents: Annotated[int, typer.Option(help="fixed cost of one order line (cents)")] = 0,
    email: Annotated[str, typer.Option(help="where purchase orders are sent")] = "",
    db: DbOption = None,
) -> None:
    """Add a supplier."""
    from maillon.planning.service import create_supplier

    database = open_db(db)
    try:
        with database.transaction() as session:
            s = create_supplier(
                session=session,
                code=code,
                name=name,
                lead_time_days=lead_time_days,
                lead_time_sd_days=lead_time_sd_days,
                order_cost_cents=order_cost_cents,
                email=email,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(f"supplier {s.code}: {s.lead_time_days} ± {s.lead_time_sd_days} days")


@plan_app.command("item-set")
def item_set(
    supplier: str,
    sku: str,
    unit_price_cents: Annotated[int, typer.Option(help="purchase price per unit")],
    moq: Annotated[int, typer.Option(help="minimum order quantity")] = 0,
    pack_size: Annotated[int, typer.Option(help="orders are multiples of this")] = 1,
    preferred: Annotated[bool, typer.Option(help="buy from this supplier first")] = False,
    db: DbOption = None,
) -> None:
    """Record what a supplier sells of a product."""
    from maillon.planning.service import set_supplier_item

    database = open_db(db)
    try:
        with database.transaction() as session:
            set_supplier_item(
                session=session,
                supplier_code=supplier,
                sku=sku,
                unit_price_cents=unit_price_cents,
                moq=moq,
                pack_size=pack_size,
                preferred=preferred,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(
        f"{supplier} sells {sku} at {unit_price_cents} cents (MOQ {moq}, pack {pack_size})"
    )


@plan_app.command("propose")
def propose(
    warehouse: str,
    service_level: Annotated[float, typer.Option(help="fill-rate target")] = 0.95,
    history_days: Annotated[int, typer.Option(help="days of demand to design on")] = 56,
    class_targets: Annotated[
        str,
        typer.Option(help="fill-rate target per ABC/XYZ class, e.g. A=0.98,B=0.95,C=0.9"),
    ] = "",
    step_correlation: Annotated[
        float, typer.Option(help="error correlation between forecast days (0-1)")
    ] = 0.15,
    storage_cost: Annotated[
        float, typer.Option(help="cost of keeping one unit a year, whatever its price")
    ] = 0.0,
    abc_a: Annotated[float, typer.Option(help="value share of the A SKUs")] = 0.80,
    abc_b: Annotated[float, typer.Option(help="value share of the A and B SKUs")] = 0.95,
    xyz_x: Annotated[float, typer.Option(help="largest weekly CV of an X SKU")] = 0.5,
    xyz_y: Annotated[float, typer.Option(help="largest weekly CV of a Y SKU")] = 1.0,
    create: Annotated[
        bool, typer.Option("--create", help="turn the proposals into draft purchase orders")
    ] = False,
    db: DbOption = None,
) -> None:
    """Print what to buy today for a warehouse (and with --create, order it as drafts)."""
    from maillon.planning.service import (
        class_thresholds,
        create_purchase_orders,
        propose_replenishment,
    )

    database = open_db(db)
    try:
        thresholds = class_thresholds(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y)
        with database.reader() as session:
            found = propose_replenishment(
                session=session,
                warehouse_code=warehouse,
                service_level=service_level,
                history_days=history_days,
                class_targets=class_targets or None,
                step_correlation=step_correlation,
                storage_cost=storage_cost,
                thresholds=thresholds,
            )
        table = Table(title=f"replenishment for {warehouse} (fill rate {service_level:.0%})")
        widest = max((len(p.sku) for p in found), default=3)
        table.add_column("SKU", no_wrap=True, min_width=widest)
        for col in ("class", "target", "supplier", "qty", "arrives", "policy", "ROP",
                    "SS", "position", "LT demand"):  # fmt: skip
            table.add_column(col, justify="left" if col in ("supplier", "policy") else "right")
        for p in found:
            ltd = p.lead_time_demand
            table.add_row(
                p.sku,
                p.sku_class or "-",
                f"{p.service_level:.1%}",
                p.supplier,
                str(p.quantity),
                p.expected_arrival.isoformat(),
                p.policy.kind,
                f"{p.policy.reorder_point:.1f}",
                f"{p.policy.safety_stock:.1f}",
                f"{p.position.inventory_position:g}",
                f"{ltd.mean:.1f} +/- {ltd.sd:.1f}" if ltd is not None else "history",
            )
        console.print(table)
        if create and found:
            with database.transaction() as session:
                pos = create_purchase_orders(
                    session=session,
                    warehouse_code=warehouse,
                    lines=[(p.supplier, p.sku, p.quantity, p.reason) for p in found],
                    actor=ACTOR,
                )
                numbers = [po.number for po in pos]
            console.print(f"draft purchase orders: {', '.join(numbers)}")
    except MaillonError as exc:
        fail(exc)


@plan_app.command("po-send")
def po_send(number: str, db: DbOption = None) -> None:
    """Send a draft purchase order to its supplier."""
    from maillon.planning.service import send_purchase_order

    database = open_db(db)
    try:
        with database.transaction() as session:
            po = send_purchase_order(session=session, number=number, actor=ACTOR)
            status = po.status
    except MaillonError as exc:
        fail(exc)
    console.print(f"{number}: {status}")


@plan_app.command("po-receive")
def po_receive(
    number: str,
    location: Annotated[str, typer.Option(help="where the goods are put away")],
    db: DbOption = None,
) -> None:
    """Receive everything still due on a purchase order (waiting backorders are served)."""
    from maillon.planning.service import receive_purchase_order

    database = open_db(db)
    try:
        with database.transaction() as session:
            po = receive_purchase_order(
                session=session, number=number, location_code=location, actor=ACTOR
            )
            status = po.status
    except MaillonError as exc:
        fail(exc)
    console.print(f"{number}: {status}")


@plan_app.command("history")
def history(
    days: Annotated[int, typer.Option(min=1, max=3650, help="days back from today")] = 28,
    warehouse: Annotated[str | None, typer.Option(help="one warehouse")] = None,
    db: DbOption = None,
) -> None:
    """Print units ordered per SKU over the last days, and the days it was out of stock."""
    from maillon.core import clock
    from maillon.planning.service import demand_history

    database = open_db(db)
    today = clock.now().date() + timedelta(days=1)
    try:
        with database.reader() as session:
            records, stockouts = demand_history(
                session=session,
                start=today - timedelta(days=days),
                end=today,
                warehouse_code=warehouse,
            )
    except MaillonError as exc:
        fail(exc)
    totals: dict[tuple[str, str], float] = {}
    for r in records:
        totals[(r.sku, r.warehouse)] = totals.get((r.sku, r.warehouse), 0) + r.qty
    out: dict[tuple[str, str], set[date]] = {}
    for s in stockouts:
        out.setdefault((s.sku, s.warehouse), set()).add(s.day)
    table = Table("SKU", "warehouse", "units", "per day", "stock-out days")
    for (sku, wh), units in sorted(totals.items(), key=lambda kv: -kv[1]):
        table.add_row(
            sku, wh, f"{units:g}", f"{units / days:.2f}", str(len(out.get((sku, wh), ())))
        )
    console.print(table)


@plan_app.command("classify")
def classify_command(
    warehouse: Annotated[str | None, typer.Option(help="one warehouse (default all)")] = None,
    days: Annotated[int, typer.Option(help="days of demand, 14-730")] = 91,
    abc_a: Annotated[float, typer.Option(help="value share of the A SKUs")] = 0.80,
    abc_b: Annotated[float, typer.Option(help="value share of the A and B SKUs")] = 0.95,
    xyz_x: Annotated[float, typer.Option(help="largest weekly CV of an X SKU")] = 0.5,
    xyz_y: Annotated[float, typer.Option(help="largest weekly CV of a Y SKU")] = 1.0,
    limit: Annotated[int, typer.Option(min=1, help="SKUs listed, most valuable first")] = 50,
    db: DbOption = None,
) -> None:
    """Print each SKU's ABC class (value of its demand) and XYZ class (variability of its
    weekly demand), and how many SKUs fall in each of the nine cells."""
    from maillon.planning.service import class_thresholds, sku_classes

    database = open_db(db)
    try:
        thresholds = class_thresholds(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y)
        with database.reader() as session:
            classes = sku_classes(
                session=session, warehouse_code=warehouse, days=days, thresholds=thresholds
            )
    except MaillonError as exc:
        fail(exc)
    found, counts = classes.items, classes.counts()
    if not found:
        console.print("no demand in the period")
        return
    table = Table(
        title=f"ABC/XYZ over {days} days: A to {abc_a:.0%} of value, B to {abc_b:.0%}; "
        f"X up to CV {xyz_x:g}, Y up to {xyz_y:g}"
    )
    for col in ("SKU", "value", "cumulative", "ABC", "weekly CV", "XYZ"):
        table.add_column(col, justify="left" if col == "SKU" else "right")
    for c in found[:limit]:
        table.add_row(
            c.sku, f"{c.value:,.2f}", f"{c.cumulative_share:.1%}", c.abc,
            f"{c.cv:.2f}" if c.cv != float("inf") else "-", c.xyz,
        )  # fmt: skip
    console.print(table)
    cells = Table("", "X", "Y", "Z", title="SKUs per cell")
    for a in "ABC":
        cells.add_row(a, *(str(counts[a + x]) for x in "XYZ"))
    console.print(cells)
    console.print(f"{len(found)} SKUs classified")


@plan_app.command("forecast")
def forecast_command(
    horizon: Annotated[int, typer.Option(min=1, max=366, help="periods ahead")] = 28,
    history_days: Annotated[int, typer.Option(min=14, max=3650, help="days of history")] = 365,
    freq: Annotated[str, typer.Option(help="D (daily) or W (weekly)")] = "D",
    warehouse: Annotated[str | None, typer.Option(help="one warehouse (default all)")] = None,
    engine: Annotated[str, typer.Option(help="local, or dask for a Dask cluster")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a local cluster)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Forecast each SKU's demand per warehouse (model chosen per series by cross-validation)
    and store it; proposals then design their policies on it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from maillon.planning.service import run_forecast

    database = open_db(db)
    with Progress(
        TextColumn("forecasting"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("forecast", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            run = run_forecast(
                database,
                horizon=horizon,
                history_days=history_days,
                freq=freq,
                warehouse_code=warehouse,
                engine=engine,
                scheduler=scheduler,
                progress=progress,
            )
        except MaillonError as exc:
            fail(exc)
    console.print(
        f"forecast run {run.id}: {run.series} series, {run.horizon} {freq} ahead, "
        f"{run.runtime_s:.1f} s on {run.engine}"
    )


@plan_app.command("forecast-show")
def forecast_show(
    warehouse: str,
    sku: Annotated[str | None, typer.Option(help="one SKU (default every SKU)")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="days shown")] = 7,
    db: DbOption = None,
) -> None:
    """Print the newest stored daily forecast of a warehouse's SKUs: the model chosen, the
    point forecast per day and the 90 % quantile."""
    from maillon.inventory.service import get_warehouse
    from maillon.planning.service import latest_forecast_run, latest_forecast_steps

    database = open_db(db)
    try:
        with database.reader() as session:
            get_warehouse(session=session, code=warehouse)
            run = latest_forecast_run(session=session)
            steps = latest_forecast_steps(session=session, warehouse_code=warehouse, sku=sku)
    except MaillonError as exc:
        fail(exc)
    if run is None or not steps:
        console.print("no stored daily forecast: run `maillon plan forecast` first")
        return
    first = next(iter(steps.values()))
    shown = first.days[:days]
    table = Table(
        title=f"forecast run {run.id} ({run.created_at:%Y-%m-%d %H:%M}), {warehouse}: "
        "units per day (90 % quantile)"
    )
    table.add_column("SKU", no_wrap=True)
    table.add_column("model")
    for day in shown:
        table.add_column(f"{day:%a %d}", justify="right")
    for name, step in sorted(steps.items()):
        upper = step.quantiles.get(0.9, ())
        table.add_row(
            name,
            step.model,
            *(
                f"{v:.1f}" + (f" ({upper[i]:.0f})" if i < len(upper) else "")
                for i, v in enumerate(step.forecast[:days])
            ),
        )
    console.print(table)


@plan_app.command("compare")
def compare_command(
    warehouse: str,
    sku: Annotated[str | None, typer.Option(help="one SKU (default: the A items)")] = None,
    days: Annotated[int, typer.Option(min=42, max=365, help="days of history")] = 182,
    service_level: Annotated[float, typer.Option(help="fill-rate target")] = 0.95,
    max_skus: Annotated[int, typer.Option(min=1, max=100, help="A items replayed")] = 20,
    db: DbOption = None,
) -> None:
    """Replay the demand history against our policy, min/max and (R, S); print what each
    achieves (fill rate, stock-out days, average inventory, cost)."""
    from maillon.planning.service import compare_policies

    database = open_db(db)
    try:
        with database.reader() as session:
            result = compare_policies(
                session=session,
                warehouse_code=warehouse,
                sku=sku,
                days=days,
                max_skus=max_skus,
                service_level=service_level,
            )
    except MaillonError as exc:
        fail(exc)
    if result is None:
        console.print("no demand to replay")
        return
    table = Table(
        title=f"policies on {len(result.skus)} SKU(s), last {result.periods} of {days} days"
    )
    for col in ("policy", "fill rate", "stock-out days", "avg inventory", "value", "orders",
                "total cost"):  # fmt: skip
        table.add_column(col, justify="left" if col == "policy" else "right")
    for row in result.rows():
        table.add_row(
            str(row["policy"]),
            f"{100 * row['fill_rate']:.1f} %",
            str(row["stockout_days"]),
            f"{row['avg_inventory']:.1f}",
            f"{row['avg_inventory_value']:.2f}",
            str(row["orders"]),
            f"{row['total_cost']:.2f}",
        )
    console.print(table)
