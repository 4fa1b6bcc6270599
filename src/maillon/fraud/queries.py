"""Read-only questions about fraud reviews that pages ask: the latest decisions and how scores
spread. Each takes a session and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from maillon.fraud.service import DECISIONS
from maillon.fraud.tables import FraudAssessment, FraudReview
from maillon.orders.tables import Order


def latest_decisions(*, session: Session, limit: int = 10) -> Sequence[Any]:
    """Return the latest analyst decisions, newest first, as rows ``(review, order status)``."""
    return session.execute(
        select(FraudReview, Order.status)
        .join(Order, Order.id == FraudReview.order_id)
        .order_by(FraudReview.id.desc())
        .limit(limit)
    ).all()


def score_counts(*, session: Session, since: datetime, bins: int) -> dict[str, list[int]]:
    """Return per decision the assessments since ``since`` in each of ``bins`` equal score
    ranges from 0 to 1 (one grouped query)."""
    a = FraudAssessment
    score_bin = cast(a.score * bins, Integer)
    rows = session.execute(
        select(score_bin, a.decision, func.count())
        .where(a.assessed_at >= since)
        .group_by(score_bin, a.decision)
    ).all()
    counts: dict[str, list[int]] = {d: [0] * bins for d in DECISIONS}
    for b, decision, n in rows:
        if decision in counts:
            counts[decision][min(max(int(b or 0), 0), bins - 1)] += int(n)
    return counts
