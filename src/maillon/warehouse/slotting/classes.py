"""ABC classes: SKUs split by cumulative share of picks, and the class labels ``A``, ``B``..."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from maillon.warehouse.slotting.slots import EPS, Sku


def class_labels(n: int) -> tuple[str, ...]:
    """Return the labels of ``n`` classes: ``("A", "B", ...)``.

    Raises:
        ValueError: if ``n`` is not between 1 and 26.
    """
    if not 1 <= n <= 26:
        raise ValueError(f"{n} classes not understood; between 1 and 26.")
    return tuple(chr(ord("A") + k) for k in range(n))


def check_thresholds(thresholds: Sequence[float]) -> None:
    previous = 0.0
    for t in thresholds:
        if not previous < t <= 1:
            raise ValueError(
                f"abc_thresholds = {tuple(thresholds)!r} must increase strictly within (0, 1]."
            )
        previous = t
    class_labels(len(thresholds) + 1)


def abc_classes(
    skus: Iterable[Sku], *, thresholds: Sequence[float] = (0.8, 0.95)
) -> dict[str, str]:
    """Return the ABC class of every SKU id, by cumulative share of picks.

    SKUs are ranked by decreasing picks (ties by id); a SKU is in class ``A`` if the share of
    picks of the SKUs ranked before it is below ``thresholds[0]`` (so the SKU that crosses the
    threshold is still ``A``), ``B`` below ``thresholds[1]``, and so on.  SKUs without a pick
    are in the last class.

    Raises:
        ValueError: if ``thresholds`` do not increase strictly within ``(0, 1]``.
    """
    check_thresholds(thresholds)
    labels = class_labels(len(thresholds) + 1)
    ranked = sorted(skus, key=lambda s: (-s.picks, s.id))
    total = sum(s.picks for s in ranked)
    classes: dict[str, str] = {}
    before = 0.0
    for sku in ranked:
        share = before / total if total > 0 else 1.0
        k = sum(1 for t in thresholds if share >= t - EPS)
        classes[sku.id] = labels[-1] if sku.picks <= 0 else labels[k]
        before += sku.picks
    return classes
