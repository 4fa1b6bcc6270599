"""Acquisition use cases: storefront event ingestion and the conversion funnel.

:func:`ingest_events` takes a batch of raw events (parsed JSON), validates each one and
stores the good ones, idempotently by the client's ``event_id``; every bad event is named
``events.N.field``, like the orders CSV import names its rows.  :func:`funnel` computes the
funnel with SQL aggregates (sessions grouped in the database, one row per depth and
breakdown key comes back), then :func:`maillon.acquisition.funnel.report_from_depths` turns
the counts into steps, conversion and abandonment.

A session is the storefront's ``session_id``; its device, channel and landing page are those
of its first event (the landing page is the event's ``landing_page`` if the tag sent one,
else its ``page``); its cart value is the largest value seen on its cart, checkout and
purchase events.  Each session is summed up in ``storefront_sessions`` as its events are
stored, so the funnel reads one row per session; a session counts in the period its first
event falls in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, literal, select, text
from sqlalchemy.orm import Session

from maillon.acquisition.funnel import (
    BREAKDOWNS,
    EventType,
    FunnelReport,
    funnel_stages,
    generate_events,
    report_from_depths,
)
from maillon.acquisition.tables import StorefrontEvent, StorefrontSession
from maillon.core import clock
from maillon.core.errors import ErrorCollector, FieldError, ValidationError

MAX_BATCH = 1000
MAX_CHECKOUT_STEPS = 10
MAX_PERIOD = timedelta(days=400)
MAX_GROUPS = 100
_TYPES = frozenset(t.value for t in EventType)
_STRINGS = {  # field: (max length, required)
    "event_id": (100, True),
    "session_id": (100, True),
    "anonymous_id": (100, True),
    "device": (40, False),
    "channel": (60, False),
    "page": (300, False),
    "landing_page": (300, False),
    "product_sku": (64, False),
    "customer_email": (320, False),
}
_FIELDS = frozenset(_STRINGS) | {"type", "occurred_at", "step", "value_cents", "properties"}
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_PROPERTIES_MAX = 4000


@dataclass(frozen=True)
class EventError:
    """One rejected event: its index in the batch, the field (``events.N.field``), why."""

    index: int
    field: str
    message: str


@dataclass(frozen=True)
class IngestReport:
    """What a batch did: events received, newly stored, already known, and every error."""

    received: int
    stored: int
    duplicates: int
    errors: list[EventError]

    @property
    def rejected(self) -> int:
        """Number of events refused (an event with several bad fields counts once)."""
        return len({e.index for e in self.errors})


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return None
        return parsed.astimezone(UTC)
    return None


def _strings(raw: dict[str, Any], bad: Callable[[str, str], None]) -> dict[str, Any]:
    """Return the event's text fields, stripped (None when empty); ``bad`` the others."""
    row: dict[str, Any] = {}
    for name, (limit, required) in _STRINGS.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                bad(name, "is required")
            row[name] = None
            continue
        if not isinstance(value, str):
            bad(name, "must be a string")
            continue
        text = value.strip()
        if len(text) > limit:
            bad(name, f"at most {limit} characters")
            continue
        row[name] = text
    return row


def _step(raw: dict[str, Any], kind: Any, bad: Callable[[str, str], None]) -> Any:
    """Return the event's checkout step (0 when none); ``bad`` one that does not fit its type."""
    step = raw.get("step", 0)
    if step is None:
        step = 0
    if isinstance(step, bool) or not isinstance(step, int):
        bad("step", "must be an integer")
    elif kind == EventType.CHECKOUT_STEP.value and not 1 <= step <= MAX_CHECKOUT_STEPS:
        bad("step", f"a checkout_step needs a step between 1 and {MAX_CHECKOUT_STEPS}")
    elif kind != EventType.CHECKOUT_STEP.value and step != 0:
        bad("step", "only checkout_step events have a step")
    return step


def _properties(raw: dict[str, Any], bad: Callable[[str, str], None]) -> Any:
    """Return the event's properties ({} when none); ``bad`` them unless small plain JSON."""
    properties = raw.get("properties", {})
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        bad("properties", "must be an object")
    else:
        try:
            size = len(json.dumps(properties, allow_nan=False))
        except (TypeError, ValueError):
            bad("properties", "must hold plain JSON values")
        else:
            if size > _PROPERTIES_MAX:
                bad("properties", f"at most {_PROPERTIES_MAX} characters of JSON")
    return properties


def validate_event(
    raw: Any, index: int, now: datetime
) -> tuple[dict[str, Any] | None, list[EventError]]:
    """Return the row to store for one raw event, or ``None`` and its errors."""
    prefix = f"events.{index}"
    errors: list[EventError] = []

    def bad(name: str, message: str) -> None:
        errors.append(EventError(index, f"{prefix}.{name}" if name else prefix, message))

    if not isinstance(raw, dict):
        bad("", "must be an object")
        return None, errors
    for name in sorted(set(raw) - _FIELDS):
        bad(name, "unknown field")
    row = _strings(raw, bad)
    email = row.get("customer_email")
    if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@")):
        bad("customer_email", "is not an e-mail address")
    kind = raw.get("type")
    if kind not in _TYPES:
        bad("type", f"one of {', '.join(sorted(_TYPES))}")
    occurred = _parse_time(raw.get("occurred_at"))
    if occurred is None:
        bad("occurred_at", "an ISO 8601 time with its time zone, or POSIX seconds")
    elif occurred < _EARLIEST or occurred > now + timedelta(days=1):
        bad("occurred_at", "is not a plausible time (before 2000 or in the future)")
    step = _step(raw, kind, bad)
    value = raw.get("value_cents", 0)
    if value is None:
        value = 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000_000:
        bad("value_cents", "an integer number of cents between 0 and 1,000,000,000")
    properties = _properties(raw, bad)
    if errors:
        return None, errors
    row.update(
        type=kind,
        occurred_at=occurred,
        received_at=now,
        step=step,
        value_cents=value,
        properties=properties,
        device=(row["device"] or "unknown").lower(),
        channel=(row["channel"] or "unknown").lower(),
        page=row["page"] or "",
        customer_email=email.lower() if email else None,
    )
    return row, []


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _dialect_insert(session: Session) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store new events (an id already stored is skipped, even one a concurrent batch stored a
    moment ago) and fold the events really stored into their sessions."""
    insert = _dialect_insert(session)
    statement = (
        insert(StorefrontEvent)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(StorefrontEvent.event_id)
    )
    stored: set[str] = set()
    for chunk in _chunks(rows):
        stored.update(session.scalars(statement, list(chunk)).all())
    _fold_into_sessions(session, [r for r in rows if r["event_id"] in stored])


_CART_TYPES = (EventType.ADD_TO_CART.value, EventType.CHECKOUT_STEP.value)
_VALUE_TYPES = (*_CART_TYPES, EventType.PURCHASE.value)


def _fold_into_sessions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add newly stored events to their sessions' summaries (one upsert per 500 sessions).

    Flags and maxima only grow; the first event's device, channel and landing page win, so
    events arriving out of order or in several batches give the same summary.
    """
    if not rows:
        return
    summaries: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["occurred_at"]):
        kind, sid = r["type"], r["session_id"]
        s = summaries.get(sid)
        if s is None:
            s = summaries[sid] = {
                "session_id": sid,
                "first_at": r["occurred_at"],
                "last_at": r["occurred_at"],
                "device": r["device"],
                "channel": r["channel"],
                "landing_page": (r["landing_page"] or r["page"] or "")[:300],
                "product_view": 0,
                "cart": 0,
                "max_step": 0,
                "purchased": 0,
                "cart_cents": 0,
                "events": 0,
            }
        s["last_at"] = r["occurred_at"]
        s["events"] += 1
        if kind == EventType.PRODUCT_VIEW.value:
            s["product_view"] = 1
        if kind in _CART_TYPES:
            s["cart"] = 1
        if kind == EventType.CHECKOUT_STEP.value:
            s["max_step"] = max(s["max_step"], int(r["step"] or 0))
        if kind == EventType.PURCHASE.value:
            s["purchased"] = 1
        if kind in _VALUE_TYPES:
            s["cart_cents"] = max(s["cart_cents"], int(r["value_cents"] or 0))
    postgres = session.get_bind().dialect.name == "postgresql"
    bigger = func.greatest if postgres else func.max
    smaller = func.least if postgres else func.min
    statement = _dialect_insert(session)(StorefrontSession)
    new, old = statement.excluded, StorefrontSession.__table__.c
    earlier = new.first_at < old.first_at
    statement = statement.on_conflict_do_update(
        index_elements=["session_id"],
        set_={
            "first_at": smaller(old.first_at, new.first_at),
            "last_at": bigger(old.last_at, new.last_at),
            "device": case((earlier, new.device), else_=old.device),
            "channel": case((earlier, new.channel), else_=old.channel),
            "landing_page": case((earlier, new.landing_page), else_=old.landing_page),
            **{
                name: bigger(old[name], new[name])
                for name in ("product_view", "cart", "max_step", "purchased", "cart_cents")
            },
            "events": old.events + new.events,
        },
    )
    for chunk in _chunks(sorted(summaries.values(), key=lambda s: s["session_id"])):
        session.execute(statement, list(chunk))


REBUILD_SESSIONS = """
INSERT INTO storefront_sessions (session_id, first_at, last_at, device, channel, landing_page,
    product_view, cart, max_step, purchased, cart_cents, events)
SELECT s.session_id, s.first_at, s.last_at, f.device, f.channel, f.landing_page,
    s.product_view, s.cart, s.max_step, s.purchased, s.cart_cents, s.events
FROM (
    SELECT session_id, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at,
        MAX(CASE WHEN type = 'product_view' THEN 1 ELSE 0 END) AS product_view,
        MAX(CASE WHEN type IN ('add_to_cart', 'checkout_step') THEN 1 ELSE 0 END) AS cart,
        MAX(CASE WHEN type = 'checkout_step' AND step > 0 THEN step ELSE 0 END) AS max_step,
        MAX(CASE WHEN type = 'purchase' THEN 1 ELSE 0 END) AS purchased,
        MAX(CASE WHEN type IN ('add_to_cart', 'checkout_step', 'purchase')
            THEN value_cents ELSE 0 END) AS cart_cents,
        COUNT(*) AS events
    FROM storefront_events GROUP BY session_id
) s
JOIN (
    SELECT session_id, device, channel, COALESCE(landing_page, page) AS landing_page,
        ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY occurred_at, id) AS rn
    FROM storefront_events
) f ON f.session_id = s.session_id AND f.rn = 1
"""
"""Every session summed up again from its stored events (see :func:`rebuild_sessions`)."""


def rebuild_sessions(*, session: Session) -> int:
    """Sum every session up again from the stored events (after events were loaded around
    the service, e.g. a bulk import straight into the table); return the number of sessions."""
    session.execute(delete(StorefrontSession))
    session.execute(text(REBUILD_SESSIONS))
    return int(session.scalar(select(func.count()).select_from(StorefrontSession)) or 0)


def ingest_events(*, session: Session, events: Any) -> IngestReport:
    """Validate and store a batch of storefront events; return what was done.

    Good events are stored, bad ones named (``events.N.field``); an event whose id is
    already stored (or repeated in the batch) is a duplicate and stores nothing.
    Raises ValidationError (field ``events``) if the batch itself is not a list of 1 to
    1,000 events: then nothing is stored.
    """
    if not isinstance(events, list):
        raise ValidationError(FieldError("events", "must be a list of events"))
    if not events or len(events) > MAX_BATCH:
        raise ValidationError(FieldError("events", f"between 1 and {MAX_BATCH} events per batch"))
    now = clock.now()
    errors: list[EventError] = []
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(events):
        row, problems = validate_event(raw, i, now)
        if row is None:
            errors.extend(problems)
        else:
            rows.append(row)
    known: set[str] = set()
    ids = [r["event_id"] for r in rows]
    for chunk in _chunks(sorted(set(ids))):
        known.update(
            session.scalars(
                select(StorefrontEvent.event_id).where(StorefrontEvent.event_id.in_(chunk))
            )
        )
    fresh: list[dict[str, Any]] = []
    for row in rows:
        if row["event_id"] in known:
            continue
        known.add(row["event_id"])
        fresh.append(row)
    if fresh:
        _insert_ignoring_duplicates(session, fresh)
    return IngestReport(len(events), len(fresh), len(rows) - len(fresh), errors)


def store_generated_sessions(
    *, session: Session, n_sessions: int, seed: int, start: datetime, days: float = 30.0
) -> int:
    """Store the events of ``n_sessions`` sessions drawn by
    :func:`maillon.acquisition.funnel.generate_events` (calibrated on the Online Shoppers
    data set) from ``start`` over ``days``; return the number of events stored.

    Ids are derived from ``seed``, so running it twice stores nothing new. For the demo.
    Raises ValidationError on a naive ``start`` or a negative count.
    """
    if start.tzinfo is None:
        raise ValidationError(FieldError("start", "must be timezone-aware"))
    if n_sessions < 0 or days <= 0:
        raise ValidationError(FieldError("n_sessions", "need n_sessions >= 0 and days > 0"))
    events = generate_events(n_sessions, seed=seed, start=start.timestamp(), days=days)
    now = clock.now()
    rows: list[dict[str, Any]] = [
        {
            "event_id": f"gen{seed}-{i}",
            "type": e.type.value,
            "session_id": f"gen{seed}-{e.session_id}",
            "anonymous_id": f"gen{seed}-{e.anonymous_id}",
            "customer_email": None,
            "occurred_at": datetime.fromtimestamp(e.timestamp, tz=UTC),
            "received_at": now,
            "device": e.device,
            "channel": e.channel,
            "page": e.page,
            "landing_page": None,
            "product_sku": None,
            "step": e.step,
            "value_cents": round(e.cart_value * 100),
            "properties": {},
        }
        for i, e in enumerate(events)
    ]
    before = session.scalar(select(func.count()).select_from(StorefrontEvent)) or 0
    if rows:
        _insert_ignoring_duplicates(session, rows)
    after = session.scalar(select(func.count()).select_from(StorefrontEvent)) or 0
    return after - before


# --------------------------------------------------------------------------- funnel


@dataclass(frozen=True)
class FunnelGroup:
    """The funnel of one breakdown value (a device, channel or landing page)."""

    key: str
    report: FunnelReport


@dataclass(frozen=True)
class FunnelResult:
    """The funnel over a period, and per breakdown value when asked."""

    start: datetime
    end: datetime
    checkout_steps: int
    by: str | None
    overall: FunnelReport
    groups: list[FunnelGroup]


def funnel(
    *,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    checkout_steps: int = 3,
) -> FunnelResult:
    """Return the funnel of the sessions that started in ``[start, end)`` (default: the last
    30 days), overall and per ``by`` (device, channel or landing_page).

    Raises ValidationError naming ``from``, ``to``, ``by`` or ``checkout_steps``.
    """
    errors = ErrorCollector()
    end = clock.as_utc(end) if end is not None else clock.now()
    start = clock.as_utc(start) if start is not None else end - timedelta(days=30)
    if start >= end:
        errors.add("from", "must be before to")
    elif end - start > MAX_PERIOD:
        errors.add("from", f"the period is at most {MAX_PERIOD.days} days")
    if by is not None and by not in BREAKDOWNS:
        errors.add("by", f"one of {', '.join(BREAKDOWNS)}")
    if not 0 <= checkout_steps <= MAX_CHECKOUT_STEPS:
        errors.add("checkout_steps", f"between 0 and {MAX_CHECKOUT_STEPS}")
    errors.raise_if_any()
    n_stages = len(funnel_stages(checkout_steps))
    purchase = n_stages - 1
    x = StorefrontSession
    step = case((x.max_step > checkout_steps, checkout_steps), else_=x.max_step)
    depth = case(
        (x.purchased == 1, purchase),
        (x.max_step > 0, 2 + step),
        (x.cart == 1, 2),
        (x.product_view == 1, 1),
        else_=0,
    )
    key = getattr(x, by) if by is not None else literal("")
    abandoned = case((and_(depth >= 2, depth < purchase), x.cart_cents), else_=0)
    rows = session.execute(
        select(
            key.label("key"),
            depth.label("depth"),
            func.count().label("n"),
            func.sum(abandoned).label("abandoned"),
        )
        .where(x.first_at >= start, x.first_at < end)
        .group_by(key, depth)
    ).all()
    overall = [0] * n_stages
    overall_value = 0
    per_key: dict[str, tuple[list[int], list[int]]] = {}
    for k, depth, n, value in rows:
        overall[int(depth)] += int(n)
        overall_value += int(value or 0)
        if by is not None:
            depths, total = per_key.setdefault(str(k or ""), ([0] * n_stages, [0]))
            depths[int(depth)] += int(n)
            total[0] += int(value or 0)
    groups = [
        FunnelGroup(
            k,
            report_from_depths(
                depths, abandoned_value=float(value[0]), checkout_steps=checkout_steps
            ),
        )
        for k, (depths, value) in per_key.items()
    ]
    groups.sort(key=lambda g: (-g.report.sessions, g.key))
    return FunnelResult(
        start,
        end,
        checkout_steps,
        by,
        report_from_depths(
            overall, abandoned_value=float(overall_value), checkout_steps=checkout_steps
        ),
        groups[:MAX_GROUPS],
    )
