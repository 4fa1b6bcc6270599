"""Audit of a stored chain: the first bad entry is named by sequence number, with what happened
to it (altered, removed, reordered), whatever was done to the rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.returns import ledger
from maillon.returns.audit import StoredEntry, audit, entry_of


def stored_chain(n: int) -> list[StoredEntry]:
    rows: list[StoredEntry] = []
    prev = ledger.GENESIS_HASH
    for seq in range(1, n + 1):
        content = {"seq": seq, "type": "return.requested", "data": {"n": seq}}
        entry = ledger.append(prev, content)
        rows.append(
            StoredEntry(
                seq,
                entry.prev_hash,
                ledger.canonical_json(content).decode(),
                entry.content_hash,
                entry.hash,
            )
        )
        prev = entry.hash
    return rows


def test_intact_and_empty_chains_pass() -> None:
    rows = stored_chain(4)
    report = audit(rows, expected_head=rows[-1].hash, expected_count=4)
    assert report.ok and report.count == 4 and report.head_seq == 4
    assert report.head_hash == rows[-1].hash
    empty = audit([])
    assert empty.ok and empty.head_hash == ledger.GENESIS_HASH and empty.head_seq == 0


def test_rows_are_read_in_sequence_order() -> None:
    rows = stored_chain(3)
    assert audit(list(reversed(rows))).ok


@pytest.mark.parametrize("seq", [1, 2, 5])
def test_altered_content(seq: int) -> None:
    rows = stored_chain(5)
    rows[seq - 1] = replace(rows[seq - 1], content=rows[seq - 1].content.replace("return", "x"))
    report = audit(rows)
    assert (report.ok, report.bad_seq, report.problem) == (False, seq, "altered")


def test_content_that_is_not_an_entry_is_altered() -> None:
    rows = stored_chain(3)
    rows[1] = replace(rows[1], content="[1, 2]")
    assert (audit(rows).bad_seq, audit(rows).problem) == (2, "altered")
    rows = stored_chain(3)
    rows[2] = replace(rows[2], prev_hash="nothex")
    assert (audit(rows).bad_seq, audit(rows).problem) == (3, "altered")
    assert entry_of(rows[2]) is None


@given(st.integers(3, 8), st.data())
@settings(max_examples=40, deadline=None)
def test_removed_entries_are_named(n: int, data: st.DataObject) -> None:
    rows = stored_chain(n)
    gone = data.draw(st.integers(1, n - 1))
    kept = [r for r in rows if r.seq != gone]
    report = audit(kept, expected_count=n)
    assert (report.bad_seq, report.problem) == (gone, "removed"), report.message


def test_removed_entries_renumbered_are_still_removed() -> None:
    rows = stored_chain(4)
    kept = [rows[0]] + [replace(r, seq=r.seq - 1) for r in rows[2:]]
    report = audit(kept)
    assert (report.bad_seq, report.problem) == (2, "removed")


@given(st.integers(3, 8), st.data())
@settings(max_examples=40, deadline=None)
def test_swapped_entries_are_reordered(n: int, data: st.DataObject) -> None:
    rows = stored_chain(n)
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    swapped = list(rows)
    swapped[i], swapped[j] = replace(rows[j], seq=i + 1), replace(rows[i], seq=j + 1)
    report = audit(swapped)
    assert (report.bad_seq, report.problem) == (i + 1, "reordered"), report.message


def test_tail_removal_needs_the_head_or_the_count() -> None:
    rows = stored_chain(5)
    assert audit(rows[:3]).ok
    by_count = audit(rows[:3], expected_count=5)
    assert (by_count.bad_seq, by_count.problem) == (4, "removed")
    assert "4-5" in by_count.message
    by_head = audit(rows[:3], expected_head=rows[-1].hash)
    assert (by_head.bad_seq, by_head.problem) == (4, "removed")
    assert audit(rows, expected_head=rows[2].hash).ok  # pinned earlier, chain grew since
