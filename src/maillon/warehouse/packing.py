"""Three-dimensional packing of boxes into containers (pure, stdlib only).

The engine is a block-building heuristic on *maximal spaces*:

* the empty room of a container is kept as a list of maximal empty cuboids
  (Lai & Chan; Parreño, Alvarez-Valdés, Oliveira & Tamarit, 2008);
* at each step the space whose floor is nearest a container corner is chosen,
  and filled with a *block*: ``nx × ny × nz`` boxes of one type, in one allowed
  orientation, chosen by volume (greedy, or at random among the near-best
  blocks for the randomized restarts of a GRASP, alternating with a merit
  that subtracts the slabs of space a block leaves too thin to use);
* within the time limit, restarts and partial rebuilds (keep the first blocks
  of the best loading, rebuild the rest) keep the best loading by volume;
* a block above the floor must rest on the tops of already placed boxes:
  every box of its bottom layer must have at least ``support_ratio`` of its
  base covered (no floating boxes);
* weight limits are kept per container, and the items left over once a
  container is full go to the next container of the problem.

Units are integers: millimetres for lengths, grams for weights.  ``x`` runs
along the container length, ``y`` along its width and ``z`` upwards.

Typical use::

    problem = PackingProblem(
        items=[Item("mug", 120, 90, 100, weight=350, quantity=4, orientations=UPRIGHT)],
        containers=[Container("carton-M", 300, 200, 150, max_weight=10_000)],
    )
    result = solve(problem, seed=1, time_limit=0.5)

Errors: constructors raise ``ValueError`` with a message naming the bad field;
``solve`` raises ``ValueError`` for a negative time limit.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ALL_ORIENTATIONS",
    "ORIENTATIONS",
    "UPRIGHT",
    "Container",
    "ContainerLoad",
    "Item",
    "PackingProblem",
    "PackingResult",
    "Placement",
    "rotate",
    "solve",
]

#: The six axis-parallel orientations of a box.  The name lists which of the
#: item's own sides (``x`` = length, ``y`` = width, ``z`` = height) lies along
#: the container's length, width and height: ``"xyz"`` is the box as described,
#: ``"yxz"`` is the same box turned a quarter on the floor, ``"xzy"`` is the box
#: laid on its side so that its width points upwards, and so on.
ORIENTATIONS: tuple[str, ...] = ("xyz", "yxz", "xzy", "zxy", "yzx", "zyx")
ALL_ORIENTATIONS: frozenset[str] = frozenset(ORIENTATIONS)
#: "This side up": only the two orientations that keep the item's height vertical.
UPRIGHT: frozenset[str] = frozenset({"xyz", "yxz"})

_AXIS = {"x": 0, "y": 1, "z": 2}

Box = tuple[int, int, int, int, int, int]  # x0, y0, z0, x1, y1, z1
Rect = tuple[int, int, int, int]  # x0, y0, x1, y1


def rotate(dims: tuple[int, int, int], orientation: str) -> tuple[int, int, int]:
    """Return ``dims`` (length, width, height) turned into ``orientation``.

    Raises ``ValueError`` if ``orientation`` is not one of ``ORIENTATIONS``.
    """
    if orientation not in ALL_ORIENTATIONS:
        raise ValueError(f"orientation {orientation!r} not understood; use one of {ORIENTATIONS}.")
    return (dims[_AXIS[orientation[0]]], dims[_AXIS[orientation[1]]], dims[_AXIS[orientation[2]]])


def _check_positive_int(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}.")


@dataclass(frozen=True)
class Item:
    """A box type to pack: dimensions in mm, weight in grams, ``quantity`` units.

    ``orientations`` lists the allowed orientation names (see ``ORIENTATIONS``);
    use ``UPRIGHT`` for "this side up".  Raises ``ValueError`` on a
    non-positive dimension or quantity, a negative weight, or an empty or
    unknown orientation set.
    """

    name: str
    length: int
    width: int
    height: int
    weight: int = 0
    quantity: int = 1
    orientations: frozenset[str] = ALL_ORIENTATIONS

    def __post_init__(self) -> None:
        for what in ("length", "width", "height", "quantity"):
            _check_positive_int(getattr(self, what), f"Item {self.name!r}: {what}")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int) or self.weight < 0:
            raise ValueError(f"Item {self.name!r}: weight must be an integer >= 0 (grams).")
        orientations = frozenset(self.orientations)
        if not orientations:
            raise ValueError(f"Item {self.name!r}: at least one orientation must be allowed.")
        unknown = orientations - ALL_ORIENTATIONS
        if unknown:
            raise ValueError(
                f"Item {self.name!r}: unknown orientations {sorted(unknown)}; "
                f"use names from {ORIENTATIONS}."
            )
        object.__setattr__(self, "orientations", orientations)

    @property
    def dims(self) -> tuple[int, int, int]:
        """Return (length, width, height) in mm."""
        return (self.length, self.width, self.height)

    @property
    def volume(self) -> int:
        """Return the volume of one unit in mm³."""
        return self.length * self.width * self.height

    def rotations(self) -> tuple[tuple[str, tuple[int, int, int]], ...]:
        """Return the allowed (orientation, rotated dims) pairs, duplicates of dims removed."""
        seen: set[tuple[int, int, int]] = set()
        out: list[tuple[str, tuple[int, int, int]]] = []
        for name in ORIENTATIONS:
            if name in self.orientations:
                dims = rotate(self.dims, name)
                if dims not in seen:
                    seen.add(dims)
                    out.append((name, dims))
        return tuple(out)


@dataclass(frozen=True)
class Container:
    """A container (carton, pallet, truck) with inner dimensions in mm.

    ``max_weight`` is the payload limit in grams (``None``: unlimited) and
    ``quantity`` how many such containers may be used.  Raises ``ValueError``
    on non-positive dimensions, quantity or weight limit.
    """

    name: str
    length: int
    width: int
    height: int
    max_weight: int | None = None
    quantity: int = 1

    def __post_init__(self) -> None:
        for what in ("length", "width", "height", "quantity"):
            _check_positive_int(getattr(self, what), f"Container {self.name!r}: {what}")
        if self.max_weight is not None:
            _check_positive_int(self.max_weight, f"Container {self.name!r}: max_weight")

    @property
    def volume(self) -> int:
        """Return the inner volume in mm³."""
        return self.length * self.width * self.height


@dataclass(frozen=True)
class PackingProblem:
    """An immutable packing problem: items, containers and the support rule.

    Containers are opened in the order given (each up to its quantity).
    ``support_ratio`` is the share of a box's base that must rest on the
    floor or on boxes directly beneath it (1.0: fully supported).  Raises
    ``ValueError`` when there is no container or the ratio is outside (0, 1].
    """

    items: tuple[Item, ...]
    containers: tuple[Container, ...]
    support_ratio: float = 1.0

    def __init__(
        self,
        items: Iterable[Item],
        containers: Iterable[Container],
        support_ratio: float = 1.0,
    ) -> None:
        items_t = tuple(items)
        containers_t = tuple(containers)
        if not containers_t:
            raise ValueError("PackingProblem needs at least one container.")
        for obj in items_t:
            if not isinstance(obj, Item):
                raise ValueError(f"PackingProblem items must be Item, got {type(obj).__name__}.")
        for box in containers_t:
            if not isinstance(box, Container):
                raise ValueError(
                    f"PackingProblem containers must be Container, got {type(box).__name__}."
                )
        if not (0.0 < support_ratio <= 1.0) or math.isnan(support_ratio):
            raise ValueError(f"support_ratio must be in (0, 1], got {support_ratio!r}.")
        object.__setattr__(self, "items", items_t)
        object.__setattr__(self, "containers", containers_t)
        object.__setattr__(self, "support_ratio", float(support_ratio))

    @property
    def num_units(self) -> int:
        """Return the total number of item units (sum of quantities)."""
        return sum(item.quantity for item in self.items)


@dataclass(frozen=True)
class Placement:
    """One placed unit: ``item`` indexes ``problem.items``, ``container`` indexes
    ``result.containers``; (x, y, z) is its lowest corner and (length, width,
    height) its dimensions once rotated by ``orientation``."""

    item: int
    container: int
    x: int
    y: int
    z: int
    length: int
    width: int
    height: int
    orientation: str

    @property
    def box(self) -> Box:
        """Return (x0, y0, z0, x1, y1, z1)."""
        return (
            self.x,
            self.y,
            self.z,
            self.x + self.length,
            self.y + self.width,
            self.z + self.height,
        )


@dataclass(frozen=True)
class ContainerLoad:
    """One opened container: ``container`` indexes ``problem.containers``;
    ``fill_pct`` is the share of its inner volume used, ``weight`` in grams."""

    container: int
    name: str
    num_items: int
    fill_pct: float
    weight: int


@dataclass(frozen=True)
class PackingResult:
    """What ``solve`` returns.

    ``unplaced`` holds one entry (an index into ``problem.items``) per unit
    left out, so every unit is either in ``placements`` or in ``unplaced``,
    exactly once.  ``placements`` are listed in a valid loading order.
    """

    placements: tuple[Placement, ...]
    containers: tuple[ContainerLoad, ...]
    unplaced: tuple[int, ...]
    runtime: float
    seed: int
    iterations: int = 0

    @property
    def is_complete(self) -> bool:
        """Return True when every unit was placed."""
        return not self.unplaced

    @property
    def num_placed(self) -> int:
        """Return the number of placed units."""
        return len(self.placements)

    @property
    def mean_fill_pct(self) -> float:
        """Return the mean fill percentage over opened containers (0.0 if none)."""
        if not self.containers:
            return 0.0
        return sum(c.fill_pct for c in self.containers) / len(self.containers)

    def in_container(self, index: int) -> tuple[Placement, ...]:
        """Return the placements of opened container ``index`` in loading order."""
        return tuple(p for p in self.placements if p.container == index)


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class _Type:
    index: int
    rotations: tuple[tuple[str, tuple[int, int, int]], ...]
    volume: int
    weight: int
    min_side: int


@dataclass(frozen=True)
class _Block:
    type_pos: int
    orientation: str
    dims: tuple[int, int, int]
    counts: tuple[int, int, int]
    x: int
    y: int
    z: int

    @property
    def size(self) -> tuple[int, int, int]:
        return (
            self.dims[0] * self.counts[0],
            self.dims[1] * self.counts[1],
            self.dims[2] * self.counts[2],
        )

    @property
    def units(self) -> int:
        return self.counts[0] * self.counts[1] * self.counts[2]


@dataclass
class _State:
    """A partial loading of one container (mutable, engine-internal)."""

    length: int
    width: int
    height: int
    weight_left: int
    counts: list[int]
    spaces: list[Box] = field(default_factory=list)
    tops: dict[int, list[Rect]] = field(default_factory=dict)
    blocks: list[_Block] = field(default_factory=list)
    volume: int = 0
    weight: int = 0


_PERMUTATIONS = tuple(itertools.permutations(range(3)))


def _overlap_area(a: Rect, b: Rect) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    if w <= 0:
        return 0
    d = min(a[3], b[3]) - max(a[1], b[1])
    return w * d if d > 0 else 0


class _Builder:
    """Builds container loadings for a fixed set of types (engine-internal)."""

    def __init__(self, container: Container, types: Sequence[_Type], support_ratio: float) -> None:
        self.container = container
        self.types = types
        self.ratio = support_ratio
        cap = container.max_weight
        self.weight_cap = cap if cap is not None else -1
        # when True, a block's merit is its volume minus the slabs of space it
        # leaves too thin for any remaining box (otherwise: its volume)
        self.waste = False

    # -- state handling -----------------------------------------------------------
    def new_state(self, counts: Sequence[int]) -> _State:
        c = self.container
        return _State(
            length=c.length,
            width=c.width,
            height=c.height,
            weight_left=self.weight_cap,
            counts=list(counts),
            spaces=[(0, 0, 0, c.length, c.width, c.height)],
        )

    def _usable(self, state: _State) -> list[int]:
        out = []
        for pos, t in enumerate(self.types):
            if state.counts[pos] > 0 and (state.weight_left < 0 or t.weight <= state.weight_left):
                out.append(pos)
        return out

    def apply(self, state: _State, block: _Block) -> None:
        """Place ``block`` and update spaces, support tops, counts and weight."""
        t = self.types[block.type_pos]
        n = block.units
        state.counts[block.type_pos] -= n
        state.weight += n * t.weight
        if state.weight_left >= 0:
            state.weight_left -= n * t.weight
        state.volume += n * t.volume
        state.blocks.append(block)
        sx, sy, sz = block.size
        b = (block.x, block.y, block.z, block.x + sx, block.y + sy, block.z + sz)
        state.tops.setdefault(b[5], []).append((b[0], b[1], b[3], b[4]))
        usable = self._usable(state)
        min_side = min((self.types[p].min_side for p in usable), default=0)
        if not usable:
            state.spaces = []
            return
        kept: list[Box] = []
        fresh: list[Box] = []
        for s in state.spaces:
            if (
                s[0] >= b[3]
                or b[0] >= s[3]
                or s[1] >= b[4]
                or b[1] >= s[4]
                or s[2] >= b[5]
                or b[2] >= s[5]
            ):
                if s[3] - s[0] >= min_side and s[4] - s[1] >= min_side and s[5] - s[2] >= min_side:
                    kept.append(s)
                continue
            for r in (
                (s[0], s[1], s[2], b[0], s[4], s[5]),
                (b[3], s[1], s[2], s[3], s[4], s[5]),
                (s[0], s[1], s[2], s[3], b[1], s[5]),
                (s[0], b[4], s[2], s[3], s[4], s[5]),
                (s[0], s[1], s[2], s[3], s[4], b[2]),
                (s[0], s[1], b[5], s[3], s[4], s[5]),
            ):
                if r[3] - r[0] >= min_side and r[4] - r[1] >= min_side and r[5] - r[2] >= min_side:
                    fresh.append(r)
        # A fresh space is dropped when another space contains it (old spaces
        # cannot be inside a fresh one: fresh spaces lie inside old maximal ones).
        fresh = sorted(set(fresh), key=lambda r: -(r[3] - r[0]) * (r[4] - r[1]) * (r[5] - r[2]))
        result = kept
        for r in fresh:
            inside = False
            for o in result:
                if (
                    o[0] <= r[0]
                    and o[1] <= r[1]
                    and o[2] <= r[2]
                    and r[3] <= o[3]
                    and r[4] <= o[4]
                    and r[5] <= o[5]
                ):
                    inside = True
                    break
            if not inside:
                result.append(r)
        state.spaces = result

    # -- one step -----------------------------------------------------------------
    def _region(self, state: _State, s: Box) -> Box | None:
        """Return the part of space ``s`` whose floor can carry boxes, or None."""
        if s[2] == 0:
            return s
        rects = state.tops.get(s[2])
        if not rects:
            return None
        x0 = y0 = 1 << 60
        x1 = y1 = -1
        for r in rects:
            ax0 = max(r[0], s[0])
            ax1 = min(r[2], s[3])
            if ax1 <= ax0:
                continue
            ay0 = max(r[1], s[1])
            ay1 = min(r[3], s[4])
            if ay1 <= ay0:
                continue
            x0 = min(x0, ax0)
            y0 = min(y0, ay0)
            x1 = max(x1, ax1)
            y1 = max(y1, ay1)
        if x1 < 0:
            return None
        return (x0, y0, s[2], x1, y1, s[5])

    def _supported(self, state: _State, block: _Block) -> bool:
        if block.z == 0:
            return True
        rects = state.tops.get(block.z, [])
        dx, dy, _ = block.dims
        nx, ny, _ = block.counts
        whole = (block.x, block.y, block.x + dx * nx, block.y + dy * ny)
        near = [r for r in rects if _overlap_area(r, whole) > 0]
        need = self.ratio * dx * dy
        if sum(_overlap_area(r, whole) for r in near) < need * nx * ny - 1e-9:
            return False
        for i in range(nx):
            for j in range(ny):
                cell = (
                    block.x + i * dx,
                    block.y + j * dy,
                    block.x + (i + 1) * dx,
                    block.y + (j + 1) * dy,
                )
                if sum(_overlap_area(r, cell) for r in near) < need - 1e-9:
                    return False
        return True

    def step(self, state: _State, rng: random.Random | None, delta: float) -> bool:
        """Place one block; return False when nothing more can be placed."""
        usable = self._usable(state)
        if not usable:
            return False
        length, width = state.length, state.width
        while state.spaces:
            best_key: tuple[int, int, int, int] | None = None
            best_i = -1
            best_region: Box | None = None
            for i, s in enumerate(state.spaces):
                reg = self._region(state, s)
                if reg is None:
                    continue
                dist = sorted((min(reg[0], length - reg[3]), min(reg[1], width - reg[4]), reg[2]))
                vol = (reg[3] - reg[0]) * (reg[4] - reg[1]) * (reg[5] - reg[2])
                key = (dist[0], dist[1], dist[2], -vol)
                if best_key is None or key < best_key:
                    best_key, best_i, best_region = key, i, reg
            if best_region is None:
                return False
            block = self._choose(state, best_region, usable, rng, delta)
            if block is None:
                state.spaces.pop(best_i)
                continue
            self.apply(state, block)
            return True
        return False

    def _choose(
        self,
        state: _State,
        reg: Box,
        usable: Sequence[int],
        rng: random.Random | None,
        delta: float,
    ) -> _Block | None:
        sx, sy, sz = reg[3] - reg[0], reg[4] - reg[1], reg[5] - reg[2]
        min_side = min(self.types[p].min_side for p in usable)
        cands: list[tuple[int, int, int, str, tuple[int, int, int], tuple[int, int, int]]] = []
        for pos in usable:
            t = self.types[pos]
            avail = state.counts[pos]
            if t.weight > 0 and state.weight_left >= 0:
                avail = min(avail, state.weight_left // t.weight)
            if avail <= 0:
                continue
            for name, (dx, dy, dz) in t.rotations:
                if dx > sx or dy > sy or dz > sz:
                    continue
                m = (sx // dx, sy // dy, sz // dz)
                shapes: set[tuple[int, int, int]] = set()
                if m[0] * m[1] * m[2] <= avail:
                    shapes.add(m)
                else:
                    for perm in _PERMUTATIONS:
                        n = [0, 0, 0]
                        left = avail
                        for axis in perm:
                            n[axis] = max(1, min(m[axis], left))
                            left = left // n[axis]
                        shapes.add((n[0], n[1], n[2]))
                for shape in shapes:
                    units = shape[0] * shape[1] * shape[2]
                    bx, by, bz = shape[0] * dx, shape[1] * dy, shape[2] * dz
                    score = units * t.volume
                    if self.waste:
                        gx, gy, gz = sx - bx, sy - by, sz - bz
                        if 0 < gx < min_side:
                            score -= gx * by * bz
                        if 0 < gy < min_side:
                            score -= gy * bx * bz
                        if 0 < gz < min_side:
                            score -= gz * bx * by
                    # tie-break: prefer blocks that leave less slack on the floor
                    slack = (sx - bx) * (sy - by)
                    cands.append((score, -slack, pos, name, (dx, dy, dz), shape))
        if not cands:
            return None
        cands.sort(reverse=True)
        while cands:
            if rng is None or delta <= 0.0:
                k = 0
            else:
                threshold = cands[0][0] * (1.0 - delta)
                top = 1
                while top < len(cands) and cands[top][0] >= threshold:
                    top += 1
                k = rng.randrange(top)
            _, _, pos, name, dims, shape = cands.pop(k)
            bx, by = dims[0] * shape[0], dims[1] * shape[1]
            x = reg[0] if reg[0] <= state.length - reg[3] else reg[3] - bx
            y = reg[1] if reg[1] <= state.width - reg[4] else reg[4] - by
            block = _Block(pos, name, dims, shape, x, y, reg[2])
            if self._supported(state, block):
                return block
        return None

    def build(
        self,
        counts: Sequence[int],
        rng: random.Random | None,
        delta: float,
        prefix: Sequence[_Block] = (),
        deadline: float = math.inf,
    ) -> _State:
        """Return a loading: replay ``prefix`` then add blocks until stuck or ``deadline``."""
        state = self.new_state(counts)
        for block in prefix:
            self.apply(state, block)
        while self.step(state, rng, delta):
            if time.perf_counter() > deadline:
                break
        return state


def _types_for(problem: PackingProblem) -> list[_Type]:
    return [
        _Type(
            index=i,
            rotations=item.rotations(),
            volume=item.volume,
            weight=item.weight,
            min_side=min(item.dims),
        )
        for i, item in enumerate(problem.items)
    ]


def _fill_container(
    container: Container,
    types: Sequence[_Type],
    counts: Sequence[int],
    ratio: float,
    rng: random.Random,
    deadline: float,
) -> tuple[_State, int]:
    """Return the best loading found before ``deadline`` and the number of builds."""
    builder = _Builder(container, types, ratio)
    # The loading is judged on the volume it holds; it cannot beat this bound.
    bound = min(container.volume, sum(n * t.volume for n, t in zip(counts, types, strict=True)))
    best = builder.build(counts, None, 0.0)
    iterations = 1
    deltas = (0.1, 0.2, 0.3, 0.5)
    while time.perf_counter() < deadline and best.volume < bound:
        if not best.blocks:
            break  # nothing fits at all
        delta = deltas[iterations % len(deltas)]
        # alternate the merit: plain block volume / volume minus the slack it strands
        builder.waste = iterations % 2 == 1
        if iterations % 3 == 0 and len(best.blocks) > 2:
            # improvement: keep a prefix of the best loading, rebuild the rest
            keep = rng.randrange(len(best.blocks) // 3, len(best.blocks))
            cand = builder.build(counts, rng, delta, best.blocks[:keep], deadline)
        else:
            cand = builder.build(counts, rng, delta, (), deadline)
        iterations += 1
        if cand.volume > best.volume:
            best = cand
    return best, iterations


def solve(problem: PackingProblem, *, seed: int = 0, time_limit: float = 1.0) -> PackingResult:
    """Pack ``problem`` and return a ``PackingResult``.

    Containers are filled one after the other, in the order of
    ``problem.containers`` (each up to its quantity), with the units left by
    the previous ones; units that fit nowhere are reported in ``unplaced``.
    A first greedy loading is always completed (even past the time limit),
    then randomized restarts and partial rebuilds of the best loading run
    until ``time_limit`` seconds have passed or nothing better is possible.
    With ``time_limit=0`` the result is deterministic; otherwise it depends on
    the seed and on how many restarts the machine fits in the time limit.
    Raises ``ValueError`` if ``time_limit`` is negative or NaN.
    """
    if time_limit < 0 or math.isnan(time_limit):
        raise ValueError(f"time_limit < 0 not understood: {time_limit!r}.")
    start = time.perf_counter()
    deadline = start + time_limit
    rng = random.Random(seed)
    types = _types_for(problem)
    counts = [item.quantity for item in problem.items]
    placements: list[Placement] = []
    loads: list[ContainerLoad] = []
    iterations = 0
    for c_index, container in enumerate(problem.containers):
        for _ in range(container.quantity):
            left = sum(counts)
            if left == 0:
                break
            now = time.perf_counter()
            remaining_volume = sum(n * t.volume for n, t in zip(counts, types, strict=True))
            expected = max(1, math.ceil(remaining_volume / container.volume))
            budget = max(0.0, deadline - now) / expected
            state, its = _fill_container(
                container, types, counts, problem.support_ratio, rng, now + budget
            )
            iterations += its
            if not state.blocks:
                break  # nothing left fits this container type
            load_index = len(loads)
            num = 0
            for block in state.blocks:
                t = types[block.type_pos]
                dx, dy, dz = block.dims
                for k in range(block.counts[2]):
                    for j in range(block.counts[1]):
                        for i in range(block.counts[0]):
                            placements.append(
                                Placement(
                                    item=t.index,
                                    container=load_index,
                                    x=block.x + i * dx,
                                    y=block.y + j * dy,
                                    z=block.z + k * dz,
                                    length=dx,
                                    width=dy,
                                    height=dz,
                                    orientation=block.orientation,
                                )
                            )
                            num += 1
            loads.append(
                ContainerLoad(
                    container=c_index,
                    name=container.name,
                    num_items=num,
                    fill_pct=100.0 * state.volume / container.volume,
                    weight=state.weight,
                )
            )
            counts = state.counts
    unplaced = tuple(i for i, n in enumerate(counts) for _ in range(n))
    return PackingResult(
        placements=tuple(placements),
        containers=tuple(loads),
        unplaced=unplaced,
        runtime=time.perf_counter() - start,
        seed=seed,
        iterations=iterations,
    )
