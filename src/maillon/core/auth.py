"""API keys with roles. Keys are random, shown once, and stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import (
    AuthenticationError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from maillon.core.tables import ApiKey

KEY_PREFIX = "mk_"


class Role(StrEnum):
    """What a key may do. Admin may do everything."""

    ADMIN = "admin"
    OPERATOR = "operator"
    PICKER = "picker"
    AGENT = "agent"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role."""

    key_id: int
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """The name written in timelines for what this caller does."""
        return f"{self.role.value}:{self.name}"


def hash_key(raw: str) -> str:
    """Return the SHA-256 hex digest of a raw key."""
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_role(value: str) -> Role:
    """Return the Role named ``value``. Raises ValidationError naming the field ``role``."""
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationError(
            FieldError("role", f"unknown role {value!r}; use one of {allowed}")
        ) from None


def create_key(*, session: Session, role: str, name: str = "") -> tuple[ApiKey, str]:
    """Create a key with ``role``; return the stored row and the raw key (shown only once)."""
    parsed = parse_role(role)
    secret = secrets.token_urlsafe(32)
    raw = f"{KEY_PREFIX}{secret}"
    row = ApiKey(
        name=name or parsed.value,
        prefix=raw[:10],
        key_hash=hash_key(raw),
        role=parsed.value,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row, raw


class KeyCache:
    """Principals of recently seen keys, kept ``ttl`` seconds, so a busy client does not cost
    one query per request.

    Only successful look-ups are kept. A key revoked through :func:`revoke_key` in this process
    is dropped at once; another process (an API worker) notices within ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 5.0, max_size: int = 10_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        """Return the cached principal for ``digest`` if still fresh."""
        entry = self._entries.get(digest)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, digest: str, principal: Principal) -> None:
        """Remember ``principal`` for ``digest`` for ``ttl`` seconds."""
        with self._lock:
            if len(self._entries) >= self.max_size:
                self._entries.clear()
            self._entries[digest] = (principal, time.monotonic() + self.ttl)

    def forget(self, key_id: int) -> None:
        """Drop every entry of key ``key_id``."""
        with self._lock:
            for digest in [d for d, (p, _) in self._entries.items() if p.key_id == key_id]:
                del self._entries[digest]


#: Every KeyCache of this process, told when a key is revoked here.
_CACHES: weakref.WeakSet[KeyCache] = weakref.WeakSet()


def new_key_cache(ttl: float = 5.0) -> KeyCache:
    """Return a key cache that :func:`revoke_key` keeps up to date in this process."""
    cache = KeyCache(ttl)
    _CACHES.add(cache)
    return cache


def authenticate(
    *, session: Session, raw_key: str | None, cache: KeyCache | None = None
) -> Principal:
    """Return the principal for ``raw_key``. Raises AuthenticationError if missing or unknown.

    With ``cache``, a key seen in the last few seconds is not looked up again.
    """
    if not raw_key:
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    digest = hash_key(raw_key.strip())
    if cache is not None and (known := cache.get(digest)) is not None:
        return known
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None:
        raise AuthenticationError("unknown or revoked API key")
    principal = Principal(key_id=row.id, name=row.name, role=Role(row.role))
    if cache is not None:
        cache.put(digest, principal)
    return principal


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise PermissionDenied unless the principal is admin or has one of ``roles``."""
    if principal.role is Role.ADMIN or principal.role in roles:
        return
    allowed = ", ".join(r.value for r in (Role.ADMIN, *roles))
    raise PermissionDenied(f"role {principal.role.value!r} may not do this (needs {allowed})")


def list_keys(*, session: Session) -> Sequence[ApiKey]:
    """Return every API key (revoked ones too), oldest first."""
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def revoke_key(*, session: Session, key_id: int) -> ApiKey:
    """Revoke a key so it no longer authenticates (again: no change); return it.

    Raises NotFound naming ``key_id``.
    """
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("API key", key_id, field="key_id")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    for cache in list(_CACHES):
        cache.forget(key_id)
    return row
