"""core.db.insert_now / insert_pending: new objects inserted with one statement and made
persistent, as a flush would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from maillon.core.db import Database, insert_now, insert_pending
from maillon.core.tables import OutboxMessage
from maillon.orders.tables import Address, Customer

NOW = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


def _statements(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def record(*args: Any) -> None:
        seen.append(args[2])

    return seen


def test_objects_are_inserted_with_one_statement_and_are_persistent(db: Database) -> None:
    seen = _statements(db)
    with db.transaction() as s:
        people = [
            Customer(email=f"p{n}@example.fr", name=f"P {n}", created_at=NOW) for n in range(3)
        ]
        insert_now(s, people)  # BEGIN on the first statement
        before = len(seen)
        insert_now(s, [Customer(email="q@example.fr", name="Q", created_at=NOW)])
        assert len(seen) - before == 1
        if not db.is_sqlite:  # one INSERT for the three (SQLite sends one a row, in process)
            assert sum(sql.startswith("INSERT") for sql in seen) == 2
        ids = [p.id for p in people]
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert all(p.phone == "" for p in people)  # the column's default, set on the object
        before = len(seen)
        assert s.get(Customer, ids[1]) is people[1]  # in the identity map: no SELECT
        assert (people[2].email, people[2].created_at) == ("p2@example.fr", NOW)
        assert len(seen) == before
        assert not s.new and not s.dirty
        people[0].name = "Renamed"  # tracked like any loaded object
    with db.reader() as s:
        rows = s.execute(select(Customer.email, Customer.name, Customer.phone).order_by("id"))
        assert [tuple(r) for r in rows] == [
            ("p0@example.fr", "Renamed", ""),
            ("p1@example.fr", "P 1", ""),
            ("p2@example.fr", "P 2", ""),
            ("q@example.fr", "Q", ""),
        ]


def test_unset_nullable_columns_are_null_and_a_rollback_inserts_nothing(db: Database) -> None:
    def write_then_fail() -> None:
        with db.transaction() as s:
            _write_then_fail(s)

    with pytest.raises(RuntimeError):
        write_then_fail()
    with db.reader() as s:
        assert s.scalar(select(Customer.id)) is None


def _write_then_fail(s: Any) -> None:
    """A customer and an address inserted at once, then an error."""
    customer = Customer(email="a@example.fr", name="A", created_at=NOW)
    insert_now(s, [customer])
    address = Address(
        customer_id=customer.id,
        name="A",
        line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
        country="FR",
        created_at=NOW,
        last_used_at=NOW,
    )
    insert_now(s, [address])
    assert address.lat is None and address.line2 == ""
    raise RuntimeError("rolled back")


def test_objects_of_different_shapes_are_refused(db: Database) -> None:
    with db.transaction() as s:
        with pytest.raises(ValueError, match="same columns"):
            insert_now(
                s,
                [
                    Customer(email="a@example.fr", name="A", created_at=NOW),
                    Customer(id=100, email="b@example.fr", name="B", created_at=NOW),
                ],
            )
        with pytest.raises(ValueError, match="one class"):
            insert_now(
                s,
                [
                    Customer(email="a@example.fr", name="A", created_at=NOW),
                    OutboxMessage(topic="t", channel="event", payload={}, created_at=NOW),
                ],
            )


def test_insert_pending_keeps_the_order_and_leaves_other_classes_pending(db: Database) -> None:
    with db.transaction() as s:
        messages = [
            OutboxMessage(topic=f"t{n}", channel="event", payload={"n": n}, created_at=NOW)
            for n in range(4)
        ]
        s.add_all(messages[:2])
        other = Customer(email="later@example.fr", name="L", created_at=NOW)
        s.add(other)
        s.add_all(messages[2:])
        insert_pending(s, OutboxMessage)
        assert [m.id for m in messages] == sorted(m.id for m in messages)
        assert all(m.id is not None for m in messages)
        assert list(s.new) == [other]
    with db.reader() as s:
        topics = s.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.id)).all()
        assert topics == ["t0", "t1", "t2", "t3"]
        assert s.scalar(select(Customer.email)) == "later@example.fr"  # flushed at commit
