"""The main job: generate a business and replay it through the whole chain.

Every step goes through the same services as the API (one transaction each), at the simulated
time it would have happened, so timelines, ledgers and KPIs look like a real month.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.acquisition import service as acquisition
from maillon.analytics.service import kpi_summary
from maillon.care import service as care
from maillon.catalog.model import ProductSpec
from maillon.catalog.service import create_product
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.auth import create_key
from maillon.core.db import Database
from maillon.core.errors import Conflict, MaillonError
from maillon.delivery import relay_network
from maillon.delivery.relay import RelayIndex
from maillon.delivery.service import collect
from maillon.delivery.service.relay_points import import_points
from maillon.demo import choices as delivery_choice
from maillon.demo.carriers import DemoCarriers, register_accounts, start_demo_carriers
from maillon.demo.generate import (
    generate_catalog,
    generate_customers,
    generate_orders,
    order_demand,
)
from maillon.demo.report import print_kpis
from maillon.demo.shop import connect_demo_shop
from maillon.fraud import service as fraud
from maillon.fraud.model import ReviewStatus
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.choice import HOME, DeliveryChoice, DeliveryMethod
from maillon.orders.model import AddressDraft, LineDraft, OrderDraft, OrderStatus
from maillon.planning import service as planning
from maillon.planning.tables import Supplier
from maillon.returns import service as returns
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.shipping.service.follow_up import TrackingInput
from maillon.warehouse import service as warehouse
from maillon.warehouse.service import packing_flow, packstation, tasks
from maillon.warehouse.tables import PickListLine

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
    ("Damaged parcel", "The box arrived damaged and one item is broken.", "complaint"),
    ("Invoice", "Could you send me the invoice for my order?", "payment"),
]


# (code, name, lead time days, its spread, cost of an order in cents)
FRAUD_SHARE = 0.025
# disposable e-mail domain and a billing postal code far from where the rings ship to
FRAUD_RINGS = (
    ("yopmail.com", "97200"),
    ("mailinator.com", "20000"),
    ("guerrillamail.com", "59140"),
)
PICKERS = ("picker:lea", "picker:yanis", "picker:ines", "picker:tom")
PACKERS = ("packer:sami", "packer:chloe")

SUPPLIERS = [
    # code, name, lead time and its spread (days), cost of one order line (cents: receiving,
    # checking and paying it; it sizes the lots with the holding cost)
    ("ATELIER", "Atelier Rhône-Alpes", 5, 1, 200),
    ("GROSSISTE", "Grossiste Île-de-France", 3, 1, 300),
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


def _set_up_sites(session: Session) -> None:
    """Create the demo's warehouses (with their layout), carriers and suppliers."""
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
        warehouse.set_layout(session=session, warehouse_code=code, data=DEMO_LAYOUT, actor="demo")
    for code, name, prefix, *_ in CARRIERS:
        shipping.create_carrier(session=session, code=code, name=name, tracking_prefix=prefix)
    for code, *_ in WAREHOUSES:  # customers nearby may collect their orders there
        collect.set_store(
            session=session, warehouse_code=code, opening_hours=delivery_choice.STORE_HOURS
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


def _stock_catalogue(
    session: Session,
    rng: np.random.Generator,
    catalog: Sequence[ProductSpec],
    demand: dict[str, int],
    days: int,
    progress: Progress,
    task: TaskID,
) -> None:
    """Create the products with a supplier each and their opening stock in every warehouse."""
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
        # Opening stock: about one to two weeks of demand, split across warehouses;
        # from then on the planner's purchase orders (_Planner) replenish it.
        base = int(np.ceil(need * 7 / days * rng.uniform(0.9, 1.7))) + int(rng.integers(0, 3))
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


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def run_demo(
    db: Database,
    *,
    seed: int = 7,
    days: int = 30,
    orders: int | None = None,
    skus: int = 500,
    console: Console | None = None,
    sandbox: DemoCarriers | None = None,
) -> str:
    """Fill ``db`` with a generated business replayed through the chain; return an admin key.

    The carriers of ``sandbox`` (started here when not given, left running) ship through
    their connectors in sandbox mode. Raises Conflict if the database holds products.
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
    carriers = [c[0] for c in CARRIERS]
    # the relay networks of mainland France (generated, made up): the checkout's and the
    # customers' choices read the same points
    relay_points = relay_network.generate()
    sandbox = sandbox or start_demo_carriers()
    index = sandbox.state.points = RelayIndex(relay_points)  # the sandbox's relay search too
    deliveries = delivery_choice.choose_all(seed, plan, customers, carriers, catalog, index)
    demand = order_demand(plan)

    with _progress(console) as progress:
        task = progress.add_task("catalogue and stock", total=len(catalog))
        with clock.frozen_at(start - timedelta(days=1)), db.transaction() as session:
            _set_up_sites(session)
            register_accounts(session=session, base_url=sandbox.url)
            import_points(session=session, points=relay_points)
            _stock_catalogue(session, rng, catalog, demand, days, progress, task)

        carrier_p = np.array([c[3] for c in CARRIERS])
        task = progress.add_task("orders through the chain", total=len(plan))
        planner = _Planner(catalog, start)
        next_review = start + timedelta(days=1, hours=PLANNER_HOUR)
        with sandbox.replaying():  # the connectors on one HTTP client
            for o, choice in zip(plan, deliveries, strict=True):
                while o.created_at >= next_review:
                    planner.morning(db, rng, next_review, carrier_p, end)
                    next_review += timedelta(days=1)
                _replay_order(db, rng, o, customers, carrier_p, end, choice)
                progress.advance(task)

        # a sample of the storefront's visits over the month (sessions drawn as in the Online
        # Shoppers data the generator is calibrated on): the acquisition funnel's data
        with db.transaction() as session:
            acquisition.store_generated_sessions(
                session=session, n_sessions=n_orders * 2, seed=seed, start=start, days=days
            )
    with db.reader() as session:
        print_kpis(console, kpi_summary(session=session))
    with db.transaction() as session:
        _row, raw = create_key(session=session, role="admin", name="demo admin")
    return raw


PLANNER_HOUR = 6
"""The planner's review, each morning at 06:00 UTC, before the day's orders."""

FORECAST_EVERY_DAYS = 7
"""Days between two forecasting runs in the demo (the first after a week of history)."""


class _Planner:
    """The demo's replenishment, through planning as a shop would run it: each morning the
    suppliers deliver the purchase orders due (the receipts serve the orders waiting for
    stock, which are then prepared and shipped); weekly a forecast of every SKU's demand;
    then the orders the policies call for in each warehouse, sent to the suppliers. A
    delivery comes after the supplier's lead time give or take its spread (seeded)."""

    def __init__(self, catalog: list, start: datetime) -> None:
        self.location = {
            (spec.sku, code): f"A{(i % 24) + 1:02d}-{(i // 24) % 40 + 1:02d}-{w + 1}"
            for i, spec in enumerate(catalog)
            for w, (code, *_rest) in enumerate(WAREHOUSES)
        }
        self.lead = {code: (lead, sd) for code, _name, lead, sd, _cost in SUPPLIERS}
        self.arrivals: dict[str, datetime] = {}
        self.next_forecast = start + timedelta(days=FORECAST_EVERY_DAYS, hours=PLANNER_HOUR)

    def morning(
        self,
        db: Database,
        rng: np.random.Generator,
        at: datetime,
        carrier_p: np.ndarray,
        end: datetime,
    ) -> None:
        """Receive today's deliveries, forecast when due, order what the policies call for."""
        due = sorted(n for n, when in self.arrivals.items() if when <= at)
        if due:
            with db.reader() as session:
                waiting, _ = orders.list_orders(
                    session=session, status=OrderStatus.BACKORDERED, limit=10_000
                )
                emails = {o.number: o.customer.email for o in waiting}
            with clock.frozen_at(at), db.transaction() as session:
                for number in due:
                    po = planning.get_purchase_order(session=session, number=number)
                    code = session.get(Warehouse, po.warehouse_id)
                    assert code is not None
                    for line in po.lines:
                        planning.receive_purchase_order(
                            session=session,
                            number=number,
                            location_code=self.location[(line.sku, code.code)],
                            actor="planner:demo",
                            quantities={line.sku: line.quantity - line.received_quantity},
                        )
                    del self.arrivals[number]
            with db.reader() as session:
                ready, _ = orders.list_orders(
                    session=session, status=OrderStatus.ALLOCATED, limit=10_000
                )
                released = sorted(o.number for o in ready if o.number in emails)
            for number in released:
                _fulfil(db, rng, number, at + timedelta(minutes=5), carrier_p, end, emails[number])
        with clock.frozen_at(at):
            if at >= self.next_forecast:
                planning.run_forecast(db, horizon=28, history_days=FORECAST_HISTORY_DAYS)
                self.next_forecast += timedelta(days=FORECAST_EVERY_DAYS)
            for code, *_rest in WAREHOUSES:
                with db.reader() as session:
                    lines = [
                        (p.supplier, p.sku, p.quantity, p.reason)
                        for p in planning.propose_replenishment(
                            session=session, warehouse_code=code
                        )
                    ]
                if not lines:
                    continue
                with db.transaction() as session:
                    for po in planning.create_purchase_orders(
                        session=session, warehouse_code=code, lines=lines, actor="planner:demo"
                    ):
                        session.flush()
                        planning.send_purchase_order(
                            session=session, number=po.number, actor="planner:demo"
                        )
                        supplier = session.get(Supplier, po.supplier_id)
                        assert supplier is not None
                        lead, sd = self.lead[supplier.code]
                        days = max(1, round(float(rng.normal(lead, sd))))
                        self.arrivals[po.number] = at + timedelta(days=days)


FORECAST_HISTORY_DAYS = 365


def _buyer(rng: np.random.Generator, o, c, ring: bool):  # type: ignore[no-untyped-def]
    """The e-mail, lines and storefront signals of an order (a fraud ring's when ``ring``)."""
    signals = {
        "device_id": f"dev-{o.customer}",
        "card_fingerprint": f"card-{o.customer}",
        "ip": f"10.{o.customer // 250 % 250}.{o.customer % 250}.{int(rng.integers(1, 250))}",
        "billing_postcode": c.postcode,
        "billing_country": "FR",
    }
    email, lines = c.email, o.lines
    if ring:
        # a fraud ring: throw-away addresses, one shared device and card, billing far away,
        # several units of what resells well
        k = int(rng.integers(len(FRAUD_RINGS)))
        email = f"{c.name.split()[0].lower()}{int(rng.integers(1000))}@{FRAUD_RINGS[k][0]}"
        signals |= {
            "device_id": f"ring-device-{k}",
            "card_fingerprint": f"ring-card-{k}",
            "ip": f"185.220.{k}.{int(rng.integers(1, 250))}",
            "billing_postcode": FRAUD_RINGS[k][1],
        }
        lines = tuple((sku, q + int(rng.integers(1, 4))) for sku, q in o.lines)
    return email, lines, signals


def _replay_order(
    db: Database,
    rng: np.random.Generator,
    o,
    customers,
    carrier_p,  # type: ignore[no-untyped-def]
    end: datetime,
    choice: DeliveryChoice = HOME,
) -> None:
    c = customers[o.customer]
    ring = rng.random() < FRAUD_SHARE
    email, lines, signals = _buyer(rng, o, c, ring)
    token = None
    if choice.method is DeliveryMethod.CLICK_COLLECT:
        token = delivery_choice.reserve_in_store(db, choice, lines, email, c.name, o.created_at)
        if token is None:  # the store lacks an item: delivered at home instead
            choice = HOME
    draft = OrderDraft(
        email=email,
        customer_name=c.name,
        phone=c.phone,
        address=AddressDraft(
            name=c.name, line1=c.line1, postcode=c.postcode, city=c.city, country="FR"
        ),
        lines=tuple(LineDraft(sku, q) for sku, q in lines),
        channel=o.channel,
        external_id=o.external_id,
        signals=signals,
        delivery=choice,
    )
    with clock.frozen_at(o.created_at):
        order, _ = orders.place_order(db, draft, actor=f"channel:{o.channel}")
    number = order.number
    if token is not None:
        ready = delivery_choice.link_to_store(db, number, token, o.created_at)
        go_on, _t, pending = _fraud_review(db, rng, number, ring, o.created_at, end)
        if go_on and not pending:
            delivery_choice.collect_later(db, rng, token, ready, end)
        return
    t = o.created_at + timedelta(seconds=int(rng.integers(5, 90)))
    go_on, t, pending = _fraud_review(db, rng, number, ring, t, end)
    if not go_on:
        return
    with clock.frozen_at(t), db.transaction() as session:
        outcome = orders.allocate_order(session=session, number=number, actor="system")
    if pending:  # still in the review queue when the period ends: its stock waits with it
        return
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
    _fulfil(db, rng, number, t, carrier_p, end, email)
    if ring:  # it went through: the bank charges it back weeks later
        back_at = o.created_at + timedelta(days=int(rng.integers(12, 40)))
        if back_at < end:
            with clock.frozen_at(back_at), db.transaction() as session:
                fraud.record_chargeback(
                    session=session,
                    number=number,
                    amount_cents=order.total_cents,
                    actor="psp:demo",
                )


def _fraud_review(
    db: Database, rng: np.random.Generator, number: str, ring: bool, t: datetime, end: datetime
) -> tuple[bool, datetime, bool]:
    """Let an analyst decide an order waiting in the review queue (most ring orders are
    caught, a few genuine ones rejected by mistake); return whether the order goes on, when,
    and whether it is still waiting for the analyst when the period ends."""
    with db.reader() as session:
        try:
            item = fraud.get_assessment(session=session, number=number)
        except MaillonError:
            return True, t, False
        waiting = item.assessment.review_status == ReviewStatus.OPEN
        status = item.order.status
    if status == OrderStatus.CANCELLED.value:
        return False, t, False  # rejected outright at intake
    if not waiting:
        return True, t, False
    at = _working_time(t + timedelta(minutes=int(rng.integers(10, 240))), rng)
    if at > end:
        return True, t, True
    reject = rng.random() < (0.9 if ring else 0.04)
    with clock.frozen_at(at), db.transaction() as session:
        fraud.decide(
            session=session,
            number=number,
            decision="reject" if reject else "approve",
            analyst="analyst:demo",
            note="ring pattern" if reject else "known customer",
        )
    return not reject, at + timedelta(seconds=30), False


def _pack(
    db: Database, number: str, pick_lists: list[tuple[int, str]], pack_at: datetime, packer: str
) -> None:
    """Pack the order's picked units by scanning them, closing the boxes if the scans did not."""
    with clock.frozen_at(pack_at), db.transaction() as session:
        for pick_id, _code in pick_lists:
            # the packer scans each unit and is told its carton and place in it
            lines = session.scalars(
                select(PickListLine).where(PickListLine.pick_list_id == pick_id)
            ).all()
            gtins = dict(
                session.execute(
                    select(Product.sku, Product.gtin).where(
                        Product.sku.in_([line.sku for line in lines])
                    )
                ).all()
            )
            for line in lines:
                for _ in range(line.picked_quantity):
                    # a unit no carton takes (too big or heavy) ships in its own box
                    with contextlib.suppress(packstation.FieldConflict):
                        packing_flow.packing_scan(
                            session=session,
                            barcode=gtins.get(line.sku) or line.sku,
                            packer=packer,
                            pick_list_id=pick_id,
                        )
        # the last scan closed the boxes, unless a unit had no carton: then the packer does
        if orders.get_order(session=session, number=number).status == OrderStatus.PICKING:
            packing_flow.finish_packing(session=session, number=number, actor=packer)


def _ship_and_track(
    db: Database,
    rng: np.random.Generator,
    number: str,
    ship_at: datetime,
    carrier_p,  # type: ignore[no-untyped-def]
    end: datetime,
) -> datetime:
    """Ship the order the way its customer chose (a drawn home carrier, the express carrier or
    its relay point's) and record its tracking events; return delivery."""
    shipped = delivery_choice.ship_as_chosen(db, rng, number, ship_at, carrier_p)
    if shipped is None:  # no carrier has a service of the method for it: it waits
        return end + timedelta(days=1)
    code, tracking = shipped
    _code, _name, _prefix, _share, (tmin, tmax), late = next(c for c in CARRIERS if c[0] == code)
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
                follow_up.record_tracking_event(
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
    return delivered_at


def _maybe_ticket(
    db: Database,
    rng: np.random.Generator,
    number: str,
    email: str,
    delivered_at: datetime,
    end: datetime,
) -> None:
    """Now and then, open an after-sales ticket about the order and answer it."""
    if rng.random() >= 0.04:
        return
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
    try:
        with clock.frozen_at(pick_at), db.transaction() as session:
            lists = warehouse.create_pick_lists(
                session=session, number=number, actor="planner:demo"
            )
            codes = dict(session.execute(select(Warehouse.id, Warehouse.code)).all())
            pick_lists = [(p.id, codes[p.warehouse_id]) for p in lists]
    except Conflict:  # held off the floor (a fraud review still open): it waits
        return
    done_at = _pick_by_scans(db, rng, pick_lists, pick_at)
    pack_at = done_at + timedelta(minutes=int(rng.integers(3, 20)))
    packer = PACKERS[int(rng.integers(len(PACKERS)))]
    _pack(db, number, pick_lists, pack_at, packer)
    ship_at = _working_time(pack_at + timedelta(minutes=30), rng)
    if ship_at > end:
        return
    delivered_at = _ship_and_track(db, rng, number, ship_at, carrier_p, end)
    if delivered_at > end:
        return
    _maybe_ticket(db, rng, number, email, delivered_at, end)
    if rng.random() < 0.07:
        _return_some(db, rng, number, delivered_at, end)


def _pick_by_scans(
    db: Database, rng: np.random.Generator, pick_lists: list[tuple[int, str]], at: datetime
) -> datetime:
    """Pick the lists stop by stop as a picker's handheld would: next task, scan the location
    and the product; now and then a wrong product is scanned first (refused and counted).
    Returns when the last stop was confirmed."""
    picker = PICKERS[int(rng.integers(len(PICKERS)))]
    for _pick_id, code in pick_lists:
        with clock.frozen_at(at), db.transaction() as session:
            task = tasks.next_task(session=session, warehouse_code=code, picker=picker)
        while task is not None:
            at += timedelta(seconds=float(rng.gamma(4.0, 12.0)))  # walk and reach
            if rng.random() < 0.015:
                with clock.frozen_at(at), contextlib.suppress(tasks.ScanMismatch):
                    tasks.scan(
                        db,
                        line_id=task.line_id,
                        picker=picker,
                        location=task.location,
                        barcode="3760000000000",  # the product next to it
                        quantity=task.quantity,
                    )
                at += timedelta(seconds=8)
            with clock.frozen_at(at):
                outcome = tasks.scan(
                    db,
                    line_id=task.line_id,
                    picker=picker,
                    location=task.location,
                    barcode=task.gtin or task.sku,
                    quantity=task.quantity,
                )
            at += timedelta(seconds=4 * task.quantity)
            task = outcome.next
    return at


RETURN_REASONS = [
    ("wrong_size", 0.38),
    ("changed_mind", 0.27),
    ("not_as_described", 0.13),
    ("defective", 0.12),
    ("damaged_in_transit", 0.07),
    ("wrong_item", 0.03),
]
GRADES = (("A", 0.62), ("B", 0.2), ("C", 0.12), ("D", 0.06))


def _return_some(
    db: Database, rng: np.random.Generator, number: str, delivered_at: datetime, end: datetime
) -> None:
    """A customer returns one unit; the warehouse receives, grades and disposes of it, and the
    customer is refunded (or given store credit), each step at its own time."""
    req_at = delivered_at + timedelta(days=int(rng.integers(1, 12)))
    if req_at > end:
        return
    codes = [r for r, _ in RETURN_REASONS]
    reason = str(rng.choice(codes, p=[w for _, w in RETURN_REASONS]))
    try:
        with clock.frozen_at(req_at), db.transaction() as session:
            order = orders.get_order(session=session, number=number)
            line = order.lines[int(rng.integers(len(order.lines)))]
            request = returns.request_return(
                session=session,
                number=number,
                lines=[(line.sku, 1, reason)],
                reason=reason,
                actor="customer",
            )
            return_id = request.id
            returns.approve(session=session, return_id=return_id, actor="returns:demo")
    except MaillonError:
        return
    steps = [
        ("receive", _add_working_days(req_at, int(rng.integers(2, 5)))),
        ("inspect", timedelta(hours=float(rng.gamma(2.0, 6.0)))),
        ("dispose", timedelta(minutes=int(rng.integers(5, 90)))),
        ("settle", timedelta(hours=float(rng.gamma(2.0, 8.0)))),
    ]
    at = req_at
    for step, when in steps:
        at = when if isinstance(when, datetime) else _working_time(at + when, rng)
        if at > end:
            return
        with clock.frozen_at(at), db.transaction() as session:
            if step == "receive":
                returns.receive(session=session, return_id=return_id, actor="returns:demo")
            elif step == "inspect":
                request = returns.get_return(session=session, return_id=return_id)
                grade = str(rng.choice([g for g, _ in GRADES], p=[w for _, w in GRADES]))
                returns.inspect(
                    session=session,
                    return_id=return_id,
                    grades=[
                        returns.Grading(line.id, grade, line.received_quantity)
                        for line in request.lines
                    ],
                    actor="returns:demo",
                )
            elif step == "dispose":
                returns.dispose(session=session, return_id=return_id, actor="returns:demo")
            else:
                method = "store_credit" if rng.random() < 0.2 else "refund"
                returns.settle(
                    session=session, return_id=return_id, method=method, actor="returns:demo"
                )
                returns.close(session=session, return_id=return_id, actor="returns:demo")


__all__ = ["OrderStatus", "connect_demo_shop", "run_demo"]
