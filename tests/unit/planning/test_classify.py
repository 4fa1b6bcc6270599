"""ABC/XYZ classification (pure)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning import classify as module
from maillon.planning.classify import (
    ClassThresholds,
    abc_classes,
    classify,
    coefficient_of_variation,
    xyz_classes,
)


def test_public_api_is_pinned() -> None:
    assert sorted(module.__all__) == sorted(
        [
            "ABC_CLASSES",
            "XYZ_CLASSES",
            "ClassThresholds",
            "Classification",
            "SkuClass",
            "abc_classes",
            "classify",
            "coefficient_of_variation",
            "xyz_classes",
        ]
    )


def test_abc_split_by_cumulative_value_with_the_crossing_sku_in_the_upper_class() -> None:
    # Shares before each SKU: 0, .50, .80, .90, .95, .98 (default lines at .80 and .95).
    assert abc_classes([50, 30, 10, 5, 3, 2]) == ("A", "A", "B", "B", "C", "C")


def test_abc_keeps_the_input_order() -> None:
    assert abc_classes([2, 50, 5, 30, 3, 10]) == ("C", "A", "B", "A", "C", "B")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (0.5, 0.9, ("A", "B", "B", "C", "C", "C")),
        (0.9, 0.99, ("A", "A", "A", "B", "B", "B")),
        (0.9, 0.98, ("A", "A", "A", "B", "B", "C")),
        (1.0, 1.0, ("A", "A", "A", "A", "A", "A")),
    ],
)
def test_abc_thresholds_are_configurable(a: float, b: float, expected: tuple[str, ...]) -> None:
    assert abc_classes([50, 30, 10, 5, 3, 2], a=a, b=b) == expected


def test_zero_value_is_c_even_when_everything_is_zero() -> None:
    assert abc_classes([10, 0]) == ("A", "C")
    assert abc_classes([0, 0, 0]) == ("C", "C", "C")


def test_coefficient_of_variation_by_hand() -> None:
    cv = coefficient_of_variation([[3, 3, 3, 3], [1, 2, 1, 2], [0, 2, 0, 2], [0, 0, 0, 0]])
    assert cv[0] == 0.0
    assert cv[1] == pytest.approx(0.5 / 1.5)
    assert cv[2] == pytest.approx(1.0)
    assert math.isinf(cv[3])


def test_xyz_split_and_thresholds() -> None:
    demand = [[3, 3, 3, 3], [1, 2, 1, 2], [0, 2, 0, 2], [0, 0, 0, 3], [0, 0, 0, 0]]
    assert xyz_classes(demand) == ("X", "X", "Y", "Z", "Z")
    assert xyz_classes(demand, x=0.2, y=2.0) == ("X", "Y", "Y", "Y", "Z")


def test_classify_combines_both_and_counts_cells() -> None:
    result = classify(
        skus=["a", "b", "c"],
        values=[80, 15, 5],
        demand=[[3, 3, 3], [0, 0, 9], [1, 2, 3]],
    )
    labels = {item.sku: item.label for item in result.items}
    assert labels == {"a": "AX", "b": "BZ", "c": "CX"}
    counts = result.counts()
    assert sum(counts.values()) == 3
    assert counts["AX"] == counts["BZ"] == counts["CX"] == 1
    shares = result.value_shares()
    assert shares["AX"] == pytest.approx(0.80)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert result.by_sku()["b"].cumulative_share == pytest.approx(0.95)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"abc_a": 0.0},
        {"abc_a": 0.9, "abc_b": 0.8},
        {"abc_b": 1.2},
        {"xyz_x": -0.1},
        {"xyz_x": 2.0, "xyz_y": 1.0},
        {"xyz_y": math.inf},
    ],
)
def test_invalid_thresholds_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="thresholds"):
        ClassThresholds(**kwargs)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="distinct"):
        classify(skus=["a", "a"], values=[1, 2], demand=[[1], [1]])
    with pytest.raises(ValueError, match="agree"):
        classify(skus=["a", "b"], values=[1], demand=[[1], [1]])
    with pytest.raises(ValueError, match=">= 0"):
        abc_classes([1, -1])
    with pytest.raises(ValueError, match=">= 0"):
        xyz_classes([[1, math.nan]])
    with pytest.raises(ValueError, match="skus x periods"):
        xyz_classes([1, 2, 3])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_abc_is_monotone_in_value_and_a_covers_its_share(values: list[float]) -> None:
    labels = abc_classes(values)
    rank = {"A": 0, "B": 1, "C": 2}
    for i, vi in enumerate(values):
        for j, vj in enumerate(values):
            if vi > vj:
                assert rank[labels[i]] <= rank[labels[j]]
    total = sum(values)
    if total > 0:
        a_share = sum(v for v, c in zip(values, labels, strict=True) if c == "A") / total
        assert a_share >= 0.80 - 1e-9


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 50), min_size=6, max_size=6), min_size=1, max_size=10),
    st.floats(0.01, 100),
)
def test_xyz_does_not_depend_on_the_demand_scale(rows: list[list[int]], scale: float) -> None:
    demand = np.array(rows, dtype=float)
    assert xyz_classes(demand) == xyz_classes(demand * scale)


def test_a_cv_exactly_on_the_threshold_stays_in_the_lower_class_at_any_scale() -> None:
    demand = np.array([[0, 0, 0, 37, 37, 37]], dtype=float)  # mean 18.5, sd 18.5: CV 1
    assert {xyz_classes(demand * s) for s in (0.01, 0.3, 1.0, 7.0, 100.0)} == {("Y",)}
