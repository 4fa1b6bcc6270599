"""KPI definitions, rates and histogram quantiles."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.analytics.definitions import (
    DIMENSIONS,
    KPIS,
    RETURN_REASON_CODES,
    CostRates,
    KpiTable,
    catalogue_markdown,
    cost_rates_from_env,
    histogram_quantile,
    mean_or_none,
    rate,
    reason_key,
)


def test_keys_are_unique_and_documented() -> None:
    keys = [k.key for k in KPIS]
    assert len(keys) == len(set(keys))
    assert all(k.formula and k.label for k in KPIS)
    docs = Path(__file__).resolve().parents[3] / "docs" / "kpis.md"
    assert docs.read_text(encoding="utf-8").strip() == catalogue_markdown().strip(), (
        "docs/kpis.md is stale: regenerate it from catalogue_markdown()"
    )


def test_rates_handle_empty_denominators() -> None:
    assert rate(1, 4) == 25.0 and rate(3, 2, pct=False) == 1.5
    assert rate(0, 0) is None and rate(None, 3) is None
    assert mean_or_none(7200, 2, scale=1 / 3600) == 1.0 and mean_or_none(5, 0) is None


@given(st.lists(st.floats(0, 500, allow_nan=False), min_size=1, max_size=300), st.floats(0, 1))
def test_histogram_quantile_is_within_one_bucket_of_the_exact_quantile(
    values: list[float], q: float
) -> None:
    width = 0.25
    hist: dict[int, int] = {}
    for v in values:
        hist[int(v // width)] = hist.get(int(v // width), 0) + 1
    got = histogram_quantile(hist, q, width=width)
    ordered = sorted(values)
    # the value the quantile lands on lies in the bucket the interpolation reads
    rank = max(0, min(len(ordered) - 1, int(q * len(ordered) - 1e-9)))
    assert got is not None and abs(got - ordered[rank]) <= width + 0.01


def test_histogram_quantile_edges() -> None:
    assert histogram_quantile({}, 0.5, width=1.0) is None
    assert histogram_quantile({2: 4}, 0.5, width=1.0) == 2.5
    with pytest.raises(ValueError, match="q"):
        histogram_quantile({1: 1}, 1.5, width=1.0)


def test_table_csv_round_trip() -> None:
    table = KpiTable(start=None, end=None, by="carrier")
    table.rows = {"dpd": {"orders": 3, "otif_pct": None}, "gls": {"orders": 5, "otif_pct": 80.0}}
    rows = list(csv.DictReader(io.StringIO(table.to_csv(["orders", "otif_pct"]))))
    assert rows == [
        {"carrier": "dpd", "orders": "3", "otif_pct": ""},
        {"carrier": "gls", "orders": "5", "otif_pct": "80.0"},
    ]
    assert table.value("orders", "gls") == 5
    with pytest.raises(KeyError):
        table.value("happiness")


def test_new_chain_kpis_are_in_the_catalogue() -> None:
    keys = {k.key for k in KPIS}
    for key in (
        "pick_accuracy_pct",
        "lines_per_hour",
        "pick_cost_cents",
        "pack_cost_cents",
        "ship_cost_cents",
        "cost_per_order_cents",
        "return_units_pct",
        "return_reason_defective_pct",
        "return_reason_other_pct",
        "sla_breach_pct",
        "csat_mean",
        "csat_satisfied_pct",
        "sessions",
        "conversion_pct",
        "cart_abandonment_pct",
        "abandoned_cart_cents",
        "fraud_catch_pct",
        "fraud_false_positive_pct",
    ):
        assert key in keys
    for k in KPIS:
        assert set(k.not_by) <= set(DIMENSIONS), k.key
    by_key = {k.key: k for k in KPIS}
    assert "carrier" in by_key["lines_per_hour"].not_by
    assert "None by warehouse, carrier" in catalogue_markdown()


def test_reason_keys_fold_unknown_codes_into_other() -> None:
    assert reason_key("defective") == "return_reason_defective_pct"
    assert reason_key("fits_badly") == "return_reason_other_pct"
    assert all(reason_key(code) in {k.key for k in KPIS} for code in RETURN_REASON_CODES)


def test_cost_rates_validate_and_read_the_environment() -> None:
    assert cost_rates_from_env({}) == CostRates()
    rates = cost_rates_from_env(
        {
            "MAILLON_KPI_LABOUR_CENTS_PER_HOUR": " 3000 ",
            "MAILLON_KPI_PACK_SECONDS_PER_PARCEL": "45.5",
        }
    )
    assert rates == CostRates(labour_cents_per_hour=3000.0, pack_seconds_per_parcel=45.5)
    with pytest.raises(ValueError, match="MAILLON_KPI_LABOUR_CENTS_PER_HOUR"):
        cost_rates_from_env({"MAILLON_KPI_LABOUR_CENTS_PER_HOUR": "cheap"})
    with pytest.raises(ValueError, match="MAILLON_KPI_PACK_SECONDS_PER_PARCEL"):
        cost_rates_from_env({"MAILLON_KPI_PACK_SECONDS_PER_PARCEL": "-1"})
    with pytest.raises(ValueError, match="labour_cents_per_hour"):
        CostRates(labour_cents_per_hour=float("nan"))
