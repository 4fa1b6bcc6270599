"""The tamper-evident returns record on a real database: verify names the first entry that was
altered, removed or reordered with SQL behind the application's back, on the API and the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.returns.ledger import GENESIS_HASH
from maillon.returns.service import record

runner = CliRunner()


@pytest.fixture
def chain(db: Database) -> Database:
    """Five entries in the record."""
    with db.transaction() as s:
        for i in range(1, 6):
            record.append_event(
                s,
                event_type="return.requested",
                actor="t",
                return_id=i,
                data={"rma": f"R{i:07d}", "lines": [{"sku": "MUG-01", "quantity": i}]},
            )
    return db


def verify(db: Database, expected_head: str | None = None) -> record.AuditReport:
    with db.reader() as s:
        return record.verify_chain(session=s, expected_head=expected_head)


def sql(db: Database, *statements: str) -> None:
    with db.transaction() as s:
        for statement in statements:
            s.execute(text(statement))


def test_an_untouched_chain_verifies(chain: Database, db_url: str) -> None:
    report = verify(chain)
    assert report.ok and report.count == 5 and report.head_seq == 5
    with chain.reader() as s:
        head = record.head(session=s)
    assert head.entry_hash == report.head_hash != GENESIS_HASH
    r = runner.invoke(app, ["returns", "verify", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert f"chain intact: 5 entries, head {head.entry_hash}" in r.output
    r = runner.invoke(app, ["returns", "head", "--db", db_url])
    assert r.exit_code == 0 and json.loads(r.output)["head"] == head.entry_hash
    assert json.loads(r.output)["entries"] == 5


def test_an_empty_chain_verifies(db: Database, db_url: str) -> None:
    r = runner.invoke(app, ["returns", "verify", "--db", db_url])
    assert r.exit_code == 0 and "chain intact: 0 entries" in r.output


@pytest.mark.parametrize(
    ("statements", "bad", "problem"),
    [
        (
            [
                "UPDATE return_events SET content = replace(content, '\"quantity\"\\:2', "
                "'\"quantity\"\\:20') WHERE seq = 2"
            ],
            2,
            "altered",
        ),
        (
            ["UPDATE return_events SET actor = 'x', entry_hash = content_hash WHERE seq = 4"],
            4,
            "altered",
        ),
        (["UPDATE return_events SET content = 'not json' WHERE seq = 3"], 3, "altered"),
        (["DELETE FROM return_events WHERE seq = 3"], 3, "removed"),
        (["DELETE FROM return_events WHERE seq IN (1, 2)"], 1, "removed"),
        (
            [
                "UPDATE return_events SET seq = -1 WHERE seq = 2",
                "UPDATE return_events SET seq = 2 WHERE seq = 3",
                "UPDATE return_events SET seq = 3 WHERE seq = -1",
            ],
            2,
            "reordered",
        ),
        (["DELETE FROM return_events WHERE seq = 5"], 5, "removed"),
    ],
    ids=["altered", "altered-hash", "not-json", "removed", "removed-first", "swapped", "tail"],
)
def test_verify_names_the_first_bad_entry(
    chain: Database, db_url: str, statements: list[str], bad: int, problem: str
) -> None:
    sql(chain, *statements)
    report = verify(chain)
    assert not report.ok and (report.bad_seq, report.problem) == (bad, problem), report
    r = runner.invoke(app, ["returns", "verify", "--db", db_url])
    assert r.exit_code == 1
    assert f"entry {bad} ({problem})" in r.output


def test_an_anchored_head_catches_a_rewritten_tail(chain: Database, db_url: str) -> None:
    anchored = verify(chain).head_hash
    # someone removes the last entry and rewinds the stored head to hide it
    sql(
        chain,
        "DELETE FROM return_events WHERE seq = 5",
        "UPDATE return_chain_head SET seq = 4, "
        "entry_hash = (SELECT entry_hash FROM return_events WHERE seq = 4)",
    )
    assert verify(chain).ok  # the database alone cannot tell
    report = verify(chain, expected_head=anchored)
    assert not report.ok and (report.bad_seq, report.problem) == (5, "removed")
    r = runner.invoke(app, ["returns", "verify", "--expected-head", anchored, "--db", db_url])
    assert r.exit_code == 1 and "removed" in r.output
    r = runner.invoke(app, ["returns", "verify", "--expected-head", "xyz", "--db", db_url])
    assert r.exit_code == 1 and "expected_head" in r.output


def test_a_head_anchored_earlier_still_verifies_after_new_entries(chain: Database) -> None:
    anchored = verify(chain).head_hash
    with chain.transaction() as s:
        record.append_event(s, event_type="return.approved", actor="t", return_id=1, data={})
    report = verify(chain, expected_head=anchored)
    assert report.ok and report.count == 6


def test_cli_lists_returns_and_sets_the_policy(db: Database, db_url: str, tmp_path: object) -> None:
    from pathlib import Path

    r = runner.invoke(app, ["returns", "list", "--db", db_url])
    assert r.exit_code == 0 and "no returns" in r.output
    r = runner.invoke(app, ["returns", "list", "--status", "lost", "--db", db_url])
    assert r.exit_code == 1 and "status" in r.output
    bad = Path(str(tmp_path)) / "bad.yaml"
    bad.write_text("default_window_days: forty\n")
    r = runner.invoke(app, ["returns", "policy-set", str(bad), "--db", db_url])
    assert r.exit_code == 1 and "default_window_days" in r.output
    good = Path(str(tmp_path)) / "policy.yaml"
    good.write_text("default_window_days: 45\nwindow_days_by_category:\n  lighting: 60\n")
    r = runner.invoke(app, ["returns", "policy-set", str(good), "--db", db_url])
    assert r.exit_code == 0 and "45-day window" in r.output, r.output
    r = runner.invoke(app, ["returns", "policy-show", "--db", db_url])
    assert r.exit_code == 0 and "default_window_days: 45" in r.output
    # the policy change is in the record too
    r = runner.invoke(app, ["returns", "verify", "--db", db_url])
    assert r.exit_code == 0 and "1 entries" in r.output


def test_concurrent_appends_queue_instead_of_forking(db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def append_some(worker: int) -> None:
        for i in range(5):
            with db.transaction() as s:
                record.append_event(
                    s, event_type="return.approved", actor=f"w{worker}", data={"i": i}
                )

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(append_some, range(3)))
    report = verify(db)
    assert report.ok and report.count == 15 and report.head_seq == 15
