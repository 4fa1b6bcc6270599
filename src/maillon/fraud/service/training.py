"""Fraud model training and the model registry.

Labels come from the feedback the service records: an analyst's decision
(:func:`maillon.fraud.service.decide`) and chargebacks
(:func:`maillon.fraud.service.record_chargeback`); an order neither reviewed nor charged
back counts as legitimate once it is ``mature_days`` old.  :func:`train_model` runs
:func:`maillon.fraud.scoring.train` on the features recorded at intake, so no later
information leaks into training: it chooses the model (logistic regression, LightGBM or a
blend) by time-ordered validation, calibrates it and sets the review and reject thresholds
from the decision costs in the fraud settings; then it writes the model card (Markdown and
JSON) and activates the model: every API worker scores with it from its next order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict, ErrorCollector, NotFound
from maillon.fraud.features import FEATURE_NAMES
from maillon.fraud.service import get_config
from maillon.fraud.tables import FraudAssessment, FraudChargeback, FraudModelRecord, FraudReview
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order

if TYPE_CHECKING:
    from maillon.fraud.scoring import FraudModel


@dataclass(frozen=True)
class LabelledOrders:
    """Training rows: the features recorded at intake, labels (1 = fraud) and times."""

    order_ids: list[int]
    rows: list[list[float]]
    labels: list[int]
    times: list[float]
    first: datetime | None
    last: datetime | None

    @property
    def n_fraud(self) -> int:
        """Number of fraud labels."""
        return sum(self.labels)


def labelled_orders(
    *,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    mature_days: int = 30,
) -> LabelledOrders:
    """Return the labelled orders assessed in ``[start, end)``.

    Fraud: a chargeback, or an analyst's reject. Legitimate: an analyst's approve, or an
    order neither reviewed nor charged back, not cancelled, at least ``mature_days`` old.
    """
    query = (
        select(
            FraudAssessment.order_id,
            FraudAssessment.assessed_at,
            FraudAssessment.features,
            Order.status,
            FraudChargeback.id,
        )
        .join(Order, Order.id == FraudAssessment.order_id)
        .outerjoin(FraudChargeback, FraudChargeback.order_id == FraudAssessment.order_id)
        .order_by(FraudAssessment.assessed_at, FraudAssessment.order_id)
    )
    reviews = select(FraudReview.order_id, FraudReview.decision).join(
        FraudAssessment, FraudAssessment.order_id == FraudReview.order_id
    )
    if start is not None:
        query = query.where(FraudAssessment.assessed_at >= start)
        reviews = reviews.where(FraudAssessment.assessed_at >= start)
    if end is not None:
        query = query.where(FraudAssessment.assessed_at < end)
        reviews = reviews.where(FraudAssessment.assessed_at < end)
    latest: dict[int, str] = {}
    for order_id, verdict in session.execute(reviews.order_by(FraudReview.id)):
        latest[order_id] = verdict
    mature_before = clock.now() - timedelta(days=mature_days)
    out = LabelledOrders([], [], [], [], None, None)
    for order_id, at, features, status, chargeback_id in session.execute(query):
        review = latest.get(order_id)
        if chargeback_id is not None or review == "reject":
            label = 1
        elif review == "approve" or (
            status != OrderStatus.CANCELLED and clock.as_utc(at) <= mature_before
        ):
            label = 0
        else:
            continue
        if not features:
            continue
        out.order_ids.append(order_id)
        out.rows.append(
            [
                math.nan if features.get(name) is None else float(features[name])
                for name in FEATURE_NAMES
            ]
        )
        out.labels.append(label)
        out.times.append(clock.as_utc(at).timestamp())
    if out.order_ids:
        first = datetime.fromtimestamp(out.times[0], tz=UTC)
        last = datetime.fromtimestamp(out.times[-1], tz=UTC)
        out = LabelledOrders(out.order_ids, out.rows, out.labels, out.times, first, last)
    return out


class NotEnoughLabels(Conflict):
    """Too few labelled orders to train: the rules keep deciding alone."""

    code = "not_enough_labels"


@dataclass(frozen=True)
class TrainResult:
    """A trained and activated model: its version, card and the files written."""

    version: str
    card: dict[str, Any]
    markdown: str
    files: tuple[Path, ...]


def _check_options(start: datetime | None, end: datetime | None, mature_days: int) -> None:
    """Raise ValidationError naming each bad option of :func:`train_model`."""
    errors = ErrorCollector()
    if start is not None and end is not None and start >= end:
        errors.add("from", "must be before --to")
    if mature_days < 0:
        errors.add("mature_days", "must be >= 0")
    errors.raise_if_any()


def _store(
    db: Database,
    model: FraudModel,
    data: LabelledOrders,
    *,
    actor: str,
    now: datetime,
    mature_days: int,
    activate: bool,
) -> tuple[str, dict[str, Any]]:
    """Store ``model`` (and make it the active one when ``activate``), in one transaction;
    return its version and its card, completed with the version, the trainer and the labels."""
    n_fraud = data.n_fraud
    n_legit = len(data.labels) - n_fraud
    with db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(FraudModelRecord)) or 0
        version = f"v{count + 1}-{now:%Y%m%d%H%M%S}"
        card = {
            **model.card,
            "version": version,
            "trained_at": now.isoformat(),
            "trained_by": actor,
            "labels": {"fraud": n_fraud, "legitimate": n_legit, "mature_days": mature_days},
        }
        model.card = card
        if activate:
            session.execute(
                update(FraudModelRecord)
                .where(FraudModelRecord.active == true())
                .values(active=False)
            )
        session.add(
            FraudModelRecord(
                version=version,
                trained_at=now,
                trained_by=actor[:120],
                data_from=data.first,
                data_to=data.last,
                n_samples=len(data.labels),
                n_fraud=n_fraud,
                roc_auc=card.get("roc_auc"),
                pr_auc=card.get("pr_auc"),
                review_threshold=model.thresholds.review,
                reject_threshold=model.thresholds.reject,
                card=card,
                artifact=model.to_json(),
                active=activate,
            )
        )
    return version, card


def _write_files(
    out_dir: Path | None, version: str, markdown: str, card: dict[str, Any], model: FraudModel
) -> tuple[Path, ...]:
    """Write the card (Markdown and JSON) and the model to ``out_dir``, if given."""
    files: list[Path] = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for suffix, text in (
            (".md", markdown),
            (".json", json.dumps(card, indent=1, default=str)),
            (".model.json", model.to_json()),
        ):
            path = out_dir / f"fraud-model-{version}{suffix}"
            path.write_text(text, encoding="utf-8")
            files.append(path)
    return tuple(files)


def train_model(
    db: Database,
    *,
    actor: str,
    start: datetime | None = None,
    end: datetime | None = None,
    seed: int = 0,
    mature_days: int = 30,
    min_fraud: int = 10,
    min_legit: int = 30,
    out_dir: Path | None = None,
    activate: bool = True,
) -> TrainResult:
    """Choose, calibrate and fit the model on the labelled orders, set its thresholds from
    the settings' costs, write its card, store and activate it.

    Reads in one transaction, trains outside any, stores in another. Raises
    NotEnoughLabels (409) when fewer than ``min_fraud`` fraud or ``min_legit`` legitimate
    orders are labelled or the time split lacks a class, ValidationError on bad options.
    """
    _check_options(start, end, mature_days)
    with db.reader() as session:
        data = labelled_orders(session=session, start=start, end=end, mature_days=mature_days)
        config, _revision = get_config(session=session)
    n_fraud = data.n_fraud
    n_legit = len(data.labels) - n_fraud
    if n_fraud < min_fraud or n_legit < min_legit:
        raise NotEnoughLabels(
            f"not enough labels to train: {n_fraud} fraud and {n_legit} legitimate orders "
            f"(need {min_fraud} and {min_legit}); the rules alone keep scoring"
        )
    from maillon.fraud.scoring import train

    period = (
        (data.first.isoformat(), data.last.isoformat())
        if data.first is not None and data.last is not None
        else None
    )
    try:
        model = train(
            data.rows,
            data.labels,
            seed=seed,
            feature_names=FEATURE_NAMES,
            times=data.times,
            costs=config.costs,
            data_period=period,
        )
    except ValueError as exc:
        raise NotEnoughLabels(f"cannot train on these labels: {exc}") from None
    now = clock.now()
    version, card = _store(
        db, model, data, actor=actor, now=now, mature_days=mature_days, activate=activate
    )
    markdown = card_markdown(card, active=activate)
    files = _write_files(out_dir, version, markdown, card, model)
    return TrainResult(version, card, markdown, files)


def _fmt(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"


def card_markdown(card: dict[str, Any], *, active: bool = True) -> str:
    """Return the model card as Markdown: data period, counts, the model chosen and why,
    validation ROC-AUC and PR-AUC, calibration, costs and thresholds."""
    period = card.get("data_period") or ["?", "?"]
    th = card.get("thresholds") or {}
    costs = card.get("costs") or {}
    labels = card.get("labels") or {}
    calibration = card.get("calibration") or {}
    lines = [
        f"# Fraud model {card.get('version', '?')}" + (" (active)" if active else ""),
        "",
        f"- Trained: {card.get('trained_at', '?')} by {card.get('trained_by', '?')}",
        f"- Model: {card.get('model', '?')}, chosen among "
        f"{len(card.get('candidates') or [])} candidates by its mean PR-AUC "
        f"({_fmt(card.get('validation_pr_auc'))}) over {len(card.get('folds') or [])} "
        f"time-ordered validation blocks; seed {card.get('seed', '?')}",
        f"- Data period: {period[0]} to {period[1]}",
        f"- Orders: {card.get('n_samples', '?')} labelled, {card.get('n_fraud', '?')} fraud "
        f"({labels.get('legitimate', '?')} legitimate; unreviewed orders count as legitimate "
        f"after {labels.get('mature_days', '?')} days without a chargeback)",
        f"- Last validation block: {card.get('n_validation', '?')} orders, "
        f"{card.get('n_validation_fraud', '?')} fraud; ROC-AUC {_fmt(card.get('roc_auc'))}, "
        f"PR-AUC (average precision) {_fmt(card.get('pr_auc'))}",
        f"- Calibration: {calibration.get('kind', 'none')} ({calibration.get('rule', '')})",
        f"- Costs: missed fraud {costs.get('missed_fraud', '?')}, review "
        f"{costs.get('review', '?')}, refused good order {costs.get('refused_good', '?')}",
        f"- Thresholds (lowest observed cost on the validation block): review at "
        f"{_fmt(th.get('review'), 4)}, reject at {_fmt(th.get('reject'), 4)}",
        "",
        "The rules layer still runs with the model and can only escalate its decision.",
        "",
    ]
    return "\n".join(lines)


def list_models(*, session: Session) -> Sequence[FraudModelRecord]:
    """Return every trained model, newest first."""
    return session.scalars(select(FraudModelRecord).order_by(FraudModelRecord.id.desc())).all()


def active_model(*, session: Session) -> FraudModelRecord | None:
    """Return the active model, or ``None`` when the rules decide alone."""
    return session.scalar(
        select(FraudModelRecord)
        .where(FraudModelRecord.active == true())
        .order_by(FraudModelRecord.id.desc())
        .limit(1)
    )


def activate_model(*, session: Session, version: str | None) -> FraudModelRecord | None:
    """Make model ``version`` the active one (``None``: no model, the rules alone).

    Raises NotFound (field ``version``).
    """
    target = None
    if version is not None:
        target = session.scalar(select(FraudModelRecord).where(FraudModelRecord.version == version))
        if target is None:
            raise NotFound("fraud model", version, field="version")
    active = select(FraudModelRecord).where(FraudModelRecord.active == true())
    for record in session.scalars(active):
        record.active = False
    if target is not None:
        target.active = True
    session.flush()
    return target
