"""Relay points from real lists: the import upserts in one transaction with a per-line
report, the reads find the truly nearest points through the table (the illustrative file
before any import), a chosen point is checked by carrier, and the checkout reads the table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.core.errors import ValidationError
from maillon.delivery import relay_network
from maillon.delivery import service as delivery
from maillon.delivery.queries import relay_points as queries
from maillon.delivery.relay import RelayIndex, RelayPoint, default_index
from maillon.delivery.relay_files import to_csv
from maillon.delivery.service.relay_points import import_points
from maillon.delivery.tables import RelayPointRow
from maillon.shipping import rates
from maillon.shipping import service as shipping
from tests.helpers.carriers import CarrierServer, carrier_fixture, running_carrier

runner = CliRunner()
BREST = (48.3904, -4.4861)


def point(pid: str, carrier: str = "mondial_relay", **kw: object) -> RelayPoint:
    fields: dict[str, object] = {
        "id": pid, "network": carrier, "name": f"Relais {pid}", "address": "1 rue de Siam",
        "postcode": "29200", "city": "Brest", "lat": 48.39, "lon": -4.48,
    }  # fmt: skip
    fields.update(kw)
    return RelayPoint(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def france() -> tuple[RelayPoint, ...]:
    """A slice of the generated set: Brittany and around (about a tenth of France)."""
    return tuple(p for p in relay_network.generate() if p.lon < -1.0 and p.lat > 47.0)


def test_an_import_inserts_updates_and_closes_what_a_full_list_drops(db: Database) -> None:
    with db.transaction() as s:
        first = import_points(session=s, points=[point("066974"), point("071245")])
    assert (first.inserted, first.updated, first.closed) == (2, 0, 0)
    with db.transaction() as s:
        again = import_points(
            session=s,
            points=[point("066974", name="Librairie du Port"), point("1234R", "chronopost")],
        )
    assert (again.inserted, again.updated, again.closed) == (1, 1, 1)
    with db.reader() as s:
        assert queries.get_point(session=s, carrier="mondial_relay", point_id="071245") is None
        kept = queries.get_point(session=s, carrier="mondial_relay", point_id="066974")
        assert kept is not None and kept.name == "Librairie du Port"
        assert s.scalar(select(func.count()).select_from(RelayPointRow)) == 3
    with db.transaction() as s:  # a partial list (a search) closes nothing, reopens what it has
        partial = import_points(session=s, points=[point("071245")], full=False)
    assert (partial.inserted, partial.updated, partial.closed) == (0, 1, 0)
    with db.reader() as s:
        assert queries.get_point(session=s, carrier="mondial_relay", point_id="066974")
        assert queries.get_point(session=s, carrier="mondial_relay", point_id="071245")


def test_the_nearest_points_are_truly_the_nearest(
    db: Database, france: tuple[RelayPoint, ...]
) -> None:
    with db.transaction() as s:
        import_points(session=s, points=france)
    brute = RelayIndex(france)
    probes = [BREST, (47.2184, -1.5536), (48.1173, -1.6778), (48.6, -3.0), (47.9, -4.1)]
    with db.reader() as s:
        for lat, lon in probes:
            for carriers, limit in ((None, 5), (["mondial_relay"], 3), (["dpd", "chronopost"], 8)):
                got = queries.nearest_points(session=s, lat=lat, lon=lon, carriers=carriers,
                                             limit=limit, max_km=15)  # fmt: skip
                want = brute.nearest(lat, lon, limit=limit, max_km=15, networks=carriers)
                assert [(n.point.network, n.point.id) for n in got] == [
                    (n.point.network, n.point.id) for n in want
                ]
                assert [n.distance_km for n in got] == [n.distance_km for n in want]
        near = queries.nearest_to_address(session=s, country="FR", postcode="29200", limit=3)
        assert len(near) == 3 and near[0].distance_km < 3
        with pytest.raises(ValidationError) as err:
            queries.nearest_to_address(session=s, country="FR", postcode="00000")
        assert err.value.errors[0].field == "postcode"


def test_a_chosen_point_is_checked_against_its_carrier(db: Database) -> None:
    with db.transaction() as s:
        import_points(session=s, points=[point("066974"), point("207510", "colissimo")])
    with db.reader() as s:
        got = queries.require_point(session=s, carrier="mondial_relay", point_id="066974")
        assert got.network == "mondial_relay" and got.city == "Brest"
        with pytest.raises(ValidationError) as err:
            queries.require_point(session=s, carrier="mondial_relay", point_id="207510")
        assert err.value.errors[0].field == "relay_point"
        assert "belongs to colissimo" in err.value.errors[0].message
        with pytest.raises(ValidationError, match="no open relay point"):
            queries.require_point(session=s, carrier="mondial_relay", point_id="999999",
                                  field="delivery.relay_point")  # fmt: skip


def test_before_any_import_the_illustrative_file_answers(db: Database) -> None:
    sample = default_index().points[0]
    with db.reader() as s:
        assert not queries.has_points(session=s)
        assert queries.require_point(session=s, carrier=sample.network, point_id=sample.id)
        near = queries.nearest_points(session=s, lat=sample.lat, lon=sample.lon, limit=1)
        assert near[0].point == sample


def test_the_checkout_offers_the_imported_points(db: Database) -> None:
    with db.transaction() as s:
        import_points(session=s, points=[point("066974", lat=48.3905, lon=-4.4862)])
        shipping.create_carrier(session=s, code="mondial_relay", name="Mondial Relay")
    parcel = rates.RateParcel(800, 200, 150, 100, 2500)
    with db.reader() as s:
        got = delivery.delivery_options(
            session=s, country="FR", postcode="29200", city="Brest", parcel=parcel
        )
    assert [(r.near.point.network, r.near.point.id) for r in got.relay] == [
        ("mondial_relay", "066974")
    ]  # the only point of the table; the file has none near Brest
    assert got.relay[0].option.carrier == "mondial_relay"


def test_the_import_command_refuses_a_file_with_bad_lines(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "points.csv"
    bad.write_text(
        to_csv([point("066974"), point("071245")]).replace("48.390000", "north", 1),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["relay-points", "import", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert "line 2, lat: 'north' is not a latitude" in result.output
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(RelayPointRow)) == 0
    result = runner.invoke(
        app, ["relay-points", "import", str(bad), "--skip-invalid", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    assert "mondial_relay: 1 new, 0 updated, 0 closed" in result.output


def test_the_import_command_reads_a_carrier_list_and_the_near_command_answers(
    db_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "points.csv"
    good.write_text(to_csv([point("066974"), point("1234R", "chronopost")]), encoding="utf-8")
    args = ["relay-points", "import", str(good), "--carrier", "chronopost", "--db", db_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "chronopost: 1 new" in result.output
    result = runner.invoke(app, ["relay-points", "near", "29200", "--db", db_url])
    assert result.exit_code == 0 and "1234R" in result.output and "066974" not in result.output


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with running_carrier() as server:
        yield server


def test_the_import_command_takes_the_carrier_search(
    db_url: str, db: Database, carrier: CarrierServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    carrier.answer("POST", "/Web_Services.asmx", carrier_fixture("mondial_relay/point_search.xml"))
    for key, value in (("ENSEIGNE", "BDTEST13"), ("PRIVATE_KEY", "PrivateK"),
                       ("LOGIN", "l"), ("PASSWORD", "p")):  # fmt: skip
        monkeypatch.setenv(f"MAILLON_MONDIAL_RELAY_{key}", value)
    args = ["relay-points", "import", "--from-carrier", "--carrier", "mondial_relay",
            "--postcodes", "29200,29000", "--base-url", carrier.url, "--db", db_url]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "mondial_relay: 2 new" in result.output
    assert len(carrier.received) == 2
    with db.reader() as s:
        locker = queries.get_point(session=s, carrier="mondial_relay", point_id="071245")
    assert locker is not None and locker.kind == "locker"
    assert locker.opening_hours == "Mo-Su 00:00-24:00"
