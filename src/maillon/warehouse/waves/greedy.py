"""The heuristics: prefix and marginal greedies on aisles, and the local search on the aisle set.

Every candidate wave is packed by ``Data.pack`` (or, for the marginal greedy, by completing
orders as aisles open); the best ratio seen wins.
"""

from __future__ import annotations

import random
import time

import numpy as np
import numpy.typing as npt

from maillon.warehouse.waves.data import Data, IntArray, Wave, better


def greedy(data: Data) -> Wave | None:
    ranking = np.argsort(-data.aisle_value, kind="stable").tolist()
    best: Wave | None = None
    for k in range(1, len(ranking) + 1):
        if data.aisle_value[ranking[k - 1]] == 0:
            break
        wave = data.pack(ranking[:k])
        if better(wave, best):
            best = wave
        if wave is not None and wave.units >= data.ub:
            break  # more aisles cannot add units any more
        if best is not None and data.ub / k < best.ratio:
            break  # even a full wave on k aisles could not beat the best
    return best


def marginal_greedy(data: Data, deadline: float) -> Wave | None:
    """Aisle-by-aisle greedy on marginal gain.

    Each step opens the aisle whose stock completes the most units of not-yet-chosen orders
    (an order is complete when every item it needs is in stock in the open aisles), then packs
    the complete orders (largest first) under ``ub`` and the stock.  When no aisle completes
    any order, the aisle covering the most missing order lines (weighted by order size) is
    opened.  Every intermediate wave is a candidate; the best ratio is returned.
    """
    if data.n_orders == 0:
        return None
    order_of_line = np.repeat(np.arange(data.n_orders), np.diff(data.o_ptr))
    aisle_lines, aisle_qty = _lines_per_aisle(data)
    stock = np.zeros(data.n_items, dtype=np.int64)
    chosen = np.zeros(data.n_orders, dtype=bool)
    opened = np.zeros(data.n_aisles, dtype=bool)
    picked: list[int] = []
    aisles: list[int] = []
    units = 0
    best: Wave | None = None
    while time.perf_counter() < deadline and len(aisles) < data.n_aisles:
        a = _next_aisle(data, order_of_line, aisle_lines, aisle_qty, stock, chosen, opened, units)
        if a is None:
            break
        opened[a] = True
        aisles.append(a)
        s, e = data.a_ptr[a], data.a_ptr[a + 1]
        stock[data.a_items[s:e]] += data.a_qty[s:e]
        units = _pack_complete(data, order_of_line, stock, chosen, picked, units)
        if units >= data.lb:
            wave = Wave(tuple(int(data.ids[o]) for o in picked), tuple(aisles), units)
            if better(wave, best):
                best = wave
        if best is not None and data.ub / (len(aisles) + 1) <= best.ratio:
            break
    return best


def _lines_per_aisle(data: Data) -> tuple[list[IntArray], list[IntArray]]:
    """Per aisle, the order lines whose item it stocks and the units it stocks for each."""
    lines_of_item: dict[int, list[int]] = {}
    for line, item in enumerate(data.o_items.tolist()):
        lines_of_item.setdefault(item, []).append(line)
    aisle_lines: list[IntArray] = []
    aisle_qty: list[IntArray] = []
    for a in range(data.n_aisles):
        ls: list[int] = []
        qs: list[int] = []
        for p in range(int(data.a_ptr[a]), int(data.a_ptr[a + 1])):
            found = lines_of_item.get(int(data.a_items[p]), ())
            ls += found
            qs += [int(data.a_qty[p])] * len(found)
        aisle_lines.append(np.array(ls, dtype=np.int64))
        aisle_qty.append(np.array(qs, dtype=np.int64))
    return aisle_lines, aisle_qty


def _next_aisle(
    data: Data,
    order_of_line: IntArray,
    aisle_lines: list[IntArray],
    aisle_qty: list[IntArray],
    stock: IntArray,
    chosen: npt.NDArray[np.bool_],
    opened: npt.NDArray[np.bool_],
    units: int,
) -> int | None:
    """The aisle the marginal greedy opens next (``None``: no aisle helps any more)."""
    items, qty, sizes = data.o_items, data.o_qty, data.o_units
    covered = qty <= stock[items]
    missing = np.bincount(order_of_line[~covered], minlength=data.n_orders)
    alive = ~chosen & (sizes <= data.ub - units)
    gains = np.full(data.n_aisles, -1.0)
    partial = np.zeros(data.n_aisles)
    for a in np.flatnonzero(~opened).tolist():
        lines = aisle_lines[a]
        if len(lines) == 0:
            continue
        hit = lines[(~covered[lines]) & (qty[lines] <= stock[items[lines]] + aisle_qty[a])]
        if len(hit) == 0:
            gains[a] = 0.0
            continue
        owners = order_of_line[hit]
        owners = owners[alive[owners]]
        if len(owners) == 0:
            gains[a] = 0.0
            continue
        counts = np.bincount(owners, minlength=data.n_orders)
        done = np.flatnonzero((counts > 0) & (counts == missing))
        gains[a] = float(min(int(sizes[done].sum()), data.ub - units))
        partial[a] = float((sizes[owners] / missing[owners]).sum())
    if gains.max() > 0:
        return int(np.argmax(gains))
    if partial.max() > 0:
        return int(np.argmax(partial))
    return None


def _pack_complete(
    data: Data,
    order_of_line: IntArray,
    stock: IntArray,
    chosen: npt.NDArray[np.bool_],
    picked: list[int],
    units: int,
) -> int:
    """Add the orders the stock now completes, largest first, under ``ub``; return units.

    Takes their units from ``stock`` and marks them in ``chosen`` and ``picked``.
    """
    ptr, items, qty, sizes = data.o_ptr, data.o_items, data.o_qty, data.o_units
    covered = qty <= stock[items]
    incomplete = np.bincount(order_of_line[~covered], minlength=data.n_orders)
    free = np.flatnonzero(~chosen & (incomplete == 0) & (sizes <= data.ub - units))
    for o in free[np.argsort(-sizes[free], kind="stable")].tolist():
        size = int(sizes[o])
        if units + size > data.ub:
            continue
        s, e = ptr[o], ptr[o + 1]
        if (stock[items[s:e]] < qty[s:e]).any():
            continue
        stock[items[s:e]] -= qty[s:e]
        chosen[o] = True
        picked.append(o)
        units += size
    return units


def local_search(
    data: Data, start: Wave | None, rng: random.Random, deadline: float
) -> Wave | None:
    """First-improvement drop / add / swap moves on the aisle set, packed greedily."""
    if start is None:
        return None
    best = start
    useful = [a for a in range(data.n_aisles) if data.aisle_value[a] > 0]
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        current = list(best.aisles)
        outside = [a for a in useful if a not in set(current)]
        outside.sort(key=lambda a: -int(data.aisle_value[a]))
        moves: list[tuple[int, int]] = [(a, -1) for a in current]  # drop a
        moves += [(-1, b) for b in outside[:40]]  # add b
        swaps = [(a, b) for a in current for b in outside[:20]]
        rng.shuffle(swaps)
        moves += swaps
        for drop, add in moves:
            if time.perf_counter() >= deadline:
                break
            aisles = [a for a in current if a != drop]
            if add >= 0:
                aisles.append(add)
            if not aisles or (best is not None and data.ub / len(aisles) <= best.ratio):
                continue
            wave = data.pack(aisles)
            if better(wave, best):
                assert wave is not None
                best = wave
                improved = True
                break
    return best
