"""Demand forecasting: classes, model choice by cross-validation, quantiles, engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.planning import forecast as fc_module
from maillon.planning.forecast import (
    BASELINE_MODELS,
    GLOBAL_MODELS,
    INTERMITTENT_MODELS,
    SMOOTH_MODELS,
    ForecastConfig,
    ForecastResult,
    classify,
    forecast,
    quantile_column,
)
from maillon.planning.forecast import cv as cv_module
from maillon.planning.forecast import rules as rules_module

H = 4
FREQ = "W-MON"
START = pd.Timestamp("2024-01-01")  # a Monday


def series(uid: str, values: list[float] | np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": uid,
            "ds": pd.date_range(START, periods=len(values), freq=FREQ),
            "y": np.asarray(values, dtype=float),
        }
    )


def tiny_catalogue() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    smooth = 50 + 5 * rng.standard_normal(n)
    intermittent = rng.poisson(0.3, n) * rng.integers(1, 3, n)
    pattern = np.tile([10.0, 20.0, 30.0, 40.0], n // 4)  # exactly seasonal, period 4
    return pd.concat(
        [
            series("smooth", smooth),
            series("intermittent", intermittent),
            series("seasonal", pattern),
            series("zero", np.zeros(n)),
            series("short", [3.0, 0.0, 4.0, 5.0, 0.0]),
        ],
        ignore_index=True,
    )


# Each series' own best model (the combination rule fixed, not chosen on the windows).
CONFIG = ForecastConfig(
    horizon=H,
    season_length=4,
    freq=FREQ,
    n_windows=2,
    seed=1,
    combine=1,
    ensemble="mean",
    selection="series",
    rank_windows=2,
)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return tiny_catalogue()


@pytest.fixture(scope="module")
def result(data: pd.DataFrame) -> ForecastResult:
    return forecast(data, config=CONFIG)


def test_public_api_is_pinned() -> None:
    assert set(fc_module.__all__) == {
        "BASELINE_MODELS",
        "DEMAND_CLASSES",
        "GLOBAL_MODELS",
        "INTERMITTENT_MODELS",
        "MAX_WINDOWS",
        "MODELS",
        "SMOOTH_MODELS",
        "Engine",
        "ForecastConfig",
        "ForecastResult",
        "Progress",
        "classify",
        "forecast",
        "quantile_column",
    }


def test_every_series_gets_horizon_steps_after_its_history(
    result: ForecastResult, data: pd.DataFrame
) -> None:
    fc = result.forecasts
    assert set(fc["unique_id"]) == set(data["unique_id"])
    last = data.groupby("unique_id")["ds"].max()
    for uid, g in fc.groupby("unique_id"):
        assert g["step"].tolist() == list(range(1, H + 1))
        expected = pd.date_range(last[uid], periods=H + 1, freq=FREQ)[1:]
        assert list(g["ds"]) == list(expected)
    assert result.engine == "local" and result.runtime_s > 0


def test_quantiles_are_ordered_and_nonnegative(result: ForecastResult) -> None:
    cols = [quantile_column(q) for q in sorted(CONFIG.quantiles)]
    values = result.forecasts[cols].to_numpy()
    assert (np.diff(values, axis=1) >= -1e-12).all()
    assert (values >= 0).all() and (result.forecasts["forecast"] >= 0).all()


def test_exact_seasonal_series_is_forecast_exactly(result: ForecastResult) -> None:
    g = result.forecasts[result.forecasts["unique_id"] == "seasonal"]
    assert g["forecast"].to_numpy() == pytest.approx([10.0, 20.0, 30.0, 40.0], abs=1e-6)
    row = result.chosen.set_index("unique_id").loc["seasonal"]
    assert row["cv_error"] == pytest.approx(0.0, abs=1e-6)
    # Zero CV residuals: the quantiles collapse on the point forecast.
    assert g[quantile_column(0.95)].to_numpy() == pytest.approx(g["forecast"].to_numpy())


def test_zero_series_forecasts_zero(result: ForecastResult) -> None:
    g = result.forecasts[result.forecasts["unique_id"] == "zero"]
    assert (g.drop(columns=["unique_id", "ds", "step"]).to_numpy() == 0).all()
    assert result.model_of("zero") == "zero"


def test_short_series_gets_its_class_default_without_cv(result: ForecastResult) -> None:
    row = result.chosen.set_index("unique_id").loc["short"]
    assert np.isnan(row["cv_error"])
    assert row["model"] in ("theta", "croston_sba")
    assert "short" not in set(result.cv_errors["unique_id"])


def test_candidates_follow_the_demand_class(result: ForecastResult) -> None:
    classes = result.chosen.set_index("unique_id")["demand_class"]
    assert classes["smooth"] == "smooth"
    assert classes["intermittent"] in ("intermittent", "lumpy")
    tried = result.cv_errors.groupby("unique_id")["model"].apply(set)
    assert tried["intermittent"] <= set(INTERMITTENT_MODELS + BASELINE_MODELS + GLOBAL_MODELS)
    assert tried["intermittent"] & set(INTERMITTENT_MODELS)
    assert tried["smooth"] <= set(SMOOTH_MODELS + BASELINE_MODELS + GLOBAL_MODELS)
    assert "lightgbm" in tried["smooth"]


def test_chosen_model_has_the_smallest_cv_error(result: ForecastResult) -> None:
    best = result.cv_errors.groupby("unique_id")["error"].min()
    chosen = result.chosen.set_index("unique_id")
    for uid, err in best.items():
        assert chosen.loc[uid, "cv_error"] == pytest.approx(err)
        tried = result.cv_errors[result.cv_errors["unique_id"] == uid]
        assert chosen.loc[uid, "model"] in set(tried["model"])


def test_combine_averages_several_models(data: pd.DataFrame) -> None:
    cfg = ForecastConfig(
        horizon=H,
        season_length=4,
        freq=FREQ,
        combine=2,
        models=("auto_ets", "naive", "seasonal_naive", "croston_sba", "adida"),
    )
    res = forecast(data[data["unique_id"].isin(["smooth", "intermittent"])], config=cfg)
    assert all(len(m.split("+")) == 2 for m in res.chosen["model"])


def test_progress_reaches_its_total(data: pd.DataFrame) -> None:
    calls: list[tuple[int, int]] = []
    cfg = ForecastConfig(horizon=H, season_length=4, freq=FREQ, models=("naive", "croston_sba"))
    forecast(data, config=cfg, chunk_size=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1][0] == calls[-1][1] == len(calls)
    assert [d for d, _ in calls] == list(range(1, len(calls) + 1))


def test_nonnegative_false_lets_trends_go_below_zero() -> None:
    down = series("down", np.linspace(20, 1, 30))
    cfg = ForecastConfig(
        horizon=H, freq=FREQ, models=("auto_ets", "naive"), nonnegative=False, n_windows=1
    )
    clipped = ForecastConfig(horizon=H, freq=FREQ, models=("auto_ets", "naive"), n_windows=1)
    raw = forecast(down, config=cfg).forecasts[quantile_column(0.5)].min()
    assert forecast(down, config=clipped).forecasts[quantile_column(0.5)].min() >= 0
    assert raw < 1.0


def test_classify_follows_syntetos_boylan() -> None:
    df = pd.concat(
        [
            series("smooth", [10, 11, 9, 10, 10, 12]),
            series("erratic", [1, 20, 1, 30, 2, 1]),
            series("intermittent", [0, 0, 3, 0, 3, 0]),
            series("lumpy", [0, 0, 1, 0, 10, 0]),
            series("zero", [0, 0, 0]),
        ]
    )
    got = classify(df).set_index("unique_id")
    assert got.loc["intermittent", "adi"] == pytest.approx(3.0)
    assert got.loc["intermittent", "cv2"] == pytest.approx(0.0)
    assert got.loc["lumpy", "cv2"] == pytest.approx((4.5 / 5.5) ** 2)
    for uid in ("smooth", "erratic", "intermittent", "lumpy", "zero"):
        assert got.loc[uid, "demand_class"] == uid


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=30))
def test_classify_adi_is_at_least_one(values: list[int]) -> None:
    got = classify(series("s", values)).iloc[0]
    assert got["n_obs"] == len(values)
    if any(values):
        assert got["adi"] >= 1.0 and got["cv2"] >= 0.0
    else:
        assert got["demand_class"] == "zero"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 2, "season_length": 0}, "season_length"),
        ({"horizon": 2, "models": ("prophet",)}, "unknown models"),
        ({"horizon": 2, "models": ()}, "at least one"),
        ({"horizon": 2, "quantiles": (0.5, 1.0)}, "quantiles"),
        ({"horizon": 2, "freq": "fortnightly"}, "freq"),
        ({"horizon": 2, "combine": 0}, "combine"),
        ({"horizon": 2, "n_windows": -1}, "n_windows"),
        ({"horizon": 2, "rank_windows": 0}, "rank_windows"),
        ({"horizon": 2, "selection": "global"}, "selection"),
        ({"horizon": 2, "max_history": 1}, "max_history"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ForecastConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"unique_id": ["a"], "ds": [START]}), "lacks columns"),
        (series("a", [1.0, np.nan, 2.0]), "finite"),
        (pd.concat([series("a", [1.0, 2.0]), series("a", [1.0])]), "repeats"),
    ],
)
def test_bad_input_raises(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast(frame, config=ForecastConfig(horizon=2, freq=FREQ))


def test_unknown_engine_raises(data: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="engine"):
        forecast(data, config=CONFIG, engine="spark")  # type: ignore[arg-type]


@pytest.mark.slow
def test_dask_engine_matches_local_engine(data: pd.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    cfg = ForecastConfig(
        horizon=H,
        season_length=4,
        freq=FREQ,
        models=("croston_sba", "tsb", "auto_ets", "theta", "seasonal_naive", "naive"),
    )
    local = forecast(data, config=cfg)
    with (
        # any free port for the scheduler's HTTP server: None would still mean 8787, which
        # another run (an xdist worker, another checkout) may hold
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        remote = forecast(data, config=cfg, engine="dask", scheduler=cluster.scheduler_address)
    assert remote.engine == "dask"
    pd.testing.assert_frame_equal(remote.chosen, local.chosen)
    # statsforecast returns float32 locally and float64 through Fugue: equal to float32 precision.
    pd.testing.assert_frame_equal(remote.forecasts, local.forecasts, rtol=1e-6)


def daily_catalogue() -> pd.DataFrame:
    """Twelve daily series: nothing on Saturdays, about 4 units on other days, and now and
    then a wholesale order of 200 units (the mean is far above the median)."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=140, freq="D")  # starts on a Monday
    frames = []
    for i in range(12):
        y = rng.poisson(4.0, len(days)).astype(float)
        y[rng.random(len(days)) < 0.04] = 200.0
        y[days.dayofweek == 5] = 0.0
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": days, "y": y}))
    return pd.concat(frames, ignore_index=True)


def test_mae_model_forecasts_the_weekday_median_not_the_spiky_mean() -> None:
    data = daily_catalogue()
    config = ForecastConfig(
        horizon=7, season_length=7, freq="D", models=("lightgbm", "lightgbm_mae"), n_windows=1
    )
    res = forecast(data, config=config)
    assert set(res.cv_errors["model"]) == {"lightgbm", "lightgbm_mae"}
    errors = res.cv_errors.groupby("model")["error"].mean()
    assert errors["lightgbm_mae"] < errors["lightgbm"]
    # Median-only models: refit the MAE model alone to read its forecasts.
    alone = forecast(data, config=ForecastConfig(
        horizon=7, season_length=7, freq="D", models=("lightgbm_mae",), n_windows=1
    ))  # fmt: skip
    fc = alone.forecasts
    saturday = fc[fc["ds"].dt.dayofweek == 5]["forecast"]
    weekdays = fc[fc["ds"].dt.dayofweek != 5]["forecast"]
    assert saturday.max() < 1.0
    assert 2.0 < weekdays.median() < 7.0  # the median day (~4), not the mean (~11)


# ------------------------------------------------------------ combination rule on the windows


def noisy_levels(n: int, length: int, seed: int) -> pd.DataFrame:
    """``n`` series of independent noise around their own level: the mean of the last four
    points (window average) beats the last point (naive) on every series in expectation, but
    a series' own few windows often say otherwise."""
    rng = np.random.default_rng(seed)
    return pd.concat(
        [series(f"n{i:02d}", 50 + 10 * i + 3 * rng.standard_normal(length)) for i in range(n)],
        ignore_index=True,
    )


def mixed_behaviours(n: int, length: int, seed: int) -> pd.DataFrame:
    """Half exactly seasonal series (seasonal naive is exact), half random walks (naive is
    best): one model for the whole class cannot serve both halves."""
    rng = np.random.default_rng(seed)
    pattern = np.array([10.0, 30.0, 20.0, 40.0])
    frames = [series(f"s{i:02d}", np.tile(pattern + i, length // 4)) for i in range(n // 2)]
    frames += [
        series(f"w{i:02d}", 200 + np.cumsum(rng.normal(0, 2, length))) for i in range(n // 2)
    ]
    return pd.concat(frames, ignore_index=True)


AUTO = ForecastConfig(
    horizon=H, season_length=4, freq=FREQ, models=("naive", "seasonal_naive", "window_average")
)


def test_rule_is_chosen_on_the_windows_class_for_noisy_look_alikes() -> None:
    res = forecast(noisy_levels(60, 40, seed=5), config=AUTO)
    assert res.config.n_windows == 5  # 40 points leave room for 5 windows of 4 after 8
    picked = res.combinations[res.combinations["chosen"]].set_index("demand_class")
    assert picked.loc["all", "selection"] == "class"
    assert set(res.chosen["model"]) == {"window_average"}
    series_best = res.combinations[
        (res.combinations["demand_class"] == "all")
        & (res.combinations["selection"] == "series")
        & (res.combinations["combine"] == 1)
    ]
    assert series_best["score"].min() > picked.loc["all", "score"]


def test_rule_is_chosen_on_the_windows_series_for_mixed_behaviours() -> None:
    res = forecast(mixed_behaviours(40, 40, seed=5), config=AUTO)
    picked = res.combinations[res.combinations["chosen"]].set_index("demand_class")
    assert picked.loc["all", "selection"] == "series"
    assert picked.loc["all", "combine"] == 1
    models = res.chosen.set_index("unique_id")["model"]
    assert (models[models.index.str.startswith("s")] == "seasonal_naive").all()
    walks = models[models.index.str.startswith("w")]
    assert "seasonal_naive" not in set(walks) and (walks == "naive").mean() > 0.5
    exact = res.forecasts[res.forecasts["unique_id"] == "s03"]["forecast"].to_numpy()
    assert exact == pytest.approx([13.0, 33.0, 23.0, 43.0])


def test_fixed_settings_are_kept_and_only_the_free_ones_vary() -> None:
    cfg = ForecastConfig(
        horizon=H,
        season_length=4,
        freq=FREQ,
        models=AUTO.models,
        combine=3,
        ensemble="median",
        n_windows=3,
    )
    res = forecast(noisy_levels(12, 40, seed=1), config=cfg)
    combos = res.combinations
    assert set(combos["combine"]) == {3} and set(combos["ensemble"]) == {"median"}
    assert set(combos["selection"]) == {"series", "class"}
    assert set(combos["rank_windows"]) == {1, 2, 3}
    assert (res.chosen["ensemble"] == "median").all()
    assert res.chosen["model"].str.count(r"\+").eq(2).all()


def test_short_histories_get_fewer_windows() -> None:
    res = forecast(noisy_levels(4, 20, seed=2), config=AUTO)
    assert res.config.n_windows == 3  # (20 - 8) // 4
    assert len(res.cv_errors) > 0


def test_a_window_is_scored_with_models_ranked_on_the_other_windows() -> None:
    """Model "a" is exact on windows 0 and 2 and 10 off on window 1, "b" the other way
    round: ranking on the scored window itself would make "the best model" look exact."""
    rows = []
    for uid in ("x", "y"):
        for window in range(3):
            cutoff = pd.Timestamp("2024-03-04") - pd.Timedelta(weeks=4 * window)
            for step in range(1, 3):
                a_exact = window != 1
                rows += [
                    (uid, cutoff, cutoff + pd.Timedelta(weeks=step), 5.0, "naive",
                     5.0 if a_exact else 15.0),
                    (uid, cutoff, cutoff + pd.Timedelta(weeks=step), 5.0, "theta",
                     15.0 if a_exact else 5.0),
                ]  # fmt: skip
    cv = pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "y", "model", "value"])
    cv = cv_module._with_windows(cv)
    info = pd.DataFrame({"unique_id": ["x", "y"], "demand_class": ["smooth", "smooth"]})
    cfg = ForecastConfig(horizon=2, freq=FREQ, models=("naive", "theta"))
    rules = rules_module._rules(cfg, 3)
    scores = rules_module._score_rules(info, cv, {"x": 1.0, "y": 1.0}, rules, cfg)
    overall = scores[scores["demand_class"] == "all"]

    def score(selection: str, combine: int, rank_windows: int) -> float:
        row = overall[
            (overall["selection"] == selection)
            & (overall["combine"] == combine)
            & (overall["ensemble"] == "mean")
            & (overall["rank_windows"] == rank_windows)
        ]
        assert len(row) == 1
        return float(row["score"].iloc[0])

    # The nearest other window always ranks the wrong model first: 10 off on every window.
    assert score("series", 1, 1) == pytest.approx(10.0)
    assert score("class", 1, 1) == pytest.approx(10.0)
    # The mean of both is 5 off on every window, whatever the ranking.
    assert score("series", 2, 1) == pytest.approx(5.0)
    # Ranking on both other windows ties (5 each; "naive" first by name): right on windows 0
    # and 2, wrong on window 1. No rule looks exact, as ranking on the window itself would.
    assert score("series", 1, 3) == pytest.approx(10.0 / 3.0)
    assert overall["score"].min() == pytest.approx(10.0 / 3.0)
    rule_of, picked = rules_module._pick_rules(scores, rules)
    assert rule_of["all"] == rules_module._Rule("series", 1, "mean", 3)
    assert picked["chosen"].sum() == 2  # "all" and the one class


def test_rule_scores_do_not_depend_on_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    data = mixed_behaviours(8, 32, seed=3)
    whole = forecast(data, config=AUTO).combinations
    monkeypatch.setattr(rules_module, "_SCORE_CELLS", 1)  # one series at a time
    blocks = forecast(data, config=AUTO).combinations
    pd.testing.assert_frame_equal(whole, blocks)
    assert whole["score"].notna().all()
