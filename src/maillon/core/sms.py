"""Text messages to customers through Brevo's transactional SMS API, and how a transport says
that a message must not be tried again soon (or ever).

:class:`BrevoSms` is a :class:`maillon.core.outbox.Sender` for the ``sms`` channel: one
``POST {base_url}/v3/transactionalSMS/send`` per message, authenticated by the ``api-key``
header, with the JSON body Brevo documents (``sender``, ``recipient`` in international form
without ``+``, ``content``, ``type: transactional``, ``tag``, ``unicodeEnabled``). Brevo answers
``201 {"messageId": ...}``; an error is ``{"code": ..., "message": ...}``.

What a failure means for the outbox (which keeps the message pending with its last error):

- a refusal that sending again cannot fix (400 bad number or content, 401/403 bad key, 402 no
  credits left, other 4xx) raises :class:`DeliveryRefused`: the message is given up;
- 429 raises :class:`RateLimited` with the wait Brevo asks for (``Retry-After``, else
  ``x-sib-ratelimit-reset``, in seconds): the message is tried again after it;
- a time-out, a connection error or a 5xx raises ``httpx.HTTPError`` or :class:`SmsError`:
  tried again at the next delivery run.

Pure: no database and no settings; :func:`maillon.core.outbox.transport_from_environment` reads
the environment and builds the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

BREVO_URL = "https://api.brevo.com"
SEND_PATH = "/v3/transactionalSMS/send"
#: Brevo's limit for an alphanumeric sender name (15 for a numeric one).
SENDER_MAX = 11
#: The longest wait a rate limit may impose on a message before it is tried again.
MAX_RETRY_AFTER = 3600.0


class SmsError(Exception):
    """The provider did not take the message; sending it again later may work."""


class DeliveryRefused(SmsError):
    """The provider refused the message for good (bad number, bad key, no credits): sending
    it again would be refused the same way."""


class RateLimited(SmsError):
    """The provider asks to wait ``retry_after`` seconds before the next message."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float:
    for header in ("retry-after", "x-sib-ratelimit-reset"):
        value = response.headers.get(header, "").strip()
        try:
            seconds = float(value)
        except ValueError:
            continue
        return min(max(seconds, 1.0), MAX_RETRY_AFTER)
    return 60.0


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        code, message = body.get("code"), body.get("message")
        return ": ".join(str(x) for x in (code, message) if x) or str(body)[:200]
    return str(body)[:200]


def international(phone: str) -> str:
    """``+33 6 12 34 56 78`` as Brevo wants it: ``33612345678``. Raises ValueError for a
    number that is not in international form."""
    digits = re.sub(r"[\s.\-()]", "", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("+"):
        digits = digits[1:]
    else:
        raise ValueError(f"phone number must be in international form (+33...), not {phone!r}")
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise ValueError(f"not a phone number: {phone!r}")
    return digits


@dataclass
class BrevoSms:
    """Sends text messages through Brevo (``base_url`` is Brevo's API; a test points it at a
    local server)."""

    api_key: str
    sender: str
    base_url: str = BREVO_URL
    timeout: float = 10.0
    tag: str = "maillon"

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("the Brevo API key is empty")
        limit = 15 if self.sender.isdigit() else SENDER_MAX
        if not self.sender or len(self.sender) > limit:
            raise ValueError(f"SMS sender must be 1 to {limit} characters, not {self.sender!r}")

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body: str,
        reference: str = "",
        html: str = "",
    ) -> None:
        """Send ``body`` to the phone number ``recipient``. Raises ValueError for another
        channel, :class:`DeliveryRefused` for a bad number (ours or Brevo's verdict) or any
        other refusal for good, :class:`RateLimited`, :class:`SmsError` or ``httpx.HTTPError``
        (time-out, connection) when it may work later."""
        if channel != "sms":
            raise ValueError(f"BrevoSms cannot send {channel!r} messages")
        try:
            number = international(recipient)
        except ValueError as exc:
            raise DeliveryRefused(str(exc)) from exc
        payload = {
            "sender": self.sender,
            "recipient": number,
            "content": body,
            "type": "transactional",
            "tag": reference or self.tag,
            "unicodeEnabled": not body.isascii(),
        }
        response = httpx.post(
            self.base_url.rstrip("/") + SEND_PATH,
            json=payload,
            headers={"api-key": self.api_key, "accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status_code in (200, 201):
            return
        reason = f"Brevo answered {response.status_code}: {_reason(response)}"
        if response.status_code == 429:
            raise RateLimited(reason, _retry_after(response))
        if 400 <= response.status_code < 500 and response.status_code != 408:
            raise DeliveryRefused(reason)
        raise SmsError(reason)

    def describe(self) -> str:
        """Where the messages go (no key)."""
        return f"brevo-sms:{self.base_url.rstrip('/')}"
