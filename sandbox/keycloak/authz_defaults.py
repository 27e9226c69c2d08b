"""What Keycloak puts in a new resource server: a default resource, a policy that grants, and a permission
tying them by resource type. Every RPT therefore carries the default resource, as with Keycloak."""

from __future__ import annotations

from sandbox.keycloak.authz import POLICY, RESOURCE
from sandbox.keycloak.store import Obj, Store


async def create(store: Store, realm: str, client: Obj) -> None:
    if await store.by_name(realm, RESOURCE, "Default Resource", owner=client.id) is not None:
        return
    resource_type = f"urn:{client.name}:resources:default"
    await store.insert(
        realm,
        RESOURCE,
        "Default Resource",
        {
            "type": resource_type,
            "owner": {"id": client.sid, "name": client.name},
            "ownerManagedAccess": False,
            "attributes": {},
            "uris": ["/*"],
            "scopes": [],
        },
        owner=client.id,
    )
    policy = await store.insert(
        realm,
        POLICY,
        "Default Policy",
        {
            "type": "js",
            "description": "A policy that grants access only for users within this realm",
            "logic": "POSITIVE",
            "decisionStrategy": "AFFIRMATIVE",
        },
        owner=client.id,
    )
    await store.insert(
        realm,
        POLICY,
        "Default Permission",
        {
            "type": "resource",
            "description": "A permission that applies to the default resource type",
            "logic": "POSITIVE",
            "decisionStrategy": "UNANIMOUS",
            "resourceType": resource_type,
            "resources": [],
            "scopes": [],
            "policies": [policy.sid],
        },
        owner=client.id,
    )
