"""The admin REST API budapp uses (through python-keycloak's KeycloakAdmin): realms, realm roles, users with
their credentials and role mappings, clients with their secrets. Every route needs the master admin's token."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sandbox.common.passwords import hash_password
from sandbox.keycloak import authz_defaults
from sandbox.keycloak.realms import (
    client_body,
    client_repr,
    create_realm,
    default_role,
    new_secret,
    now_ms,
    realm_repr,
    role_repr,
    user_repr,
)
from sandbox.keycloak.store import Conflict, Obj, Realm
from sandbox.keycloak.web import KeycloakError, base_url, conflict, not_found, realm_or_404, require_admin, store

router = APIRouter(prefix="/admin/realms", dependencies=[Depends(require_admin)])


def truthy(value: str | None) -> bool:
    return (value or "").lower() == "true"


def page(items: list[Any], request: Request, default_max: int = -1) -> list[Any]:
    """Keycloak's ``first``/``max`` paging; ``max=-1`` is no limit."""
    first = int(request.query_params.get("first") or 0)
    limit = int(request.query_params.get("max") or default_max)
    return items[first:] if limit < 0 else items[first : first + limit]


def created(request: Request, path: str) -> Response:
    return Response(status_code=201, headers={"Location": f"{base_url(request)}{path}"})


async def body_of(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise KeycloakError(400, {"error": "unknown_error"}) from None


# -- realms -------------------------------------------------------------------


@router.get("")
async def list_realms(request: Request) -> list[dict[str, Any]]:
    return [realm_repr(r) for r in await store(request).realms()]


@router.post("")
async def add_realm(request: Request) -> Response:
    payload = await body_of(request)
    if not payload.get("realm"):
        raise KeycloakError(400, {"errorMessage": "Realm name cannot be empty"})
    try:
        await create_realm(store(request), payload)
    except Conflict:
        raise conflict("Conflict detected. See logs for details") from None
    return created(request, f"/admin/realms/{payload['realm']}")


@router.get("/{realm_name}")
async def get_realm(realm_name: str, request: Request) -> dict[str, Any]:
    return realm_repr(await realm_or_404(request, realm_name))


@router.put("/{realm_name}")
async def update_realm(realm_name: str, request: Request) -> Response:
    realm = await realm_or_404(request, realm_name)
    changes = {k: v for k, v in (await body_of(request)).items() if k not in ("id", "realm")}
    await store(request).update_realm(realm, {**realm.body, **changes})
    return Response(status_code=204)


@router.delete("/{realm_name}")
async def delete_realm(realm_name: str, request: Request) -> Response:
    await realm_or_404(request, realm_name)
    await store(request).delete_realm(realm_name)
    return Response(status_code=204)


# -- realm roles --------------------------------------------------------------


@router.get("/{realm_name}/roles")
async def list_roles(realm_name: str, request: Request) -> list[dict[str, Any]]:
    realm = await realm_or_404(request, realm_name)
    search = (request.query_params.get("search") or "").lower()
    roles = [r for r in await store(request).all(realm.name, "role") if search in r.name.lower()]
    return page([role_repr(r, realm) for r in roles], request)


@router.post("/{realm_name}/roles")
async def add_role(realm_name: str, request: Request) -> Response:
    realm = await realm_or_404(request, realm_name)
    payload = await body_of(request)
    name = payload.get("name") or ""
    try:
        await store(request).insert(
            realm.name,
            "role",
            name,
            {"description": payload.get("description", ""), "attributes": payload.get("attributes", {})},
        )
    except Conflict:
        raise conflict(f"Role with name {name} already exists") from None
    return created(request, f"/admin/realms/{realm.name}/roles/{name}")


async def role_or_404(request: Request, realm: Realm, name: str) -> Obj:
    role = await store(request).by_name(realm.name, "role", name)
    if role is None:
        raise not_found("Could not find role")
    return role


@router.get("/{realm_name}/roles/{role_name}")
async def get_role(realm_name: str, role_name: str, request: Request) -> dict[str, Any]:
    realm = await realm_or_404(request, realm_name)
    return role_repr(await role_or_404(request, realm, role_name), realm)


@router.delete("/{realm_name}/roles/{role_name}")
async def delete_role(realm_name: str, role_name: str, request: Request) -> Response:
    realm = await realm_or_404(request, realm_name)
    await store(request).delete(await role_or_404(request, realm, role_name))
    return Response(status_code=204)


# -- users --------------------------------------------------------------------


def _matches(value: str | None, wanted: str, exact: bool) -> bool:
    value, wanted = (value or "").lower(), wanted.lower()
    return value == wanted if exact else wanted in value


def user_filter(request: Request):
    query = request.query_params
    exact = truthy(query.get("exact"))
    fields = {"username": None, "email": "email", "firstName": "firstName", "lastName": "lastName"}
    search = (query.get("search") or "").strip("*").lower()

    def keep(user: Obj) -> bool:
        for param, key in fields.items():
            if param in query and not _matches(user.name if key is None else user.body.get(key), query[param], exact):
                return False
        if search and not any(
            search in (v or "").lower()
            for v in (user.name, user.body.get("email"), user.body.get("firstName"), user.body.get("lastName"))
        ):
            return False
        return not ("enabled" in query and bool(user.body.get("enabled")) != truthy(query["enabled"]))

    return keep


@router.get("/{realm_name}/users")
async def list_users(realm_name: str, request: Request) -> list[dict[str, Any]]:
    realm = await realm_or_404(request, realm_name)
    keep = user_filter(request)
    brief = truthy(request.query_params.get("briefRepresentation"))
    users = [user_repr(u, brief) for u in await store(request).all(realm.name, "user") if keep(u)]
    return page(users, request, default_max=100)


@router.get("/{realm_name}/users/count")
async def count_users(realm_name: str, request: Request) -> int:
    realm = await realm_or_404(request, realm_name)
    keep = user_filter(request)
    return sum(1 for u in await store(request).all(realm.name, "user") if keep(u))


def password_credential(password: str, temporary: bool) -> tuple[str, dict[str, Any]]:
    return hash_password(password), {"id": str(uuid4()), "createdDate": now_ms(), "temporary": temporary}


def apply_credentials(user: Obj, credentials: list[dict[str, Any]]) -> None:
    for credential in credentials:
        if credential.get("type", "password") == "password" and credential.get("value") is not None:
            set_password(user, credential["value"], bool(credential.get("temporary", False)))


def set_password(user: Obj, password: str, temporary: bool) -> None:
    user.secret, user.body["passwordCredential"] = password_credential(password, temporary)
    actions = [a for a in user.body.get("requiredActions", []) if a != "UPDATE_PASSWORD"]
    user.body["requiredActions"] = actions + (["UPDATE_PASSWORD"] if temporary else [])


USER_FIELDS = ("email", "firstName", "lastName", "enabled", "emailVerified", "attributes", "requiredActions")


def _user_conflict(exc: Conflict) -> KeycloakError:
    return conflict("User exists with same email" if exc.on_email else "User exists with same username")


@router.post("/{realm_name}/users")
async def add_user(realm_name: str, request: Request) -> Response:
    realm = await realm_or_404(request, realm_name)
    payload = await body_of(request)
    username = (payload.get("username") or "").strip().lower()
    if not username:
        raise KeycloakError(400, {"errorMessage": "User name is missing"})
    default = await store(request).by_name(realm.name, "role", default_role(realm.name))
    body = {
        "enabled": False,
        "emailVerified": False,
        "attributes": {},
        "requiredActions": [],
        **{k: payload[k] for k in USER_FIELDS if k in payload},
        "createdTimestamp": now_ms(),
        "realmRoles": [default.sid] if default else [],
    }
    if body.get("email"):
        body["email"] = body["email"].strip().lower()
    user = Obj(uuid4(), "user", username, body)
    apply_credentials(user, payload.get("credentials") or [])
    try:
        await store(request).insert(realm.name, "user", username, user.body, secret=user.secret, object_id=user.id)
    except Conflict as exc:
        raise _user_conflict(exc) from None
    return created(request, f"/admin/realms/{realm.name}/users/{user.sid}")


async def user_or_404(request: Request, realm_name: str, user_id: str) -> tuple[Realm, Obj]:
    realm = await realm_or_404(request, realm_name)
    user = await store(request).get(realm.name, "user", user_id)
    if user is None:
        raise not_found("User not found")
    return realm, user


@router.get("/{realm_name}/users/{user_id}")
async def get_user(realm_name: str, user_id: str, request: Request) -> dict[str, Any]:
    return user_repr((await user_or_404(request, realm_name, user_id))[1])


@router.put("/{realm_name}/users/{user_id}")
async def update_user(realm_name: str, user_id: str, request: Request) -> Response:
    realm, user = await user_or_404(request, realm_name, user_id)
    payload = await body_of(request)
    user.body |= {k: payload[k] for k in USER_FIELDS if k in payload}
    if user.body.get("email"):
        user.body["email"] = user.body["email"].strip().lower()
    if payload.get("username") and realm.body.get("editUsernameAllowed"):
        user.name = payload["username"].strip().lower()
    apply_credentials(user, payload.get("credentials") or [])
    try:
        await store(request).save(user)
    except Conflict as exc:
        raise _user_conflict(exc) from None
    return Response(status_code=204)


@router.delete("/{realm_name}/users/{user_id}")
async def delete_user(realm_name: str, user_id: str, request: Request) -> Response:
    _, user = await user_or_404(request, realm_name, user_id)
    await store(request).delete(user)
    return Response(status_code=204)


@router.put("/{realm_name}/users/{user_id}/reset-password")
async def reset_password(realm_name: str, user_id: str, request: Request) -> Response:
    _, user = await user_or_404(request, realm_name, user_id)
    payload = await body_of(request)
    if not payload.get("value"):
        raise KeycloakError(400, {"error": "missing_value", "error_description": "Missing value for password"})
    set_password(user, payload["value"], bool(payload.get("temporary", True)))
    await store(request).save(user)
    return Response(status_code=204)


@router.get("/{realm_name}/users/{user_id}/credentials")
async def list_credentials(realm_name: str, user_id: str, request: Request) -> list[dict[str, Any]]:
    _, user = await user_or_404(request, realm_name, user_id)
    meta = user.body.get("passwordCredential")
    if not user.secret or not meta:
        return []
    return [
        {
            "id": meta["id"],
            "type": "password",
            "createdDate": meta["createdDate"],
            "credentialData": json.dumps({"hashIterations": 1, "algorithm": "scrypt"}),
            "userLabel": "My password",
        }
    ]


@router.delete("/{realm_name}/users/{user_id}/credentials/{credential_id}")
async def delete_credential(realm_name: str, user_id: str, credential_id: str, request: Request) -> Response:
    _, user = await user_or_404(request, realm_name, user_id)
    if (user.body.get("passwordCredential") or {}).get("id") != credential_id:
        raise not_found("Credential not found")
    user.secret = None
    user.body.pop("passwordCredential")
    await store(request).save(user)
    return Response(status_code=204)


# -- realm role mappings ------------------------------------------------------


async def _roles_named(request: Request, realm: Realm, wanted: list[Any]) -> list[Obj]:
    roles = await store(request).all(realm.name, "role")
    found = []
    for item in wanted:
        ref = item if isinstance(item, dict) else {"name": item}
        role = next(
            (r for r in roles if r.sid == ref.get("id") or (not ref.get("id") and r.name == ref.get("name"))), None
        )
        if role is None:
            raise not_found("Role not found")
        found.append(role)
    return found


@router.get("/{realm_name}/users/{user_id}/role-mappings")
async def all_role_mappings(realm_name: str, user_id: str, request: Request) -> dict[str, Any]:
    realm, user = await user_or_404(request, realm_name, user_id)
    mapped = await _roles_named(request, realm, [{"id": r} for r in user.body.get("realmRoles", [])])
    return {"realmMappings": [role_repr(r, realm) for r in mapped]} if mapped else {}


@router.get("/{realm_name}/users/{user_id}/role-mappings/realm")
async def realm_role_mappings(realm_name: str, user_id: str, request: Request) -> list[dict[str, Any]]:
    realm, user = await user_or_404(request, realm_name, user_id)
    roles = {r.sid: r for r in await store(request).all(realm.name, "role")}
    return [role_repr(roles[r], realm) for r in user.body.get("realmRoles", []) if r in roles]


@router.post("/{realm_name}/users/{user_id}/role-mappings/realm")
async def add_realm_role_mappings(realm_name: str, user_id: str, request: Request) -> Response:
    realm, user = await user_or_404(request, realm_name, user_id)
    mapped = list(user.body.get("realmRoles", []))
    for role in await _roles_named(request, realm, await body_of(request) or []):
        if role.sid not in mapped:
            mapped.append(role.sid)
    user.body["realmRoles"] = mapped
    await store(request).save(user)
    return Response(status_code=204)


@router.delete("/{realm_name}/users/{user_id}/role-mappings/realm")
async def delete_realm_role_mappings(realm_name: str, user_id: str, request: Request) -> Response:
    realm, user = await user_or_404(request, realm_name, user_id)
    removed = {r.sid for r in await _roles_named(request, realm, await body_of(request) or [])}
    user.body["realmRoles"] = [r for r in user.body.get("realmRoles", []) if r not in removed]
    await store(request).save(user)
    return Response(status_code=204)


# -- clients ------------------------------------------------------------------


@router.get("/{realm_name}/clients")
async def list_clients(realm_name: str, request: Request) -> list[dict[str, Any]]:
    realm = await realm_or_404(request, realm_name)
    wanted = request.query_params.get("clientId")
    search = truthy(request.query_params.get("search"))
    clients = [
        c
        for c in await store(request).all(realm.name, "client")
        if wanted is None or (wanted.lower() in c.name.lower() if search else c.name == wanted)
    ]
    return page([client_repr(c) for c in clients], request)


@router.post("/{realm_name}/clients")
async def add_client(realm_name: str, request: Request) -> Response:
    realm = await realm_or_404(request, realm_name)
    payload = await body_of(request)
    client_id = payload.get("clientId") or ""
    if not client_id:
        raise KeycloakError(400, {"errorMessage": "Client id is missing"})
    body = client_body(payload)
    secret = None if body["publicClient"] else (payload.get("secret") or new_secret())
    try:
        client = await store(request).insert(realm.name, "client", client_id, body, secret=secret)
    except Conflict:
        raise conflict(f"Client {client_id} already exists") from None
    if body.get("authorizationServicesEnabled"):
        await authz_defaults.create(store(request), realm.name, client)
    return created(request, f"/admin/realms/{realm.name}/clients/{client.sid}")


async def client_or_404(request: Request, realm_name: str, client_id: str) -> tuple[Realm, Obj]:
    realm = await realm_or_404(request, realm_name)
    client = await store(request).get(realm.name, "client", client_id)
    if client is None:
        raise not_found("Could not find client")
    return realm, client


@router.get("/{realm_name}/clients/{client_id}")
async def get_client(realm_name: str, client_id: str, request: Request) -> dict[str, Any]:
    return client_repr((await client_or_404(request, realm_name, client_id))[1])


@router.put("/{realm_name}/clients/{client_id}")
async def update_client(realm_name: str, client_id: str, request: Request) -> Response:
    realm, client = await client_or_404(request, realm_name, client_id)
    payload = await body_of(request)
    had_authz = client.body.get("authorizationServicesEnabled")
    client.body |= {k: v for k, v in payload.items() if k not in ("id", "clientId", "secret")}
    if payload.get("secret"):
        client.secret = payload["secret"]
    await store(request).save(client)
    if client.body.get("authorizationServicesEnabled") and not had_authz:
        await authz_defaults.create(store(request), realm.name, client)
    return Response(status_code=204)


@router.delete("/{realm_name}/clients/{client_id}")
async def delete_client(realm_name: str, client_id: str, request: Request) -> Response:
    _, client = await client_or_404(request, realm_name, client_id)
    await store(request).delete(client)
    return Response(status_code=204)


@router.get("/{realm_name}/clients/{client_id}/client-secret")
async def get_client_secret(realm_name: str, client_id: str, request: Request) -> dict[str, Any]:
    _, client = await client_or_404(request, realm_name, client_id)
    return {"type": "secret", "value": client.secret}


@router.post("/{realm_name}/clients/{client_id}/client-secret")
async def regenerate_client_secret(realm_name: str, client_id: str, request: Request) -> dict[str, Any]:
    _, client = await client_or_404(request, realm_name, client_id)
    client.secret = new_secret()
    await store(request).save(client)
    return {"type": "secret", "value": client.secret}
