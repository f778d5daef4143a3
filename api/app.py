"""App factory and lifespan: the runtime (database, embedder, live catalog) is built once per process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.metrics import MetricsMiddleware, build_registry
from api.middleware import RequestContextMiddleware
from api.ratelimit import RATE_LIMITED_RESPONSES, install_rate_limits, register_rate_limit_metrics
from api.routers import admin, events, feeds, health, items, memories, users
from memfeed import __version__
from memfeed.catalog.embedding import Embedder
from memfeed.platform.logs import configure_logging
from memfeed.platform.ratelimit import build_rate_limiter
from memfeed.platform.settings import Settings, get_settings
from memfeed.runtime import Runtime, build_runtime

log = logging.getLogger("memfeed")


async def _keep_catalog_in_sync(runtime: Runtime) -> None:
    """Pick up items written by other processes (workers, pipelines) within `catalog_refresh_seconds`."""
    while True:
        await asyncio.sleep(runtime.settings.catalog_refresh_seconds)
        try:
            await asyncio.to_thread(runtime.catalog.sync)
        except Exception:  # noqa: BLE001 - a failed refresh must not kill serving; the next one retries
            log.exception("catalog sync failed")


async def _watch_champion(runtime: Runtime) -> None:
    """Swap in a newly promoted champion within `model_poll_seconds` (a stat per poll; loads only on change)."""
    while True:
        await asyncio.sleep(runtime.settings.model_poll_seconds)
        try:
            await asyncio.to_thread(runtime.watcher.check)
        except Exception:  # noqa: BLE001 - a failed load must not stop serving the current model
            log.exception("model check failed")


async def _refresh_popularity(runtime: Runtime) -> None:
    """Recompute popularity off the request path (a GROUP BY over the window's events)."""
    while True:
        await asyncio.sleep(runtime.settings.popularity_refresh_seconds)
        try:
            await asyncio.to_thread(runtime.feeds.refresh_popularity, force=True)
        except Exception:  # noqa: BLE001 - the previous popularity keeps serving; the next run retries
            log.exception("popularity refresh failed")


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings)
        if not settings.auth_enabled:
            log.warning(
                "AUTH IS DISABLED (MEMFEED_AUTH=disabled): every caller is admin; never do this in production"
            )
        background_popularity = settings.popularity_refresh_seconds > 0
        runtime = await asyncio.to_thread(
            build_runtime, settings, embedder=embedder, popularity_in_background=background_popularity
        )
        app.state.runtime = runtime
        app.state.rate_limiter = build_rate_limiter(settings)
        tasks = [
            asyncio.create_task(_keep_catalog_in_sync(runtime)),
            asyncio.create_task(_watch_champion(runtime)),
        ]
        if background_popularity:
            tasks.append(asyncio.create_task(_refresh_popularity(runtime)))
        log.info("memfeed ready: %d items, model %s", len(runtime.catalog), runtime.feeds.model_version)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            runtime.close()
            app.state.runtime = None
            if app.state.rate_limiter is not None:
                app.state.rate_limiter.close()
                app.state.rate_limiter = None

    app = FastAPI(
        title="memfeed",
        version=__version__,
        summary="Personalized feeds and LLM memory for mobile apps",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = None
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        served_by=settings.served_by_header,
    )
    limited = install_rate_limits(app)
    app.state.metrics_registry, http_metrics = build_registry(app)
    app.add_middleware(MetricsMiddleware, metrics=http_metrics)  # outermost: times everything below
    register_rate_limit_metrics(app)
    app.include_router(health.router)  # health, readiness and metrics are never limited
    for router in (items.router, events.router, users.router, feeds.router, memories.router, admin.router):
        app.include_router(router, dependencies=limited, responses=RATE_LIMITED_RESPONSES)
    return app
