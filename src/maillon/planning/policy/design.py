"""Designing one SKU's policy: the policy kind, the design itself and the supplier choice.

:func:`design_policy` turns a forecast, a :class:`SupplierTerms` and :class:`PolicyParams`
into one :class:`SkuPolicy` (through :func:`design_batch`); :func:`choose_supplier` designs
one per supplier and keeps the cheapest per period.
"""

from __future__ import annotations

from collections.abc import Sequence

from maillon.planning.policy.batch import design_batch
from maillon.planning.policy.sku import SkuPolicy
from maillon.planning.policy.terms import (
    _EPS,
    PolicyParams,
    SupplierTerms,
    _check_finite_nonneg,
)


def _choose_kind(
    *, params: PolicyParams, forecast_mean: float, supplier: SupplierTerms, sku_class: str | None
) -> tuple[str, str]:
    if params.kind != "auto":
        return params.kind, f"{params.kind} requested"
    fast = forecast_mean >= params.jit_min_demand
    reliable = (
        supplier.lead_time_cv <= params.jit_max_lead_time_cv
        and supplier.lead_time_mean <= params.jit_max_lead_time
    )
    in_class = sku_class is None or not params.jit_classes or sku_class in params.jit_classes
    if fast and reliable and in_class:
        return "jit", (
            f"jit: fast mover ({forecast_mean:.3g}/period >= {params.jit_min_demand:g}) with a "
            f"reliable supplier (lead time {supplier.lead_time_mean:g} +/- "
            f"{supplier.lead_time_sd:g})"
        )
    if params.review_period > 1:
        return "RS", f"RS: periodic review every {params.review_period} periods"
    return "sQ", "sQ: reviewed every period, EOQ lots"


def design_policy(
    *,
    sku: str,
    forecast_mean: float,
    forecast_sigma: float,
    supplier: SupplierTerms,
    params: PolicyParams | None = None,
    sku_class: str | None = None,
) -> SkuPolicy:
    """Return the policy of one SKU for a per-period forecast and a supplier.

    Args:
        sku: the SKU.
        forecast_mean: forecast demand per period.
        forecast_sigma: forecast-error standard deviation per period (e.g. of one-step-ahead
            residuals).
        supplier: the supplier's terms.
        params: the design parameters (default :class:`PolicyParams`).
        sku_class: the SKU's ABC/XYZ label (``"AX"``), used by ``kind="auto"`` for JIT.

    Raises:
        ValueError: if the forecast is negative or not finite (or see :class:`SkuPolicy`).
    """
    params = params or PolicyParams()
    _check_finite_nonneg(f"{sku!r}: forecast_mean", forecast_mean)
    _check_finite_nonneg(f"{sku!r}: forecast_sigma", forecast_sigma)
    kind, reason = _choose_kind(
        params=params, forecast_mean=forecast_mean, supplier=supplier, sku_class=sku_class
    )
    batch = design_batch(
        skus=[sku],
        forecast_mean=[forecast_mean],
        forecast_sigma=[forecast_sigma],
        lead_time_mean=[supplier.lead_time_mean],
        lead_time_sd=[supplier.lead_time_sd],
        unit_price=[supplier.unit_price],
        order_cost=[supplier.order_cost if params.order_cost is None else params.order_cost],
        moq=[supplier.moq],
        pack_size=[supplier.pack_size],
        params=params,
        kind=kind,
    )
    return batch.sku_policy(
        0,
        supplier=supplier,
        forecast_mean=forecast_mean,
        forecast_sigma=forecast_sigma,
        reason=reason,
    )


def choose_supplier(
    *,
    sku: str,
    forecast_mean: float,
    forecast_sigma: float,
    suppliers: Sequence[SupplierTerms],
    params: PolicyParams | None = None,
    sku_class: str | None = None,
) -> SkuPolicy:
    """Return the policy, over ``suppliers``, with the lowest expected cost per period.

    The cost per period is purchase (``mean x price``) + ordering (``order cost x mean / Q``)
    + holding (``(safety stock + Q / 2) x holding cost``), with ``Q`` the order quantity (or
    ``mean x R`` for order-up-to policies). Ties keep the earlier supplier.

    Raises:
        ValueError: if ``suppliers`` is empty (or see :func:`design_policy`).
    """
    if not suppliers:
        raise ValueError(f"{sku!r}: no supplier to choose from.")
    best: tuple[float, SkuPolicy] | None = None
    for terms in suppliers:
        policy = design_policy(
            sku=sku,
            forecast_mean=forecast_mean,
            forecast_sigma=forecast_sigma,
            supplier=terms,
            params=params,
            sku_class=sku_class,
        )
        if policy.order_quantity is not None:
            lot = policy.order_quantity
        else:
            assert policy.order_up_to is not None
            lot = max(
                policy.order_up_to - policy.reorder_point,
                forecast_mean * policy.review_period,
            )
            lot = max(lot, terms.moq)
        orders_per_period = forecast_mean / lot if lot > 0 else 0.0
        cost = (
            forecast_mean * terms.unit_price
            + orders_per_period * policy.order_cost
            + (max(policy.safety_stock, 0.0) + lot / 2) * policy.holding_cost
        )
        if best is None or cost < best[0] - _EPS:
            best = (cost, policy)
    assert best is not None
    return best[1]
