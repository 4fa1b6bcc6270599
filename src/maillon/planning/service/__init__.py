"""Planning use cases: suppliers, demand history, replenishment proposals, purchase orders.

Demand history comes from the orders (units per SKU, warehouse and day, cancelled orders
excluded) with the days an order had to wait for stock flagged, so lost sales do not read as
zero demand (:mod:`maillon.planning.demand` imputes them). Proposals design a policy per SKU
(:mod:`maillon.planning.policy`: safety stock for a fill-rate target from the demand's mean and
spread and the supplier's lead time and its spread, reorder point, EOQ or order-up-to, MOQ and
pack size) and compare it with the stock position (on hand + on order - backordered). A
planner turns proposals into purchase orders; receiving one books the units into the ledger,
which serves waiting backorders (``stock.received``).

One use case family per module: :mod:`~maillon.planning.service.suppliers`,
:mod:`~maillon.planning.service.history` (demand history),
:mod:`~maillon.planning.service.classes` (ABC/XYZ),
:mod:`~maillon.planning.service.forecasts` (forecast runs),
:mod:`~maillon.planning.service.proposals` (replenishment proposals),
:mod:`~maillon.planning.service.comparison` (policy comparison on history) and
:mod:`~maillon.planning.service.purchase_orders`. The use cases are re-exported here.
"""

from maillon.planning.service.classes import (
    MAX_CV_THRESHOLD,
    class_thresholds,
    classify_skus,
    sku_classes,
)
from maillon.planning.service.comparison import DEFAULT_LEAD_TIME_DAYS, compare_policies
from maillon.planning.service.forecasts import (
    FORECAST_JOB,
    NOTHING_TO_FORECAST,
    Z90,
    StepForecast,
    check_forecast,
    check_forecastable,
    find_job_run,
    latest_forecast,
    latest_forecast_run,
    latest_forecast_steps,
    request_forecast,
    run_forecast,
)
from maillon.planning.service.history import daily_demand_stats, demand_history, selling_since
from maillon.planning.service.proposals import (
    MAX_STORAGE_COST,
    STEP_CORRELATION,
    Proposal,
    propose_replenishment,
    stock_positions,
)
from maillon.planning.service.purchase_orders import (
    OPEN_PO,
    create_purchase_orders,
    get_purchase_order,
    list_purchase_orders,
    parse_po_number,
    purchase_order_summary,
    purchase_orders_to_follow,
    receive_purchase_order,
    send_purchase_order,
)
from maillon.planning.service.suppliers import (
    create_supplier,
    get_supplier,
    list_suppliers,
    set_supplier_item,
)

__all__ = [
    "DEFAULT_LEAD_TIME_DAYS",
    "FORECAST_JOB",
    "MAX_CV_THRESHOLD",
    "MAX_STORAGE_COST",
    "NOTHING_TO_FORECAST",
    "OPEN_PO",
    "STEP_CORRELATION",
    "Z90",
    "Proposal",
    "StepForecast",
    "check_forecast",
    "check_forecastable",
    "class_thresholds",
    "classify_skus",
    "compare_policies",
    "create_purchase_orders",
    "create_supplier",
    "daily_demand_stats",
    "demand_history",
    "find_job_run",
    "get_purchase_order",
    "get_supplier",
    "latest_forecast",
    "latest_forecast_run",
    "latest_forecast_steps",
    "list_purchase_orders",
    "list_suppliers",
    "parse_po_number",
    "propose_replenishment",
    "purchase_order_summary",
    "purchase_orders_to_follow",
    "receive_purchase_order",
    "request_forecast",
    "run_forecast",
    "selling_since",
    "send_purchase_order",
    "set_supplier_item",
    "sku_classes",
    "stock_positions",
]
