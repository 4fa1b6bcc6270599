"""API keys with roles. Keys are random, shown once, and stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import AuthenticationError, FieldError, PermissionDenied, ValidationError
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


def authenticate(*, session: Session, raw_key: str | None) -> Principal:
    """Return the principal for ``raw_key``. Raises AuthenticationError if missing or unknown."""
    if not raw_key:
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw_key.strip())))
    if row is None or row.revoked_at is not None:
        raise AuthenticationError("unknown or revoked API key")
    return Principal(key_id=row.id, name=row.name, role=Role(row.role))


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise PermissionDenied unless the principal is admin or has one of ``roles``."""
    if principal.role is Role.ADMIN or principal.role in roles:
        return
    allowed = ", ".join(r.value for r in (Role.ADMIN, *roles))
    raise PermissionDenied(f"role {principal.role.value!r} may not do this (needs {allowed})")


def revoke_key(*, session: Session, key_id: int) -> None:
    """Revoke a key so it no longer authenticates. Raises NotFound-like ValidationError."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise ValidationError(FieldError("key_id", f"no key {key_id}"))
    row.revoked_at = clock.now()
