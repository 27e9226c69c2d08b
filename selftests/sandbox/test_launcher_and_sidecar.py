"""The sandbox as a whole, on its own ports, database, Redis db and state folder.

Starts once per module: launcher start/status/stop, the fault switch, and the
Dapr sidecar's state, invocation and pub/sub. The tests build on each other in
file order (the last one stops the sandbox): run the module in one process.
"""

import json
import os
import signal
import subprocess
import time

import httpx
import pytest
import redis

from selftests.sandbox.isolated import SERVICES, launcher, sandbox_environment, urls


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    env = sandbox_environment(state, "selftest", redis_db=9)
    launcher(env, "start")
    yield {"env": env, "state": state, "urls": urls(env)}
    launcher(env, "stop", check=False)


def control_token(sandbox) -> str:
    lines = (sandbox["state"] / "sandbox" / "control.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)["E2E_SANDBOX_ADMIN_TOKEN"]


def test_start_records_the_deployment_and_private_credentials(sandbox):
    deployment = (sandbox["state"] / "deployment.env").read_text()
    assert "E2E_DEPLOYMENT=sandbox" in deployment
    assert f"E2E_BUDAPP_URL={sandbox['urls']['budapp']}" in deployment
    credentials = sandbox["state"] / "credentials.env"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    assert "E2E_ADMIN_PASSWORD=" in credentials.read_text()
    assert "PASSWORD" not in deployment
    # a shell sources it as it is (the health check and the user's own scripts do)
    sourced = subprocess.run(
        ["bash", "-c", 'set -a; . "$0"; echo "$E2E_BUDAPP_URL"', str(sandbox["state"] / "deployment.env")],
        capture_output=True,
        text=True,
    )
    assert (sourced.returncode, sourced.stderr, sourced.stdout.strip()) == (0, "", sandbox["urls"]["budapp"])


def test_status_and_idempotent_start(sandbox):
    status = launcher(sandbox["env"], "status")
    assert status.stdout.count(" up ") == len(SERVICES)
    again = launcher(sandbox["env"], "start")
    assert "already running" in again.stdout


def test_every_service_answers_its_health_contract(sandbox):
    urls = sandbox["urls"]
    for name in ("budapp", "budsim", "budcluster", "budmodel", "budmetrics"):
        assert httpx.get(urls[name] + "/health").json() == {"object": "info", "message": "ack", "param": None}
    assert httpx.get(urls["budgateway"] + "/health").json() == {"gateway": "ok", "clickhouse": "ok"}
    assert httpx.get(urls["dapr"] + "/v1.0/healthz").status_code == 204


def test_fault_switch_needs_the_token_and_known_names(sandbox):
    url = sandbox["urls"]["budapp"] + "/sandbox/faults"
    assert httpx.get(url).status_code == 403
    assert httpx.get(url, headers={"X-Sandbox-Admin-Token": "wrong"}).status_code == 403
    headers = {"X-Sandbox-Admin-Token": control_token(sandbox)}
    assert httpx.put(url, headers=headers, json={"faults": ["no_such_fault"]}).status_code == 422
    launcher(sandbox["env"], "faults", "set", "workflow_stalls")
    assert httpx.get(url, headers=headers).json()["active"] == ["workflow_stalls"]
    launcher(sandbox["env"], "faults", "clear")
    assert httpx.get(url, headers=headers).json()["active"] == []


def test_sidecar_state_round_trip_with_ttl(sandbox):
    state = sandbox["urls"]["dapr"] + "/v1.0/state/statestore"
    assert (
        httpx.post(state, json=[{"key": "k1", "value": {"a": 1}, "metadata": {"ttlInSeconds": "60"}}]).status_code
        == 204
    )
    assert httpx.get(f"{state}/k1").json() == {"a": 1}
    store = redis.from_url(sandbox["env"]["SANDBOX_REDIS_URL"], decode_responses=True)
    assert store.hget("budapp||k1", "data") == '{"a": 1}' and 0 < store.ttl("budapp||k1") <= 60
    assert httpx.delete(f"{state}/k1").status_code == 204
    assert httpx.get(f"{state}/k1").status_code == 204


def test_sidecar_invokes_services_by_app_id(sandbox):
    answer = httpx.get(sandbox["urls"]["dapr"] + "/v1.0/invoke/budsim/method/health")
    assert answer.status_code == 200 and answer.json()["message"] == "ack"
    assert httpx.get(sandbox["urls"]["dapr"] + "/v1.0/invoke/nobody/method/health").status_code == 500


def test_publish_reaches_budapp_notifications(sandbox):
    """A notification published as a CloudEvent reaches budapp; an unknown workflow's event is accepted and ignored.
    A body daprd would wrap (it then carries ``id`` and ``datacontenttype``) is refused, as budapp's model
    forbids them."""
    notification = {
        "name": "bud-internal",
        "payload": {
            "category": "internal",
            "type": "register_cluster",
            "event": "eta",
            "source": "selftest",
            "workflow_id": "00000000-0000-4000-8000-000000000000",
            "content": {"message": "5"},
        },
    }
    published = httpx.post(
        sandbox["urls"]["dapr"] + "/v1.0/publish/pubsub-redis/budAppMessages",
        content=json.dumps(notification),
        headers={"content-type": "application/cloudevents+json"},
    )
    assert published.status_code == 204
    direct = httpx.post(sandbox["urls"]["budapp"] + "/notifications", json={**notification, "topic": "budAppMessages"})
    assert direct.json() == {"object": "notification", "message": "Ignored: unknown workflow"}
    wrapped = httpx.post(
        sandbox["urls"]["budapp"] + "/notifications",
        json={**notification, "id": "e-1", "datacontenttype": "application/json"},
    )
    assert wrapped.status_code == 422
    assert sorted(problem["loc"][-1] for problem in wrapped.json()["detail"]) == ["datacontenttype", "id"]


def test_status_fails_when_a_service_dies_and_start_revives_it(sandbox):
    pid_file = sandbox["state"] / "sandbox" / "pids" / "budsim.pid"
    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while launcher(sandbox["env"], "status", check=False).returncode == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    status = launcher(sandbox["env"], "status", check=False)
    assert status.returncode == 1 and "budsim" in status.stdout and "DOWN" in status.stdout
    assert "started 1 service(s)" in launcher(sandbox["env"], "start").stdout


def test_stop_leaves_nothing_running(sandbox):
    pids = [int(p.read_text()) for p in (sandbox["state"] / "sandbox" / "pids").glob("*.pid")]
    launcher(sandbox["env"], "stop")
    assert not (sandbox["state"] / "deployment.env").exists()
    from sandbox.launcher import alive

    assert [pid for pid in pids if alive(pid)] == [], "processes outlived the sandbox's stop"
