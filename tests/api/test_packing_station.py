"""Packing station: the carton catalogue (CRUD and default seed), an order's pack plan (cartons,
costs, where each unit goes) and the scan that tells the packer where an item goes."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.warehouse import service
from tests.helpers import GTIN, PRODUCTS, order_draft
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
SIZE = {sku: (w, (ln, wd, h)) for sku, w, ln, wd, h, _ in PRODUCTS}
CARTON = {
    "code": "BOX-T",
    "length_mm": 310,
    "width_mm": 260,
    "height_mm": 120,
    "max_weight_g": 5000,
    "cost_cents": 40,
}


def test_carton_catalogue_crud_and_seed(client: TestClient, seeded: Database, auth: Auth) -> None:
    r = client.post("/api/v1/cartons", json=CARTON, headers=auth["operator"])
    assert r.status_code == 201, r.text
    assert r.json()["active"] is True
    assert client.post("/api/v1/cartons", json=CARTON, headers=auth["operator"]).status_code == 409
    r = client.patch(
        "/api/v1/cartons/BOX-T", json={"cost_cents": 55, "active": False}, headers=auth["operator"]
    )
    assert r.status_code == 200 and r.json()["cost_cents"] == 55 and not r.json()["active"]
    r = client.post("/api/v1/cartons/seed", headers=auth["operator"])
    assert r.status_code == 200
    codes = [c["code"] for c in r.json()]
    assert "BOX-T" in codes and "BOX-M" in codes and len(codes) == 7
    again = client.post("/api/v1/cartons/seed", headers=auth["operator"]).json()
    assert len(again) == 7
    assert client.get("/api/v1/cartons/BOX-M", headers=auth["picker"]).json()["height_mm"] == 200
    assert client.delete("/api/v1/cartons/BOX-T", headers=auth["operator"]).status_code == 204
    assert client.get("/api/v1/cartons/BOX-T", headers=auth["picker"]).status_code == 404
    assert client.post("/api/v1/cartons", json=CARTON, headers=auth["picker"]).status_code == 403


def test_bad_carton_input_names_the_field_and_writes_nothing(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    client.post("/api/v1/cartons", json=CARTON, headers=auth["operator"])
    before = row_counts(seeded)
    cases = [
        ("post", "/api/v1/cartons", {**CARTON, "code": "B1", "length_mm": 0}, 422, "length_mm"),
        ("post", "/api/v1/cartons", {**CARTON, "code": "bad code!"}, 422, "code"),
        ("post", "/api/v1/cartons", {**CARTON, "code": "B2", "cost_cents": -1}, 422, "cost_cents"),
        ("post", "/api/v1/cartons", {**CARTON, "code": "B3", "size": 1}, 422, "size"),
        ("patch", "/api/v1/cartons/BOX-T", {"max_weight_g": 0}, 422, "max_weight_g"),
        ("patch", "/api/v1/cartons/BOX-T", {"cost_cents": None}, 422, "cost_cents"),
        ("patch", "/api/v1/cartons/NOPE", {"cost_cents": 1}, 404, "code"),
        ("post", "/api/v1/packing/scan", {"barcode": "1"}, 422, "order"),
        (
            "post",
            "/api/v1/packing/scan",
            {"order": "M1", "pick_list": 1, "barcode": "1"},
            422,
            "order",
        ),
        ("post", "/api/v1/packing/scan", {"order": "M9999", "barcode": "1"}, 404, "order"),
        ("post", "/api/v1/packing/scan", {"order": "M1", "barcode": ""}, 422, "barcode"),
    ]
    for method, url, body, code, field in cases:
        r = getattr(client, method)(url, json=body, headers=auth["operator"])
        assert r.status_code == code, (url, body, r.text)
        err = r.json()["error"]
        assert field in {err.get("field"), *(e["field"] for e in err.get("errors", []))}, err
    r = client.get("/api/v1/orders/M9999/pack-plan", headers=auth["picker"])
    assert r.status_code == 404
    assert row_counts(seeded) == before


def check_plan(plan: dict, units: dict[str, int], cartons: dict[str, dict]) -> None:
    """Every unit placed once, no carton overfilled in weight or volume, no overlap."""
    placed: dict[str, int] = {}
    for parcel in plan["parcels"]:
        carton = cartons[parcel["carton"]]
        inner = (carton["length_mm"], carton["width_mm"], carton["height_mm"])
        assert parcel["inner_mm"] == list(inner)
        weight = sum(SIZE[u["sku"]][0] for u in parcel["units"])
        assert weight == parcel["contents_weight_g"] <= carton["max_weight_g"]
        boxes = []
        for u in parcel["units"]:
            placed[u["sku"]] = placed.get(u["sku"], 0) + 1
            assert sorted((u["length"], u["width"], u["height"])) == sorted(SIZE[u["sku"]][1])
            box = (
                u["x"],
                u["y"],
                u["z"],
                u["x"] + u["length"],
                u["y"] + u["width"],
                u["z"] + u["height"],
            )
            assert min(box[:3]) >= 0 and box[3] <= inner[0] and box[4] <= inner[1]
            assert box[5] <= inner[2]
            for other in boxes:
                assert not all(
                    min(box[k + 3], other[k + 3]) > max(box[k], other[k]) for k in range(3)
                )
            boxes.append(box)
        assert parcel["chargeable_weight_g"] >= parcel["gross_weight_g"]
        assert [u["step"] for u in parcel["units"]] == list(range(1, len(parcel["units"]) + 1))
    assert placed == units
    assert plan["total_cost_cents"] == sum(
        p["carton_cost_cents"] + p["shipping_cost_cents"] for p in plan["parcels"]
    )


def test_pack_plan_places_every_unit_without_overfilling(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    client.post("/api/v1/cartons/seed", headers=auth["operator"])
    cartons = {c["code"]: c for c in client.get("/api/v1/cartons", headers=auth["picker"]).json()}
    order, _ = orders.place_order(
        seeded,
        order_draft([("MUG-01", 5), ("TSHIRT-M", 4), ("BOOK-07", 1)]),
        actor="t",
        allocate=True,
    )
    r = client.get(f"/api/v1/orders/{order.number}/pack-plan", headers=auth["picker"])
    assert r.status_code == 200, r.text
    (plan,) = r.json()
    assert plan["warehouse"] == "PAR1" and plan["catalogue"] == "catalogue"
    assert plan["unpackable"] == []
    check_plan(plan, {"MUG-01": 5, "TSHIRT-M": 4, "BOOK-07": 1}, cartons)
    # a small catalogue forces a split into several cartons, still never overfilled
    for code in list(cartons):
        client.patch(f"/api/v1/cartons/{code}", json={"active": False}, headers=auth["operator"])
    client.patch(
        "/api/v1/cartons/BOX-S",
        json={"active": True, "max_weight_g": 1000},
        headers=auth["operator"],
    )
    cartons = {c["code"]: c for c in client.get("/api/v1/cartons", headers=auth["picker"]).json()}
    (small,) = client.get(f"/api/v1/orders/{order.number}/pack-plan", headers=auth["picker"]).json()
    assert len(small["parcels"]) >= 3 and small["unpackable"] == ["TSHIRT-M"] * 4
    check_plan(small, {"MUG-01": 5, "BOOK-07": 1}, cartons)
    # shipping's entry point gives the same plan
    with seeded.reader() as s:
        (same,) = service.pack_plan(session=s, number=order.number)
    assert json.loads(json.dumps(same.to_dict()))["parcels"] == small["parcels"]


def test_packing_scan_tells_where_each_item_goes(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    order, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 2), ("BOOK-07", 1)]), actor="t", allocate=True
    )
    (pick,) = client.post(
        f"/api/v1/orders/{order.number}/pick-lists", headers=auth["operator"]
    ).json()
    scan = {"order": order.number, "barcode": GTIN["MUG-01"]}
    r = client.post("/api/v1/packing/scan", json=scan, headers=auth["picker"])
    assert r.status_code == 409  # not picked yet
    assert (
        client.post(
            f"/api/v1/pick-lists/{pick['id']}/confirm", json={}, headers=auth["picker"]
        ).status_code
        == 200
    )
    (plan,) = client.get(f"/api/v1/orders/{order.number}/pack-plan", headers=auth["picker"]).json()
    steps = {(p["number"], u["step"]): u for p in plan["parcels"] for u in p["units"]}
    seen = []
    for barcode in (GTIN["MUG-01"] + "\n", "]E0" + GTIN["BOOK-07"], GTIN["MUG-01"]):
        r = client.post(
            "/api/v1/packing/scan",
            json={"pick_list": pick["id"], "barcode": barcode},
            headers=auth["picker"],
        )
        assert r.status_code == 200, r.text
        body = r.json()
        unit = body["unit"]
        assert steps[(body["parcel"], unit["step"])] == unit
        seen.append((body["parcel"], unit["step"]))
    assert len(set(seen)) == 3 and body["done"] and body["order_units_left"] == 0
    # the last unit closed the boxes, as at the console's packing station
    assert body["parcels"] == len(plan["parcels"]) >= 1
    packed = client.get(f"/api/v1/orders/{order.number}", headers=auth["operator"]).json()
    assert packed["status"] == "packed"
    assert len(packed["parcels"]) == body["parcels"]
    assert all(p["sscc"] for p in packed["parcels"])
    before = row_counts(seeded)
    r = client.post("/api/v1/packing/scan", json=scan, headers=auth["picker"])
    assert r.status_code == 409 and r.json()["error"]["field"] == "barcode"
    r = client.post(
        "/api/v1/packing/scan", json={**scan, "barcode": GTIN["LAMP-02"]}, headers=auth["picker"]
    )
    assert r.status_code == 409 and r.json()["error"]["field"] == "barcode"
    assert row_counts(seeded) == before
