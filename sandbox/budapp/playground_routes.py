"""/playground/initialize-with-token: a user's access token becomes a gateway key."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from sandbox.budapp import keycloak
from sandbox.budapp.security import current_active_user
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
        "WHERE a.user_id = $1 AND e.status = 'running'", user["id"])
    return {r["name"]: {"endpoint_id": str(r["id"]), "model_id": str(r["model_id"]), "project_id": str(r["project_id"])}
            for r in rows}


@router.post("/initialize-with-token")
async def initialize_with_token(body: InitializeWithToken, request: Request,
                                user: Annotated[dict, Depends(current_active_user)]):
    state = request.app.state
    try:
        claims = state.keycloak.decode_access(body.access_token)
    except (keycloak.TokenExpired, keycloak.TokenInvalid):
        return error_response(401, "Invalid or expired access token")
    if claims["sub"] != str(user["auth_id"]):
        return error_response(401, "Access token does not belong to the caller")
    ttl = max(1, int(claims["exp"]) - int(time.time()))  # the key lives exactly as long as the token
    record = {**await routes_of(state, user),
              "__metadata__": {"api_key_id": None, "user_id": str(user["id"]), "api_key_project_id": None}}
    await state.gateway_redis.set(api_key_cache_key(body.access_token), json.dumps(record), ex=ttl)
    # budapp answers its response model as a plain body, without the usual object/message envelope
    return {"user_id": str(user["id"]), "initialization_status": "success", "ttl": ttl,
            "message": "Playground session initialized successfully with access token (cross-app SSO)",
            "expires_in": ttl}
