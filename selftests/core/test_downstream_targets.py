"""Recommendation waiting, the configured targets and the run's shared cluster registration."""

import asyncio

import httpx
import pytest

from helpers.api_client import APIClient
from helpers.clusters import SharedClusterRegistration
from helpers.config import get_settings
from helpers.data_factory import local_model_uri, provider_secrets, require_cluster_target, shares_one_cluster
from helpers.waiting import ManualClock, Polling
from helpers.waiting.workflows import WorkflowWaiter

SIMULATION_STEPS = ("validation", "performance_estimation", "ranking")


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    monkeypatch.setenv("E2E_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("E2E_ADMIN_PASSWORD", "x")
    for name in (
        "E2E_PROFILE",
        "E2E_DEPLOYMENT",
        "E2E_CLUSTER_KUBECONFIG",
        "E2E_LOCAL_MODEL_URI",
        "E2E_PROVIDER_API_KEY",
        "E2E_PROVIDER_API_BASE",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def simulation_record(done: int) -> dict:
    """A deployment workflow whose first ``done`` budsim steps reported COMPLETED."""
    steps = [
        {"id": step, "payload": {"content": {"status": "COMPLETED"}} if i < done else {}}
        for i, step in enumerate(SIMULATION_STEPS)
    ]
    return {"status": "in_progress", "workflow_steps": {"bud_simulator_events": {"steps": steps}}}


def budapp(answers: list[tuple[dict, list[dict]]]):
    """A budapp answering the n-th poll with answers[n]: (workflow record, recommended clusters)."""
    polls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/workflows/"):
            polls["n"] += 1
            return httpx.Response(200, json=answers[min(polls["n"], len(answers)) - 1][0])
        clusters = answers[min(polls["n"], len(answers)) - 1][1]
        return httpx.Response(
            200,
            json={
                "object": "cluster.recommended_clusters",
                "status": "success",
                "clusters": clusters,
                "workflow_id": "w1",
            },
        )

    client = APIClient("budapp", "http://budapp.test", transport=httpx.MockTransport(answer), retry_backoff=0)
    return WorkflowWaiter(client, "t", Polling(timeout=5, clock=ManualClock())), polls


async def test_an_empty_success_answer_is_not_the_end_of_the_simulation():
    """budapp says ``success`` with no clusters while budsim still runs: the waiter keeps polling."""
    waiter, polls = budapp(
        [
            (simulation_record(0), []),
            (simulation_record(1), []),
            (simulation_record(2), []),
            (simulation_record(2), [{"id": "c1"}]),
        ]
    )
    assert await waiter.recommended_clusters("w1", "c1") == [{"id": "c1"}]
    assert polls["n"] == 4


async def test_a_finished_simulation_ends_the_wait_even_without_the_cluster():
    waiter, polls = budapp([(simulation_record(1), []), (simulation_record(3), [{"id": "other"}])])
    assert await waiter.recommended_clusters("w1", "mine") == [{"id": "other"}]
    assert polls["n"] == 2


def test_sandbox_model_uris_are_valid_unique_repo_ids(settings_env):
    uri = local_model_uri(get_settings(), "e2e-1a2b3c4d-gw0-local-model-abc123")
    assert uri == "e2e-org/tiny-llama-e2e-1a2b3c4d-gw0-local-model-abc123" and "--" not in uri


def test_targets_come_from_configuration(settings_env):
    settings_env.setenv("E2E_LOCAL_MODEL_URI", "TinyLlama/TinyLlama-1.1B-Chat-v1.0")
    settings_env.setenv("E2E_CLUSTER_KUBECONFIG", "/tmp/kubeconfig.yaml")
    settings = get_settings()
    assert local_model_uri(settings, "anything") == "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
    assert shares_one_cluster(settings)


def test_a_real_deployment_without_targets_skips_with_what_to_set(settings_env):
    settings_env.setenv("E2E_PROFILE", "compose")
    settings = get_settings()
    with pytest.raises(pytest.skip.Exception, match="set E2E_LOCAL_MODEL_URI"):
        local_model_uri(settings, "x")
    with pytest.raises(pytest.skip.Exception, match="set E2E_CLUSTER_KUBECONFIG"):
        require_cluster_target(settings)
    with pytest.raises(pytest.skip.Exception, match="set E2E_PROVIDER_API_KEY"):
        provider_secrets(settings)


def test_the_provider_key_comes_from_configuration_and_the_sandbox_has_a_placeholder(settings_env):
    placeholder = provider_secrets(get_settings())
    assert list(placeholder) == ["api_key"] and placeholder["api_key"].startswith("sk-e2e-")
    settings_env.setenv("E2E_PROFILE", "compose")
    settings_env.setenv("E2E_PROVIDER_API_KEY", "sk-real")
    settings_env.setenv("E2E_PROVIDER_API_BASE", "http://provider.local/v1")
    get_settings.cache_clear()
    assert provider_secrets(get_settings()) == {"api_key": "sk-real", "api_base": "http://provider.local/v1"}


async def test_workers_share_one_registration_and_the_last_one_deletes_it(tmp_path):
    onboarded, deleted = [], []

    async def onboard() -> dict:
        await asyncio.sleep(0.01)
        onboarded.append(1)
        return {"id": f"cluster-{len(onboarded)}"}

    async def delete(cluster_id: str) -> None:
        deleted.append(cluster_id)

    workers = [SharedClusterRegistration(tmp_path, "run1", f"gw{i}", onboard, delete) for i in range(3)]
    clusters = await asyncio.gather(*(w.acquire() for w in workers), workers[0].acquire())
    assert [c["id"] for c in clusters] == ["cluster-1"] * 4 and len(onboarded) == 1
    await workers[0].release()
    await workers[1].release()
    assert deleted == []
    await workers[2].release()
    assert deleted == ["cluster-1"] and not (tmp_path / "shared-cluster-run1.json").exists()
    again = await workers[1].acquire()  # a later user registers it afresh
    assert again["id"] == "cluster-2"
    await workers[1].release()
    assert deleted == ["cluster-1", "cluster-2"]
