"""The admin API of a client's authorization services (``clients/{id}/authz/resource-server``): resources,
scopes (also made implicitly when a resource names them), policies and permissions with their
sub-collections, in the shapes python-keycloak and budapp's raw calls read."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from sandbox.keycloak.admin_routes import body_of, client_or_404, page, truthy
from sandbox.keycloak.authz import PERMISSION_TYPES, POLICY, RESOURCE, SCOPE, ResourceServer
from sandbox.keycloak.store import Conflict, Obj, Realm
from sandbox.keycloak.web import KeycloakError, conflict, require_admin, store

router = APIRouter(
    prefix="/admin/realms/{realm_name}/clients/{client_id}/authz/resource-server", dependencies=[Depends(require_admin)]
)
POLICY_FIELDS = ("description", "logic", "decisionStrategy", "resourceType", "roles", "config")


def missing() -> KeycloakError:
    return KeycloakError(404)


async def server_of(request: Request, realm_name: str, client_id: str) -> tuple[Realm, Obj]:
    realm, client = await client_or_404(request, realm_name, client_id)
    if not client.body.get("authorizationServicesEnabled"):
        raise KeycloakError(400, {"error": "HTTP 400 Bad Request"})
    return realm, client


async def objects(request: Request, client: Obj) -> ResourceServer:
    server = ResourceServer.of(await store(request).owned_by(client.id))
    for collection in (server.resources, server.scopes, server.policies):
        collection.sort(key=lambda o: o.name.lower())
    return server


def contains(value: str, wanted: str | None) -> bool:
    return wanted is None or wanted.lower() in value.lower()


# -- representations ----------------------------------------------------------


def scope_repr(scope: Obj) -> dict[str, Any]:
    return {"id": scope.sid, "name": scope.name, **scope.body}


def resource_repr(resource: Obj, server: ResourceServer) -> dict[str, Any]:
    names = server.scope_names()
    body = {k: v for k, v in resource.body.items() if k != "scopes"}
    return {
        "_id": resource.sid,
        "name": resource.name,
        **body,
        "scopes": [{"id": s, "name": names[s]} for s in resource.body.get("scopes", []) if s in names],
    }


def policy_repr(policy: Obj) -> dict[str, Any]:
    """The generic representation lists and ``GET policy/{id}`` return (typed fields only in ``config``)."""
    body = policy.body
    config = dict(body.get("config") or {})
    if body.get("type") == "user":
        config["users"] = json.dumps(body.get("users", []))
    if body.get("resourceType"):
        config["defaultResourceType"] = body["resourceType"]
    return {
        "id": policy.sid,
        "name": policy.name,
        "description": body.get("description", ""),
        "type": body.get("type"),
        "logic": body.get("logic", "POSITIVE"),
        "decisionStrategy": body.get("decisionStrategy", "UNANIMOUS"),
        "config": config,
    }


def typed_policy_repr(policy: Obj) -> dict[str, Any]:
    """``GET policy/{type}/{id}`` and ``permission/{type}/{id}``: associations stay in their sub-collections."""
    representation = {k: v for k, v in policy_repr(policy).items() if k != "config"}
    body = policy.body
    if body.get("type") == "user":
        representation["users"] = body.get("users", [])
    for key in ("resourceType", "roles"):
        if body.get(key):
            representation[key] = body[key]
    return representation


# -- resource server ----------------------------------------------------------


@router.get("")
async def settings_of(realm_name: str, client_id: str, request: Request) -> dict[str, Any]:
    _, client = await server_of(request, realm_name, client_id)
    return {
        "id": client.sid,
        "clientId": client.name,
        "name": client.name,
        "allowRemoteResourceManagement": True,
        "policyEnforcementMode": "ENFORCING",
        "decisionStrategy": "UNANIMOUS",
    }


# -- scopes -------------------------------------------------------------------


@router.get("/scope")
async def list_scopes(realm_name: str, client_id: str, request: Request) -> list[dict[str, Any]]:
    _, client = await server_of(request, realm_name, client_id)
    wanted = request.query_params.get("name")
    return page([scope_repr(s) for s in (await objects(request, client)).scopes if contains(s.name, wanted)], request)


@router.post("/scope")
async def add_scope(realm_name: str, client_id: str, request: Request) -> JSONResponse:
    realm, client = await server_of(request, realm_name, client_id)
    payload = await body_of(request)
    name = payload.get("name") or ""
    extra = {k: payload[k] for k in ("displayName", "iconUri") if k in payload}
    try:
        scope = await store(request).insert(realm.name, SCOPE, name, extra, owner=client.id)
    except Conflict:
        raise conflict(f"Scope with name [{name}] already exists.") from None
    return JSONResponse(scope_repr(scope), status_code=201)


@router.get("/scope/{scope_id}")
async def get_scope(realm_name: str, client_id: str, scope_id: str, request: Request) -> dict[str, Any]:
    realm, client = await server_of(request, realm_name, client_id)
    scope = await store(request).get(realm.name, SCOPE, scope_id, owner=client.id)
    if scope is None:
        raise missing()
    return scope_repr(scope)


@router.delete("/scope/{scope_id}")
async def delete_scope(realm_name: str, client_id: str, scope_id: str, request: Request) -> Response:
    realm, client = await server_of(request, realm_name, client_id)
    scope = await store(request).get(realm.name, SCOPE, scope_id, owner=client.id)
    if scope is None:
        raise missing()
    await store(request).delete(scope)
    return Response(status_code=204)


# -- resources ----------------------------------------------------------------


async def scope_ids(request: Request, realm: Realm, client: Obj, wanted: list[Any]) -> list[str]:
    """Scopes a resource names, by id or by name; unknown names are created (as Keycloak does)."""
    known = (await objects(request, client)).scopes
    ids: list[str] = []
    for item in wanted:
        ref = item if isinstance(item, dict) else {"name": item}
        scope = next((s for s in known if s.sid == ref.get("id") or s.name == ref.get("name")), None)
        if scope is None:
            scope = await store(request).insert(realm.name, SCOPE, ref.get("name") or "", {}, owner=client.id)
            known.append(scope)
        if scope.sid not in ids:
            ids.append(scope.sid)
    return ids


async def owner_of(request: Request, realm: Realm, client: Obj, owner: Any) -> dict[str, str]:
    reference = owner.get("id") or owner.get("name") if isinstance(owner, dict) else owner
    if not reference or reference in (client.sid, client.name):
        return {"id": client.sid, "name": client.name}
    user = await store(request).get(realm.name, "user", str(reference)) or await store(request).by_name(
        realm.name, "user", str(reference).lower()
    )
    return {"id": user.sid, "name": user.name} if user else {"id": str(reference)}


async def resource_body(request: Request, realm: Realm, client: Obj, payload: dict[str, Any]) -> dict[str, Any]:
    body = {
        "type": payload.get("type"),
        "owner": await owner_of(request, realm, client, payload.get("owner")),
        "ownerManagedAccess": bool(payload.get("ownerManagedAccess", False)),
        "displayName": payload.get("displayName"),
        "attributes": payload.get("attributes") or {},
        "uris": payload.get("uris") or ([payload["uri"]] if payload.get("uri") else []),
        "icon_uri": payload.get("icon_uri"),
        "scopes": await scope_ids(request, realm, client, payload.get("scopes") or []),
    }
    return {k: v for k, v in body.items() if v is not None}


@router.get("/resource")
async def list_resources(realm_name: str, client_id: str, request: Request) -> list[dict[str, Any]]:
    _, client = await server_of(request, realm_name, client_id)
    query = request.query_params
    server = await objects(request, client)
    exact = query.get("exactName")
    chosen = [
        r
        for r in server.resources
        if (r.name == exact if exact else contains(r.name, query.get("name")))
        and (query.get("type") is None or r.body.get("type") == query["type"])
        and (query.get("uri") is None or query["uri"] in r.body.get("uris", []))
    ]
    return page([resource_repr(r, server) for r in chosen], request)


@router.post("/resource")
async def add_resource(realm_name: str, client_id: str, request: Request) -> JSONResponse:
    realm, client = await server_of(request, realm_name, client_id)
    payload = await body_of(request)
    name = payload.get("name") or ""
    if not name:
        raise KeycloakError(400, {"error": "invalid_request", "error_description": "Name is required"})
    body = await resource_body(request, realm, client, payload)
    try:
        resource = await store(request).insert(realm.name, RESOURCE, name, body, owner=client.id)
    except Conflict:
        raise conflict(f"Resource with name [{name}] already exists.") from None
    return JSONResponse(resource_repr(resource, await objects(request, client)), status_code=201)


async def resource_or_404(request: Request, realm: Realm, client: Obj, resource_id: str) -> Obj:
    resource = await store(request).get(realm.name, RESOURCE, resource_id, owner=client.id)
    if resource is None:
        raise missing()
    return resource


@router.get("/resource/{resource_id}")
async def get_resource(realm_name: str, client_id: str, resource_id: str, request: Request) -> dict[str, Any]:
    realm, client = await server_of(request, realm_name, client_id)
    resource = await resource_or_404(request, realm, client, resource_id)
    return resource_repr(resource, await objects(request, client))


@router.put("/resource/{resource_id}")
async def update_resource(realm_name: str, client_id: str, resource_id: str, request: Request) -> Response:
    realm, client = await server_of(request, realm_name, client_id)
    resource = await resource_or_404(request, realm, client, resource_id)
    payload = await body_of(request)
    resource.name = payload.get("name") or resource.name
    resource.body = await resource_body(request, realm, client, payload)
    try:
        await store(request).save(resource)
    except Conflict:
        raise conflict(f"Resource with name [{resource.name}] already exists.") from None
    return Response(status_code=204)


@router.delete("/resource/{resource_id}")
async def delete_resource(realm_name: str, client_id: str, resource_id: str, request: Request) -> Response:
    realm, client = await server_of(request, realm_name, client_id)
    await store(request).delete(await resource_or_404(request, realm, client, resource_id))
    return Response(status_code=204)


# -- policies and permissions -------------------------------------------------


def _ids(wanted: list[Any], candidates: list[Obj]) -> list[str]:
    """References by id or name (Keycloak accepts both); unknown ones are dropped."""
    ids = []
    for ref in wanted or []:
        ref = ref.get("id") or ref.get("name") if isinstance(ref, dict) else ref
        found = next((c for c in candidates if c.sid == ref), None) or next(
            (c for c in candidates if c.name == ref), None
        )
        if found is not None and found.sid not in ids:
            ids.append(found.sid)
    return ids


async def policy_body(
    request: Request,
    realm: Realm,
    client: Obj,
    kind: str,
    payload: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    server = await objects(request, client)
    body = dict(previous or {"logic": "POSITIVE", "decisionStrategy": "UNANIMOUS"})
    body |= {k: payload[k] for k in POLICY_FIELDS if k in payload} | {"type": kind}
    if "resources" in payload or previous is None:
        body["resources"] = _ids(payload.get("resources", []), server.resources)
    if "scopes" in payload or previous is None:
        body["scopes"] = _ids(payload.get("scopes", []), server.scopes)
    if "policies" in payload or previous is None:
        body["policies"] = _ids(payload.get("policies", []), server.policies)
    if kind == "user" and ("users" in payload or previous is None):
        users = await store(request).all(realm.name, "user")
        body["users"] = _ids(
            [u.lower() if isinstance(u, str) and not _is_id(u, users) else u for u in payload.get("users", [])], users
        )
    return body


def _is_id(value: str, users: list[Obj]) -> bool:
    return any(u.sid == value for u in users)


async def create_policy(request: Request, realm_name: str, client_id: str, kind: str) -> JSONResponse:
    realm, client = await server_of(request, realm_name, client_id)
    payload = await body_of(request)
    name = payload.get("name") or ""
    body = await policy_body(request, realm, client, kind, payload)
    try:
        policy = await store(request).insert(realm.name, POLICY, name, body, owner=client.id)
    except Conflict:
        raise conflict(f"Policy with name [{name}] already exists") from None
    return JSONResponse(
        {**typed_policy_repr(policy), **{k: body[k] for k in ("resources", "scopes", "policies")}}, status_code=201
    )


async def policy_or_404(
    request: Request, realm_name: str, client_id: str, policy_id: str, kind: str | None = None
) -> tuple[Realm, Obj, Obj]:
    realm, client = await server_of(request, realm_name, client_id)
    policy = await store(request).get(realm.name, POLICY, policy_id, owner=client.id)
    if policy is None or (kind is not None and policy.body.get("type") != kind):
        raise missing()
    return realm, client, policy


def search_policies(request: Request, server: ResourceServer, permissions: bool | None) -> list[dict[str, Any]]:
    query = request.query_params
    scope_names = server.scope_names()
    resources = {r.sid: r.name for r in server.resources}

    def keep(policy: Obj) -> bool:
        body = policy.body
        is_permission = body.get("type") in PERMISSION_TYPES
        return (
            (permissions is None or is_permission == permissions)
            and contains(policy.name, query.get("name"))
            and (query.get("type") is None or body.get("type") == query["type"])
            and (
                query.get("scope") is None
                or any(
                    contains(scope_names.get(s, ""), query["scope"]) or s == query["scope"]
                    for s in body.get("scopes", [])
                )
            )
            and (
                query.get("resource") is None
                or any(
                    r == query["resource"] or contains(resources.get(r, ""), query["resource"])
                    for r in body.get("resources", [])
                )
            )
        )

    return page([policy_repr(p) for p in server.policies if keep(p)], request)


@router.get("/policy")
async def list_policies(realm_name: str, client_id: str, request: Request) -> list[dict[str, Any]]:
    _, client = await server_of(request, realm_name, client_id)
    flag = request.query_params.get("permission")
    return search_policies(request, await objects(request, client), None if flag is None else truthy(flag))


@router.get("/permission")
async def list_permissions(realm_name: str, client_id: str, request: Request) -> list[dict[str, Any]]:
    _, client = await server_of(request, realm_name, client_id)
    return search_policies(request, await objects(request, client), True)


@router.get("/policy/{policy_id}/resources")
async def policy_resources(realm_name: str, client_id: str, policy_id: str, request: Request) -> list[dict[str, Any]]:
    _, client, policy = await policy_or_404(request, realm_name, client_id, policy_id)
    server = await objects(request, client)
    wanted = policy.body.get("resources", [])
    return [{"_id": r.sid, "name": r.name} for r in server.resources if r.sid in wanted]


@router.get("/policy/{policy_id}/scopes")
async def policy_scopes(realm_name: str, client_id: str, policy_id: str, request: Request) -> list[dict[str, Any]]:
    _, client, policy = await policy_or_404(request, realm_name, client_id, policy_id)
    server = await objects(request, client)
    wanted = policy.body.get("scopes", [])
    return [{"id": s.sid, "name": s.name} for s in server.scopes if s.sid in wanted]


@router.get("/policy/{policy_id}/associatedPolicies")
async def associated_policies(
    realm_name: str, client_id: str, policy_id: str, request: Request
) -> list[dict[str, Any]]:
    _, client, policy = await policy_or_404(request, realm_name, client_id, policy_id)
    server = await objects(request, client)
    wanted = policy.body.get("policies", [])
    return [policy_repr(p) for p in server.policies if p.sid in wanted]


@router.get("/policy/{policy_id}/dependentPolicies")
async def dependent_policies(realm_name: str, client_id: str, policy_id: str, request: Request) -> list[dict[str, Any]]:
    _, client, policy = await policy_or_404(request, realm_name, client_id, policy_id)
    server = await objects(request, client)
    return [policy_repr(p) for p in server.policies if policy.sid in p.body.get("policies", [])]


@router.get("/policy/{policy_id}")
@router.get("/permission/{policy_id}")
async def get_policy(realm_name: str, client_id: str, policy_id: str, request: Request) -> dict[str, Any]:
    return policy_repr((await policy_or_404(request, realm_name, client_id, policy_id))[2])


@router.delete("/policy/{policy_id}")
@router.delete("/permission/{policy_id}")
async def delete_policy(realm_name: str, client_id: str, policy_id: str, request: Request) -> Response:
    _, _, policy = await policy_or_404(request, realm_name, client_id, policy_id)
    await store(request).delete(policy)
    return Response(status_code=204)


@router.post("/policy/{kind}")
@router.post("/permission/{kind}")
async def add_policy(realm_name: str, client_id: str, kind: str, request: Request) -> JSONResponse:
    return await create_policy(request, realm_name, client_id, kind)


@router.get("/policy/{kind}/{policy_id}")
@router.get("/permission/{kind}/{policy_id}")
async def get_typed_policy(
    realm_name: str, client_id: str, kind: str, policy_id: str, request: Request
) -> dict[str, Any]:
    return typed_policy_repr((await policy_or_404(request, realm_name, client_id, policy_id, kind))[2])


@router.put("/policy/{kind}/{policy_id}")
@router.put("/permission/{kind}/{policy_id}")
async def update_typed_policy(realm_name: str, client_id: str, kind: str, policy_id: str, request: Request) -> Response:
    """Keycloak answers a policy update with 201 (python-keycloak expects it)."""
    realm, client, policy = await policy_or_404(request, realm_name, client_id, policy_id, kind)
    payload = await body_of(request)
    policy.name = payload.get("name") or policy.name
    policy.body = await policy_body(request, realm, client, kind, payload, previous=policy.body)
    try:
        await store(request).save(policy)
    except Conflict:
        raise conflict(f"Policy with name [{policy.name}] already exists") from None
    return Response(status_code=201)


@router.delete("/policy/{kind}/{policy_id}")
@router.delete("/permission/{kind}/{policy_id}")
async def delete_typed_policy(realm_name: str, client_id: str, kind: str, policy_id: str, request: Request) -> Response:
    _, _, policy = await policy_or_404(request, realm_name, client_id, policy_id, kind)
    await store(request).delete(policy)
    return Response(status_code=204)
