"""What the routes share: the app's state, Keycloak's error bodies, the admin bearer check, ``//`` paths."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.keycloak import tokens
from sandbox.keycloak.realms import MASTER
from sandbox.keycloak.sessions import Sessions
from sandbox.keycloak.store import Realm, Store
from sandbox.settings import SandboxSettings


class KeycloakError(Exception):
    """An answer with Keycloak's own body (``{"error": ...}``, ``{"errorMessage": ...}`` or none)."""

    def __init__(self, status: int, body: dict[str, Any] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def oauth_error(status: int, error: str, description: str) -> KeycloakError:
    return KeycloakError(status, {"error": error, "error_description": description})


def not_found(error: str) -> KeycloakError:
    return KeycloakError(404, {"error": error})


def conflict(message: str) -> KeycloakError:
    return KeycloakError(409, {"errorMessage": message})


def as_response(_: Request, exc: KeycloakError) -> Response:
    if exc.body is None:
        return Response(status_code=exc.status)
    return JSONResponse(exc.body, status_code=exc.status)


def store(request: Request) -> Store:
    return request.app.state.store


def sessions(request: Request) -> Sessions:
    return request.app.state.sessions


def settings(request: Request) -> SandboxSettings:
    return request.app.state.settings


def base_url(request: Request) -> str:
    """The address the caller used: Keycloak derives its issuer and Location headers from it."""
    return str(request.base_url).rstrip("/")


async def realm_or_404(request: Request, name: str, error: str = "Realm not found.") -> Realm:
    realm = await store(request).realm(name)
    if realm is None:
        raise not_found(error)
    return realm


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def require_admin(request: Request) -> None:
    """The admin API takes an active access token of the master realm (the admin user's, via admin-cli)."""
    unauthorised = KeycloakError(401, {"error": "HTTP 401 Unauthorized"})
    token = bearer(request)
    master = await store(request).realm(MASTER)
    if token is None or master is None:
        raise unauthorised
    try:
        claims = tokens.verify(master, token, "Bearer")
    except tokens.InvalidToken:
        raise unauthorised from None
    if await sessions(request).get(MASTER, claims["sid"]) is None:
        raise unauthorised


class CollapseSlashes:
    """``//admin/...`` is ``/admin/...``: budapp joins a server URL that may end in ``/`` to ``/admin``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = re.sub("/{2,}", "/", scope["path"])
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
