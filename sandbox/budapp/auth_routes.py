"""/auth: register, login, refresh-token, logout."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sandbox.budapp import keycloak
from sandbox.budapp.blacklist import BlacklistUnavailable
from sandbox.budapp.rate_limit import enforce
from sandbox.budapp.schemas import LogoutRequest, RefreshTokenRequest, UserCreate, UserLogin, granted_permissions
from sandbox.common.envelopes import error_response, success

log = logging.getLogger("sandbox.budapp.auth")
router = APIRouter(prefix="/auth", tags=["auth"])
optional_bearer = HTTPBearer(auto_error=False)

DEFAULT_PROJECT = "My First Project"


def random_color() -> str:
    return "#" + secrets.token_hex(3).upper()


async def insert_account(
    state, connection, body: UserCreate, *, status: str, is_reset_password: bool, user_type: str
) -> dict:
    """A user row and its Keycloak user, as budapp writes both for a self-registration and for an account an
    admin creates (which differ in status, password reset and type); a client user also gets its project."""
    auth_id = await state.keycloak.create_user(connection, body.email, body.password)
    user = await state.users.insert(
        connection,
        auth_id=auth_id,
        name=body.name,
        email=body.email,
        role=body.role.value,
        status=status,
        is_superuser=False,
        is_reset_password=is_reset_password,
        color=random_color(),
        first_login=True,
        company=body.company,
        purpose=body.purpose,
        user_type=user_type,
        granted_permissions=granted_permissions(body.permissions),
        realm_role=body.role.value,
    )
    if user_type == "client":
        await state.projects.insert(connection, user["id"], **default_project(user["id"]))
    return user


def default_project(user_id) -> dict:
    """The project budapp gives every new client user."""
    return {
        "name": DEFAULT_PROJECT,
        "description": "This is your default project.",
        "project_type": "client_app",
        "created_by": user_id,
        "tags": [],
    }


@router.post("/register", dependencies=[Depends(enforce)])
async def register(body: UserCreate, request: Request):
    state = request.app.state
    if await state.users.by_email(body.email):
        return error_response(400, "Email already registered")
    try:
        async with state.pool.acquire() as connection, connection.transaction():
            # budapp forces the type to client but grants the permissions asked for too (known defect BUD-011)
            await insert_account(state, connection, body, status="active", is_reset_password=False, user_type="client")
    except Exception:
        log.exception("registration failed")
        return error_response(400, "Failed to register user")
    return success("info", "User registered successfully")


@router.post("/login", dependencies=[Depends(enforce)])
async def login(body: UserLogin, request: Request):
    state = request.app.state
    user = await state.users.by_email(body.email)
    try:
        # an email budapp does not know goes to Keycloak too (just-in-time provisioning), which refuses it
        auth_id = await state.keycloak.authenticate(body.email, body.password)
    except keycloak.AuthenticationError:
        return error_response(400, "Incorrect email or password")
    if user is None:  # known to Keycloak only: budapp would provision the user; the sandbox has no such accounts
        return error_response(400, "Failed to login user")
    user = await _synced_with_roles(state, user)
    if body.user_type.value == "admin" and user["user_type"] == "client":
        return error_response(400, "Access denied: This account does not have admin privileges")
    if user["status"] == "deleted":
        return error_response(400, "User account is not active")
    token = await state.keycloak.password_grant(
        auth_id, {"email": user["email"], "name": user["name"]}, remember_me=body.remember_me
    )
    return success(
        "auth_token",
        "User logged in successfully",
        token=token,
        first_login=user["first_login"],
        is_reset_password=user["is_reset_password"],
    )


async def _synced_with_roles(state, user: dict) -> dict:
    """budapp takes a user's type and role from its Keycloak realm role at every login: admin or super_admin make an
    admin (the latter a superuser), any other role a client."""
    realm_role = user["realm_role"]
    if realm_role is None:
        return user
    synced = {
        "user_type": "admin" if realm_role in ("admin", "super_admin") else "client",
        "is_superuser": realm_role == "super_admin",
        "role": realm_role,
    }
    if all(user[k] == v for k, v in synced.items()):
        return user
    return await state.users.update(user["id"], **synced)


@router.post("/refresh-token", dependencies=[Depends(enforce)])
async def refresh_token(body: RefreshTokenRequest, request: Request):
    state = request.app.state
    expired = await state.faults.is_on("refresh_returns_expired_token")
    try:
        token = await state.keycloak.refresh(body.refresh_token, expired_access=expired)
    except (keycloak.TokenExpired, keycloak.TokenInvalid):
        return error_response(401, "Token Expired or Invalid")
    return success("info", "Token refreshed successfully", token=token)


@router.post("/logout")
async def logout(
    body: LogoutRequest,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(optional_bearer)],
):
    state = request.app.state
    if await state.faults.is_on("logout_does_not_revoke"):
        return success("info", "User logged out successfully")
    if credentials is not None:
        token = credentials.credentials
        try:
            remaining = int(keycloak_exp(state, token) - time.time())
            await state.blacklist.add(token, remaining if remaining > 0 else 3600)
        except BlacklistUnavailable:
            log.error("could not blacklist the access token: state store unavailable")
            return error_response(400, "Failed to logout user")
    try:
        await state.keycloak.logout(body.refresh_token)
    except (keycloak.TokenExpired, keycloak.TokenInvalid):
        return error_response(400, "Failed to logout user")
    return success("info", "User logged out successfully")


def keycloak_exp(state, token: str) -> float:
    """Expiry of a presented access token; a default lifetime when it cannot be read."""
    try:
        return state.keycloak.decode_access(token)["exp"]
    except (keycloak.TokenExpired, keycloak.TokenInvalid):
        return time.time() + 3600
