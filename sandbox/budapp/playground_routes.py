"""/playground/initialize-with-token: a user's access token becomes a gateway key."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from sandbox.budapp import keycloak
from sandbox.common.envelopes import error_response

router = APIRouter(prefix="/playground", tags=["playground"])


class InitializeWithToken(BaseModel):
    access_token: str


def api_key_cache_key(key: str) -> str:
    """Where budgateway looks a key up: api_key:<sha256_hex("bud-" + key)>."""
    return "api_key:" + hashlib.sha256(f"bud-{key}".encode()).hexdigest()


async def routes_of(state: Any, user: dict) -> dict[str, Any]:
    """The running endpoints of the projects the user belongs to, by endpoint name."""
    rows = await state.pool.fetch(
        "SELECT e.id, e.name, e.model_id, e.project_id FROM endpoint e "
        "JOIN project_user_association a ON a.project_id = e.project_id "
        "WHERE a.user_id = $1 AND e.status = 'running'",
        user["id"],
    )
    return {
        r["name"]: {"endpoint_id": str(r["id"]), "model_id": str(r["model_id"]), "project_id": str(r["project_id"])}
        for r in rows
    }


@router.post("/initialize-with-token")
async def initialize_with_token(body: InitializeWithToken, request: Request):
    """budapp's cross-app sign-on: the route takes no caller credentials, the access token in the body is the
    credential; the key carries the routes of the token's own user."""
    state = request.app.state
    try:
        claims = state.keycloak.decode_access(body.access_token)
    except (keycloak.TokenExpired, keycloak.TokenInvalid):
        return error_response(401, "Invalid or expired access token")
    user = await state.users.by_auth_id(UUID(claims["sub"]))
    if user is None:  # budapp would provision a user Keycloak knows; the sandbox's Keycloak knows only budapp's
        return error_response(404, "User not found in identity provider")
    ttl = max(1, int(claims["exp"]) - int(time.time()))  # the key lives exactly as long as the token
    record = {
        **await routes_of(state, user),
        "__metadata__": {"api_key_id": None, "user_id": str(user["id"]), "api_key_project_id": None},
    }
    await state.gateway_redis.set(api_key_cache_key(body.access_token), json.dumps(record), ex=ttl)
    return jsonable_encoder(
        {
            "user_id": user["id"],
            "initialization_status": "success",
            "ttl": ttl,
            "message": "Playground session initialized successfully with access token (cross-app SSO)",
            "expires_in": ttl,
        }
    )
