"""budcluster (sandbox): cluster registration and deletion as Dapr workflows over simulated clusters."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import yaml
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sandbox.budcluster.simulated import KubeconfigError, config_hash, current_server, load_cluster
from sandbox.common.app_factory import create_service_app
from sandbox.common.downstream import DownstreamWorkflow, SourceTopic, Step, StepFailed, start_in_background
from sandbox.common.simulated_models import stored_model
from sandbox.settings import SUITE_ROOT, get_settings

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS budcluster;
CREATE TABLE IF NOT EXISTS budcluster.cluster (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    server VARCHAR NOT NULL,
    config_hash VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    nodes JSONB NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
"""
SCHEMA_LOCK = 7_019_003
DUPLICATE_CLUSTER = "This cluster is already registered. Please delete it and try again."


def simulated_clusters_dir() -> Path:
    return Path(os.environ.get("SANDBOX_SIMULATED_CLUSTERS_DIR") or SUITE_ROOT / "data" / "clusters")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"object": "error", "code": status, "message": message, "param": None}, status_code=status)


async def start(app: FastAPI) -> None:
    app.state.pool = await asyncpg.create_pool(app.state.settings.postgres_dsn, min_size=1, max_size=5)
    async with app.state.pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await connection.execute(SCHEMA)


async def stop(app: FastAPI) -> None:
    await app.state.pool.close()


app = create_service_app("budcluster", settings=get_settings(), on_startup=start, on_shutdown=stop)


def _workflow(
    app: FastAPI, name: str, payload_type: str, steps: list[Step], request: dict[str, Any]
) -> DownstreamWorkflow:
    return DownstreamWorkflow(
        name=name,
        payload_type=payload_type,
        source="budcluster",
        steps=steps,
        notification_metadata=request.get("notification_metadata") or {},
        dapr_url=app.state.settings.url("dapr"),
    )


async def _stall_point(app: FastAPI) -> int | None:
    return 1 if await app.state.faults.is_on("workflow_stalls") else None


@app.post("/cluster")
async def register_cluster(
    request: Request, cluster_create_request: str = Form(...), configuration: UploadFile = File(...)
):
    """Start the register_cluster workflow; events follow on budAppMessages."""
    try:
        create = json.loads(cluster_create_request)
        kubeconfig = yaml.safe_load(await configuration.read())
        server = current_server(kubeconfig)
    except (ValueError, yaml.YAMLError, KubeconfigError) as exc:
        return error(400, f"Invalid cluster configuration: {exc}")
    pool = request.app.state.pool
    digest = config_hash(kubeconfig)
    cluster_id = uuid.uuid4()

    async def determine_platform(context: dict) -> str:
        # budcluster's first step already talks to the API server (an Ansible playbook).
        simulated = load_cluster(simulated_clusters_dir(), server)
        if simulated is None:
            raise StepFailed("Cluster platform determination failed")
        context["simulated"] = simulated
        return "Cluster platform determined successfully"

    async def check_duplicate(context: dict) -> str:
        # budcluster refuses a second registration of the same API server while the first exists.
        if await pool.fetchval("SELECT 1 FROM budcluster.cluster WHERE server = $1 AND status <> 'deleted'", server):
            raise StepFailed(DUPLICATE_CLUSTER)
        return "Duplicate cluster not found"

    async def verify_connection(context: dict) -> str:
        return "Cluster connection verified successfully"

    async def configure(context: dict) -> str:
        return "Cluster configured successfully"

    async def fetch_info(context: dict) -> str:
        context["nodes"] = context["simulated"].get("nodes", [])
        return "Cluster info fetched successfully"

    async def results(context: dict) -> dict:
        await pool.execute(
            "INSERT INTO budcluster.cluster (id, name, server, config_hash, status, nodes) "
            "VALUES ($1,$2,$3,$4,'available',$5)",
            cluster_id,
            create.get("name", ""),
            server,
            digest,
            json.dumps(context["nodes"]),
        )
        return {"id": str(cluster_id), "name": create.get("name"), "nodes": context["nodes"], "status": "available"}

    steps = [
        Step(
            "determine_cluster_platform",
            "Determining cluster platform",
            "Determine the cluster platform",
            determine_platform,
        ),
        Step(
            "check_duplicate_config",
            "Checking for duplicate cluster",
            "Check for any duplicate cluster",
            check_duplicate,
        ),
        Step(
            "verify_cluster_connection",
            "Verifying cluster connection",
            "Verify the cluster connection",
            verify_connection,
        ),
        Step("configure_cluster", "Configuring cluster", "Configure the cluster", configure),
        Step("fetch_cluster_info", "Fetching cluster info", "Fetch the cluster info", fetch_info),
    ]
    workflow = _workflow(request.app, "register_cluster", "register_cluster", steps, create)
    stall = await _stall_point(request.app)
    start_in_background(workflow.execute(results, stall_after=stall))
    return workflow.metadata()


class UpdateNodeStatusRequest(BaseModel):
    cluster_id: uuid.UUID


@app.post("/cluster/update-node-status")
async def update_node_status(body: UpdateNodeStatusRequest, request: Request):
    """Schedule update_cluster_status: one cluster-status-update event with the cluster's nodes follows."""
    state = request.app.state
    workflow_id = str(uuid.uuid4())

    async def report() -> None:
        cluster = await state.pool.fetchrow(
            "SELECT status, nodes FROM budcluster.cluster WHERE id = $1 AND status <> 'deleted'", body.cluster_id
        )
        if cluster is None:  # budcluster skips a cluster it does not know, silently
            return
        event = "cluster-status-update"
        cluster_id = str(body.cluster_id)
        await _workflow(request.app, "update_cluster_status", event, [], {}).publish(
            {
                "notification_type": "event",
                "name": event,
                "subscriber_ids": None,
                "payload": {
                    "category": "internal",
                    "type": event,
                    "event": "results",
                    "source": "budcluster",
                    "workflow_id": workflow_id,
                    "content": {
                        "title": "Cluster status updated",
                        "message": f"Cluster {cluster_id} status updated",
                        "status": "COMPLETED",
                        "result": {
                            "cluster_id": cluster_id,
                            "status": cluster["status"],
                            "node_info": {"id": cluster_id, "nodes": json.loads(cluster["nodes"])},
                        },
                    },
                },
            }
        )

    start_in_background(report())
    return {
        "object": "workflow_metadata",
        "workflow_id": workflow_id,
        "workflow_name": "update_cluster_status",
        "steps": [
            {
                "id": "update_cluster_status",
                "title": "Updating cluster status",
                "description": "Update the cluster status",
            }
        ],
        "status": "PENDING",
        "eta": 30,
    }


class DeleteClusterRequest(BaseModel):
    cluster_id: uuid.UUID
    notification_metadata: dict[str, Any] = {}
    source_topic: SourceTopic = None


@app.post("/cluster/delete")
async def delete_cluster(body: DeleteClusterRequest, request: Request):
    pool = request.app.state.pool
    if not await pool.fetchval(
        "SELECT 1 FROM budcluster.cluster WHERE id = $1 AND status <> 'deleted'", body.cluster_id
    ):
        return error(404, "Cluster not found")

    async def delete_namespace(context: dict) -> str:
        return "Namespaces removed"

    async def results(context: dict) -> dict:
        await pool.execute("UPDATE budcluster.cluster SET status = 'deleted' WHERE id = $1", body.cluster_id)
        return {"id": str(body.cluster_id), "status": "deleted"}

    steps = [Step("delete_namespace", "Delete namespace", "Remove the bud namespaces", delete_namespace)]
    workflow = _workflow(request.app, "delete_cluster", "delete_cluster", steps, body.model_dump(mode="json"))
    start_in_background(workflow.execute(results, stall_after=await _stall_point(request.app)))
    return workflow.metadata()


@app.get("/cluster/{cluster_id}/nodes")
async def cluster_nodes(cluster_id: uuid.UUID, request: Request):
    """budmicroframe SuccessResponse with the node list in ``param`` (empty for an unknown cluster)."""
    nodes = await request.app.state.pool.fetchval(
        "SELECT nodes FROM budcluster.cluster WHERE id = $1 AND status <> 'deleted'", cluster_id
    )
    listed = json.loads(nodes) if nodes else []
    return {
        "object": "info",
        "message": "Cluster nodes fetched successfully",
        "param": {
            "nodes": [
                {"name": n["name"], "status": n.get("status", True), "devices": n.get("devices", [])} for n in listed
            ]
        },
    }


class DeploymentRequest(BaseModel):
    cluster_id: uuid.UUID
    simulator_id: uuid.UUID | None = None
    endpoint_name: str
    model: str
    concurrency: int = 1
    input_tokens: int | None = None
    output_tokens: int | None = None
    notification_metadata: dict[str, Any] = {}
    source_topic: SourceTopic = None
    model_config = {"extra": "allow"}


@app.post("/deployment")
async def deploy_model(body: DeploymentRequest, request: Request):
    """Start the deploy_model workflow on a registered cluster."""
    state = request.app.state
    cluster = await state.pool.fetchrow(
        "SELECT name, server, nodes FROM budcluster.cluster WHERE id = $1 AND status = 'available'", body.cluster_id
    )
    if cluster is None:
        return error(400, "Cluster not found or not available")
    namespace = f"{body.endpoint_name.lower()[:40]}-{uuid.uuid4().hex[:6]}"
    url = f"http://{namespace}.{simulated_host(cluster['server'])}"
    node = (json.loads(cluster["nodes"]) or [{"name": "node-1"}])[0]

    async def passes(context: dict) -> None:
        return None

    async def verify_status(context: dict) -> str:
        return "Engine health verified successfully"

    async def benchmark(context: dict) -> str:
        return "Performance benchmark successful"

    async def results(context: dict) -> dict:
        served = (await stored_model(state.redis, body.model) or {}).get("supported_endpoints")
        return deploy_model_result(workflow.id, body, namespace, url, node, served)

    steps = [
        Step("verify_cluster_connection", "Verify cluster connection", "Reach the cluster", passes),
        Step("transfer_model_to_cluster", "Transfer model", "Copy the weights to the cluster", passes),
        Step("deploy_to_engine", "Deploy to engine", "Start the inference engine", passes),
        Step("verify_deployment_status", "Verify deployment status", "Wait for the workers", verify_status),
        Step("run_performance_benchmark", "Run performance benchmark", "Measure the deployment", benchmark),
    ]
    workflow = _workflow(request.app, "deploy_model", "deploy_model", steps, body.model_dump(mode="json"))
    stall = await _stall_point(request.app)
    if await state.faults.is_on("deployment_never_ready"):
        stall = 3
    start_in_background(workflow.execute(results, stall_after=stall))
    return workflow.metadata()


def deploy_model_result(
    workflow_id: str, body: DeploymentRequest, namespace: str, url: str, node: dict, served: list[str] | None = None
) -> dict:
    """budcluster's DeployModelWorkflowResult: the benchmark under ``result`` (with the URL), the rest beside it.
    ``served``: the endpoints the deployed model supports (chat completions when its description names none)."""
    served = served or ["/v1/chat/completions"]
    worker = {
        "name": f"{namespace}-worker-0",
        "status": "Running",
        "node_name": node["name"],
        "device_name": "cpu",
        "concurrency": body.concurrency,
        "cores": 1,
        "memory": "4Gi",
        "deployment_status": "ready",
    }
    return {
        "result": {
            "deployment_url": url,
            "successful_requests": body.concurrency,
            "total_input_tokens": (body.input_tokens or 0) * body.concurrency,
            "mean_ttft_ms": 120.0,
            "mean_e2el_ms": 900.0,
            "output_throughput": 40.0,
        },
        "performance_status": True,
        "benchmark_status": True,
        "workflow_id": workflow_id,
        "cluster_id": str(body.cluster_id),
        "simulator_id": str(body.simulator_id) if body.simulator_id else None,
        "namespace": namespace,
        "deployment_status": {
            "status": "ready",
            "replicas": {"total": 1, "available": 1, "reason": None},
            "ingress_health": True,
            "worker_data_list": [worker],
            "supported_endpoints": served,
        },
        "number_of_nodes": 1,
        "credential_id": None,
        "deploy_config": [{"name": node["name"], "type": "cpu", "replicas": 1, "concurrency": body.concurrency}],
        "bud_cluster_benchmark_id": None,
        "supported_endpoints": served,
    }


class DeleteDeploymentRequest(BaseModel):
    cluster_id: uuid.UUID
    namespace: str
    notification_metadata: dict[str, Any] = {}
    source_topic: SourceTopic = None
    model_config = {"extra": "allow"}


@app.post("/deployment/delete")
async def delete_deployment(body: DeleteDeploymentRequest, request: Request):
    async def remove(context: dict) -> str:
        return f"Namespace {body.namespace} removed"

    async def results(context: dict) -> dict:
        return {"namespace": body.namespace, "status": "deleted"}

    steps = [Step("delete_deployment", "Delete deployment", "Remove the engine and its namespace", remove)]
    workflow = _workflow(request.app, "delete_deployment", "delete_deployment", steps, body.model_dump(mode="json"))
    start_in_background(workflow.execute(results, stall_after=await _stall_point(request.app)))
    return workflow.metadata()


def simulated_host(server: str) -> str:
    return urlparse(server).hostname or "cluster.local"
