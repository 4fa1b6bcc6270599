"""Tamper-evident returns ledger: any alteration, removal or swap is caught at its index."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.returns.ledger import (
    GENESIS_HASH,
    Entry,
    VerifyResult,
    append,
    canonical_json,
    content_hash,
    head_hash,
    verify,
)

scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=6)
json_values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(st.text(max_size=3), scalars, max_size=2)
)
contents = st.dictionaries(st.text(min_size=1, max_size=6), json_values, min_size=1, max_size=3)
chains = st.lists(contents, min_size=1, max_size=10)
hyp = settings(max_examples=60, deadline=None)


def build(items: list[dict[str, object]]) -> list[Entry]:
    chain: list[Entry] = []
    for item in items:
        chain.append(append(head_hash(chain), item))
    return chain


def test_empty_chain_verifies_and_has_genesis_head() -> None:
    assert verify([]) == VerifyResult(True)
    assert head_hash([]) == GENESIS_HASH


def test_first_entry_points_to_genesis_and_hashes_are_sha256_of_canonical_json() -> None:
    entry = append(GENESIS_HASH, {"rma": "R-1", "event": "received", "qty": 2})
    expected_content = b'{"event":"received","qty":2,"rma":"R-1"}'
    assert canonical_json(entry.content) == expected_content
    assert entry.content_hash == hashlib.sha256(expected_content).hexdigest()
    link = f"{GENESIS_HASH}:{entry.content_hash}".encode()
    assert entry.hash == hashlib.sha256(link).hexdigest()
    assert entry.prev_hash == GENESIS_HASH


def test_canonical_json_is_utf8_and_key_order_free() -> None:
    a = canonical_json({"b": 1, "a": "é"})
    b = canonical_json({"a": "é", "b": 1})
    assert a == b == '{"a":"é","b":1}'.encode()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ({"x": float("nan")}, ValueError),
        ({"x": float("inf")}, ValueError),
        ({"x": object()}, TypeError),
        ({1: "int key"}, TypeError),
        (["not", "a", "mapping"], TypeError),
    ],
)
def test_non_canonical_content_is_refused(content: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        content_hash(content)  # type: ignore[arg-type]


@pytest.mark.parametrize("prev", ["", "abc", "G" * 64, GENESIS_HASH.upper().replace("0", "A")])
def test_append_refuses_a_malformed_prev_hash(prev: str) -> None:
    with pytest.raises(ValueError, match="prev_hash"):
        append(prev, {"a": 1})


def test_entry_constructor_validates_hash_shapes() -> None:
    good = append(GENESIS_HASH, {"a": 1})
    with pytest.raises(ValueError, match="hash"):
        replace(good, hash="nope")
    with pytest.raises(ValueError, match="content"):
        replace(good, content=[1, 2])  # type: ignore[arg-type]


def test_verify_result_validates_consistency() -> None:
    with pytest.raises(ValueError, match="first_bad_index"):
        VerifyResult(True, 3)
    with pytest.raises(ValueError, match="first_bad_index"):
        VerifyResult(False, None)


def test_append_copies_the_callers_mapping() -> None:
    content = {"a": 1}
    entry = append(GENESIS_HASH, content)
    content["a"] = 2
    assert verify([entry]).ok


def test_tail_truncation_needs_the_pinned_head() -> None:
    chain = build([{"n": i} for i in range(5)])
    pinned = head_hash(chain)
    assert verify(chain[:3]).ok  # a prefix is a valid chain on its own...
    result = verify(chain[:3], expected_head=pinned)  # ...but not the chain we pinned
    assert (result.ok, result.first_bad_index) == (False, 3)
    assert verify(chain, expected_head=pinned).ok


@hyp
@given(chains)
def test_untouched_chain_verifies(items: list[dict[str, object]]) -> None:
    chain = build(items)
    assert verify(chain, expected_head=head_hash(chain)) == VerifyResult(True)


@hyp
@given(chains, st.data())
def test_altered_content_is_caught_at_its_index(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    chain = build(items)
    i = data.draw(st.integers(0, len(chain) - 1))
    new_content = data.draw(
        contents.filter(lambda c: canonical_json(c) != canonical_json(items[i]))
    )
    chain[i] = replace(chain[i], content=new_content)
    result = verify(chain)
    assert not result.ok
    assert result.first_bad_index == i
    assert "altered" in result.reason


@hyp
@given(chains, st.data())
def test_recomputed_entry_is_caught_at_the_next_index(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    """A forger who re-hashes the altered entry still breaks the link to the next one."""
    chain = build(items)
    i = data.draw(st.integers(0, len(chain) - 1))
    new_content = data.draw(
        contents.filter(lambda c: canonical_json(c) != canonical_json(items[i]))
    )
    chain[i] = append(chain[i].prev_hash, new_content)
    result = verify(chain, expected_head=head_hash(build(items)))
    assert not result.ok
    assert result.first_bad_index == i + 1


@hyp
@given(st.lists(contents, min_size=2, max_size=10), st.data())
def test_removed_entry_is_caught_at_its_index(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    chain = build(items)
    pinned = head_hash(chain)
    i = data.draw(st.integers(0, len(chain) - 1))
    del chain[i]
    result = verify(chain, expected_head=pinned)
    assert not result.ok
    assert result.first_bad_index == i


@hyp
@given(st.lists(contents, min_size=2, max_size=10), st.data())
def test_swapped_entries_are_caught_at_the_first_of_the_two(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    chain = build(items)
    i = data.draw(st.integers(0, len(chain) - 2))
    j = data.draw(st.integers(i + 1, len(chain) - 1))
    chain[i], chain[j] = chain[j], chain[i]
    result = verify(chain)
    assert not result.ok
    assert result.first_bad_index == i


@hyp
@given(chains, st.data())
def test_altered_hash_fields_are_caught_at_their_index(
    items: list[dict[str, object]], data: st.DataObject
) -> None:
    chain = build(items)
    i = data.draw(st.integers(0, len(chain) - 1))
    field = data.draw(st.sampled_from(["prev_hash", "content_hash", "hash"]))
    old = getattr(chain[i], field)
    new = data.draw(
        st.text("0123456789abcdef", min_size=64, max_size=64).filter(lambda h: h != old)
    )
    chain[i] = replace(chain[i], **{field: new})
    result = verify(chain, expected_head=head_hash(build(items)))
    assert not result.ok
    assert result.first_bad_index == i


def test_entry_round_trips_through_json_storage() -> None:
    chain = build([{"rma": "R-1", "event": "opened"}, {"rma": "R-1", "event": "refunded"}])
    stored = json.loads(json.dumps([e.to_dict() for e in chain]))
    restored = [Entry(**row) for row in stored]
    assert restored == chain
    assert verify(restored, expected_head=head_hash(chain)).ok


def test_public_api_is_pinned() -> None:
    from maillon.returns import ledger

    assert set(ledger.__all__) == {
        "GENESIS_HASH",
        "Entry",
        "VerifyResult",
        "append",
        "canonical_json",
        "content_hash",
        "head_hash",
        "verify",
    }
