"""The fault switch: named misbehaviours the sandbox can be told to show.

Active faults live in a Redis set so that every sandbox process sees the same
switch. Each service mounts ``fault_router``: ``GET/PUT /sandbox/faults``,
guarded by the ``X-Sandbox-Admin-Token`` header.
"""

from __future__ import annotations

import secrets

import redis.asyncio as redis
from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel

FAULTS_KEY = "sandbox:faults"

# name -> what the platform does wrong while the fault is on.
KNOWN_FAULTS: dict[str, str] = {
    "logout_does_not_revoke": (
        "POST /auth/logout answers 200 but neither the access token nor the refresh token is revoked"
    ),
    "refresh_returns_expired_token": (
        "POST /auth/refresh-token answers 200 with an access token that has already expired"
    ),
    "users_me_returns_other_user": "GET /users/me describes a different user than the token's owner",
    "delete_leaves_row": "deleting an endpoint reports success but the endpoint row and its gateway route stay",
    "gateway_wrong_route": "budgateway sends a request to another endpoint than the one named in `model`",
    "gateway_slow": "budgateway takes 300 ms longer over every inference",
    "inference_rows_not_written": "budgateway answers inferences but records none of them in ClickHouse",
    "simulation_fails": "budsim's performance estimation reports FAILED for every simulation",
    "deployment_never_ready": (
        "budcluster deploys but the deployment never reports ready (verify_deployment_status never ends)"
    ),
    "workflow_stalls": "downstream workflows (budcluster, budsim, budmodel) stop reporting after their first step",
}


class FaultSwitch:
    """Reads and sets the active faults (shared through Redis)."""

    def __init__(self, store: redis.Redis) -> None:
        self.store = store

    async def active(self) -> set[str]:
        return {str(name) for name in await self.store.smembers(FAULTS_KEY)}

    async def is_on(self, name: str) -> bool:
        if name not in KNOWN_FAULTS:
            raise KeyError(f"unknown fault {name!r}")
        return bool(await self.store.sismember(FAULTS_KEY, name))

    async def set(self, names: list[str]) -> None:
        unknown = sorted(set(names) - KNOWN_FAULTS.keys())
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {sorted(KNOWN_FAULTS)}")
        async with self.store.pipeline(transaction=True) as pipe:
            pipe.delete(FAULTS_KEY)
            if names:
                pipe.sadd(FAULTS_KEY, *names)
            await pipe.execute()


def parse_fault_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


class FaultsBody(BaseModel):
    faults: list[str]


fault_router = APIRouter(prefix="/sandbox", include_in_schema=False)


def _authorise(request: Request, token: str | None) -> FaultSwitch:
    expected = request.app.state.sandbox_admin_token
    if not expected or not token or not secrets.compare_digest(token, expected):
        raise HTTPException(status_code=403, detail="Sandbox admin token required")
    return request.app.state.faults


async def _describe(switch: FaultSwitch) -> dict:
    return {"active": sorted(await switch.active()), "known": KNOWN_FAULTS}


@fault_router.get("/faults")
async def list_faults(request: Request, x_sandbox_admin_token: str | None = Header(default=None)) -> dict:
    return await _describe(_authorise(request, x_sandbox_admin_token))


@fault_router.put("/faults")
async def set_faults(
    body: FaultsBody, request: Request, x_sandbox_admin_token: str | None = Header(default=None)
) -> dict:
    switch = _authorise(request, x_sandbox_admin_token)
    try:
        await switch.set(body.faults)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return await _describe(switch)
