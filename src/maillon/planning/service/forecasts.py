"""Forecast runs: forecasting every SKU's demand from the order history and storing
the result, and reading the newest stored forecast back (per SKU, or step by step)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
)
from maillon.core.tables import Job
from maillon.planning.demand import DemandSeries, build_demand_series
from maillon.planning.forecast import ForecastConfig, ForecastResult, forecast, quantile_column
from maillon.planning.service.history import demand_history, has_orders, selling_since
from maillon.planning.tables import (
    ForecastPoint,
    ForecastRun,
)

Z90 = 1.2816  # standard normal quantile of 0.9: (q90 - q50) / Z90 estimates the spread


def check_forecast(*, horizon: int, history_days: int, freq: str, engine: str) -> None:
    """Refuse a forecast's arguments out of range. Raises ValidationError naming
    ``horizon``, ``history_days``, ``freq`` or ``engine``."""
    errors = ErrorCollector()
    if not 1 <= horizon <= 366:
        errors.add("horizon", "1-366 periods")
    if not 14 <= history_days <= 3650:
        errors.add("history_days", "14-3650 days")
    if freq not in ("D", "W"):
        errors.add("freq", "D (daily) or W (weekly)")
    if engine not in ("local", "dask"):
        errors.add("engine", "local or dask")
    errors.raise_if_any()


def check_forecastable(
    *, session: Session, history_days: int, warehouse_code: str | None = None
) -> None:
    """Refuse at once a forecast that could only fail: an unknown warehouse (NotFound naming
    ``warehouse``), or no order in the history period (Conflict), one indexed look-up each,
    so a request can check before it hands the run to the worker tier."""
    today = clock.now().date()
    start = today - timedelta(days=history_days)
    if not has_orders(session=session, start=start, end=today, warehouse_code=warehouse_code):
        raise Conflict(NOTHING_TO_FORECAST)


NOTHING_TO_FORECAST = "no orders in the history period: nothing to forecast"


#: The worker tier's job that runs a forecast (:func:`request_forecast`, and every night).
FORECAST_JOB = "planning.forecast"


def request_forecast(
    *,
    session: Session,
    horizon: int = 28,
    history_days: int = 365,
    freq: str = "D",
    warehouse_code: str | None = None,
    engine: str = "local",
    requested_by: str,
) -> Job:
    """Check a forecast's arguments now and record its job (run by the worker tier, which
    reports its progress) in the caller's transaction. Raises like :func:`run_forecast`
    would, before anything is recorded."""
    check_forecast(horizon=horizon, history_days=history_days, freq=freq, engine=engine)
    check_forecastable(session=session, history_days=history_days, warehouse_code=warehouse_code)
    args = {
        "horizon": horizon,
        "history_days": history_days,
        "freq": freq,
        "warehouse": warehouse_code,
        "engine": engine,
    }
    job = jobs.submit(session, FORECAST_JOB, args, requested_by=requested_by)
    assert job is not None  # recorded without a key: always
    return job


def find_job_run(*, session: Session, job_id: int) -> ForecastRun | None:
    """Return the forecast run the worker tier's job ``job_id`` stored, if it did."""
    return session.scalar(select(ForecastRun).where(ForecastRun.job_id == job_id))


def run_forecast(
    db: Database,
    *,
    horizon: int = 28,
    history_days: int = 365,
    freq: str = "D",
    warehouse_code: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    job_id: int | None = None,
) -> ForecastRun:
    """Forecast every SKU's demand per warehouse from the order history and store the result
    (point, quantiles, the model chosen per series). ``engine="dask"`` runs the statistical
    models on the Dask cluster at ``scheduler`` (a local one when None). ``job_id`` names the
    worker tier's job that asked (kept on the run: one run per job).

    Raises ValidationError naming ``horizon``, ``history_days``, ``freq`` or ``engine``;
    NotFound naming ``warehouse``; Conflict when there is no demand to forecast.
    """
    check_forecast(horizon=horizon, history_days=history_days, freq=freq, engine=engine)
    today = clock.now().date()
    start = today - timedelta(days=history_days)
    with db.reader() as session:
        records, stockouts = demand_history(
            session=session, start=start, end=today, warehouse_code=warehouse_code
        )
        since = selling_since(session=session, skus={r.sku for r in records}, start=start)
    if not records:
        raise Conflict(NOTHING_TO_FORECAST)
    series = build_demand_series(
        records, stockouts=stockouts, freq=freq, end=today - timedelta(days=1), since=since
    )
    config = ForecastConfig(
        horizon=horizon,
        season_length=7 if freq == "D" else 52,
        freq=series.pandas_freq,
    )
    result = forecast(
        series.forecast_input(),
        config=config,
        engine="dask" if engine == "dask" else "local",
        scheduler=scheduler,
        progress=progress,
    )
    return _store_run(
        db,
        result,
        series,
        freq=freq,
        horizon=horizon,
        engine=engine,
        start=start,
        today=today,
        job_id=job_id,
    )


def _store_run(
    db: Database,
    result: ForecastResult,
    series: DemandSeries,
    *,
    freq: str,
    horizon: int,
    engine: str,
    start: date,
    today: date,
    job_id: int | None = None,
) -> ForecastRun:
    """Store a forecast run and its points (point, quantiles, model per SKU, warehouse and
    step) in one transaction."""
    keys = series.frame.drop_duplicates("unique_id").set_index("unique_id")[["sku", "warehouse"]]
    models = dict(zip(result.chosen["unique_id"], result.chosen["model"], strict=True))
    with db.transaction() as session:
        run = ForecastRun(
            created_at=clock.now(),
            freq=freq,
            horizon=horizon,
            engine=engine,
            series=int(series.n_series),
            runtime_s=round(result.runtime_s, 3),
            history_from=start,
            history_to=today,
            job_id=job_id,
        )
        session.add(run)
        session.flush()
        rows = []
        for row in result.forecasts.to_dict("records"):
            uid = row["unique_id"]
            sku, warehouse = keys.loc[uid, "sku"], keys.loc[uid, "warehouse"]
            rows.append(
                {
                    "run_id": run.id,
                    "sku": str(sku),
                    "warehouse": str(warehouse),
                    "ds": row["ds"].date(),
                    "step": int(row["step"]),
                    "model": str(models.get(uid, ""))[:40],
                    "forecast": float(row["forecast"]),
                    **{
                        f"q{int(q * 100)}": _opt(row.get(quantile_column(q)))
                        for q in (0.5, 0.8, 0.9, 0.95)
                    },
                }
            )
        if rows:
            session.execute(insert(ForecastPoint), rows)
        return run


def _opt(value: Any) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def latest_forecast_run(*, session: Session, freq: str = "D") -> ForecastRun | None:
    """Return the newest forecast run of ``freq`` (``"D"`` daily, ``"W"`` weekly), or None."""
    return session.scalar(
        select(ForecastRun).where(ForecastRun.freq == freq).order_by(ForecastRun.id.desc())
    )


def latest_forecast(
    *, session: Session, warehouse_code: str
) -> dict[str, tuple[float, float, str]]:
    """Return, per SKU of a warehouse, the mean forecast per day, its spread and the model,
    from the newest daily forecast run (empty when there is none)."""
    run = latest_forecast_run(session=session)
    if run is None:
        return {}
    run_id = run.id
    rows = session.execute(
        select(
            ForecastPoint.sku,
            func.avg(ForecastPoint.forecast),
            func.avg(ForecastPoint.q90 - ForecastPoint.q50),
            func.min(ForecastPoint.model),
        )
        .where(ForecastPoint.run_id == run_id, ForecastPoint.warehouse == warehouse_code)
        .group_by(ForecastPoint.sku)
    ).all()
    return {
        sku: (float(mean or 0), max(0.0, float(spread or 0)) / Z90, str(model or ""))
        for sku, mean, spread, model in rows
    }


@dataclass(frozen=True)
class StepForecast:
    """A SKU's newest stored daily forecast, step by step (step 1 first).

    Attributes:
        model: the model chosen for the series.
        forecast: point forecast per step.
        quantiles: ``{level: value per step}`` for the stored levels (0.5, 0.8, 0.9, 0.95)
            present at every step.
        days: the date of each step.
    """

    model: str
    forecast: tuple[float, ...]
    quantiles: dict[float, tuple[float, ...]]
    days: tuple[date, ...] = ()

    @property
    def usable(self) -> bool:
        """Return whether it has steps and an upper quantile (to build a lead-time demand)."""
        return bool(self.forecast) and any(q > 0.5 for q in self.quantiles)


def latest_forecast_steps(
    *, session: Session, warehouse_code: str, sku: str | None = None
) -> dict[str, StepForecast]:
    """Return, per SKU of a warehouse (or only ``sku``), the newest daily forecast run's point
    forecast and quantiles per step (empty when there is no run)."""
    run = latest_forecast_run(session=session)
    if run is None:
        return {}
    run_id = run.id
    rows = session.execute(
        select(
            ForecastPoint.sku,
            ForecastPoint.step,
            ForecastPoint.model,
            ForecastPoint.forecast,
            ForecastPoint.q50,
            ForecastPoint.q80,
            ForecastPoint.q90,
            ForecastPoint.q95,
            ForecastPoint.ds,
        )
        .where(
            ForecastPoint.run_id == run_id,
            ForecastPoint.warehouse == warehouse_code,
            *([ForecastPoint.sku == sku] if sku is not None else []),
        )
        .order_by(ForecastPoint.sku, ForecastPoint.step)
    ).all()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    out: dict[str, StepForecast] = {}
    levels = (0.5, 0.8, 0.9, 0.95)
    for sku, points in grouped.items():
        quantiles = {
            level: tuple(float(p[4 + j]) for p in points)
            for j, level in enumerate(levels)
            if all(p[4 + j] is not None for p in points)
        }
        out[sku] = StepForecast(
            model=str(points[0][2] or ""),
            forecast=tuple(max(0.0, float(p[3] or 0.0)) for p in points),
            quantiles=quantiles,
            days=tuple(p[8] for p in points),
        )
    return out
