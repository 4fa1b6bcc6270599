"""What a service adds to the grid price: fuel, remote-area, oversize and insurance surcharges.

    remote    = remote-area surcharge when the zone is remote (Corsica, islands...)
    oversize  = oversize surcharge past the length / sides-sum / weight thresholds
    fuel      = fuel_pct of (base + remote + oversize), rounded half up
    insurance = insurance_pct of the declared value above what the service includes

Percentages are held as integer basis points so every amount is exact integer cents (pure).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["NO_SURCHARGES", "Surcharges", "basis_points", "share"]


def basis_points(pct: float, name: str) -> int:
    """Return ``pct`` in basis points; ValueError outside 0-100 or past 2 decimals."""
    if not 0 <= pct <= 100:
        raise ValueError(f"{name} must be between 0 and 100")
    points = round(pct * 100)
    if abs(points - pct * 100) > 1e-6:
        raise ValueError(f"{name} has more than 2 decimals")
    return points


def share(cents: int, points: int) -> int:
    """Return ``points`` basis points of ``cents`` (>= 0), rounded half up."""
    return (cents * points + 5000) // 10000


@dataclass(frozen=True, slots=True)
class Surcharges:
    """What a service adds to the grid price.

    Attributes:
        fuel_pct: fuel surcharge, % of base + remote + oversize (at most 2 decimals).
        remote_cents: added in remote zones.
        oversize_cents: added when the longest side exceeds ``oversize_length_mm``, the sum of
            the sides exceeds ``oversize_sides_sum_mm`` or the weight exceeds
            ``oversize_weight_g`` (each threshold optional).
        insurance_pct: % of the declared value above ``insurance_included_cents``.

    Raises ValueError for negative amounts or thresholds, or percentages outside 0-100.
    """

    fuel_pct: float = 0.0
    remote_cents: int = 0
    oversize_cents: int = 0
    oversize_length_mm: int | None = None
    oversize_sides_sum_mm: int | None = None
    oversize_weight_g: int | None = None
    insurance_pct: float = 0.0
    insurance_included_cents: int = 0
    _fuel_points: int = field(init=False, repr=False, compare=False)
    _insurance_points: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fuel_points", basis_points(self.fuel_pct, "fuel_pct"))
        object.__setattr__(
            self, "_insurance_points", basis_points(self.insurance_pct, "insurance_pct")
        )
        for name in ("remote_cents", "oversize_cents", "insurance_included_cents"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("oversize_length_mm", "oversize_sides_sum_mm", "oversize_weight_g"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0")

    def amounts(
        self,
        base_cents: int,
        *,
        remote_zone: bool,
        longest_mm: int,
        sides_sum_mm: int,
        weight_g: int,
        declared_value_cents: int,
    ) -> tuple[int, int, int, int]:
        """Return the ``(remote, oversize, fuel, insurance)`` cents added to ``base_cents``."""
        remote = self.remote_cents if remote_zone else 0
        oversize = 0
        if (
            (self.oversize_length_mm is not None and longest_mm > self.oversize_length_mm)
            or (
                self.oversize_sides_sum_mm is not None and sides_sum_mm > self.oversize_sides_sum_mm
            )
            or (self.oversize_weight_g is not None and weight_g > self.oversize_weight_g)
        ):
            oversize = self.oversize_cents
        fuel = share(base_cents + remote + oversize, self._fuel_points)
        insured = declared_value_cents - self.insurance_included_cents
        insurance = share(insured, self._insurance_points) if insured > 0 else 0
        return remote, oversize, fuel, insurance


NO_SURCHARGES = Surcharges()
