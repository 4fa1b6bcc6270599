"""Tamper-evident, append-only chain of return events (the returns ledger).

Each :class:`Entry` carries the SHA-256 of its canonical content and of the previous entry, so
that changing, removing or reordering any entry breaks the chain at that entry::

    content_hash = sha256(canonical_json(content))
    hash         = sha256(prev_hash ":" content_hash)       (hex digests, ASCII)

Canonical JSON is ``json.dumps(content, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8; content must therefore be JSON-serialisable (no NaN or
infinity, string keys).  The first entry's ``prev_hash`` is :data:`GENESIS_HASH` (64 zeros).

``append(prev_hash, content)`` builds the next entry, ``verify(entries)`` walks a chain and
names the first entry that is not what the chain promises (``VerifyResult``), ``head_hash`` is
the hash a reader pins to detect truncation at the tail: a chain whose last entries were
removed verifies on its own, but its head no longer matches the pinned one (pass it as
``expected_head`` to ``verify``).

Pure: stdlib only, no I/O.  Storage (a table with these columns) belongs to the service.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENESIS_HASH",
    "Entry",
    "VerifyResult",
    "append",
    "canonical_json",
    "content_hash",
    "head_hash",
    "verify",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry of every chain."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _check_finite(value: Any) -> None:
    """Raise ValueError if ``value`` holds a float NaN or infinity anywhere."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError("content holds a NaN or infinite float; not canonical JSON.")
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """Return the canonical UTF-8 JSON of ``content`` (sorted keys, no whitespace).

    Raises ``TypeError`` if ``content`` is not a mapping or holds a value JSON cannot encode
    (or a non-string key), and ``ValueError`` if it holds a NaN or infinite float.
    """
    if not isinstance(content, Mapping):
        raise TypeError(f"content must be a mapping, got {type(content).__name__}.")
    for key in content:
        if not isinstance(key, str):
            raise TypeError(f"content keys must be strings, got {key!r}.")
    try:
        text = json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        _check_finite(content)
        raise
    return text.encode("utf-8")


def content_hash(content: Mapping[str, Any]) -> str:
    """Return the hex SHA-256 of ``canonical_json(content)``; raises as ``canonical_json``."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _entry_hash(prev_hash: str, c_hash: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{c_hash}".encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """One link of the chain: the previous entry's hash, its content and its two hashes.

    The constructor only checks shapes (a mapping, 64-hex hashes) and raises
    ``ValueError`` otherwise; whether the hashes are *right* is ``verify``'s job, so an entry
    read back from storage can be built as stored, altered or not.
    """

    prev_hash: str
    content: Mapping[str, Any]
    content_hash: str
    hash: str

    def __post_init__(self) -> None:
        for name in ("prev_hash", "content_hash", "hash"):
            value = getattr(self, name)
            if not isinstance(value, str) or _SHA256_HEX.fullmatch(value) is None:
                raise ValueError(f"{name} must be 64 lowercase hex characters, got {value!r}.")
        if not isinstance(self.content, Mapping):
            raise ValueError(f"content must be a mapping, got {type(self.content).__name__}.")

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as a plain dict (for storage or export)."""
        return {
            "prev_hash": self.prev_hash,
            "content": dict(self.content),
            "content_hash": self.content_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of ``verify``: ``ok``, and if not, the first bad index and why.

    ``first_bad_index`` is the position in the list given to ``verify`` of the first entry
    that does not hold (``len(entries)`` when the chain is intact but its head is not the
    expected one, i.e. entries were removed at the tail); ``None`` when ``ok``.
    """

    ok: bool
    first_bad_index: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.ok != (self.first_bad_index is None):
            raise ValueError("first_bad_index must be None exactly when ok is True.")
        if self.first_bad_index is not None and self.first_bad_index < 0:
            raise ValueError(f"first_bad_index must be >= 0, got {self.first_bad_index}.")

    def __bool__(self) -> bool:
        return self.ok


def append(prev_hash: str, content: Mapping[str, Any]) -> Entry:
    """Return the entry that follows the entry hashed ``prev_hash`` and holds ``content``.

    ``prev_hash`` is ``head_hash(chain)`` -- ``GENESIS_HASH`` for the first entry.  The content
    is copied into a plain dict so later changes to the caller's mapping do not leak in
    (nested values are not copied; pass immutable or fresh values).

    Raises ``ValueError`` if ``prev_hash`` is not 64 lowercase hex characters, and
    ``TypeError`` / ``ValueError`` as ``canonical_json`` for content that is not canonical JSON.
    """
    if not isinstance(prev_hash, str) or _SHA256_HEX.fullmatch(prev_hash) is None:
        raise ValueError(f"prev_hash must be 64 lowercase hex characters, got {prev_hash!r}.")
    c_hash = content_hash(content)
    return Entry(
        prev_hash=prev_hash,
        content=dict(content),
        content_hash=c_hash,
        hash=_entry_hash(prev_hash, c_hash),
    )


def head_hash(entries: Sequence[Entry]) -> str:
    """Return the hash of the last entry, or ``GENESIS_HASH`` for an empty chain."""
    return entries[-1].hash if entries else GENESIS_HASH


def verify(entries: Sequence[Entry], *, expected_head: str | None = None) -> VerifyResult:
    """Walk ``entries`` from the first and return the first entry that breaks the chain.

    An entry is bad when its ``prev_hash`` is not the previous entry's hash (removed or
    reordered entries), its content no longer hashes to ``content_hash`` (altered content), or
    its ``hash`` does not match (altered hash fields).
    With ``expected_head``, an otherwise intact chain whose head differs is reported at index
    ``len(entries)`` (entries removed or added at the tail).  Never raises on tampered data:
    content that cannot be canonicalised is reported as altered.
    """
    prev_hash = GENESIS_HASH
    for position, entry in enumerate(entries):
        if entry.prev_hash != prev_hash:
            return VerifyResult(
                False,
                position,
                f"entry {position} does not point to the previous entry (removed/reordered).",
            )
        try:
            actual = content_hash(entry.content)
        except (TypeError, ValueError) as exc:
            return VerifyResult(False, position, f"entry {position} content is not JSON: {exc}")
        if actual != entry.content_hash:
            return VerifyResult(False, position, f"entry {position} content was altered.")
        if _entry_hash(prev_hash, actual) != entry.hash:
            return VerifyResult(False, position, f"entry {position} hash was altered.")
        prev_hash = entry.hash
    if expected_head is not None and prev_hash != expected_head:
        return VerifyResult(
            False,
            len(entries),
            "chain head differs from the expected head (entries removed or added at the tail).",
        )
    return VerifyResult(True)
