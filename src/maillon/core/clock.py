"""The time Maillon believes it is.

Services call :func:`now` instead of ``datetime.now``; the demo replays a month of business
by setting a simulated time with :func:`frozen_at`. Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_override: ContextVar[datetime | None] = ContextVar("maillon_clock", default=None)


def now() -> datetime:
    """Return the current UTC time, or the simulated one when set."""
    value = _override.get()
    return value if value is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make :func:`now` return ``moment`` inside the block. Raises ValueError if naive."""
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    token = _override.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _override.reset(token)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC (SQLite hands back naive datetimes, taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
