"""Engines: statsforecast models run locally or on Dask (through Fugue), the global LightGBM
models (mlforecast), and the runs of each on the series: statistical candidates, global
models, and AutoARIMA within its time budget."""

from __future__ import annotations

import importlib
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from maillon.planning.forecast.classes import _default_model
from maillon.planning.forecast.config import GLOBAL_MODELS, Engine, ForecastConfig
from maillon.planning.forecast.cv import _errors, _melt_cv, _melt_fc, _ranked
from maillon.planning.forecast.rules import _MAX_COMBINE


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
