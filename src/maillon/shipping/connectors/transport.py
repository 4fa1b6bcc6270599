"""HTTP to a carrier with the failure rules every connector shares (pure of the database).

:class:`CarrierHttp` sends one request to ``base_url + path`` through httpx with a time-out,
and answers a :class:`Reply` for 2xx and 4xx (the connector reads the carrier's error body).
Time-outs, refused connections and 5xx are retried a bounded number of times with a doubling
back-off, then raise :class:`~maillon.shipping.carriers.CarrierUnavailable`; a 429 raises it at
once with the carrier's ``Retry-After`` (the job that called retries after that wait). A SOAP
fault comes with a 500 but is an answer, not an outage: ``soap=True`` returns it as a reply.

:func:`settings_of` reads the transport settings from an account's ``options``
(``timeout`` seconds, ``retries``, ``backoff`` seconds) and :func:`refused` turns a carrier's
error messages into a ``ValidationError`` naming Maillon's field (``recipient.postcode``...).
"""

from __future__ import annotations

import atexit
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from maillon.core.errors import FieldError, ValidationError
from maillon.shipping.carriers import CarrierAccount, CarrierUnavailable

__all__ = ["CarrierHttp", "Reply", "TransportSettings", "field_of", "refused", "settings_of"]


@dataclass(frozen=True)
class Reply:
    """A carrier's answer: status, body text and headers (lower-case names)."""

    status: int
    text: str
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """Return the body as JSON (None when empty or not JSON)."""
        try:
            return json.loads(self.text) if self.text.strip() else None
        except ValueError:
            return None


@dataclass(frozen=True)
class TransportSettings:
    """Time-out per attempt (seconds), retries after the first attempt, first back-off."""

    timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.5


def settings_of(account: CarrierAccount) -> TransportSettings:
    """Return the transport settings of ``account.options``. Raises ValidationError."""
    try:
        return TransportSettings(
            timeout=float(account.options.get("timeout", 15.0)),
            retries=int(account.options.get("retries", 2)),
            backoff=float(account.options.get("backoff", 0.5)),
        )
    except ValueError:
        raise ValidationError(
            FieldError("options", "timeout and backoff are seconds, retries a whole number")
        ) from None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


_shared: list[httpx.Client] = []
_shared_lock = threading.Lock()


def shared_client() -> httpx.Client:
    """Return the process's HTTP client for carrier APIs (made on first use, closed at exit).

    A new ``httpx.Client`` costs about 0.1 s (its TLS context) and a gateway is built per use,
    so connectors share this one: it is thread-safe and keeps connections alive per host.
    Time-outs are given per request."""
    with _shared_lock:
        if not _shared:
            client = httpx.Client()
            atexit.register(client.close)
            _shared.append(client)
        return _shared[0]


class CarrierHttp:
    """Sends requests to one carrier's API (see the module docstring)."""

    def __init__(
        self,
        carrier: str,
        base_url: str,
        settings: TransportSettings = TransportSettings(),
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url:
            raise ValueError("a carrier API needs a base URL.")
        self.carrier = carrier
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self._client = client  # None: the process's shared client
        self._sleep = sleep

    def send(
        self,
        method: str,
        path: str,
        *,
        content: str | bytes | None = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        soap: bool = False,
    ) -> Reply:
        """Send and return the reply (2xx, 4xx; a SOAP fault when ``soap``).

        Raises CarrierUnavailable after the retries (time-out, network, 5xx) or on a 429.
        """
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        problem = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                self._sleep(self.settings.backoff * 2 ** (attempt - 1))
            try:
                response = self._request(method, url, content, data, params, headers)
            except httpx.TimeoutException:
                problem = f"no answer within {self.settings.timeout:g} s"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot reach {self.base_url} ({type(exc).__name__})"
                continue
            reply = Reply(
                response.status_code,
                response.text,
                {k.lower(): v for k, v in response.headers.items()},
            )
            if reply.status == 429:
                raise CarrierUnavailable(
                    self.carrier,
                    "rate limited (429)",
                    retry_after=_retry_after(reply.headers.get("retry-after")),
                )
            if reply.status >= 500 and not (soap and "Fault>" in reply.text):
                problem = f"server error {reply.status}"
                continue
            return reply
        raise CarrierUnavailable(self.carrier, f"{problem} after {self.settings.retries + 1} tries")

    def _request(
        self,
        method: str,
        url: str,
        content: str | bytes | None,
        data: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        kw: dict[str, Any] = {
            "content": content,
            "data": data,
            "params": params,
            "headers": dict(headers or {}),
            "timeout": self.settings.timeout,
        }
        return (self._client or shared_client()).request(method, url, **kw)


_FIELD_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("relay", "relais", "pickup point", "parcelshop", "pudo", "point"), "relay_point"),
    (("postal", "postcode", "zip", "code postal", "zipcode"), "recipient.postcode"),
    (("city", "ville", "town"), "recipient.city"),
    (("country", "pays"), "recipient.country"),
    (("phone", "telephone", "téléphone", "mobile"), "recipient.phone"),
    (("weight", "poids"), "weight_g"),
    (("service", "product", "produit"), "service"),
    (("street", "address", "adresse", "rue"), "recipient.lines"),
    (("name", "nom"), "recipient.name"),
)


def field_of(text: str, code: str = "", codes: Mapping[str, str] | None = None) -> str:
    """Return Maillon's field a carrier error is about: the code's entry in ``codes`` (the
    connector's table), else the first field whose words appear in ``text``, else ``request``.
    """
    if codes and code in codes:
        return codes[code]
    lowered = text.lower()
    for words, name in _FIELD_WORDS:
        if any(word in lowered for word in words):
            return name
    return "request"


def refused(
    carrier: str,
    messages: Sequence[tuple[str, str]],
    codes: Mapping[str, str] | None = None,
    *,
    sender: bool = False,
) -> ValidationError:
    """Return the ValidationError of the carrier's ``(code, message)`` errors, each naming its
    field (``sender.*`` instead of ``recipient.*`` when the sender's address is at fault)."""
    errors = []
    for code, text in messages or (("", "refused the request"),):
        name = field_of(text, code, codes)
        if sender and name.startswith("recipient."):
            name = "sender." + name.removeprefix("recipient.")
        label = f"{carrier}: {text}" + (f" ({code})" if code else "")
        errors.append(FieldError(name, label))
    return ValidationError(errors)
