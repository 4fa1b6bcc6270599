"""Storefront event funnel: sessions, step conversion, abandonment, breakdowns.

Pure computations over ``Event`` values (what a storefront tag sends): ``page_view``,
``product_view``, ``add_to_cart``, ``checkout_step`` (with a step number 1..N) and
``purchase``, each with a session id, an anonymous visitor id, a POSIX timestamp, the
device, the channel, the page and the cart value.

* ``sessionize(events, timeout=1800)`` groups events by (anonymous id, session id) and splits
  a group where the visitor was idle longer than ``timeout`` seconds.  An empty session id
  means "not sessionised by the client": the anonymous id and the timeout decide alone.
* A session's *depth* is the deepest funnel stage it reached (``funnel_stages``: ``visit``,
  ``product_view``, ``add_to_cart``, ``checkout_1`` .. ``checkout_N``, ``purchase``).  A
  stage counts every session whose depth reaches it, so counts never increase from one
  stage to the next (a "buy now" purchase counts as having passed the cart and checkout).
* ``analyze(sessions)`` returns a ``FunnelReport``: sessions per stage, conversion from the
  previous stage and from the start, abandonment, the overall conversion rate and the
  cart-abandonment count and value (carts of sessions that did not buy).
* ``compute_funnel(events)`` does both and adds breakdowns by device, channel and landing
  page.
* ``generate_events(n_sessions, seed=...)`` draws realistic sessions from the calibration in
  ``calibration.json`` (shipped with the package), built by
  :func:`maillon.acquisition.calibration.build_calibration` from the UCI Online Shoppers
  Purchasing Intention data set (12,330 sessions, 15.5 % conversion).
"""

from __future__ import annotations

import bisect
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from operator import attrgetter
from typing import Any

__all__ = [
    "BREAKDOWNS",
    "CALIBRATION_FILE",
    "DEFAULT_TIMEOUT",
    "Event",
    "EventType",
    "FunnelAnalysis",
    "FunnelReport",
    "FunnelStep",
    "Session",
    "analyze",
    "breakdown",
    "compute_funnel",
    "funnel_stages",
    "generate_events",
    "load_calibration",
    "report_from_depths",
    "sessionize",
]

DEFAULT_TIMEOUT = 1800.0
"""Idle seconds after which a visitor's next event opens a new session (30 minutes)."""

BREAKDOWNS: tuple[str, ...] = ("device", "channel", "landing_page")
"""Session attributes ``breakdown`` can group by."""

CALIBRATION_FILE = "calibration.json"
"""Name of the shipped calibration resource in ``maillon.acquisition``."""


class EventType(StrEnum):
    """Kinds of storefront events."""

    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    ADD_TO_CART = "add_to_cart"
    CHECKOUT_STEP = "checkout_step"
    PURCHASE = "purchase"


_BASE_STAGE = {
    EventType.PAGE_VIEW: 0,
    EventType.PRODUCT_VIEW: 1,
    EventType.ADD_TO_CART: 2,
    EventType.CHECKOUT_STEP: 2,  # + step number
}


def funnel_stages(checkout_steps: int = 3) -> tuple[str, ...]:
    """Return the funnel stage names for ``checkout_steps`` checkout steps.

    Raises:
        ValueError: if ``checkout_steps < 0``.
    """
    if checkout_steps < 0:
        raise ValueError(f"checkout_steps must be >= 0, got {checkout_steps}.")
    return (
        "visit",
        "product_view",
        "add_to_cart",
        *(f"checkout_{k}" for k in range(1, checkout_steps + 1)),
        "purchase",
    )


@dataclass(frozen=True, slots=True)
class Event:
    """One storefront event.

    Attributes:
        session_id: the client's session id ("" when the client does not sessionise).
        anonymous_id: the visitor's anonymous id (cookie / device id).
        type: the event type.
        timestamp: POSIX seconds (UTC).
        device: device class or family ("mobile", "desktop", ...).
        channel: acquisition channel ("organic", "paid_search", ...).
        page: the page of the event; a session's first page is its landing page.
        cart_value: the cart's value after the event (>= 0; 0 when unknown).
        step: the checkout step number (>= 1) for ``checkout_step`` events, else 0.

    Raises:
        ValueError: on an empty anonymous id, a non-finite timestamp, a negative or
            non-finite cart value, or a step that does not match the type.
    """

    session_id: str
    anonymous_id: str
    type: EventType
    timestamp: float
    device: str = "unknown"
    channel: str = "unknown"
    page: str = ""
    cart_value: float = 0.0
    step: int = 0

    def __post_init__(self) -> None:
        if not self.anonymous_id:
            raise ValueError("an event needs an anonymous_id.")
        if not isinstance(self.type, EventType):
            object.__setattr__(self, "type", EventType(self.type))
        if not math.isfinite(self.timestamp):
            raise ValueError(f"timestamp must be finite, got {self.timestamp}.")
        if not (math.isfinite(self.cart_value) and self.cart_value >= 0):
            raise ValueError(f"cart_value must be finite and >= 0, got {self.cart_value}.")
        if (self.type is EventType.CHECKOUT_STEP) != (self.step >= 1) or self.step < 0:
            raise ValueError(
                f"step must be >= 1 for checkout_step events and 0 otherwise "
                f"(got type={self.type.value}, step={self.step})."
            )


@dataclass(frozen=True, slots=True)
class Session:
    """One visit, derived from its events by ``sessionize``.

    Attributes:
        session_id: the client's id, suffixed ``~k`` when an idle gap split it, or
            ``"<anonymous id>~k"`` when the client sent none.
        anonymous_id: the visitor.
        start, end: first and last event timestamps.
        device, channel, landing_page: from the first event.
        n_events: number of events.
        depth: index in ``funnel_stages(checkout_steps)`` of the deepest stage reached.
        cart_value: the last non-zero cart value seen (0 without a cart).
        purchased: whether the session contains a purchase.
    """

    session_id: str
    anonymous_id: str
    start: float
    end: float
    device: str
    channel: str
    landing_page: str
    n_events: int
    depth: int
    cart_value: float
    purchased: bool

    @property
    def duration(self) -> float:
        """Return the session's length in seconds."""
        return self.end - self.start


_ts = attrgetter("timestamp")


def sessionize(
    events: Iterable[Event], *, timeout: float = DEFAULT_TIMEOUT, checkout_steps: int = 3
) -> list[Session]:
    """Return the sessions of ``events`` (any order), sorted by start time.

    Raises:
        ValueError: if ``timeout <= 0``, ``checkout_steps < 0`` or an event's checkout step
            exceeds ``checkout_steps``.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout}.")
    n_stages = len(funnel_stages(checkout_steps))
    purchase_stage = n_stages - 1
    groups: defaultdict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in events:
        groups[(e.anonymous_id, e.session_id)].append(e)
    base = _BASE_STAGE
    purchase = EventType.PURCHASE
    out: list[Session] = []
    for (anon, sid), evs in groups.items():
        evs.sort(key=_ts)
        part = 0
        first = evs[0]
        last_t = first.timestamp
        depth = 0
        cart = 0.0
        bought = False
        count = 0
        for e in evs:
            t = e.timestamp
            if t - last_t > timeout:
                out.append(_session(sid, anon, part, first, last_t, count, depth, cart, bought))
                part += 1
                first, depth, cart, bought, count = e, 0, 0.0, False, 0
            last_t = t
            count += 1
            kind = e.type
            if kind is purchase:
                stage = purchase_stage
                bought = True
            else:
                stage = base[kind] + e.step
                if stage >= purchase_stage:
                    raise ValueError(
                        f"checkout step {e.step} exceeds checkout_steps={checkout_steps}."
                    )
            if stage > depth:
                depth = stage
            if e.cart_value > 0:
                cart = e.cart_value
        out.append(_session(sid, anon, part, first, last_t, count, depth, cart, bought))
    out.sort(key=attrgetter("start"))
    return out


def _session(
    sid: str,
    anon: str,
    part: int,
    first: Event,
    end: float,
    count: int,
    depth: int,
    cart: float,
    bought: bool,
) -> Session:
    name = (sid if part == 0 else f"{sid}~{part}") if sid else f"{anon}~{part}"
    return Session(
        name,
        anon,
        first.timestamp,
        end,
        first.device,
        first.channel,
        first.page,
        count,
        depth,
        cart,
        bought,
    )


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One funnel stage.

    Attributes:
        name: the stage name.
        sessions: sessions that reached the stage.
        conversion: share of the previous stage's sessions that reached this one, in [0, 1]
            (1 for the first stage; 0 when the previous stage is empty).
        abandonment: ``1 - conversion`` (0 for the first stage).
        from_start: share of all sessions that reached this stage.
    """

    name: str
    sessions: int
    conversion: float
    abandonment: float
    from_start: float


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """A funnel over a set of sessions.

    Attributes:
        steps: the stages, in funnel order (session counts never increase).
        sessions: number of sessions.
        purchases: sessions with a purchase.
        conversion_rate: ``purchases / sessions`` (0 without sessions).
        cart_sessions: sessions that added to cart.
        abandoned_carts: cart sessions without a purchase.
        cart_abandonment_rate: ``abandoned_carts / cart_sessions`` (0 without carts).
        abandoned_cart_value: total cart value of the abandoned carts.
    """

    steps: tuple[FunnelStep, ...]
    sessions: int
    purchases: int
    conversion_rate: float
    cart_sessions: int
    abandoned_carts: int
    cart_abandonment_rate: float
    abandoned_cart_value: float

    def step(self, name: str) -> FunnelStep:
        """Return the stage called ``name``.

        Raises:
            KeyError: if there is no such stage.
        """
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


class _Tally:
    __slots__ = ("abandoned_value", "depths", "purchases")

    def __init__(self, n_stages: int) -> None:
        self.depths = [0] * n_stages
        self.purchases = 0
        self.abandoned_value = 0.0

    def add(self, s: Session) -> None:
        self.depths[s.depth] += 1
        if s.purchased:
            self.purchases += 1
        elif s.depth >= 2:
            self.abandoned_value += s.cart_value

    def report(self, names: Sequence[str]) -> FunnelReport:
        reached = [0] * len(names)
        acc = 0
        for i in range(len(names) - 1, -1, -1):
            acc += self.depths[i]
            reached[i] = acc
        total = reached[0]
        steps = []
        for i, name in enumerate(names):
            previous = reached[i - 1] if i else reached[0]
            conv = reached[i] / previous if previous else (1.0 if i == 0 else 0.0)
            steps.append(
                FunnelStep(
                    name,
                    reached[i],
                    conv,
                    0.0 if i == 0 else 1.0 - conv,
                    reached[i] / total if total else 0.0,
                )
            )
        carts = reached[2]
        # sessions that bought without a cart stage still count as carts (depth = purchase)
        abandoned = carts - reached[-1]
        return FunnelReport(
            steps=tuple(steps),
            sessions=total,
            purchases=self.purchases,
            conversion_rate=self.purchases / total if total else 0.0,
            cart_sessions=carts,
            abandoned_carts=abandoned,
            cart_abandonment_rate=abandoned / carts if carts else 0.0,
            abandoned_cart_value=self.abandoned_value,
        )


def analyze(sessions: Iterable[Session], *, checkout_steps: int = 3) -> FunnelReport:
    """Return the ``FunnelReport`` of ``sessions``.

    Raises:
        ValueError: if a session's depth does not fit ``checkout_steps``.
    """
    names = funnel_stages(checkout_steps)
    tally = _Tally(len(names))
    for s in sessions:
        _check_depth(s, len(names))
        tally.add(s)
    return tally.report(names)


def _check_depth(s: Session, n_stages: int) -> None:
    if not 0 <= s.depth < n_stages:
        raise ValueError(f"session {s.session_id} has depth {s.depth}, outside the funnel.")


def breakdown(
    sessions: Iterable[Session], by: str, *, checkout_steps: int = 3
) -> dict[str, FunnelReport]:
    """Return one ``FunnelReport`` per value of ``by`` (one of ``BREAKDOWNS``), sorted by key.

    Raises:
        ValueError: on an unknown ``by`` or a depth that does not fit ``checkout_steps``.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}; expected one of {BREAKDOWNS}.")
    names = funnel_stages(checkout_steps)
    get = attrgetter(by)
    tallies: dict[str, _Tally] = {}
    for s in sessions:
        _check_depth(s, len(names))
        key = get(s)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally(len(names))
        tally.add(s)
    return {k: tallies[k].report(names) for k in sorted(tallies)}


@dataclass(frozen=True, slots=True)
class FunnelAnalysis:
    """The result of ``compute_funnel``: the overall funnel and its breakdowns.

    Attributes:
        overall: the funnel over every session.
        by_device, by_channel, by_landing_page: one funnel per value.
        n_events: number of events read.
    """

    overall: FunnelReport
    by_device: dict[str, FunnelReport]
    by_channel: dict[str, FunnelReport]
    by_landing_page: dict[str, FunnelReport]
    n_events: int


def compute_funnel(
    events: Sequence[Event], *, checkout_steps: int = 3, timeout: float = DEFAULT_TIMEOUT
) -> FunnelAnalysis:
    """Return the ``FunnelAnalysis`` of ``events``: sessionise, then tally in one pass.

    Raises:
        ValueError: as ``sessionize``.
    """
    sessions = sessionize(events, timeout=timeout, checkout_steps=checkout_steps)
    names = funnel_stages(checkout_steps)
    n = len(names)
    overall = _Tally(n)
    groups: tuple[dict[str, _Tally], ...] = ({}, {}, {})
    for s in sessions:
        overall.add(s)
        for table, key in zip(groups, (s.device, s.channel, s.landing_page), strict=True):
            tally = table.get(key)
            if tally is None:
                tally = table[key] = _Tally(n)
            tally.add(s)
    device, channel, landing = ({k: t[k].report(names) for k in sorted(t)} for t in groups)
    return FunnelAnalysis(overall.report(names), device, channel, landing, len(events))


def report_from_depths(
    depths: Sequence[int], *, abandoned_value: float = 0.0, checkout_steps: int = 3
) -> FunnelReport:
    """Return the ``FunnelReport`` of sessions summarised by depth.

    ``depths[i]`` is the number of sessions whose deepest stage is
    ``funnel_stages(checkout_steps)[i]`` (a purchase is the deepest stage), as a database
    aggregate gives them; ``abandoned_value`` is the total cart value of the sessions that
    reached the cart without buying.

    Raises:
        ValueError: if ``depths`` does not have one count per stage, a count is negative or
            ``abandoned_value`` is negative or not finite.
    """
    names = funnel_stages(checkout_steps)
    if len(depths) != len(names):
        raise ValueError(f"need {len(names)} depth counts (one per stage), got {len(depths)}.")
    if any(d < 0 for d in depths):
        raise ValueError("depth counts must be >= 0.")
    if not (math.isfinite(abandoned_value) and abandoned_value >= 0):
        raise ValueError(f"abandoned_value must be finite and >= 0, got {abandoned_value}.")
    tally = _Tally(len(names))
    tally.depths = [int(d) for d in depths]
    tally.purchases = int(depths[-1])
    tally.abandoned_value = float(abandoned_value)
    return tally.report(names)


# ----------------------------------------------------------------------------- calibration


def load_calibration() -> dict[str, Any]:
    """Return the calibration shipped with the package (``calibration.json``).

    Raises:
        FileNotFoundError: if the package was installed without it.
    """
    text = resources.files("maillon.acquisition").joinpath(CALIBRATION_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# ----------------------------------------------------------------------------- generator


class _Categorical:
    """Draw category names by share; carry a shrunk conversion lift per category."""

    __slots__ = ("cum", "lifts", "names")

    def __init__(self, table: Mapping[str, Mapping[str, float]], base: float, n: int) -> None:
        if not table:
            raise ValueError("a calibration category table is empty.")
        self.names = list(table)
        total = sum(v["share"] for v in table.values())
        acc = 0.0
        self.cum = []
        for name in self.names:
            acc += table[name]["share"] / total
            self.cum.append(acc)
        self.cum[-1] = 1.0
        prior = 200.0  # pseudo-sessions pulling small categories towards the mean
        self.lifts = []
        for name in self.names:
            v = table[name]
            m = v["share"] * n
            shrunk = (v["conversion"] * m + base * prior) / (m + prior)
            self.lifts.append(shrunk / base if base > 0 else 1.0)
        # normalise so that the share-weighted mean lift is 1 (keeps the overall rate)
        mean = sum(
            lift * table[name]["share"] / total
            for name, lift in zip(self.names, self.lifts, strict=True)
        )
        self.lifts = [lift / mean for lift in self.lifts]

    def draw(self, rng: random.Random) -> tuple[str, float]:
        i = bisect.bisect_left(self.cum, rng.random())
        return self.names[i], self.lifts[i]


def _draw_quantile(q: Sequence[float], rng: random.Random) -> int:
    pos = rng.random() * (len(q) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(q) - 1)
    return round(q[lo] + (q[hi] - q[lo]) * (pos - lo))


_PAGES = {"account": "/account", "info": "/help", "product": "/product"}
"""Landing page path per calibrated landing type."""


@dataclass(frozen=True, slots=True)
class _Model:
    """The calibrated draws of :func:`generate_events`, read once from the calibration."""

    channels: _Categorical
    devices: _Categorical
    visitors: _Categorical
    landings: _Categorical
    cart_rate: float
    pass_rate: float
    q_cart: Sequence[float]
    q_browse: Sequence[float]
    q_other: Sequence[float]
    dwell: float
    start: float
    span: float
    checkout_steps: int
    max_product_views: int


def _model(
    cal: Mapping[str, Any],
    checkout_steps: int,
    start: float,
    days: float,
    max_product_views: int,
) -> _Model:
    """Return the session model of a calibration."""
    base = float(cal["conversion_rate"])
    n_cal = int(cal["n_sessions"])
    return _Model(
        channels=_Categorical(cal["channels"], base, n_cal),
        devices=_Categorical(cal["devices"], base, n_cal),
        visitors=_Categorical(cal["visitor_types"], base, n_cal),
        landings=_Categorical(cal["landing_pages"], base, n_cal),
        cart_rate=float(cal["cart_rate"]),
        pass_rate=float(cal["purchase_given_cart"]) ** (1.0 / (checkout_steps + 1)),
        q_cart=cal["product_views_quantiles"]["cart"],
        q_browse=cal["product_views_quantiles"]["no_cart"],
        q_other=cal["other_pages_quantiles"],
        dwell=float(cal["seconds_per_page_median"]),
        start=start,
        span=days * 86400.0,
        checkout_steps=checkout_steps,
        max_product_views=max_product_views,
    )


_PV, _PRV, _ATC, _CHK, _PUR = (
    EventType.PAGE_VIEW,
    EventType.PRODUCT_VIEW,
    EventType.ADD_TO_CART,
    EventType.CHECKOUT_STEP,
    EventType.PURCHASE,
)


def _session_events(
    m: _Model, rng: random.Random, i: int, known: list[str], add: Callable[[Event], None]
) -> None:
    """Draw session ``i`` and ``add`` its events; a new visitor's id joins ``known``."""
    channel, l1 = m.channels.draw(rng)
    device, l2 = m.devices.draw(rng)
    visitor, l3 = m.visitors.draw(rng)
    landing, l4 = m.landings.draw(rng)
    if visitor.startswith("Returning") and known:
        anon = known[int(rng.random() * len(known))]
    else:
        anon = f"a{i}"
        known.append(anon)
    sid = f"s{i}"
    has_cart = rng.random() < min(0.95, m.cart_rate * l1 * l2 * l3 * l4)
    n_products = min(m.max_product_views, _draw_quantile(m.q_cart if has_cart else m.q_browse, rng))
    if has_cart:
        n_products = max(1, n_products)
    n_other = _draw_quantile(m.q_other, rng)
    t = m.start + rng.random() * m.span
    page = _PAGES.get(landing, f"/{landing}")
    add(Event(sid, anon, _PV, t, device, channel, page))
    for _ in range(max(0, n_other - 1)):
        t += rng.expovariate(1.0 / m.dwell)
        where = "/help" if rng.random() < 0.2 else "/account"
        add(Event(sid, anon, _PV, t, device, channel, where))
    cart_at = int(rng.random() * n_products) if has_cart else -1
    value = 0.0
    for k in range(n_products):
        t += rng.expovariate(1.0 / m.dwell)
        add(Event(sid, anon, _PRV, t, device, channel, f"/p/{int(rng.random() * 5000)}"))
        if k == cart_at:
            t += rng.expovariate(1.0 / 10.0)
            value = round(math.exp(rng.gauss(math.log(60.0), 0.8)), 2)
            add(Event(sid, anon, _ATC, t, device, channel, "/cart", value))
    if not has_cart:
        return
    for step in range(1, m.checkout_steps + 1):
        if rng.random() >= m.pass_rate:
            break
        t += rng.expovariate(1.0 / 40.0)
        add(Event(sid, anon, _CHK, t, device, channel, f"/checkout/{step}", value, step))
    else:
        if rng.random() < m.pass_rate:
            t += rng.expovariate(1.0 / 20.0)
            add(Event(sid, anon, _PUR, t, device, channel, "/order/confirmed", value))


def generate_events(
    n_sessions: int,
    *,
    seed: int,
    calibration: Mapping[str, Any] | None = None,
    checkout_steps: int = 3,
    start: float = 1_767_225_600.0,
    days: float = 30.0,
    max_product_views: int = 200,
) -> list[Event]:
    """Return the events of ``n_sessions`` realistic sessions, in timestamp order.

    Each session draws a channel, a device, a visitor type and a landing page from the
    calibration (default: ``load_calibration()``); its probability of reaching the cart is
    the calibrated cart rate times the (shrunk) conversion lifts of those four draws; cart
    sessions then pass each checkout step and the purchase with the same probability, so
    that the purchase rate given a cart matches the calibration.  Page counts follow the
    calibrated quantiles; dwell times are exponential around the calibrated median seconds
    per page.  Cart values are log-normal (median 60, an assumption: the data set has no
    basket values).  Returning visitors reuse earlier anonymous ids.

    Raises:
        ValueError: if ``n_sessions < 0``, ``checkout_steps < 0``, ``days <= 0`` or
            ``max_product_views < 1``.
    """
    if n_sessions < 0:
        raise ValueError(f"n_sessions must be >= 0, got {n_sessions}.")
    if checkout_steps < 0 or days <= 0 or max_product_views < 1:
        raise ValueError("need checkout_steps >= 0, days > 0 and max_product_views >= 1.")
    cal = calibration if calibration is not None else load_calibration()
    rng = random.Random(seed)
    model = _model(cal, checkout_steps, start, days, max_product_views)
    events: list[Event] = []
    known: list[str] = []
    for i in range(n_sessions):
        _session_events(model, rng, i, known, events.append)
    events.sort(key=_ts)
    return events
