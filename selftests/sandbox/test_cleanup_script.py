"""scripts/cleanup.sh finds a run's leftovers through the API and deletes exactly those."""

import secrets
import subprocess

import httpx
import pytest

from helpers.config import SUITE_ROOT
from selftests.sandbox.isolated import launcher, sandbox_environment, urls

PREFIX = f"e2e-c{secrets.token_hex(4)}"  # the sandbox's database outlives the test: unique per run
KEPT = f"other-{secrets.token_hex(4)}-project"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    env = sandbox_environment(state, "cleanup", redis_db=14)
    launcher(env, "start")
    admin = dict(line.split("=", 1) for line in (state / "credentials.env").read_text().splitlines())
    yield {"env": env, "urls": urls(env), "admin": admin}
    launcher(env, "stop", check=False)


def admin_token(sandbox) -> str:
    answer = httpx.post(
        sandbox["urls"]["budapp"] + "/auth/login",
        json={
            "email": sandbox["admin"]["E2E_ADMIN_EMAIL"],
            "password": sandbox["admin"]["E2E_ADMIN_PASSWORD"],
            "user_type": "admin",
        },
    )
    return answer.json()["token"]["access_token"]


def make_leftovers(sandbox) -> dict[str, str]:
    budapp = sandbox["urls"]["budapp"]
    token = admin_token(sandbox)
    headers = {"Authorization": f"Bearer {token}"}
    kept = httpx.post(
        f"{budapp}/projects/",
        headers=headers,
        json={"name": KEPT, "project_type": "admin_app", "description": "selftest"},
    )
    mine = httpx.post(
        f"{budapp}/projects/",
        headers=headers,
        json={"name": f"{PREFIX}-gw0-project-a", "project_type": "admin_app", "description": "selftest"},
    )
    user = httpx.post(
        f"{budapp}/auth/register",
        json={
            "name": "Cleanup User",
            "email": f"{PREFIX}-gw0-user-a@e2e.budtest.dev",
            "password": "Cl3an-Up!pass",
            "role": "developer",
        },
    )
    assert (kept.status_code, mine.status_code, user.status_code) == (200, 200, 200), (kept.text, mine.text, user.text)
    return {"kept": kept.json()["project"]["id"], "mine": mine.json()["project"]["id"]}


def cleanup(sandbox, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SUITE_ROOT / "scripts" / "cleanup.sh"), *args],
        cwd=SUITE_ROOT,
        env=sandbox["env"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_lists_and_deletes_nothing_then_cleanup_deletes_only_the_prefix(sandbox):
    projects = make_leftovers(sandbox)
    dry = cleanup(sandbox, "--prefix", PREFIX, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"would delete project {PREFIX}-gw0-project-a" in dry.stdout
    assert f"would delete user {PREFIX}-gw0-user-a@e2e.budtest.dev" in dry.stdout
    assert KEPT not in dry.stdout

    done = cleanup(sandbox, "--prefix", PREFIX)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deleted 2 resource(s)" in done.stdout
    headers = {"Authorization": f"Bearer {admin_token(sandbox)}"}
    budapp = sandbox["urls"]["budapp"]
    assert httpx.get(f"{budapp}/projects/{projects['mine']}", headers=headers).status_code == 404
    assert httpx.get(f"{budapp}/projects/{projects['kept']}", headers=headers).status_code == 200
    again = cleanup(sandbox, "--prefix", PREFIX, "--dry-run")
    assert "would delete 0 resource(s)" in again.stdout
    assert httpx.delete(f"{budapp}/projects/{projects['kept']}", headers=headers).status_code == 200


def test_cleanup_needs_a_target(sandbox):
    assert cleanup(sandbox).returncode == 2
