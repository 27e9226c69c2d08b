"""Who is calling: bearer token → user row, with budapp's exact refusals; permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sandbox.budapp.blacklist import BlacklistUnavailable
from sandbox.budapp.keycloak import TokenExpired, TokenInvalid

bearer = HTTPBearer()  # missing or non-Bearer header: 401 {"detail": "Not authenticated"}

INVALID = "Invalid authentication credentials"
CHALLENGE = {"WWW-Authenticate": "Bearer"}

CLIENT_PERMISSIONS = frozenset({"client:access", "project:view", "project:manage"})
ADMIN_PERMISSIONS = frozenset(
    {"model:view", "project:view", "endpoint:view", "cluster:view", "benchmark:view", "client:access"}
)
ALL_PERMISSIONS = frozenset(
    {
        "model:view",
        "model:manage",
        "model:benchmark",
        "project:view",
        "project:manage",
        "endpoint:view",
        "endpoint:manage",
        "cluster:view",
        "cluster:manage",
        "user:view",
        "user:manage",
        "benchmark:view",
        "benchmark:manage",
        "client:access",
    }
)


def _unauthorised(detail: str = INVALID) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers=CHALLENGE)


async def _user_from_token(request: Request, token: str) -> dict[str, Any]:
    state = request.app.state
    try:
        if await state.blacklist.contains(token):
            raise _unauthorised()
    except BlacklistUnavailable:
        raise _unauthorised() from None
    try:
        claims = state.keycloak.decode_access(token)
    except (TokenExpired, TokenInvalid):
        # budapp says "Token has expired" only for PyJWT's error, which its Keycloak decoding never raises
        raise _unauthorised() from None
    try:
        auth_id = UUID(claims["sub"])
    except ValueError:
        raise _unauthorised() from None
    user = await state.users.by_auth_id(auth_id)
    if user is None:
        raise _unauthorised()
    user["raw_token"] = token
    return user


async def current_user(request: Request, credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> dict[str, Any]:
    """Active or invited user (what /users/me accepts)."""
    user = await _user_from_token(request, credentials.credentials)
    if user["status"] not in ("active", "invited"):
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


async def current_active_user(user: dict[str, Any] = Depends(current_user)) -> dict[str, Any]:
    if user["status"] != "active":
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


def permissions_of(user: dict[str, Any]) -> frozenset[str]:
    if user["is_superuser"]:
        return ALL_PERMISSIONS
    by_type = CLIENT_PERMISSIONS if user["user_type"] == "client" else ADMIN_PERMISSIONS
    return by_type | frozenset(user.get("granted_permissions") or ())


def require(permission: str) -> Callable[..., Any]:
    """Dependency: the active user holding ``permission`` (403 otherwise)."""

    async def check(user: dict[str, Any] = Depends(current_active_user)) -> dict[str, Any]:
        if permission not in permissions_of(user):
            raise HTTPException(status_code=403, detail="Insufficient permissions for this operation")
        return user

    return check


optional_bearer = HTTPBearer(auto_error=False)


async def _internal_caller(request: Request) -> dict[str, Any]:
    """budapp's Dapr-internal branch: the app API token (``dapr-api-token`` / ``x-app-api-token``) and a user_id."""
    expected = request.app.state.settings.app_api_token
    if not expected:
        raise HTTPException(status_code=403, detail="Forbidden - Internal auth not configured")
    if (request.headers.get("dapr-api-token") or request.headers.get("x-app-api-token")) != expected:
        raise HTTPException(status_code=403, detail="Forbidden - Invalid internal token")
    try:
        acted_for = UUID(request.query_params.get("user_id", ""))
    except ValueError:  # none given (budapp would also answer a malformed one with its 422 validation error)
        missing = "user_id is required for internal calls when SYSTEM_USER_ID is not configured"
        raise HTTPException(status_code=400, detail=missing) from None
    user = await request.app.state.users.by_id(acted_for)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found for internal call")
    if user["status"] != "active":
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


def dual_auth(permission: str) -> Callable[..., Any]:
    """Routes that take a user JWT or, without one, the Dapr internal token (the launcher always sets one, as the
    chart does, so an anonymous call is refused with "Forbidden - Invalid internal token")."""
    checker = require(permission)

    async def check(request: Request) -> dict[str, Any]:
        credentials = await optional_bearer(request)
        if credentials is None:
            return await _internal_caller(request)
        user = await current_user(request, credentials)
        user = await current_active_user(user)
        return await checker(user)

    return check
