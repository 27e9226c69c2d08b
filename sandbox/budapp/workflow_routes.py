"""/workflows: read, list, mark completed, delete; and the rendered workflow view."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from sandbox.budapp.clusters_db import cluster_info
from sandbox.budapp.models_db import cloud_model_info, provider_info, workflow_model
from sandbox.budapp.schemas import project_info
from sandbox.budapp.security import current_active_user
from sandbox.budapp.workflows import blank_step_view, workflow_view
from sandbox.common.envelopes import ClientException, error_response, paginated, success

router = APIRouter(prefix="/workflows", tags=["workflows"])

DELETE_MESSAGES = {
    "cloud_model_onboarding": "Successfully cancelled model onboarding.",
    "local_model_onboarding": "Successfully cancelled model onboarding.",
    "cluster_onboarding": "Successfully cancelled cluster onboarding.",
    "cluster_deletion": "Successfully cancelled cluster deletion.",
    "model_deployment": "Successfully cancelled model deployment.",
    "endpoint_deletion": "Successfully cancelled deployment deletion.",
}


async def render(state: Any, workflow: dict[str, Any], message: str | None = None) -> dict[str, Any]:
    """RetrieveWorkflowDataResponse: merged step data with ids resolved into objects."""
    merged = await state.workflows.merged_data(workflow["id"])
    steps = blank_step_view()
    steps.update({k: v for k, v in merged.items() if k in steps})
    if merged.get("provider_id"):
        steps["provider"] = provider_info(await state.catalog.provider(UUID(merged["provider_id"])))
    if merged.get("cloud_model_id"):
        cloud = await state.catalog.cloud_model(UUID(merged["cloud_model_id"]))
        steps["cloud_model"] = cloud_model_info(cloud) if cloud else None
    if merged.get("model_id"):
        model = await state.models.get(UUID(merged["model_id"]))
        if model:
            provider = await state.catalog.provider(model["provider_id"]) if model["provider_id"] else None
            steps["model"] = workflow_model(model, provider)
    if merged.get("project_id"):
        project = await state.projects.by_id(UUID(merged["project_id"]))
        steps["project"] = project_info(project) if project else None
    if merged.get("cluster_id"):
        cluster_id = UUID(merged["cluster_id"])
        cluster = await state.clusters.get(cluster_id) or await state.clusters.by_budcluster_id(cluster_id)
        steps["cluster"] = cluster_info(cluster) if cluster else None
    return workflow_view(workflow, steps, **({"message": message} if message else {}))


@router.get("")
async def list_workflows(
    request: Request,
    user: dict[str, Any] = Depends(current_active_user),
    page: int = Query(1, ge=1),
    limit: int = Query(10, ge=0),
    workflow_type: str | None = None,
):
    rows, total = await request.app.state.workflows.in_progress_of(user["id"], workflow_type, (page - 1) * limit, limit)
    items = [
        {
            k: w[k]
            for k in (
                "id",
                "title",
                "icon",
                "tag",
                "progress",
                "workflow_type",
                "total_steps",
                "status",
                "current_step",
                "reason",
                "created_at",
                "modified_at",
            )
        }
        for w in rows
    ]
    return paginated("workflow.list", "Successfully list all workflows", "workflows", items, page, limit, total)


@router.get("/{workflow_id}")
async def get_workflow(workflow_id: UUID, request: Request, _: dict[str, Any] = Depends(current_active_user)):
    workflow = await request.app.state.workflows.get(workflow_id)
    if workflow is None:
        return error_response(400, "Workflow not found")
    return success(**_unpack(await render(request.app.state, workflow)))


@router.patch("/{workflow_id}")
async def mark_completed(workflow_id: UUID, request: Request, user: dict[str, Any] = Depends(current_active_user)):
    workflows = request.app.state.workflows
    workflow = await workflows.get(workflow_id)
    if workflow is None or workflow["created_by"] != user["id"]:
        return error_response(404, "Workflow not found")
    if workflow["status"] == "failed":
        return error_response(400, "Workflow is failed")
    workflow = await workflows.update(workflow_id, status="completed")
    return success(
        "workflow.get",
        "Workflow marked as completed",
        id=workflow["id"],
        total_steps=workflow["total_steps"],
        status=workflow["status"],
        current_step=workflow["current_step"],
        reason=workflow["reason"],
    )


@router.delete("/{workflow_id}")
async def delete_workflow(workflow_id: UUID, request: Request, user: dict[str, Any] = Depends(current_active_user)):
    workflows = request.app.state.workflows
    workflow = await workflows.get(workflow_id)
    if workflow is None or workflow["created_by"] != user["id"]:
        return error_response(404, "Workflow not found")
    if workflow["status"] != "in_progress":
        return error_response(400, "Workflow is not in progress state")
    await workflows.delete(workflow_id)
    return success("workflow.delete", DELETE_MESSAGES.get(workflow["workflow_type"], "Workflow deleted successfully"))


def _unpack(view: dict[str, Any]) -> dict[str, Any]:
    """success() takes object and message by name."""
    return {"object_name": view.pop("object"), **view}


def client_error(exc: ClientException):
    """budapp's step routes turn a ClientException into an ErrorResponse with its status."""
    return error_response(exc.status_code, exc.message)
