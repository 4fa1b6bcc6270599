"""Waiting for a shop (pure): Shopify's cost-based throttle, ``Retry-After``, backoff, and
the one place a shop request is sent and retried.

Waiting never drops work: a throttled request (GraphQL ``THROTTLED``, HTTP 429) waits what
the shop asks and is sent again; a time-out or 5xx is retried after an exponential backoff;
only after ``RetryPolicy`` runs out does :class:`ShopUnavailable` reach the job, which is
itself retried later. Every wait goes through an injected ``sleep`` (tests record it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from maillon.channels.model import ShopUnavailable

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying: ``attempts`` for failures (time-outs, 5xx), ``throttled`` for
    throttling, waits from ``base`` seconds doubling up to ``cap``; ``timeout`` per request."""

    attempts: int = 5
    throttled: int = 30
    base: float = 1.0
    cap: float = 60.0
    timeout: float = 20.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.throttled < 1:
            raise ValueError("a retry policy needs at least one attempt")
        if self.base < 0 or self.cap < self.base or self.timeout <= 0:
            raise ValueError("0 <= base <= cap and timeout > 0 not understood")


def backoff(failures: int, policy: RetryPolicy) -> float:
    """The wait after ``failures`` failed attempts (1 → ``base``, then doubling to ``cap``)."""
    return float(min(policy.base * 2 ** max(failures - 1, 0), policy.cap))


def retry_after(header: str | None, default: float) -> float:
    """The seconds a ``Retry-After`` header asks for (``default`` when absent or a date)."""
    try:
        seconds = float(header) if header else default
    except ValueError:
        return default
    return max(seconds, 0.0)


def graphql_wait(cost: Mapping[str, Any] | None, default: float) -> float:
    """Seconds until Shopify's bucket holds the cost of the refused query again.

    ``cost`` is a GraphQL answer's ``extensions.cost``: the bucket refills ``restoreRate``
    points a second from ``currentlyAvailable``; the query asked ``requestedQueryCost``.
    Without those numbers: ``default``.
    """
    if not cost:
        return default
    status = cost.get("throttleStatus") or {}
    try:
        requested = float(cost["requestedQueryCost"])
        available = float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return default
    if rate <= 0:
        return default
    return max((requested - available) / rate, 0.0)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    sleep: Sleep,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, waiting out 429s and retrying time-outs and 5xx; return the first
    other answer (a 2xx or a 4xx, for the caller to read). Raises ShopUnavailable."""
    failures = throttled = 0
    while True:
        try:
            response = client.request(method, url, timeout=policy.timeout, **kwargs)
        except httpx.TransportError as exc:  # time-outs, refused connections, resets
            failures += 1
            if failures >= policy.attempts:
                raise ShopUnavailable(f"{method} {url}: {type(exc).__name__}") from exc
            sleep(backoff(failures, policy))
            continue
        if response.status_code == 429:
            throttled += 1
            if throttled >= policy.throttled:
                raise ShopUnavailable(f"{method} {url}: still throttled after {throttled} tries")
            sleep(retry_after(response.headers.get("Retry-After"), backoff(throttled, policy)))
            continue
        if response.status_code >= 500:
            failures += 1
            if failures >= policy.attempts:
                raise ShopUnavailable(f"{method} {url}: HTTP {response.status_code}")
            sleep(backoff(failures, policy))
            continue
        return response
