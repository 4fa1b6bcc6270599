"""Inventory policies (pure): safety stock, reorder points, EOQ, policy design, order proposals.

Time is counted in *periods* (days by default). A policy is reviewed every ``R`` periods
(``R = 1``: every period, the discrete form of continuous review). At a review the inventory
position ``IP = on hand + on order - backordered`` is compared with the reorder point ``s``;
when ``IP <= s`` an order is placed:

``"sQ"``
    (s, Q): order the smallest multiple of ``Q`` that lifts ``IP`` above ``s``; ``Q`` is the
    EOQ rounded to the supplier's MOQ and pack size.
``"RS"``
    (R, S): every ``R`` periods order up to ``S`` (``s = S``).
``"minmax"``
    (R, s, S), min/max: when ``IP <= s`` (min) order up to ``S`` (max), with ``S - s`` the
    EOQ.
``"jit"``
    Just in time: review every period and replace what was consumed (order up to ``S`` with
    ``R = 1``); chosen by ``kind="auto"`` for fast movers with a reliable supplier.

Every order quantity is rounded up to the minimum order quantity, then to a multiple of the
pack size (:func:`round_order_quantity`).

Timing convention (the one :mod:`maillon.planning.simulate` replays): an order placed at a
review at the start of period ``t`` with lead time ``L`` is received at the start of period
``t + L``. The stock at a review must therefore cover the demand of the *protection
interval* of ``P = L + R`` periods, whose mean and variance are

    mu_P = mu * P        sigma_P^2 = P * sigma^2 + mu^2 * sigma_L^2

with ``mu`` and ``sigma`` the per-period forecast mean and forecast-error standard deviation
and ``sigma_L`` the lead-time standard deviation (demand normal, periods independent).

Safety stock (``level - mu_P`` with ``level`` the reorder point of sQ/min-max or the
order-up-to level of RS/JIT) is set from a service target:

* ``service_type="cycle"`` (type 1, alpha): the probability of no stock-out in a replenishment
  cycle: ``level = mu_P + z sigma_P`` with ``z = Phi^-1(alpha)``;
* ``service_type="fill_rate"`` (type 2, beta): the share of demand served from stock. With
  the standard normal loss function ``G(z) = phi(z) - z (1 - Phi(z))`` and
  ``loss(x; mu, sigma) = sigma G((x - mu) / sigma) = E[(D - x)+]``, the expected shortage per
  cycle (backorders) is

      sQ / min-max:  loss(s; mu_P, sigma_P) - loss(s + Q; mu_P, sigma_P)   (Hadley-Whitin)
      RS / JIT:      loss(S; mu_P, sigma_P) - loss(S; mu_L, sigma_Lt)      (mu_L = mu L)

  and the level solves ``shortage = (1 - beta) x (demand per cycle)`` where the demand per
  cycle is ``Q`` (sQ / min-max) or ``mu R`` (RS / JIT); solved by bisection, vectorised.

With ``distribution="gamma"`` the same formulas use a gamma law of the same mean and sd
(right-skewed; advisable when demand over the protection interval has a CV above ~0.5).
By default the safety stock is not allowed below zero (``allow_negative=False``).

Known approximations: the lead-time term ``mu^2 sigma_L^2`` assumes orders do not cross; with
frequent orders (JIT, short cycles) and variable lead times crossing averages the variability
out and the achieved service exceeds the target. For (s, Q) with a cycle-service target the
``L + R`` protection is slightly conservative (an order is placed as soon as ``IP <= s``).

:func:`design_policy` turns a forecast, a :class:`SupplierTerms` and :class:`PolicyParams`
into one frozen :class:`SkuPolicy`; :func:`design_batch` does the same for many SKUs at once
(numpy arrays, optionally one set of parameters per period) into a :class:`PolicyBatch`,
the form :func:`maillon.planning.simulate.simulate` replays. :func:`propose_orders` turns
stock positions and policies into :class:`PurchaseLine` proposals (the pure part of
replenishment; purchase orders and receiving are the service's job).

One concept per module: :mod:`~maillon.planning.policy.terms` (supplier terms, design
parameters), :mod:`~maillon.planning.policy.laws` (loss, distribution and quantile of the
protection-interval demand), :mod:`~maillon.planning.policy.safety_stock` (safety stock,
expected shortage, reorder point), :mod:`~maillon.planning.policy.lot_size` (EOQ, MOQ and
pack rounding), :mod:`~maillon.planning.policy.sku` (one SKU's policy),
:mod:`~maillon.planning.policy.design` (designing it, choosing the supplier),
:mod:`~maillon.planning.policy.batch` (many SKUs as arrays),
:mod:`~maillon.planning.policy.lead_time` (lead-time demand from forecast quantiles),
:mod:`~maillon.planning.policy.targets` (service targets per class) and
:mod:`~maillon.planning.policy.orders` (order proposals). The public names are re-exported
here.
"""

from maillon.planning.policy.batch import PolicyBatch, design_batch
from maillon.planning.policy.design import choose_supplier, design_policy
from maillon.planning.policy.laws import normal_loss
from maillon.planning.policy.lead_time import LeadTimeDemand, lead_time_demand
from maillon.planning.policy.lot_size import eoq, round_order_quantity
from maillon.planning.policy.orders import PurchaseLine, StockPosition, propose_orders
from maillon.planning.policy.safety_stock import expected_shortage, reorder_point, safety_stock
from maillon.planning.policy.sku import SkuPolicy
from maillon.planning.policy.targets import ServiceTargets
from maillon.planning.policy.terms import (
    DISTRIBUTIONS,
    POLICY_KINDS,
    SERVICE_TYPES,
    PolicyParams,
    SupplierTerms,
)

__all__ = [
    "DISTRIBUTIONS",
    "POLICY_KINDS",
    "SERVICE_TYPES",
    "LeadTimeDemand",
    "PolicyBatch",
    "PolicyParams",
    "PurchaseLine",
    "ServiceTargets",
    "SkuPolicy",
    "StockPosition",
    "SupplierTerms",
    "choose_supplier",
    "design_batch",
    "design_policy",
    "eoq",
    "expected_shortage",
    "lead_time_demand",
    "normal_loss",
    "propose_orders",
    "reorder_point",
    "round_order_quantity",
    "safety_stock",
]
