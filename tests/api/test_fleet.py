"""Maillon spread over processes as a shop that outgrew one machine runs it: two web
processes (``maillon serve --workers 0``) and three workers (``maillon worker``) against one
database, a real SMTP server and a WooCommerce shop on loopback. Orders come in through both
web processes, a worker is SIGKILLed midway, and still every confirmation reaches the SMTP
server exactly once and every shipment reaches the shop exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import select

from maillon.channels.service import register_channel
from maillon.core.db import Database
from maillon.core.tables import Job
from maillon.orders import service as orders
from maillon.shipping.service import ship_order
from maillon.warehouse import service as warehouse
from maillon.worker.engine import Engine
from tests.helpers import order_body, pack
from tests.helpers.database import api_key
from tests.helpers.servers import SmtpSink, maillon_serve
from tests.helpers.shops import FakeShop, running_shop

pytestmark = pytest.mark.slow

ORDERS = 8
FIRST_SHOP_ID = 5001
BASE = "/wp-json/wc/v3/orders"


def _worker(db_url: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "maillon.cli.main", "worker", "--db", db_url],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )


def _script_the_shop(shop: FakeShop) -> None:
    for shop_id in range(FIRST_SHOP_ID, FIRST_SHOP_ID + ORDERS):
        shop.answer("GET", f"{BASE}/{shop_id}/notes", "woocommerce/order_notes_empty.json")
        shop.answer("POST", f"{BASE}/{shop_id}/notes", "woocommerce/order_note_created.json")
        shop.answer("PUT", f"{BASE}/{shop_id}", "woocommerce/order_completed.json")


def _ship_everything(db: Database, numbers: list[str]) -> None:
    """Pick, pack and ship each order here; this process wakes the workers after each
    commit, as a web process does."""
    for number in numbers:
        with db.transaction() as s:
            orders.allocate_order(session=s, number=number, actor="t")
            for pick_list in warehouse.create_pick_lists(session=s, number=number, actor="p"):
                warehouse.confirm_pick_list(
                    session=s, pick_list_id=pick_list.id, picked=None, actor="p"
                )
            pack(s, number, "p")
        with db.transaction() as s:
            ship_order(session=s, number=number, carrier_code="colissimo", actor="o")


def _wait(check: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():  # type: ignore[operator]
        time.sleep(0.2)


def test_two_web_processes_and_three_workers_lose_nothing_and_send_nothing_twice(
    seeded: Database, db_url: str, tmp_path: Path
) -> None:
    key = {"Authorization": f"Bearer {api_key(seeded, 'operator')}"}
    with SmtpSink() as sink, running_shop() as shop:
        _script_the_shop(shop)
        with seeded.transaction() as s:
            register_channel(
                session=s,
                code="woo",
                kind="woocommerce",
                webhook_secret="a-webhook-secret-of-the-shop",
                shop_url=shop.url,
                api_key="ck_test",
                api_secret="cs_test",
            )
        env = {"MAILLON_SMTP_URL": sink.url, "MAILLON_JOB_LEASE_SECONDS": "5"}
        workers = [_worker(db_url, env, tmp_path / f"worker{i}.log") for i in range(3)]
        try:
            with (
                maillon_serve(
                    db_url, tmp_path / "web1.log", env=env, args=("--workers", "0")
                ) as web1,
                maillon_serve(
                    db_url, tmp_path / "web2.log", env=env, args=("--workers", "0")
                ) as web2,
            ):
                numbers = []
                for i in range(ORDERS):
                    if i == ORDERS // 2:
                        os.killpg(workers[0].pid, signal.SIGKILL)  # a worker machine dies
                    body = order_body(  # one customer and address each: no fraud hold
                        channel="woo",
                        external_id=str(FIRST_SHOP_ID + i),
                        customer={"email": f"client{i}@example.fr", "name": f"Client {i}"},
                        shipping_address={
                            "name": f"Client {i}",
                            "line1": f"{i + 1} rue de la République",
                            "postcode": "69002",
                            "city": "Lyon",
                            "country": "FR",
                        },
                    )
                    placed = httpx.post(
                        f"{(web1, web2)[i % 2]}/api/v1/orders", json=body, headers=key, timeout=30
                    )
                    assert placed.status_code == 201, placed.text
                    numbers.append(placed.json()["number"])
                Engine(seeded).install()  # this process wakes the workers too
                _ship_everything(seeded, numbers)
                _wait(lambda: len(sink.messages) >= 2 * ORDERS, 120)  # confirmed + shipped
                _wait(lambda: len(shop.requests_to_prefix("PUT", BASE)) >= ORDERS, 120)
                time.sleep(2)  # anything sent twice would arrive now
        finally:
            for worker in workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
    logs = "\n".join(p.read_text()[-2000:] for p in sorted(tmp_path.glob("*.log")))
    subjects = Counter(
        number for m in sink.messages for number in numbers if number in m["Subject"]
    )
    assert subjects == Counter({n: 2 for n in numbers}), logs  # confirmation, then shipped
    for shop_id in range(FIRST_SHOP_ID, FIRST_SHOP_ID + ORDERS):
        assert len(shop.requests_to("PUT", f"{BASE}/{shop_id}")) == 1, logs
        assert len(shop.requests_to("POST", f"{BASE}/{shop_id}/notes")) == 1, logs
    with seeded.reader() as s:
        pushes = s.scalars(select(Job).where(Job.name == "channels.push_fulfillment")).all()
    assert len(pushes) == ORDERS and {j.status for j in pushes} == {"succeeded"}
