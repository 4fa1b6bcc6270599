"""Replenishment proposals: stock positions (on hand, on order, backordered), a policy
per SKU designed on the newest forecast or the demand history, and the purchases the
policies call for today."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import (
    ErrorCollector,
)
from maillon.inventory import service as inventory
from maillon.inventory.tables import StockLevel
from maillon.orders.model import AllocationStatus, OrderStatus
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.planning.classify import ClassThresholds
from maillon.planning.model import OPEN_PO
from maillon.planning.policy import (
    LeadTimeDemand,
    PolicyParams,
    ServiceTargets,
    SkuPolicy,
    StockPosition,
    SupplierTerms,
    design_batch,
    lead_time_demand,
    propose_orders,
)
from maillon.planning.service.classes import classify_skus
from maillon.planning.service.forecasts import StepForecast, latest_forecast_steps
from maillon.planning.service.history import (
    _default_warehouse,
    daily_demand_stats,
    demand_history,
    selling_since,
)
from maillon.planning.service.suppliers import _among, _terms
from maillon.planning.tables import (
    PurchaseOrder,
    PurchaseOrderLine,
)


def stock_positions(*, session: Session, warehouse_code: str) -> dict[str, StockPosition]:
    """Return, per SKU, free units on hand (not reserved), on order (open purchase orders) and
    backordered units in a warehouse (backorders of orders not yet given a warehouse count for
    the first one)."""
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code)
    default = _default_warehouse(session)
    # units already reserved for orders are spoken for: they count as on hand no more
    on_hand = dict(
        session.execute(
            select(Product.sku, func.sum(StockLevel.on_hand - StockLevel.reserved))
            .join(Product, Product.id == StockLevel.product_id)
            .where(StockLevel.warehouse_id == warehouse.id)
            .group_by(Product.sku)
        ).all()
    )
    on_order = dict(
        session.execute(
            select(
                PurchaseOrderLine.sku,
                func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity),
            )
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrder.warehouse_id == warehouse.id, PurchaseOrder.status.in_(OPEN_PO))
            .group_by(PurchaseOrderLine.sku)
        ).all()
    )
    # the units still missing on the lines of backordered orders (their reserved and shipped
    # allocations subtracted), line by line: only those orders' allocations are read
    reserved = func.coalesce(
        func.sum(
            case(
                (
                    Allocation.status.in_((AllocationStatus.RESERVED, AllocationStatus.SHIPPED)),
                    Allocation.quantity,
                ),
                else_=0,
            )
        ),
        0,
    )
    missing = (
        select(OrderLine.sku, (OrderLine.quantity - reserved).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Allocation, Allocation.order_line_id == OrderLine.id)
        .where(
            Order.status == OrderStatus.BACKORDERED.value,
            func.coalesce(Order.warehouse_id, default.id) == warehouse.id,
        )
        .group_by(OrderLine.id, OrderLine.sku, OrderLine.quantity)
        .subquery("missing")
    )
    waiting = dict(
        session.execute(
            select(missing.c.sku, func.sum(missing.c.units)).group_by(missing.c.sku)
        ).all()
    )
    skus = set(on_hand) | set(on_order) | set(waiting)
    return {
        sku: StockPosition(
            sku=sku,
            on_hand=float(on_hand.get(sku) or 0),
            on_order=float(on_order.get(sku) or 0),
            backordered=max(0.0, float(waiting.get(sku) or 0)),
        )
        for sku in sorted(skus)
    }


def _design_all(
    chosen: list[tuple[str, SupplierTerms, float, float]],
    params: PolicyParams,
    why: dict[str, str] | None = None,
) -> dict[str, SkuPolicy]:
    """Design every SKU's policy in one vectorised pass (``design_batch``)."""
    if not chosen:
        return {}
    batch = design_batch(
        skus=[c[0] for c in chosen],
        forecast_mean=[c[2] for c in chosen],
        forecast_sigma=[c[3] for c in chosen],
        lead_time_mean=[c[1].lead_time_mean for c in chosen],
        lead_time_sd=[c[1].lead_time_sd for c in chosen],
        unit_price=[c[1].unit_price for c in chosen],
        order_cost=[c[1].order_cost for c in chosen],
        moq=[c[1].moq for c in chosen],
        pack_size=[c[1].pack_size for c in chosen],
        params=params,
    )
    policies = {}
    for i, (sku, supplier_terms, mean, sigma) in enumerate(chosen):
        kind = batch.kinds[i]
        policies[sku] = batch.sku_policy(
            i,
            supplier=supplier_terms,
            forecast_mean=mean,
            forecast_sigma=sigma,
            reason=f"{kind}: designed for a {params.service_level:.1%} fill rate"
            + ((why or {}).get(sku) or ""),
        )
    return policies


@dataclass(frozen=True)
class Proposal:
    """A purchase the policy calls for, with what it was decided on: the SKU's ABC/XYZ class
    (``""`` when classes were not needed), its service target and, when the newest stored
    forecast drove the policy, the lead-time demand built from its quantiles."""

    sku: str
    supplier: str
    quantity: int
    unit_price_cents: int
    expected_arrival: date
    reason: str
    policy: SkuPolicy
    position: StockPosition
    sku_class: str = ""
    service_level: float = 0.95
    lead_time_demand: LeadTimeDemand | None = None


STEP_CORRELATION = 0.15
"""Correlation of forecast errors between two days of one forecast, used to add per-step
quantiles up over a lead time (``lead_time_demand``). Measured by ``bench/forecast.py``
(``step_correlation``) on UCI Online Retail daily demand; override per call."""


MAX_STORAGE_COST = 10_000.0
"""Highest storage cost per unit and year a proposal takes (a typo guard)."""


def propose_replenishment(
    *,
    session: Session,
    warehouse_code: str,
    service_level: float = 0.95,
    history_days: int = 56,
    today: date | None = None,
    class_targets: ServiceTargets | str | None = None,
    step_correlation: float = STEP_CORRELATION,
    storage_cost: float = 0.0,
    thresholds: ClassThresholds | None = None,
) -> list[Proposal]:
    """Return the purchases the policies call for today in a warehouse.

    Each SKU with a supplier gets a policy for a fill-rate target: ``service_level``, or with
    ``class_targets`` (a :class:`ServiceTargets` or its text ``"A=0.98,B=0.95,C=0.9"``, whose
    default is then ``service_level``) the target of its ABC/XYZ class (ABC on the value of
    its demand over ``history_days`` at the supplier's price, XYZ on its weekly CV; split at
    ``thresholds``, see :func:`class_thresholds`).

    When the newest stored daily forecast covers the SKU, the policy is designed on the
    lead-time demand built from that forecast's per-step quantiles over the supplier's lead
    time plus the review period (:func:`maillon.planning.policy.lead_time_demand`, errors
    correlated ``step_correlation`` between days, lead-time spread added); else on the mean
    and spread of its daily demand over the last ``history_days`` days (stock-out days left
    out). Supplier lead time and spread, price, MOQ and pack size complete the design.
    ``storage_cost`` is the cost of keeping one unit a year whatever its price (space,
    handling; ``PolicyParams.unit_holding_cost``), added to the capital cost: with it the order
    quantities of cheap fast movers shrink (``bench/policy.py --storage-cost``).

    Raises NotFound, ValidationError naming ``service_level``, ``history_days``,
    ``class_targets``, ``step_correlation`` or ``storage_cost``.
    """
    targets = _targets(
        service_level=service_level,
        history_days=history_days,
        class_targets=class_targets,
        step_correlation=step_correlation,
        storage_cost=storage_cost,
    )
    today = today or clock.now().date()
    start = today - timedelta(days=history_days)
    records, stockouts = demand_history(
        session=session, start=start, end=today, warehouse_code=warehouse_code
    )
    positions = stock_positions(session=session, warehouse_code=warehouse_code)
    seen = set(positions) | {r.sku for r in records}
    products: dict[str, int] = {
        sku: pid
        for sku, pid in session.execute(
            select(Product.sku, Product.id).where(*_among(Product.sku, seen))
        )
        if sku in seen
    }
    terms = _terms(session, list(products.values()))
    supplied = {sku for sku, pid in products.items() if pid in terms}
    stats = daily_demand_stats(
        [r for r in records if r.sku in supplied],
        [s for s in stockouts if s.sku in supplied],
        end=today,
        since=selling_since(session=session, skus=supplied, start=start),
    )
    steps = latest_forecast_steps(session=session, warehouse_code=warehouse_code)
    classes: dict[str, str] = {}
    if targets.by_class:
        prices = {sku: terms[pid].unit_price for sku, pid in products.items() if pid in terms}
        classes = classify_skus(
            [r for r in records if r.sku in supplied],
            prices,
            start=start,
            end=today,
            thresholds=thresholds,
        )
    groups, why, demand_over = _design_inputs(
        products, terms, steps, stats, positions, classes, targets, step_correlation
    )
    policies, level_of = _design_groups(groups, why, storage_cost)
    return _proposals(positions, policies, level_of, classes, demand_over, today)


def _targets(
    *,
    service_level: float,
    history_days: int,
    class_targets: ServiceTargets | str | None,
    step_correlation: float,
    storage_cost: float,
) -> ServiceTargets:
    """Return the service targets of a proposal run, or raise ValidationError naming each bad
    argument (see :func:`propose_replenishment`)."""
    errors = ErrorCollector()
    if not 0.5 <= service_level < 1:
        errors.add("service_level", "between 0.5 and 0.999")
    if not 7 <= history_days <= 730:
        errors.add("history_days", "7-730 days")
    if not 0 <= step_correlation <= 1:
        errors.add("step_correlation", "between 0 and 1")
    if not (math.isfinite(storage_cost) and 0 <= storage_cost <= MAX_STORAGE_COST):
        errors.add("storage_cost", f"per unit and year, 0-{MAX_STORAGE_COST:g}")
    targets = ServiceTargets(default=service_level if 0 < service_level < 1 else 0.95)
    try:
        if isinstance(class_targets, str):
            targets = ServiceTargets.parse(class_targets, default=targets.default)
        elif class_targets is not None:
            targets = class_targets
    except ValueError as exc:
        errors.add("class_targets", str(exc))
    if any(not 0.5 <= v < 1 for _, v in targets.by_class):
        errors.add("class_targets", "every target between 0.5 and 0.999")
    errors.raise_if_any()
    return targets


def _design_inputs(
    products: dict[str, int],
    terms: dict[int, SupplierTerms],
    steps: dict[str, StepForecast],
    stats: dict[str, tuple[float, float]],
    positions: dict[str, StockPosition],
    classes: dict[str, str],
    targets: ServiceTargets,
    step_correlation: float,
) -> tuple[
    dict[float, list[tuple[str, SupplierTerms, float, float]]],
    dict[str, str],
    dict[str, LeadTimeDemand],
]:
    """Return, per service target, the (SKU, supplier terms, mean, sigma) to design (the
    lead-time demand of the newest forecast, else the demand history's statistics), why each
    was designed so, and the lead-time demands used."""
    review = PolicyParams().review_period
    groups: dict[float, list[tuple[str, SupplierTerms, float, float]]] = {}
    why: dict[str, str] = {}
    demand_over: dict[str, LeadTimeDemand] = {}
    for sku, pid in sorted(products.items()):
        if pid not in terms:
            continue
        supplier_terms = terms[pid]
        stored = steps.get(sku)
        if stored is not None and stored.usable:
            ltd = lead_time_demand(
                forecast=stored.forecast,
                quantiles=stored.quantiles,
                lead_time_mean=supplier_terms.lead_time_mean,
                lead_time_sd=supplier_terms.lead_time_sd,
                review_period=float(review),
                correlation=step_correlation,
            )
            demand_over[sku] = ltd
            mean, sd = ltd.rate, ltd.period_sigma
            why[sku] = (
                f"; lead-time demand from the forecast quantiles ({stored.model}): "
                f"{ltd.mean:.1f} +/- {ltd.sd:.1f} over {ltd.periods:g} days"
            )
        else:
            mean, sd = stats.get(sku, (0.0, 0.0))
            why[sku] = "; demand from the order history"
        if mean <= 0 and positions.get(sku, StockPosition(sku, 0)).backordered <= 0:
            continue
        level = targets.level_for(classes.get(sku))
        if sku in classes:
            why[sku] += f"; class {classes[sku]}"
        groups.setdefault(level, []).append(
            (sku, supplier_terms, max(mean, 1e-6), 0.0 if math.isnan(sd) else sd)
        )
    return groups, why, demand_over


def _design_groups(
    groups: dict[float, list[tuple[str, SupplierTerms, float, float]]],
    why: dict[str, str],
    storage_cost: float,
) -> tuple[dict[str, SkuPolicy], dict[str, float]]:
    """Return the policy of every SKU, designed per service target, and its target."""
    policies: dict[str, SkuPolicy] = {}
    level_of: dict[str, float] = {}
    for level, chosen in sorted(groups.items()):
        params = PolicyParams(service_level=level)
        params = replace(params, unit_holding_cost=storage_cost / params.periods_per_year)
        policies.update(_design_all(chosen, params, why))
        level_of.update({c[0]: level for c in chosen})
    return policies, level_of


def _proposals(
    positions: dict[str, StockPosition],
    policies: dict[str, SkuPolicy],
    level_of: dict[str, float],
    classes: dict[str, str],
    demand_over: dict[str, LeadTimeDemand],
    today: date,
) -> list[Proposal]:
    """Return the purchases the policies call for today, with what they were decided on."""
    wanted = [positions.get(sku, StockPosition(sku, 0.0)) for sku in sorted(policies)]
    lines = propose_orders(positions=wanted, policies=policies, today=today)
    by_sku = {p.sku: p for p in wanted}
    return [
        Proposal(
            sku=line.sku,
            supplier=line.supplier,
            quantity=math.ceil(line.quantity),
            unit_price_cents=round(line.unit_price * 100),
            expected_arrival=line.expected_arrival,
            reason=f"{line.reason}; {policies[line.sku].reason}",
            policy=policies[line.sku],
            position=by_sku[line.sku],
            sku_class=classes.get(line.sku, ""),
            service_level=level_of[line.sku],
            lead_time_demand=demand_over.get(line.sku),
        )
        for line in lines
    ]
