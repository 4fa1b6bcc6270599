"""Stock drift (pure): Maillon's available units against what a shop shows, per SKU."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DriftRow:
    """One SKU: our available units, the shop's (None: the shop does not sell it)."""

    sku: str
    ours: int
    theirs: int | None

    @property
    def difference(self) -> int | None:
        """The shop's units minus ours (positive: the shop may oversell)."""
        return None if self.theirs is None else self.theirs - self.ours


def compare(ours: Mapping[str, int], theirs: Mapping[str, int | None]) -> list[DriftRow]:
    """Every SKU of ``ours``: the drifting ones first (largest gap first), then the SKUs the
    shop does not sell, then those in step; by SKU within each."""
    rows = [DriftRow(sku, qty, theirs.get(sku)) for sku, qty in ours.items()]

    def order(row: DriftRow) -> tuple[int, int, str]:
        gap = row.difference
        if gap is None:
            return (1, 0, row.sku)
        return (0 if gap else 2, -abs(gap), row.sku)

    return sorted(rows, key=order)


def changed(levels: Mapping[str, int], pushed: Mapping[str, int]) -> dict[str, int]:
    """The levels that differ from what was last pushed (or were never pushed)."""
    return {sku: qty for sku, qty in levels.items() if pushed.get(sku) != qty}
