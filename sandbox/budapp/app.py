"""budapp (sandbox): auth, users and projects over PostgreSQL, Redis and the Dapr sidecar."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from sandbox.budapp import (
    auth_routes,
    catalog,
    cluster_routes,
    deployment_routes,
    events,
    local_routes,
    model_routes,
    playground_routes,
    project_routes,
    user_routes,
    workflow_routes,
)
from sandbox.budapp.blacklist import JWTBlacklist
from sandbox.budapp.clusters_db import Clusters
from sandbox.budapp.dapr_client import DaprInvoker
from sandbox.budapp.db import Projects, Users, create_pool
from sandbox.budapp.endpoints_db import Credentials, Endpoints
from sandbox.budapp.keycloak import KeycloakStandIn, SigningKey
from sandbox.budapp.models_db import Catalog, Models
from sandbox.budapp.operations import name_operations
from sandbox.budapp.workflows import Workflows
from sandbox.common.app_factory import create_service_app
from sandbox.settings import get_settings

log = logging.getLogger("sandbox.budapp")
SEED_LOCK = 7_019_083  # advisory lock id: one budapp worker seeds at a time


async def seed_super_user(app: FastAPI) -> None:
    """The deployment's super user (SANDBOX_SUPER_USER_EMAIL / _PASSWORD)."""
    state, settings = app.state, app.state.settings
    if not settings.super_user_password:
        log.warning("SANDBOX_SUPER_USER_PASSWORD is empty: no super user seeded")
        return
    auth_id = await state.keycloak.ensure_user(settings.super_user_email, settings.super_user_password)
    existing = await state.users.by_email(settings.super_user_email)
    if existing:
        await state.users.update(
            existing["id"], auth_id=auth_id, status="active", is_superuser=True, realm_role="super_admin"
        )
        return
    async with state.pool.acquire() as connection:
        await state.users.insert(
            connection,
            auth_id=auth_id,
            name="admin",
            email=settings.super_user_email,
            role="super_admin",
            status="active",
            is_superuser=True,
            is_reset_password=False,
            color="#E57333",
            first_login=False,
            user_type="admin",
            realm_role="super_admin",
        )


async def start(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.pool = await create_pool(settings.postgres_dsn)
    app.state.users = Users(app.state.pool)
    app.state.projects = Projects(app.state.pool)
    app.state.catalog = Catalog(app.state.pool)
    app.state.models = Models(app.state.pool)
    app.state.workflows = Workflows(app.state.pool)
    app.state.clusters = Clusters(app.state.pool)
    app.state.endpoints = Endpoints(app.state.pool)
    app.state.credentials = Credentials(app.state.pool)
    app.state.dapr = DaprInvoker(settings.url("dapr"))
    app.state.blacklist = JWTBlacklist(settings.url("dapr"))
    app.state.keycloak = KeycloakStandIn(
        app.state.pool,
        app.state.redis,
        issuer=f"{settings.url('budapp')}/realms/bud",
        key=await SigningKey.shared(app.state.redis),
        access_lifespan=settings.access_token_lifespan,
        refresh_lifespan=settings.refresh_token_lifespan,
    )
    async with app.state.pool.acquire() as lock, lock.transaction():
        await lock.execute("SELECT pg_advisory_xact_lock($1)", SEED_LOCK)
        await catalog.seed(app.state.pool)
        await seed_super_user(app)


async def stop(app: FastAPI) -> None:
    await app.state.blacklist.aclose()
    await app.state.dapr.aclose()
    await app.state.pool.close()


def create_app() -> FastAPI:
    app = create_service_app("budapp", settings=get_settings(), on_startup=start, on_shutdown=stop)
    for module in (
        auth_routes,
        user_routes,
        project_routes,
        model_routes,
        workflow_routes,
        events,
        cluster_routes,
        deployment_routes,
        playground_routes,
        local_routes,
    ):
        app.include_router(module.router)
    name_operations(app)
    return app


app = create_app()
