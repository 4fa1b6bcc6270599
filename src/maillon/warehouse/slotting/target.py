"""The target assignment: which slot every SKU should hold under a slotting method.

A greedy fill, cheapest feasible slot first, in the method's SKU order (COI, turnover, or ABC
class zones), repaired with augmenting paths (Kuhn) when a SKU was left without a feasible
slot; SKUs then stay where they are when moving changes neither cost nor feasibility.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from maillon.warehouse.slotting.classes import class_labels
from maillon.warehouse.slotting.problem import SlottingProblem
from maillon.warehouse.slotting.slots import EPS, Sku


class _Pools:
    """Usable slots grouped by (zone, capacities, class label), each sorted by cost key."""

    def __init__(self, problem: SlottingProblem, labels: Sequence[str]) -> None:
        self.problem = problem
        groups: dict[tuple[object, ...], list[int]] = {}
        for k, slot in enumerate(problem.slots):
            if slot.blocked or slot.fixed:
                continue
            key = (slot.zone, slot.volume, slot.max_units, slot.max_weight, labels[k])
            groups.setdefault(key, []).append(k)
        self.keys = list(groups)
        self.label = [str(key[4]) for key in self.keys]
        self.members = [sorted(groups[key], key=self.sort_key) for key in self.keys]
        self.pointer = [0] * len(self.keys)
        self.fit_cache: dict[tuple[object, ...], list[int]] = {}

    def sort_key(self, k: int) -> tuple[float, int, float, str]:
        p = self.problem
        slot = p.slots[k]
        return (p.costs[k], slot.ergonomic_class, p.travels[k], slot.id)

    def fitting(self, sku: Sku) -> list[int]:
        """Return the groups whose slots fit ``sku``."""
        sig = (sku.zone, sku.unit_cube, sku.unit_weight, sku.face_units)
        found = self.fit_cache.get(sig)
        if found is None:
            found = [
                g
                for g, members in enumerate(self.members)
                if sku.fits(self.problem.slots[members[0]])
            ]
            self.fit_cache[sig] = found
        return found

    def cheapest(self, sku: Sku, owner: list[int], label: str | None = None) -> int | None:
        """Return the cheapest free slot fitting ``sku`` (in class ``label`` if given)."""
        best: int | None = None
        for g in self.fitting(sku):
            if label is not None and self.label[g] != label:
                continue
            members = self.members[g]
            i = self.pointer[g]
            while i < len(members) and owner[members[i]] >= 0:
                i += 1
            self.pointer[g] = i
            if i < len(members) and (
                best is None or self.sort_key(members[i]) < self.sort_key(best)
            ):
                best = members[i]
        return best

    def all_fitting(self, sku: Sku) -> list[int]:
        """Return every usable slot fitting ``sku``, cheapest first."""
        return sorted((k for g in self.fitting(sku) for k in self.members[g]), key=self.sort_key)


def _class_zones(problem: SlottingProblem, classes: Mapping[str, str]) -> list[str]:
    """Return the class label of every slot: per slot zone, the cheapest slots go to A, ..."""
    labels = class_labels(len(problem.abc_thresholds) + 1)
    result = [labels[-1]] * len(problem.slots)
    by_zone: dict[str | None, list[int]] = {}
    for k, slot in enumerate(problem.slots):
        if not slot.blocked and not slot.fixed:
            by_zone.setdefault(slot.zone, []).append(k)
    for zone, members in by_zone.items():
        members.sort(key=lambda k: (problem.costs[k], problem.slots[k].ergonomic_class, k))
        counts = dict.fromkeys(labels, 0)
        for sku in problem.skus:
            fixed = sku.current is not None and problem.slots[problem.slot_index[sku.current]].fixed
            if sku.zone == zone and not fixed:
                counts[classes[sku.id]] += 1
        start = 0
        for label in labels:
            for k in members[start : start + counts[label]]:
                result[k] = label
            start += counts[label]
    return result


def target_assignment(
    problem: SlottingProblem, method: str, classes: Mapping[str, str]
) -> list[int]:
    """Return the target slot index of every SKU (by SKU index)."""
    n_slots = len(problem.slots)
    skus = problem.skus
    owner = [-1] * n_slots
    target = [-1] * len(skus)
    current = [-1 if s.current is None else problem.slot_index[s.current] for s in skus]
    movable: list[int] = []
    for i in range(len(skus)):
        if current[i] >= 0 and problem.slots[current[i]].fixed:
            target[i] = current[i]
            owner[current[i]] = i
        else:
            movable.append(i)
    labels = _class_zones(problem, classes) if method == "abc" else [""] * n_slots
    pools = _Pools(problem, labels)

    def place(i: int, slot: int) -> None:
        target[i] = slot
        owner[slot] = i

    if method == "abc":
        waiting: list[int] = []
        for i in movable:
            c = current[i]
            usable = c >= 0 and not problem.slots[c].blocked and skus[i].fits(problem.slots[c])
            if usable and labels[c] == classes[skus[i].id] and owner[c] < 0:
                place(i, c)
            else:
                waiting.append(i)
        rank = {label: k for k, label in enumerate(class_labels(len(problem.abc_thresholds) + 1))}
        waiting.sort(key=lambda i: (rank[classes[skus[i].id]], -skus[i].picks, skus[i].id))
        for i in waiting:
            slot = pools.cheapest(skus[i], owner, classes[skus[i].id])
            if slot is None:
                slot = pools.cheapest(skus[i], owner)
            if slot is not None:
                place(i, slot)
    else:
        if method == "turnover":
            movable.sort(key=lambda i: (-skus[i].picks, skus[i].id))
        else:
            movable.sort(key=lambda i: (skus[i].coi, -skus[i].picks, skus[i].id))
        for i in movable:
            slot = pools.cheapest(skus[i], owner)
            if slot is not None:
                place(i, slot)
    for i in movable:
        if target[i] < 0 and not _augment(problem, pools, i, target, owner):
            raise ValueError(
                f"skus: no feasible slotting exists: SKU {skus[i].id!r} cannot be given a "
                "slot without leaving another SKU out (zones or capacities too tight)."
            )
    if method != "abc":
        _keep_neutral(problem, current, target, owner)
    return target


def _augment(
    problem: SlottingProblem, pools: _Pools, start: int, target: list[int], owner: list[int]
) -> bool:
    """Place SKU ``start`` along an augmenting path (Kuhn); return whether one was found."""
    parent: dict[int, int] = {}
    queue = [start]
    for sku_index in queue:
        for slot in pools.all_fitting(problem.skus[sku_index]):
            if slot in parent:
                continue
            parent[slot] = sku_index
            if owner[slot] < 0:
                i, s = sku_index, slot
                while True:
                    previous = target[i]
                    target[i] = s
                    owner[s] = i
                    if previous < 0:
                        return True
                    s, i = previous, parent[previous]
            queue.append(owner[slot])
    return False


def _keep_neutral(
    problem: SlottingProblem, current: list[int], target: list[int], owner: list[int]
) -> None:
    """Let SKUs stay where they are when that changes neither cost nor feasibility."""
    skus, costs, slots = problem.skus, problem.costs, problem.slots
    for _ in range(3):
        changed = False
        for i, sku in enumerate(skus):
            c, t = current[i], target[i]
            if c < 0 or c == t or slots[c].blocked or slots[c].fixed or not sku.fits(slots[c]):
                continue
            other = owner[c]
            if other < 0:
                if costs[c] <= costs[t] + EPS:
                    owner[t], owner[c], target[i] = -1, i, c
                    changed = True
                continue
            delta = (sku.picks - skus[other].picks) * (costs[c] - costs[t])
            if abs(delta) <= EPS and skus[other].fits(slots[t]):
                target[i], target[other] = c, t
                owner[c], owner[t] = i, other
                changed = True
        if not changed:
            return
