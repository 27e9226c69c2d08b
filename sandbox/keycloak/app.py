"""The Keycloak stand-in's app: OIDC per realm, the admin REST API and authorization services.

State is in PostgreSQL (schema ``keycloak`` of the sandbox database), sessions in Redis. At start the
master realm exists with the admin user (``SANDBOX_KEYCLOAK_ADMIN_USERNAME`` / ``_PASSWORD``), who signs
in through the public ``admin-cli`` client; budapp creates its realm and everything in it.
"""

from __future__ import annotations

from fastapi import FastAPI

from sandbox.common.app_factory import create_service_app
from sandbox.keycloak import admin_routes, authz_routes, oidc_routes
from sandbox.keycloak.realms import bootstrap_master
from sandbox.keycloak.sessions import Sessions
from sandbox.keycloak.store import Store
from sandbox.keycloak.web import CollapseSlashes, KeycloakError, as_response
from sandbox.settings import SandboxSettings, get_settings


async def start(app: FastAPI) -> None:
    app.state.store = await Store.open(app.state.settings.postgres_dsn)
    app.state.sessions = Sessions(app.state.redis)
    await bootstrap_master(app.state.store, app.state.settings)


async def stop(app: FastAPI) -> None:
    await app.state.store.close()


def create_app(settings: SandboxSettings) -> FastAPI:
    # Keycloak's health is its master realm page, GET /realms/master (the launcher checks it)
    app = create_service_app("keycloak", settings=settings, on_startup=start, on_shutdown=stop, health=False)
    app.add_exception_handler(KeycloakError, as_response)  # type: ignore[arg-type]
    app.add_middleware(CollapseSlashes)
    # the authorization routes are more specific than the client routes, so they are matched first
    for module in (authz_routes, admin_routes, oidc_routes):
        app.include_router(module.router)
    return app


app = create_app(get_settings())
