"""Layout documents and location codes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.core.errors import ValidationError
from maillon.warehouse.layout import Side
from maillon.warehouse.layout_spec import LayoutSpec

DOC = {"aisles": 5, "aisle_length": 12, "aisle_spacing": 2.5, "levels": 3, "prefix": "B"}


def test_codes_map_to_aisle_position_and_side() -> None:
    spec = LayoutSpec.parse(DOC)
    left, right = spec.locate("B02-07-1"), spec.locate("B02-08")
    assert left is not None and right is not None
    assert (left.aisle, left.side) == (1, Side.LEFT) and right.side == Side.RIGHT
    assert left.position == right.position == pytest.approx(3.5)  # the 4th bay pair
    assert spec.locate("B06-01") is None  # aisle 6 does not exist
    assert spec.locate("B01-25") is None  # 12 m of 1 m bays: 24 bays
    assert spec.locate("B01-01-4") is None  # 3 levels
    assert spec.locate("shelf 12") is None
    assert spec.level_of("B01-01-3") == 3 and spec.level_of("B01-01") == 1


def test_every_generated_location_is_placed_and_unique() -> None:
    spec = LayoutSpec.parse(DOC)
    codes = list(spec.locations())
    assert len(codes) == len(set(codes)) == 5 * 24 * 3
    assert all(spec.locate(c) is not None for c in codes)


def test_zones_and_round_trip() -> None:
    spec = LayoutSpec.parse({**DOC, "zones": [{"name": "cold", "aisles": [5]}], "blocks": 2})
    assert spec.zone_of("B05-01") == "cold" and spec.zone_of("B01-01") is None
    assert LayoutSpec.parse(spec.to_dict()) == spec
    assert spec.layout().n_blocks == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"aisles": 0}, "aisles"),
        ({"aisle_length": -1}, "aisle_length"),
        ({"aisle_spacing": "wide"}, "aisle_spacing"),
        ({"depot": {"aisle": 9}}, "depot.aisle"),
        ({"levels": 2, "golden_levels": [3]}, "golden_levels.0"),
        ({"zones": [{"name": "Cold Room", "aisles": [1]}]}, "zones.0.name"),
        ({"zones": [{"name": "cold", "aisles": [7]}]}, "zones.0.aisles.0"),
        ({"prefix": "ABCD"}, "prefix"),
        ({"slot_volume_l": 0}, "slot_volume_l"),
        ({"racks": 3}, "racks"),
    ],
)
def test_bad_documents_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        LayoutSpec.parse({**DOC, **change})
    assert field in {e.field for e in info.value.errors}


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        LayoutSpec.parse({})
    assert {"aisles", "aisle_length", "aisle_spacing"} <= {e.field for e in info.value.errors}
    with pytest.raises(ValidationError):
        LayoutSpec.parse(["not", "a", "mapping"])


@given(aisle=st.integers(1, 5), bay=st.integers(1, 24), level=st.integers(1, 3))
def test_code_and_locate_agree(aisle: int, bay: int, level: int) -> None:
    spec = LayoutSpec.parse(DOC)
    location = spec.locate(spec.code(aisle, bay, level))
    assert location is not None and location.aisle == aisle - 1
    assert 0 <= location.position <= spec.aisle_length


@given(
    a=st.tuples(st.integers(0, 4), st.floats(0, 12)),
    b=st.tuples(st.integers(0, 4), st.floats(0, 12)),
)
def test_drawn_path_is_as_long_as_the_distance(a: tuple[int, float], b: tuple[int, float]) -> None:
    from maillon.warehouse.layout import PickLocation

    layout = LayoutSpec.parse({**DOC, "blocks": 2, "depot": {"aisle": 2, "offset": 1.5}}).layout()
    pa, pb = PickLocation(a[0], a[1]), PickLocation(b[0], b[1])
    for x, y in ((pa, pb), (layout.depot, pa), (pb, layout.depot)):
        corners = layout.path(x, y)
        length = sum(
            abs(x1 - x2) + abs(y1 - y2) for (x1, y1), (x2, y2) in itertools.pairwise(corners)
        )
        assert length == pytest.approx(layout.distance(x, y), abs=1e-9)
    tour = layout.walk([pa, pb])
    assert tour[0] == tour[-1] == (layout.depot.x, -1.5)
