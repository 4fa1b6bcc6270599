"""Fraud use cases: scoring at intake, the review queue, labels, training and settings.

Every new order is scored inside its own write transaction by :func:`on_order_created`
(subscribed to ``order.created``): one query reads the velocity, reuse and history counters
of the order's customer, e-mail, card, IP, device and shipping address together with the
rules revision and the active model id; the features, the rules and (when one is active)
the LightGBM model decide; the storefront signals and the assessment are inserted.  That is
three statements and well under a millisecond of CPU without a model.  A scoring problem
never fails the order: it is logged, recorded on the assessment and the order is accepted.

Routing: ``accept`` does nothing; ``review`` puts the order in the review queue
(:func:`list_reviews`, :func:`decide`); ``reject`` does the same unless
``MAILLON_FRAUD_AUTO_REJECT`` is on (``1``/``true``/``yes``), in which case the order is
cancelled with reason "fraud" in its own transaction, and the answer to the caller says so
(an order allocated at intake publishes ``order.created`` before taking its units and takes
none once cancelled; one allocated step by step publishes it after, and the cancellation
releases them).

Labels: an analyst's decision (:func:`decide`) and chargebacks (:func:`record_chargeback`)
mark orders as fraud or legitimate; :mod:`maillon.fraud.service.training` learns from them and
activates the model, which every API worker notices on its next order.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from maillon.core import clock
from maillon.core.db import insert_now
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from maillon.core.geo import locate_fr
from maillon.fraud.costs import DEFAULT_COSTS, Costs
from maillon.fraud.features import (
    FEATURE_NAMES,
    VELOCITY_WINDOWS,
    ActivityCounters,
    CustomerHistory,
    GeoPoint,
    OrderFeatures,
    compute_features,
)
from maillon.fraud.features import Order as FeatureOrder
from maillon.fraud.model import ReviewStatus
from maillon.fraud.rules import DEFAULT_RULES, Rule, RuleSet
from maillon.fraud.tables import (
    FraudAssessment,
    FraudChargeback,
    FraudModelRecord,
    FraudReview,
    FraudSettings,
    FraudSignals,
)
from maillon.orders import service as orders
from maillon.orders.tables import Customer, Order

if TYPE_CHECKING:  # the model stack (LightGBM, scikit-learn) loads only when needed
    from maillon.fraud.scoring import FraudModel

log = logging.getLogger(__name__)

AUTO_REJECT_ENV = "MAILLON_FRAUD_AUTO_REJECT"
DECISIONS = ("accept", "review", "reject")
REVIEW_STATUSES = tuple(ReviewStatus)
ANALYST_DECISIONS = ("approve", "reject")
REUSE_WINDOW = timedelta(days=90)
"""How far back address, device and card reuse across accounts is looked for."""
SYSTEM_ACTOR = "system:fraud"
_SETTINGS_ID = 1

# Local time per shipping country, for the risky-hours feature (others: UTC).
_COUNTRY_TZ = {
    "FR": "Europe/Paris",
    "BE": "Europe/Brussels",
    "LU": "Europe/Luxembourg",
    "CH": "Europe/Zurich",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam",
    "PT": "Europe/Lisbon",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "MC": "Europe/Monaco",
}


def auto_reject_enabled() -> bool:
    """Return whether orders scored ``reject`` are cancelled at intake (env, default off)."""
    return os.environ.get(AUTO_REJECT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class FraudConfig:
    """The rules configuration: the rule set (with its thresholds on the rules score), the
    decision costs that set the active model's review and reject thresholds, and optional
    fixed overrides of those thresholds."""

    rules: RuleSet = DEFAULT_RULES
    model_review_at: float | None = None
    model_reject_at: float | None = None
    costs: Costs = DEFAULT_COSTS

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (the body of ``PUT /api/v1/fraud/settings``)."""
        return {
            **self.rules.to_dict(),
            "model_review_at": self.model_review_at,
            "model_reject_at": self.model_reject_at,
            "costs": self.costs.to_dict(),
        }


def _parse_costs(data: Any, errors: ErrorCollector) -> Costs:
    """The ``costs`` of a configuration (defaults when absent); errors name ``costs.<field>``."""
    if data is None:
        return DEFAULT_COSTS
    if not isinstance(data, dict):
        errors.add("costs", "must be an object with missed_fraud, review and refused_good")
        return DEFAULT_COSTS
    try:
        return Costs.from_dict(data)
    except ValueError as exc:
        name, _, message = str(exc).partition(": ")
        errors.add(f"costs.{name}", message or str(exc))
        return DEFAULT_COSTS


def parse_config(data: Any) -> FraudConfig:
    """Return the configuration in ``data``. Raises ValidationError naming the field."""
    if not isinstance(data, dict):
        raise ValidationError(FieldError("body", "must be a JSON object"))
    errors = ErrorCollector()
    known = {"rules", "review_at", "reject_at", "model_review_at", "model_reject_at", "costs"}
    for key in sorted(set(data) - known):
        errors.add(key, "unknown field")
    costs = _parse_costs(data.get("costs"), errors)
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or not rules_data:
        errors.add("rules", "must be a non-empty list of rules")
    else:
        for i, rule in enumerate(rules_data):
            if not isinstance(rule, dict):
                errors.add(f"rules.{i}", "must be an object")
                continue
            try:
                Rule.from_dict(rule)
            except (ValueError, TypeError) as exc:
                errors.add(f"rules.{i}", str(exc))
    bounds: dict[str, float | None] = {}
    for key in ("review_at", "reject_at", "model_review_at", "model_reject_at"):
        value = data.get(key)
        if value is None:
            bounds[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.add(key, "must be a number between 0 and 1")
        elif not 0.0 <= float(value) <= 1.0:
            errors.add(key, "must be between 0 and 1")
        else:
            bounds[key] = float(value)
    errors.raise_if_any()
    review_at = bounds.get("review_at") or DEFAULT_RULES.review_at
    reject_at = bounds.get("reject_at") or DEFAULT_RULES.reject_at
    if not 0.0 < review_at <= reject_at:
        raise ValidationError(FieldError("review_at", "need 0 < review_at <= reject_at <= 1"))
    m_review, m_reject = bounds.get("model_review_at"), bounds.get("model_reject_at")
    if (m_review is None) != (m_reject is None):
        raise ValidationError(
            FieldError("model_review_at", "give both model thresholds, or neither")
        )
    if m_review is not None and m_reject is not None and m_review > m_reject:
        raise ValidationError(FieldError("model_review_at", "must be <= model_reject_at"))
    try:
        rules = RuleSet.from_dict(
            {"rules": rules_data, "review_at": review_at, "reject_at": reject_at}
        )
    except ValueError as exc:
        raise ValidationError(FieldError("rules", str(exc))) from None
    return FraudConfig(rules, m_review, m_reject, costs)


def get_config(*, session: Session) -> tuple[FraudConfig, int]:
    """Return the configuration in force and its revision (0 = the shipped defaults)."""
    row = session.get(FraudSettings, _SETTINGS_ID)
    if row is None:
        return FraudConfig(), 0
    return parse_config(row.config), row.revision


def set_config(*, session: Session, data: Any, actor: str) -> tuple[FraudConfig, int]:
    """Validate and store a new configuration; return it and its revision.

    Raises ValidationError naming the offending field (nothing is stored then); fixed model
    thresholds must leave a review band (an older stored configuration without one still
    reads).
    """
    config = parse_config(data)
    m_review, m_reject = config.model_review_at, config.model_reject_at
    if m_review is not None and m_reject is not None and m_review >= m_reject:
        raise ValidationError(
            FieldError("model_review_at", "must be below model_reject_at (a review band)")
        )
    row = session.get(FraudSettings, _SETTINGS_ID)
    now = clock.now()
    if row is None:
        row = FraudSettings(
            id=_SETTINGS_ID, revision=1, config=config.to_dict(), updated_at=now, updated_by=actor
        )
        session.add(row)
    else:
        row.revision += 1
        row.config = config.to_dict()
        row.updated_at = now
        row.updated_by = actor
    session.flush()
    return config, row.revision


def set_costs(*, session: Session, data: Any, actor: str) -> tuple[FraudConfig, int]:
    """Change only the decision costs in force (the active model's thresholds follow from the
    next order); return the configuration and its revision. Raises ValidationError naming
    ``costs.<field>`` (nothing is stored then)."""
    config, _revision = get_config(session=session)
    return set_config(session=session, data={**config.to_dict(), "costs": data}, actor=actor)


@dataclass
class _Scorer:
    """What one process scores with, for one database: reloaded when the revision of the
    settings or the active model id read with the features changes."""

    revision: int | None = None
    config: FraudConfig = field(default_factory=FraudConfig)
    model_id: int | None = None
    model: FraudModel | None = None
    model_version: str | None = None
    model_error: str | None = None


_scorers: dict[str, _Scorer] = {}


def _scorer_for(session: Session, revision: int | None, model_id: int | None) -> _Scorer:
    key = str(session.get_bind().engine.url)
    scorer = _scorers.get(key)
    if scorer is None:
        scorer = _scorers[key] = _Scorer()
    if scorer.revision != revision:
        row = session.get(FraudSettings, _SETTINGS_ID) if revision is not None else None
        try:
            scorer.config = parse_config(row.config) if row is not None else FraudConfig()
        except ValidationError as exc:  # never fail an order on a broken configuration
            log.error("fraud settings revision %s unusable (%s): default rules", revision, exc)
            scorer.config = FraudConfig()
        scorer.revision = revision
        scorer.model_id = -1  # re-apply threshold overrides to the model
    if scorer.model_id != model_id:
        scorer.model, scorer.model_version, scorer.model_error = None, None, None
        if model_id is not None:
            record = session.get(FraudModelRecord, model_id)
            try:
                from maillon.fraud.scoring import FraudModel, Thresholds

                if record is None:
                    raise LookupError("the model row vanished")
                model = FraudModel.from_json(record.artifact)
                cfg = scorer.config
                if cfg.model_review_at is not None and cfg.model_reject_at is not None:
                    model.thresholds = Thresholds(cfg.model_review_at, cfg.model_reject_at)
                else:  # the costs in force, on the model's validation probabilities
                    model.thresholds = model.thresholds_for(cfg.costs)
                scorer.model, scorer.model_version = model, record.version
            except Exception as exc:  # a broken artifact: the rules alone run
                log.exception("fraud model %s cannot be loaded: the rules alone run", model_id)
                scorer.model_error = f"model {model_id} not loaded: {exc}"[:300]
        scorer.model_id = model_id
    return scorer


def forget_cached_scorers() -> None:
    """Drop every process-level scorer cache (tests; the next order reloads)."""
    _scorers.clear()


# --------------------------------------------------------------------------- intake scoring


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def address_key(line1: str, line2: str, postcode: str, country: str) -> str:
    """Return a normalised shipping address (accents, case and punctuation folded)."""
    return f"{country.upper()}|{postcode.strip().upper()}|{_norm(line1)}|{_norm(line2)}"[:300]


def _utc_offset_minutes(country: str, at: datetime) -> int | None:
    tz = _COUNTRY_TZ.get(country.upper())
    if tz is None:
        return None
    offset = ZoneInfo(tz).utcoffset(at.replace(tzinfo=None))
    return int(offset.total_seconds() // 60) if offset is not None else None


def _billing_point(signals: dict[str, Any]) -> GeoPoint | None:
    postcode = signals.get("billing_postcode")
    country = (signals.get("billing_country") or "FR").upper()
    if not postcode or country != "FR":
        return None
    commune = locate_fr(str(postcode))
    if commune is None or commune.lat is None or commune.lon is None:
        return None
    return GeoPoint(commune.lat, commune.lon)


# a short alias and inline 1 / 0: the statement stays under psycopg's 4 kB, so psycopg caches
# its conversion and PostgreSQL its plan (a longer text is parsed and planned on every order)
_S = aliased(FraudSignals, name="s")
_ONE, _ZERO = literal_column("1"), literal_column("0")
_STATEMENT: Any = None
_VELOCITY = (
    ("customer", _S.customer_id, "c"),
    ("email", _S.email, "e"),
    ("card", _S.card_fingerprint, "k"),
    ("ip", _S.ip, "i"),
    ("device", _S.device_id, "d"),
)


def _counters_statement() -> Any:
    """The one query of intake scoring, built once: velocity per key and window, accounts
    sharing the address / device / card, the customer's history and chargebacks, the
    settings revision and the active model id."""
    global _STATEMENT
    if _STATEMENT is not None:
        return _STATEMENT
    p: dict[str, Any] = {name: bindparam(name) for name in ("c", "e", "k", "i", "d", "a", "since")}
    windows: list[Any] = [bindparam(f"w{j}") for j in range(len(VELOCITY_WINDOWS))]
    columns: list[Any] = []
    for key, column, param in _VELOCITY:
        for j, start in enumerate(windows):
            columns.append(
                func.sum(
                    case((and_(column == p[param], _S.created_at >= start), _ONE), else_=_ZERO)
                ).label(f"{key}_{j}")
            )
    other = _S.customer_id != p["c"]
    for name, column, param in (
        ("address_accounts", _S.address_key, "a"),
        ("device_accounts", _S.device_id, "d"),
        ("card_accounts", _S.card_fingerprint, "k"),
    ):
        columns.append(
            func.count(distinct(case((and_(column == p[param], other), _S.customer_id)))).label(
                name
            )
        )
    mine = _S.customer_id == p["c"]
    amount = cast(_S.amount_cents, Float)
    columns += [
        func.sum(case((mine, _ONE), else_=_ZERO)).label("n_orders"),
        func.avg(case((mine, amount))).label("mean"),
        func.avg(case((mine, amount * amount))).label("mean_sq"),
        func.max(case((mine, _S.amount_cents))).label("max"),
        select(func.count(FraudChargeback.id))
        .where(FraudChargeback.customer_id == p["c"])
        .scalar_subquery()
        .label("chargebacks"),
        select(FraudSettings.revision)
        .where(FraudSettings.id == _SETTINGS_ID)
        .scalar_subquery()
        .label("revision"),
        select(func.max(FraudModelRecord.id))
        .where(FraudModelRecord.active == true())
        .scalar_subquery()
        .label("model_id"),
    ]
    shared = or_(
        _S.email == p["e"],
        _S.card_fingerprint == p["k"],
        _S.ip == p["i"],
        _S.device_id == p["d"],
        _S.address_key == p["a"],
    )
    _STATEMENT = select(*columns).where(or_(mine, and_(shared, _S.created_at >= p["since"])))
    return _STATEMENT


def _json_features(features: OrderFeatures) -> dict[str, float | None]:
    return {
        name: (None if math.isnan(value) else round(value, 6))
        for name, value in zip(FEATURE_NAMES, features.values(), strict=True)
    }


def _clean(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


def _signals_row(order: Order, signals: dict[str, Any]) -> FraudSignals:
    """The signals of ``order`` as stored: the customer, the cleaned checkout signals, the
    normalised delivery address key and the amount."""
    customer = order.customer
    now = order.created_at
    key = address_key(order.ship_line1, order.ship_line2, order.ship_postcode, order.ship_country)
    return FraudSignals(
        order_id=order.id,
        customer_id=customer.id,
        email=customer.email.strip().lower(),
        ip=_clean(signals.get("ip"), 45),
        device_id=_clean(signals.get("device_id"), 100),
        card_fingerprint=_clean(signals.get("card_fingerprint"), 100),
        address_key=key,
        billing_postcode=_clean(signals.get("billing_postcode"), 12),
        billing_country=(_clean(signals.get("billing_country"), 2) or "").upper() or None,
        session_id=_clean(signals.get("session_id"), 100),
        user_agent=_clean(signals.get("user_agent"), 300),
        amount_cents=order.total_cents,
        created_at=now,
    )


def _review_status(decision: str) -> tuple[str | None, bool]:
    """Return the review status a decision opens and whether the order is cancelled: a reject
    cancels only when automatic rejection is enabled, else an analyst reviews it."""
    review_status: str | None = None
    cancel = False
    if decision == "review":
        review_status = ReviewStatus.OPEN.value
    elif decision == "reject":
        if auto_reject_enabled():
            review_status = ReviewStatus.REJECTED.value
            cancel = True
        else:
            review_status = ReviewStatus.OPEN.value
    return review_status, cancel


def on_order_created(session: Session, payload: dict[str, Any]) -> None:
    """Domain-event handler: score a new order and route it (see the module docstring).

    Runs inside the order's transaction; never raises for a scoring problem.
    """
    started = time.perf_counter()
    order = session.get(Order, int(payload["order_id"]))
    if order is None:
        return
    raw = payload.get("signals") or {}
    signals = raw if isinstance(raw, dict) else {}
    customer = order.customer
    now = order.created_at
    row = _signals_row(order, signals)
    key = row.address_key
    params: dict[str, Any] = {
        "c": customer.id,
        "e": row.email,
        "k": row.card_fingerprint,
        "i": row.ip,
        "d": row.device_id,
        "a": key,
        "since": now - REUSE_WINDOW,
    }
    for j, (_label, length) in enumerate(VELOCITY_WINDOWS):
        params[f"w{j}"] = now - length
    with session.no_autoflush:
        # through the connection: the ORM's per-column row processing cost more than the query
        counts = session.connection().execute(_counters_statement(), params).one()
        scorer = _scorer_for(session, counts.revision, counts.model_id)
    error = scorer.model_error
    try:
        features = _features(order, row, signals, customer, counts)
        score, decision, reasons, fired = _decide(features, scorer)
        feature_json = _json_features(features)
    except Exception as exc:  # a scoring problem never fails the order
        log.exception("fraud scoring failed for order %s: accepted", order.id)
        score, decision, reasons, fired, feature_json = 0.0, "accept", [], [], {}
        error = f"scoring failed: {exc}"[:300]
    review_status, cancel = _review_status(decision)
    insert_now(session, [row])  # cheaper than a flush: the order intake's hot path
    insert_now(
        session,
        [
            FraudAssessment(
                order_id=order.id,
                score=round(score, 6),
                decision=decision,
                reasons=reasons,
                rules_fired=fired,
                features=feature_json,
                model_version=scorer.model_version,
                latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                review_status=review_status,
                error=error,
                assessed_at=now,
            )
        ],
    )
    if cancel:  # releases what the order took, if anything (see the module docstring)
        try:
            orders.cancel_order(
                session=session, number=order.number, reason="fraud", actor=SYSTEM_ACTOR
            )
        except InvalidTransition:
            log.warning("order %s scored reject could not be cancelled", order.number)


def _features(
    order: Order, row: FraudSignals, signals: dict[str, Any], customer: Customer, counts: Any
) -> OrderFeatures:
    n_windows = len(VELOCITY_WINDOWS)
    per_key = {
        key: tuple(int(getattr(counts, f"{key}_{j}") or 0) for j in range(n_windows))
        for key, _column, _param in _VELOCITY
    }
    activity = ActivityCounters(
        **per_key,
        address_accounts=int(counts.address_accounts or 0),
        device_accounts=int(counts.device_accounts or 0),
        card_accounts=int(counts.card_accounts or 0),
    )
    n = int(counts.n_orders or 0)
    created = clock.as_utc(customer.created_at)
    if n:
        mean = float(counts.mean) / 100.0
        var = max(0.0, float(counts.mean_sq) / 10_000.0 - mean * mean)
        history = CustomerHistory(
            min(created, order.created_at),
            n,
            mean,
            math.sqrt(var),
            float(counts.max) / 100.0,
            int(counts.chargebacks or 0),
        )
    else:
        history = CustomerHistory(
            min(created, order.created_at), 0, n_chargebacks=int(counts.chargebacks or 0)
        )
    shipping = (
        GeoPoint(order.ship_lat, order.ship_lon)
        if order.ship_lat is not None and order.ship_lon is not None
        else None
    )
    target = FeatureOrder(
        order_id=str(order.id),
        email=row.email,
        amount=order.total_cents / 100.0,
        created_at=order.created_at,
        customer_id=str(customer.id),
        card_fingerprint=row.card_fingerprint,
        ip=row.ip,
        device_id=row.device_id,
        billing=_billing_point(signals),
        shipping=shipping,
        shipping_address_key=row.address_key,
        utc_offset_minutes=_utc_offset_minutes(order.ship_country, order.created_at),
        n_items=max(1, sum(line.quantity for line in order.lines)),
    )
    return compute_features(target, history, activity)


def _decide(features: OrderFeatures, scorer: _Scorer) -> tuple[float, str, list[str], list[str]]:
    """Return (score, decision, reasons, rules fired): the rules alone, or with the model."""
    rules = scorer.config.rules
    if scorer.model is None:
        result = rules.evaluate(features)
        return result.score, rules.decision(result.score), list(result.reasons), list(result.fired)
    from maillon.fraud.scoring import assess

    verdict = assess(features, model=scorer.model, rules=rules)
    return (
        verdict.probability,
        verdict.decision.value,
        list(verdict.reasons),
        list(verdict.rules.fired),
    )


def install() -> None:
    """Wire fraud scoring into order intake (called once by ``maillon.bootstrap``)."""
    from maillon.core import outbox

    outbox.subscribe("order.created", on_order_created)
    # an order waiting for an analyst is allocated (its stock kept) but not picked
    orders.register_floor_block(
        "fraud review",
        lambda: (
            select(FraudAssessment.order_id)
            .where(
                FraudAssessment.order_id == Order.id,
                FraudAssessment.review_status == ReviewStatus.OPEN,
            )
            .exists()
        ),
    )


# --------------------------------------------------------------------------- review queue


@dataclass(frozen=True)
class ReviewItem:
    """An assessed order with what the analyst needs to see."""

    assessment: FraudAssessment
    order: Order
    signals: FraudSignals | None


def _item_query() -> Any:
    return (
        select(FraudAssessment, Order, FraudSignals)
        .join(Order, Order.id == FraudAssessment.order_id)
        .outerjoin(FraudSignals, FraudSignals.order_id == FraudAssessment.order_id)
    )


def list_reviews(
    *,
    session: Session,
    status: str | None = "open",
    decision: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReviewItem], int]:
    """Return one page of assessed orders, oldest first, and the total.

    ``status`` filters on the review state (``open`` = the queue; ``None`` = any assessed
    order), ``decision`` on the score's decision. Raises ValidationError on unknown values.
    """
    errors = ErrorCollector()
    if status is not None and status not in REVIEW_STATUSES:
        errors.add("status", f"one of {', '.join(REVIEW_STATUSES)}")
    if decision is not None and decision not in DECISIONS:
        errors.add("decision", f"one of {', '.join(DECISIONS)}")
    errors.raise_if_any()
    conditions = []
    if status is not None:
        conditions.append(FraudAssessment.review_status == status)
    if decision is not None:
        conditions.append(FraudAssessment.decision == decision)
    total = (
        session.scalar(select(func.count()).select_from(FraudAssessment).where(*conditions)) or 0
    )
    rows = session.execute(
        _item_query()
        .where(*conditions)
        .order_by(FraudAssessment.assessed_at, FraudAssessment.order_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [ReviewItem(a, o, s) for a, o, s in rows], total


def get_assessment(*, session: Session, number: str) -> ReviewItem:
    """Return the assessment of order ``number``. Raises NotFound (field ``number``)."""
    order = orders.get_order(session=session, number=number)
    row = session.execute(_item_query().where(FraudAssessment.order_id == order.id)).first()
    if row is None:
        raise NotFound("fraud assessment of order", number, field="number")
    return ReviewItem(row[0], row[1], row[2])


def reviews_of(*, session: Session, order_id: int) -> Sequence[FraudReview]:
    """Return the analyst decisions on an order, oldest first."""
    return session.scalars(
        select(FraudReview).where(FraudReview.order_id == order_id).order_by(FraudReview.id)
    ).all()


def decide(
    *, session: Session, number: str, decision: str, analyst: str, note: str = ""
) -> ReviewItem:
    """Record an analyst's ``approve`` or ``reject`` on an order of the review queue.

    ``reject`` cancels the order (reason "fraud", stock released, customer told).
    Raises ValidationError (decision), NotFound (order or assessment), Conflict when the
    order is not waiting for review, InvalidTransition when it can no longer be cancelled.
    """
    if decision not in ANALYST_DECISIONS:
        raise ValidationError(FieldError("decision", "one of approve, reject"))
    item = get_assessment(session=session, number=number)
    assessment = item.assessment
    if assessment.review_status != ReviewStatus.OPEN:
        raise Conflict(
            f"order {item.order.number} is not waiting for review "
            f"(scored {assessment.decision}, review {assessment.review_status or 'none'})"
        )
    note = (note or "").strip()[:500]
    if decision == "reject":
        orders.cancel_order(
            session=session,
            number=item.order.number,
            reason=f"fraud: {note}" if note else "fraud",
            actor=analyst,
        )
    assessment.review_status = (
        ReviewStatus.APPROVED if decision == "approve" else ReviewStatus.REJECTED
    ).value
    session.add(
        FraudReview(
            order_id=item.order.id,
            decision=decision,
            analyst=analyst[:120],
            note=note,
            decided_at=clock.now(),
        )
    )
    orders.add_note(
        session=session,
        number=item.order.number,
        note=f"fraud review: {decision}" + (f" ({note})" if note else ""),
        actor=analyst,
    )
    session.flush()
    return item


# --------------------------------------------------------------------------- chargebacks


def record_chargeback(
    *,
    session: Session,
    number: str,
    amount_cents: int,
    actor: str,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> tuple[FraudChargeback, bool]:
    """Record a chargeback on order ``number``; return it and whether it is new.

    One chargeback per order: a replay returns the first. Raises NotFound (``order``),
    ValidationError (amount over the order total, a date in the future or before the order).
    """
    order = orders.get_order(session=session, number=number, field="order")
    existing = session.scalar(select(FraudChargeback).where(FraudChargeback.order_id == order.id))
    if existing is not None:
        return existing, False
    now = clock.now()
    at = clock.as_utc(occurred_at) if occurred_at is not None else now
    errors = ErrorCollector()
    if amount_cents < 1 or amount_cents > order.total_cents:
        errors.add("amount_cents", f"must be between 1 and the order total ({order.total_cents})")
    if at > now + timedelta(minutes=5):
        errors.add("occurred_at", "is in the future")
    elif at < clock.as_utc(order.created_at):
        errors.add("occurred_at", "is before the order was placed")
    errors.raise_if_any()
    chargeback = FraudChargeback(
        order_id=order.id,
        customer_id=order.customer_id,
        amount_cents=amount_cents,
        currency=order.currency,
        reason=(reason or "").strip()[:200],
        occurred_at=at,
        recorded_at=now,
        recorded_by=actor[:120],
    )
    session.add(chargeback)
    session.flush()
    return chargeback, True
