"""ABC/XYZ classification of SKUs (pure).

ABC ranks SKUs by *value* (typically yearly revenue or consumption value, the caller
chooses): SKUs are sorted by decreasing value and a SKU is

* ``"A"`` while the share of total value held by the SKUs ranked *before* it is below
  ``abc_a`` (so the SKU that crosses the line is still A),
* ``"B"`` while that share is below ``abc_b``,
* ``"C"`` otherwise, and always when its value is zero.

XYZ ranks SKUs by *demand variability*: the coefficient of variation (population standard
deviation over mean) of the per-period demand. A SKU is ``"X"`` when ``cv <= xyz_x``,
``"Y"`` when ``cv <= xyz_y`` and ``"Z"`` otherwise (a SKU without demand has an infinite CV,
so it is Z).

:func:`classify` combines both into one frozen :class:`Classification` with one
:class:`SkuClass` per SKU (``"AX"``, ``"CZ"``, ...) and the count of SKUs per cell of the
3 x 3 matrix. Every threshold lives in :class:`ClassThresholds`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ABC_CLASSES",
    "XYZ_CLASSES",
    "ClassThresholds",
    "Classification",
    "SkuClass",
    "abc_classes",
    "classify",
    "coefficient_of_variation",
    "xyz_classes",
]

ABC_CLASSES: tuple[str, ...] = ("A", "B", "C")
"""ABC classes, most valuable first."""

XYZ_CLASSES: tuple[str, ...] = ("X", "Y", "Z")
"""XYZ classes, steadiest first."""


@dataclass(frozen=True, slots=True)
class ClassThresholds:
    """Thresholds of the ABC (cumulative value share) and XYZ (coefficient of variation) split.

    Attributes:
        abc_a: cumulative value share reached by the A SKUs (default 80 %).
        abc_b: cumulative value share reached by the A and B SKUs (default 95 %).
        xyz_x: largest coefficient of variation of an X SKU.
        xyz_y: largest coefficient of variation of a Y SKU.

    Raises:
        ValueError: unless ``0 < abc_a <= abc_b <= 1`` and ``0 <= xyz_x <= xyz_y`` (finite).
    """

    abc_a: float = 0.80
    abc_b: float = 0.95
    xyz_x: float = 0.5
    xyz_y: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.abc_a <= self.abc_b <= 1:
            raise ValueError(
                f"ABC thresholds need 0 < abc_a <= abc_b <= 1; got {self.abc_a!r}, {self.abc_b!r}."
            )
        if not (math.isfinite(self.xyz_y) and 0 <= self.xyz_x <= self.xyz_y):
            raise ValueError(
                f"XYZ thresholds need 0 <= xyz_x <= xyz_y (finite); "
                f"got {self.xyz_x!r}, {self.xyz_y!r}."
            )


@dataclass(frozen=True, slots=True)
class SkuClass:
    """The classes of one SKU.

    Attributes:
        sku: the SKU.
        value: its value (the ABC criterion).
        cumulative_share: share of total value of the SKUs ranked before it plus itself.
        abc: ``"A"``, ``"B"`` or ``"C"``.
        cv: coefficient of variation of its per-period demand (``inf`` without demand).
        xyz: ``"X"``, ``"Y"`` or ``"Z"``.
    """

    sku: str
    value: float
    cumulative_share: float
    abc: str
    cv: float
    xyz: str

    @property
    def label(self) -> str:
        """Return the two-letter class, e.g. ``"AX"``."""
        return self.abc + self.xyz


@dataclass(frozen=True, slots=True)
class Classification:
    """The answer of :func:`classify`.

    Attributes:
        items: one :class:`SkuClass` per SKU, in the input order.
        thresholds: the thresholds used.
    """

    items: tuple[SkuClass, ...]
    thresholds: ClassThresholds

    def by_sku(self) -> dict[str, SkuClass]:
        """Return the classes keyed by SKU."""
        return {item.sku: item for item in self.items}

    def counts(self) -> dict[str, int]:
        """Return how many SKUs fall in each of the nine cells (``"AX"`` ... ``"CZ"``)."""
        cells = {a + x: 0 for a in ABC_CLASSES for x in XYZ_CLASSES}
        for item in self.items:
            cells[item.label] += 1
        return cells

    def value_shares(self) -> dict[str, float]:
        """Return the share of total value held by each cell (zeros when there is no value)."""
        cells = {a + x: 0.0 for a in ABC_CLASSES for x in XYZ_CLASSES}
        total = sum(item.value for item in self.items)
        if total > 0:
            for item in self.items:
                cells[item.label] += item.value / total
        return cells


def _values(values: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"values must be one-dimensional; got shape {array.shape}.")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("values must be finite and >= 0.")
    return array


def _demand(demand: Sequence[Sequence[float]] | npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(demand, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"demand must be (skus x periods); got shape {array.shape}.")
    if array.shape[1] < 1:
        raise ValueError("demand needs at least one period.")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("demand must be finite and >= 0.")
    return array


def abc_classes(
    values: Sequence[float] | npt.ArrayLike, *, a: float = 0.80, b: float = 0.95
) -> tuple[str, ...]:
    """Return the ABC class of each SKU from its value, in the input order.

    Ties in value keep the input order. See the module docstring for the rule.

    Raises:
        ValueError: if a value is negative or not finite, or the thresholds are invalid.
    """
    thresholds = ClassThresholds(abc_a=a, abc_b=b)
    array = _values(values)
    return tuple(_abc(array, thresholds)[0])


def _abc(
    values: npt.NDArray[np.float64], thresholds: ClassThresholds
) -> tuple[list[str], npt.NDArray[np.float64]]:
    total = float(values.sum())
    labels = ["C"] * len(values)
    cumulative = np.zeros(len(values))
    if total <= 0:
        return labels, cumulative
    order = np.argsort(-values, kind="stable")
    shares = values[order] / total
    after = np.cumsum(shares)
    before = after - shares
    for rank, index in enumerate(order):
        cumulative[index] = after[rank]
        if values[index] <= 0:
            continue
        if before[rank] < thresholds.abc_a:
            labels[index] = "A"
        elif before[rank] < thresholds.abc_b:
            labels[index] = "B"
    return labels, cumulative


def coefficient_of_variation(
    demand: Sequence[Sequence[float]] | npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Return each SKU's coefficient of variation (population sd / mean) over its periods.

    ``demand`` is (skus x periods). A SKU whose mean demand is zero gets ``inf``.

    Raises:
        ValueError: if ``demand`` is not two-dimensional with at least one period, or holds a
            negative or non-finite value.
    """
    array = _demand(demand)
    mean = array.mean(axis=1)
    sd = array.std(axis=1)
    cv = np.full(len(mean), np.inf)
    positive = mean > 0
    cv[positive] = sd[positive] / mean[positive]
    return cv


def xyz_classes(
    demand: Sequence[Sequence[float]] | npt.ArrayLike, *, x: float = 0.5, y: float = 1.0
) -> tuple[str, ...]:
    """Return the XYZ class of each SKU (row of ``demand``, skus x periods), in order.

    Raises:
        ValueError: if ``demand`` is malformed (see :func:`coefficient_of_variation`) or the
            thresholds are invalid.
    """
    thresholds = ClassThresholds(xyz_x=x, xyz_y=y)
    return tuple(_xyz(coefficient_of_variation(demand), thresholds))


_CV_TOLERANCE = 1e-9
"""A coefficient of variation this close to a threshold counts as on it: rounding in the sd and
mean (demand in other units, say) must not move a SKU from Y to Z."""


def _xyz(cv: npt.NDArray[np.float64], thresholds: ClassThresholds) -> list[str]:
    x, y = thresholds.xyz_x + _CV_TOLERANCE, thresholds.xyz_y + _CV_TOLERANCE
    return ["X" if c <= x else "Y" if c <= y else "Z" for c in cv]


def classify(
    *,
    skus: Sequence[str],
    values: Sequence[float] | npt.ArrayLike,
    demand: Sequence[Sequence[float]] | npt.ArrayLike,
    thresholds: ClassThresholds | None = None,
) -> Classification:
    """Return the ABC/XYZ classification of ``skus``.

    Args:
        skus: the SKUs (distinct).
        values: one value per SKU (e.g. yearly revenue); the ABC criterion.
        demand: per-period demand, one row per SKU (skus x periods); the XYZ criterion.
        thresholds: the split (default :class:`ClassThresholds`).

    Raises:
        ValueError: if SKUs repeat, lengths disagree, or a value or demand is negative or not
            finite.
    """
    thresholds = thresholds or ClassThresholds()
    names = tuple(skus)
    if len(set(names)) != len(names):
        raise ValueError("skus must be distinct.")
    value_array = _values(values)
    demand_array = _demand(demand)
    if not len(names) == len(value_array) == demand_array.shape[0]:
        raise ValueError(
            f"{len(names)} skus, {len(value_array)} values and {demand_array.shape[0]} "
            "demand rows: the lengths must agree."
        )
    abc, cumulative = _abc(value_array, thresholds)
    cv = coefficient_of_variation(demand_array)
    xyz = _xyz(cv, thresholds)
    items = tuple(
        SkuClass(
            sku=names[i],
            value=float(value_array[i]),
            cumulative_share=float(cumulative[i]),
            abc=abc[i],
            cv=float(cv[i]),
            xyz=xyz[i],
        )
        for i in range(len(names))
    )
    return Classification(items=items, thresholds=thresholds)
