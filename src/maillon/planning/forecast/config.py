"""Forecast configuration and result: the model names, :class:`ForecastConfig` (what to
forecast and how to choose the model) and :class:`ForecastResult` (what
:func:`maillon.planning.forecast.forecast` returns)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Engine = Literal["local", "dask"]
Progress = Callable[[int, int], None]
"""Called with (units done, units in total) as the work advances."""

INTERMITTENT_MODELS: tuple[str, ...] = ("croston_sba", "tsb", "adida", "imapa")
SMOOTH_MODELS: tuple[str, ...] = ("auto_ets", "theta", "dynamic_theta", "auto_arima")
BASELINE_MODELS: tuple[str, ...] = ("seasonal_naive", "naive", "window_average")
GLOBAL_MODELS: tuple[str, ...] = ("lightgbm", "lightgbm_mae")
MODELS: tuple[str, ...] = INTERMITTENT_MODELS + SMOOTH_MODELS + BASELINE_MODELS + GLOBAL_MODELS
"""Every model name ``ForecastConfig.models`` accepts."""

DEFAULT_MODELS: tuple[str, ...] = (
    "croston_sba",
    "tsb",
    "adida",
    "imapa",
    "auto_ets",
    "theta",
    "seasonal_naive",
    "naive",
    "lightgbm",
    "lightgbm_mae",
)

DEMAND_CLASSES: tuple[str, ...] = ("smooth", "erratic", "intermittent", "lumpy", "zero")
"""Syntetos-Boylan classes returned by :func:`classify` (plus ``zero``: no demand at all)."""

ADI_CUT = 1.32
CV2_CUT = 0.49

MAX_WINDOWS = 5
"""Cross-validation windows at most when ``ForecastConfig.n_windows`` is ``None``."""
_WINDOW_SHARE = 0.75
"""Share of the series with demand that must be long enough for the automatic window count."""


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how to choose the model.

    Attributes:
        horizon: steps to forecast (and the length of each cross-validation window).
        season_length: periods per season (1: none; 7 for daily, 52 for weekly, 12 monthly).
        freq: pandas frequency of ``ds`` (``"D"``, ``"W-MON"``, ``"MS"``...).
        models: candidate model names (see :data:`MODELS`).
        n_windows: rolling-origin cross-validation windows (0: no selection, class default;
            None: as many as three quarters of the series with demand are long enough for, at
            most :data:`MAX_WINDOWS`).
        quantiles: quantile levels in (0, 1) to return.
        seed: seed of the random parts (LightGBM).
        combine: combine the forecasts of this many best models per series (None: chosen
            on the cross-validation windows among 1 to 5).
        metric: ``"mae"`` or ``"rmse"``, the cross-validation error that ranks models.
        classify: pre-select candidates by demand class (saves time).
        nonnegative: clip forecasts and quantiles at 0 (demand cannot be negative).
        arima_budget_s: seconds AutoARIMA may take (only if ``"auto_arima"`` is a candidate).
        min_train: observations a series needs before its first cross-validation window.
        lgb_params: extra LightGBM parameters for the global model.
        max_history: fit on at most this many last observations per series (None: all);
            long histories cost time and rarely help.
        intermittent_extra: models tried on intermittent and lumpy series as well, beside
            the intermittent models and baselines (with ``classify``): e.g. ``("auto_ets",)``;
            each must also be in ``models``.
        ensemble: how the ``combine`` best models are combined: ``"mean"`` or ``"median"``
            (the same for two models; None: chosen on the cross-validation windows).
        selection: ``"series"``: each series takes its own best models by CV error;
            ``"class"``: every series of a demand class takes the class's best models by mean
            *scaled* CV error (error / the series' mean absolute seasonal change), which is
            far less noisy when a series has few, lumpy CV points (None: chosen on the
            cross-validation windows).
        rank_windows: rank the models on the errors of the last this many windows (None:
            chosen on the cross-validation windows among 1, 2 and all of them).

    Raises ValueError for values that cannot work (see ``__post_init__``).
    """

    horizon: int
    season_length: int = 1
    freq: str = "D"
    models: tuple[str, ...] = DEFAULT_MODELS
    n_windows: int | None = None
    quantiles: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
    seed: int = 0
    combine: int | None = None
    metric: Literal["mae", "rmse"] = "mae"
    classify: bool = True
    nonnegative: bool = True
    arima_budget_s: float = 0.0
    min_train: int = 8
    lgb_params: tuple[tuple[str, Any], ...] = ()
    max_history: int | None = None
    intermittent_extra: tuple[str, ...] = ()
    ensemble: Literal["mean", "median"] | None = None
    selection: Literal["series", "class"] | None = None
    rank_windows: int | None = None

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        if self.season_length < 1:
            raise ValueError(f"season_length must be >= 1, got {self.season_length}")
        if self.n_windows is not None and self.n_windows < 0:
            raise ValueError(f"n_windows must be >= 0 or None, got {self.n_windows}")
        if self.combine is not None and self.combine < 1:
            raise ValueError(f"combine must be >= 1 or None, got {self.combine}")
        if self.rank_windows is not None and self.rank_windows < 1:
            raise ValueError(f"rank_windows must be >= 1 or None, got {self.rank_windows}")
        if self.min_train < 2:
            raise ValueError(f"min_train must be >= 2, got {self.min_train}")
        if self.max_history is not None and self.max_history < 2:
            raise ValueError(f"max_history must be >= 2 or None, got {self.max_history}")
        if self.arima_budget_s < 0:
            raise ValueError("arima_budget_s must be >= 0")
        if self.metric not in ("mae", "rmse"):
            raise ValueError(f"metric must be 'mae' or 'rmse', got {self.metric!r}")
        if not self.models:
            raise ValueError("models must name at least one model")
        unknown = [m for m in self.models if m not in MODELS]
        if unknown:
            raise ValueError(f"unknown models {unknown}; known: {list(MODELS)}")
        if len(set(self.models)) != len(self.models):
            raise ValueError("models must not repeat")
        if any(not 0.0 < q < 1.0 for q in self.quantiles):
            raise ValueError(f"quantiles must lie in (0, 1), got {self.quantiles}")
        if len(set(self.quantiles)) != len(self.quantiles):
            raise ValueError("quantiles must not repeat")
        stray = [m for m in self.intermittent_extra if m not in self.models]
        if stray:
            raise ValueError(f"intermittent_extra {stray} are not among models")
        if self.selection not in (None, "series", "class"):
            raise ValueError(f"selection must be 'series', 'class' or None, got {self.selection!r}")
        if self.ensemble not in (None, "mean", "median"):
            raise ValueError(f"ensemble must be 'mean', 'median' or None, got {self.ensemble!r}")
        try:
            pd.tseries.frequencies.to_offset(self.freq)
        except ValueError as exc:
            raise ValueError(f"freq {self.freq!r} is not a pandas frequency") from exc


@dataclass(frozen=True)
class ForecastResult:
    """What :func:`forecast` returns.

    Attributes:
        forecasts: one row per series and step: ``unique_id, ds, step, forecast`` and one
            column per quantile (``quantile_column(q)``, e.g. ``"q0.9"``).
        chosen: one row per series: ``unique_id, demand_class, adi, cv2, n_obs, model``
            (``"a+b"`` when several are combined), ``ensemble`` (``"mean"`` or
            ``"median"``), ``cv_error`` (the single chosen model's CV error over the windows
            that ranked it; NaN without CV or for a combination).
        cv_errors: long table ``unique_id, model, error`` of every cross-validated candidate.
        runtime_s: wall seconds of the call.
        engine: the engine used.
        config: the configuration used.
        step_correlation: estimated correlation (0..1) of the forecast errors of two horizon
            steps of one forecast (from the cross-validation windows; 0 without them). A
            lead-time demand's variance is ``sum_k s_k^2 + rho sum_{i != j} s_i s_j`` with
            ``s_k`` the error spread of step ``k`` (see
            :func:`maillon.planning.policy.lead_time_demand`).
        combinations: the combination rules tried, one row per rule and demand class
            (``"all"``: every cross-validated series): ``demand_class, selection, combine,
            ensemble, rank_windows, score`` (leave-one-window-out mean scaled error, lower is
            better; NaN when not scored), ``n_series`` and ``chosen`` (the rule the class's
            series use). Empty when the config fixes every setting of the rule or with fewer
            than two windows (the rule is then the fixed one, or each series' best model).
    """

    forecasts: pd.DataFrame
    chosen: pd.DataFrame
    cv_errors: pd.DataFrame
    runtime_s: float
    engine: str
    config: ForecastConfig = field(repr=False)
    step_correlation: float = 0.0
    combinations: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def model_of(self, unique_id: str) -> str:
        """Return the model chosen for ``unique_id``. Raises KeyError for an unknown id."""
        row = self.chosen.loc[self.chosen["unique_id"] == unique_id, "model"]
        if row.empty:
            raise KeyError(unique_id)
        return str(row.iloc[0])


def quantile_column(q: float) -> str:
    """Return the forecasts column holding quantile ``q`` (``0.9`` -> ``"q0.9"``)."""
    return f"q{q:g}"
