"""What a realm holds when created, the master realm the stand-in starts with, and the representations
(JSON shapes) of realms, roles, users and clients that the admin API returns."""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from sandbox.common.passwords import hash_password
from sandbox.keycloak.store import Obj, Realm, Store
from sandbox.settings import SandboxSettings

MASTER = "master"
ADMIN_CLI = "admin-cli"
ADMIN_ROLE = "admin"
# a realm's built-in roles; every new user gets the composite default role
BUILT_IN_ROLES = ("offline_access", "uma_authorization")
USER_HIDDEN = ("realmRoles", "passwordCredential")  # kept in the body, not shown


def default_role(realm: str) -> str:
    return f"default-roles-{realm}"


def new_secret() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def now_ms() -> int:
    return int(time.time() * 1000)


# -- realms -------------------------------------------------------------------


async def create_realm(store: Store, payload: dict[str, Any]) -> Realm:
    """A realm with Keycloak's built-in roles; raises store.Conflict when the name is taken."""
    name = payload["realm"]
    body = {
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "resetPasswordAllowed": False,
        "editUsernameAllowed": False,
        "bruteForceProtected": False,
        **{k: v for k, v in payload.items() if k not in ("id", "realm")},
    }
    realm = await store.create_realm(name, body)
    built_in = [
        await store.insert(name, "role", role, {"description": f"${{role_{role}}}", "composite": False})
        for role in BUILT_IN_ROLES
    ]
    await store.insert(
        name,
        "role",
        default_role(name),
        {"description": "${role_default-roles}", "composite": True, "composites": [r.sid for r in built_in]},
    )
    return realm


def realm_repr(realm: Realm) -> dict[str, Any]:
    return {"id": str(realm.id), "realm": realm.name, **realm.body}


async def bootstrap_master(store: Store, settings: SandboxSettings) -> None:
    """The master realm, its public ``admin-cli`` client and the admin user with the configured password
    (reset on every start, so the stand-in always takes the launcher's password)."""
    if await store.realm(MASTER) is None:
        await create_realm(
            store, {"realm": MASTER, "displayName": "Keycloak", "accessTokenLifespan": settings.access_token_lifespan}
        )
        await store.insert(MASTER, "role", ADMIN_ROLE, {"description": "${role_admin}", "composite": False})
        await store.insert(
            MASTER,
            "client",
            ADMIN_CLI,
            client_body({"clientId": ADMIN_CLI, "publicClient": True, "name": "${client_admin-cli}"}),
        )
    if not settings.keycloak_admin_password:
        return
    admin = await store.by_name(MASTER, "user", settings.keycloak_admin_username.lower())
    password = hash_password(settings.keycloak_admin_password)
    if admin is not None:
        admin.secret = password
        await store.save(admin)
        return
    role = await store.by_name(MASTER, "role", ADMIN_ROLE)
    default = await store.by_name(MASTER, "role", default_role(MASTER))
    await store.insert(
        MASTER,
        "user",
        settings.keycloak_admin_username.lower(),
        {
            "enabled": True,
            "emailVerified": False,
            "createdTimestamp": now_ms(),
            "attributes": {},
            "requiredActions": [],
            "realmRoles": [r.sid for r in (role, default) if r],
        },
        secret=password,
    )


# -- roles --------------------------------------------------------------------


def role_repr(role: Obj, realm: Realm) -> dict[str, Any]:
    return {
        "id": role.sid,
        "name": role.name,
        "description": role.body.get("description", ""),
        "composite": bool(role.body.get("composites")),
        "clientRole": False,
        "containerId": str(realm.id),
        "attributes": role.body.get("attributes", {}),
    }


async def effective_roles(store: Store, realm: str, user: Obj) -> list[Obj]:
    """The user's realm roles with composites expanded (what realm_access.roles lists)."""
    roles = {r.sid: r for r in await store.all(realm, "role")}
    seen: dict[str, Obj] = {}
    pending = list(user.body.get("realmRoles", []))
    while pending:
        role = roles.get(pending.pop())
        if role is None or role.sid in seen:
            continue
        seen[role.sid] = role
        pending.extend(role.body.get("composites", []))
    return sorted(seen.values(), key=lambda r: r.name)


# -- users --------------------------------------------------------------------


def user_repr(user: Obj, brief: bool = False) -> dict[str, Any]:
    shown = {k: v for k, v in user.body.items() if k not in USER_HIDDEN}
    representation = {
        "id": user.sid,
        "username": user.name,
        **shown,
        "totp": False,
        "disableableCredentialTypes": [],
        "notBefore": 0,
    }
    if not brief:
        representation["access"] = {
            "manageGroupMembership": True,
            "view": True,
            "mapRoles": True,
            "impersonate": True,
            "manage": True,
        }
    return representation


# -- clients ------------------------------------------------------------------


def client_body(payload: dict[str, Any]) -> dict[str, Any]:
    public = bool(payload.get("publicClient", False))
    defaults = {
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": public,
        "bearerOnly": False,
        "standardFlowEnabled": True,
        "directAccessGrantsEnabled": True,
        "serviceAccountsEnabled": False,
        "authorizationServicesEnabled": False,
        "redirectUris": [],
        "webOrigins": [],
        "clientAuthenticatorType": "client-secret",
        "attributes": {},
    }
    return {**defaults, **{k: v for k, v in payload.items() if k not in ("id", "secret")}}


def client_repr(client: Obj) -> dict[str, Any]:
    representation = {"id": client.sid, **client.body, "clientId": client.name}
    if not client.body.get("publicClient") and client.secret:
        representation["secret"] = client.secret
    return representation
