"""Console users and sessions.

People sign in to the console with a username and a password (scrypt, salted) or with an API
key; either way a session is opened: a random token in an HTTP-only cookie (only its SHA-256
is stored) and a CSRF token that every form of the session must send back. Roles are the API's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.auth import Principal, Role, authenticate, hash_key, parse_role
from maillon.core.errors import (
    AuthenticationError,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.core.tables import ConsoleSession, User

LANGUAGES = ("fr", "en")
SESSION_HOURS = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return ``scrypt$<salt hex>$<digest hex>`` for ``password``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)  # type: ignore[arg-type]
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Return whether ``password`` matches ``stored`` (constant time)."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(salt_hex),
        **_SCRYPT,  # type: ignore[arg-type]
    )
    return hmac.compare_digest(digest.hex(), digest_hex)


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    language: str | None = None,
) -> User:
    """Create a console user. Raises ValidationError naming bad fields, DuplicateError."""
    errors = ErrorCollector()
    username = username.strip().lower()
    if not _USERNAME.match(username):
        errors.add("username", "2-60 characters: lower-case letters, digits, '.', '_' or '-'")
    if len(password) < 10:
        errors.add("password", "at least 10 characters")
    if language is not None and language not in LANGUAGES:
        errors.add("language", f"use one of {', '.join(LANGUAGES)}")
    try:
        parsed = parse_role(role)
    except ValidationError as exc:
        for e in exc.errors:
            errors.add(e.field, e.message)
        parsed = Role.OPERATOR
    errors.raise_if_any()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateError("user", "username", username)
    user = User(
        username=username,
        display_name=display_name.strip()[:120] or username,
        password_hash=hash_password(password),
        role=parsed.value,
        language=language,
        active=True,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    return user


def list_users(*, session: Session) -> list[User]:
    """Return every user, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def set_active(*, session: Session, username: str, active: bool) -> User:
    """Enable or disable a user; disabling ends their sessions. Raises NotFound."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("user", username, field="username")
    user.active = active
    if not active:
        session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    return user


@dataclass(frozen=True)
class ConsoleUser:
    """Who is signed in to the console, with the session's CSRF token and language."""

    principal: Principal
    csrf_token: str
    language: str | None
    session_id: int


def _open(
    session: Session,
    *,
    name: str,
    role: str,
    user_id: int | None,
    api_key_id: int | None,
    language: str | None,
) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        ConsoleSession(
            token_hash=hash_key(token),
            user_id=user_id,
            api_key_id=api_key_id,
            name=name,
            role=role,
            csrf_token=secrets.token_urlsafe(24),
            language=language,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    session.flush()
    return token


def sign_in_with_password(*, session: Session, username: str, password: str) -> str:
    """Open a session for a user; return the cookie token. Raises AuthenticationError (the
    same message for an unknown user and a wrong password)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        hash_password(password)  # same time as a real check: do not reveal who exists
        raise AuthenticationError("wrong username or password")
    if not verify_password(password, user.password_hash) or not user.active:
        raise AuthenticationError("wrong username or password")
    user.last_login_at = clock.now()
    return _open(
        session,
        name=user.username,
        role=user.role,
        user_id=user.id,
        api_key_id=None,
        language=user.language,
    )


def sign_in_with_key(*, session: Session, raw_key: str) -> str:
    """Open a session for an API key; return the cookie token. Raises AuthenticationError."""
    principal = authenticate(session=session, raw_key=raw_key)
    return _open(
        session,
        name=principal.name,
        role=principal.role.value,
        user_id=None,
        api_key_id=principal.key_id,
        language=None,
    )


def console_user(*, session: Session, token: str | None) -> ConsoleUser:
    """Return who holds the session ``token``. Raises AuthenticationError when there is none,
    it expired, or its user or key was disabled since."""
    if not token:
        raise AuthenticationError("not signed in")
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == hash_key(token)))
    if row is None or clock.as_utc(row.expires_at) <= clock.now():
        raise AuthenticationError("the session expired: sign in again")
    if row.user_id is not None:
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            raise AuthenticationError("this user is disabled")
    return ConsoleUser(
        principal=Principal(key_id=row.api_key_id or 0, name=row.name, role=Role(row.role)),
        csrf_token=row.csrf_token,
        language=row.language,
        session_id=row.id,
    )


def sign_out(*, session: Session, token: str | None) -> None:
    """End the session ``token`` (nothing happens for an unknown token)."""
    if token:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == hash_key(token)))


def set_session_language(*, session: Session, session_id: int, language: str) -> None:
    """Remember the language chosen in a session (and for its user). Raises ValidationError."""
    if language not in LANGUAGES:
        raise ValidationError(FieldError("language", f"use one of {', '.join(LANGUAGES)}"))
    row = session.get(ConsoleSession, session_id)
    if row is None:
        raise NotFound("session", session_id)
    row.language = language
    if row.user_id is not None:
        user = session.get(User, row.user_id)
        if user is not None:
            user.language = language


def purge_expired(*, session: Session) -> int:
    """Delete expired sessions; return how many."""
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= clock.now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
