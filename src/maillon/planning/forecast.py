"""Demand forecasting (pure): automatic model choice per series, with quantiles.

:func:`forecast` reads regular series in long format (``unique_id, ds, y``; build them with
:mod:`maillon.planning.demand`) and an immutable :class:`ForecastConfig`, and returns a frozen
:class:`ForecastResult`: the point forecast and quantiles per series and horizon step, the model
chosen for each series, the cross-validation error table and the runtime.

How it works:

1. **Classify** each series by Syntetos-Boylan (:func:`classify`): ADI (mean interval between
   non-zero demands) and CV² (squared coefficient of variation of the non-zero sizes), cut at
   1.32 and 0.49, give ``smooth``, ``erratic``, ``intermittent`` or ``lumpy``; ``zero`` is a
   series without demand (forecast 0).
2. **Candidates.** With ``config.classify``, smooth and erratic series try the smooth models
   (AutoETS, Theta, AutoARIMA), intermittent and lumpy ones the intermittent models (Croston
   SBA, TSB, ADIDA, IMAPA, plus ``config.intermittent_extra``, e.g. AutoETS); the baselines
   (seasonal naive, naive, window average) and the global LightGBM models are candidates for
   every class. Without it, every series tries every model of ``config.models``. The global
   models are trained once on the whole catalogue (mlforecast): ``lightgbm`` (squared error,
   a few lags and rolling means) and ``lightgbm_mae`` (absolute error, i.e. the median,
   which MAE and MASE reward and which a few huge wholesale orders do not drag up; lags over
   four seasons, seasonal rolling means and, for daily data, the day of the week).
3. **Rolling-origin cross-validation**: ``n_windows`` windows of ``horizon`` steps at the end
   of each series (statsforecast ``cross_validation``; mlforecast for LightGBM); by default
   as many as the histories allow, up to :data:`MAX_WINDOWS` (the most windows that three
   quarters of the series with demand are long enough for). Each model's error is its mean
   absolute error (``metric="mae"``) or root mean squared error over the windows. Series
   shorter than ``n_windows * horizon + min_train`` are not cross-validated: they get their
   class's default (Theta, or Croston SBA for intermittent demand).
4. **Combination rule, chosen on the windows.** The forecast of a series combines its best
   models under a rule: rank the models on the series' own CV error (``selection="series"``)
   or on the mean *scaled* CV error of its demand class (``"class"``: far less noisy when
   each series has few, lumpy CV points), over the last ``rank_windows`` windows (recent
   windows matter more for some catalogues), and take the mean or median (``ensemble``) of
   the ``combine`` best. Every setting left ``None`` is chosen by leave-one-window-out: each
   candidate rule ranks the models on the other windows (the ``rank_windows`` nearest
   ones), forecasts the left-out window with its combination and is scored by the error
   there divided by the series' mean absolute seasonal change (a MASE), averaged over
   windows and series. Each demand class with at least 50 cross-validated series takes its
   own best rule, the others the best rule over all series; the scores of every rule are in
   ``ForecastResult.combinations``. Only the cross-validation windows are used, never data
   after the history's end. For example, on daily retail demand (UCI Online Retail) the
   rule picks the median LightGBM model for every series (``"class"``, top 1), on M4 Weekly
   the mean of each series' two best models, on car parts the median of each series' three
   best on the last window.
5. **AutoARIMA** (about one core-second per series) is only tried when ``"auto_arima"`` is a
   candidate and ``config.arima_budget_s > 0``: on the smooth series where the other models did
   worst (relative to the series' scale) first, until the budget is spent; it is used where it
   wins the cross-validation.
6. **Quantiles per horizon step** come from the cross-validation residuals of the chosen
   forecast by normalised split conformal prediction: each series' residuals are divided by
   its scale (mean absolute CV residual), pooled over the series of the same kind (smooth or
   intermittent) and the windows, *separately for each horizon step* (errors grow with the
   step: a pool over all steps under-covers the far ones), and ``q`` at step ``k`` = point +
   scale x the conformal ``q``-quantile of the step-``k`` pool. Series without
   cross-validation use their mean absolute one-step change as scale. The result also holds
   the correlation of errors between steps (``step_correlation``), which turns per-step
   quantiles into a lead-time demand distribution
   (:func:`maillon.planning.policy.lead_time_demand`). With ``config.nonnegative`` (demand)
   every forecast and quantile is clipped at 0.

Engines: ``"local"`` runs in this process (``n_jobs`` processes for statsforecast);
``"dask"`` runs the statistical models on a Dask cluster through statsforecast's Fugue backend
(``scheduler`` is the address of a running scheduler; without it, a local cluster is started
for the call). The global LightGBM model is trained in the calling process with both engines
(one model for the whole catalogue: a single matrix; not distributed yet). Both engines give
the same choices and the same numbers to float32 precision (statsforecast returns float32
locally, float64 through Fugue).
"""

from __future__ import annotations

import importlib
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
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
]

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
_LGB_MIN_SERIES = 1

MAX_WINDOWS = 5
"""Cross-validation windows at most when ``ForecastConfig.n_windows`` is ``None``."""
_WINDOW_SHARE = 0.75
"""Share of the series with demand that must be long enough for the automatic window count."""
_MIN_RULE_SERIES = 50
"""Fewest cross-validated series of a demand class for the class to get its own rule."""
_MAX_COMBINE = 5
_RANK_WINDOW_CHOICES = (1, 2)
"""Recent-window counts tried for ranking (besides all windows) when ``rank_windows`` is None."""
_SCORE_CELLS = 2_000_000
"""Forecast values held at once while the rules are scored (series are taken in blocks)."""


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


def classify(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``unique_id, demand_class, adi, cv2, n_obs`` for each series of ``df``.

    ADI = number of periods / number of non-zero periods (inf without demand);
    CV² = (std / mean)² of the non-zero demand sizes (0 with a single one).
    """
    g = df.assign(_nz=df["y"] != 0).groupby("unique_id", sort=True)
    n_obs = g["y"].size()
    n_nz = g["_nz"].sum()
    nz = df[df["y"] != 0].groupby("unique_id")["y"]
    mean = nz.mean().reindex(n_obs.index)
    std = nz.std(ddof=0).reindex(n_obs.index)
    adi = (n_obs / n_nz.where(n_nz > 0)).fillna(np.inf)
    cv2 = ((std / mean) ** 2).fillna(0.0)
    cls = np.where(
        n_nz == 0,
        "zero",
        np.where(
            adi < ADI_CUT,
            np.where(cv2 < CV2_CUT, "smooth", "erratic"),
            np.where(cv2 < CV2_CUT, "intermittent", "lumpy"),
        ),
    )
    return pd.DataFrame(
        {
            "unique_id": n_obs.index.to_numpy(),
            "demand_class": cls,
            "adi": adi.to_numpy(dtype=float),
            "cv2": cv2.to_numpy(dtype=float),
            "n_obs": n_obs.to_numpy(dtype=np.int64),
        }
    )


# --------------------------------------------------------------------------- helpers


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the numeric warnings the engine libraries emit on degenerate series."""
    with warnings.catch_warnings():
        for module in ("statsforecast", "mlforecast", "lightgbm", "sklearn", "numpy"):
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=module)
            warnings.filterwarnings("ignore", category=UserWarning, module=module)
        warnings.filterwarnings("ignore", category=FutureWarning, module="fugue|dask|triad")
        yield


def _stat_model(name: str, season: int) -> Any:
    """Return the statsforecast model object for ``name`` (aliased to ``name``)."""
    from statsforecast import models as m

    if name == "croston_sba":
        return m.CrostonSBA(alias=name)
    if name == "tsb":
        return m.TSB(alpha_d=0.1, alpha_p=0.1, alias=name)
    if name == "adida":
        return m.ADIDA(alias=name)
    if name == "imapa":
        return m.IMAPA(alias=name)
    if name == "auto_ets":
        # statsforecast's ETS handles seasons up to 24 periods; longer ones fit non-seasonal.
        return m.AutoETS(season_length=season if season <= 24 else 1, alias=name)
    if name == "theta":
        return m.Theta(season_length=season, alias=name)
    if name == "dynamic_theta":
        return m.DynamicOptimizedTheta(season_length=season, alias=name)
    if name == "auto_arima":
        return m.AutoARIMA(season_length=season, alias=name)
    if name == "seasonal_naive":
        return m.SeasonalNaive(season_length=season, alias=name)
    if name == "naive":
        return m.Naive(alias=name)
    if name == "window_average":
        return m.WindowAverage(window_size=max(season, 4), alias=name)
    raise ValueError(f"{name!r} is not a statistical model")


def _candidates(cls: str, config: ForecastConfig) -> tuple[str, ...]:
    """Return the candidate models of a demand class, in ``config.models`` order."""
    if not config.classify:
        return config.models
    if cls in ("intermittent", "lumpy"):
        allowed = set(
            INTERMITTENT_MODELS + BASELINE_MODELS + GLOBAL_MODELS + config.intermittent_extra
        )
    else:
        allowed = set(SMOOTH_MODELS + BASELINE_MODELS + GLOBAL_MODELS)
    picked = tuple(m for m in config.models if m in allowed)
    return picked or config.models


def _default_model(cls: str, config: ForecastConfig) -> str:
    """Return the model of a series too short for cross-validation."""
    prefs = (
        ("croston_sba", "adida", "imapa", "tsb", "naive")
        if cls in ("intermittent", "lumpy")
        else ("theta", "auto_ets", "dynamic_theta", "naive")
    )
    for name in prefs:
        if name in config.models:
            return name
    stats = [m for m in config.models if m not in GLOBAL_MODELS and m != "auto_arima"]
    return stats[0] if stats else "naive"


def _validate(df: pd.DataFrame) -> pd.DataFrame:
    """Return a clean copy of the input frame or raise ValueError."""
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise ValueError(f"series_df lacks columns {sorted(missing)} (needs unique_id, ds, y)")
    if df.empty:
        raise ValueError("series_df has no rows")
    out = df[["unique_id", "ds", "y"]].copy()
    out["unique_id"] = out["unique_id"].astype(str)
    if not pd.api.types.is_datetime64_any_dtype(out["ds"]):
        try:
            out["ds"] = pd.to_datetime(out["ds"])
        except (ValueError, TypeError) as exc:
            raise ValueError("ds must hold dates") from exc
    out["ds"] = out["ds"].astype("datetime64[ns]")
    try:
        out["y"] = out["y"].astype(float)
    except (ValueError, TypeError) as exc:
        raise ValueError("y must be numeric") from exc
    if not np.isfinite(out["y"].to_numpy()).all():
        raise ValueError("y must be finite (impute stock-out days before forecasting)")
    if out.duplicated(["unique_id", "ds"]).any():
        raise ValueError("series_df repeats (unique_id, ds) pairs")
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- engines


class _Runner:
    """Runs statsforecast on pandas (local) or on a Dask cluster (via Fugue)."""

    def __init__(self, engine: Engine, scheduler: str | None, n_jobs: int) -> None:
        self.engine = engine
        self.n_jobs = n_jobs
        self._client: Any = None
        self._cluster: Any = None
        if engine == "dask":
            distributed: Any = importlib.import_module("distributed")
            if scheduler is None:
                self._cluster = distributed.LocalCluster(
                    n_workers=max(2, n_jobs), threads_per_worker=1, processes=True
                )
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(scheduler)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _sf(self, names: Sequence[str], config: ForecastConfig) -> Any:
        from statsforecast import StatsForecast
        from statsforecast.models import Naive

        return StatsForecast(
            models=[_stat_model(n, config.season_length) for n in names],
            freq=config.freq,
            n_jobs=self.n_jobs if self.engine == "local" else 1,
            fallback_model=Naive(),
        )

    def _input(self, df: pd.DataFrame) -> Any:
        if self.engine == "local":
            return df
        dd: Any = importlib.import_module("dask.dataframe")
        n_ids = df["unique_id"].nunique()
        parts = max(1, min(n_ids, 2 * len(self._client.scheduler_info()["workers"])))
        return dd.from_pandas(df, npartitions=parts)

    def _output(self, res: Any, names: Sequence[str]) -> pd.DataFrame:
        if self.engine == "dask":
            res = res.compute() if hasattr(res, "compute") else res
            res = pd.DataFrame(res)
        res = res.reset_index(drop=res.index.name != "unique_id")
        res["unique_id"] = res["unique_id"].astype(str).astype(object)
        res["ds"] = pd.to_datetime(res["ds"]).astype("datetime64[ns]")
        for n in names:
            res[n] = res[n].astype(float)
        return res.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)

    def cross_validation(
        self, df: pd.DataFrame, names: Sequence[str], config: ForecastConfig
    ) -> pd.DataFrame:
        sf = self._sf(names, config)
        res = sf.cross_validation(
            df=self._input(df),
            h=config.horizon,
            n_windows=int(config.n_windows or 0),
            step_size=config.horizon,
        )
        out = self._output(res, names)
        out["cutoff"] = pd.to_datetime(out["cutoff"]).astype("datetime64[ns]")
        return out.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)

    def forecast(
        self, df: pd.DataFrame, names: Sequence[str], config: ForecastConfig
    ) -> pd.DataFrame:
        sf = self._sf(names, config)
        res = sf.forecast(df=self._input(df), h=config.horizon)
        return self._output(res, names)


def _lgb_forecaster(config: ForecastConfig, min_len: int, name: str = "lightgbm") -> Any:
    """Return an unfitted MLForecast with one LightGBM model named ``name``.

    ``"lightgbm"``: squared error on lags 1-4 and one season, rolling means of 4 and one
    season. ``"lightgbm_mae"``: absolute error (the median: what MAE/MASE reward, and robust
    to the odd wholesale order), on the lags of the last ``min(season, 7)`` periods and of up
    to 4 seasons back, rolling means of 1 and 4 seasons, seasonal rolling means (the same
    period of the last 4 and 8 seasons) and, for daily data, the day of the week.
    """
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import ExpandingMean, RollingMean, SeasonalRollingMean
    from mlforecast.target_transforms import LocalStandardScaler

    season = config.season_length
    room = max(1, min_len - 2)
    date_features: list[str] = []
    transforms: dict[int, list[Any]]
    if name == "lightgbm_mae":
        recent = range(1, min(max(season, 4), 7) + 1)
        lags = sorted({lag for lag in (*recent, *(k * season for k in range(1, 5))) if lag <= room})
        windows = sorted({w for w in (season, 4 * season) if 1 < w <= room})
        transforms = {1: [ExpandingMean(), *(RollingMean(window_size=w) for w in windows)]}
        if season > 1:
            seasonal = [
                SeasonalRollingMean(season_length=season, window_size=w)
                for w in (4, 8)
                if season * (w + 1) <= room
            ]
            if seasonal:
                transforms[season] = seasonal
        if pd.tseries.frequencies.to_offset(config.freq).name == "D":
            date_features = ["dayofweek"]
    else:
        lags = sorted({lag for lag in (1, 2, 3, 4, season) if lag <= room})
        windows = sorted({w for w in (4, season) if 1 < w <= room})
        transforms = {1: [ExpandingMean(), *(RollingMean(window_size=w) for w in windows)]}
    params: dict[str, Any] = {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 20,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "random_state": config.seed,
        "n_jobs": 1,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }
    if name == "lightgbm_mae":
        params["objective"] = "l1"
    params.update(dict(config.lgb_params))
    return MLForecast(
        models={name: LGBMRegressor(**params)},
        freq=config.freq,
        lags=lags,
        lag_transforms=transforms,
        date_features=date_features,
        target_transforms=[LocalStandardScaler()],
    )


# --------------------------------------------------------------------------- forecast


def forecast(
    series_df: pd.DataFrame,
    *,
    config: ForecastConfig,
    engine: Engine = "local",
    scheduler: str | None = None,
    n_jobs: int = 1,
    chunk_size: int = 2000,
    progress: Progress | None = None,
) -> ForecastResult:
    """Return forecasts, quantiles and the chosen model for every series of ``series_df``.

    ``series_df`` is a long pandas frame ``unique_id, ds, y`` of regular series (no missing
    periods: zero-fill them first) at ``config.freq``. ``engine="dask"`` runs the statistical
    models on the Dask scheduler at ``scheduler`` (a local two-process cluster when ``None``).
    The local engine handles ``chunk_size`` series at a time and calls ``progress(done,
    total)`` after each chunk and after the global model.

    Raises:
        ValueError: missing columns, non-numeric or non-finite ``y``, repeated
            ``(unique_id, ds)``, or an unknown engine.
    """
    t0 = time.perf_counter()
    if engine not in ("local", "dask"):
        raise ValueError(f"engine must be 'local' or 'dask', got {engine!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    if n_jobs < 1:
        raise ValueError("n_jobs must be >= 1")
    df = _validate(series_df)
    if config.max_history is not None:
        recent = df.groupby("unique_id").cumcount(ascending=False) < config.max_history
        df = df[recent].reset_index(drop=True)
    h = config.horizon
    info = classify(df)
    if config.n_windows is None:
        config = replace(config, n_windows=_auto_windows(info, config))
    n_windows = int(config.n_windows or 0)
    info["candidates"] = [_candidates(c, config) for c in info["demand_class"]]
    need = n_windows * h + config.min_train
    info["cv"] = (info["n_obs"] >= need) & (info["demand_class"] != "zero")
    if n_windows == 0:
        info["cv"] = False
    global_models = [m for m in config.models if m in GLOBAL_MODELS]
    use_global = bool(global_models) and bool(info["cv"].any())

    ids = info["unique_id"].tolist()
    if engine == "dask":
        chunks = [ids]
    else:
        chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
    total = len(chunks) + (len(global_models) if use_global else 0)
    done = 0

    cv_parts: list[pd.DataFrame] = []  # unique_id, cutoff, ds, y, <model columns>
    fc_parts: list[pd.DataFrame] = []  # unique_id, ds, <model columns>
    runner = _Runner(engine, scheduler, n_jobs)
    try:
        with _quiet():
            for chunk in chunks:
                sub = info[info["unique_id"].isin(set(chunk))]
                cv_parts_chunk, fc_parts_chunk = _run_stats(runner, df, sub, config)
                cv_parts += cv_parts_chunk
                fc_parts += fc_parts_chunk
                done += 1
                if progress is not None:
                    progress(done, total)
            for name in global_models if use_global else []:
                cv_g, fc_g = _run_global(df, info, config, name)
                cv_parts.append(cv_g)
                fc_parts.append(fc_g)
                done += 1
                if progress is not None:
                    progress(done, total)
            cv_long = _melt_cv(cv_parts, config)
            if "auto_arima" in config.models and config.arima_budget_s > 0:
                extra_cv, extra_fc = _run_arima(runner, df, info, cv_long, config)
                if extra_cv is not None and extra_fc is not None:
                    cv_long = pd.concat([cv_long, extra_cv], ignore_index=True)
                    fc_parts.append(extra_fc)
    finally:
        runner.close()

    fc_long = _melt_fc(fc_parts, config)
    cv_long = _with_windows(cv_long)
    errors = _errors(cv_long, config)
    scale = _seasonal_scale(df, config.season_length)
    rules = _rules(config, n_windows)
    combinations = _score_rules(info, cv_long, scale, rules, config)
    rule_of, combinations = _pick_rules(combinations, rules)
    chosen = _choose(info, cv_long, config, scale, rule_of)
    forecasts, rho = _assemble(df, info, chosen, cv_long, fc_long, config)
    chosen_out = info[["unique_id", "demand_class", "adi", "cv2", "n_obs"]].merge(
        chosen[["unique_id", "model", "ensemble", "cv_error"]], on="unique_id", how="left"
    )
    return ForecastResult(
        forecasts=forecasts,
        chosen=chosen_out.reset_index(drop=True),
        cv_errors=errors.reset_index(drop=True),
        runtime_s=time.perf_counter() - t0,
        engine=engine,
        config=config,
        step_correlation=rho,
        combinations=combinations,
    )


def _stat_names(cands: Sequence[str]) -> tuple[str, ...]:
    return tuple(m for m in cands if m not in GLOBAL_MODELS and m != "auto_arima")


def _run_stats(
    runner: _Runner, df: pd.DataFrame, sub: pd.DataFrame, config: ForecastConfig
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Cross-validate and forecast the statistical candidates of the series in ``sub``."""
    cv_out: list[pd.DataFrame] = []
    fc_out: list[pd.DataFrame] = []
    # Cross-validated series, grouped by their candidate set.
    for cands, grp in sub[sub["cv"]].groupby("candidates", sort=True):
        names = _stat_names(cands)
        if not names:
            continue
        part = df[df["unique_id"].isin(set(grp["unique_id"]))]
        cv_out.append(runner.cross_validation(part, names, config))
        fc_out.append(runner.forecast(part, names, config))
    # Short series: their class default only.
    short = sub[~sub["cv"] & (sub["demand_class"] != "zero")]
    if not short.empty:
        defaults = short["demand_class"].map(lambda c: _default_model(c, config))
        for name, grp in short.groupby(defaults, sort=True):
            part = df[df["unique_id"].isin(set(grp["unique_id"]))]
            fc_out.append(runner.forecast(part, [str(name)], config))
    return cv_out, fc_out


def _run_global(
    df: pd.DataFrame, info: pd.DataFrame, config: ForecastConfig, name: str = "lightgbm"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validate and forecast the global LightGBM model ``name`` on the
    cross-validated series."""
    ids = set(info.loc[info["cv"], "unique_id"])
    part = df[df["unique_id"].isin(ids)]
    min_len = int(info.loc[info["cv"], "n_obs"].min())
    n_windows = int(config.n_windows or 0)
    cv = _lgb_forecaster(config, min_len - n_windows * config.horizon, name).cross_validation(
        df=part,
        n_windows=n_windows,
        h=config.horizon,
        step_size=config.horizon,
        static_features=[],
    )
    cv = cv.drop(columns=[c for c in ("y",) if c in cv.columns])
    model = _lgb_forecaster(config, min_len, name).fit(part, static_features=[])
    fc = model.predict(h=config.horizon)
    for frame in (cv, fc):
        frame["unique_id"] = frame["unique_id"].astype(str).astype(object)
    cv = cv.merge(part, on=["unique_id", "ds"], how="left")
    return cv, fc


def _run_arima(
    runner: _Runner,
    df: pd.DataFrame,
    info: pd.DataFrame,
    cv_long: pd.DataFrame,
    config: ForecastConfig,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Try AutoARIMA on the worst-served smooth series until the time budget is spent."""
    eligible = info[info["cv"] & info["candidates"].map(lambda c: "auto_arima" in c)]
    if eligible.empty:
        return None, None
    t_end = time.perf_counter() + config.arima_budget_s
    errs = _errors(cv_long, config)
    best = errs.groupby("unique_id")["error"].min()
    scale = df.groupby("unique_id")["y"].apply(lambda s: float(np.abs(np.diff(s)).mean() or 1.0))
    rel = (best / scale).reindex(eligible["unique_id"]).fillna(np.inf)
    order = rel.sort_values(ascending=False, kind="stable").index.tolist()
    tried: list[pd.DataFrame] = []
    step = 20
    for i in range(0, len(order), step):
        if time.perf_counter() >= t_end:
            break
        part = df[df["unique_id"].isin(set(order[i : i + step]))]
        tried.append(runner.cross_validation(part, ["auto_arima"], config))
    if not tried:
        return None, None
    cv = _melt_cv(tried, config)
    won = _errors(pd.concat([cv_long, cv], ignore_index=True), config)
    top = _ranked(won).groupby("unique_id").head(config.combine or _MAX_COMBINE)
    users = set(top.loc[top["model"] == "auto_arima", "unique_id"])
    if not users:
        return cv, pd.DataFrame(columns=["unique_id", "ds", "model", "value"])
    fc = runner.forecast(df[df["unique_id"].isin(users)], ["auto_arima"], config)
    return cv, _melt_fc([fc], config)


def _clip(values: Any, config: ForecastConfig) -> Any:
    return np.maximum(values, 0.0) if config.nonnegative else values


def _melt_cv(parts: list[pd.DataFrame], config: ForecastConfig) -> pd.DataFrame:
    """Return CV forecasts long: ``unique_id, cutoff, ds, y, model, value``."""
    cols = ["unique_id", "cutoff", "ds", "y", "model", "value"]
    longs = [
        p.melt(
            id_vars=["unique_id", "cutoff", "ds", "y"],
            value_vars=[c for c in p.columns if c in MODELS],
            var_name="model",
            value_name="value",
        )
        for p in parts
        if not p.empty
    ]
    if not longs:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(longs, ignore_index=True)[cols]
    out["y"] = out["y"].to_numpy(dtype=float)  # Float32 (nullable) through Fugue
    out["value"] = _clip(out["value"].astype(float).fillna(0.0), config)
    return out


def _melt_fc(parts: list[pd.DataFrame], config: ForecastConfig) -> pd.DataFrame:
    """Return forecasts long: ``unique_id, ds, model, value``."""
    cols = ["unique_id", "ds", "model", "value"]
    longs = [
        p
        if "model" in p.columns
        else p.melt(
            id_vars=["unique_id", "ds"],
            value_vars=[c for c in p.columns if c in MODELS],
            var_name="model",
            value_name="value",
        )
        for p in parts
        if not p.empty
    ]
    if not longs:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(longs, ignore_index=True)[cols]
    out["value"] = _clip(out["value"].astype(float).fillna(0.0), config)
    return out


def _errors(cv_long: pd.DataFrame, config: ForecastConfig) -> pd.DataFrame:
    """Return ``unique_id, model, error`` from the long CV table."""
    if cv_long.empty:
        return pd.DataFrame({"unique_id": [], "model": [], "error": []})
    res = (cv_long["y"].astype(float) - cv_long["value"]).to_numpy()
    keyed = pd.Series(res, index=pd.MultiIndex.from_frame(cv_long[["unique_id", "model"]]))
    if config.metric == "rmse":
        err = np.sqrt((keyed**2).groupby(level=[0, 1]).mean())
    else:
        err = keyed.abs().groupby(level=[0, 1]).mean()
    return err.rename("error").reset_index()


def _ranked(errors: pd.DataFrame) -> pd.DataFrame:
    """Return ``errors`` sorted by series, then error (to 1e-12 and 9 significant digits, so ties
    from rounding noise break the same way on every engine), then model name."""
    key = errors["error"].map(lambda e: float(f"{round(e, 12):.9g}"))
    return (
        errors.assign(_key=key)
        .sort_values(["unique_id", "_key", "model"], kind="stable")
        .drop(columns="_key")
    )


def _seasonal_scale(df: pd.DataFrame, season: int) -> dict[str, float]:
    """Return per series the mean absolute ``season``-lag change of its history (the MASE
    scale; the one-step change when that is 0 or the series is too short; else 1)."""
    out: dict[str, float] = {}
    for uid, ys in df.groupby("unique_id")["y"]:
        y = ys.to_numpy()
        value = 0.0
        for lag in (season, 1):
            if len(y) > lag:
                value = float(np.abs(y[lag:] - y[:-lag]).mean())
            if value > 0:
                break
        out[str(uid)] = value if value > 0 else 1.0
    return out


def _pooled_ranking(
    info: pd.DataFrame, errors: pd.DataFrame, scale: dict[str, float]
) -> pd.DataFrame:
    """Return ``errors`` re-ranked per demand class: every series of a class gets the
    class-wide order of the models by mean scaled CV error (error / series scale, over the
    class's series), with the class mean as its ``error``. Models cross-validated on only some
    series of a class are ranked on those."""
    if errors.empty:
        return errors
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    frame = errors.assign(
        cls=errors["unique_id"].map(cls_of),
        scaled=errors["error"] / errors["unique_id"].map(scale).fillna(1.0),
    )
    means = frame.groupby(["cls", "model"])["scaled"].mean().rename("class_error").reset_index()
    out = frame.merge(means, on=["cls", "model"])
    return out.assign(error=out["class_error"])[["unique_id", "model", "error"]]


@dataclass(frozen=True)
class _Rule:
    """How a series' forecast combines its best models (see step 4 of the module docstring)."""

    selection: str
    combine: int
    ensemble: str
    rank_windows: int


def _auto_windows(info: pd.DataFrame, config: ForecastConfig) -> int:
    """Return the most cross-validation windows (1..MAX_WINDOWS) that at least
    ``_WINDOW_SHARE`` of the series with demand are long enough for (1 if none)."""
    n_obs = info.loc[info["demand_class"] != "zero", "n_obs"].to_numpy()
    for w in range(MAX_WINDOWS, 1, -1):
        if n_obs.size and float(np.mean(n_obs >= w * config.horizon + config.min_train)) >= (
            _WINDOW_SHARE
        ):
            return w
    return 1


def _rules(config: ForecastConfig, n_windows: int) -> list[_Rule]:
    """Return the candidate rules, simplest first (the first of equal scores wins): every
    setting the config leaves ``None`` varies, the others are fixed."""
    selections = (config.selection,) if config.selection else ("series", "class")
    ensembles = (config.ensemble,) if config.ensemble else ("mean", "median")
    combines = (config.combine,) if config.combine else tuple(range(1, _MAX_COMBINE + 1))
    all_windows = max(n_windows, 1)
    if config.rank_windows:
        windows: tuple[int, ...] = (min(config.rank_windows, all_windows),)
    else:
        windows = (all_windows, *(w for w in _RANK_WINDOW_CHOICES if w < all_windows))
    return [
        _Rule(sel, k, ens, w)
        for sel in selections
        for w in windows
        for k in combines
        for ens in ensembles
        # the median of one or two models is their mean: keep one of the two
        if not (ens == "median" and k <= 2 and "mean" in ensembles)
    ]


def _with_windows(cv_long: pd.DataFrame) -> pd.DataFrame:
    """Return ``cv_long`` sorted, with ``window`` (0: a series' last cross-validation window,
    1: the one before...) and ``step`` (1..horizon within the window)."""
    out = cv_long.sort_values(["unique_id", "model", "cutoff", "ds"], kind="stable")
    out = out.reset_index(drop=True)
    if out.empty:
        return out.assign(window=pd.Series(dtype=np.int64), step=pd.Series(dtype=np.int64))
    by_model = out.groupby(["unique_id", "model"], sort=False)["cutoff"]
    window = by_model.rank(method="dense", ascending=False).astype(np.int64) - 1
    step = out.groupby(["unique_id", "model", "cutoff"], sort=False).cumcount() + 1
    return out.assign(window=window.to_numpy(), step=step.to_numpy(dtype=np.int64))


def _sig9(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to 1e-12 and then 9 significant digits (NaN -> inf), so that ties from
    float noise order the same way on every engine (as :func:`_ranked` does)."""
    x = np.round(np.asarray(x, dtype=float), 12)
    finite = np.isfinite(x) & (x != 0)
    mag = np.floor(np.log10(np.abs(np.where(finite, x, 1.0))))
    factor = 10.0 ** (8 - mag)
    out = np.where(finite, np.round(x * factor) / factor, x)
    return np.where(np.isnan(out), np.inf, out)


def _masked_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over ``axis`` of the finite values (NaN where there is none)."""
    ok = np.isfinite(values)
    total = np.where(ok, values, 0.0).sum(axis=axis)
    count = ok.sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _score_rules(
    info: pd.DataFrame,
    cv_long: pd.DataFrame,
    scale: dict[str, float],
    rules: list[_Rule],
    config: ForecastConfig,
) -> pd.DataFrame:
    """Return the leave-one-window-out score of every rule per demand class and overall.

    For each cross-validation window ``w`` of each series: each rule ranks the models on the
    errors of the ``rank_windows`` windows nearest to ``w`` (``w`` left out; later windows
    first on equal distance), per series or pooled over the demand class (mean scaled error),
    combines its ``combine`` best models' forecasts of ``w`` by mean or median, and scores the
    mean absolute error over ``w`` divided by the series' ``scale``. A series' score is its
    mean over windows, a class's the mean over its series. Only the windows are read: nothing
    after the history. Returns ``demand_class, selection, combine, ensemble, rank_windows,
    score, n_series`` (empty with a single rule or fewer than two windows)."""
    cols = ["demand_class", "selection", "combine", "ensemble", "rank_windows", "score", "n_series"]
    n_windows = int(cv_long["window"].max()) + 1 if not cv_long.empty else 0
    if len(rules) < 2 or n_windows < 2:
        return pd.DataFrame({c: [] for c in cols})
    uids = np.array(sorted(cv_long["unique_id"].unique()), dtype=object)
    models = np.array(sorted(cv_long["model"].unique()), dtype=object)
    s_of = pd.Index(uids).get_indexer(cv_long["unique_id"])
    m_of = pd.Index(models).get_indexer(cv_long["model"])
    w_of = cv_long["window"].to_numpy(dtype=np.int64)
    k_of = cv_long["step"].to_numpy(dtype=np.int64) - 1
    value_of = cv_long["value"].to_numpy(dtype=float)
    y_of = cv_long["y"].to_numpy(dtype=float)
    n_s, n_m, h = len(uids), len(models), config.horizon
    # Mean absolute error per series, model and window (NaN: not a candidate).
    cell = (s_of * n_m + m_of) * n_windows + w_of
    size = n_s * n_m * n_windows
    sums = np.bincount(cell, weights=np.abs(y_of - value_of), minlength=size)
    counts = np.bincount(cell, minlength=size)
    err = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).reshape(n_s, n_m, n_windows)
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    class_codes, cls_idx = np.unique(np.array([cls_of[u] for u in uids]), return_inverse=True)
    sc = np.array([scale.get(u, 1.0) for u in uids])
    k_max = max(r.combine for r in rules)
    totals = np.zeros((len(rules), n_s))
    seen = np.zeros((len(rules), n_s))
    # Rows by window, then series: a block of series of one window is a slice.
    by_window = np.lexsort((s_of, w_of))
    window_starts = np.searchsorted(w_of[by_window], np.arange(n_windows + 1))
    block = max(1, _SCORE_CELLS // (n_m * h))
    for w in range(n_windows):
        others = sorted((x for x in range(n_windows) if x != w), key=lambda x: (abs(x - w), x))
        ranks: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        for selection, memory in {(r.selection, r.rank_windows) for r in rules}:
            ranking = _masked_mean(err[:, :, others[:memory]], axis=2)
            if selection == "class":
                scaled = ranking / sc[:, None]
                pooled = np.stack(
                    [_masked_mean(scaled[cls_idx == c], axis=0) for c in range(len(class_codes))]
                )
                ranking = np.where(np.isfinite(ranking), pooled[cls_idx], np.nan)
            key = _sig9(ranking)
            order = np.argsort(key, axis=1, kind="stable")[:, :k_max]
            ranks[(selection, memory)] = order, np.isfinite(np.take_along_axis(key, order, axis=1))
        rows_w = by_window[window_starts[w] : window_starts[w + 1]]
        s_w = s_of[rows_w]
        for start in range(0, n_s, block):
            stop = min(n_s, start + block)
            lo, hi = np.searchsorted(s_w, [start, stop])
            rows = rows_w[lo:hi]
            values = np.full((stop - start, n_m, h), np.nan)
            values[s_of[rows] - start, m_of[rows], k_of[rows]] = value_of[rows]
            actual = np.full((stop - start, h), np.nan)
            actual[s_of[rows] - start, k_of[rows]] = y_of[rows]
            for i, rule in enumerate(rules):
                order, valid = ranks[(rule.selection, rule.rank_windows)]
                top = np.take_along_axis(values, order[start:stop, : rule.combine, None], axis=1)
                top[~valid[start:stop, : rule.combine]] = np.nan
                if rule.ensemble == "median":
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)  # no candidate
                        fc = np.nanmedian(top, axis=1)
                else:
                    fc = _masked_mean(top, axis=1)
                score = _masked_mean(np.abs(fc - actual), axis=1) / sc[start:stop]
                ok = np.isfinite(score)
                totals[i, start:stop][ok] += score[ok]
                seen[i, start:stop][ok] += 1
    per_series = np.where(seen > 0, totals / np.maximum(seen, 1), np.nan)
    out: list[dict[str, Any]] = []
    groups = [("all", np.ones(n_s, dtype=bool))] + [
        (str(c), cls_idx == j) for j, c in enumerate(class_codes)
    ]
    for name, mask in groups:
        for i, rule in enumerate(rules):
            scores = per_series[i, mask]
            scores = scores[np.isfinite(scores)]
            out.append(
                {
                    "demand_class": name,
                    "selection": rule.selection,
                    "combine": rule.combine,
                    "ensemble": rule.ensemble,
                    "rank_windows": rule.rank_windows,
                    "score": float(scores.mean()) if scores.size else math.nan,
                    "n_series": int(scores.size),
                }
            )
    return pd.DataFrame(out, columns=cols)


def _pick_rules(scores: pd.DataFrame, rules: list[_Rule]) -> tuple[dict[str, _Rule], pd.DataFrame]:
    """Return the rule of each demand class (key ``"all"``: the fallback) and ``scores``
    with a ``chosen`` column. A class with ``_MIN_RULE_SERIES`` scored series takes its best
    rule, the others the best rule over all series; the first rule wins on equal (to 9
    digits) scores; without scores, the first rule."""
    chosen: dict[str, _Rule] = {"all": rules[0]}
    if scores.empty:
        return chosen, scores.assign(chosen=pd.Series(dtype=bool))

    def best(frame: pd.DataFrame) -> _Rule:
        key = _sig9(frame["score"].to_numpy(dtype=float))
        return rules[int(np.argmin(key))]

    chosen["all"] = best(scores[scores["demand_class"] == "all"])
    flags = np.zeros(len(scores), dtype=bool)
    for cls, frame in scores.groupby("demand_class", sort=False):
        cls = str(cls)
        if cls != "all":
            enough = int(frame["n_series"].max()) >= _MIN_RULE_SERIES
            chosen[cls] = best(frame) if enough else chosen["all"]
        pick = chosen[cls]
        flags[frame.index[rules.index(pick)]] = True
    return chosen, scores.assign(chosen=flags)


def _choose(
    info: pd.DataFrame,
    cv_long: pd.DataFrame,
    config: ForecastConfig,
    scale: dict[str, float],
    rule_of: dict[str, _Rule],
) -> pd.DataFrame:
    """Return ``unique_id, model, members, ensemble, cv_error`` per series: the ``combine``
    best models of each cross-validated series under its class's rule, the class default for
    the others."""
    rows: list[dict[str, Any]] = []
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    cv_cls = cv_long["unique_id"].map(cls_of)
    best: dict[str, pd.DataFrame] = {}
    own: dict[str, pd.DataFrame] = {}
    for rule in set(rule_of.get(c, rule_of["all"]) for c in set(cls_of.values())):
        classes = {c for c in set(cls_of.values()) if rule_of.get(c, rule_of["all"]) == rule}
        part = cv_long[cv_cls.isin(classes) & (cv_long["window"] < rule.rank_windows)]
        errors = _errors(part, config)
        own.update({str(u): g for u, g in errors.groupby("unique_id", sort=False)})
        if rule.selection == "class":
            errors = _pooled_ranking(info, errors, scale)
        ranked = _ranked(errors)
        best.update({str(u): g for u, g in ranked.groupby("unique_id", sort=False)})
    for uid, cls in zip(info["unique_id"], info["demand_class"], strict=True):
        rule = rule_of.get(cls, rule_of["all"])
        g = best.get(uid)
        if cls == "zero":
            rows.append(
                {"unique_id": uid, "model": "zero", "members": (), "ensemble": "mean",
                 "cv_error": math.nan}
            )  # fmt: skip
        elif g is None or g.empty:
            name = _default_model(cls, config)
            rows.append(
                {"unique_id": uid, "model": name, "members": (name,), "ensemble": "mean",
                 "cv_error": math.nan}
            )  # fmt: skip
        else:
            members = tuple(g["model"].head(rule.combine))
            mine = own[uid]
            own_error = mine.loc[mine["model"] == members[0], "error"]
            rows.append(
                {
                    "unique_id": uid,
                    "model": "+".join(members),
                    "members": members,
                    "ensemble": rule.ensemble if len(members) > 2 else "mean",
                    "cv_error": float(own_error.iloc[0]) if len(members) == 1 else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=["unique_id", "model", "members", "ensemble", "cv_error"])


_MIN_POOL = 40
"""Fewest normalised residuals a per-step quantile is taken from (neighbouring steps join
the pool until it is reached)."""


_EXACT = 1e-6
"""A series whose mean absolute CV residual is below this share of its mean one-step change
is fitted exactly (float noise): its quantiles take the one-step change as scale."""


def _naive_scale(df: pd.DataFrame) -> dict[str, float]:
    """Return per series the mean absolute one-step change of its history (0 if constant)."""
    diffs = df.groupby("unique_id")["y"].diff().abs()
    scale = diffs.groupby(df["unique_id"]).mean().fillna(0.0)
    return {str(k): float(v) for k, v in scale.items()}


def _conformal_quantile(z: np.ndarray, q: float) -> float:
    """The split-conformal ``q`` quantile of the scores ``z`` (finite-sample corrected: the
    ``ceil((n + 1) q)``-th smallest for an upper level, ``floor((n + 1) q)``-th for a lower
    one; clipped to the sample's range)."""
    n = len(z)
    ordered = np.sort(z)
    rank = min(math.ceil((n + 1) * q), n) if q >= 0.5 else max(math.floor((n + 1) * q), 1)
    return float(ordered[rank - 1])


def _step_quantiles(
    cv_point: pd.DataFrame,
    cls_of: dict[str, str],
    history_scale: dict[str, float],
    qs: list[float],
    h: int,
) -> tuple[dict[str, np.ndarray], float]:
    """Return per series an ``(h, len(qs))`` table of quantile offsets from the point forecast,
    and the pooled correlation of forecast errors between horizon steps.

    Normalised split conformal, per horizon step: every cross-validation residual of a series
    is divided by the series' scale (its mean absolute CV residual; its mean absolute one-step
    change when that is 0 or it has no CV), the normalised residuals are pooled over the series
    of the same kind (intermittent/lumpy or smooth/erratic; all series when a kind has too few)
    and over windows, separately per step (neighbouring steps join while fewer than
    ``_MIN_POOL`` residuals), and a series' offset at step ``k`` is its scale times the
    conformal quantile of its pool at step ``k``. Errors grow with the step, so pooling over
    steps would under-cover the far steps; per-step pools keep every step's coverage right.
    """
    kind_of = {
        uid: ("intermittent" if c in ("intermittent", "lumpy") else "smooth")
        for uid, c in cls_of.items()
    }
    resid = (cv_point["y"].astype(float) - cv_point["value"]).to_numpy()
    uids = cv_point["unique_id"].astype(str).to_numpy()
    steps = cv_point["step"].to_numpy(dtype=np.int64)
    mae = pd.Series(np.abs(resid)).groupby(uids).mean()
    scale = {str(u): float(v) for u, v in mae.items()}
    for uid, value in list(scale.items()):
        # An exact fit up to float noise (float32 on one engine) counts as exact.
        if not value > _EXACT * history_scale.get(uid, 0.0):
            scale[uid] = history_scale.get(uid, 0.0)
    sc = np.array([scale.get(u, 0.0) for u in uids])
    ok = sc > 0
    z = np.where(ok, resid / np.where(ok, sc, 1.0), 0.0)
    kinds = np.array([kind_of.get(u, "smooth") for u in uids])

    def pooled(mask: np.ndarray) -> np.ndarray | None:
        """(h, len(qs)) normalised quantiles of the residuals in ``mask``, or None."""
        if int(mask.sum()) < _MIN_POOL:
            return None
        out = np.zeros((h, len(qs)))
        for k in range(1, h + 1):
            width = 0
            while True:
                sel = mask & (np.abs(steps - k) <= width)
                if int(sel.sum()) >= _MIN_POOL or width >= h:
                    break
                width += 1
            out[k - 1] = [_conformal_quantile(z[sel], q) for q in qs]
        return out

    everything = pooled(ok)
    by_kind = {kind: pooled(ok & (kinds == kind)) for kind in ("smooth", "intermittent")}

    table: dict[str, np.ndarray] = {}
    for uid, kind in kind_of.items():
        if cls_of[uid] == "zero":
            table[uid] = np.zeros((h, len(qs)))
            continue
        s = scale.get(uid, history_scale.get(uid, 0.0))
        shape = by_kind.get(kind)
        shape = shape if shape is not None else everything
        if shape is None:
            # Too few residuals anywhere: this series' own residuals pooled over steps (or
            # its one-step changes), widened like a random walk's with the step.
            own = resid[uids == uid]
            if len(own) == 0:
                hist = history_scale.get(uid, 0.0)
                own = np.array([-hist, hist])
            base = np.array([_conformal_quantile(own, q) for q in qs])
            table[uid] = base[None, :] * np.sqrt(np.arange(1, h + 1))[:, None]
        else:
            table[uid] = s * shape
    # Normalised spread per step of each series' pool, as lead_time_demand reads it.
    upper = [j for j, q in enumerate(qs) if q > 0.5]
    rho = 0.0
    if upper:
        centre = qs.index(0.5) if 0.5 in qs else None
        spread_of: dict[str, np.ndarray] = {}
        for uid in set(uids[ok]):
            shape = by_kind.get(kind_of.get(uid, "smooth"))
            shape = shape if shape is not None else everything
            if shape is None:
                continue
            mid = shape[:, centre] if centre is not None else np.zeros(h)
            spread_of[uid] = np.mean(
                [np.maximum(shape[:, j] - mid, 0.0) / NormalDist().inv_cdf(qs[j]) for j in upper],
                axis=0,
            )
        keep = ok & np.isin(uids, list(spread_of))
        level = 0.9 if 0.9 in qs else qs[upper[-1]]
        rho = _step_correlation(
            z[keep], uids[keep], cv_point["cutoff"].to_numpy()[keep], steps[keep], spread_of, level
        )
    return table, rho


def _step_correlation(
    z: np.ndarray,
    uids: np.ndarray,
    cutoffs: np.ndarray,
    steps: np.ndarray,
    spread_of: dict[str, np.ndarray],
    level: float,
) -> float:
    """The error correlation ``rho`` between horizon steps (0..1, on a 0.05 grid) that makes
    the normal ``level`` quantile of a sum of steps 1..m cover a ``level`` share of the
    cross-validation windows (pooled over m = 2..h, windows and series): the smallest ``rho``
    with ``sum_k z_k <= z_level sqrt(sum_k s_k^2 + rho ((sum_k s_k)^2 - sum_k s_k^2))``, with
    ``z_k`` the normalised residuals and ``s_k`` the normalised spread of step ``k`` (as
    :func:`maillon.planning.policy.lead_time_demand` reads it off the quantiles). Bias and
    skew count like correlation (they add up over steps the same way). 0 without windows."""
    if len(z) == 0:
        return 0.0
    frame = pd.DataFrame({"u": uids, "c": cutoffs, "k": steps, "z": z})
    frame = frame.sort_values(["u", "c", "k"], kind="stable")
    frame["cum_z"] = frame.groupby(["u", "c"])["z"].cumsum()
    spread = np.array([spread_of[u][k - 1] for u, k in zip(frame["u"], frame["k"], strict=True)])
    frame["s"] = spread
    frame["s2"] = spread**2
    frame["cum_s"] = frame.groupby(["u", "c"])["s"].cumsum()
    frame["cum_s2"] = frame.groupby(["u", "c"])["s2"].cumsum()
    sums = frame[frame["k"] >= 2]
    if sums.empty:
        return 0.0
    diag = sums["cum_s2"].to_numpy()
    off = sums["cum_s"].to_numpy() ** 2 - diag
    total = sums["cum_z"].to_numpy()
    z_level = float(NormalDist().inv_cdf(level))
    for rho in np.linspace(0.0, 1.0, 21):
        bound = z_level * np.sqrt(np.maximum(diag + rho * off, 0.0))
        if float(np.mean(total <= bound + 1e-12)) >= level:
            return float(rho)
    return 1.0


def _assemble(
    df: pd.DataFrame,
    info: pd.DataFrame,
    chosen: pd.DataFrame,
    cv_long: pd.DataFrame,
    fc_long: pd.DataFrame,
    config: ForecastConfig,
) -> tuple[pd.DataFrame, float]:
    """Return the forecasts frame (point forecast of the chosen members and quantiles per
    horizon step) and the estimated correlation of forecast errors between steps."""
    h = config.horizon
    qs = sorted(config.quantiles)
    members = chosen[["unique_id", "members"]].explode("members").dropna()
    members = members.rename(columns={"members": "model"})
    median_ids = set(chosen.loc[chosen["ensemble"] == "median", "unique_id"])

    def combined(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """Mean (or median, for the series whose rule says so) of the members' values."""
        grouped = frame.merge(members, on=["unique_id", "model"]).groupby(keys, sort=True)
        out = grouped.agg(y=("y", "first")) if "y" in frame.columns else None
        values = grouped["value"].agg(["mean", "median"])
        use_median = values.index.get_level_values("unique_id").isin(median_ids)
        value = pd.Series(
            np.where(use_median, values["median"], values["mean"]), index=values.index
        )
        res = value.rename("value").to_frame() if out is None else out.assign(value=value)
        return res.reset_index()

    point = combined(fc_long, ["unique_id", "ds"]).rename(columns={"value": "forecast"})
    cv_point = combined(cv_long, ["unique_id", "cutoff", "ds"])
    cv_point["step"] = cv_point.groupby(["unique_id", "cutoff"]).cumcount() + 1
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    history_scale = _naive_scale(df)
    table, rho = _step_quantiles(cv_point, cls_of, history_scale, qs, h)
    # Zero series: a frame of zeros at the future dates.
    last = df.groupby("unique_id")["ds"].max()
    offset = pd.tseries.frequencies.to_offset(config.freq)
    zero_ids = info.loc[info["demand_class"] == "zero", "unique_id"]
    if len(zero_ids):
        zeros = pd.DataFrame(
            [
                {"unique_id": uid, "ds": last[uid] + k * offset, "forecast": 0.0}
                for uid in zero_ids
                for k in range(1, h + 1)
            ]
        )
        point = pd.concat([point, zeros], ignore_index=True)
    point = point.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    point["step"] = point.groupby("unique_id").cumcount() + 1

    order = {uid: i for i, uid in enumerate(table)}
    stack = np.stack(list(table.values())) if table else np.zeros((0, h, len(qs)))
    rows = point["unique_id"].map(order).to_numpy()
    steps = np.minimum(point["step"].to_numpy(dtype=np.int64), h) - 1
    known = ~pd.isna(rows)
    qmat = np.zeros((len(point), len(qs)))
    if known.any():
        qmat[known] = stack[rows[known].astype(np.int64), steps[known]]
    values = point["forecast"].to_numpy()[:, None] + qmat
    values = np.maximum.accumulate(values, axis=1)
    point["forecast"] = _clip(point["forecast"].to_numpy(), config)
    for j, q in enumerate(qs):
        point[quantile_column(q)] = _clip(values[:, j], config)
    cols = ["unique_id", "ds", "step", "forecast", *(quantile_column(q) for q in qs)]
    return point[cols], rho
