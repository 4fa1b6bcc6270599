"""ETAs per stop by API, ETA-window notices to customers, one van's route sheet."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from tests.helpers.delivery import booked_day, hm, place, planned

Auth = dict[str, dict[str, str]]
VANS = [
    {"id": "VAN1", "capacity_parcels": 3, "shift_start": "08:00", "shift_end": "18:00"},
    {"id": "VAN2", "capacity_parcels": 3, "shift_start": "08:00", "shift_end": "18:00"},
]


def eta_notices(db: Database) -> list[OutboxMessage]:
    with db.reader() as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic == "delivery.eta")
                .order_by(OutboxMessage.id)
            )
        )


def test_stops_have_etas_and_customers_get_their_window(
    client: TestClient, seeded: Database, auth: Auth, db_url: str, tmp_path: Path
) -> None:
    day, numbers = booked_day(client, seeded, auth)
    plan = planned(
        client,
        seeded,
        "/api/v1/delivery/routes/plan",
        {"warehouse": "LYS1", "date": day, "vehicles": VANS},
        auth["operator"],
    )
    r = client.get(f"/api/v1/delivery/routes/{plan['id']}/stops", headers=auth["picker"])
    assert r.status_code == 200
    stops = r.json()
    assert sorted(s["key"] for s in stops) == sorted(numbers)
    for s in stops:
        start, end = (hm(x) for x in s["eta_window"].split("-"))
        slot_start, slot_end = (hm(x) for x in s["window"].split("-"))
        served_at = hm(s["service_start"])
        # the window told contains the planned time, lies in the booked slot, is at most
        # an hour and a half wide, on quarter hours
        assert start <= served_at <= end
        assert slot_start <= start and end <= slot_end
        assert end - start <= 90 and start % 15 == 0 and end % 15 == 0
        assert hm(s["eta"]) <= served_at
    # visiting order per vehicle
    for van in ("VAN1", "VAN2"):
        seq = [s["sequence"] for s in stops if s["vehicle"] == van]
        assert seq == sorted(seq) and seq[0] == 1

    notices = eta_notices(seeded)
    assert len(notices) == len(numbers)
    by_order = {n.payload["order"]: n for n in notices}
    assert set(by_order) == set(numbers)
    for s in stops:
        assert s["eta_window"] in by_order[s["key"]].subject
        assert by_order[s["key"]].recipient.endswith("@example.fr")

    # one van's stops and one van's sheet
    r = client.get(
        f"/api/v1/delivery/routes/{plan['id']}/stops?vehicle=VAN2", headers=auth["picker"]
    )
    van2 = [s["key"] for s in r.json()]
    assert r.status_code == 200 and len(van2) == 3
    assert van2 == [s["key"] for s in stops if s["vehicle"] == "VAN2"]
    r = client.get(
        f"/api/v1/delivery/routes/{plan['id']}/sheets.pdf?vehicle=VAN2", headers=auth["picker"]
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "VAN2" in r.headers["content-disposition"]
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1 and "VAN2" in text and "VAN1" not in text
    assert all(k in text for k in van2)
    assert not any(s["key"] in text for s in stops if s["vehicle"] == "VAN1")
    for bad in ("VAN9",):
        r = client.get(
            f"/api/v1/delivery/routes/{plan['id']}/sheets.pdf?vehicle={bad}",
            headers=auth["picker"],
        )
        assert r.status_code == 404 and r.json()["error"]["field"] == "vehicle"
        r = client.get(
            f"/api/v1/delivery/routes/{plan['id']}/stops?vehicle={bad}", headers=auth["picker"]
        )
        assert r.status_code == 404

    # the same sheet from the CLI
    out = tmp_path / "van1.pdf"
    r = CliRunner().invoke(
        app, ["delivery", "sheets", str(plan["id"]), str(out), "--vehicle", "VAN1", "--db", db_url]
    )
    assert r.exit_code == 0, r.output
    reader = pypdf.PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1 and "VAN1" in text and "VAN2" not in text
    r = CliRunner().invoke(
        app, ["delivery", "sheets", str(plan["id"]), str(out), "--vehicle", "VAN9", "--db", db_url]
    )
    assert r.exit_code == 1 and "VAN9" in r.output


def test_replanning_tells_only_the_customers_whose_window_moved(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    day, _numbers = booked_day(client, seeded, auth)
    vans = [{**v, "capacity_parcels": 10} for v in VANS]
    plan = planned(
        client,
        seeded,
        "/api/v1/delivery/routes/plan",
        {"warehouse": "LYS1", "date": day, "vehicles": vans},
        auth["operator"],
    )
    before = {
        s["key"]: s["eta_window"]
        for s in client.get(
            f"/api/v1/delivery/routes/{plan['id']}/stops", headers=auth["picker"]
        ).json()
    }
    sent = len(eta_notices(seeded))
    new = place(seeded, 9, "69002", "Lyon")
    again = planned(
        client,
        seeded,
        f"/api/v1/delivery/routes/{plan['id']}/replan",
        {"at": "08:00", "orders": [new]},
        auth["operator"],
    )
    assert again["revision"] == 2
    after = {
        s["key"]: s
        for s in client.get(
            f"/api/v1/delivery/routes/{plan['id']}/stops", headers=auth["picker"]
        ).json()
    }
    moved = {
        k
        for k, s in after.items()
        if s["status"] == "planned" and (k not in before or s["eta_window"] != before[k])
    }
    notices = eta_notices(seeded)[sent:]
    assert sorted(n.payload["order"] for n in notices) == sorted(moved)
    assert new in moved
    assert all("(new time)" in n.subject for n in notices if n.payload["order"] != new)
