"""The FastAPI application: every package's router, authentication and error mapping."""

from __future__ import annotations

import gc
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError

from maillon import __version__
from maillon.bootstrap import assemble
from maillon.core.auth import new_key_cache
from maillon.core.db import Database
from maillon.core.errors import MaillonError, Unavailable


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts)


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", "invalid")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    message = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    body = {
        "error": {
            "code": "validation_error",
            "message": message,
            "field": first["field"],
            "errors": errors,
        }
    }
    return JSONResponse(status_code=422, content=jsonable_encoder(body))


def _map_errors(app: FastAPI) -> None:
    """Answer the error tree, invalid requests and database refusals as JSON errors."""

    @app.exception_handler(MaillonError)
    async def maillon_error(_request: Request, exc: MaillonError) -> JSONResponse:
        headers = None
        if isinstance(exc, Unavailable) and exc.retry_after is not None:
            headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
        return JSONResponse(
            status_code=exc.status_code,
            content=jsonable_encoder({"error": exc.to_dict()}),
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "code": "validation_error",
                    "field": "",
                    "message": "a value is out of the range the database can store",
                }
            },
        )

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "error": {"code": "conflict", "message": "the change conflicts with existing data"}
            },
        )


def _include_routers(app: FastAPI) -> None:
    """Include every package's API router, then mount the console and the portal."""
    from maillon.acquisition.routes import router as acquisition_router
    from maillon.analytics.routes import router as kpi_router
    from maillon.api.admin import router as admin_router
    from maillon.care.routes import router as care_router
    from maillon.catalog.routes import router as catalog_router
    from maillon.channels.routes import router as shop_router
    from maillon.delivery.routes import router as delivery_router
    from maillon.fraud.routes import router as fraud_router
    from maillon.inventory.routes import router as inventory_router
    from maillon.orders.routes import channels_router, customers_router, holds_router
    from maillon.orders.routes import router as orders_router
    from maillon.planning.routes import router as planning_router
    from maillon.returns.routes import router as returns_router
    from maillon.shipping.routes import router as shipping_router
    from maillon.warehouse.routes import router as warehouse_router
    from maillon.web.routes import mount_console
    from maillon.webhooks.routes import router as webhooks_router

    for router in (
        admin_router,
        catalog_router,
        inventory_router,
        orders_router,
        customers_router,
        channels_router,
        shop_router,
        holds_router,
        warehouse_router,
        shipping_router,
        delivery_router,
        returns_router,
        care_router,
        planning_router,
        fraud_router,
        acquisition_router,
        kpi_router,
        webhooks_router,
    ):
        app.include_router(router)
    from maillon.web.portal import router as portal_router

    # The console first: its GET /returns shows staff the returns queue and hands visitors who
    # are not signed in to the portal's form, which shares that address.
    mount_console(app)
    app.include_router(portal_router)


def create_app(db: Database) -> FastAPI:
    """Return the Maillon app (API under ``/api/v1``, console at ``/``) bound to ``db``."""
    assemble()
    app = FastAPI(
        title="Maillon",
        version=__version__,
        description="Operations for e-commerce: orders, stock, warehouse, shipping, returns, "
        "after-sales. Authenticate with `Authorization: Bearer <key>`.",
    )
    app.state.db = db
    app.state.key_cache = new_key_cache()

    _map_errors(app)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: no key needed."""
        return {"status": "ok", "version": __version__}

    _include_routers(app)
    return app


def tune_gc_for_serving() -> None:
    """Keep the garbage collector's full passes off a long-running server's request path.

    Everything alive once the app is built (modules, table metadata, compiled-query caches)
    is moved out of the collector's sight (``gc.freeze``) and young collections run less
    often: a page that allocates a hundred thousand objects (the planning page designs a
    policy per SKU) otherwise took twice as long whenever a full pass fell inside it.
    Call it once the app is built, in the serving process (``maillon serve`` and
    :func:`app_from_env` do), not in tests that build many apps.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


REQUEST_THREADS_ENV = "MAILLON_REQUEST_THREADS"
DEFAULT_REQUEST_THREADS = 3
MAX_REQUEST_THREADS = 64


def request_threads_from_env() -> int:
    """Return ``MAILLON_REQUEST_THREADS`` (default 3). Raises ValueError naming it if bad."""
    raw = os.environ.get(REQUEST_THREADS_ENV, "").strip()
    if not raw:
        return DEFAULT_REQUEST_THREADS
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if not 1 <= threads <= MAX_REQUEST_THREADS:
        raise ValueError(
            f"{REQUEST_THREADS_ENV} must be a whole number from 1 to {MAX_REQUEST_THREADS}, "
            f"not {raw!r}"
        )
    return threads


def limit_request_threads(app: FastAPI, threads: int) -> None:
    """Run at most ``threads`` requests' synchronous code at once in this process.

    FastAPI runs every plain ``def`` route in a pool of up to 40 threads. Our routes are
    Python-bound (a 3-line order is ~4 ms of CPU and ~18 short database round trips), so
    forty threads only fight over the interpreter lock: each thread coming back from the
    database waits for it, a transaction holding a hot stock row waits for it before its
    commit, and switching costs CPU. With 3 threads a worker, ``bench/orders_load.py`` went
    from ~190 to 260-340 orders/s on 2 cores and the paced p95 from ~360 to 12-20 ms (2 and
    4 threads did about as well; 40 did not). Requests beyond the limit wait in the event
    loop, in arrival order.
    """

    async def limit() -> None:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = threads

    app.router.on_startup.append(limit)


def tune_for_serving(app: FastAPI) -> None:
    """What a serving process does once its app is built: :func:`tune_gc_for_serving` and
    :func:`limit_request_threads` to ``MAILLON_REQUEST_THREADS``. Raises ValueError."""
    limit_request_threads(app, request_threads_from_env())
    tune_gc_for_serving()


def app_from_env() -> FastAPI:
    """Return the app on ``MAILLON_DATABASE_URL`` (or the default SQLite file), migrated.

    For process managers that import a factory, e.g.
    ``uvicorn --factory maillon.app:app_from_env --workers 2``.
    """
    from maillon.core.migrate import upgrade
    from maillon.core.settings import load_settings

    assemble()
    db = Database(load_settings().database_url)
    upgrade(db)
    app = create_app(db)
    tune_for_serving(app)
    return app
