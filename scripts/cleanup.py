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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.api_client import APIClient, client_of
from helpers.auth import AuthAPI
from helpers.config import ConfigError, get_settings
from helpers.leftovers import live_resources, pages
from helpers.masking import install_log_masking
from helpers.naming import name_prefix
from helpers.waiting import Polling, WaitTimeout, poll_until


class Cleaner:
    def __init__(self, client: APIClient, token: str, prefix: str, dry_run: bool, polling: Polling) -> None:
        self.client, self.token, self.prefix, self.dry_run = client, token, prefix, dry_run
        self.polling = polling
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

    async def delete_all(self) -> None:
        """Endpoints first (and their deletion workflows), then what they hung on, users last."""
        live = await live_resources(self.client, self.token, self.prefix)
        for endpoint in live.get("endpoint", []):
            if endpoint["status"] != "deleting":
                await self.remove("endpoint", endpoint["name"], "POST", f"/endpoints/{endpoint['id']}/delete-workflow")
        await self.wait_for_deletions()
        for model in live.get("model", []):
            await self.remove("model", model["name"], "DELETE", f"/models/{model['id']}")
        for cluster in live.get("cluster", []):
            if cluster["status"] != "deleting":
                await self.remove("cluster", cluster["name"], "POST", f"/clusters/{cluster['id']}/delete-workflow")
        for project in live.get("project", []):
            await self.remove("project", project["name"], "DELETE", f"/projects/{project['id']}")
        for user in live.get("user", []):
            await self.remove("user", user["name"], "DELETE", f"/users/{user['id']}")

    async def wait_for_deletions(self) -> None:
        """Endpoint and cluster deletions are workflows: give them time before deleting what they hang on."""
        if self.dry_run:
            return

        async def still_deleting() -> int:
            count = 0
            async for endpoint in pages(self.client, self.token, "/endpoints/", "endpoints"):
                count += endpoint["name"].startswith(self.prefix) and endpoint["status"] == "deleting"
            return count

        try:
            await poll_until(
                still_deleting,
                lambda n: n == 0,
                description="endpoint deletions to finish",
                polling=self.polling,
                describe=lambda n: f"{n} still deleting",
            )
        except WaitTimeout as exc:
            print(f"WARNING: {exc}; their clusters may stay")
            self.failed.append("endpoints stuck in deleting")


async def main(prefix: str, dry_run: bool) -> int:
    settings = get_settings()
    install_log_masking()
    async with client_of(settings, "budapp", settings.services.budapp) as client:
        try:
            token = await AuthAPI(client).super_user_token(
                settings.admin.email, settings.admin.password.get_secret_value()
            )
        except RuntimeError as refused:
            raise SystemExit(f"ERROR: {refused}") from None
        cleaner = Cleaner(client, token, prefix, dry_run, Polling.from_timeouts(settings.timeouts, interval=0.5))
        await cleaner.delete_all()
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
