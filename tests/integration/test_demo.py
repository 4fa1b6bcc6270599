"""The main job on a small scale: a generated business replayed through the chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rich.console import Console
from sqlalchemy import func, select

from maillon.core.auth import authenticate
from maillon.core.db import Database
from maillon.core.errors import Conflict
from maillon.demo.carriers import SANDBOX_ACCOUNTS, DemoCarriers, start_demo_carriers
from maillon.demo.run import run_demo
from maillon.inventory.service import ledger_mismatches
from maillon.orders.tables import Order, OrderDelivery, OrderEvent
from maillon.shipping.tables import Carrier


@pytest.fixture
def sandbox() -> Iterator[DemoCarriers]:
    running = start_demo_carriers()
    try:
        yield running
    finally:
        running.close()


@pytest.mark.slow
def test_demo_replays_a_business(db: Database, sandbox: DemoCarriers) -> None:
    key = run_demo(
        db, seed=3, days=20, orders=150, skus=60, console=Console(quiet=True), sandbox=sandbox
    )
    with db.reader() as s:
        assert authenticate(session=s, raw_key=key).role.value == "admin"
        assert s.scalar(select(func.count()).select_from(Order)) == 150
        statuses = dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        assert statuses.get("delivered", 0) > 30
        assert statuses.get("shipped", 0) + statuses.get("delivered", 0) > 100
        assert ledger_mismatches(session=s) == []
        # the checkout's relay search reads the generated networks of mainland France
        from maillon.delivery.queries.relay_points import nearest_to_address

        for postcode in ("29200", "23000"):  # Brest, Guéret
            near = nearest_to_address(session=s, country="FR", postcode=postcode, limit=3)
            assert len(near) == 3 and near[0].distance_km < 5  # the file has none there
        # every order's timeline starts with its confirmation
        firsts = s.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.from_status.is_(None))
        )
        assert firsts == 150
        # the warehouses have layouts: pick lists are walked by the shortest route
        from maillon.warehouse.tables import PickList

        routed = s.scalar(
            select(func.count()).select_from(PickList).where(PickList.route_m.is_not(None))
        )
        assert routed and routed == s.scalar(select(func.count()).select_from(PickList))
        # every stop was confirmed by a scan of its picker; every shipment followed a pack plan
        from maillon.returns.tables import ReturnRequest
        from maillon.shipping.tables import Shipment
        from maillon.warehouse.tables import PackingSession, PickListLine, PickScan

        done_lines = s.scalar(
            select(func.count()).select_from(PickListLine).where(PickListLine.status == "done")
        )
        good = dict(
            s.execute(select(PickScan.outcome, func.count()).group_by(PickScan.outcome)).all()
        )
        assert done_lines and good.get("ok") == done_lines
        assert all(o == "ok" or o.startswith("wrong_") for o in good)
        pickers = set(s.scalars(select(PickScan.picker).distinct()))
        assert pickers and all(p.startswith("picker:") for p in pickers)
        packed = s.scalar(select(func.count()).select_from(Shipment))
        plans = s.scalar(
            select(func.count()).select_from(PackingSession).where(PackingSession.status == "done")
        )
        assert packed and plans == packed
        # returns went through receipt, inspection and settlement, not only requests
        steps = set(s.scalars(select(ReturnRequest.status).distinct()))
        assert steps - {"requested", "approved"}, steps
        # the fraud rings were scored, some sent to review and decided, the rest charged back
        from maillon.acquisition.tables import StorefrontEvent
        from maillon.fraud.tables import FraudAssessment, FraudChargeback, FraudReview

        assert s.scalar(select(func.count()).select_from(FraudAssessment)) == 150
        labels = s.scalar(select(func.count()).select_from(FraudReview)) or 0
        labels += s.scalar(select(func.count()).select_from(FraudChargeback)) or 0
        assert labels > 0
        assert s.scalar(select(func.count()).select_from(StorefrontEvent))
    # every order shipped the way its customer chose: no relay service without a relay point
    # (of that carrier), no home order at a relay, no click & collect order through a carrier
    from maillon.orders.choice import DeliveryMethod
    from maillon.orders.service import choices
    from maillon.shipping.methods import service_kinds
    from maillon.shipping.service import quoting

    with db.reader() as s:
        shipped = s.execute(
            select(Shipment.order_id, Carrier.code, Shipment.service_code)
            .join(Carrier, Carrier.id == Shipment.carrier_id)
            .where(Shipment.service_code.is_not(None))
        ).all()
        chosen = choices.choices_of(session=s, order_ids=[o for o, _c, _s in shipped])
        collected = s.scalars(
            select(OrderDelivery.order_id).where(OrderDelivery.method == "click_collect")
        ).all()
        assert collected, "some customers collected in a store"
        assert not set(collected) & set(chosen)
    methods = set()
    for order_id, carrier, service in shipped:
        choice = chosen[order_id]
        card = quoting.card_for(carrier)
        assert card is not None
        assert card.service(service).kind in service_kinds(choice.method), (choice, service)
        if choice.method is DeliveryMethod.RELAY_POINT:
            assert choice.relay_point is not None and choice.relay_point.carrier == carrier
        methods.add(choice.method)
    assert {DeliveryMethod.HOME, DeliveryMethod.RELAY_POINT, DeliveryMethod.EXPRESS} <= methods
    _shipped_through_the_sandbox(db, sandbox, chosen)
    # replenishment went through planning: forecasts, purchase orders sent and received
    from maillon.inventory.tables import StockMovement
    from maillon.planning import service as planning
    from maillon.planning.tables import ForecastRun, PurchaseOrder

    with db.reader() as s:
        assert (s.scalar(select(func.count()).select_from(ForecastRun)) or 0) >= 2
        po_status = dict(
            s.execute(
                select(PurchaseOrder.status, func.count()).group_by(PurchaseOrder.status)
            ).all()
        )
        assert po_status.get("received", 0) > 0 and set(po_status) <= {"sent", "received"}
        received = set(
            s.scalars(select(StockMovement.reference).where(StockMovement.reference.like("PO%")))
        )
        assert len(received) == po_status["received"]
        assert planning.propose_replenishment(session=s, warehouse_code="PAR1") is not None
    with pytest.raises(Conflict, match="fresh"):
        run_demo(db, seed=3, days=1, orders=5, skus=5, console=Console(quiet=True))


def _shipped_through_the_sandbox(db: Database, sandbox: DemoCarriers, chosen: dict) -> None:
    """Every parcel of a carrier with a sandbox account was registered by the sandbox (its
    number, its label, the relay point chosen); the other carriers stayed on rate cards."""
    from maillon.shipping.carriers import AccountMode
    from maillon.shipping.service.accounts import account_views
    from maillon.shipping.tables import Parcel, Shipment, ShippingLabel

    with db.reader() as s:
        modes = {v.carrier: v.mode for v in account_views(session=s)}
        rows = s.execute(
            select(Carrier.code, Shipment.order_id, Parcel.tracking_number, ShippingLabel.content)
            .join(Shipment, Shipment.carrier_id == Carrier.id)
            .join(Parcel, Parcel.shipment_id == Shipment.id)
            .join(ShippingLabel, ShippingLabel.parcel_id == Parcel.id)
        ).all()
    assert {c for c, m in modes.items() if m is AccountMode.SANDBOX} == set(SANDBOX_ACCOUNTS)
    assert modes["dpd"] is AccountMode.RATE_CARD  # no sandbox for it: shown as rate card only
    parcels = sandbox.state.parcels
    through = [r for r in rows if r[0] in SANDBOX_ACCOUNTS]
    assert {r[0] for r in through} == set(SANDBOX_ACCOUNTS), "each sandbox carrier shipped"
    for carrier, order_id, number, label in through:
        parcel = parcels[number]  # a number the sandbox issued, not one made up here
        assert parcel.carrier == carrier and label == parcel.label
        point = chosen[order_id].relay_point
        assert parcel.relay_point == (point.point_id if point is not None else "")
    assert any(p.relay_point for p in parcels.values())
    # the rate-card carrier kept our own numbers (prefix + SSCC)
    assert all(number.startswith("DPD") for c, _o, number, _l in rows if c == "dpd")
