"""How fresh the KPI figures are: when the order facts and their rollups were last brought up
to date (by the worker's ``analytics.refresh`` job, or the CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.analytics.tables import AnalyticsState
from maillon.core.clock import as_utc

#: The refresh state row of the order facts (``analytics_state.key``): its ``at`` is when
#: every fact and rollup was last refreshed together.
ORDER_FACTS = "order_facts"


def last_refresh(session: Session) -> datetime | None:
    """Return when the KPI facts were last refreshed (UTC), or None when they never were."""
    at = session.scalar(select(AnalyticsState.at).where(AnalyticsState.key == ORDER_FACTS))
    return as_utc(at) if at is not None else None
