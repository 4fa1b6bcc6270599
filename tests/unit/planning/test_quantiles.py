"""Per-step forecast quantiles, lead-time demand from quantiles, per-class service targets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning.forecast import ForecastConfig, forecast, quantile_column
from maillon.planning.policy import (
    LeadTimeDemand,
    ServiceTargets,
    design_batch,
    lead_time_demand,
)

H = 6


def random_walks(n: int, length: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 1.0, (n, length))
    values = 100.0 + np.cumsum(steps, axis=1)
    ds = pd.date_range("2024-01-01", periods=length, freq="D")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:03d}" for i in range(n)], length),
            "ds": np.tile(ds, n),
            "y": values.reshape(-1),
        }
    )


@pytest.fixture(scope="module")
def walks() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random walks (forecast error grows like sqrt(step)): history and the next H days."""
    frame = random_walks(150, 40 + H, seed=3)
    last = frame.groupby("unique_id").cumcount(ascending=False) < H
    return frame[~last].reset_index(drop=True), frame[last].reset_index(drop=True)


@pytest.fixture(scope="module")
def walk_forecast(walks: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    history, _ = walks
    config = ForecastConfig(
        horizon=H, models=("naive",), n_windows=3, nonnegative=False, quantiles=(0.5, 0.9)
    )
    return forecast(history, config=config).forecasts


def test_interval_widens_with_the_step_for_a_random_walk(walk_forecast: pd.DataFrame) -> None:
    width = (walk_forecast[quantile_column(0.9)] - walk_forecast["forecast"]).groupby(
        walk_forecast["step"]
    )
    mean_width = width.mean().to_numpy()
    # sqrt(6) ~ 2.4: the last step's band is clearly wider than the first one's
    assert mean_width[-1] > 1.6 * mean_width[0] > 0


def test_every_step_is_covered_about_right(
    walks: tuple[pd.DataFrame, pd.DataFrame], walk_forecast: pd.DataFrame
) -> None:
    _, future = walks
    merged = future.merge(walk_forecast, on=["unique_id", "ds"])
    assert len(merged) == len(future)
    covered = (merged["y"] <= merged[quantile_column(0.9)]).groupby(merged["step"]).mean()
    # 150 series per step: a binomial sd of ~2.5 points around 90 %
    assert covered.min() > 0.8 and covered.max() <= 0.99


def test_step_correlation_of_a_random_walk_is_high(
    walks: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    history, _ = walks
    config = ForecastConfig(horizon=H, models=("naive",), n_windows=3, nonnegative=False)
    result = forecast(history, config=config)
    # a random walk's h-step errors share their first increments: strongly correlated
    assert result.step_correlation >= 0.5


def test_ensemble_and_extra_models_are_validated() -> None:
    with pytest.raises(ValueError, match="intermittent_extra"):
        ForecastConfig(horizon=2, models=("naive",), intermittent_extra=("auto_ets",))
    with pytest.raises(ValueError, match="ensemble"):
        ForecastConfig(horizon=2, ensemble="mode")  # type: ignore[arg-type]


# ------------------------------------------------------------------ lead-time demand


def flat(steps: int, mean: float, spread: float) -> dict[str, object]:
    z90 = 1.2815515655446004
    return {
        "forecast": [mean] * steps,
        "quantiles": {0.5: [mean] * steps, 0.9: [mean + z90 * spread] * steps},
    }


def test_lead_time_demand_independent_and_correlated_steps() -> None:
    independent = lead_time_demand(**flat(10, 4.0, 2.0), lead_time_mean=4, review_period=1)  # type: ignore[arg-type]
    assert independent.mean == pytest.approx(20.0)
    assert independent.sd == pytest.approx(2.0 * math.sqrt(5), rel=1e-6)
    together = lead_time_demand(
        **flat(10, 4.0, 2.0),  # type: ignore[arg-type]
        lead_time_mean=4,
        review_period=1,
        correlation=1.0,
    )
    assert together.sd == pytest.approx(10.0, rel=1e-6)


def test_lead_time_variability_adds_mean_rate_squared_times_its_variance() -> None:
    ltd = lead_time_demand(**flat(3, 5.0, 0.0), lead_time_mean=6, lead_time_sd=2)  # type: ignore[arg-type]
    # steps past the horizon repeat the last one; no forecast error: sd = rate x sd_L
    assert ltd.mean == pytest.approx(30.0)
    assert ltd.sd == pytest.approx(10.0)
    assert ltd.demand_sd == 0.0


def test_fractional_lead_time_counts_part_of_the_last_step() -> None:
    ltd = lead_time_demand(
        forecast=[1.0, 2.0, 3.0], quantiles={0.9: [2.0, 3.0, 4.0]}, lead_time_mean=2.5
    )
    assert ltd.mean == pytest.approx(1.0 + 2.0 + 0.5 * 3.0)


def test_period_sigma_gives_back_the_lead_time_spread_in_the_policy_formulas() -> None:
    ltd = lead_time_demand(
        forecast=[3.0, 5.0, 8.0, 2.0],
        quantiles={0.5: [3.0, 4.0, 7.0, 2.0], 0.95: [6.0, 9.0, 15.0, 4.0]},
        lead_time_mean=3,
        lead_time_sd=1.5,
        review_period=1,
        correlation=0.4,
    )
    batch = design_batch(
        skus=["x"],
        forecast_mean=[ltd.rate],
        forecast_sigma=[ltd.period_sigma],
        lead_time_mean=3.0,
        lead_time_sd=1.5,
        kind="RS",
    )
    # RS with R = 1 and a cycle of P = 4 periods: sigma_P^2 = P sigma^2 + mu^2 sigma_L^2
    sigma_p = math.sqrt(4 * ltd.period_sigma**2 + (ltd.rate * 1.5) ** 2)
    assert sigma_p == pytest.approx(ltd.sd)
    assert float(batch.safety_stock[0]) > 0


@settings(max_examples=40, deadline=None)
@given(
    mean=st.floats(0.0, 50.0),
    spread=st.floats(0.0, 20.0),
    lead=st.floats(0.5, 12.0),
    rho=st.floats(0.0, 1.0),
)
def test_more_correlation_never_narrows_and_quantiles_are_ordered(
    mean: float, spread: float, lead: float, rho: float
) -> None:
    base = lead_time_demand(**flat(5, mean, spread), lead_time_mean=lead, correlation=0.0)  # type: ignore[arg-type]
    more = lead_time_demand(**flat(5, mean, spread), lead_time_mean=lead, correlation=rho)  # type: ignore[arg-type]
    assert more.sd >= base.sd - 1e-9
    assert more.quantile(0.5) <= more.quantile(0.9) + 1e-9 <= more.quantile(0.99) + 2e-9
    assert more.safety_stock(0.95) >= 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"forecast": [], "quantiles": {0.9: []}, "lead_time_mean": 1}, "at least one step"),
        ({"forecast": [1.0], "quantiles": {0.5: [1.0]}, "lead_time_mean": 1}, "above 0.5"),
        ({"forecast": [1.0], "quantiles": {0.9: [1.0, 2.0]}, "lead_time_mean": 1}, "expected 1"),
        ({"forecast": [1.0], "quantiles": {0.9: [2.0]}, "lead_time_mean": 0}, "must be > 0"),
        (
            {"forecast": [1.0], "quantiles": {0.9: [2.0]}, "lead_time_mean": 1, "correlation": 2},
            "correlation",
        ),
        ({"forecast": [-1.0], "quantiles": {0.9: [2.0]}, "lead_time_mean": 1}, ">= 0"),
    ],
)
def test_lead_time_demand_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lead_time_demand(**kwargs)  # type: ignore[arg-type]


def test_lead_time_demand_object_validates() -> None:
    with pytest.raises(ValueError, match="periods"):
        LeadTimeDemand(mean=1.0, sd=1.0, periods=0.0, demand_sd=1.0)
    with pytest.raises(ValueError, match="level"):
        LeadTimeDemand(mean=1.0, sd=1.0, periods=1.0, demand_sd=1.0).quantile(1.0)


# ------------------------------------------------------------------ service targets


def test_service_targets_look_up_label_then_abc_then_xyz() -> None:
    targets = ServiceTargets.parse("A=0.98, cz=0.8, Y=0.9", default=0.93)
    assert targets.level_for("AX") == 0.98
    assert targets.level_for("CZ") == 0.8
    assert targets.level_for("BY") == 0.9
    assert targets.level_for("BX") == 0.93
    assert targets.level_for(None) == 0.93
    assert ServiceTargets.parse("").by_class == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A", "LABEL=TARGET"),
        ("A=x", "LABEL=TARGET"),
        ("Q=0.9", "not understood"),
        ("A=1.2", "in \\(0, 1\\)"),
        ("A=0.9,A=0.8", "repeat"),
    ],
)
def test_service_targets_reject_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServiceTargets.parse(text)


def test_class_selection_gives_every_series_of_a_class_the_same_models() -> None:
    rng = np.random.default_rng(11)
    length = 36
    ds = pd.date_range("2024-01-01", periods=length, freq="D")
    frames = [
        pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": 40 + 4 * rng.standard_normal(length)})
        for i in range(6)
    ]
    config = ForecastConfig(
        horizon=3,
        models=("naive", "window_average", "seasonal_naive"),
        season_length=7,
        n_windows=2,
        combine=2,
        selection="class",
    )
    chosen = forecast(pd.concat(frames, ignore_index=True), config=config).chosen
    assert chosen["model"].nunique() == 1 and "+" in chosen["model"].iloc[0]
    per_series = forecast(
        pd.concat(frames, ignore_index=True),
        config=ForecastConfig(
            horizon=3, models=config.models, season_length=7, n_windows=2, combine=1
        ),
    )
    assert set(per_series.chosen["model"]) <= set(config.models)
    with pytest.raises(ValueError, match="selection"):
        ForecastConfig(horizon=2, selection="global")  # type: ignore[arg-type]


def test_max_lot_periods_caps_the_eoq_lot() -> None:
    from maillon.planning.policy import PolicyParams

    free = design_batch(
        skus=["cheap"],
        forecast_mean=[10.0],
        forecast_sigma=[3.0],
        lead_time_mean=[2.0],
        unit_price=[0.5],
        order_cost=[50.0],
        params=PolicyParams(kind="sQ"),
    )
    capped = design_batch(
        skus=["cheap"],
        forecast_mean=[10.0],
        forecast_sigma=[3.0],
        lead_time_mean=[2.0],
        unit_price=[0.5],
        order_cost=[50.0],
        params=PolicyParams(kind="sQ", max_lot_periods=5),
    )
    assert float(free.order_quantity[0]) > 50.0
    assert float(capped.order_quantity[0]) == 50.0
    # smaller lots expose more cycles: the fill-rate target needs a higher reorder point
    assert float(capped.reorder_point[0]) >= float(free.reorder_point[0])
    with pytest.raises(ValueError, match="max_lot_periods"):
        PolicyParams(max_lot_periods=0)
