"""/clusters: onboarding (multipart, through budcluster), listing, reading, deletion."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

import yaml
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from sandbox.budapp.clusters_db import cluster_info, resources_from_nodes
from sandbox.budapp.events import on_results, on_status_update
from sandbox.budapp.icons import check_icon
from sandbox.budapp.security import dual_auth, require
from sandbox.budapp.workflow_routes import _unpack, client_error, render
from sandbox.budapp.workflows import StepRequest, required_missing
from sandbox.common.envelopes import ClientException, error_response, paginated, success

router = APIRouter(prefix="/clusters", tags=["clusters"])
SOURCE_TOPIC = "budAppMessages"
BUDCLUSTER = "budcluster"


def error_body_with_http_200(status: int, message: str) -> JSONResponse:
    """budapp's quirk: these early refusals are an ErrorResponse body sent with HTTP 200."""
    body = json.loads(bytes(error_response(status, message).body))
    return JSONResponse(body, status_code=200)


def notification_metadata(user: dict, workflow_id: UUID) -> dict:
    return {"name": "bud-internal", "subscriber_ids": str(user["id"]), "workflow_id": str(workflow_id)}


@router.post("/clusters")
async def onboard_cluster(
    request: Request,
    user: Annotated[dict, Depends(require("cluster:manage"))],
    step_number: Annotated[int, Form(gt=0)],
    name: Annotated[str | None, Form(min_length=1, max_length=100)] = None,
    icon: Annotated[str | None, Form(min_length=1, max_length=100)] = None,
    ingress_url: Annotated[str | None, Form()] = None,
    configuration_file: Annotated[UploadFile | None, File()] = None,
    workflow_id: Annotated[UUID | None, Form()] = None,
    workflow_total_steps: Annotated[int | None, Form()] = None,
    trigger_workflow: Annotated[bool, Form()] = False,
    cluster_type: Annotated[str, Form(pattern="^(ON_PREM|CLOUD)$")] = "ON_PREM",
):
    if workflow_id is None and workflow_total_steps is None:
        return error_body_with_http_200(400, "workflow_total_steps is required when workflow_id is not provided")
    if workflow_id is not None and workflow_total_steps is not None:
        return error_body_with_http_200(400, "workflow_total_steps and workflow_id cannot be provided together")
    if not any([name, ingress_url, configuration_file]):
        return error_body_with_http_200(
            400, "At least one of name, ingress_url, configuration_file is required when workflow_id is provided"
        )
    state = request.app.state
    check_icon(icon)
    try:
        data: dict[str, Any] = {"cluster_type": cluster_type}
        if name:
            if await state.clusters.name_taken(name):
                raise ClientException("Cluster name already exists")
            data["name"] = name
        if icon:
            data["icon"] = icon
        if ingress_url:
            data["ingress_url"] = ingress_url
        if configuration_file is not None:
            data["configuration_yaml"] = await _read_kubeconfig(configuration_file)
        step = StepRequest(
            workflow_id=workflow_id,
            workflow_total_steps=workflow_total_steps,
            step_number=step_number,
            trigger_workflow=trigger_workflow,
        )
        workflow = await state.workflows.begin_step(user, step, "cluster_onboarding", "Add cluster")
        await state.workflows.save_step(workflow["id"], step_number, data)
        if trigger_workflow:
            workflow = await _register_with_budcluster(state, user, workflow, step_number)
    except ClientException as exc:
        return client_error(exc)
    return success(**_unpack(await render(state, workflow)))


async def _read_kubeconfig(upload: UploadFile) -> dict:
    if not (upload.filename or "").lower().endswith((".yaml", ".yml")):
        raise ClientException("Invalid file extension for configuration file")
    try:
        parsed = yaml.safe_load(await upload.read())
    except yaml.YAMLError:
        raise ClientException("Invalid cluster configuration yaml file found") from None
    if not isinstance(parsed, dict):
        raise ClientException("Invalid cluster configuration yaml file found")
    return parsed


async def _register_with_budcluster(state: Any, user: dict, workflow: dict, trigger_step: int) -> dict:
    merged = await state.workflows.merged_data(workflow["id"])
    problem = required_missing(merged, ["name", "icon", "cluster_type", "configuration_yaml", "ingress_url"])
    if problem:
        raise problem
    if await state.clusters.name_taken(merged["name"]):
        raise ClientException("Cluster name already exists")
    create_request = {
        "enable_master_node": True,
        "name": merged["name"],
        "ingress_url": merged["ingress_url"],
        "cluster_type": merged["cluster_type"],
        "notification_metadata": notification_metadata(user, workflow["id"]),
        "source_topic": SOURCE_TOPIC,
    }
    reply = await state.dapr.invoke(
        BUDCLUSTER,
        "cluster",
        data={"cluster_create_request": json.dumps(create_request)},
        files={"configuration": ("config.yaml", yaml.safe_dump(merged["configuration_yaml"]), "application/yaml")},
    )
    await state.workflows.start_downstream(workflow["id"], trigger_step + 1, "create_cluster_events", reply)
    return await state.workflows.get(workflow["id"])


@on_results("register_cluster")
async def cluster_registered(state: Any, workflow: dict, payload: dict) -> None:
    """budcluster finished: the cluster becomes available and the workflow completes."""
    merged = await state.workflows.merged_data(workflow["id"])
    result = (payload.get("content") or {}).get("result") or {}
    cluster = await state.clusters.insert(
        cluster_id=UUID(str(result["id"])),
        name=merged["name"],
        icon=merged["icon"],
        ingress_url=merged["ingress_url"],
        cluster_type=merged.get("cluster_type", "ON_PREM"),
        status="available",
        created_by=workflow["created_by"],
        **resources_from_nodes(result.get("nodes") or []),
    )
    step = workflow["current_step"] + 1
    await state.workflows.save_step(
        workflow["id"],
        step,
        {
            "workflow_execution_status": {"status": "success", "message": "Cluster successfully added"},
            "cluster_id": str(cluster["id"]),
        },
    )
    await state.workflows.update(workflow["id"], status="completed", current_step=step)
    # budapp then asks budcluster to refresh the node status (a cluster-status-update event follows)
    await state.dapr.invoke(BUDCLUSTER, "cluster/update-node-status", json={"cluster_id": str(cluster["cluster_id"])})


@on_status_update
async def cluster_status_updated(state: Any, payload: dict) -> None:
    """budcluster's cluster-status-update: the cluster's status and, with a node list, its resources."""
    result = (payload.get("content") or {}).get("result") or {}
    cluster = await state.clusters.by_budcluster_id(UUID(str(result["cluster_id"])))
    if cluster is None or cluster["status"] == "deleting":
        return
    nodes = (result.get("node_info") or {}).get("nodes") or []
    await state.clusters.update(
        cluster["id"], status=result["status"], **(resources_from_nodes(nodes) if nodes else {})
    )


@router.get("/clusters")
async def list_clusters(
    request: Request,
    _: Annotated[dict, Depends(dual_auth("cluster:view"))],
    page: int = Query(1, ge=1),
    limit: int = Query(10, ge=0),
    name: str | None = None,
):
    rows, total = await request.app.state.clusters.search(name, (page - 1) * limit, limit)
    items = [{**cluster_info(c), "endpoint_count": 0} for c in rows]
    return paginated("cluster.list", "Successfully list all clusters", "clusters", items, page, limit, total)


@router.get("/{cluster_id}")
async def get_cluster(cluster_id: UUID, request: Request, _: Annotated[dict, Depends(dual_auth("cluster:view"))]):
    cluster = await request.app.state.clusters.get(cluster_id)
    if cluster is None:  # budapp's route answers every ClientException (here a 404 one) with 400
        return error_response(400, "Cluster not found")
    detail = {
        **cluster_info(cluster),
        "total_workers_count": cluster["cpu_total_workers"]
        + cluster["gpu_total_workers"]
        + cluster["hpu_total_workers"],
        "active_workers_count": 0,
        "total_endpoints_count": 0,
        "running_endpoints_count": 0,
        "hardware_type": _hardware(cluster),
    }
    return success("cluster.get", "Cluster details fetched successfully", cluster=jsonable_encoder(detail))


def _hardware(cluster: dict) -> list[str]:
    return [kind for kind in ("cpu", "gpu", "hpu") if cluster[f"{kind}_count"]]


@router.post("/{cluster_id}/delete-workflow")
async def delete_cluster(cluster_id: UUID, request: Request, user: Annotated[dict, Depends(require("cluster:manage"))]):
    state = request.app.state
    cluster = await state.clusters.get(cluster_id)
    if cluster is None:
        return error_response(404, "Cluster not found")
    if cluster["status"] == "deleting":
        return error_response(400, "Cluster is already deleting")
    if await state.endpoints.active_count("cluster_id", cluster["id"]):
        return error_response(400, "Cannot delete cluster with active deployments")
    try:
        workflow = await state.workflows.create(user["id"], "cluster_deletion", 1, "Delete cluster")
        await state.workflows.save_step(workflow["id"], 1, {"cluster_id": str(cluster["id"])})
        reply = await state.dapr.invoke(
            BUDCLUSTER,
            "cluster/delete",
            json={
                "cluster_id": str(cluster["cluster_id"]),
                "notification_metadata": notification_metadata(user, workflow["id"]),
                "source_topic": SOURCE_TOPIC,
            },
        )
        await state.workflows.start_downstream(workflow["id"], 2, "delete_cluster_events", reply)
        await state.clusters.update(cluster["id"], status="deleting")
    except ClientException as exc:
        return client_error(exc)
    return success("cluster.delete", "Cluster deleting initiated successfully")


@on_results("delete_cluster")
async def cluster_deleted(state: Any, workflow: dict, payload: dict) -> None:
    merged = await state.workflows.merged_data(workflow["id"])
    await state.clusters.update(UUID(merged["cluster_id"]), status="deleted")
    await state.workflows.update(workflow["id"], status="completed")
