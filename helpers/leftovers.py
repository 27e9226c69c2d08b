"""Finding what E2E runs left on a deployment, through budapp's API as the super user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from helpers.api_client import APIClient, Token

PAGE = 100


async def pages(client: APIClient, token: Token, path: str, key: str, **params: Any) -> AsyncIterator[dict]:
    """Every item of a paginated budapp listing."""
    page = 1
    while True:
        response = await client.get(path, token=token, params={"page": page, "limit": PAGE, **params})
        if response.status_code != 200:
            raise RuntimeError(f"listing {path} failed: {response.status_code} {response.text[:200]}")
        body = response.json()
        for item in body.get(key, []):
            yield item
        if page >= body.get("total_pages", 1):
            return
        page += 1


async def live_resources(client: APIClient, token: Token, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Live endpoints, models, clusters, projects and users named ``prefix*``, by kind (ids and names)."""
    found: dict[str, list[dict[str, Any]]] = {}

    def keep(kind: str, identifier: str, name: str, **extra: Any) -> None:
        if name and name.startswith(prefix):
            found.setdefault(kind, []).append({"id": identifier, "name": name, **extra})

    async for endpoint in pages(client, token, "/endpoints/", "endpoints"):
        if endpoint["status"] != "deleted":
            keep("endpoint", endpoint["id"], endpoint["name"], status=endpoint["status"])
    async for item in pages(client, token, "/models/", "models", table_source="model"):
        keep("model", item["model"]["id"], item["model"]["name"])
    async for cluster in pages(client, token, "/clusters/clusters", "clusters"):
        if cluster["status"] != "deleted":
            keep("cluster", cluster["id"], cluster["name"], status=cluster["status"])
    for project_type in ("admin_app", "client_app"):
        async for item in pages(client, token, "/projects/", "projects", project_type=project_type):
            keep("project", item["project"]["id"], item["project"]["name"])
    async for user in pages(client, token, "/users/", "users", status="active"):
        keep("user", user["id"], user["email"])
    return found
