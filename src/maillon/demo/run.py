"""The main job: generate a business and replay it through the whole chain.

Every step goes through the same services as the API (one transaction each), at the simulated
time it would have happened, so timelines, ledgers and KPIs look like a real month.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from maillon.analytics.service import kpi_summary
from maillon.care import service as care
from maillon.catalog.service import create_product
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.auth import create_key
from maillon.core.db import Database
from maillon.core.errors import Conflict, MaillonError
from maillon.demo.generate import generate_catalog, generate_customers, generate_orders
from maillon.demo.report import print_kpis
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft, LineDraft, OrderDraft, OrderStatus
from maillon.planning import service as planning
from maillon.returns import service as returns
from maillon.shipping import service as shipping
from maillon.shipping.service import TrackingInput
from maillon.warehouse import service as warehouse

WAREHOUSES = [
    # code, name, postcode, city, lat, lon, priority
    ("PAR1", "Gennevilliers (Paris north)", "92230", "Gennevilliers", 48.9333, 2.3, 10),
    ("LYS1", "Saint-Priest (Lyon east)", "69800", "Saint-Priest", 45.6956, 4.9439, 20),
]
CARRIERS = [
    # code, name, tracking prefix, share, transit days (min, max), late share
    ("colissimo", "Colissimo", "6A", 0.45, (1, 3), 0.07),
    ("chronopost", "Chronopost", "XR", 0.15, (1, 1), 0.03),
    ("mondial_relay", "Mondial Relay", "MR", 0.25, (2, 3), 0.10),
    ("dpd", "DPD France", "DPD", 0.15, (1, 2), 0.05),
]
TICKET_SUBJECTS = [
    ("Where is my order?", "Hello, my order has not arrived yet, can you check?", "delivery"),
    ("Wrong size", "I received the item but the size is wrong, how do I exchange it?", "returns"),
    ("Change address", "Can I change my delivery address?", "order"),
    ("Damaged parcel", "The box arrived damaged and one item is broken.", "claim"),
    ("Invoice", "Could you send me the invoice for my order?", "billing"),
]


# (code, name, lead time days, its spread, cost of an order in cents)
SUPPLIERS = [
    ("ATELIER", "Atelier Rhône-Alpes", 5, 1, 1500),
    ("GROSSISTE", "Grossiste Île-de-France", 3, 1, 2500),
]

DEMO_LAYOUT = {
    "aisles": 24,
    "aisle_length": 20.0,
    "aisle_spacing": 3.0,
    "blocks": 2,
    "depot": {"aisle": 1, "offset": 3.0},
    "bay_length": 1.0,
    "levels": 3,
    "golden_levels": [2],
    "prefix": "A",
}


def _working_time(at: datetime, rng: np.random.Generator) -> datetime:
    """Return the next moment the warehouse works (Mon-Sat 7:00-19:00 Paris, roughly UTC+1)."""
    t = at
    while True:
        if t.weekday() == 6:
            t = datetime.combine(t.date() + timedelta(days=1), time(6, 0), UTC)
            continue
        if t.hour < 6:
            t = datetime.combine(t.date(), time(6, 0), UTC)
        if t.hour >= 18:
            t = datetime.combine(t.date() + timedelta(days=1), time(6, 0), UTC)
            continue
        return t + timedelta(minutes=int(rng.integers(5, 50)))


def _add_working_days(at: datetime, days: int) -> datetime:
    t = at
    for _ in range(days):
        t += timedelta(days=1)
        while t.weekday() >= 5:
            t += timedelta(days=1)
    return t


def run_demo(
    db: Database,
    *,
    seed: int = 7,
    days: int = 30,
    orders: int | None = None,
    skus: int = 500,
    console: Console | None = None,
) -> str:
    """Fill ``db`` with a generated business replayed through the chain; return an admin key.

    Raises Conflict if the database already holds products (use a fresh database).
    """
    console = console or Console()
    rng = np.random.default_rng(seed)
    n_orders = orders if orders is not None else round(2000 * days / 30)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = datetime.combine((end - timedelta(days=days)).date(), time(0, 0), UTC)

    with db.reader() as session:
        if session.scalar(select(func.count()).select_from(Product)):
            raise Conflict("this database already has products: run the demo on a fresh one")

    catalog = generate_catalog(rng, skus)
    customers = generate_customers(rng, max(50, int(n_orders * 0.75)))
    plan = generate_orders(
        rng,
        skus=[p.sku for p in catalog],
        customers=len(customers),
        start=start,
        days=days,
        count=n_orders,
    )
    demand: dict[str, int] = {}
    for o in plan:
        for sku, q in o.lines:
            demand[sku] = demand.get(sku, 0) + q

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("catalogue and stock", total=len(catalog))
        with clock.frozen_at(start - timedelta(days=1)), db.transaction() as session:
            for code, name, pc, city, lat, lon, prio in WAREHOUSES:
                inventory.create_warehouse(
                    session=session,
                    code=code,
                    name=name,
                    postcode=pc,
                    city=city,
                    lat=lat,
                    lon=lon,
                    priority=prio,
                )
                # 24 aisles of 40 bays (20 m), three levels, two blocks: the demo's location
                # codes A<aisle>-<bay>-<level> fall in these racks, so pick lists follow the
                # shortest route and slotting has something to propose.
                warehouse.set_layout(
                    session=session, warehouse_code=code, data=DEMO_LAYOUT, actor="demo"
                )
            for code, name, prefix, *_ in CARRIERS:
                shipping.create_carrier(
                    session=session, code=code, name=name, tracking_prefix=prefix
                )
            for code, name, lead, sd, cost in SUPPLIERS:
                planning.create_supplier(
                    session=session,
                    code=code,
                    name=name,
                    lead_time_days=lead,
                    lead_time_sd_days=sd,
                    order_cost_cents=cost,
                    email=f"commandes@{code.lower()}.example",
                )
            for i, spec in enumerate(catalog):
                create_product(session=session, spec=spec)
                # every product has a supplier: the planning page proposes purchase orders
                planning.set_supplier_item(
                    session=session,
                    supplier_code=SUPPLIERS[i % len(SUPPLIERS)][0],
                    sku=spec.sku,
                    unit_price_cents=int(spec.price_cents * rng.uniform(0.4, 0.55)),
                    pack_size=int(rng.choice([1, 1, 6, 12])),
                )
                need = demand.get(spec.sku, 0)
                # Stock about one to two weeks of demand, split across warehouses, so the
                # fast movers sometimes run out before the weekly delivery.
                base = int(np.ceil(need * 7 / days * rng.uniform(0.9, 1.7))) + int(
                    rng.integers(0, 3)
                )
                for w, (code, *_rest) in enumerate(WAREHOUSES):
                    qty = base if w == 0 else int(base * rng.uniform(0.2, 0.6))
                    if qty > 0:
                        inventory.receive(
                            session=session,
                            warehouse_code=code,
                            location_code=f"A{(i % 24) + 1:02d}-{(i // 24) % 40 + 1:02d}-{w + 1}",
                            sku=spec.sku,
                            quantity=qty,
                            reference="initial stock",
                            actor="demo",
                        )
                progress.advance(task)

        carrier_p = np.array([c[3] for c in CARRIERS])
        task = progress.add_task("orders through the chain", total=len(plan))
        next_restock = start + timedelta(days=7)
        for o in plan:
            while o.created_at >= next_restock:
                _restock(db, rng, catalog, demand, days, next_restock, carrier_p, end)
                next_restock += timedelta(days=7)
            _replay_order(db, rng, o, customers, carrier_p, end)
            progress.advance(task)

    with db.reader() as session:
        print_kpis(console, kpi_summary(session=session))
    with db.transaction() as session:
        _row, raw = create_key(session=session, role="admin", name="demo admin")
    return raw


def _restock(
    db: Database,
    rng: np.random.Generator,
    catalog: list,
    demand: dict[str, int],
    days: int,
    at: datetime,
    carrier_p: np.ndarray,
    end: datetime,
) -> None:
    """Weekly supplier delivery: top up every SKU by about a week of demand. The receipt itself
    serves the orders waiting for stock (oldest promise first); those now complete are
    prepared and shipped."""
    with db.reader() as session:
        waiting, _ = orders.list_orders(session=session, status="backordered", limit=10_000)
        emails = {o.number: o.customer.email for o in waiting}
    with clock.frozen_at(at), db.transaction() as session:
        for i, spec in enumerate(catalog):
            weekly = demand.get(spec.sku, 0) * 7 / days
            qty = int(np.ceil(weekly * rng.uniform(0.8, 1.3)))
            if qty > 0:
                inventory.receive(
                    session=session,
                    warehouse_code=WAREHOUSES[0][0],
                    location_code=f"A{(i % 24) + 1:02d}-{(i // 24) % 40 + 1:02d}-1",
                    sku=spec.sku,
                    quantity=qty,
                    reference=f"PO {at:%Y-%m-%d}",
                    actor="demo",
                )
    with db.reader() as session:
        ready, _ = orders.list_orders(session=session, status="allocated", limit=10_000)
        released = sorted(o.number for o in ready if o.number in emails)
    for number in released:
        _fulfil(db, rng, number, at + timedelta(minutes=5), carrier_p, end, emails[number])


def _replay_order(
    db: Database,
    rng: np.random.Generator,
    o,
    customers,
    carrier_p,  # type: ignore[no-untyped-def]
    end: datetime,
) -> None:
    c = customers[o.customer]
    draft = OrderDraft(
        email=c.email,
        customer_name=c.name,
        phone=c.phone,
        address=AddressDraft(
            name=c.name, line1=c.line1, postcode=c.postcode, city=c.city, country="FR"
        ),
        lines=tuple(LineDraft(sku, q) for sku, q in o.lines),
        channel=o.channel,
        external_id=o.external_id,
    )
    with clock.frozen_at(o.created_at):
        order, _ = orders.place_order(db, draft, actor=f"channel:{o.channel}")
    number = order.number
    t = o.created_at + timedelta(seconds=int(rng.integers(5, 90)))
    with clock.frozen_at(t), db.transaction() as session:
        outcome = orders.allocate_order(session=session, number=number, actor="system")
    if rng.random() < 0.025:  # customer changes their mind within the hour
        with (
            clock.frozen_at(t + timedelta(minutes=int(rng.integers(5, 60)))),
            db.transaction() as session,
        ):
            orders.cancel_order(
                session=session, number=number, reason="customer request", actor="agent:demo"
            )
        return
    if not outcome.allocated:
        return
    _fulfil(db, rng, number, t, carrier_p, end, c.email)


def _fulfil(
    db: Database,
    rng: np.random.Generator,
    number: str,
    t: datetime,
    carrier_p,  # type: ignore[no-untyped-def]
    end: datetime,
    email: str,
) -> None:
    pick_at = _working_time(t, rng)
    if pick_at > end:
        return
    with clock.frozen_at(pick_at), db.transaction() as session:
        pick_ids = [
            p.id
            for p in warehouse.create_pick_lists(
                session=session, number=number, actor="picker:demo"
            )
        ]
    pack_at = pick_at + timedelta(minutes=int(rng.integers(4, 25)))
    with clock.frozen_at(pack_at), db.transaction() as session:
        for pick_id in pick_ids:
            warehouse.confirm_pick_list(
                session=session, pick_list_id=pick_id, picked=None, actor="picker:demo"
            )
        shipping.pack_order(session=session, number=number, parcels=None, actor="packer:demo")
    ship_at = _working_time(pack_at + timedelta(minutes=30), rng)
    if ship_at > end:
        return
    idx = int(rng.choice(len(CARRIERS), p=carrier_p))
    code, _name, _prefix, _share, (tmin, tmax), late = CARRIERS[idx]
    with clock.frozen_at(ship_at), db.transaction() as session:
        shipments = shipping.ship_order(
            session=session, number=number, carrier_code=code, actor="operator:demo"
        )
        tracking = [p.tracking_number or "" for x in shipments for p in x.parcels]
    transit = int(rng.integers(tmin, tmax + 1)) + (
        int(rng.integers(1, 4)) if rng.random() < late else 0
    )
    delivered_at = _add_working_days(ship_at, transit).replace(
        hour=int(rng.integers(8, 17)), minute=int(rng.integers(60))
    )
    events = [
        ("picked_up", ship_at + timedelta(hours=2)),
        ("in_transit", ship_at + timedelta(hours=9)),
        ("out_for_delivery", delivered_at.replace(hour=6)),
        ("delivered", delivered_at),
    ]
    for k, (status, at) in enumerate(events):
        if at > end:
            break
        for tn in tracking:
            with clock.frozen_at(at + timedelta(minutes=3)), db.transaction() as session:
                shipping.record_tracking_event(
                    session=session,
                    event=TrackingInput(
                        carrier=code,
                        event_id=f"{tn}-{k}",
                        tracking_number=tn,
                        status=status,
                        occurred_at=at,
                        location="FR",
                    ),
                    actor=f"carrier:{code}",
                )
    if delivered_at > end:
        return
    if rng.random() < 0.04:
        subject, body, category = TICKET_SUBJECTS[int(rng.integers(len(TICKET_SUBJECTS)))]
        opened = delivered_at - timedelta(hours=int(rng.integers(1, 48)))
        with clock.frozen_at(opened), db.transaction() as session:
            ticket = care.open_ticket(
                session=session,
                email=email,
                subject=subject,
                body=body,
                order_number=number,
                category=category,
                channel="email",
            )
            ticket_id = ticket.id
        answer_at = opened + timedelta(hours=float(rng.gamma(2.0, 4.0)))
        if answer_at < end:
            with clock.frozen_at(answer_at), db.transaction() as session:
                care.reply(
                    session=session,
                    ticket_id=ticket_id,
                    actor="agent:demo",
                    body="Thank you for your message, we are looking into it.",
                )
    if rng.random() < 0.07:
        req_at = delivered_at + timedelta(days=int(rng.integers(1, 12)))
        if req_at > end:
            return
        try:
            with clock.frozen_at(req_at), db.transaction() as session:
                order = orders.get_order(session=session, number=number)
                line = order.lines[0]
                request = returns.request_return(
                    session=session,
                    number=number,
                    lines=[(line.sku, 1)],
                    reason=str(
                        rng.choice(
                            [
                                "too small",
                                "too large",
                                "not as described",
                                "damaged",
                                "changed my mind",
                            ]
                        )
                    ),
                    actor="customer",
                )
                return_id = request.id
        except MaillonError:
            return
        recv_at = _add_working_days(req_at, 3)
        if recv_at < end:
            with clock.frozen_at(recv_at), db.transaction() as session:
                returns.receive_return(
                    session=session,
                    return_id=return_id,
                    restock=bool(rng.random() < 0.85),
                    actor="operator:demo",
                )


__all__ = ["OrderStatus", "run_demo"]
