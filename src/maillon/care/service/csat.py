"""Customer satisfaction: the survey a resolved ticket's customer answers, once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care.service.history import get_ticket, record_event
from maillon.care.tables import CsatSurvey
from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, NotFound


def csat_survey(*, session: Session, token: str) -> CsatSurvey:
    """Return the survey of ``token`` (the link e-mailed to the customer). Raises NotFound."""
    survey = session.scalar(select(CsatSurvey).where(CsatSurvey.token == token[:100]))
    if survey is None:
        raise NotFound("survey", "token", field="token")
    return survey


def answer_csat(*, session: Session, token: str, score: int, comment: str = "") -> CsatSurvey:
    """Record the customer's 1-5 score (and comment) once. Raises ValidationError (score,
    comment), NotFound (token), Conflict when the survey was already answered."""
    errors = ErrorCollector()
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors.add("score", "an integer from 1 to 5")
    if len(comment or "") > 2000:
        errors.add("comment", "at most 2000 characters")
    errors.raise_if_any()
    survey = session.scalar(select(CsatSurvey).where(CsatSurvey.token == token))
    if survey is None:
        raise NotFound("survey", "token", field="token")
    if survey.answered_at is not None:
        raise Conflict("this survey was already answered; thank you")
    survey.score = score
    survey.comment = (comment or "").strip()
    survey.answered_at = clock.now()
    ticket = get_ticket(session=session, ticket_id=survey.ticket_id)
    record_event(ticket, "csat", "", str(score), ticket.customer_email)
    return survey
