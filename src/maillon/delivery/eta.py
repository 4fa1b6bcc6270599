"""ETA windows told to customers (pure).

A route plan gives each stop a planned service start (seconds since local midnight). The
customer is told a window around it, not the second: :func:`eta_window` widens the planned
time by ``margin_s`` on each side, rounds the ends outward to ``step_s`` (quarter hours by
default) and keeps it inside the delivery slot the customer booked, when there is one. The
window always contains the planned time.

Errors: :func:`eta_window` raises ``ValueError``.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MARGIN_S", "DEFAULT_STEP_S", "eta_window", "format_window"]

DEFAULT_MARGIN_S = 1800
"""Half-width of the window before rounding: 30 minutes."""

DEFAULT_STEP_S = 900
"""The window's ends are multiples of this: a quarter of an hour."""


def eta_window(
    eta_s: int,
    *,
    tw_start: int | None = None,
    tw_end: int | None = None,
    margin_s: int = DEFAULT_MARGIN_S,
    step_s: int = DEFAULT_STEP_S,
) -> tuple[int, int]:
    """Return the window ``(start, end)`` (local seconds since midnight) around ``eta_s``.

    The ends are ``eta_s -/+ margin_s`` rounded outward to multiples of ``step_s``, never
    below 0, then narrowed to the booked slot ``[tw_start, tw_end]`` without ever excluding
    ``eta_s`` (a planned time outside the slot keeps its own side). Raises ValueError for a
    negative ``eta_s`` or ``margin_s``, a ``step_s`` below 1, or ``tw_end < tw_start``.
    """
    if eta_s < 0:
        raise ValueError(f"eta_s = {eta_s} < 0 not understood.")
    if margin_s < 0:
        raise ValueError(f"margin_s = {margin_s} < 0 not understood.")
    if step_s < 1:
        raise ValueError(f"step_s = {step_s} < 1 not understood.")
    if tw_start is not None and tw_end is not None and tw_end < tw_start:
        raise ValueError(f"time window [{tw_start}, {tw_end}] is empty.")
    start = max(0, (eta_s - margin_s) // step_s * step_s)
    end = -(-(eta_s + margin_s) // step_s) * step_s
    if tw_start is not None:
        start = max(start, min(tw_start, eta_s))
    if tw_end is not None:
        end = min(end, max(tw_end, eta_s))
    return start, end


def format_window(window: tuple[int, int]) -> str:
    """Return ``HH:MM-HH:MM`` for a window of seconds since midnight."""

    def hhmm(seconds: int) -> str:
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

    return f"{hhmm(window[0])}-{hhmm(window[1])}"
