"""An immutable model of a parallel-aisle warehouse, as seen by picker routing.

The warehouse is the classic one of the order-picking literature (Ratliff & Rosenthal 1983,
Roodbergen & De Koster 2001):

* ``aisles`` are vertical, parallel and of one common length; aisle ``j`` sits at ``x``
  (its centre line) and runs from ``y = 0`` (the front) to ``y = length`` (the back);
* cross-aisles are horizontal: the front one at ``y = 0``, the back one at ``y = length``,
  and optional middle ones in between, which split the warehouse into ``blocks``;
* the ``depot`` (where a route starts and ends) lies on the front cross-aisle at ``x``,
  optionally ``offset`` in front of it;
* a pick location is ``(aisle, position along the aisle, side)``.  The aisle is assumed
  narrow, so the side does not change distances (it is kept for the handheld).

Distances are walking distances along this aisle graph, never as the crow flies: a picker
changes aisle only along a cross-aisle.  Widths of aisles and cross-aisles are not modelled;
fold them into the coordinates if they matter.

This is a plain dataclass module (stdlib + numpy) so that other code can load it from YAML or
JSON; every constructor validates its arguments and raises ``ValueError`` on bad input.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Aisle",
    "Depot",
    "Layout",
    "PickLocation",
    "Side",
]

_REL_TOL = 1e-9


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} = {value!r} is not a finite number.")


class Side(enum.IntEnum):
    """Which rack of an aisle a pick location faces (does not change distances)."""

    LEFT = 0
    RIGHT = 1


@dataclass(frozen=True, slots=True)
class Aisle:
    """A pick aisle: its centre line at ``x``, running ``length`` from front to back.

    Raises:
        ValueError: if ``x`` is not finite or ``length`` is not a positive finite number.
    """

    x: float
    length: float

    def __post_init__(self) -> None:
        _check_finite("Aisle.x", self.x)
        _check_finite("Aisle.length", self.length)
        if self.length <= 0:
            raise ValueError(f"Aisle.length = {self.length!r} must be > 0.")


@dataclass(frozen=True, slots=True)
class Depot:
    """The start and end of every route, on the front cross-aisle at ``x``.

    ``offset`` is the distance between the depot and the front cross-aisle; it is walked once
    out and once back on every non-empty route.

    Raises:
        ValueError: if ``x`` is not finite or ``offset`` is negative or not finite.
    """

    x: float
    offset: float = 0.0

    def __post_init__(self) -> None:
        _check_finite("Depot.x", self.x)
        _check_finite("Depot.offset", self.offset)
        if self.offset < 0:
            raise ValueError(f"Depot.offset = {self.offset!r} < 0 not understood.")


@dataclass(frozen=True, slots=True)
class PickLocation:
    """Where one pick is: aisle index, distance from the front along the aisle, rack side.

    ``ref`` is an optional caller label (SKU, bin code, task id) carried through routing.

    Raises:
        ValueError: if ``aisle`` is negative, ``position`` is negative or not finite, or ``side``
            is not a ``Side`` value (0 or 1).  Whether
            the location exists in a given warehouse is checked by ``Layout.check_pick``.
    """

    aisle: int
    position: float
    side: Side = Side.LEFT
    ref: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))  # accepts 0/1 from JSON or YAML
        if self.aisle < 0:
            raise ValueError(f"PickLocation.aisle = {self.aisle!r} < 0 not understood.")
        _check_finite("PickLocation.position", self.position)
        if self.position < 0:
            raise ValueError(f"PickLocation.position = {self.position!r} < 0 not understood.")


@dataclass(frozen=True, slots=True)
class Layout:
    """A parallel-aisle warehouse with one or more blocks.

    Attributes:
        aisles: the pick aisles, strictly increasing in ``x``, all of the same length.
        depot: where routes start and end (on the front cross-aisle).
        middle_cross_aisles: ``y`` positions of the middle cross-aisles, strictly increasing and
            strictly between 0 and the aisle length; empty for a single-block warehouse.

    Raises:
        ValueError: if there is no aisle, aisles are not strictly increasing in ``x``, their
            lengths differ, or a middle cross-aisle is out of order or outside ``(0, length)``.
    """

    aisles: tuple[Aisle, ...]
    depot: Depot
    middle_cross_aisles: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "aisles", tuple(self.aisles))
        object.__setattr__(self, "middle_cross_aisles", tuple(self.middle_cross_aisles))
        if not self.aisles:
            raise ValueError("Layout needs at least one aisle.")
        for left, right in itertools.pairwise(self.aisles):
            if not right.x > left.x:
                raise ValueError(
                    f"Aisles must be strictly increasing in x; got {left.x!r} then {right.x!r}."
                )
        length = self.aisles[0].length
        for index, aisle in enumerate(self.aisles):
            if not math.isclose(aisle.length, length, rel_tol=_REL_TOL):
                raise ValueError(
                    f"All aisles must have the same length; aisle {index} has {aisle.length!r}, "
                    f"aisle 0 has {length!r}."
                )
        previous = 0.0
        for y in self.middle_cross_aisles:
            _check_finite("middle cross-aisle", y)
            if not previous < y < length:
                raise ValueError(
                    f"Middle cross-aisle at y = {y!r} must lie strictly between {previous!r} "
                    f"and the aisle length {length!r}, in increasing order."
                )
            previous = y

    # -- construction helpers -----------------------------------------------------------------

    @classmethod
    def uniform(
        cls,
        n_aisles: int,
        aisle_length: float,
        aisle_spacing: float,
        *,
        blocks: int = 1,
        depot_x: float | None = None,
        depot_offset: float = 0.0,
    ) -> Layout:
        """Return a layout of ``n_aisles`` equal aisles ``aisle_spacing`` apart from ``x = 0``.

        ``blocks`` equal blocks are made by ``blocks - 1`` evenly spaced middle cross-aisles.
        The depot defaults to the front of the leftmost aisle.

        Raises:
            ValueError: if ``n_aisles < 1``, ``blocks < 1``, ``aisle_spacing <= 0`` or any
                argument rejected by ``Aisle``, ``Depot`` or ``Layout``.
        """
        if n_aisles < 1:
            raise ValueError(f"n_aisles = {n_aisles!r} < 1 not understood.")
        if blocks < 1:
            raise ValueError(f"blocks = {blocks!r} < 1 not understood.")
        if not aisle_spacing > 0:
            raise ValueError(f"aisle_spacing = {aisle_spacing!r} must be > 0.")
        aisles = tuple(Aisle(x=i * aisle_spacing, length=aisle_length) for i in range(n_aisles))
        middles = tuple(aisle_length * k / blocks for k in range(1, blocks))
        depot = Depot(x=0.0 if depot_x is None else depot_x, offset=depot_offset)
        return cls(aisles=aisles, depot=depot, middle_cross_aisles=middles)

    # -- derived facts ------------------------------------------------------------------------

    @property
    def n_aisles(self) -> int:
        """Return the number of aisles."""
        return len(self.aisles)

    @property
    def aisle_length(self) -> float:
        """Return the common length of the aisles (front to back cross-aisle)."""
        return self.aisles[0].length

    @property
    def n_blocks(self) -> int:
        """Return the number of blocks (one more than the number of middle cross-aisles)."""
        return len(self.middle_cross_aisles) + 1

    @property
    def cross_aisles(self) -> tuple[float, ...]:
        """Return the ``y`` of every cross-aisle, front (0) first and back (length) last."""
        return (0.0, *self.middle_cross_aisles, self.aisle_length)

    def block_of(self, position: float) -> int:
        """Return the index of the block holding ``position`` (0 = front block).

        A position on a middle cross-aisle belongs to the block in front of it.

        Raises:
            ValueError: if ``position`` is outside ``[0, aisle_length]``.
        """
        if not 0 <= position <= self.aisle_length:
            raise ValueError(
                f"position = {position!r} is outside the aisle [0, {self.aisle_length!r}]."
            )
        for index, y in enumerate(self.middle_cross_aisles):
            if position <= y:
                return index
        return len(self.middle_cross_aisles)

    def check_pick(self, pick: PickLocation) -> None:
        """Return ``None`` if ``pick`` exists in this warehouse.

        Raises:
            ValueError: if the aisle index does not exist or the position is beyond the aisle.
        """
        if pick.aisle >= self.n_aisles:
            raise ValueError(
                f"Pick {pick!r} names aisle {pick.aisle}, but the layout has {self.n_aisles}."
            )
        if pick.position > self.aisle_length * (1 + _REL_TOL):
            raise ValueError(f"Pick {pick!r} lies beyond the aisle length {self.aisle_length!r}.")

    # -- distances ----------------------------------------------------------------------------

    def distance(self, a: PickLocation | Depot, b: PickLocation | Depot) -> float:
        """Return the shortest walking distance between two points of this warehouse.

        Within one aisle the picker walks straight; between aisles they walk to the best
        cross-aisle, along it, and into the other aisle.  The depot counts its ``offset``.

        Raises:
            ValueError: if a pick location does not exist in this layout.
        """
        xa, ya, ja, extra_a = self._point(a)
        xb, yb, jb, extra_b = self._point(b)
        if a == b:
            return 0.0
        if ja == jb and ja >= 0:
            return abs(ya - yb) + extra_a + extra_b
        vertical = min(abs(ya - c) + abs(yb - c) for c in self.cross_aisles)
        return abs(xa - xb) + vertical + extra_a + extra_b

    def path(self, a: PickLocation | Depot, b: PickLocation | Depot) -> list[tuple[float, float]]:
        """Return the corners ``(x, y)`` of a shortest walk from ``a`` to ``b`` (for drawing).

        Its length along the corners equals :meth:`distance`; the depot sits at
        ``y = -offset``.

        Raises:
            ValueError: if a pick location does not exist in this layout.
        """
        xa, ya, ja, _ = self._point(a)
        xb, yb, jb, _ = self._point(b)
        start = [(xa, -a.offset)] if isinstance(a, Depot) else []
        end = [(xb, -b.offset)] if isinstance(b, Depot) else []
        if ja == jb and ja >= 0:
            return [*start, (xa, ya), (xb, yb), *end]
        cross = min(self.cross_aisles, key=lambda c: abs(ya - c) + abs(yb - c))
        return [*start, (xa, ya), (xa, cross), (xb, cross), (xb, yb), *end]

    def walk(self, picks: Sequence[PickLocation]) -> list[tuple[float, float]]:
        """Return the corners of the tour depot -> ``picks`` in order -> depot (for drawing)."""
        stops: list[PickLocation | Depot] = [self.depot, *picks, self.depot]
        corners: list[tuple[float, float]] = []
        for a, b in itertools.pairwise(stops):
            for point in self.path(a, b):
                if not corners or corners[-1] != point:
                    corners.append(point)
        return corners

    def distance_matrix(self, picks: tuple[PickLocation, ...]) -> npt.NDArray[np.float64]:
        """Return the ``(n+1) x (n+1)`` shortest-path matrix; index 0 is the depot.

        Raises:
            ValueError: if a pick location does not exist in this layout.
        """
        for pick in picks:
            self.check_pick(pick)
        xs = np.array([self.depot.x] + [self.aisles[p.aisle].x for p in picks], dtype=np.float64)
        length = self.aisle_length
        ys = np.array([0.0] + [min(p.position, length) for p in picks], dtype=np.float64)
        js = np.array([-1] + [p.aisle for p in picks], dtype=np.int64)
        cross = np.array(self.cross_aisles, dtype=np.float64)
        to_cross = np.abs(ys[:, None] - cross[None, :])  # (n+1, C)
        vertical = np.min(to_cross[:, None, :] + to_cross[None, :, :], axis=2)
        matrix = np.abs(xs[:, None] - xs[None, :]) + vertical
        same = (js[:, None] == js[None, :]) & (js[:, None] >= 0)
        matrix = np.where(same, np.abs(ys[:, None] - ys[None, :]), matrix)
        offset = self.depot.offset
        if offset:
            matrix[0, 1:] += offset
            matrix[1:, 0] += offset
        np.fill_diagonal(matrix, 0.0)
        return matrix

    def _point(self, p: PickLocation | Depot) -> tuple[float, float, int, float]:
        if isinstance(p, Depot):
            return p.x, 0.0, -1, p.offset
        self.check_pick(p)
        return self.aisles[p.aisle].x, min(p.position, self.aisle_length), p.aisle, 0.0
