"""The console's French, one module per group of pages (the frame, then one per chain package,
as in ``web/``), merged into :data:`FRENCH`.

A text shared by several pages may appear in more than one module, but always with the same
French: merging refuses two translations of one text, so no module silently overrides another.
"""

from __future__ import annotations

from maillon.web.french import (
    acquisition,
    analytics,
    care,
    carriers,
    channels,
    delivery,
    frame,
    fraud,
    inventory,
    jobs,
    orders,
    packing,
    planning,
    returns,
    shipping,
    warehouse,
    webhooks,
)

MODULES = (
    frame,
    orders,
    inventory,
    analytics,
    warehouse,
    packing,
    returns,
    shipping,
    delivery,
    care,
    fraud,
    acquisition,
    planning,
    jobs,
    channels,
    webhooks,
    carriers,
)


def merge() -> dict[str, str]:
    """Return the French of every module in one dict. Raises ValueError when two modules
    translate one text differently."""
    merged: dict[str, str] = {}
    for module in MODULES:
        for text, french in module.FRENCH.items():
            if merged.setdefault(text, french) != french:
                raise ValueError(f"two translations of {text!r}: {merged[text]!r}, {french!r}")
    return merged


FRENCH = merge()
