"""One FastAPI app factory for every sandbox service: health, faults, stores."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sandbox.common.envelopes import install_client_exception_handler
from sandbox.common.faults import FaultSwitch, fault_router
from sandbox.common.stores import redis_client
from sandbox.settings import SandboxSettings, get_settings

Hook = Callable[[FastAPI], Awaitable[None]]


def microframe_health(app: FastAPI, service: str) -> None:
    """budmicroframe's meta routes: ``GET /health`` and ``GET /``."""

    @app.get("/health")
    async def health() -> dict:
        return {"object": "info", "message": "ack", "param": None}

    @app.get("/")
    async def root() -> dict:
        return {"object": "info", "message": f"Welcome to {service} (sandbox)", "param": None}


def create_service_app(
    service: str,
    *,
    settings: SandboxSettings | None = None,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    health: bool = True,
) -> FastAPI:
    """A service app with the fault switch mounted and Redis connected on start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.redis = redis_client(settings.redis_url)
        # budapp's TENSORZERO_REDIS_URL: gateway routes and API keys live in a database of their own
        app.state.gateway_redis = redis_client(settings.gateway_redis())
        app.state.faults = FaultSwitch(app.state.redis)
        app.state.sandbox_admin_token = settings.admin_token
        if on_startup:
            await on_startup(app)
        try:
            yield
        finally:
            if on_shutdown:
                await on_shutdown(app)
            await app.state.redis.aclose()
            await app.state.gateway_redis.aclose()

    app = FastAPI(title=f"{service} (sandbox)", lifespan=lifespan)
    install_client_exception_handler(app)
    app.include_router(fault_router)
    if health:
        microframe_health(app, service)
    return app
