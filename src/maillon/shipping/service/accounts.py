"""Carrier accounts: which API a carrier is reached through, with its credentials encrypted.

One account per carrier (``carrier_accounts``): the connector that speaks its API
(:mod:`maillon.shipping.connectors`), the mode (``sandbox``, ``live``, or ``rate_card``: no
API, our own GS1 labels and the rate cards), the credentials encrypted with the secret key
(:mod:`maillon.core.secrets`: never stored in clear, never returned), an optional base URL
(a proxy, or a local server in tests), the label format (PDF or ZPL) and non-secret options.

:func:`set_account` adds or changes one, :func:`disable_account` puts the carrier back on
its rate card (the account kept), :func:`active_account` reads it back decrypted for
:func:`maillon.shipping.service.gateway_for`. Each works in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import ErrorCollector, FieldError, NotFound, ValidationError
from maillon.core.secrets import SecretBox, load_key
from maillon.core.settings import default_data_dir
from maillon.shipping import connectors
from maillon.shipping.carriers import (
    AccountMode,
    Capability,
    CarrierAccount,
    LabelFormat,
    LocalCarrierGateway,
)
from maillon.shipping.tables import Carrier, CarrierAccountRow

__all__ = [
    "AccountView",
    "account_views",
    "active_account",
    "disable_account",
    "secret_box",
    "set_account",
]

RATE_CARD_CAPABILITIES = LocalCarrierGateway.capabilities
"""What a carrier without an API account does: our own labels, voided by not using them."""


@lru_cache(maxsize=4)
def _box(key: str) -> SecretBox:
    return SecretBox(key)


def secret_box() -> SecretBox:
    """Return the box of the secret key (``MAILLON_SECRET_KEY``, else the data folder's
    ``secret.key``, made once). Raises ValueError for a malformed key."""
    return _box(load_key(default_data_dir()))


def _carrier(session: Session, code: str) -> Carrier:
    carrier = session.scalar(select(Carrier).where(Carrier.code == code))
    if carrier is None:
        raise NotFound("carrier", code, field="carrier")
    return carrier


def _row(session: Session, carrier: Carrier) -> CarrierAccountRow | None:
    return session.scalar(
        select(CarrierAccountRow).where(CarrierAccountRow.carrier_id == carrier.id)
    )


def _account(carrier: Carrier, row: CarrierAccountRow, box: SecretBox) -> CarrierAccount:
    credentials = box.decrypt_json(row.credentials_encrypted) if row.credentials_encrypted else {}
    return CarrierAccount(
        carrier=carrier.code,
        connector=row.connector,
        mode=AccountMode(row.mode),
        credentials=credentials,
        base_url=row.base_url,
        label_format=LabelFormat(row.label_format),
        options=dict(row.options or {}),
    )


def active_account(*, session: Session, carrier: Carrier) -> CarrierAccount | None:
    """Return the carrier's sandbox or live account, decrypted; None when it ships on its
    rate card (no account, a disabled one, or mode ``rate_card``). Raises WrongKey when the
    credentials were stored with another secret key."""
    row = _row(session, carrier)
    if row is None or row.disabled_at is not None or row.mode == AccountMode.RATE_CARD:
        return None
    return _account(carrier, row, secret_box())


def _enum_value(
    errors: ErrorCollector, field: str, value: str, kind: type[AccountMode] | type[LabelFormat]
) -> str:
    try:
        return kind(value).value
    except ValueError:
        errors.add(field, f"use one of {', '.join(m.value for m in kind)}")
        return ""


def _check_url(errors: ErrorCollector, base_url: str | None) -> str | None:
    if base_url is None or not base_url.strip():
        return None
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(base_url) > 300:
        errors.add("base_url", "an http(s) address of at most 300 characters")
    return base_url.strip().rstrip("/")


def set_account(
    *,
    session: Session,
    carrier_code: str,
    connector: str,
    mode: str,
    credentials: Mapping[str, str] | None = None,
    base_url: str | None = None,
    label_format: str = LabelFormat.PDF.value,
    options: Mapping[str, str] | None = None,
    actor: str,
) -> CarrierAccount:
    """Add or change the carrier's account and return it (decrypted); it is active at once.

    ``credentials`` given are merged into the stored ones (same connector; a key with an
    empty value is removed); a new connector starts from none. ``options`` replace the
    stored ones when given. Raises NotFound (``carrier``), ValidationError naming the field
    (``mode``, ``label_format``, ``base_url``, ``connector``, ``credentials.<key>`` missing
    for a sandbox or live account).
    """
    carrier = _carrier(session, carrier_code)
    errors = ErrorCollector()
    mode_value = _enum_value(errors, "mode", mode, AccountMode)
    format_value = _enum_value(errors, "label_format", label_format, LabelFormat)
    url = _check_url(errors, base_url)
    for key in credentials or {}:
        if not key.strip() or len(key) > 40 or "," in key:
            errors.add(f"credentials.{key}", "a key name of 1-40 characters without a comma")
    errors.raise_if_any()
    row = _row(session, carrier)
    box = secret_box()
    stored: dict[str, str] = {}
    if row is not None and row.connector == connector and row.credentials_encrypted:
        stored = box.decrypt_json(row.credentials_encrypted)
    for key, value in (credentials or {}).items():
        if value:
            stored[key.strip()] = value
        else:
            stored.pop(key.strip(), None)
    try:
        account = CarrierAccount(
            carrier=carrier.code,
            connector=connector,
            mode=AccountMode(mode_value),
            credentials=stored,
            base_url=url,
            label_format=LabelFormat(format_value),
            options=dict(options if options is not None else (row.options if row else {})),
        )
    except ValueError:
        raise ValidationError(FieldError("connector", "is required")) from None
    connectors.check_account(account)
    now = clock.now()
    if row is None:
        row = CarrierAccountRow(carrier_id=carrier.id, created_at=now)
        session.add(row)
    row.connector = connector
    row.mode = account.mode.value
    row.credentials_encrypted = box.encrypt_json(stored) if stored else ""
    row.credential_keys = ",".join(sorted(stored))
    row.base_url = url
    row.label_format = account.label_format.value
    row.options = dict(account.options)
    row.updated_at = now
    row.updated_by = actor[:120]
    row.disabled_at = None
    session.flush()
    return account


def disable_account(*, session: Session, carrier_code: str, actor: str) -> None:
    """Put the carrier back on its rate card; the account (and its credentials) are kept and
    :func:`set_account` enables it again. Raises NotFound (``carrier``, or no account)."""
    carrier = _carrier(session, carrier_code)
    row = _row(session, carrier)
    if row is None:
        raise NotFound("carrier account", carrier_code, field="carrier")
    if row.disabled_at is None:
        row.disabled_at = clock.now()
        row.updated_at = row.disabled_at
        row.updated_by = actor[:120]


@dataclass(frozen=True)
class AccountView:
    """What anyone may see of a carrier's account: never a secret, only which keys are set."""

    carrier: str
    name: str
    mode: AccountMode
    connector: str | None
    connector_title: str
    credential_keys: tuple[str, ...]
    missing_credentials: tuple[str, ...]
    base_url: str | None
    label_format: LabelFormat
    options: dict[str, str]
    capabilities: frozenset[Capability]
    disabled: bool


def _view(carrier: Carrier, row: CarrierAccountRow | None) -> AccountView:
    known = connectors.known()
    connector = known.get(row.connector) if row is not None else None
    keys = tuple(k for k in (row.credential_keys.split(",") if row else ()) if k)
    active = row is not None and row.disabled_at is None and row.mode != AccountMode.RATE_CARD
    required = connector.required_credentials if connector else ()
    return AccountView(
        carrier=carrier.code,
        name=carrier.name,
        mode=AccountMode(row.mode) if row is not None and active else AccountMode.RATE_CARD,
        connector=row.connector if row is not None else None,
        connector_title=connector.title if connector else "",
        credential_keys=keys,
        missing_credentials=tuple(k for k in required if k not in keys),
        base_url=row.base_url if row is not None else None,
        label_format=LabelFormat(row.label_format) if row is not None else LabelFormat.PDF,
        options=dict(row.options or {}) if row is not None else {},
        capabilities=connector.capabilities if connector and active else RATE_CARD_CAPABILITIES,
        disabled=row is not None and row.disabled_at is not None,
    )


def account_views(*, session: Session, carrier_code: str | None = None) -> Sequence[AccountView]:
    """Return every carrier (or ``carrier_code`` only) with its mode, connector, which
    credential keys are set and what it can do, by code. Raises NotFound (``carrier``)."""
    if carrier_code is not None:
        carriers: Sequence[Carrier] = [_carrier(session, carrier_code)]
    else:
        carriers = session.scalars(select(Carrier).order_by(Carrier.code)).all()
    rows = {
        r.carrier_id: r
        for r in session.scalars(
            select(CarrierAccountRow).where(
                CarrierAccountRow.carrier_id.in_([c.id for c in carriers])
            )
        )
    }
    return [_view(c, rows.get(c.id)) for c in carriers]
