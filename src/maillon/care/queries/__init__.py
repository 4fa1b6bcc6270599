"""Read-only questions about customer care that pages ask (the care agent of a name). Each
takes a session and changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care.tables import CareAgent


def agent_named(*, session: Session, name: str) -> CareAgent | None:
    """Return the care agent called ``name``, if there is one."""
    return session.scalar(select(CareAgent).where(CareAgent.name == name))
