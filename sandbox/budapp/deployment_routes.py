"""Deployments: POST /models/deploy-workflow, /endpoints, provider credentials."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import UUID4, BaseModel, Field, field_validator

from sandbox.budapp import local_routes
from sandbox.budapp.clusters_db import cluster_info
from sandbox.budapp.endpoints_db import credential_listed, gateway_route
from sandbox.budapp.models_db import model_info
from sandbox.budapp.security import current_active_user, dual_auth, require
from sandbox.budapp.workflow_routes import _unpack, client_error, render
from sandbox.budapp.workflows import StepRequest, required_missing
from sandbox.common.envelopes import ClientException, error_response, paginated, success

router = APIRouter(tags=["deployments"])
CLOUD_API_BASE = "budproxy-service.svc.cluster.local"
ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9-]+$")


class DeployConfig(BaseModel):
    concurrent_requests: int = Field(gt=0)
    avg_sequence_length: int = Field(ge=0)
    avg_context_length: int = Field(ge=0, le=200000)
    per_session_tokens_per_sec: list[int] | None = None
    ttft: list[int] | None = None
    e2e_latency: list[int] | None = None


class DeployStep(StepRequest):
    model_id: UUID4 | None = None
    cluster_id: UUID4 | None = None
    project_id: UUID4 | None = None
    template_id: UUID4 | None = None
    endpoint_name: str | None = Field(None, min_length=1, max_length=100)
    deploy_config: DeployConfig | None = None
    credential_id: UUID4 | None = None
    hardware_mode: str | None = Field(None, pattern="^(dedicated|shared)$")
    enable_tool_calling: bool | None = None
    enable_reasoning: bool | None = None
    simulator_id: UUID4 | None = None

    @field_validator("endpoint_name")
    @classmethod
    def endpoint_name_as_budapp_stores_it(cls, value: str | None) -> str | None:
        """Spaces become hyphens; letters, digits and hyphens only; outer hyphens dropped; lower case."""
        if value is None:
            return None
        value = value.replace(" ", "-")
        if not ENDPOINT_NAME.match(value):
            raise ValueError("Endpoint name can only contain letters, numbers, hyphens (-)")
        return value.strip("- ").lower()


async def _validate(state: Any, body: DeployStep) -> None:
    """Per-call validation of the fields the call carries."""
    if body.project_id and await state.projects.by_id(body.project_id) is None:
        raise ClientException("Project not found", 404)
    if body.model_id and await state.models.get(body.model_id) is None:
        raise ClientException("Model not found", 404)
    if body.credential_id and await state.credentials.get(body.credential_id) is None:
        raise ClientException("Credential not found", 404)
    if body.workflow_id:  # budapp checks the name only in a workflow that already has steps
        name = (await state.workflows.merged_data(body.workflow_id)).get("endpoint_name") or body.endpoint_name
        if name and await state.endpoints.name_taken(name):
            raise ClientException("An endpoint with this name already exists")


@router.post("/models/deploy-workflow")
async def deploy_workflow(
    body: DeployStep, request: Request, user: Annotated[dict, Depends(dual_auth("endpoint:manage"))]
):
    state = request.app.state
    try:
        await _validate(state, body)
        workflow = await state.workflows.begin_step(user, body, "model_deployment", "Deploy model")
        step_number = body.step_number
        if body.deploy_config is not None and await _simulate_if_local(state, user, workflow, body):
            step_number += 1  # the simulation took the next step, the trigger the one after
        if body.trigger_workflow:
            workflow = await _deploy(state, user, workflow, step_number)
    except ClientException as exc:
        return client_error(exc)
    return success(**_unpack(await render(state, workflow)))


async def _simulate_if_local(state: Any, user: dict, workflow: dict, body: DeployStep) -> bool:
    """A deploy_config for a local model starts budsim at once (also in a triggering call), unless the
    call brings its own simulator_id; True when a simulation started."""
    merged = await state.workflows.merged_data(workflow["id"])
    if not merged.get("model_id"):
        raise ClientException("Model ID is not provided")
    model = await state.models.get(UUID(merged["model_id"]))
    if model is None or model["provider_type"] == "cloud_model" or body.simulator_id:
        return False
    await local_routes.start_simulation(state, user, workflow, body.step_number, merged, model)
    return True


async def _deploy(state: Any, user: dict, workflow: dict, trigger_step: int) -> dict:
    merged = await state.workflows.merged_data(workflow["id"])
    model = await state.models.get(UUID(merged["model_id"])) if merged.get("model_id") else None
    cloud = model is not None and model["provider_type"] == "cloud_model"
    extra = ["credential_id"] if cloud else ["cluster_id", "simulator_id"]
    problem = required_missing(merged, ["model_id", "project_id", "endpoint_name", "deploy_config", *extra])
    if problem:
        raise problem
    # the step that named model_id checked the model exists
    assert model is not None, f"workflow {workflow['id']} names a model that does not exist"
    if not cloud:
        return await local_routes.start_local_deployment(state, user, workflow, trigger_step, merged, model)
    endpoint = await state.endpoints.insert(
        project_id=UUID(merged["project_id"]),
        model_id=model["id"],
        name=merged["endpoint_name"],
        url=CLOUD_API_BASE,
        namespace=model["uri"].split("/", 1)[-1],
        status="running",
        credential_id=UUID(merged["credential_id"]),
        deployment_config=merged["deploy_config"],
        supported_endpoints=model["supported_endpoints"],
        created_by=user["id"],
    )
    await state.gateway_redis.set(
        f"model_table:{endpoint['id']}",
        gateway_route(endpoint, model["source"], CLOUD_API_BASE, model["supported_endpoints"]),
    )
    events = {
        "status": "completed",
        "endpoint_id": str(endpoint["id"]),
        "endpoint_url": CLOUD_API_BASE,
        "message": "Cloud model endpoint created successfully",
    }
    step = trigger_step + 1
    await state.workflows.save_step(
        workflow["id"], step, {"budserve_cluster_events": events, "endpoint_details": {"id": str(endpoint["id"])}}
    )
    return await state.workflows.update(
        workflow["id"],
        status="completed",
        current_step=step,
        progress={**events, "progress_type": "budserve_cluster_events"},
    )


async def endpoint_info(state: Any, endpoint: dict) -> dict:
    model = await state.models.get(endpoint["model_id"]) or {}
    provider = await state.catalog.provider(model["provider_id"]) if model.get("provider_id") else None
    cluster = await state.clusters.get(endpoint["cluster_id"]) if endpoint["cluster_id"] else None
    return {
        "id": endpoint["id"],
        "name": endpoint["name"],
        "status": endpoint["status"],
        "model": model_info(model, provider) if model else None,
        "cluster": cluster_info(cluster) if cluster else None,
        "created_at": endpoint["created_at"],
        "modified_at": endpoint["modified_at"],
        "is_deprecated": False,
        "supported_endpoints": endpoint["supported_endpoints"],
        "is_published": False,
        "published_date": None,
        "published_by": None,
    }


@router.get("/endpoints/")
async def list_endpoints(
    request: Request,
    _: Annotated[dict, Depends(require("endpoint:view"))],
    page: int = Query(1, ge=1),
    limit: int = Query(10, ge=0),
    project_id: UUID | None = None,
    name: str | None = None,
    status: str | None = None,
):
    state = request.app.state
    rows, total = await state.endpoints.search(
        {"project_id": project_id, "name": name, "status": status}, (page - 1) * limit, limit
    )
    items = [await endpoint_info(state, e) for e in rows]
    return paginated("endpoints.list", "Successfully list all endpoints", "endpoints", items, page, limit, total)


@router.post("/endpoints/{endpoint_id}/delete-workflow")
async def delete_endpoint(
    endpoint_id: UUID, request: Request, user: Annotated[dict, Depends(dual_auth("endpoint:manage"))]
):
    """A cloud endpoint (no cluster) is deleted synchronously."""
    state = request.app.state
    endpoint = await state.endpoints.get(endpoint_id)
    if endpoint is None:
        return error_response(404, "Endpoint not found")
    if endpoint["status"] == "deleting":
        return error_response(400, "Deployment is already deleting")
    workflow = await state.workflows.create(user["id"], "endpoint_deletion", 1, "Delete deployment")
    await state.workflows.save_step(workflow["id"], 1, {"endpoint_id": str(endpoint_id)})
    if endpoint["bud_cluster_id"]:
        try:
            await local_routes.start_endpoint_deletion(state, user, endpoint, workflow)
        except ClientException as exc:
            return client_error(exc)
        return success("endpoint.delete", "Deployment deleting initiated successfully", workflow_id=workflow["id"])
    if not await state.faults.is_on("delete_leaves_row"):
        await state.endpoints.set_status(endpoint_id, "deleted")
        await state.gateway_redis.delete(f"model_table:{endpoint_id}")
    await state.workflows.update(workflow["id"], status="completed")
    return success("endpoint.delete", "Deployment deleting initiated successfully", workflow_id=workflow["id"])


class CredentialRequest(BaseModel):
    name: str
    type: str
    provider_id: UUID | None = None
    other_provider_creds: dict[str, Any] | None = None


def _sealed(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Provider secrets are never kept in clear; the sandbox keeps a digest in their place."""
    if values is None:
        return None
    return {k: "sealed:" + hashlib.sha256(str(v).encode()).hexdigest()[:16] for k, v in values.items()}


@router.post("/proprietary/credentials/", status_code=201)
async def create_credential(
    body: CredentialRequest, request: Request, user: Annotated[dict, Depends(require("model:manage"))]
):
    credential = await request.app.state.credentials.insert(
        name=body.name,
        type=body.type,
        provider_id=body.provider_id,
        other_provider_creds=_sealed(body.other_provider_creds),
        user_id=user["id"],
    )
    # budapp's ProprietaryCredentialResponse: the stored (encrypted) provider values, no provider id or timestamp
    created = {
        "name": credential["name"],
        "type": credential["type"],
        "other_provider_creds": credential["other_provider_creds"],
        "id": credential["id"],
    }
    return JSONResponse(status_code=201, content=_single(created, "Credential added successfully"))


@router.get("/proprietary/credentials/")
async def list_credentials(
    request: Request,
    user: Annotated[dict, Depends(current_active_user)],
    page: int = Query(1, ge=1),
    limit: int = Query(10, ge=0),
):
    """The caller's own credentials (budapp asks for no permission), each with its running endpoints counted."""
    rows, total = await request.app.state.credentials.page_of_user(user["id"], (page - 1) * limit, limit)
    return paginated(
        "info",
        "Proprietary credentials listed successfully",
        "credentials",
        [credential_listed(c) for c in rows],
        page,
        limit,
        total,
    )


@router.delete("/proprietary/credentials/{credential_id}")
async def delete_credential(credential_id: UUID, request: Request, user: Annotated[dict, Depends(current_active_user)]):
    """budapp asks for no permission here, only for the credential's owner (HTTPExceptions: {"detail": ...})."""
    state = request.app.state
    credential = await state.credentials.get(credential_id)
    if credential is None:
        raise HTTPException(status_code=404, detail="Credential not found")
    if credential["user_id"] != user["id"]:
        raise HTTPException(status_code=403, detail="User does not have permission to delete this credential")
    await state.credentials.delete(credential_id)
    return success("info", "Credential deleted successfully")


def _single(result: Any, message: str) -> dict:
    return jsonable_encoder({"success": True, "result": result, "message": message})
