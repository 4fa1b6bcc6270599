"""Console pages for shipping and delivery (server side): compare rates, ship an order and
print its label, follow its tracking, manifests, scorecards; plan a day's routes and see them
drawn, driver sheets, slot capacity; roles, bad input and French."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from maillon.core import jobs
from maillon.core.db import Database
from maillon.delivery import service as delivery
from maillon.delivery.service import route_jobs
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.model import order_number
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.shipping.tables import Parcel, Shipment
from tests.helpers import order_draft, packed_order
from tests.helpers.console import sign_in
from tests.helpers.delivery import booked_lyon_day
from tests.helpers.jobs import run_queued

HX = {"HX-Request": "true"}
RATE_FORM = {
    "country": "FR",
    "postcode": "69002",
    "weight_g": "1200",
    "length_mm": "300",
    "width_mm": "200",
    "height_mm": "150",
    "policy": "cheapest",
}


def sync_carriers(db: Database) -> None:
    with db.transaction() as s:
        shipping.sync_carriers(session=s)


def euros(html: str) -> list[float]:
    return [float(v) for v in re.findall(r'<td class="num">(\d+\.\d\d) EUR</td>', html)]


def test_rates_are_ranked_by_the_policy_and_explained(client: TestClient, seeded: Database) -> None:
    sync_carriers(seeded)
    sign_in(client, seeded)
    page = client.get("/shipping")
    assert page.status_code == 200
    assert 'id="rate-form"' in page.text and 'hx-get="/shipping/rates"' in page.text

    cheapest = client.get("/shipping/rates", params=RATE_FORM, headers=HX)
    assert cheapest.status_code == 200
    assert "<html" not in cheapest.text  # a fragment
    costs = euros(cheapest.text)
    assert len(costs) > 5 and costs == sorted(costs)
    assert "lowest price" in cheapest.text
    assert cheapest.text.count("= ") >= len(costs)  # every row explains its price
    dates = re.findall(r'<td class="when">(\d{4}-\d\d-\d\d)</td>', cheapest.text)
    assert len(dates) == len(costs)  # every service has its promised date
    assert re.search(r"\d+(\.\d)? % <span class=\"muted\">\(0\)</span>", cheapest.text)
    assert "Excluded services" in cheapest.text  # colissimo does not go abroad, etc.

    fastest = client.get("/shipping/rates", params={**RATE_FORM, "policy": "fastest"}, headers=HX)
    dates = re.findall(r'<td class="when">(\d{4}-\d\d-\d\d)</td>', fastest.text)
    assert dates == sorted(dates) and "earliest promised delivery" in fastest.text

    # without JavaScript the same form gives a page of its own
    full = client.get("/shipping/rates", params=RATE_FORM)
    assert full.status_code == 200 and "<html" in full.text
    assert euros(full.text) == costs


def test_ship_an_order_print_its_label_and_follow_it(client: TestClient, seeded: Database) -> None:
    sync_carriers(seeded)
    csrf = sign_in(client, seeded)
    number = packed_order(seeded)
    assert number in client.get("/shipping").text  # offered in the ship form's list

    r = client.post(
        "/shipping/ship",
        data={"number": number, "carrier": "colissimo", "policy": "best_value", "csrf": csrf},
        headers=HX,
    )
    assert r.status_code == 200 and 'role="alert"' not in r.text
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        (shipment,) = shipping.shipments_of(session=s, order=order)
        tracking, sscc = shipment.parcels[0].tracking_number, shipment.parcels[0].sscc
        postcode = order.ship_postcode
    assert order.status == "shipped" and tracking and sscc
    assert tracking in r.text and "Print the label" in r.text

    label = unescape(re.search(r'class="label-link" href="([^"]+)"', r.text).group(1))
    pdf = client.get(label)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert tracking in text and sscc in text and "Camille Martin" in text

    track = unescape(re.search(r'class="tracking-link" href="([^"]+)"', r.text).group(1))
    assert f"postcode={postcode}" in track
    public = client.get(track)
    assert public.status_code == 200 and tracking in public.text

    page = client.get("/shipping")
    assert tracking in page.text and f"/shipping/shipments/{shipment.id}/labels.pdf" in page.text
    assert tracking not in client.get("/shipping", params={"status": "delivered"}).text
    assert tracking in client.get("/shipping", params={"carrier": "colissimo"}).text
    assert tracking not in client.get("/shipping", params={"carrier": "dhl"}).text

    # today's manifest of the carrier lists the parcel
    manifests = re.findall(r'href="(/shipping/manifest\?carrier=colissimo[^"]+)"', page.text)
    assert len(manifests) == 2
    csv_link = unescape(next(m for m in manifests if m.endswith("csv")))
    got = client.get(csv_link)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [row["order_reference"] for row in rows[:-1]] == [number]
    pdf_link = unescape(next(m for m in manifests if m.endswith("pdf")))
    assert client.get(pdf_link).content.startswith(b"%PDF")


def test_shipping_without_javascript_redirects_to_the_result(
    client: TestClient, seeded: Database
) -> None:
    csrf = sign_in(client, seeded)
    number = packed_order(seeded)
    r = client.post("/shipping/ship", data={"number": number, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/shipping?shipped={number}"
    page = client.get(r.headers["location"])
    with seeded.reader() as s:
        tracking = s.scalars(select(Parcel.tracking_number)).one()
    assert 'class="tracking-link"' in page.text and tracking in page.text


def test_late_shipments_and_scorecards(client: TestClient, seeded: Database) -> None:
    csrf = sign_in(client, seeded)
    numbers = [packed_order(seeded, [("MUG-01", 1)], email=f"s{k}@example.fr") for k in range(3)]
    for number in numbers:
        r = client.post(
            "/shipping/ship", data={"number": number, "carrier": "colissimo", "csrf": csrf}
        )
        assert r.status_code == 200
    with seeded.transaction() as s:
        follow_up.mark_delivered(session=s, number=numbers[0], actor="t")
        late = s.scalars(select(Shipment).order_by(Shipment.id.desc()).limit(1)).one()
        late.promised_on = dt.date(2020, 1, 6)  # long past, not delivered
        late_order = late.order_id
    page = client.get("/shipping")
    section = page.text.split("late-h", 2)[2].split("recent-h")[0]
    assert section.count('class="late-row"') == 1 and "06/01/2020" in section
    assert order_number(late_order) in section

    cards = client.get("/shipping/scorecards", params={"days": 30}, headers=HX)
    assert cards.status_code == 200 and "scorecard-chart" in cards.text
    row = re.search(r"<td>colissimo</td><td>all zones</td>(.*?)</tr>", cards.text).group(1)
    shipments, delivered = re.findall(r'<td class="num">(\d+)</td>', row)[:2]
    assert (shipments, delivered) == ("3", "1")
    series = json.loads(re.search(r"const series = (\[.*?\]);", cards.text).group(1))
    everything = next(s for s in series if s["name"] == "all zones")
    assert everything["x"] == ["colissimo"] and 0 < everything["y"][0] <= 100
    assert client.get("/shipping/scorecards", params={"days": 0}).status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_g": "heavy"}, "weight_g"),
        ({"weight_g": "0"}, "weight_g"),
        ({"postcode": "ABC"}, "postcode"),
        ({"country": "France"}, "country"),
        ({"policy": "random"}, "policy"),
    ],
)
def test_bad_rate_input_is_named_in_the_page(
    client: TestClient, seeded: Database, change: dict[str, str], field: str
) -> None:
    sign_in(client, seeded)
    fragment = client.get("/shipping/rates", params={**RATE_FORM, **change}, headers=HX)
    assert fragment.status_code == 200
    alert = re.search(r'role="alert">([^<]+)<', fragment.text)
    assert alert and field in alert.group(1)
    page = client.get("/shipping/rates", params={**RATE_FORM, **change})
    assert page.status_code == 422 and 'role="alert"' in page.text and "<html" in page.text


def test_bad_ship_and_plan_input_is_named_in_the_page(client: TestClient, seeded: Database) -> None:
    csrf = sign_in(client, seeded)
    allocated, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 1)]), actor="t", allocate=True
    )
    for number, words in (
        ("", "order"),
        ("M9999999", "order"),
        (allocated.number, "cannot go from"),
    ):
        r = client.post("/shipping/ship", data={"number": number, "csrf": csrf}, headers=HX)
        assert r.status_code == 200
        alert = re.search(r'role="alert">([^<]+)<', r.text)
        assert alert and words in unescape(alert.group(1)), r.text
    r = client.post(
        "/shipping/ship", data={"number": allocated.number, "policy": "x", "csrf": csrf}
    )
    page = client.get(r.headers["location"]) if r.status_code == 303 else r
    assert page.status_code == 200 and "policy" in page.text and 'role="alert"' in page.text
    assert client.post("/shipping/ship", data={"number": allocated.number}).status_code == 403

    tomorrow = (delivery.local_today() + dt.timedelta(days=1)).isoformat()
    base = {"warehouse": "LYS1", "day": tomorrow, "csrf": csrf}
    for change, field in (
        ({"vehicles": "0"}, "vehicles"),
        ({"capacity": "-3"}, "capacity"),
        ({"shift_start": "25:00"}, "shift_start"),
        ({"shift_start": "18:00", "shift_end": "08:00"}, "shift_end"),
        ({"day": "tomorrow"}, "day"),
        ({"warehouse": "NOPE"}, "warehouse"),
        ({}, "orders"),  # nothing booked that day
    ):
        r = client.post("/delivery/plan", data={**base, **change}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(r.headers["location"])
        assert page.status_code == 200
        alert = re.search(r'role="alert">([^<]+)<', page.text)
        assert alert and field in alert.group(1), (change, page.text[:300])
    with seeded.reader() as s:  # refused at once: no planning queued
        assert not jobs.active(s, route_jobs.PLAN_JOB)

    for path in ("/shipping?day=someday", "/delivery?day=someday"):
        page = client.get(path)
        assert page.status_code == 200 and "day: a date" in page.text, path

    missing = client.get("/shipping/shipments/999/labels.pdf")
    assert missing.status_code == 404 and "not found" in missing.text
    assert client.get("/delivery/plans/999/sheets.pdf").status_code == 404


def test_roles_on_the_transport_pages(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded, role="picker")
    today = delivery.local_today().isoformat()
    for path in (
        "/shipping",
        "/delivery",
        "/shipping/rates",
        "/shipping/scorecards",
        f"/shipping/manifest?carrier=colissimo&date={today}",
        "/delivery/plans/1/sheets.pdf",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post("/shipping/ship", data={"number": "M1"}).status_code == 403
    assert client.post("/delivery/plan", data={"warehouse": "LYS1"}).status_code == 403
    # pickers print labels at the packing station: the route lets them through
    assert client.get("/shipping/shipments/999/labels.pdf").status_code == 404


def test_agents_may_not_open_shipping_or_delivery(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded, role="agent")
    assert client.get("/shipping").status_code == 403
    assert client.get("/delivery").status_code == 403


def test_delivery_plans_routes_and_draws_them(client: TestClient, seeded: Database) -> None:
    day, numbers = booked_lyon_day(seeded, capacity=3)
    csrf = sign_in(client, seeded)
    page = client.get("/delivery", params={"day": day.isoformat(), "warehouse": "LYS1"})
    assert page.status_code == 200
    assert "No route plan for this day" in page.text and "routes-chart" not in page.text
    assert "<p>6 home deliveries booked on this day</p>" in page.text
    # both windows of the day are full (3 booked of 3): highlighted
    assert page.text.count('<td class="num full">3 / 3') == 2
    assert page.text.count("0 / 3</td>") == 2  # the next day's slots are empty

    r = client.post(
        "/delivery/plan",
        data={
            "warehouse": "LYS1",
            "day": day.isoformat(),
            "vehicles": "2",
            "capacity": "3",
            "shift_start": "08:00",
            "shift_end": "18:00",
            "csrf": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and "queued=" in r.headers["location"]
    queued = client.get(r.headers["location"], headers={"Accept-Language": "en"})
    assert "Route planning queued" in queued.text and 'href="/jobs"' in queued.text
    assert "Routes are being planned (0 %" in queued.text
    assert "No route plan for this day" in queued.text  # the worker has not planned it yet
    (job_id,) = run_queued(seeded, route_jobs.PLAN_JOB)
    assert r.headers["location"].endswith(f"queued={job_id}")
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and 'role="alert"' not in page.text
    assert "Route planning queued" not in page.text and "being planned" not in page.text
    figure = json.loads(re.search(r"const fig = (\{.*?\});\n", page.text).group(1))
    routes = [t for t in figure["traces"] if t["name"].startswith("VAN")]
    depot = next(t for t in figure["traces"] if t["name"] == "depot")
    assert {t["name"] for t in routes} == {"VAN1", "VAN2"}
    served = [h.split(" ")[1] for t in routes for h in t["hovertext"][1:-1]]
    assert sorted(served) == sorted(numbers)  # every booked customer is on a route once
    with seeded.reader() as s:
        lys = inventory.get_warehouse(session=s, code="LYS1")
        expected = delivery.warehouse_point(lys)
    for t in routes:  # each route leaves the depot and comes back
        assert (t["y"][0], t["x"][0]) == (t["y"][-1], t["x"][-1]) == expected
        assert len(t["x"]) - 2 <= 3  # the vans' capacity
    assert depot["x"] == [expected[1]] and depot["y"] == [expected[0]]
    assert 1.3 < figure["ratio"] < 1.6  # a degree of longitude is shorter at Lyon's latitude

    table = page.text.split('id="route-table"')[1].split("</table>")[0]
    assert table.count('<th scope="row">VAN') == 2
    sheets = re.findall(r'href="(/delivery/plans/\d+/sheets\.pdf\?vehicle=VAN\d)"', table)
    assert len(sheets) == 2
    first = client.get(sheets[0])
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(first.content)).pages)
    van1 = next(t for t in routes if t["name"] == sheets[0][-4:])
    assert all(h.split(" ")[1] in text for h in van1["hovertext"][1:-1])
    every = client.get(re.search(r'href="(/delivery/plans/\d+/sheets\.pdf)"', page.text).group(1))
    assert every.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(every.content)).pages) == 2


def test_transport_pages_speak_french(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded)
    fr = {"Accept-Language": "fr-FR,fr;q=0.9"}
    shipping_page = client.get("/shipping", headers=fr)
    assert shipping_page.status_code == 200
    assert (
        "<h1>Expédition</h1>" in shipping_page.text and "Comparer les tarifs" in shipping_page.text
    )
    assert "Expéditions récentes" in shipping_page.text
    delivery_page = client.get("/delivery", headers=fr)
    assert delivery_page.status_code == 200 and "Planifier les tournées" in delivery_page.text
    assert "Capacité des créneaux" in delivery_page.text
    bad = client.get("/shipping/rates", params={**RATE_FORM, "policy": "x"}, headers=fr)
    assert "Comparer les tarifs" in bad.text and 'role="alert"' in bad.text


def test_micro_warehouse_what_if_from_the_delivery_page(
    client: TestClient, seeded: Database
) -> None:
    from maillon.orders.model import AddressDraft

    for i, (pc, city) in enumerate([("69001", "Lyon"), ("69004", "Lyon"), ("69003", "Lyon")]):
        address = AddressDraft(name="X", line1="1 rue", postcode=pc, city=city, country="FR")
        orders.place_order(
            seeded, order_draft(email=f"wi{i}@example.fr", address=address), actor="t"
        )
    sign_in(client, seeded)
    page = client.get("/delivery", params={"warehouse": "LYS1"})
    assert 'hx-get="/delivery/what-if"' in page.text and 'for="wi-sites"' in page.text
    r = client.get(
        "/delivery/what-if",
        params={"central": "LYS1", "sites": "LYON-CENTRE, 45.7640, 4.8357, 50", "days": "1"},
    )
    assert r.status_code == 200 and 'role="alert"' not in r.text
    assert "3 deliveries over 1 days" in r.text and "LYON-CENTRE" in r.text
    assert 'id="whatif-chart"' in r.text and '"km_per_day"' in r.text
    bad = client.get(
        "/delivery/what-if", params={"central": "LYS1", "sites": "X, north, 4.8", "days": "0"}
    )
    assert 'role="alert"' in bad.text and "sites line 1" in bad.text and "days:" in bad.text
