"""Postal-code lookup and distances."""

from __future__ import annotations

import pytest

from maillon.core.geo import compact_postcode, french_communes, haversine_km, locate_fr


def test_la_poste_file_is_complete() -> None:
    communes = french_communes()
    assert len(communes) > 6000
    assert any(c.name == "LYON 02" for c in communes["69002"])


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [((48.8566, 2.3522), (45.7640, 4.8357), 392), ((48.8566, 2.3522), (43.2965, 5.3698), 661)],
)
def test_haversine_matches_known_distances(
    a: tuple[float, float], b: tuple[float, float], km: float
) -> None:
    assert haversine_km(*a, *b) == pytest.approx(km, rel=0.01)


def test_locate_picks_the_commune_named_by_the_city() -> None:
    # 01400 serves several communes; the city name chooses one
    communes = french_communes()["01400"]
    assert len(communes) > 1
    target = communes[-1]
    found = locate_fr("01400", target.name.title())
    assert found is not None and found.insee == target.insee
    assert locate_fr("99999") is None


@pytest.mark.parametrize(
    ("given", "compact"), [("75 001", "75001"), (" sw1a 1aa ", "SW1A1AA"), ("69\t002", "69002")]
)
def test_compact_postcode_drops_every_space_and_upper_cases(given: str, compact: str) -> None:
    assert compact_postcode(given) == compact
