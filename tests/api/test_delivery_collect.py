"""Click & collect linked to orders, expiry sweeps, collection at the store; checkout quotes
from the shared rate cards."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict, ValidationError
from maillon.core.tables import OutboxMessage
from maillon.delivery import service
from maillon.delivery.service import collect
from maillon.delivery.tables import CollectReservation
from maillon.inventory import service as inventory
from maillon.inventory.tables import StockMovement
from maillon.orders import service as orders
from maillon.orders.tables import Order
from maillon.shipping import rates
from maillon.shipping.service import quoting
from tests.helpers import order_draft

Auth = dict[str, dict[str, str]]
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
runner = CliRunner()


def store_balance(db: Database, sku: str) -> tuple[int, int]:
    """Return (on hand, available) of ``sku`` in the LYS1 store."""
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku)
    here = [r for r in rows if r.warehouse == "LYS1"]
    return sum(r.on_hand for r in here), sum(r.available for r in here)


def store_available(db: Database, sku: str) -> int:
    return store_balance(db, sku)[1]


def make_store(db: Database, hold_days: int = 1) -> None:
    with db.transaction() as s:
        collect.set_store(
            session=s, warehouse_code="LYS1", ready_after_hours=2, hold_days=hold_days
        )


def reserve(db: Database, lines: list[tuple[str, int]], email: str = "c@example.fr") -> str:
    with clock.frozen_at(T0), db.transaction() as s:
        return collect.reserve_collect(session=s, store_code="LYS1", lines=lines, email=email).token


def test_order_placed_with_collect_is_linked_held_and_collected(
    client: TestClient, seeded: Database, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_store(seeded)
    start = store_available(seeded, "MUG-01")
    order, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 2)], external_id="CC1"), actor="t"
    )
    wrong, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 1)], external_id="CC2"), actor="t"
    )
    body = {
        "store": "LYS1",
        "email": "camille@example.fr",
        "lines": [{"sku": "MUG-01", "quantity": 2}],
        "order": order.number,
    }
    r = client.post("/api/v1/delivery/collect", json=body, headers=auth["agent"])
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert r.json()["order"] == order.number
    assert store_available(seeded, "MUG-01") == start - 2

    # the order is held off the floor while its units wait in the store
    # collect.install() registers the hold; the registry is restored after the test
    monkeypatch.setattr(orders, "_BLOCKS", dict(orders._BLOCKS))
    collect.install()
    with seeded.reader() as s:
        placed = orders.get_order(session=s, number=order.number)
        other = orders.get_order(session=s, number=wrong.number)
        assert orders.block_reasons(session=s, order=placed) == [collect.BLOCK_REASON]
        assert collect.BLOCK_REASON not in orders.block_reasons(session=s, order=other)
    # its units are set aside in the store: allocating it again is refused, nothing reserved
    r = client.post(f"/api/v1/orders/{order.number}/allocate", headers=auth["operator"])
    assert r.status_code == 409 and "set aside" in r.text
    assert store_available(seeded, "MUG-01") == start - 2

    # a second order cannot take the same reservation, nor can lines that differ
    r = client.post(
        f"/api/v1/delivery/collect/{token}/order",
        json={"order": wrong.number},
        headers=auth["agent"],
    )
    assert r.status_code == 409
    r = client.get(f"/api/v1/delivery/collect/{token}", headers=auth["picker"])
    assert r.status_code == 200 and r.json()["status"] == "active"

    r = client.post(f"/api/v1/delivery/collect/{token}/collected", headers=auth["picker"])
    assert r.status_code == 200 and r.json()["status"] == "collected"
    with seeded.reader() as s:
        moves = s.scalars(
            select(StockMovement).where(StockMovement.reference.like("collect:%"))
        ).all()
        shipped = [m for m in moves if m.kind == "ship"]
        assert sum(m.delta_on_hand for m in shipped) == -2
        assert sum(m.delta_reserved for m in shipped) == -2
        assert inventory.ledger_mismatches(session=s) == []
        topics = set(s.scalars(select(OutboxMessage.topic)).all())
    assert {"delivery.collect_linked", "delivery.collected"} <= topics
    on_hand, _ = store_balance(seeded, "MUG-01")
    assert on_hand == 1  # 3 in the store, 2 went out with the customer
    r = client.post(f"/api/v1/delivery/collect/{token}/collected", headers=auth["picker"])
    assert r.status_code == 409


def test_link_checks_lines_and_order_state(seeded: Database) -> None:
    make_store(seeded)
    token = reserve(seeded, [("MUG-01", 2)])
    short, _ = orders.place_order(seeded, order_draft([("MUG-01", 1)], external_id="A"), actor="t")
    with pytest.raises(ValidationError, match="must match"), seeded.transaction() as s:
        collect.link_order(session=s, token=token, number=short.number, actor="t")
    allocated, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 2)], external_id="B"), actor="t", allocate=True
    )
    with pytest.raises(Conflict, match="already reserved"), seeded.transaction() as s:
        collect.link_order(session=s, token=token, number=allocated.number, actor="t")
    with seeded.reader() as s:
        assert collect.get_reservation(session=s, token=token).order_id is None


def test_cancelling_the_order_releases_the_store_units(seeded: Database) -> None:
    make_store(seeded)
    start = store_available(seeded, "MUG-01")
    order, _ = orders.place_order(seeded, order_draft([("MUG-01", 1)], external_id="X"), actor="t")
    token = reserve(seeded, [("MUG-01", 1)])
    with seeded.transaction() as s:
        collect.link_order(session=s, token=token, number=order.number, actor="t")
    assert store_available(seeded, "MUG-01") == start - 1
    with seeded.transaction() as s:
        orders.cancel_order(session=s, number=order.number, reason="changed mind", actor="t")
    assert store_available(seeded, "MUG-01") == start
    with seeded.reader() as s:
        assert collect.get_reservation(session=s, token=token).status == "released"


def test_expired_reservations_are_released_once_by_concurrent_sweeps(
    seeded: Database, db_url: str
) -> None:
    make_store(seeded, hold_days=1)
    start = store_available(seeded, "MUG-01")
    tokens = [reserve(seeded, [("MUG-01", 1)], email=f"c{i}@example.fr") for i in range(3)]
    order, _ = orders.place_order(seeded, order_draft([("MUG-01", 1)], external_id="S"), actor="t")
    with seeded.transaction() as s:
        collect.link_order(session=s, token=tokens[0], number=order.number, actor="t")
    assert store_available(seeded, "MUG-01") == start - 3
    # ready after 2 h, held 1 day: not expired 25 h later, expired 27 h later
    with clock.frozen_at(T0 + timedelta(hours=25)):
        assert collect.sweep_expired(seeded) == 0
    db2 = Database(db_url)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def sweep(db: Database) -> None:
        barrier.wait()
        with clock.frozen_at(T0 + timedelta(hours=27)):
            counts.append(collect.sweep_expired(db))

    threads = [threading.Thread(target=sweep, args=(d,)) for d in (seeded, db2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db2.dispose()
    assert sum(counts) == 3
    assert store_available(seeded, "MUG-01") == start
    with seeded.reader() as s:
        assert inventory.ledger_mismatches(session=s) == []
        statuses = {r.status for r in s.scalars(select(CollectReservation))}
        mails = s.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "delivery.collect_expired")
        ).all()
    assert statuses == {"expired"}
    assert len([m for m in mails if m.recipient]) == 1  # only the linked order's customer
    with clock.frozen_at(T0 + timedelta(hours=28)):
        assert collect.sweep_expired(seeded) == 0


def test_collect_sweep_cli_and_api(
    client: TestClient, seeded: Database, db_url: str, auth: Auth
) -> None:
    make_store(seeded, hold_days=1)
    with seeded.transaction() as s:  # at the real time: not expired yet
        collect.reserve_collect(
            session=s, store_code="LYS1", lines=[("BOOK-07", 1)], email="c@example.fr"
        )
    r = client.post("/api/v1/delivery/collect/sweep", headers=auth["operator"])
    assert r.status_code == 200 and r.json() == {"released": 0}
    with seeded.transaction() as s:
        row = s.scalar(select(CollectReservation))
        assert row is not None
        row.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
    r = runner.invoke(app, ["delivery", "collect-sweep", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "1 expired reservation(s) released" in r.output
    r = client.post("/api/v1/delivery/collect/sweep", headers=auth["agent"])
    assert r.status_code == 403


def test_collect_cli_link_and_collected(seeded: Database, db_url: str) -> None:
    make_store(seeded)
    order, _ = orders.place_order(seeded, order_draft([("BOOK-07", 1)], external_id="L"), actor="t")
    token = reserve(seeded, [("BOOK-07", 1)])
    assert set(token) <= set("0123456789abcdef")  # never read as a CLI option
    r = runner.invoke(app, ["delivery", "collect-link", token, order.number, "--db", db_url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["delivery", "collected", token, "--db", db_url])
    assert r.exit_code == 0 and "1 unit(s)" in r.output, r.output
    r = runner.invoke(app, ["delivery", "collected", token, "--db", db_url])
    assert r.exit_code == 1 and "not active" in r.output
    with seeded.reader() as s:
        row = collect.get_reservation(session=s, token=token)
        assert row.status == "collected"
        assert s.get(Order, row.order_id) is not None


def test_checkout_quotes_the_rate_cards_of_maillon_rate_cards(
    seeded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def colissimo_home() -> int:
        with seeded.reader() as s:
            got = service.delivery_options(
                session=s, country="FR", postcode="69002", city="Lyon", lines=[("MUG-01", 1)]
            )
        return next(
            o.price_cents for o in got.home if (o.carrier, o.service) == ("colissimo", "domicile")
        )

    default = colissimo_home()
    folder = tmp_path / "cards"
    shutil.copytree(rates.EXAMPLE_DATA, folder)
    grids = folder / "grids.csv"
    lines = grids.read_text().splitlines()
    dear = [
        ",".join([*row.split(",")[:4], "99.00"])
        if row.startswith("colissimo,domicile,FR,")
        else row
        for row in lines
    ]
    grids.write_text("\n".join(dear) + "\n")
    monkeypatch.setenv(quoting.RATE_CARDS_ENV, str(folder))
    dear_price = colissimo_home()
    assert dear_price >= 9900 and default < 9900
    monkeypatch.delenv(quoting.RATE_CARDS_ENV)
    assert colissimo_home() == default
