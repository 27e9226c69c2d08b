"""Local models: onboarding through budmodel, deployment through budsim and budcluster."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import UUID4

from sandbox.budapp.cluster_routes import SOURCE_TOPIC, notification_metadata
from sandbox.budapp.endpoints_db import gateway_route
from sandbox.budapp.events import on_results
from sandbox.budapp.model_routes import AddModelModality, ProviderType
from sandbox.budapp.schemas import Tag
from sandbox.budapp.security import dual_auth, require
from sandbox.budapp.workflow_routes import _unpack, client_error, render
from sandbox.budapp.workflows import StepRequest, required_missing
from sandbox.common.envelopes import ClientException, error_response, success

router = APIRouter(tags=["local models"])
PROVIDER_SOURCES = {"hugging_face": "huggingface", "url": "url", "disk": "disk"}


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
async def local_model_workflow(body: LocalModelStep, request: Request, user: Annotated[dict, Depends(dual_auth("model:manage"))]):
    state = request.app.state
    try:
        if body.name and await state.models.name_taken(body.name):
            raise ClientException("Model name should be unique")
        if body.uri and body.provider_type and await state.models.uri_taken(body.uri, PROVIDER_SOURCES.get(body.provider_type.value, "")):
            raise ClientException("Duplicate model uri and source found")
        workflow = await state.workflows.begin_step(user, body, "local_model_onboarding", "Add local model")
        if body.trigger_workflow:
            merged = await state.workflows.merged_data(workflow["id"])
            problem = required_missing(merged, ["provider_type", "name", "uri"])
            if problem:
                raise problem
            reply = await state.dapr.invoke("budmodel", "model-info/extract", json={
                "model_name": merged["name"], "model_uri": merged["uri"], "provider_type": merged["provider_type"],
                "hf_token": None, "notification_metadata": notification_metadata(user, workflow["id"]),
                "source_topic": SOURCE_TOPIC,
            })
            await state.workflows.start_downstream(workflow["id"], body.step_number + 1, "model_extraction_events", reply)
            workflow = await state.workflows.get(workflow["id"])
    except ClientException as exc:
        return client_error(exc)
    return success(**_unpack(await render(state, workflow)))


@on_results("perform_model_extraction")
async def model_extracted(state: Any, workflow: dict, payload: dict) -> None:
    merged = await state.workflows.merged_data(workflow["id"])
    result = (payload.get("content") or {}).get("result") or {}
    info = result.get("model_info") or {}
    source = PROVIDER_SOURCES.get(merged["provider_type"], merged["provider_type"])
    provider = await state.pool.fetchrow("SELECT id FROM provider WHERE type = 'huggingface'")
    model = await state.models.insert(
        name=merged["name"], tags=merged.get("tags") or [], author=merged.get("author"), icon=merged.get("icon"),
        modality=info.get("modality") or ["text_input", "text_output"], source=source,
        provider_type=merged["provider_type"], uri=merged["uri"], local_path=result.get("local_path"),
        model_size=info.get("model_size"), provider_id=provider["id"] if provider else None,
        supported_endpoints=info.get("supported_endpoints") or ["/v1/chat/completions"],
        description=info.get("description"), created_by=workflow["created_by"],
    )
    step = workflow["current_step"] + 1
    await state.workflows.save_step(workflow["id"], step, {
        "model_id": str(model["id"]), "tags": model["tags"], "description": model["description"]})
    await state.workflows.update(workflow["id"], status="completed", current_step=step)


async def start_simulation(state: Any, user: dict, workflow: dict, step_number: int, merged: dict, model: dict) -> None:
    """A deploy_config for a local model asks budsim for cluster recommendations at once."""
    config = merged["deploy_config"]
    reply = await state.dapr.invoke("budsim", "simulator/run", json={
        "pretrained_model_uri": model["local_path"] or model["uri"], "input_tokens": config["avg_context_length"],
        "output_tokens": config["avg_sequence_length"], "concurrency": config["concurrent_requests"],
        "hardware_mode": merged.get("hardware_mode") or "dedicated",
        "notification_metadata": notification_metadata(user, workflow["id"]), "source_topic": SOURCE_TOPIC,
    })
    await state.workflows.save_step(workflow["id"], step_number + 1,
                                    {"simulator_id": reply["workflow_id"], "bud_simulator_events": reply})
    await state.workflows.update(workflow["id"], progress={**reply, "progress_type": "bud_simulator_events"})


@on_results("get_cluster_recommendations")
async def clusters_recommended(state: Any, workflow: dict, payload: dict) -> None:
    recommendations = ((payload.get("content") or {}).get("result") or {}).get("recommendations") or []
    await state.workflows.save_step(workflow["id"], workflow["current_step"], {"recommended_clusters": recommendations})


@router.get("/clusters/recommended/{workflow_id}")
async def recommended_clusters(workflow_id: UUID, request: Request, _: Annotated[dict, Depends(require("cluster:view"))]):
    state = request.app.state
    if await state.workflows.get(workflow_id) is None:
        return error_response(404, "Workflow not found")
    merged = await state.workflows.merged_data(workflow_id)
    ranked = merged.get("recommended_clusters")
    clusters = []
    for item in ranked or []:
        cluster = await state.clusters.by_budcluster_id(UUID(item["cluster_id"]))
        if cluster:
            clusters.append({**item, "id": str(cluster["id"]), "name": cluster["name"]})
    return success("cluster.recommended_clusters", "Recommended clusters listed successfully",
                   workflow_id=workflow_id, status="success" if ranked is not None else "processing", clusters=clusters)


async def start_local_deployment(state: Any, user: dict, workflow: dict, trigger_step: int, merged: dict, model: dict) -> dict:
    cluster = await state.clusters.by_budcluster_id(UUID(merged["cluster_id"]))
    if cluster is None:
        raise ClientException("Cluster not found", 404)
    if cluster["status"] != "available":
        raise ClientException("Cluster is not available")
    config = merged["deploy_config"]
    reply = await state.dapr.invoke("budcluster", "deployment", json={
        "cluster_id": merged["cluster_id"], "simulator_id": merged["simulator_id"],
        "endpoint_name": merged["endpoint_name"], "model": model["local_path"] or model["uri"],
        "concurrency": config["concurrent_requests"], "input_tokens": config["avg_context_length"],
        "output_tokens": config["avg_sequence_length"], "provider": model["provider_type"],
        "notification_metadata": notification_metadata(user, workflow["id"]), "source_topic": SOURCE_TOPIC,
    })
    await state.workflows.start_downstream(workflow["id"], trigger_step + 1, "budserve_cluster_events", reply)
    return await state.workflows.get(workflow["id"])


@on_results("deploy_model")
async def model_deployed(state: Any, workflow: dict, payload: dict) -> None:
    merged = await state.workflows.merged_data(workflow["id"])
    result = (payload.get("content") or {}).get("result") or {}
    model = await state.models.get(UUID(merged["model_id"]))
    cluster = await state.clusters.by_budcluster_id(UUID(merged["cluster_id"]))
    endpoint = await state.endpoints.insert(
        project_id=UUID(merged["project_id"]), model_id=model["id"], cluster_id=cluster["id"],
        bud_cluster_id=cluster["cluster_id"], name=merged["endpoint_name"], url=result["deployment_url"],
        namespace=result["namespace"], status="running", deployment_config=merged["deploy_config"],
        supported_endpoints=model["supported_endpoints"], created_by=workflow["created_by"],
    )
    await state.redis.set(f"model_table:{endpoint['id']}",
                          gateway_route(endpoint, "vllm", result["deployment_url"] + "/v1", model["supported_endpoints"]))
    step = workflow["current_step"] + 1
    await state.workflows.save_step(workflow["id"], step, {"endpoint_details": {
        "id": str(endpoint["id"]), "name": endpoint["name"], "url": endpoint["url"], "namespace": endpoint["namespace"]}})
    await state.workflows.update(workflow["id"], status="completed", current_step=step)


async def start_endpoint_deletion(state: Any, user: dict, endpoint: dict, workflow: dict) -> None:
    reply = await state.dapr.invoke("budcluster", "deployment/delete", json={
        "cluster_id": str(endpoint["bud_cluster_id"]), "namespace": endpoint["namespace"],
        "notification_metadata": notification_metadata(user, workflow["id"]), "source_topic": SOURCE_TOPIC,
    })
    await state.workflows.start_downstream(workflow["id"], 2, "delete_endpoint_events", reply)
    await state.endpoints.set_status(endpoint["id"], "deleting")


@on_results("delete_deployment")
async def deployment_deleted(state: Any, workflow: dict, payload: dict) -> None:
    merged = await state.workflows.merged_data(workflow["id"])
    endpoint_id = UUID(merged["endpoint_id"])
    if not await state.faults.is_on("delete_leaves_row"):
        await state.endpoints.set_status(endpoint_id, "deleted")
        await state.redis.delete(f"model_table:{endpoint_id}")
    await state.workflows.update(workflow["id"], status="completed")


