"""The sandbox's budmodel, budsim and budcluster answers as real budapp reads them (no services started)."""

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
from fastapi import Request

from sandbox.budapp.clusters_db import recommended_cluster, resources_from_nodes
from sandbox.budapp.local_routes import modality_and_endpoints, valid_hugging_face_repo_id
from sandbox.budcluster.app import DeploymentRequest, deploy_model_result
from sandbox.budmodel.app import delete_local_model, model_info
from sandbox.budsim.app import SimulationRequest, cluster_metrics
from sandbox.common.simulated_models import (
    download_directory,
    find_model,
    model_name,
    store_download,
    stored_model,
)
from selftests.sandbox.isolated import redis_url

SOURCE_VENV_PYTHON = Path(__file__).resolve().parents[2] / ".e2e-state" / "source" / "venv" / "bin" / "python"
REPO_IDS = [
    "e2e-org/tiny-llama-e2e-1a2b-gw0-local-model-abc123",
    "e2e-org/tiny-llama--tag",
    "org/a..b",
    "no-slash",
    "a/b/c",
    "-org/model",
    "org/model-",
    "Org_1/Model.v2",
    "o/" + "x" * 95,
    "o/" + "x" * 96,
    "o" * 120 + "/m",
    "org/.model",
    "org/model.git",
]


def test_repo_ids_name_the_described_models():
    assert model_name("e2e-org/tiny-llama-e2e-1a2b") == "tiny-llama"
    assert model_name("e2e-org/mini-embedder") == "mini-embedder"
    assert model_name("e2e-org/no-such-model-x") is None


def test_budmodel_downloads_into_a_directory_named_after_the_model():
    assert re.fullmatch(r"e2e-1a2b-gw0-local-m_[0-9a-f]{8}", download_directory("e2e-1a2b-gw0-local-model-abc123"))
    assert re.fullmatch(r"my_model_v2_[0-9a-f]{8}", download_directory(".My Model.v2_"))
    assert re.fullmatch(r"cafe_[0-9a-f]{8}", download_directory("Café"))
    assert re.fullmatch(r"unnamed_[0-9a-f]{8}", download_directory("..."))
    assert download_directory("same") != download_directory("same")


def described(model: dict[str, Any] | None) -> dict[str, Any]:
    assert model is not None, "the sandbox describes no such model"
    return model


class _Request:
    def __init__(self, store: aioredis.Redis) -> None:
        self.app = type("App", (), {"state": type("State", (), {"redis": store})})()


@pytest.fixture
async def store():
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    client = aioredis.from_url(redis_url(6 + worker), decode_responses=True)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


async def test_budsim_and_budcluster_read_a_download_from_the_model_store(store):
    directory = download_directory("tiny")
    assert await stored_model(store, directory) is None
    await store_download(store, directory, "e2e-org/tiny-llama-e2e-1a2b")
    assert (
        described(await stored_model(store, directory))["supported_endpoints"]
        == described(find_model("e2e-org/tiny-llama"))["supported_endpoints"]
    )
    assert await stored_model(store, "e2e-org/mini-embedder") == find_model("e2e-org/mini-embedder")
    assert await stored_model(store, "tiny-llama") is None, "a name that is no stored download is no model"


async def test_budmodel_deletes_a_download_and_answers_success_for_one_it_does_not_have(store):
    directory = download_directory("tiny")
    await store_download(store, directory, "e2e-org/tiny-llama-e2e-1a2b")
    for _ in range(2):
        answer = await delete_local_model(cast(Request, _Request(store)), path=directory)
        assert answer == {"object": "info", "message": "Model deleted successfully", "param": None}
        assert await stored_model(store, directory) is None


def test_budmodel_reports_architecture_as_an_object_and_modality_as_a_category():
    info = model_info(described(find_model("e2e-org/tiny-llama-x")), "e2e-org/tiny-llama-x")
    assert info["modality"] == "llm" and info["uri"] == "e2e-org/tiny-llama-x"
    assert {"num_params", "type", "family", "model_weights_size", "text_config"} <= info["architecture"].keys()
    assert modality_and_endpoints(info["modality"]) == (["text_input", "text_output"], ["/v1/chat/completions"])
    assert modality_and_endpoints("embedding")[1] == ["/v1/embeddings"]


@pytest.mark.skipif(not SOURCE_VENV_PYTHON.is_file(), reason="no real budapp venv (./scripts/setup-source.sh)")
def test_repo_id_check_agrees_with_huggingface_hub():
    script = (
        "import json,sys\nfrom huggingface_hub.utils import validate_repo_id, HFValidationError\nout=[]\n"
        "for r in json.loads(sys.argv[1]):\n    try: validate_repo_id(r); out.append(len(r.split('/'))==2)\n"
        "    except HFValidationError: out.append(False)\nprint(json.dumps(out))"
    )
    hub = subprocess.run(
        [str(SOURCE_VENV_PYTHON), "-c", script, json.dumps(REPO_IDS)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert [valid_hugging_face_repo_id(r) for r in REPO_IDS] == json.loads(hub.stdout)


def test_deploy_result_carries_what_budapp_reads():
    body = DeploymentRequest(
        cluster_id="8f5e6a02-5c37-4a55-9a43-1f0d7c3c2b11",
        endpoint_name="ep",
        model=download_directory("tiny-llama-x"),
        concurrency=2,
    )
    result = deploy_model_result(
        "5b0c9a1e-0f6a-4d2e-9d5c-4c3c1f1e2a10", body, "ep-abc", "http://ep-abc.host", {"name": "node-1"}
    )
    assert result["result"]["deployment_url"] == "http://ep-abc.host" and result["number_of_nodes"] == 1
    assert result["deployment_status"]["replicas"]["total"] == 1
    assert [w["status"] for w in result["deployment_status"]["worker_data_list"]] == ["Running"]
    assert result["supported_endpoints"] == ["/v1/chat/completions"] and result["deploy_config"][0]["name"] == "node-1"
    assert not {"id", "name"} & result.keys()


def test_a_recommendation_joins_budsim_metrics_with_budapps_cluster():
    nodes = [
        {"name": "n1", "status": True, "devices": [{"type": "cpu", "available_count": 32}]},
        {"name": "n2", "status": False, "devices": [{"type": "cpu", "available_count": 16}]},
    ]
    resources = resources_from_nodes(nodes)
    assert (
        resources["cpu_count"],
        resources["cpu_total_workers"],
        resources["total_nodes"],
        resources["available_nodes"],
    ) == (2, 48, 2, 1)
    item = cluster_metrics(
        {"id": "budcluster-id", "nodes": nodes},
        SimulationRequest(pretrained_model_uri="x", input_tokens=1, output_tokens=1, concurrency=2),
    )
    cluster = {"id": "budapp-id", "cluster_id": "budcluster-id", "name": "c", **resources}
    shaped = recommended_cluster(cluster, item, {"concurrent_requests": 2})
    assert (shaped["id"], shaped["cluster_id"], shaped["total_resources"], shaped["resources_used"]) == (
        "budapp-id",
        "budcluster-id",
        48,
        0,
    )
    assert shaped["cost_per_token"] == item["metrics"]["cost_per_million_tokens"] > 0
    assert shaped["benchmarks"]["concurrency"] == {"label": "Expected", "value": 2}
