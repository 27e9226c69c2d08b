"""Authorization services of a client: what a user may do on its resources (the UMA decision).

Keycloak's model, for the cases budapp creates: a *permission* (type ``scope`` or ``resource``) names
resources (or a resource type) and scopes, and associates *policies*; a ``user`` policy grants when the
user is listed, the default ``js`` policy always grants, a ``role`` policy when the user has a role, an
``aggregate`` one by its own associated policies. A permission combines its policies by its decision
strategy (UNANIMOUS, AFFIRMATIVE, CONSENSUS) and denies when it has none; ``logic: NEGATIVE`` inverts a
policy or a permission. The resource server combines every permission that applies to a resource and scope
UNANIMOUSly, and denies what no permission covers (enforcing mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.keycloak.store import Obj

PERMISSION_TYPES = ("scope", "resource")
RESOURCE, SCOPE, POLICY = "resource", "authz-scope", "policy"


class BadPermissionRequest(Exception):
    """A requested resource or scope does not exist (Keycloak answers 400)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class ResourceServer:
    """One client's authorization objects, loaded together for one decision."""

    resources: list[Obj] = field(default_factory=list)
    scopes: list[Obj] = field(default_factory=list)
    policies: list[Obj] = field(default_factory=list)

    @classmethod
    def of(cls, objects: list[Obj]) -> ResourceServer:
        return cls(
            [o for o in objects if o.kind == RESOURCE],
            [o for o in objects if o.kind == SCOPE],
            [o for o in objects if o.kind == POLICY],
        )

    def scope_names(self) -> dict[str, str]:
        return {s.sid: s.name for s in self.scopes}

    def resource(self, reference: str) -> Obj | None:
        """A resource by id or by name, as the ``permission`` parameter may name it."""
        return next((r for r in self.resources if r.sid == reference), None) or next(
            (r for r in self.resources if r.name == reference), None
        )


@dataclass
class Subject:
    user_id: str
    role_ids: set[str]


def _combine(results: list[bool], strategy: str) -> bool:
    if not results:
        return False
    if strategy == "AFFIRMATIVE":
        return any(results)
    if strategy == "CONSENSUS":
        return sum(results) > len(results) - sum(results)
    return all(results)


def _policy_grants(policy: Obj, subject: Subject, by_id: dict[str, Obj], depth: int = 0) -> bool:
    body = policy.body
    kind = body.get("type")
    if kind == "user":
        granted = subject.user_id in body.get("users", [])
    elif kind == "js":
        granted = True  # the Default Policy: "$evaluation.grant()"
    elif kind == "role":
        granted = any(r.get("id") in subject.role_ids for r in body.get("roles", []))
    elif kind == "aggregate" and depth < 8:
        results = [_policy_grants(by_id[p], subject, by_id, depth + 1) for p in body.get("policies", []) if p in by_id]
        granted = _combine(results, body.get("decisionStrategy", "UNANIMOUS"))
    else:
        granted = False
    return granted != (body.get("logic") == "NEGATIVE")


def _applies(permission: Obj, resource: Obj, scope_id: str | None) -> bool:
    body = permission.body
    named = resource.sid in body.get("resources", [])
    typed = bool(body.get("resourceType")) and body.get("resourceType") == resource.body.get("type")
    if body.get("type") == "resource":
        return named or typed
    if scope_id is None or scope_id not in body.get("scopes", []):
        return False
    return named or typed or (not body.get("resources") and not body.get("resourceType"))


def _permission_grants(permission: Obj, subject: Subject, by_id: dict[str, Obj]) -> bool:
    body = permission.body
    results = [_policy_grants(by_id[p], subject, by_id) for p in body.get("policies", []) if p in by_id]
    return _combine(results, body.get("decisionStrategy", "UNANIMOUS")) != (body.get("logic") == "NEGATIVE")


def _granted(
    server: ResourceServer, subject: Subject, resource: Obj, scope_id: str | None, by_id: dict[str, Obj]
) -> bool:
    permissions = [p for p in server.policies if p.body.get("type") in PERMISSION_TYPES]
    applicable = [p for p in permissions if _applies(p, resource, scope_id)]
    return bool(applicable) and all(_permission_grants(p, subject, by_id) for p in applicable)


def parse_permissions(values: list[str], server: ResourceServer) -> list[tuple[Obj, list[str]]]:
    """``permission`` parameters (``resource``, ``resource#scope`` or ``resource#scope1,scope2``), parsed as
    Keycloak does: the text after the first ``#`` up to the next is the comma list of scopes."""
    names_to_ids = {name: sid for sid, name in server.scope_names().items()}
    requested: list[tuple[Obj, list[str]]] = []
    for value in values:
        parts = value.split("#")
        resource = server.resource(parts[0]) if parts[0] else None
        scopes = [s for s in parts[1].split(",") if s] if len(parts) > 1 else []
        unknown = [s for s in scopes if s not in names_to_ids]
        if unknown:
            raise BadPermissionRequest("invalid_scope", f"One of the given scopes {scopes} is invalid")
        if resource is None:
            if not parts[0] and scopes:  # "#scope": every resource with that scope
                requested += [(r, scopes) for r in server.resources]
                continue
            raise BadPermissionRequest("invalid_resource", f"Resource with id [{parts[0]}] does not exist.")
        requested.append((resource, [names_to_ids[s] for s in scopes]))
    return requested


def decide(
    server: ResourceServer, subject: Subject, requested: list[tuple[Obj, list[str]]] | None = None
) -> list[dict[str, Any]]:
    """The granted permissions, ``[{rsid, rsname, scopes}]``: of the requested resources and scopes, or of
    every resource of the server when nothing is requested."""
    by_id = {p.sid: p for p in server.policies}
    names = server.scope_names()
    wanted = requested if requested is not None else [(r, []) for r in server.resources]
    granted: dict[str, dict[str, Any]] = {}
    for resource, scope_ids in wanted:
        own_scopes = resource.body.get("scopes", [])
        candidates = [s for s in (scope_ids or own_scopes) if s in own_scopes or not own_scopes]
        if own_scopes:
            allowed = [s for s in candidates if _granted(server, subject, resource, s, by_id)]
            if not allowed:
                continue
        elif not _granted(server, subject, resource, None, by_id):
            continue
        else:
            allowed = []
        entry = granted.setdefault(resource.sid, {"rsid": resource.sid, "rsname": resource.name})
        scopes = entry.setdefault("scopes", []) if allowed else entry.get("scopes", [])
        scopes.extend(names[s] for s in allowed if names.get(s) and names[s] not in scopes)
    return list(granted.values())
