"""Build the FastAPI application over a runtime; optionally consume the queue in-process.

The one module that knows every router: the API's, the feed's and the web pages'.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from reelsmith import __version__
from reelsmith.accounts.ratelimit import Limits
from reelsmith.accounts.throttle import LoginThrottle
from reelsmith.api.routes import assets, auth, creative, generations, me, system, webhooks
from reelsmith.config import Settings
from reelsmith.feed import router as feed
from reelsmith.jobs.queue import redis_url
from reelsmith.monitoring import metrics_registry
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.server.body_limits import BodyLimits
from reelsmith.server.errors import install_error_handlers
from reelsmith.server.security import SecurityHeaders
from reelsmith.web.errors import error_page
from reelsmith.web.routes import router as pages
from reelsmith.web.templating import STATIC


def create_app(
    settings: Settings, *, runtime: Runtime | None = None, embedded_worker: bool = False
) -> FastAPI:
    """The API and web app. With `embedded_worker`, queue consumer threads run while the app is up."""
    rt = runtime or build_runtime(settings)
    wakeups = redis_url(settings.effective_queue_url)
    if wakeups is not None:
        # Workers elsewhere announce their events on Redis; wake this server's streams for them.
        rt.announcer.subscribe_to_redis(wakeups)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if not embedded_worker:
                yield
                return
            from reelsmith.jobs.worker import embedded_worker as worker

            with worker(rt):
                yield
        finally:
            app.state.limits.close()

    app = FastAPI(
        title="Reelsmith",
        version=__version__,
        description="Self-hostable AI video studio: prompt in, stitched video out.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    # One backend for every limit: shared through Redis when configured, so N servers allow the rate once.
    limits = Limits.from_settings(settings)
    app.state.limits = limits
    app.state.generation_limiter = limits.limiter("generations", settings.generation_rate_per_minute)
    app.state.upload_limiter = limits.limiter("uploads", settings.upload_rate_per_minute)
    app.state.stitch_limiter = limits.limiter("stitch jobs", settings.stitch_rate_per_minute)
    app.state.storyboard_limiter = limits.limiter("storyboard drafts", settings.storyboard_rate_per_minute)
    app.state.reference_limiter = limits.limiter("reference batches", settings.reference_rate_per_minute)
    app.state.signup_limiter = limits.limiter(
        "sign-ups from this address", settings.signups_per_address_per_hour, 3600.0
    )
    app.state.login_throttle = LoginThrottle(settings, limits)
    app.state.metrics_registry = metrics_registry(rt)
    install_error_handlers(app, error_page)
    for module in (auth, me, generations, assets, creative, feed, webhooks, system):
        app.include_router(module.router)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimits, settings=settings)
    app.add_middleware(SecurityHeaders, force_https=settings.force_https)
    return app
