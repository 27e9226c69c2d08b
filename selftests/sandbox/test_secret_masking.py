"""Secrets the suite handles never reach a log or report file.

Runs a small E2E module in a pytest subprocess against a sandbox of its own: it
logs in, refreshes, logs out, creates a provider key, then fails on purpose with
the secrets in its assertion, its output and its logs. Every file the run wrote
(JUnit XML, HTML report, log file, captured output) and the sandbox's logs are
then searched for each secret.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.config import SUITE_ROOT
from selftests.sandbox.isolated import launcher, sandbox_environment

LEAKY_TEST = """
import json, logging, os

import pytest

log = logging.getLogger("e2e.leaky")


async def test_a_failure_full_of_secrets(auth_api, user_factory, deployments_api, models_api, admin_token, admin_user):
    user = await user_factory()
    refreshed = (await auth_api.refresh(user.refresh_token)).json()["token"]
    user.remember_token(refreshed)
    providers = (await models_api.providers(admin_token, limit=100)).json()["providers"]
    openai = next(p for p in providers if p["type"] == "openai")
    api_key = "sk-selftest-" + os.urandom(12).hex()
    credential = (await deployments_api.create_provider_credential(
        admin_token, "masking-" + os.urandom(3).hex(), "openai", openai["id"], api_key)).json()["result"]
    await deployments_api.delete_provider_credential(admin_token, credential["id"])
    admin_access = admin_user.access_token
    secrets = [user.password, user.access_token, user.refresh_token, admin_user.password, admin_access, api_key]
    with open(os.environ["SECRETS_OUT"], "w") as out:
        json.dump(secrets, out)
    print("stdout:", *secrets)
    log.warning("log: %s", " ".join(secrets))
    await auth_api.logout(user.refresh_token, user.access_token)
    assert user.access_token == user.password, f"assertion with {user.password} and {api_key} and {admin_access}"
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    work = tmp_path_factory.mktemp("run")
    env = sandbox_environment(state, "masking", redis_db=12)
    launcher(env, "start")
    test_file = work / "test_leaky.py"
    test_file.write_text(LEAKY_TEST)
    reports = work / "reports"
    env = {**env, "SECRETS_OUT": str(work / "secrets.json"), "E2E_SKIP_LEAK_CHECK": "1"}
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(test_file),
                "-p",
                "conftest",
                "-c",
                str(SUITE_ROOT / "pytest.ini"),
                "--rootdir",
                str(SUITE_ROOT),
                "-p",
                "no:cacheprovider",
                "-vv",
                "--showlocals",
                "--tb=long",
                f"--junitxml={reports / 'junit.xml'}",
                f"--html={reports / 'report.html'}",
                f"--log-file={reports / 'run.log'}",
                "--log-file-level=DEBUG",
            ],
            cwd=SUITE_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        launcher(env, "stop", check=False)
    (reports / "console.txt").write_text(result.stdout + result.stderr)
    return {
        "result": result,
        "reports": reports,
        "secrets": json.loads((work / "secrets.json").read_text()),
        "sandbox_logs": state / "sandbox" / "logs",
    }


def test_the_leaky_test_ran_and_failed(run):
    assert run["result"].returncode == 1, run["result"].stdout[-2000:]
    assert "1 failed" in run["result"].stdout
    assert len(run["secrets"]) == 6 and all(run["secrets"])


@pytest.mark.parametrize("kind", ["junit.xml", "report.html", "run.log", "console.txt"])
def test_no_secret_in_report_or_log(run, kind):
    text = (run["reports"] / kind).read_text(errors="replace")
    assert text, f"{kind} is empty: the check would prove nothing"
    leaked = [f"{s[:6]}... ({len(s)} chars)" for s in run["secrets"] if s in text]
    assert leaked == [], f"secrets found in {kind}: {leaked}"


def test_no_secret_in_the_sandbox_logs(run):
    logs = {path.name: path.read_text(errors="replace") for path in Path(run["sandbox_logs"]).glob("*.log")}
    assert logs, "the sandbox wrote no logs"
    leaked = [(name, s[:6]) for name, text in logs.items() for s in run["secrets"] if s in text]
    assert leaked == [], f"secrets found in sandbox logs: {leaked}"
