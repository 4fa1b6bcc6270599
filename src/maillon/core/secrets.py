"""Secrets at rest: what Maillon stores encrypted (carrier credentials today; channel and
webhook secrets can use the same box later).

A :class:`SecretBox` encrypts text with Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package): a token read back with another key raises :class:`WrongKey`, never
returns garbage. The key is found by :func:`load_key`:

1. ``MAILLON_SECRET_KEY`` in the environment (a Fernet key: 32 bytes, URL-safe base64, as
   ``maillon secrets new-key`` or ``Fernet.generate_key()`` prints), else
2. the file ``secret.key`` in the data folder, created once with mode 0600 when missing.

Lose the key and the stored secrets are lost with it: back it up with the database, never in
it. This module is pure of the database and of the settings: the caller passes the data folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from maillon.core.errors import MaillonError

__all__ = [
    "KEY_ENV",
    "KEY_FILE",
    "SecretBox",
    "WrongKey",
    "load_key",
    "new_key",
]

KEY_ENV = "MAILLON_SECRET_KEY"
"""The environment variable holding the key (wins over the key file)."""

KEY_FILE = "secret.key"
"""The key file's name in the data folder."""


class WrongKey(MaillonError):
    """A stored secret cannot be read with this key (another key, or a damaged token): a
    set-up fault, reported as such (500, ``wrong_secret_key``), never garbage."""

    code = "wrong_secret_key"


def new_key() -> str:
    """Return a fresh random key, as ``MAILLON_SECRET_KEY`` takes it."""
    return Fernet.generate_key().decode("ascii")


def _checked(key: str, origin: str) -> str:
    try:
        Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError(
            f"{origin} is not a valid key: it must be 32 bytes in URL-safe base64 "
            "(make one with `maillon carriers new-key`)"
        ) from None
    return key.strip()


def load_key(data_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """Return the key: ``MAILLON_SECRET_KEY`` if set, else ``data_dir/secret.key``, written
    once (mode 0600) when missing. Raises ValueError for a malformed key."""
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV, "")
    if value.strip():
        return _checked(value, KEY_ENV)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two processes starting at once keep the first key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(new_key() + "\n")
    return _checked(path.read_text(encoding="ascii"), str(path))


class SecretBox:
    """Encrypts and decrypts text and JSON objects with one key.

    Raises ValueError for a malformed key.
    """

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(_checked(key, "the secret key").encode("ascii"))

    def encrypt(self, text: str) -> str:
        """Return ``text`` encrypted (an ASCII token, different at each call)."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the text of ``token``. Raises WrongKey when this key did not make it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise WrongKey(
                "a stored secret cannot be decrypted with this key: set MAILLON_SECRET_KEY "
                f"(or the data folder's {KEY_FILE}) to the key it was stored with"
            ) from None

    def encrypt_json(self, value: Mapping[str, str]) -> str:
        """Return the string mapping ``value`` encrypted."""
        return self.encrypt(json.dumps(dict(value), sort_keys=True))

    def decrypt_json(self, token: str) -> dict[str, str]:
        """Return the mapping of ``token``. Raises WrongKey as :meth:`decrypt`."""
        value = json.loads(self.decrypt(token))
        if not isinstance(value, dict):
            raise WrongKey("a stored secret is not a mapping")
        return {str(k): str(v) for k, v in value.items()}
