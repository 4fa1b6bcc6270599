"""Service-level targets per ABC/XYZ class (:class:`ServiceTargets`)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceTargets:
    """Service-level targets per ABC/XYZ class.

    :meth:`level_for` looks a SKU's label (``"AX"``) up in ``by_class``: the full label
    first, then its ABC letter, then its XYZ letter; else ``default``.

    Attributes:
        default: the target of a SKU whose class is not listed (or unknown).
        by_class: ``((label, target), ...)``, labels ``"A"``..``"C"``, ``"X"``..``"Z"`` or
            ``"AX"``..``"CZ"``.

    Raises:
        ValueError: if a target is not in (0, 1), a label is not a class, or labels repeat.
    """

    default: float = 0.95
    by_class: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_class", tuple((str(k), float(v)) for k, v in self.by_class))
        if not 0 < self.default < 1:
            raise ValueError(f"default = {self.default!r} must be in (0, 1).")
        labels = [k for k, _ in self.by_class]
        if len(set(labels)) != len(labels):
            raise ValueError("class labels must not repeat.")
        for label, target in self.by_class:
            if not _is_class_label(label):
                raise ValueError(
                    f"class {label!r} not understood: use A, B, C, X, Y, Z or a pair like AX."
                )
            if not 0 < target < 1:
                raise ValueError(f"target of {label} = {target!r} must be in (0, 1).")

    def level_for(self, label: str | None) -> float:
        """Return the target of a SKU of class ``label`` (``"AX"``; ``None``: the default)."""
        table = dict(self.by_class)
        if label:
            for key in (label, label[:1], label[1:2]):
                if key in table:
                    return table[key]
        return self.default

    @classmethod
    def parse(cls, text: str, *, default: float = 0.95) -> ServiceTargets:
        """Return the targets written ``"A=0.98,B=0.95,CZ=0.85"`` (empty: the default only).

        Raises:
            ValueError: if an item is not ``LABEL=NUMBER`` (or see the class).
        """
        pairs: list[tuple[str, float]] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            label, sep, number = item.partition("=")
            try:
                value = float(number)
            except ValueError:
                value = math.nan
            if not sep or not math.isfinite(value):
                raise ValueError(f"{item!r} is not LABEL=TARGET (e.g. A=0.98).")
            pairs.append((label.strip().upper(), value))
        return cls(default=default, by_class=tuple(pairs))


def _is_class_label(label: str) -> bool:
    if len(label) == 1:
        return label in "ABCXYZ"
    return len(label) == 2 and label[0] in "ABC" and label[1] in "XYZ"
