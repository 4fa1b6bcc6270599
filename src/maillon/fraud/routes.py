"""Fraud routes: the review queue, analyst decisions, chargebacks, settings and the model."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status
from sqlalchemy.orm import Session

from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, Page, PageDep, allow
from maillon.fraud import service
from maillon.fraud.schemas import (
    ActiveModelRead,
    AssessmentRead,
    ChargebackCreate,
    ChargebackRead,
    FraudSettingsRead,
    ModelRead,
    ReviewDecisionRead,
    ReviewUpdate,
    SignalsRead,
)
from maillon.fraud.service import training
from maillon.fraud.tables import FraudChargeback, FraudModelRecord
from maillon.orders.model import order_number

router = APIRouter(prefix="/api/v1/fraud", tags=["fraud"])
Staff = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]
Admin = Annotated[Principal, Depends(allow())]


def assessment_read(item: service.ReviewItem, session: Session | None = None) -> AssessmentRead:
    """Return the response model of a review item (with its decisions when ``session``)."""
    a, o, s = item.assessment, item.order, item.signals
    reviews = (
        [
            ReviewDecisionRead(
                decision=r.decision, analyst=r.analyst, note=r.note, decided_at=r.decided_at
            )
            for r in service.reviews_of(session=session, order_id=o.id)
        ]
        if session is not None
        else []
    )
    return AssessmentRead(
        order=o.number,
        order_status=o.status,
        customer_email=o.customer.email,
        customer_name=o.customer.name,
        total_cents=o.total_cents,
        currency=o.currency,
        ship_city=o.ship_city,
        ship_postcode=o.ship_postcode,
        ship_country=o.ship_country,
        created_at=o.created_at,
        score=a.score,
        decision=a.decision,
        review_status=a.review_status,
        reasons=list(a.reasons),
        rules_fired=list(a.rules_fired),
        features=dict(a.features),
        model_version=a.model_version,
        latency_ms=a.latency_ms,
        error=a.error,
        assessed_at=a.assessed_at,
        signals=(
            SignalsRead(
                ip=s.ip,
                device_id=s.device_id,
                card_fingerprint=s.card_fingerprint,
                billing_postcode=s.billing_postcode,
                billing_country=s.billing_country,
                session_id=s.session_id,
                user_agent=s.user_agent,
            )
            if s is not None
            else None
        ),
        reviews=reviews,
    )


@router.get("/reviews", response_model=Page[AssessmentRead])
def list_reviews(
    db: DbDep,
    page: PageDep,
    _: Staff,
    status_: Annotated[
        str, Query(alias="status", max_length=10, description="open, approved, rejected or all")
    ] = "open",
    decision: Annotated[
        str | None, Query(max_length=10, description="accept, review or reject")
    ] = None,
) -> Page[AssessmentRead]:
    """The review queue (oldest first) with each order's score, reasons and features."""
    with db.reader() as session:
        items, total = service.list_reviews(
            session=session,
            status=None if status_ == "all" else status_,
            decision=decision,
            limit=page.limit,
            offset=page.offset,
        )
        reads = [assessment_read(item) for item in items]
    return Page(items=reads, total=total, limit=page.limit, offset=page.offset)


@router.post("/reviews/{number}", response_model=AssessmentRead)
def decide(number: str, body: ReviewUpdate, db: DbDep, who: Staff) -> AssessmentRead:
    """Approve or reject an order of the queue; reject cancels it and releases its stock."""
    with db.transaction() as session:
        item = service.decide(
            session=session,
            number=number,
            decision=body.decision,
            analyst=who.actor,
            note=body.note,
        )
        return assessment_read(item, session)


@router.get("/assessments/{number}", response_model=AssessmentRead)
def get_assessment(number: str, db: DbDep, _: Staff) -> AssessmentRead:
    """One order's fraud assessment and the analyst decisions on it."""
    with db.reader() as session:
        return assessment_read(service.get_assessment(session=session, number=number), session)


def _chargeback_read(cb: FraudChargeback) -> ChargebackRead:
    return ChargebackRead(
        order=order_number(cb.order_id),
        amount_cents=cb.amount_cents,
        currency=cb.currency,
        reason=cb.reason,
        occurred_at=cb.occurred_at,
        recorded_at=cb.recorded_at,
    )


@router.post(
    "/chargebacks",
    status_code=status.HTTP_201_CREATED,
    response_model=ChargebackRead,
    responses={200: {"description": "a replay: the order's chargeback was already recorded"}},
)
def record_chargeback(
    body: ChargebackCreate, db: DbDep, who: Staff, response: Response
) -> ChargebackRead:
    """Record a chargeback on an order: it labels the order as fraud for the next training."""
    with db.transaction() as session:
        cb, created = service.record_chargeback(
            session=session,
            number=body.order,
            amount_cents=body.amount_cents,
            reason=body.reason,
            occurred_at=body.occurred_at,
            actor=who.actor,
        )
        read = _chargeback_read(cb)
    if not created:
        response.status_code = status.HTTP_200_OK
    return read


def _settings_read(config: service.FraudConfig, revision: int) -> FraudSettingsRead:
    return FraudSettingsRead(
        revision=revision, auto_reject=service.auto_reject_enabled(), config=config.to_dict()
    )


@router.get("/settings", response_model=FraudSettingsRead)
def get_settings(db: DbDep, _: Staff) -> FraudSettingsRead:
    """The rules, their thresholds and the model threshold overrides in force."""
    with db.reader() as session:
        config, revision = service.get_config(session=session)
    return _settings_read(config, revision)


@router.put("/settings", response_model=FraudSettingsRead)
def put_settings(
    db: DbDep, who: Admin, body: Annotated[dict[str, Any], Body()]
) -> FraudSettingsRead:
    """Replace the rules configuration (admin); every worker uses it from its next order."""
    with db.transaction() as session:
        config, revision = service.set_config(session=session, data=body, actor=who.actor)
    return _settings_read(config, revision)


def _model_read(record: FraudModelRecord) -> ModelRead:
    return ModelRead(
        version=record.version,
        active=record.active,
        trained_at=record.trained_at,
        data_from=record.data_from,
        data_to=record.data_to,
        n_samples=record.n_samples,
        n_fraud=record.n_fraud,
        roc_auc=record.roc_auc,
        pr_auc=record.pr_auc,
        review_threshold=record.review_threshold,
        reject_threshold=record.reject_threshold,
        card=dict(record.card),
    )


@router.get("/model", response_model=ActiveModelRead)
def get_active_model(db: DbDep, _: Staff) -> ActiveModelRead:
    """The active model and its card, or ``mode: rules`` when the rules decide alone."""
    with db.reader() as session:
        record = training.active_model(session=session)
        if record is None:
            return ActiveModelRead(mode="rules", model=None, card_markdown=None)
        return ActiveModelRead(
            mode="model",
            model=_model_read(record),
            card_markdown=training.card_markdown(dict(record.card), active=True),
        )


@router.get("/models", response_model=list[ModelRead])
def list_models(db: DbDep, _: Staff) -> list[ModelRead]:
    """Every trained model, newest first."""
    with db.reader() as session:
        return [_model_read(r) for r in training.list_models(session=session)]
