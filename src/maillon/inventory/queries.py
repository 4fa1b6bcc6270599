"""Read-only questions about stock that pages ask (open sensor alerts). Each takes a session
and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.inventory.tables import StockAlert


def count_open_alerts(*, session: Session) -> int:
    """Return how many stock alerts from shelf sensors are not resolved yet."""
    return int(
        session.scalar(
            select(func.count()).select_from(StockAlert).where(StockAlert.resolved_at.is_(None))
        )
        or 0
    )
