"""Policy simulation (pure): replay a demand history against inventory policies.

:func:`simulate` replays per-period demand (one row per SKU) against a
:class:`~maillon.planning.policy.PolicyBatch` (or one or more
:class:`~maillon.planning.policy.SkuPolicy`), vectorised over SKUs with numpy, and returns a
frozen :class:`SimResult` with per-SKU arrays and aggregate figures. :func:`compare` runs
several policies on the same demand and returns rows a chart can use.

Each period ``t`` runs, for every SKU:

1. receipts due at ``t`` are added to stock (backorders are served first);
2. if ``t`` is a review period (``t % R == 0``) and the inventory position
   ``IP = net stock + on order`` is at or below the reorder point, an order is placed
   (``Q`` lots or up to ``S``, rounded to MOQ and pack size); its lead time is drawn from
   ``round(Normal(mean, sd))`` clipped at 0 (seeded) and it arrives at the start of period
   ``t + L`` (at once when ``L = 0``);
3. the period's demand is served from stock; what stock cannot serve is backordered
   (``lost_sales=True``: lost instead).

Reported per SKU over the measured periods (``t >= warmup``):

* fill rate: units served from stock in the period of demand / units demanded (units-based;
  1 when there was no demand);
* cycle service level: share of replenishment cycles (spans between receipts, the last one
  ending with the horizon) in which no demand was short;
* stock-out periods: periods in which some demand could not be served from stock;
* average inventory: mean end-of-period on-hand stock (units, never negative);
* orders, and costs: holding (end-of-period on hand x holding cost), ordering (orders x order
  cost) and shortage (units short x shortage cost), from the policy's costs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from maillon.planning.policy import PolicyBatch, SkuPolicy

__all__ = [
    "METRICS",
    "Comparison",
    "SimResult",
    "compare",
    "simulate",
]

METRICS: tuple[str, ...] = (
    "fill_rate",
    "cycle_service_level",
    "stockout_periods",
    "avg_inventory",
    "avg_inventory_value",
    "orders",
    "holding_cost",
    "ordering_cost",
    "shortage_cost",
    "total_cost",
)
"""Aggregate metrics of :meth:`SimResult.summary`, in display order."""

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class SimResult:
    """The answer of :func:`simulate`: one value per SKU in each array.

    Attributes:
        skus: the SKUs.
        periods: number of measured periods.
        demand: units demanded.
        served: units served from stock in the period of demand.
        short: units not served from stock in the period of demand.
        fill_rate: ``served / demand`` (1 without demand).
        cycles: replenishment cycles measured.
        stockout_cycles: cycles with a shortage.
        cycle_service_level: ``1 - stockout_cycles / cycles``.
        stockout_periods: periods with a shortage.
        avg_inventory: mean end-of-period on hand (units).
        unit_price: unit prices (for inventory value).
        orders: orders placed.
        ordered_units: units ordered.
        holding_cost: holding cost.
        ordering_cost: ordering cost.
        shortage_cost: shortage cost.
        on_hand: end-of-period on hand (skus x measured periods) when recorded, else ``None``.
        runtime: wall-clock seconds.
        shortfall: units short per period (skus x measured periods) when recorded, else
            ``None``.
    """

    skus: tuple[str, ...]
    periods: int
    demand: _FloatArray
    served: _FloatArray
    short: _FloatArray
    fill_rate: _FloatArray
    cycles: _IntArray
    stockout_cycles: _IntArray
    cycle_service_level: _FloatArray
    stockout_periods: _IntArray
    avg_inventory: _FloatArray
    unit_price: _FloatArray
    orders: _IntArray
    ordered_units: _FloatArray
    holding_cost: _FloatArray
    ordering_cost: _FloatArray
    shortage_cost: _FloatArray
    on_hand: _FloatArray | None
    runtime: float
    shortfall: _FloatArray | None = None

    @property
    def total_cost(self) -> _FloatArray:
        """Return holding + ordering + shortage cost per SKU."""
        total: _FloatArray = self.holding_cost + self.ordering_cost + self.shortage_cost
        return total

    def summary(self) -> dict[str, float]:
        """Return the aggregate of every metric of :data:`METRICS` over all SKUs.

        Fill rate is units-weighted (total served / total demand), the cycle service level
        cycle-weighted; stock-out periods, average inventory (units and value), orders and
        costs are sums over SKUs.
        """
        demand = float(self.demand.sum())
        cycles = int(self.cycles.sum())
        return {
            "fill_rate": float(self.served.sum()) / demand if demand > 0 else 1.0,
            "cycle_service_level": (
                1.0 - float(self.stockout_cycles.sum()) / cycles if cycles else 1.0
            ),
            "stockout_periods": float(self.stockout_periods.sum()),
            "avg_inventory": float(self.avg_inventory.sum()),
            "avg_inventory_value": float((self.avg_inventory * self.unit_price).sum()),
            "orders": float(self.orders.sum()),
            "holding_cost": float(self.holding_cost.sum()),
            "ordering_cost": float(self.ordering_cost.sum()),
            "shortage_cost": float(self.shortage_cost.sum()),
            "total_cost": float(self.total_cost.sum()),
        }


def _batch(policy: PolicyBatch | SkuPolicy | Sequence[SkuPolicy]) -> PolicyBatch:
    if isinstance(policy, PolicyBatch):
        return policy
    if isinstance(policy, SkuPolicy):
        return PolicyBatch.from_policies([policy])
    return PolicyBatch.from_policies(list(policy))


def _per_sku(name: str, value: Any, n: int, default: _FloatArray) -> _FloatArray:
    if value is None:
        return default
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,) or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be a finite value >= 0, or one per SKU ({n}).")
    return array


def _at(array: _FloatArray, t: int) -> _FloatArray:
    column: _FloatArray = array[:, t] if array.ndim == 2 else array
    return column


def simulate(
    demand: npt.ArrayLike,
    policy: PolicyBatch | SkuPolicy | Sequence[SkuPolicy],
    *,
    lead_time: float | npt.ArrayLike | None = None,
    lead_time_sd: float | npt.ArrayLike | None = None,
    initial_on_hand: float | npt.ArrayLike | None = None,
    seed: int = 0,
    warmup: int = 0,
    lost_sales: bool = False,
    record: bool = False,
) -> SimResult:
    """Replay ``demand`` against ``policy``; return the achieved service, stock and costs.

    Args:
        demand: per-period demand, shape ``(periods,)`` for one SKU or ``(skus, periods)``.
        policy: a :class:`PolicyBatch` (parameters fixed or per period, with at least as many
            periods as ``demand``), a :class:`SkuPolicy` or a sequence of them (one per row).
        lead_time: mean lead time in periods (scalar or per SKU); ``None``: the policy's.
        lead_time_sd: lead-time standard deviation (scalar or per SKU); ``None``: the
            policy's.
        initial_on_hand: stock at the start (scalar or per SKU); ``None``: ``S`` of
            order-up-to SKUs and ``s + Q`` of sQ SKUs, from the first period's parameters.
        seed: seed of the lead-time draws.
        warmup: periods replayed but not measured (the state settles).
        lost_sales: unserved demand is lost instead of backordered.
        record: keep the end-of-period on-hand and shortfall trajectories
            (``SimResult.on_hand``, ``SimResult.shortfall``).

    Raises:
        ValueError: if demand is negative, not finite or of the wrong shape, the policy does not
            have one row per SKU or enough periods, ``warmup`` is negative or not shorter than
            the horizon, or a lead time or initial stock is negative or not finite.
    """
    started = time.perf_counter()
    batch = _batch(policy)
    matrix = _demand_matrix(demand, batch, warmup)
    n, horizon = matrix.shape
    lead_mean = _per_sku("lead_time", lead_time, n, batch.lead_time_mean)
    lead_sd = _per_sku("lead_time_sd", lead_time_sd, n, batch.lead_time_sd)
    if initial_on_hand is None:
        start = np.where(
            batch.uses_order_up_to,
            np.nan_to_num(_at(batch.order_up_to, 0)),
            _at(batch.reorder_point, 0) + np.nan_to_num(_at(batch.order_quantity, 0)),
        )
        start = np.maximum(start, 0.0)
    else:
        start = _per_sku("initial_on_hand", initial_on_hand, n, np.zeros(n))
    tally = _replay(
        matrix, batch, start, lead_mean, lead_sd, seed=seed, warmup=warmup,
        lost_sales=lost_sales, record=record,
    )  # fmt: skip
    measured = horizon - warmup
    demand_sum, served_sum = tally["demand"], tally["served"]
    short_sum = demand_sum - served_sum
    avg = tally["on_hand_sum"] / measured
    fill = np.where(demand_sum > 0, served_sum / np.where(demand_sum > 0, demand_sum, 1.0), 1.0)
    return SimResult(
        skus=batch.skus,
        periods=measured,
        demand=demand_sum,
        served=served_sum,
        short=short_sum,
        fill_rate=fill,
        cycles=tally["cycles"],
        stockout_cycles=tally["stockout_cycles"],
        cycle_service_level=1.0 - tally["stockout_cycles"] / tally["cycles"],
        stockout_periods=tally["stockout_periods"],
        avg_inventory=avg,
        unit_price=np.asarray(batch.unit_price, dtype=np.float64),
        orders=tally["orders"],
        ordered_units=tally["ordered_units"],
        holding_cost=tally["on_hand_sum"] * batch.holding_cost,
        ordering_cost=tally["orders"] * batch.order_cost,
        shortage_cost=short_sum * batch.shortage_cost,
        on_hand=tally["trajectory"],
        runtime=time.perf_counter() - started,
        shortfall=tally["shortfall"],
    )


def _demand_matrix(demand: npt.ArrayLike, batch: PolicyBatch, warmup: int) -> _FloatArray:
    """Return ``demand`` as a (skus, periods) matrix, checked against the policy."""
    matrix = np.asarray(demand, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.ndim != 2:
        raise ValueError(f"demand must be (periods,) or (skus, periods); got {matrix.shape}.")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise ValueError("demand must be finite and >= 0.")
    n, horizon = matrix.shape
    if n != len(batch):
        raise ValueError(f"demand has {n} rows but the policy {len(batch)} SKUs.")
    if not 0 <= warmup < max(horizon, 1):
        raise ValueError(f"warmup = {warmup!r} must be in [0, {horizon}).")
    for name in ("reorder_point", "order_quantity", "order_up_to"):
        array = getattr(batch, name)
        if array.ndim == 2 and array.shape[1] < horizon:
            raise ValueError(f"policy {name} covers {array.shape[1]} < {horizon} periods.")
    return matrix


def _replay(
    matrix: _FloatArray,
    batch: PolicyBatch,
    start: _FloatArray,
    lead_mean: _FloatArray,
    lead_sd: _FloatArray,
    *,
    seed: int,
    warmup: int,
    lost_sales: bool,
    record: bool,
) -> dict[str, Any]:
    """Replay every period (receipts, reviews and orders, demand) and return the tallies of
    the measured periods (after ``warmup``)."""
    n, horizon = matrix.shape
    rng = np.random.default_rng(seed)
    deterministic = bool(np.all(lead_sd == 0))
    max_lead = int(np.ceil(np.max(lead_mean + 6 * lead_sd, initial=0.0))) + 1
    pipeline = np.zeros((n, horizon + max_lead + 1))
    net = start.astype(np.float64).copy()
    on_order = np.zeros(n)
    measured = horizon - warmup
    in_stockout = np.zeros(n, dtype=bool)
    tally: dict[str, Any] = {
        "demand": np.zeros(n), "served": np.zeros(n),
        "stockout_periods": np.zeros(n, dtype=np.int64),
        "cycles": np.zeros(n, dtype=np.int64), "stockout_cycles": np.zeros(n, dtype=np.int64),
        "on_hand_sum": np.zeros(n), "orders": np.zeros(n, dtype=np.int64),
        "ordered_units": np.zeros(n),
        "trajectory": np.zeros((n, measured)) if record else None,
        "shortfall": np.zeros((n, measured)) if record else None,
    }  # fmt: skip
    for t in range(horizon):
        counting = t >= warmup
        if t == warmup:
            in_stockout[:] = False
        receipts = pipeline[:, t]
        arrived = receipts > 0
        if counting:
            tally["cycles"] += arrived
            tally["stockout_cycles"] += arrived & in_stockout
        in_stockout &= ~arrived
        net += receipts
        on_order -= receipts
        due = (t % batch.review_period) == 0
        if due.any():
            idx, quantity = _review_orders(batch, t, due, net + on_order)
            if idx.size:
                if deterministic:
                    lead = np.round(lead_mean[idx]).astype(np.int64)
                else:
                    drawn = rng.normal(lead_mean[idx], lead_sd[idx])
                    lead = np.clip(np.round(drawn), 0, max_lead - 1).astype(np.int64)
                now = lead == 0
                net[idx[now]] += quantity[now]
                later = ~now
                np.add.at(pipeline, (idx[later], t + lead[later]), quantity[later])
                on_order[idx[later]] += quantity[later]
                if counting:
                    tally["orders"][idx] += 1
                    tally["ordered_units"][idx] += quantity
        wanted = matrix[:, t]
        served = np.minimum(wanted, np.maximum(net, 0.0))
        short = wanted - served
        net -= served if lost_sales else wanted
        shorted = short > _EPS
        in_stockout |= shorted
        if counting:
            _count(tally, t - warmup, wanted, served, short, shorted, np.maximum(net, 0.0))
    tally["cycles"] += 1  # the cycle open at the end of the horizon
    tally["stockout_cycles"] += in_stockout
    return tally


def _review_orders(
    batch: PolicyBatch, t: int, due: npt.NDArray[np.bool_], position: _FloatArray
) -> tuple[npt.NDArray[np.int64], _FloatArray]:
    """Return the SKUs that order at period ``t``'s review and their quantities (rounded to
    MOQ and pack size), for inventory positions ``position``."""
    up_to = batch.uses_order_up_to
    s = _at(batch.reorder_point, t)
    lots = _at(batch.order_quantity, t)
    level = _at(batch.order_up_to, t)
    trigger = due & (position <= s + _EPS)
    with np.errstate(invalid="ignore"):
        gap = s - position
        raw = np.where(
            up_to,
            level - position,
            (np.floor(gap / np.where(up_to, 1.0, lots) + _EPS) + 1) * lots,
        )
    trigger &= raw > _EPS
    idx = np.arange(len(position))[trigger]
    moq, pack = batch.moq, batch.pack_size
    quantity = np.maximum(raw[idx], moq[idx])
    quantity = np.maximum(np.ceil(quantity / pack[idx] - _EPS), 1.0) * pack[idx]
    return idx, quantity


def _count(
    tally: dict[str, Any],
    column: int,
    wanted: _FloatArray,
    served: _FloatArray,
    short: _FloatArray,
    shorted: npt.NDArray[np.bool_],
    stock: _FloatArray,
) -> None:
    """Add one measured period to the tallies (and the trajectories when recorded)."""
    tally["demand"] += wanted
    tally["served"] += served
    tally["stockout_periods"] += shorted
    tally["on_hand_sum"] += stock
    if tally["trajectory"] is not None and tally["shortfall"] is not None:
        tally["trajectory"][:, column] = stock
        tally["shortfall"][:, column] = short


@dataclass(frozen=True, eq=False)
class Comparison:
    """The answer of :func:`compare`.

    Attributes:
        names: the policies' names, in the order given.
        results: one :class:`SimResult` per policy.
    """

    names: tuple[str, ...]
    results: tuple[SimResult, ...]

    def rows(self) -> list[dict[str, Any]]:
        """Return one record per policy: ``{"policy": name, <metric>: value, ...}``."""
        return [
            {"policy": name, **result.summary()}
            for name, result in zip(self.names, self.results, strict=True)
        ]

    def series(self, metric: str) -> dict[str, float]:
        """Return ``{policy: value}`` of one aggregate metric (for a bar chart).

        Raises:
            ValueError: if the metric is not one of :data:`METRICS`.
        """
        if metric not in METRICS:
            raise ValueError(f"metric = {metric!r} not understood; choose one of {METRICS}.")
        return {row["policy"]: float(row[metric]) for row in self.rows()}

    def best(self, metric: str = "total_cost") -> str:
        """Return the policy with the lowest value of ``metric`` (highest for service metrics).

        Raises:
            ValueError: if the metric is not one of :data:`METRICS` or there is no policy.
        """
        values = self.series(metric)
        if not values:
            raise ValueError("No policy to choose from.")
        higher = metric in ("fill_rate", "cycle_service_level")
        pick = max if higher else min
        return pick(values, key=lambda name: values[name])


def compare(
    demand: npt.ArrayLike,
    policies: Mapping[str, PolicyBatch | SkuPolicy | Sequence[SkuPolicy]],
    *,
    lead_time: float | npt.ArrayLike | None = None,
    lead_time_sd: float | npt.ArrayLike | None = None,
    initial_on_hand: float | npt.ArrayLike | None = None,
    seed: int = 0,
    warmup: int = 0,
    lost_sales: bool = False,
) -> Comparison:
    """Return the simulation of every named policy on the same demand and lead-time seed.

    Raises:
        ValueError: if ``policies`` is empty (or see :func:`simulate`).
    """
    if not policies:
        raise ValueError("No policy to compare.")
    names = tuple(policies)
    results = tuple(
        simulate(
            demand,
            policies[name],
            lead_time=lead_time,
            lead_time_sd=lead_time_sd,
            initial_on_hand=initial_on_hand,
            seed=seed,
            warmup=warmup,
            lost_sales=lost_sales,
        )
        for name in names
    )
    return Comparison(names=names, results=results)
