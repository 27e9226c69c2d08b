"""Local models: onboarding through budmodel, deployment through budsim and budcluster."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import UUID4

from sandbox.budapp.cluster_routes import SOURCE_TOPIC, notification_metadata
from sandbox.budapp.clusters_db import recommended_cluster
from sandbox.budapp.endpoints_db import gateway_route
from sandbox.budapp.events import on_results
from sandbox.budapp.model_routes import AddModelModality, ProviderType
from sandbox.budapp.schemas import Tag
from sandbox.budapp.security import dual_auth, require
from sandbox.budapp.workflow_routes import _unpack, client_error, render
from sandbox.budapp.workflows import StepRequest, required_missing
from sandbox.common.envelopes import ClientException, error_response, success

router = APIRouter(tags=["local models"])
LOCAL_SOURCE = "local"  # budapp's ModelSourceEnum.LOCAL: every model budmodel extracted
HF_REPO_PART = re.compile(r"^[\w.-]{1,96}$")
CHAT, EMBEDDINGS, DOCUMENT = "/v1/chat/completions", "/v1/embeddings", "/v1/documents"
# budmodel's modality categories as budapp maps them: (modalities, endpoints)
MODALITY_CATEGORIES = {
    "llm": (["text_input", "text_output"], [CHAT]),
    "embedding": (["text_input", "text_output"], [EMBEDDINGS]),
    "llm_embedding": (["text_input", "text_output"], [EMBEDDINGS]),
    "mllm": (["text_input", "image_input", "text_output"], [CHAT, DOCUMENT]),
    "mllm_embedding": (["text_input", "image_input", "text_output"], [EMBEDDINGS]),
}


def valid_hugging_face_repo_id(uri: str) -> bool:
    """``<owner>/<name>``, each 1-96 word characters, dots and hyphens, not starting or ending with ``-``
    or ``.``; no ``--`` or ``..``, no ``.git`` ending."""
    parts = uri.strip().split("/")
    if len(parts) != 2 or "--" in uri or ".." in uri or uri.endswith(".git"):
        return False
    return all(HF_REPO_PART.match(part) and part[0] not in "-." and part[-1] not in "-." for part in parts)


def modality_and_endpoints(category: str) -> tuple[list[str], list[str]]:
    """What budapp stores for budmodel's ``modality`` string (a category or comma-separated modalities)."""
    if "," in category:
        modalities = [m.strip().lower() for m in category.split(",")]
        if set(modalities) == {"text_input", "text_output"}:
            return modalities, [CHAT]
        return modalities, [CHAT] if "text_output" in modalities else []
    if category not in MODALITY_CATEGORIES:
        raise ValueError(f"Invalid modality: {category}")
    modalities, endpoints = MODALITY_CATEGORIES[category]
    return list(modalities), list(endpoints)


class LocalModelStep(StepRequest):
    provider_type: ProviderType | None = None
    proprietary_credential_id: UUID4 | None = None
    name: str | None = None
    uri: str | None = None
    author: str | None = None
    tags: list[Tag] | None = None
    icon: str | None = None
    add_model_modality: list[AddModelModality] | None = None
    callback_topic: str | None = None


@router.post("/models/local-model-workflow")
async def local_model_workflow(
    body: LocalModelStep, request: Request, user: Annotated[dict, Depends(dual_auth("model:manage"))]
):
    state = request.app.state
    try:
        if body.name and await state.models.name_taken(body.name):
            raise ClientException("Model name should be unique")
        if body.uri and body.provider_type:
            if body.provider_type.value == "hugging_face" and not valid_hugging_face_repo_id(body.uri):
                raise ClientException("Invalid huggingface uri format")
            if await state.models.uri_taken(body.uri, LOCAL_SOURCE):
                raise ClientException(f"Duplicate {body.provider_type.value} uri found")
        workflow = await state.workflows.begin_step(user, body, "local_model_onboarding", "Add local model")
        if body.trigger_workflow:
            merged = await state.workflows.merged_data(workflow["id"])
            problem = required_missing(merged, ["provider_type", "name", "uri"])
            if problem:
                raise problem
            reply = await state.dapr.invoke(
                "budmodel",
                "model-info/extract",
                json={
                    "model_name": merged["name"],
                    "model_uri": merged["uri"],
                    "provider_type": merged["provider_type"],
                    "hf_token": None,
                    "notification_metadata": notification_metadata(user, workflow["id"]),
                    "source_topic": SOURCE_TOPIC,
                },
            )
            await state.workflows.start_downstream(
                workflow["id"], body.step_number + 1, "model_extraction_events", reply
            )
            workflow = await state.workflows.get(workflow["id"])
    except ClientException as exc:
        return client_error(exc)
    return success(**_unpack(await render(state, workflow)))


@on_results("perform_model_extraction")
async def model_extracted(state: Any, workflow: dict, payload: dict) -> None:
    """budmodel's ModelExtractionResponse becomes a model whose source is ``local``."""
    merged = await state.workflows.merged_data(workflow["id"])
    result = (payload.get("content") or {}).get("result") or {}
    info = result["model_info"]
    architecture = info.get("architecture") or {}
    modality, endpoints = modality_and_endpoints(info["modality"])
    provider = await state.pool.fetchrow("SELECT id FROM provider WHERE type = 'huggingface'")
    model = await state.models.insert(
        name=merged["name"],
        tags=merged.get("tags") or [],
        author=merged.get("author") or info.get("author"),
        icon=merged.get("icon"),
        modality=modality,
        source=LOCAL_SOURCE,
        provider_type=merged["provider_type"],
        uri=merged["uri"],
        local_path=result["local_path"],
        model_size=architecture.get("num_params"),
        provider_id=provider["id"] if provider and merged["provider_type"] == "hugging_face" else None,
        supported_endpoints=endpoints,
        description=info.get("description"),
        created_by=workflow["created_by"],
    )
    step = workflow["current_step"] + 1
    await state.workflows.save_step(
        workflow["id"], step, {"model_id": str(model["id"]), "tags": model["tags"], "description": model["description"]}
    )
    await state.workflows.update(workflow["id"], status="completed", current_step=step)


async def start_simulation(state: Any, user: dict, workflow: dict, step_number: int, merged: dict, model: dict) -> None:
    """A deploy_config for a local model asks budsim for cluster recommendations at once."""
    config = merged["deploy_config"]
    reply = await state.dapr.invoke(
        "budsim",
        "simulator/run",
        json={
            "pretrained_model_uri": model["local_path"] or model["uri"],
            "input_tokens": config["avg_context_length"],
            "output_tokens": config["avg_sequence_length"],
            "concurrency": config["concurrent_requests"],
            "hardware_mode": merged.get("hardware_mode") or "dedicated",
            "notification_metadata": notification_metadata(user, workflow["id"]),
            "source_topic": SOURCE_TOPIC,
        },
    )
    await state.workflows.save_step(
        workflow["id"], step_number + 1, {"simulator_id": reply["workflow_id"], "bud_simulator_events": reply}
    )
    await state.workflows.update(workflow["id"], progress={**reply, "progress_type": "bud_simulator_events"})


@router.get("/clusters/recommended/{workflow_id}")
async def recommended_clusters(
    workflow_id: UUID, request: Request, _: Annotated[dict, Depends(require("cluster:view"))]
):
    """budsim's current ranking joined with the available clusters; ``success`` even while budsim still runs."""
    state = request.app.state
    if await state.workflows.get(workflow_id) is None:
        return error_response(404, "Workflow not found")
    merged = await state.workflows.merged_data(workflow_id)
    if not all(key in merged for key in ("deploy_config", "simulator_id", "model_id")):
        return error_response(400, "Unable to find required data from workflow steps")
    model = await state.models.get(UUID(merged["model_id"]))
    try:
        ranking = await state.dapr.invoke(
            "budsim",
            "simulator/recommendations",
            http_method="GET",
            params={"workflow_id": merged["simulator_id"], "limit": 20},
        )
    except ClientException:
        return error_response(500, "Failed to get recommended clusters")
    clusters = []
    for item in ranking.get("items") or []:
        cluster = await state.clusters.by_budcluster_id(UUID(item["cluster_id"]))
        if cluster and cluster["status"] == "available":
            clusters.append(
                recommended_cluster(
                    cluster,
                    item,
                    merged["deploy_config"],
                    local=model is None or model["provider_type"] != "cloud_model",
                )
            )
    return success(
        "cluster.recommended_clusters",
        "Successfully retrieved recommended clusters",
        clusters=clusters,
        status="success",
        workflow_id=workflow_id,
    )


async def start_local_deployment(
    state: Any, user: dict, workflow: dict, trigger_step: int, merged: dict, model: dict
) -> dict:
    cluster = await state.clusters.by_budcluster_id(UUID(merged["cluster_id"]))
    if cluster is None:
        raise ClientException("Cluster not found", 404)
    if cluster["status"] != "available":
        raise ClientException("Cluster is not available")
    config = merged["deploy_config"]
    reply = await state.dapr.invoke(
        "budcluster",
        "deployment",
        json={
            "cluster_id": merged["cluster_id"],
            "simulator_id": merged["simulator_id"],
            "endpoint_name": merged["endpoint_name"],
            "model": model["local_path"] or model["uri"],
            "concurrency": config["concurrent_requests"],
            "input_tokens": config["avg_context_length"],
            "output_tokens": config["avg_sequence_length"],
            "provider": model["provider_type"],
            "notification_metadata": notification_metadata(user, workflow["id"]),
            "source_topic": SOURCE_TOPIC,
        },
    )
    await state.workflows.start_downstream(workflow["id"], trigger_step + 1, "budserve_cluster_events", reply)
    return await state.workflows.get(workflow["id"])


@on_results("deploy_model")
async def model_deployed(state: Any, workflow: dict, payload: dict) -> None:
    """budcluster's DeployModelWorkflowResult: the endpoint runs at ``result.deployment_url``; the result
    itself is kept verbatim as the workflow's ``endpoint_details``."""
    merged = await state.workflows.merged_data(workflow["id"])
    result = (payload.get("content") or {}).get("result") or {}
    url, namespace = result["result"]["deployment_url"], result.get("namespace")
    status = result["deployment_status"]
    served = status.get("supported_endpoints") or {}
    enabled = [e for e, on in served.items() if on] if isinstance(served, dict) else list(served)
    if not namespace or not url:
        return
    model = await state.models.get(UUID(merged["model_id"]))
    cluster = await state.clusters.by_budcluster_id(UUID(merged["cluster_id"]))
    supported = sorted(set(enabled) | set(model["supported_endpoints"]))
    config = {**merged["deploy_config"], "nodes": result.get("deploy_config") or []}
    endpoint = await state.endpoints.insert(
        project_id=UUID(merged["project_id"]),
        model_id=model["id"],
        cluster_id=cluster["id"] if cluster else None,
        bud_cluster_id=UUID(merged["cluster_id"]),
        name=merged["endpoint_name"],
        url=url,
        namespace=namespace,
        status="running",
        credential_id=result.get("credential_id"),
        deployment_config=config,
        supported_endpoints=supported,
        created_by=workflow["created_by"],
    )
    await state.gateway_redis.set(
        f"model_table:{endpoint['id']}", gateway_route(endpoint, "vllm", url + "/v1", supported)
    )
    step = workflow["current_step"] + 1
    await state.workflows.save_step(workflow["id"], step, {"endpoint_details": result})
    await state.workflows.update(workflow["id"], status="completed", current_step=step)


async def start_endpoint_deletion(state: Any, user: dict, endpoint: dict, workflow: dict) -> None:
    reply = await state.dapr.invoke(
        "budcluster",
        "deployment/delete",
        json={
            "cluster_id": str(endpoint["bud_cluster_id"]),
            "namespace": endpoint["namespace"],
            "notification_metadata": notification_metadata(user, workflow["id"]),
            "source_topic": [SOURCE_TOPIC],
        },
    )
    await state.workflows.start_downstream(workflow["id"], 2, "delete_endpoint_events", reply)
    endpoint_id = endpoint["id"]
    await state.endpoints.set_status(endpoint_id, "deleting")
    # budapp drops the gateway route as soon as the deletion starts, not when budcluster reports it done
    if not await state.faults.is_on("delete_leaves_row"):
        await state.gateway_redis.delete(f"model_table:{endpoint_id}")


@on_results("delete_deployment")
async def deployment_deleted(state: Any, workflow: dict, payload: dict) -> None:
    merged = await state.workflows.merged_data(workflow["id"])
    if not await state.faults.is_on("delete_leaves_row"):
        await state.endpoints.set_status(UUID(merged["endpoint_id"]), "deleted")
    await state.workflows.update(workflow["id"], status="completed")
