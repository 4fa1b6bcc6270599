"""The move plan from the current to the target assignment, and the moves worth making.

The difference splits into chains (run from their end, so every move targets an empty slot)
and cycles (a buffer slot or swaps); ``plan`` cuts chains into blocks of decreasing saving
per relocation, and ``select`` takes blocks greedily under ``max_moves`` (see the package
docstring).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from maillon.warehouse.slotting.problem import SlottingProblem
from maillon.warehouse.slotting.slots import EPS


@dataclass(frozen=True, slots=True)
class Move:
    """One step of the move list.

    ``sku`` goes from ``source`` (``None``: a new SKU, placed for the first time) to
    ``target``.  If ``swap_with`` is set, that SKU stood in ``target`` and goes to ``source``
    in the same step (a swap); otherwise ``target`` is empty when the step starts.
    ``saving`` is the expected metres saved per period by this step (travel estimate:
    ``picks x (travel(source) - travel(target))`` summed over the SKUs moved, 0 for a new
    SKU's placement); it may be negative for a SKU making room for a faster one.
    """

    sku: str
    source: str | None
    target: str
    saving: float
    swap_with: str | None = None

    @property
    def relocations(self) -> int:
        """Return how many SKUs this step relocates (2 for a swap)."""
        return 2 if self.swap_with is not None else 1


@dataclass
class Block:
    moves: list[Move]
    relocations: int
    saving: float
    mandatory: bool
    order: tuple[int, int]

    @property
    def ratio(self) -> float:
        return self.saving / self.relocations if self.relocations else 0.0


def _gain(problem: SlottingProblem, sku: int, source: int, target: int) -> float:
    if source < 0:
        return 0.0
    return problem.skus[sku].picks * (problem.travels[source] - problem.travels[target])


def _step(problem: SlottingProblem, sku: int, source: int, target: int) -> Move:
    slots = problem.slots
    return Move(
        sku=problem.skus[sku].id,
        source=slots[source].id if source >= 0 else None,
        target=slots[target].id,
        saving=_gain(problem, sku, source, target),
    )


def _swap(problem: SlottingProblem, a: int, b: int, slot_a: int, slot_b: int) -> Move:
    """SKU ``a`` in ``slot_a`` and SKU ``b`` in ``slot_b`` exchange places."""
    saving = _gain(problem, a, slot_a, slot_b) + _gain(problem, b, slot_b, slot_a)
    return Move(
        sku=problem.skus[a].id,
        source=problem.slots[slot_a].id,
        target=problem.slots[slot_b].id,
        saving=saving,
        swap_with=problem.skus[b].id,
    )


def _pool_blocks(blocks: list[Block]) -> list[Block]:
    """Merge consecutive blocks until their saving per relocation is non-increasing."""
    merged: list[Block] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and merged[-1].ratio > merged[-2].ratio + EPS:
            last = merged.pop()
            head = merged[-1]
            head.moves += last.moves
            head.relocations += last.relocations
            head.saving += last.saving
    return merged


def plan(problem: SlottingProblem, current: list[int], target: list[int]) -> list[Block]:
    """Return the moves from ``current`` to ``target`` as blocks (chains cut, cycles whole)."""
    n_slots = len(problem.slots)
    occupant = [-1] * n_slots
    for i, c in enumerate(current):
        if c >= 0:
            occupant[c] = i
    targeted = [False] * n_slots
    for t in target:
        targeted[t] = True
    movers = [i for i in range(len(target)) if current[i] != target[i]]
    nxt = {i: occupant[target[i]] for i in movers}  # SKU whose slot i takes (-1: empty)
    has_prev = {j for j in nxt.values() if j >= 0}
    buffers = [
        k
        for k in range(n_slots)
        if occupant[k] < 0
        and not targeted[k]
        and not problem.slots[k].blocked
        and not problem.slots[k].fixed
    ]
    buffers.sort(key=lambda k: problem.travels[k])
    blocks: list[Block] = []
    seen: set[int] = set()
    for number, head in enumerate(i for i in movers if i not in has_prev):
        chain = [head]
        while nxt[chain[-1]] >= 0:
            chain.append(nxt[chain[-1]])
        seen.update(chain)
        steps = [_step(problem, i, current[i], target[i]) for i in reversed(chain)]
        mandatory = current[head] < 0
        parts = [Block([m], 1, m.saving, mandatory, (number, k)) for k, m in enumerate(steps)]
        blocks += _pool_blocks(parts)
    for number, first in enumerate(movers, start=len(movers)):
        if first in seen:
            continue
        cycle = [first]
        while nxt[cycle[-1]] != first:
            cycle.append(nxt[cycle[-1]])
        seen.update(cycle)
        blocks.append(Block(_cycle_moves(problem, cycle, current, target, buffers), 0, 0.0,
                             False, (number, 0)))  # fmt: skip
        blocks[-1].relocations = sum(m.relocations for m in blocks[-1].moves)
        blocks[-1].saving = sum(m.saving for m in blocks[-1].moves)
    return blocks


def _cycle_moves(
    problem: SlottingProblem,
    cycle: list[int],
    current: list[int],
    target: list[int],
    buffers: list[int],
) -> list[Move]:
    """Moves closing a cycle (SKU ``cycle[k]`` takes the slot of ``cycle[k + 1]``)."""
    skus, slots = problem.skus, problem.slots
    if len(cycle) >= 3:
        for shift in range(len(cycle)):
            first = cycle[shift]
            buffer = next((b for b in buffers if skus[first].fits(slots[b])), None)
            if buffer is None:
                continue
            order = cycle[shift:] + cycle[:shift]
            steps = [_step(problem, first, current[first], buffer)]
            steps += [_step(problem, i, current[i], target[i]) for i in reversed(order[1:])]
            steps.append(_step(problem, first, buffer, target[first]))
            return steps
    # Swaps: after swapping cycle[k] into place, cycle[k + 1] stands in cycle[0]'s slot.
    # Prefer a rotation where every parked SKU fits that slot.
    best = cycle
    for shift in range(len(cycle)):
        order = cycle[shift:] + cycle[:shift]
        home = slots[current[order[0]]]
        if all(skus[i].fits(home) for i in order[1:-1]):
            best = order
            break
    moves: list[Move] = []
    parked = current[best[0]]
    for a, b in itertools.pairwise(best):
        moves.append(_swap(problem, a, b, parked, current[b]))
    return moves


def select(blocks: list[Block], max_moves: int | None) -> list[Block]:
    """Return the blocks to make, in execution order."""
    mandatory = sorted((b for b in blocks if b.mandatory), key=lambda b: b.order)
    optional = sorted((b for b in blocks if not b.mandatory), key=lambda b: (-b.ratio, b.order))
    if max_moves is None:
        return mandatory + optional
    budget = max_moves - sum(b.relocations for b in mandatory)
    chosen: list[Block] = []
    stopped: set[int] = set()
    for block in optional:
        chain = block.order[0]
        if chain in stopped:
            continue
        if block.saving <= EPS or block.relocations > budget:
            stopped.add(chain)
            continue
        chosen.append(block)
        budget -= block.relocations
    return mandatory + chosen
