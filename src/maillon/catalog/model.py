"""Products: the rules a product record must satisfy (pure, no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from maillon.core.errors import ErrorCollector
from maillon.core.identifiers import gtin_problem

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


@dataclass(frozen=True)
class ProductSpec:
    """What defines a product: identity, size in millimetres, weight in grams, price in cents."""

    sku: str
    name: str
    gtin: str | None
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    price_cents: int
    category: str = ""

    @property
    def volume_cm3(self) -> float:
        """Volume in cubic centimetres."""
        return self.length_mm * self.width_mm * self.height_mm / 1000.0


def validate_product(spec: ProductSpec, prefix: str = "") -> None:
    """Raise ValidationError naming every invalid field of ``spec``."""
    errors = ErrorCollector()
    if not SKU_PATTERN.match(spec.sku or ""):
        errors.add(f"{prefix}sku", "1-64 letters, digits or . _ - /, starting with a letter/digit")
    if not spec.name or not spec.name.strip():
        errors.add(f"{prefix}name", "is required")
    if spec.gtin is not None:
        problem = gtin_problem(spec.gtin)
        if problem:
            errors.add(f"{prefix}gtin", f"invalid GTIN: {problem}")
    for dim in ("length_mm", "width_mm", "height_mm"):
        value = getattr(spec, dim)
        if not 0 < value <= 10_000:
            errors.add(f"{prefix}{dim}", "must be between 1 and 10000 mm")
    if not 0 < spec.weight_g <= 1_000_000:
        errors.add(f"{prefix}weight_g", "must be between 1 and 1000000 g")
    if not 0 <= spec.price_cents <= 1_000_000_000:
        errors.add(f"{prefix}price_cents", "must be between 0 and 1000000000")
    errors.raise_if_any()
