"""Delete what E2E runs left behind on a deployment, through budapp's API as the super user.

    python scripts/cleanup.py --prefix e2e-1a2b3c4d [--dry-run]    one run's leftovers
    python scripts/cleanup.py --all [--dry-run]                    everything named e2e-*

Order matters: endpoints, then models and clusters, then projects, then users.
Client users' own projects are removed with the user's account where the API
allows no other way. Prints one line per resource and a summary; exits 1 if
anything could not be deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, AsyncIterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.api_client import APIClient  # noqa: E402
from helpers.config import ConfigError, get_settings  # noqa: E402
from helpers.masking import install_log_masking, register_secret  # noqa: E402
from helpers.naming import name_prefix  # noqa: E402
from helpers.waiters import WaitTimeout, poll_until  # noqa: E402

PAGE = 100


async def pages(client: APIClient, token: str, path: str, key: str, **params: Any) -> AsyncIterator[dict]:
    page = 1
    while True:
        response = await client.get(path, token=token, params={"page": page, "limit": PAGE, **params})
        if response.status_code != 200:
            raise SystemExit(f"ERROR: listing {path} failed: {response.status_code} {response.text[:200]}")
        body = response.json()
        for item in body.get(key, []):
            yield item
        if page >= body.get("total_pages", 1):
            return
        page += 1


class Cleaner:
    def __init__(self, client: APIClient, token: str, prefix: str, dry_run: bool) -> None:
        self.client, self.token, self.prefix, self.dry_run = client, token, prefix, dry_run
        self.deleted = 0
        self.failed: list[str] = []

    async def remove(self, kind: str, name: str, method: str, path: str) -> None:
        if self.dry_run:
            print(f"would delete {kind} {name}")
            self.deleted += 1
            return
        response = await self.client.request(method, path, token=self.token)
        if response.status_code in (200, 201, 204, 404):
            print(f"deleted {kind} {name}")
            self.deleted += 1
        else:
            print(f"FAILED  {kind} {name}: {response.status_code} {response.text[:150]}")
            self.failed.append(f"{kind} {name}")

    def mine(self, name: str | None) -> bool:
        return bool(name) and name.startswith(self.prefix)

    async def endpoints(self) -> None:
        async for endpoint in pages(self.client, self.token, "/endpoints/", "endpoints"):
            if self.mine(endpoint["name"]) and endpoint["status"] not in ("deleting", "deleted"):
                await self.remove("endpoint", endpoint["name"], "POST", f"/endpoints/{endpoint['id']}/delete-workflow")

    async def models(self) -> None:
        async for item in pages(self.client, self.token, "/models/", "models", table_source="model"):
            model = item["model"]
            if self.mine(model["name"]):
                await self.remove("model", model["name"], "DELETE", f"/models/{model['id']}")

    async def clusters(self) -> None:
        async for cluster in pages(self.client, self.token, "/clusters/clusters", "clusters"):
            if self.mine(cluster["name"]) and cluster["status"] not in ("deleting", "deleted"):
                await self.remove("cluster", cluster["name"], "POST", f"/clusters/{cluster['id']}/delete-workflow")

    async def projects(self) -> None:
        for project_type in ("admin_app", "client_app"):
            async for item in pages(self.client, self.token, "/projects/", "projects", project_type=project_type):
                if self.mine(item["project"]["name"]):
                    await self.remove("project", item["project"]["name"], "DELETE", f"/projects/{item['project']['id']}")

    async def users(self) -> None:
        async for user in pages(self.client, self.token, "/users/", "users", status="active"):
            if self.mine(user["email"]):
                await self.remove("user", user["email"], "DELETE", f"/users/{user['id']}")

    async def wait_for_deletions(self) -> None:
        """Endpoint and cluster deletions are workflows: give them time before deleting what they hang on."""
        if self.dry_run:
            return

        async def still_deleting() -> int:
            count = 0
            async for endpoint in pages(self.client, self.token, "/endpoints/", "endpoints"):
                count += self.mine(endpoint["name"]) and endpoint["status"] == "deleting"
            return count

        try:
            await poll_until(still_deleting, lambda n: n == 0, description="endpoint deletions to finish",
                             timeout=get_settings().timeouts.workflow, interval=0.5,
                             describe=lambda n: f"{n} still deleting")
        except WaitTimeout as exc:
            print(f"WARNING: {exc}; their clusters may stay")
            self.failed.append("endpoints stuck in deleting")


async def main(prefix: str, dry_run: bool) -> int:
    settings = get_settings()
    install_log_masking()
    password = settings.admin.password.get_secret_value()
    register_secret(password)
    async with APIClient("budapp", settings.services.budapp, connect_timeout=settings.timeouts.connect,
                         request_timeout=settings.timeouts.request) as client:
        login = await client.post("/auth/login", json={"email": settings.admin.email, "password": password,
                                                       "user_type": "admin"})
        if login.status_code != 200:
            raise SystemExit(f"ERROR: super user login failed ({login.status_code}); check E2E_ADMIN_PASSWORD")
        token = login.json()["token"]["access_token"]
        register_secret(token)
        cleaner = Cleaner(client, token, prefix, dry_run)
        await cleaner.endpoints()
        await cleaner.wait_for_deletions()
        await cleaner.models()
        await cleaner.clusters()
        await cleaner.projects()
        await cleaner.users()
    verb = "would delete" if dry_run else "deleted"
    print(f"{verb} {cleaner.deleted} resource(s) named {prefix}*; {len(cleaner.failed)} failed")
    return 1 if cleaner.failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--prefix", help="a run's prefix, as printed by its leak check (e2e-1a2b3c4d)")
    target.add_argument("--all", action="store_true", help=f"everything named {name_prefix()}-*")
    parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    options = parser.parse_args()
    try:
        sys.exit(asyncio.run(main(options.prefix or f"{name_prefix()}-", options.dry_run)))
    except ConfigError as exc:
        sys.exit(f"ERROR: {exc}")
