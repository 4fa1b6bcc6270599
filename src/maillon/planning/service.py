"""Planning use cases: suppliers, demand history, replenishment proposals, purchase orders.

Demand history comes from the orders (units per SKU, warehouse and day, cancelled orders
excluded) with the days an order had to wait for stock flagged, so lost sales do not read as
zero demand (:mod:`maillon.planning.demand` imputes them). Proposals design a policy per SKU
(:mod:`maillon.planning.policy`: safety stock for a fill-rate target from the demand's mean and
spread and the supplier's lead time and its spread, reorder point, EOQ or order-up-to, MOQ and
pack size) and compare it with the stock position (on hand + on order - backordered). A
planner turns proposals into purchase orders; receiving one books the units into the ledger,
which serves waiting backorders (``stock.received``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.db import Database, utc_day
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.inventory import service as inventory
from maillon.inventory.tables import StockLevel, Warehouse
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Allocation, Order, OrderEvent, OrderLine
from maillon.planning.classify import Classification, ClassThresholds, SkuClass, classify
from maillon.planning.demand import DemandRecord, StockoutDay, build_demand_series
from maillon.planning.forecast import ForecastConfig, forecast, quantile_column
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
from maillon.planning.replay import ComparisonInput, HistoryComparison, compare_on_history
from maillon.planning.tables import (
    ForecastPoint,
    ForecastRun,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierItem,
)

OPEN_PO = ("draft", "sent", "partially_received")


# -- suppliers ---------------------------------------------------------------------------------


def create_supplier(
    *,
    session: Session,
    code: str,
    name: str,
    lead_time_days: int,
    lead_time_sd_days: int = 0,
    order_cost_cents: int = 0,
    email: str = "",
) -> Supplier:
    """Create a supplier. Raises ValidationError naming bad fields, DuplicateError."""
    errors = ErrorCollector()
    code = code.strip()
    if not 1 <= len(code) <= 30:
        errors.add("code", "1-30 characters")
    if not name.strip():
        errors.add("name", "required")
    if not 0 <= lead_time_days <= 365:
        errors.add("lead_time_days", "0-365 days")
    if not 0 <= lead_time_sd_days <= 365:
        errors.add("lead_time_sd_days", "0-365 days")
    if order_cost_cents < 0:
        errors.add("order_cost_cents", "must be >= 0")
    errors.raise_if_any()
    if session.scalar(select(Supplier.id).where(Supplier.code == code)) is not None:
        raise DuplicateError("supplier", "code", code)
    supplier = Supplier(
        code=code,
        name=name.strip()[:120],
        email=email.strip()[:320],
        lead_time_days=lead_time_days,
        lead_time_sd_days=lead_time_sd_days,
        order_cost_cents=order_cost_cents,
        active=True,
    )
    session.add(supplier)
    session.flush()
    return supplier


def get_supplier(*, session: Session, code: str, field: str = "supplier") -> Supplier:
    """Return the supplier ``code``. Raises NotFound naming ``field``."""
    supplier = session.scalar(select(Supplier).where(Supplier.code == code))
    if supplier is None:
        raise NotFound("supplier", code, field=field)
    return supplier


def list_suppliers(*, session: Session) -> list[Supplier]:
    """Return every supplier by code."""
    return list(session.scalars(select(Supplier).order_by(Supplier.code)))


def _product(session: Session, sku: str, field: str = "sku") -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound("product", sku, field=field)
    return product


def set_supplier_item(
    *,
    session: Session,
    supplier_code: str,
    sku: str,
    unit_price_cents: int,
    moq: int = 0,
    pack_size: int = 1,
    lead_time_days: int | None = None,
    preferred: bool = False,
) -> SupplierItem:
    """Record (or update) what a supplier sells of a product. Raises NotFound, ValidationError."""
    errors = ErrorCollector()
    if unit_price_cents < 0:
        errors.add("unit_price_cents", "must be >= 0")
    if moq < 0:
        errors.add("moq", "must be >= 0")
    if pack_size < 1:
        errors.add("pack_size", "must be >= 1")
    if lead_time_days is not None and not 0 <= lead_time_days <= 365:
        errors.add("lead_time_days", "0-365 days")
    errors.raise_if_any()
    supplier = get_supplier(session=session, code=supplier_code)
    product = _product(session, sku)
    item = session.scalar(
        select(SupplierItem).where(
            SupplierItem.supplier_id == supplier.id, SupplierItem.product_id == product.id
        )
    )
    if item is None:
        item = SupplierItem(supplier_id=supplier.id, product_id=product.id)
        session.add(item)
    item.unit_price_cents = unit_price_cents
    item.moq = moq
    item.pack_size = pack_size
    item.lead_time_days = lead_time_days
    item.preferred = preferred
    session.flush()
    return item


# -- demand history ----------------------------------------------------------------------------


def _default_warehouse(session: Session) -> Warehouse:
    warehouse = session.scalar(select(Warehouse).order_by(Warehouse.priority, Warehouse.id))
    if warehouse is None:
        raise NotFound("warehouse", "(any)", field="warehouse")
    return warehouse


def demand_history(
    *,
    session: Session,
    start: date,
    end: date,
    warehouse_code: str | None = None,
    sku: str | None = None,
) -> tuple[list[DemandRecord], list[StockoutDay]]:
    """Return units ordered per SKU, warehouse and day in ``[start, end)`` (cancelled orders
    excluded; an order not yet allocated counts for the first warehouse) and the days an order
    for the SKU had to wait for stock there. Raises ValidationError naming ``to``."""
    if end <= start:
        raise ValidationError(FieldError("to", "must be after from"))
    default = _default_warehouse(session)
    codes = {w.id: w.code for w in inventory.list_warehouses(session=session)}
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC)
    warehouse_id = func.coalesce(Order.warehouse_id, default.id)
    dialect = session.get_bind().dialect.name
    ordered_on = utc_day(dialect, Order.created_at)
    waited_on = utc_day(dialect, OrderEvent.at)
    # summed per day by the database: a planner's window holds tens of thousands of lines
    query = (
        select(OrderLine.sku, warehouse_id, ordered_on, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.created_at >= since,
            Order.created_at < until,
            Order.status != OrderStatus.CANCELLED.value,
        )
        .group_by(OrderLine.sku, warehouse_id, ordered_on)
    )
    stockout_query = (
        select(OrderLine.sku, warehouse_id, waited_on)
        .join(Order, Order.id == OrderEvent.order_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            OrderEvent.to_status == OrderStatus.BACKORDERED.value,
            OrderEvent.at >= since,
            OrderEvent.at < until,
        )
        .distinct()
    )
    if sku is not None:
        # by the product's id, which is indexed on the order lines (their sku is not)
        product = select(Product.id).where(Product.sku == sku).scalar_subquery()
        query = query.where(OrderLine.product_id == product)
        stockout_query = stockout_query.where(OrderLine.product_id == product)
    if warehouse_code is not None:
        wanted = inventory.get_warehouse(session=session, code=warehouse_code)
        query = query.where(warehouse_id == wanted.id)
        stockout_query = stockout_query.where(warehouse_id == wanted.id)
    totals: dict[tuple[str, str, date], int] = {}
    for sku, wid, day, qty in session.execute(query):
        key = (sku, codes.get(wid, str(wid)), day)
        totals[key] = totals.get(key, 0) + int(qty)
    records = [DemandRecord(sku, wh, day, float(q)) for (sku, wh, day), q in sorted(totals.items())]
    stockouts = sorted(
        {
            StockoutDay(sku, codes.get(wid, str(wid)), day)
            for sku, wid, day in session.execute(stockout_query)
        },
        key=lambda s: (s.sku, s.warehouse, s.day),
    )
    return records, stockouts


# -- stock positions and proposals -------------------------------------------------------------


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
            case((Allocation.status.in_(("reserved", "shipped")), Allocation.quantity), else_=0)
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
        policies[sku] = SkuPolicy(
            sku=sku,
            kind=kind,
            supplier=supplier_terms,
            review_period=int(batch.review_period[i]),
            reorder_point=float(batch.reorder_point[i]),
            order_quantity=float(batch.order_quantity[i]) if kind == "sQ" else None,
            order_up_to=None if kind == "sQ" else float(batch.order_up_to[i]),
            safety_stock=float(batch.safety_stock[i]),
            forecast_mean=mean,
            forecast_sigma=sigma,
            expected_fill_rate=float(batch.expected_fill_rate[i]),
            expected_cycle_service=float(batch.expected_cycle_service[i]),
            holding_cost=float(batch.holding_cost[i]),
            order_cost=float(batch.order_cost[i]),
            shortage_cost=float(batch.shortage_cost[i]),
            reason=f"{kind}: designed for a {params.service_level:.1%} fill rate"
            + ((why or {}).get(sku) or ""),
        )
    return policies


def selling_since(*, session: Session, skus: Collection[str], start: date) -> dict[str, date]:
    """Return the first day each SKU could sell within a history from ``start``: ``start``, or
    the day it was listed (created) when later. Before it, a SKU without sales had no demand to
    show, so its history starts there, not at its first sale (which makes one sale yesterday
    read as a unit a day)."""
    wanted = set(skus)
    return {
        sku: max(start, clock.as_utc(created).date())
        for sku, created in session.execute(
            select(Product.sku, Product.created_at).where(*_among(Product.sku, wanted))
        )
        if sku in wanted
    }


def daily_demand_stats(
    records: list[DemandRecord],
    stockouts: list[StockoutDay],
    *,
    end: date,
    since: Mapping[str, date] | None = None,
) -> dict[str, tuple[float, float]]:
    """Return the mean and standard deviation of each SKU's daily demand, from the day it
    could first sell (``since[sku]``, e.g. the window's start or its listing day; without
    it, or when it sold before, its first sale) to the day before ``end``; days it was out of
    stock are left out (their demand is unknown, not zero)."""
    since = since or {}
    per_day: dict[str, dict[date, float]] = {}
    for r in records:
        days = per_day.setdefault(r.sku, {})
        days[r.day] = days.get(r.day, 0.0) + r.qty
    out_days: dict[str, set[date]] = {}
    for s in stockouts:
        out_days.setdefault(s.sku, set()).add(s.day)
    stats: dict[str, tuple[float, float]] = {}
    for sku, days in per_day.items():
        first = min(min(days), since.get(sku, end))
        last = first + timedelta(days=max((end - first).days, 1))  # exclusive
        skip = {d for d in out_days.get(sku, ()) if first <= d < last}
        sold = [v for d, v in days.items() if d < last and d not in skip]
        n = (last - first).days - len(skip)  # the days counted, most of them without a sale
        if n <= 0:
            stats[sku] = (sum(days.values()), 0.0)
            continue
        mean = sum(sold) / n
        # the days without a sale are zeros: each adds mean² to the squared deviations
        squares = sum((v - mean) ** 2 for v in sold) + (n - len(sold)) * mean**2
        stats[sku] = (mean, math.sqrt(squares / (n - 1)) if n > 1 else 0.0)
    return stats


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


def classify_skus(
    records: list[DemandRecord],
    prices: dict[str, float],
    *,
    start: date,
    end: date,
    thresholds: ClassThresholds | None = None,
) -> dict[str, str]:
    """Return each SKU's ABC/XYZ label (``"AX"``): ABC on the value of its demand in
    ``[start, end)`` at ``prices``, XYZ on the coefficient of variation of its demand per
    week, over the whole weeks back from ``end`` that the records cover (none before their
    first day) (:class:`~maillon.planning.classify.ClassThresholds`, the defaults when None)."""
    return {
        item.sku: item.label
        for item in _classes(records, prices, start=start, end=end, thresholds=thresholds)
    }


def _classes(
    records: list[DemandRecord],
    prices: dict[str, float],
    *,
    start: date,
    end: date,
    thresholds: ClassThresholds | None = None,
) -> tuple[SkuClass, ...]:
    records = [r for r in records if start <= r.day < end]
    skus = sorted({r.sku for r in records})
    if not skus:
        return ()
    # Weeks count back from the end (the last 7 days are the last week); they start no earlier
    # than the first order of the records: before it there is no history, not zero demand
    # (a shop that opened a month ago has four weeks, not thirteen with nine empty).
    first = max(start, min(r.day for r in records))
    weeks = max(1, (end - first).days // 7)
    index = {sku: i for i, sku in enumerate(skus)}
    weekly = [[0.0] * weeks for _ in skus]
    units = [0.0] * len(skus)
    for r in records:
        units[index[r.sku]] += r.qty
        back = ((end - r.day).days - 1) // 7
        if back < weeks:
            weekly[index[r.sku]][weeks - 1 - back] += r.qty
    result = classify(
        skus=skus,
        values=[u * prices.get(sku, 0.0) for sku, u in zip(skus, units, strict=True)],
        demand=weekly,
        thresholds=thresholds or ClassThresholds(),
    )
    return result.items


def class_thresholds(
    *, abc_a: float = 0.80, abc_b: float = 0.95, xyz_x: float = 0.5, xyz_y: float = 1.0
) -> ClassThresholds:
    """Return the ABC/XYZ thresholds, or raise ValidationError naming each bad one: ``abc_a``
    (cumulative value share of the A SKUs) in (0, 1], ``abc_b`` (A and B) in [abc_a, 1],
    ``xyz_x`` (largest weekly CV of an X SKU) >= 0 and ``xyz_y`` >= xyz_x, all finite."""
    errors = ErrorCollector()
    if not (math.isfinite(abc_a) and 0 < abc_a <= 1):
        errors.add("abc_a", "a share of value in (0, 1]")
    elif not (math.isfinite(abc_b) and abc_a <= abc_b <= 1):
        errors.add("abc_b", f"a share of value between abc_a ({abc_a:g}) and 1")
    if not (math.isfinite(xyz_x) and 0 <= xyz_x <= MAX_CV_THRESHOLD):
        errors.add("xyz_x", f"a coefficient of variation, 0-{MAX_CV_THRESHOLD:g}")
    elif not (math.isfinite(xyz_y) and xyz_x <= xyz_y <= MAX_CV_THRESHOLD):
        errors.add("xyz_y", f"a coefficient of variation between xyz_x ({xyz_x:g}) and "
                   f"{MAX_CV_THRESHOLD:g}")  # fmt: skip
    errors.raise_if_any()
    return ClassThresholds(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y)


MAX_CV_THRESHOLD = 100.0
"""Highest XYZ threshold taken (a typo guard)."""


def sku_classes(
    *,
    session: Session,
    warehouse_code: str | None = None,
    days: int = 91,
    thresholds: ClassThresholds | None = None,
    today: date | None = None,
) -> Classification:
    """Return the ABC/XYZ class of every SKU ordered in the last ``days`` days (of one
    warehouse, or all), most valuable first: ABC on the value of its demand at its purchase
    price (the preferred supplier's, else the cheapest; the catalogue price for a SKU without
    a supplier), XYZ on the coefficient of variation of its weekly demand.

    Raises NotFound (warehouse), ValidationError naming ``days``.
    """
    if not 14 <= days <= 730:
        raise ValidationError([FieldError("days", "14-730 days")])
    today = today or clock.now().date()
    start = today - timedelta(days=days)
    records, _stockouts = demand_history(
        session=session, start=start, end=today, warehouse_code=warehouse_code
    )
    thresholds = thresholds or ClassThresholds()
    if not records:
        return Classification(items=(), thresholds=thresholds)
    skus = {r.sku for r in records}
    catalogue = {
        sku: (pid, cents)
        for sku, pid, cents in session.execute(
            select(Product.sku, Product.id, Product.price_cents).where(*_among(Product.sku, skus))
        )
        if sku in skus
    }
    terms = _terms(session, [pid for pid, _ in catalogue.values()])
    prices = {
        sku: terms[pid].unit_price if pid in terms else cents / 100
        for sku, (pid, cents) in catalogue.items()
    }
    items = _classes(records, prices, start=start, end=today, thresholds=thresholds)
    return Classification(
        items=tuple(sorted(items, key=lambda c: (-c.value, c.sku))), thresholds=thresholds
    )


_IN_LIST_MAX = 500


def _among(column: Any, values: Collection[Any]) -> list[Any]:
    """``column IN values`` as a WHERE condition, or no condition when the list is long: the
    caller filters the rows (reading a catalogue's rows costs less than rendering and
    matching thousands of bound parameters)."""
    return [column.in_(values)] if len(values) <= _IN_LIST_MAX else []


def _terms(session: Session, product_ids: list[int]) -> dict[int, SupplierTerms]:
    """The terms of each product's supplier: the preferred one, else the cheapest (read as
    plain rows: this runs over the whole catalogue)."""
    rows = session.execute(
        select(
            SupplierItem.product_id,
            SupplierItem.preferred,
            SupplierItem.unit_price_cents,
            SupplierItem.moq,
            SupplierItem.pack_size,
            SupplierItem.lead_time_days,
            Supplier.code,
            Supplier.lead_time_days,
            Supplier.lead_time_sd_days,
            Supplier.order_cost_cents,
        )
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .where(Supplier.active.is_(True), *_among(SupplierItem.product_id, product_ids))
    ).all()
    wanted = set(product_ids)
    best: dict[int, tuple[tuple[bool, int, str], SupplierTerms]] = {}
    for pid, preferred, price, moq, pack, item_lead, code, lead, lead_sd, order_cost in rows:
        if pid not in wanted:
            continue
        rank = (not preferred, price, code)
        if pid in best and best[pid][0] <= rank:
            continue
        best[pid] = (
            rank,
            SupplierTerms(
                supplier=code,
                lead_time_mean=float(lead if item_lead is None else item_lead),
                lead_time_sd=float(lead_sd),
                moq=float(moq),
                pack_size=float(pack),
                unit_price=price / 100,
                order_cost=order_cost / 100,
            ),
        )
    return {pid: terms for pid, (_rank, terms) in best.items()}


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
    policies: dict[str, SkuPolicy] = {}
    level_of: dict[str, float] = {}
    for level, chosen in sorted(groups.items()):
        params = PolicyParams(service_level=level)
        params = replace(params, unit_holding_cost=storage_cost / params.periods_per_year)
        policies.update(_design_all(chosen, params, why))
        level_of.update({c[0]: level for c in chosen})
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


# -- forecasts ---------------------------------------------------------------------------------

Z90 = 1.2816  # standard normal quantile of 0.9: (q90 - q50) / Z90 estimates the spread


def run_forecast(
    db: Database,
    *,
    horizon: int = 28,
    history_days: int = 365,
    freq: str = "D",
    warehouse_code: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ForecastRun:
    """Forecast every SKU's demand per warehouse from the order history and store the result
    (point, quantiles, the model chosen per series). ``engine="dask"`` runs the statistical
    models on the Dask cluster at ``scheduler`` (a local one when None).

    Raises ValidationError naming ``horizon``, ``history_days``, ``freq`` or ``engine``;
    Conflict when there is no demand to forecast.
    """
    errors = ErrorCollector()
    if not 1 <= horizon <= 366:
        errors.add("horizon", "1-366 periods")
    if not 14 <= history_days <= 3650:
        errors.add("history_days", "14-3650 days")
    if freq not in ("D", "W"):
        errors.add("freq", "D (daily) or W (weekly)")
    if engine not in ("local", "dask"):
        errors.add("engine", "local or dask")
    errors.raise_if_any()
    today = clock.now().date()
    start = today - timedelta(days=history_days)
    with db.reader() as session:
        records, stockouts = demand_history(
            session=session, start=start, end=today, warehouse_code=warehouse_code
        )
        since = selling_since(session=session, skus={r.sku for r in records}, start=start)
    if not records:
        raise Conflict("no orders in the history period: nothing to forecast")
    series = build_demand_series(
        records, stockouts=stockouts, freq=freq, end=today - timedelta(days=1), since=since
    )
    config = ForecastConfig(
        horizon=horizon,
        season_length=7 if freq == "D" else 52,
        freq=series.pandas_freq,
    )
    result = forecast(
        series.forecast_input(),
        config=config,
        engine="dask" if engine == "dask" else "local",
        scheduler=scheduler,
        progress=progress,
    )
    keys = series.frame.drop_duplicates("unique_id").set_index("unique_id")[["sku", "warehouse"]]
    models = dict(zip(result.chosen["unique_id"], result.chosen["model"], strict=True))
    with db.transaction() as session:
        run = ForecastRun(
            created_at=clock.now(),
            freq=freq,
            horizon=horizon,
            engine=engine,
            series=int(series.n_series),
            runtime_s=round(result.runtime_s, 3),
            history_from=start,
            history_to=today,
        )
        session.add(run)
        session.flush()
        rows = []
        for row in result.forecasts.to_dict("records"):
            uid = row["unique_id"]
            sku, warehouse = keys.loc[uid, "sku"], keys.loc[uid, "warehouse"]
            rows.append(
                {
                    "run_id": run.id,
                    "sku": str(sku),
                    "warehouse": str(warehouse),
                    "ds": row["ds"].date(),
                    "step": int(row["step"]),
                    "model": str(models.get(uid, ""))[:40],
                    "forecast": float(row["forecast"]),
                    **{
                        f"q{int(q * 100)}": _opt(row.get(quantile_column(q)))
                        for q in (0.5, 0.8, 0.9, 0.95)
                    },
                }
            )
        if rows:
            session.execute(insert(ForecastPoint), rows)
        return run


def _opt(value: Any) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def latest_forecast_run(*, session: Session, freq: str = "D") -> ForecastRun | None:
    """Return the newest forecast run of ``freq`` (``"D"`` daily, ``"W"`` weekly), or None."""
    return session.scalar(
        select(ForecastRun).where(ForecastRun.freq == freq).order_by(ForecastRun.id.desc())
    )


def latest_forecast(
    *, session: Session, warehouse_code: str
) -> dict[str, tuple[float, float, str]]:
    """Return, per SKU of a warehouse, the mean forecast per day, its spread and the model,
    from the newest daily forecast run (empty when there is none)."""
    run = latest_forecast_run(session=session)
    if run is None:
        return {}
    run_id = run.id
    rows = session.execute(
        select(
            ForecastPoint.sku,
            func.avg(ForecastPoint.forecast),
            func.avg(ForecastPoint.q90 - ForecastPoint.q50),
            func.min(ForecastPoint.model),
        )
        .where(ForecastPoint.run_id == run_id, ForecastPoint.warehouse == warehouse_code)
        .group_by(ForecastPoint.sku)
    ).all()
    return {
        sku: (float(mean or 0), max(0.0, float(spread or 0)) / Z90, str(model or ""))
        for sku, mean, spread, model in rows
    }


@dataclass(frozen=True)
class StepForecast:
    """A SKU's newest stored daily forecast, step by step (step 1 first).

    Attributes:
        model: the model chosen for the series.
        forecast: point forecast per step.
        quantiles: ``{level: value per step}`` for the stored levels (0.5, 0.8, 0.9, 0.95)
            present at every step.
        days: the date of each step.
    """

    model: str
    forecast: tuple[float, ...]
    quantiles: dict[float, tuple[float, ...]]
    days: tuple[date, ...] = ()

    @property
    def usable(self) -> bool:
        """Return whether it has steps and an upper quantile (to build a lead-time demand)."""
        return bool(self.forecast) and any(q > 0.5 for q in self.quantiles)


def latest_forecast_steps(
    *, session: Session, warehouse_code: str, sku: str | None = None
) -> dict[str, StepForecast]:
    """Return, per SKU of a warehouse (or only ``sku``), the newest daily forecast run's point
    forecast and quantiles per step (empty when there is no run)."""
    run = latest_forecast_run(session=session)
    if run is None:
        return {}
    run_id = run.id
    rows = session.execute(
        select(
            ForecastPoint.sku,
            ForecastPoint.step,
            ForecastPoint.model,
            ForecastPoint.forecast,
            ForecastPoint.q50,
            ForecastPoint.q80,
            ForecastPoint.q90,
            ForecastPoint.q95,
            ForecastPoint.ds,
        )
        .where(
            ForecastPoint.run_id == run_id,
            ForecastPoint.warehouse == warehouse_code,
            *([ForecastPoint.sku == sku] if sku is not None else []),
        )
        .order_by(ForecastPoint.sku, ForecastPoint.step)
    ).all()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    out: dict[str, StepForecast] = {}
    levels = (0.5, 0.8, 0.9, 0.95)
    for sku, points in grouped.items():
        quantiles = {
            level: tuple(float(p[4 + j]) for p in points)
            for j, level in enumerate(levels)
            if all(p[4 + j] is not None for p in points)
        }
        out[sku] = StepForecast(
            model=str(points[0][2] or ""),
            forecast=tuple(max(0.0, float(p[3] or 0.0)) for p in points),
            quantiles=quantiles,
            days=tuple(p[8] for p in points),
        )
    return out


# -- policy comparison -------------------------------------------------------------------------

DEFAULT_LEAD_TIME_DAYS = 7.0
"""Lead time of a SKU without a supplier, in the policy comparison."""


def compare_policies(
    *,
    session: Session,
    warehouse_code: str,
    sku: str | None = None,
    days: int = 182,
    max_skus: int = 20,
    service_level: float = 0.95,
    today: date | None = None,
) -> HistoryComparison | None:
    """Replay the last ``days`` days of demand of ``sku`` (or of the warehouse's A items: the
    ``max_skus`` most valuable of them) against our policy, min/max and (R, S)
    (:func:`maillon.planning.replay.compare_on_history`), with each SKU's supplier lead time,
    spread, price and order cost (a SKU without a supplier: 7 days, price 1). Returns None
    when there is no demand to replay. Raises NotFound (warehouse), ValidationError naming
    ``days``, ``max_skus`` or ``service_level``."""
    errors = ErrorCollector()
    if not 42 <= days <= 365:
        errors.add("days", "42-365 days")
    if not 1 <= max_skus <= 100:
        errors.add("max_skus", "1-100")
    if not 0.5 <= service_level < 1:
        errors.add("service_level", "between 0.5 and 0.999")
    errors.raise_if_any()
    today = today or clock.now().date()
    start = today - timedelta(days=days)
    records, _stockouts = demand_history(
        session=session, start=start, end=today, warehouse_code=warehouse_code, sku=sku
    )
    if not records:
        return None
    skus = sorted({r.sku for r in records})
    products = dict(
        session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all()
    )
    terms = _terms(session, list(products.values()))
    term_of = {s: terms.get(products.get(s, -1)) for s in skus}
    prices = {
        s: (t.unit_price if t is not None and t.unit_price > 0 else 1.0) for s, t in term_of.items()
    }
    if sku is None:
        labels = classify_skus(records, prices, start=start, end=today)
        value = {s: 0.0 for s in skus}
        for r in records:
            value[r.sku] += r.qty * prices[r.sku]
        a_items = [s for s in skus if labels.get(s, "C")[:1] == "A"] or skus
        skus = sorted(sorted(a_items, key=lambda s: -value[s])[:max_skus])
    index = {s: i for i, s in enumerate(skus)}
    matrix = np.zeros((len(skus), days))
    for r in records:
        if r.sku in index:
            matrix[index[r.sku], (r.day - start).days] += r.qty
    lead = [
        t.lead_time_mean if t is not None else DEFAULT_LEAD_TIME_DAYS
        for t in map(term_of.get, skus)
    ]
    lead_sd = [t.lead_time_sd if t is not None else 0.0 for t in map(term_of.get, skus)]
    order_cost = [t.order_cost for t in map(term_of.get, skus) if t is not None]
    return compare_on_history(
        ComparisonInput(
            skus=tuple(skus),
            demand=matrix,
            unit_price=np.array([prices[s] for s in skus]),
            lead_time_mean=np.array(lead, dtype=np.float64),
            lead_time_sd=np.array(lead_sd, dtype=np.float64),
            order_cost=float(np.median(order_cost)) if order_cost else 10.0,
            service_level=service_level,
            warmup=min(56, days // 3),
        )
    )


# -- purchase orders ---------------------------------------------------------------------------


def parse_po_number(number: str) -> int | None:
    """Return the id in ``PO000123`` (or a bare number), or None."""
    text = number.strip().upper().removeprefix("PO")
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def get_purchase_order(*, session: Session, number: str, field: str = "number") -> PurchaseOrder:
    """Return a purchase order by number. Raises NotFound."""
    po_id = parse_po_number(number)
    po = session.get(PurchaseOrder, po_id) if po_id is not None else None
    if po is None:
        raise NotFound("purchase order", number, field=field)
    return po


def list_purchase_orders(
    *, session: Session, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[PurchaseOrder]:
    """Return purchase orders, newest first."""
    query = select(PurchaseOrder).order_by(PurchaseOrder.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(PurchaseOrder.status == status)
    return list(session.scalars(query))


def purchase_orders_to_follow(
    *, session: Session, open_limit: int = 50, closed_limit: int = 10
) -> list[PurchaseOrder]:
    """Return the purchase orders a planner follows: the open ones (draft, sent, partially
    received), soonest expected first (undated last), then the most recently closed."""
    open_pos = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status.in_(OPEN_PO))
        .order_by(PurchaseOrder.expected_at.is_(None), PurchaseOrder.expected_at, PurchaseOrder.id)
        .limit(open_limit)
    )
    closed = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status.not_in(OPEN_PO))
        .order_by(PurchaseOrder.id.desc())
        .limit(closed_limit)
    )
    return [*open_pos, *closed]


def create_purchase_orders(
    *,
    session: Session,
    warehouse_code: str,
    lines: list[tuple[str, str, int, str]],
    actor: str,
) -> list[PurchaseOrder]:
    """Create draft purchase orders, one per supplier, from (supplier, SKU, quantity, reason)
    lines. Prices come from what the supplier sells. Raises ValidationError naming
    ``lines.N.field``, NotFound for the warehouse."""
    warehouse = inventory.get_warehouse(session=session, code=warehouse_code, field="warehouse")
    errors = ErrorCollector()
    if not lines:
        errors.add("lines", "at least one line")
    resolved: list[tuple[Supplier, Product, SupplierItem, int, str]] = []
    for i, (supplier_code, sku, quantity, reason) in enumerate(lines):
        supplier = session.scalar(select(Supplier).where(Supplier.code == supplier_code))
        product = session.scalar(select(Product).where(Product.sku == sku))
        if supplier is None:
            errors.add(f"lines.{i}.supplier", f"unknown supplier {supplier_code!r}")
            continue
        if product is None:
            errors.add(f"lines.{i}.sku", f"unknown SKU {sku!r}")
            continue
        item = session.scalar(
            select(SupplierItem).where(
                SupplierItem.supplier_id == supplier.id, SupplierItem.product_id == product.id
            )
        )
        if item is None:
            errors.add(f"lines.{i}.sku", f"{supplier_code} does not sell {sku}")
            continue
        if not 1 <= quantity <= 1_000_000:
            errors.add(f"lines.{i}.quantity", "1-1,000,000 units")
            continue
        if quantity < item.moq:
            errors.add(f"lines.{i}.quantity", f"below the minimum order of {item.moq}")
            continue
        if quantity % item.pack_size:
            errors.add(f"lines.{i}.quantity", f"not a multiple of the pack size {item.pack_size}")
            continue
        resolved.append((supplier, product, item, quantity, reason))
    errors.raise_if_any()
    now = clock.now()
    orders: dict[int, PurchaseOrder] = {}
    for supplier, product, item, quantity, reason in resolved:
        po = orders.get(supplier.id)
        if po is None:
            lead = (
                item.lead_time_days if item.lead_time_days is not None else supplier.lead_time_days
            )
            po = PurchaseOrder(
                supplier_id=supplier.id,
                warehouse_id=warehouse.id,
                status="draft",
                created_at=now,
                expected_at=now + timedelta(days=lead),
                created_by=actor,
            )
            session.add(po)
            orders[supplier.id] = po
        po.lines.append(
            PurchaseOrderLine(
                product_id=product.id,
                sku=product.sku,
                quantity=quantity,
                received_quantity=0,
                unit_price_cents=item.unit_price_cents,
                reason=reason[:400],
            )
        )
    session.flush()
    return list(orders.values())


def send_purchase_order(*, session: Session, number: str, actor: str) -> PurchaseOrder:
    """Send a draft purchase order to its supplier (an e-mail through the outbox).
    Raises NotFound, Conflict unless draft."""
    po = get_purchase_order(session=session, number=number)
    if po.status != "draft":
        raise Conflict(f"{po.number} is {po.status}, not draft")
    supplier = session.get(Supplier, po.supplier_id)
    assert supplier is not None
    po.status = "sent"
    po.sent_at = clock.now()
    if supplier.email:
        body = "\n".join(f"{line.sku}: {line.quantity}" for line in po.lines)
        outbox.enqueue_message(
            session,
            topic="purchase_order.sent",
            recipient=supplier.email,
            subject=f"Purchase order {po.number}",
            body=f"Hello {supplier.name},\n\nPlease deliver:\n{body}\n\n({actor})\n",
            payload={"purchase_order": po.number},
        )
    return po


def receive_purchase_order(
    *,
    session: Session,
    number: str,
    location_code: str,
    actor: str,
    quantities: dict[str, int] | None = None,
) -> PurchaseOrder:
    """Receive units of a purchase order into ``location_code`` of its warehouse (all that is
    still due, or ``quantities`` per SKU): ledger receipts that serve waiting backorders.
    Raises NotFound, Conflict (closed order), ValidationError naming ``lines.SKU``."""
    po = get_purchase_order(session=session, number=number)
    if po.status not in OPEN_PO:
        raise Conflict(f"{po.number} is {po.status}: nothing more to receive")
    due = {line.sku: line.quantity - line.received_quantity for line in po.lines}
    wanted = dict(quantities) if quantities is not None else dict(due)
    errors = ErrorCollector()
    for sku, qty in wanted.items():
        if sku not in due:
            errors.add(f"lines.{sku}", "not on this purchase order")
        elif not 0 < qty <= max(due[sku], 0) * 2 + 1_000:
            errors.add(f"lines.{sku}", f"must be between 1 and what is due ({due[sku]})")
    errors.raise_if_any()
    warehouse = session.get(Warehouse, po.warehouse_id)
    assert warehouse is not None
    for line in po.lines:
        qty = wanted.get(line.sku, 0)
        if qty <= 0:
            continue
        inventory.receive(
            session=session,
            warehouse_code=warehouse.code,
            location_code=location_code,
            sku=line.sku,
            quantity=qty,
            reference=po.number,
            actor=actor,
        )
        line.received_quantity += qty
    complete = all(line.received_quantity >= line.quantity for line in po.lines)
    po.status = "received" if complete else "partially_received"
    if complete:
        po.closed_at = clock.now()
    return po


def purchase_order_summary(po: PurchaseOrder, supplier_code: str, warehouse_code: str) -> Any:
    """A plain dict of a purchase order (for the CLI and the API)."""
    return {
        "number": po.number,
        "supplier": supplier_code,
        "warehouse": warehouse_code,
        "status": po.status,
        "created_at": po.created_at,
        "expected_at": po.expected_at,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "received": line.received_quantity,
                "unit_price_cents": line.unit_price_cents,
                "reason": line.reason,
            }
            for line in po.lines
        ],
        "total_cents": sum(line.quantity * line.unit_price_cents for line in po.lines),
    }
