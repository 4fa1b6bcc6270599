"""Read-only questions about returns that pages ask (how many returns per status). Each takes
a session and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.returns.tables import ReturnRequest


def count_by_status(*, session: Session) -> dict[str, int]:
    """Return how many returns there are in each status (statuses with none are left out)."""
    return {
        status: int(n)
        for status, n in session.execute(
            select(ReturnRequest.status, func.count()).group_by(ReturnRequest.status)
        ).all()
    }
