"""The tamper-evident returns record: every return event appended to a SHA-256 hash chain.

:func:`append_event` writes one entry in the caller's transaction (so an event is recorded
exactly when its change is), after locking the chain head row: concurrent appends queue rather
than fork the chain. :func:`verify_chain` re-computes the whole chain from the stored rows and
names the first entry that was altered, removed or reordered (:mod:`maillon.returns.audit`);
:func:`head` is what an operator exports to anchor the chain elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.returns import ledger
from maillon.returns.audit import AuditReport, StoredEntry, audit
from maillon.returns.tables import ReturnChainHead, ReturnEvent

HEAD_ID = 1


def _locked_head(session: Session) -> ReturnChainHead:
    """Return the chain head row, created if absent, locked for this transaction."""
    query = (
        select(ReturnChainHead)
        .where(ReturnChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = session.scalar(query)
    if head is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(ReturnChainHead)
            .values(id=HEAD_ID, seq=0, entry_hash=ledger.GENESIS_HASH, updated_at=clock.now())
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = session.scalar(query)
    assert head is not None
    return head


def append_event(
    session: Session,
    *,
    event_type: str,
    actor: str,
    data: dict[str, Any],
    return_id: int | None = None,
) -> ReturnEvent:
    """Append one event to the chain in the caller's transaction and return its row.

    The entry's content is ``{"seq", "type", "return_id", "at", "actor", "data"}``; ``data``
    must be JSON (ints, strings, lists, dicts). Raises TypeError/ValueError for other data.
    """
    head = _locked_head(session)
    seq = head.seq + 1
    now = clock.now()
    content = {
        "seq": seq,
        "type": event_type,
        "return_id": return_id,
        "at": now.isoformat(),
        "actor": actor,
        "data": data,
    }
    entry = ledger.append(head.entry_hash, content)
    row = ReturnEvent(
        seq=seq,
        return_id=return_id,
        event_type=event_type,
        content=ledger.canonical_json(content).decode("utf-8"),
        content_hash=entry.content_hash,
        prev_hash=entry.prev_hash,
        entry_hash=entry.hash,
        actor=actor[:120],
        created_at=now,
    )
    session.add(row)
    head.seq = seq
    head.entry_hash = entry.hash
    head.updated_at = now
    return row


@dataclass(frozen=True)
class Head:
    """The chain head to anchor elsewhere: entries written, last hash and when."""

    seq: int
    entry_hash: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        """Return the head as exported (JSON)."""
        return {
            "chain": "maillon.returns",
            "algorithm": "sha256",
            "entries": self.seq,
            "head": self.entry_hash,
            "at": self.updated_at,
        }


def head(*, session: Session) -> Head:
    """Return the stored head of the chain (zero entries and the genesis hash when empty)."""
    row = session.get(ReturnChainHead, HEAD_ID)
    if row is None:
        return Head(0, ledger.GENESIS_HASH, "")
    return Head(row.seq, row.entry_hash, clock.as_utc(row.updated_at).isoformat())


def count(*, session: Session) -> int:
    """Return the number of stored entries."""
    return session.scalar(select(func.count()).select_from(ReturnEvent)) or 0


def verify_chain(
    *,
    session: Session,
    expected_head: str | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 5000,
) -> AuditReport:
    """Re-compute the chain from the stored rows and return the audit.

    Entries removed at the tail are seen against the stored head (or ``expected_head``, a hash
    exported earlier). ``progress(n)`` is called after each batch of ``n`` entries read.
    """
    rows: list[StoredEntry] = []
    last_seq: int | None = None
    while True:
        query = select(
            ReturnEvent.seq,
            ReturnEvent.prev_hash,
            ReturnEvent.content,
            ReturnEvent.content_hash,
            ReturnEvent.entry_hash,
        ).order_by(ReturnEvent.seq)
        if last_seq is not None:
            query = query.where(ReturnEvent.seq > last_seq)
        chunk = session.execute(query.limit(batch)).all()
        if not chunk:
            break
        rows.extend(StoredEntry(int(r[0]), r[1], r[2], r[3], r[4]) for r in chunk)
        last_seq = int(chunk[-1][0])
        if progress is not None:
            progress(len(chunk))
    stored = session.get(ReturnChainHead, HEAD_ID)
    return audit(
        rows,
        expected_head=expected_head or (stored.entry_hash if stored else None),
        expected_count=stored.seq if stored else None,
    )


def events_of(*, session: Session, return_id: int) -> Sequence[ReturnEvent]:
    """Return the chain entries of one return, in order."""
    return session.scalars(
        select(ReturnEvent).where(ReturnEvent.return_id == return_id).order_by(ReturnEvent.seq)
    ).all()


def list_events(
    *, session: Session, limit: int = 50, offset: int = 0
) -> tuple[Sequence[ReturnEvent], int]:
    """Return one page of chain entries, newest first, and the total count."""
    rows = session.scalars(
        select(ReturnEvent).order_by(ReturnEvent.seq.desc()).limit(limit).offset(offset)
    ).all()
    return rows, count(session=session)
