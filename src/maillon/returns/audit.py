"""Audit of the stored returns record (pure): which stored entry breaks the chain, and how.

The service stores each :class:`~maillon.returns.ledger.Entry` as a row with a sequence number
and its content as canonical JSON text (:class:`StoredEntry`). :func:`audit` re-computes the
chain in sequence order with :func:`maillon.returns.ledger.verify` and names the first bad
entry by its sequence number, with what happened to it:

- ``altered``: its content (or one of its hashes) was changed;
- ``removed``: an entry before it is missing (a gap in the sequence, or it points to an entry
  that is no longer there), or entries were removed at the tail (the chain is shorter than the
  pinned head says);
- ``reordered``: it is not where it was written (its content holds another sequence number,
  or it points to an entry that now comes later).

Pure: stdlib only, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from maillon.returns import ledger

__all__ = ["AuditReport", "Problem", "StoredEntry", "audit", "entry_of"]

Problem = str
"""``altered``, ``removed`` or ``reordered``."""


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One chain entry as stored: its sequence number, hashes and canonical JSON content."""

    seq: int
    prev_hash: str
    content: str
    content_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of :func:`audit`.

    Attributes:
        ok: the chain is intact (and ends at the expected head when one was given).
        count: entries read.
        head_hash: hash of the last entry read (``ledger.GENESIS_HASH`` when empty).
        head_seq: sequence number of the last entry read (0 when empty).
        bad_seq: sequence number of the first bad entry (for a tail removal, the first missing
            one); ``None`` when ``ok``.
        problem: ``altered``, ``removed`` or ``reordered``; empty when ``ok``.
        message: a sentence for people.
    """

    ok: bool
    count: int
    head_hash: str
    head_seq: int
    bad_seq: int | None = None
    problem: Problem = ""
    message: str = ""


def entry_of(row: StoredEntry) -> ledger.Entry | None:
    """Return the ledger entry of a stored row, or None if the row cannot be one (content that
    is not a JSON object, hashes that are not 64 lowercase hex characters)."""
    try:
        content = json.loads(row.content)
    except (TypeError, ValueError):
        return None
    if not isinstance(content, dict):
        return None
    try:
        return ledger.Entry(row.prev_hash, content, row.content_hash, row.hash)
    except ValueError:
        return None


def _content_seq(entry: ledger.Entry) -> Any:
    return entry.content.get("seq")


def _classify(
    rows: Sequence[StoredEntry], entries: Sequence[ledger.Entry], position: int, reason: str
) -> tuple[int, Problem, str]:
    """(bad seq, problem, message) of the entry at ``position`` that ``ledger.verify`` refused."""
    row = rows[position]
    entry = entries[position]
    expected_seq = rows[position - 1].seq + 1 if position else 1
    if "altered" in reason or "not JSON" in reason:
        return row.seq, "altered", f"entry {row.seq} was altered ({reason})"
    known = {e.hash for e in entries}
    if entry.prev_hash != ledger.GENESIS_HASH and entry.prev_hash not in known:
        bad = expected_seq if row.seq > expected_seq else row.seq
        return (
            bad,
            "removed",
            f"entry {bad} removed: entry {row.seq} points to an entry no longer in the chain",
        )
    content_seq = _content_seq(entry)
    if isinstance(content_seq, int) and content_seq != row.seq:
        return (
            row.seq,
            "reordered",
            f"entry {row.seq} holds entry {content_seq}: entries were reordered",
        )
    later = {e.hash: rows[i].seq for i, e in enumerate(entries) if i > position}
    if entry.prev_hash in later:
        return (
            row.seq,
            "reordered",
            f"entry {row.seq} points to entry {later[entry.prev_hash]}, written after it: "
            "entries were reordered",
        )
    if row.seq > expected_seq:
        return expected_seq, "removed", f"entry {expected_seq} removed: a gap before {row.seq}"
    return row.seq, "reordered", f"entry {row.seq} is not where it was written"


def audit(
    rows: Sequence[StoredEntry],
    *,
    expected_head: str | None = None,
    expected_count: int | None = None,
) -> AuditReport:
    """Re-compute the chain of ``rows`` (in sequence order) and return the first bad entry.

    ``expected_head`` (a hash pinned earlier, or the stored head) and ``expected_count`` (how
    many entries the chain should have) reveal entries removed at the tail, which an otherwise
    intact chain cannot show on its own. Never raises on tampered data.
    """
    ordered = sorted(rows, key=lambda r: r.seq)
    entries: list[ledger.Entry] = []
    for row in ordered:
        entry = entry_of(row)
        if entry is None:
            result = ledger.verify(entries)
            head = ledger.head_hash(entries)
            if result.ok:
                return AuditReport(
                    False,
                    len(entries),
                    head,
                    ordered[len(entries) - 1].seq if entries else 0,
                    row.seq,
                    "altered",
                    f"entry {row.seq} was altered (its stored fields are not an entry)",
                )
            break
        entries.append(entry)
    result = ledger.verify(entries)
    count = len(entries)
    head = ledger.head_hash(entries)
    head_seq = ordered[count - 1].seq if count else 0
    if not result.ok:
        assert result.first_bad_index is not None
        bad, problem, message = _classify(ordered, entries, result.first_bad_index, result.reason)
        return AuditReport(False, count, head, head_seq, bad, problem, message)
    for position, row in enumerate(ordered):
        if row.seq != position + 1:  # a gap before the first entry
            return AuditReport(
                False,
                count,
                head,
                head_seq,
                position + 1,
                "removed",
                f"entry {position + 1} removed",
            )
    if expected_count is not None and count < expected_count:
        return AuditReport(
            False,
            count,
            head,
            head_seq,
            count + 1,
            "removed",
            f"entries {count + 1}-{expected_count} removed at the tail "
            f"(the chain should have {expected_count} entries, it has {count})",
        )
    if expected_head is not None and expected_head != head:
        known = {e.hash for e in entries}
        if expected_head in known:
            return AuditReport(True, count, head, head_seq)  # entries were added since the pin
        return AuditReport(
            False,
            count,
            head,
            head_seq,
            count + 1,
            "removed",
            "the chain does not reach the expected head: entries were removed at the tail",
        )
    return AuditReport(True, count, head, head_seq)
