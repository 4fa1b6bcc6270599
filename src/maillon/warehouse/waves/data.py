"""The solvers' working form of a problem: ``Data`` (flat numpy arrays, greedy packing) and
``Wave`` (a candidate: orders, aisles, units), compared by ratio with ``better``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maillon.warehouse.waves.problem import WaveProblem

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Wave:
    """A candidate wave: order ids, aisle indices and the units it picks."""

    orders: tuple[int, ...]
    aisles: tuple[int, ...]
    units: int

    @property
    def ratio(self) -> float:
        return self.units / len(self.aisles)


class Data:
    """Flat numpy views of a problem, restricted to orders that can ever be picked."""

    def __init__(self, problem: WaveProblem) -> None:
        self.problem = problem
        n_items = problem.n_items
        self.lb, self.ub = problem.lb, problem.ub
        a_ptr = [0]
        a_items: list[int] = []
        a_qty: list[int] = []
        for aisle in problem.aisles:
            a_items += [i for i, _ in aisle]
            a_qty += [u for _, u in aisle]
            a_ptr.append(len(a_items))
        self.a_ptr = np.array(a_ptr, dtype=np.int64)
        self.a_items = np.array(a_items, dtype=np.int64)
        self.a_qty = np.array(a_qty, dtype=np.int64)
        total = np.zeros(n_items, dtype=np.int64)
        np.add.at(total, self.a_items, self.a_qty)
        # Orders that fit in the whole warehouse and under ub on their own.
        keep: list[int] = []
        for o, order in enumerate(problem.orders):
            units = sum(u for _, u in order)
            if units <= problem.ub and all(total[i] >= u for i, u in order):
                keep.append(o)
        self.ids = np.array(keep, dtype=np.int64)
        o_ptr = [0]
        o_items: list[int] = []
        o_qty: list[int] = []
        for o in keep:
            o_items += [i for i, _ in problem.orders[o]]
            o_qty += [u for _, u in problem.orders[o]]
            o_ptr.append(len(o_items))
        self.o_ptr = np.array(o_ptr, dtype=np.int64)
        self.o_items = np.array(o_items, dtype=np.int64)
        self.o_qty = np.array(o_qty, dtype=np.int64)
        self.o_units = np.add.reduceat(self.o_qty, self.o_ptr[:-1]) if keep else self.o_qty
        self.n_orders = len(keep)
        self.n_aisles = len(problem.aisles)
        demanded = np.zeros(n_items, dtype=bool)
        demanded[self.o_items] = True
        self.demanded = demanded
        # Stocked units of demanded items per aisle: the greedy's ranking key.
        useful = np.where(demanded[self.a_items], self.a_qty, 0)
        owner = np.repeat(np.arange(self.n_aisles), np.diff(self.a_ptr))
        self.aisle_value = np.bincount(owner, weights=useful, minlength=self.n_aisles).astype(
            np.int64
        )
        self.by_size = np.argsort(-self.o_units, kind="stable")
        self.n_items = n_items

    def supply(self, aisles: Iterable[int]) -> IntArray:
        stock = np.zeros(self.n_items, dtype=np.int64)
        for a in aisles:
            s, e = self.a_ptr[a], self.a_ptr[a + 1]
            stock[self.a_items[s:e]] += self.a_qty[s:e]
        return stock

    def pack(self, aisles: Sequence[int]) -> Wave | None:
        """Greedy packing of orders (largest first) into the stock of ``aisles`` under ub."""
        if not aisles or self.n_orders == 0:
            return None
        stock = self.supply(aisles)
        fits = self.o_qty <= stock[self.o_items]
        short = np.add.reduceat((~fits).astype(np.int64), self.o_ptr[:-1])
        candidates = self.by_size[short[self.by_size] == 0]
        if len(candidates) == 0:
            return None if self.lb > 0 else Wave((), tuple(aisles), 0)
        chosen: list[int] = []
        units = 0
        ub = self.ub
        ptr, items, qty, sizes = self.o_ptr, self.o_items, self.o_qty, self.o_units
        for o in candidates.tolist():
            size = int(sizes[o])
            if units + size > ub:
                continue
            s, e = ptr[o], ptr[o + 1]
            its = items[s:e]
            q = qty[s:e]
            if e - s == 1:
                i = int(its[0])
                if stock[i] < q[0]:
                    continue
                stock[i] -= q[0]
            else:
                if (stock[its] < q).any():
                    continue
                stock[its] -= q
            chosen.append(o)
            units += size
            if units == ub:
                break
        if units < self.lb:
            return None
        return Wave(tuple(int(self.ids[o]) for o in chosen), tuple(aisles), units)


def better(a: Wave | None, b: Wave | None) -> bool:
    """True when ``a`` has a strictly higher ratio than ``b``."""
    if a is None:
        return False
    if b is None:
        return True
    return a.units * len(b.aisles) > b.units * len(a.aisles)
