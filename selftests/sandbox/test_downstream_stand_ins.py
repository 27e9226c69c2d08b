"""The sandbox's budmodel, budsim and budcluster answers as real budapp reads them (no services started)."""

import json
import subprocess
from pathlib import Path

import pytest

from sandbox.budapp.clusters_db import recommended_cluster, resources_from_nodes
from sandbox.budapp.local_routes import modality_and_endpoints, valid_hugging_face_repo_id
from sandbox.budcluster.app import DeploymentRequest, deploy_model_result
from sandbox.budmodel.app import model_info
from sandbox.budsim.app import SimulationRequest, cluster_metrics
from sandbox.common.simulated_models import find_model, model_name, registry_path

SOURCE_VENV_PYTHON = Path(__file__).resolve().parents[2] / ".e2e-state" / "source" / "venv" / "bin" / "python"
REPO_IDS = ["e2e-org/tiny-llama-e2e-1a2b-gw0-local-model-abc123", "e2e-org/tiny-llama--tag", "org/a..b", "no-slash",
            "a/b/c", "-org/model", "org/model-", "Org_1/Model.v2", "o/" + "x" * 95, "o/" + "x" * 96, "o" * 120 + "/m", "org/.model", "org/model.git"]


def test_repo_ids_name_the_described_models():
    assert model_name("e2e-org/tiny-llama-e2e-1a2b") == "tiny-llama"
    assert model_name("e2e-org/mini-embedder") == "mini-embedder"
    assert model_name(registry_path("e2e-org/tiny-llama-x")) == "tiny-llama"
    assert model_name("e2e-org/no-such-model-x") is None


def test_budmodel_reports_architecture_as_an_object_and_modality_as_a_category():
    info = model_info(find_model("e2e-org/tiny-llama-x"), "e2e-org/tiny-llama-x")
    assert info["modality"] == "llm" and info["uri"] == "e2e-org/tiny-llama-x"
    assert {"num_params", "type", "family", "model_weights_size", "text_config"} <= info["architecture"].keys()
    assert modality_and_endpoints(info["modality"]) == (["text_input", "text_output"], ["/v1/chat/completions"])
    assert modality_and_endpoints("embedding")[1] == ["/v1/embeddings"]


@pytest.mark.skipif(not SOURCE_VENV_PYTHON.is_file(), reason="no real budapp venv (./scripts/setup-source.sh)")
def test_repo_id_check_agrees_with_huggingface_hub():
    script = ("import json,sys\nfrom huggingface_hub.utils import validate_repo_id, HFValidationError\nout=[]\n"
              "for r in json.loads(sys.argv[1]):\n    try: validate_repo_id(r); out.append(len(r.split('/'))==2)\n"
              "    except HFValidationError: out.append(False)\nprint(json.dumps(out))")
    hub = subprocess.run([str(SOURCE_VENV_PYTHON), "-c", script, json.dumps(REPO_IDS)], capture_output=True, text=True,
                         timeout=30, check=True)
    assert [valid_hugging_face_repo_id(r) for r in REPO_IDS] == json.loads(hub.stdout)


def test_deploy_result_carries_what_budapp_reads():
    body = DeploymentRequest(cluster_id="8f5e6a02-5c37-4a55-9a43-1f0d7c3c2b11", endpoint_name="ep",
                             model=registry_path("e2e-org/tiny-llama-x"), concurrency=2)
    result = deploy_model_result("5b0c9a1e-0f6a-4d2e-9d5c-4c3c1f1e2a10", body, "ep-abc", "http://ep-abc.host",
                                 {"name": "node-1"})
    assert result["result"]["deployment_url"] == "http://ep-abc.host" and result["number_of_nodes"] == 1
    assert result["deployment_status"]["replicas"]["total"] == 1
    assert [w["status"] for w in result["deployment_status"]["worker_data_list"]] == ["Running"]
    assert result["supported_endpoints"] == ["/v1/chat/completions"] and result["deploy_config"][0]["name"] == "node-1"
    assert not {"id", "name"} & result.keys()


def test_a_recommendation_joins_budsim_metrics_with_budapps_cluster():
    nodes = [{"name": "n1", "status": True, "devices": [{"type": "cpu", "available_count": 32}]},
             {"name": "n2", "status": False, "devices": [{"type": "cpu", "available_count": 16}]}]
    resources = resources_from_nodes(nodes)
    assert (resources["cpu_count"], resources["cpu_total_workers"], resources["total_nodes"],
            resources["available_nodes"]) == (2, 48, 2, 1)
    item = cluster_metrics({"id": "budcluster-id", "nodes": nodes},
                           SimulationRequest(pretrained_model_uri="x", input_tokens=1, output_tokens=1, concurrency=2))
    cluster = {"id": "budapp-id", "cluster_id": "budcluster-id", "name": "c", **resources}
    shaped = recommended_cluster(cluster, item, {"concurrent_requests": 2})
    assert (shaped["id"], shaped["cluster_id"], shaped["total_resources"], shaped["resources_used"]) == \
        ("budapp-id", "budcluster-id", 48, 0)
    assert shaped["cost_per_token"] == item["metrics"]["cost_per_million_tokens"] > 0
    assert shaped["benchmarks"]["concurrency"] == {"label": "Expected", "value": 2}
