"""The forecasting pipeline (:func:`forecast`): validate the input, classify the series,
cross-validate and forecast every candidate on the chosen engine, choose the combination
rules and members, and assemble the point forecasts and quantiles."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from maillon.planning.forecast.classes import _auto_windows, _candidates, classify
from maillon.planning.forecast.config import (
    GLOBAL_MODELS,
    Engine,
    ForecastConfig,
    ForecastResult,
    Progress,
)
from maillon.planning.forecast.cv import (
    _errors,
    _melt_cv,
    _melt_fc,
    _seasonal_scale,
    _with_windows,
)
from maillon.planning.forecast.engines import (
    _quiet,
    _run_arima,
    _run_global,
    _run_stats,
    _Runner,
)
from maillon.planning.forecast.quantiles import _assemble
from maillon.planning.forecast.rules import _choose, _pick_rules, _rules, _score_rules


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
    df, info, config = _prepare(series_df, config)
    n_windows = int(config.n_windows or 0)
    cv_long, fc_parts = _run_models(
        df, info, config, engine=engine, scheduler=scheduler, n_jobs=n_jobs,
        chunk_size=chunk_size, progress=progress,
    )  # fmt: skip
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


def _prepare(
    series_df: pd.DataFrame, config: ForecastConfig
) -> tuple[pd.DataFrame, pd.DataFrame, ForecastConfig]:
    """Return the validated series (the last ``max_history`` observations of each), their
    classes with ``candidates`` and ``cv`` (cross-validated or not), and the config with its
    window count settled."""
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
    return df, info, config


def _run_models(
    df: pd.DataFrame,
    info: pd.DataFrame,
    config: ForecastConfig,
    *,
    engine: Engine,
    scheduler: str | None,
    n_jobs: int,
    chunk_size: int,
    progress: Progress | None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Cross-validate and forecast every candidate on the engine: the statistical models
    chunk by chunk, the global models, then AutoARIMA within its budget. Return the long CV
    table and the forecast parts."""
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
    return cv_long, fc_parts


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
