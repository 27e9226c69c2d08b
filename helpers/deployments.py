"""Deploying models: the deploy-workflow steps, endpoints, provider credentials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from helpers.api_client import APIClient, Token
from helpers.assertions import assert_status
from helpers.masking import register_secret
from helpers.naming import unique_name

DEPLOY_STEPS = 8
DEFAULT_DEPLOY_CONFIG = {"concurrent_requests": 2, "avg_sequence_length": 128, "avg_context_length": 512}


class DeploymentsAPI:
    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp

    async def step(
        self, token: Token, step_number: int, workflow_id: str | None = None, **fields: Any
    ) -> httpx.Response:
        body: dict[str, Any] = {"step_number": step_number, **fields}
        if workflow_id:
            body["workflow_id"] = workflow_id
        else:
            body["workflow_total_steps"] = DEPLOY_STEPS
        return await self.budapp.post("/models/deploy-workflow", json=body, token=token)

    async def endpoints(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/endpoints/", params=params, token=token)

    async def delete_endpoint(self, token: Token, endpoint_id: str) -> httpx.Response:
        return await self.budapp.post(f"/endpoints/{endpoint_id}/delete-workflow", token=token)

    async def endpoint_ids_named(self, token: Token, project_id: str, endpoint_name: str) -> list[str]:
        """Ids of the live endpoints called ``endpoint_name`` in the project: what a deployment that failed
        half-way (a 500 after budapp stored the endpoint) leaves for its test to delete."""
        response = await self.endpoints(token, project_id=project_id, name=endpoint_name)
        if response.status_code != 200:
            return []
        return [
            e["id"] for e in response.json()["endpoints"] if e["name"] == endpoint_name and e["status"] != "deleted"
        ]

    async def create_provider_credential(
        self, token: Token, name: str, provider_type: str, provider_id: str, api_key: str, **other_creds: str
    ) -> httpx.Response:
        """Store a provider key (and e.g. ``api_base`` of an OpenAI-compatible server) for cloud endpoints."""
        register_secret(api_key)
        return await self.budapp.post(
            "/proprietary/credentials/",
            token=token,
            json={
                "name": name,
                "type": provider_type,
                "provider_id": provider_id,
                "other_provider_creds": {"api_key": api_key, **other_creds},
            },
        )

    async def provider_credentials(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/proprietary/credentials/", params=params, token=token)

    async def delete_provider_credential(self, token: Token, credential_id: str) -> httpx.Response:
        return await self.budapp.delete(f"/proprietary/credentials/{credential_id}", token=token)

    async def deploy_cloud_model(
        self,
        token: Token,
        *,
        project_id: str,
        model_id: str,
        credential_id: str,
        endpoint_name: str,
        deploy_config: dict | None = None,
    ) -> dict[str, Any]:
        """The UI's cloud sequence: step 1 {project, model}, 2 {credential}, 4 {name, config, trigger}."""
        first = await self.step(token, 1, project_id=project_id, model_id=model_id, hardware_mode="shared")
        assert first.status_code == 200, f"deploy step 1 failed: {first.status_code} {first.text[:300]}"
        workflow_id = first.json()["workflow_id"]
        second = await self.step(token, 2, workflow_id, credential_id=credential_id)
        assert second.status_code == 200, f"deploy step 2 failed: {second.status_code} {second.text[:300]}"
        final = await self.step(
            token,
            4,
            workflow_id,
            endpoint_name=endpoint_name,
            deploy_config=deploy_config or DEFAULT_DEPLOY_CONFIG,
            trigger_workflow=True,
        )
        assert final.status_code == 200, f"deploy trigger failed: {final.status_code} {final.text[:300]}"
        return final.json()


@dataclass
class LocalDeployment:
    """A finished local deployment: the workflow record and budapp's endpoint it created."""

    record: dict[str, Any]
    endpoint: dict[str, Any]


async def deployed_endpoint(api: DeploymentsAPI, token: Token, project_id: str, endpoint_name: str) -> dict[str, Any]:
    """budapp's endpoint named ``endpoint_name`` in the project, from the endpoint list.

    A deployment workflow's ``endpoint_details`` is budcluster's deployment result (namespace,
    cluster, URL), not budapp's endpoint: the list is where budapp's id and name are.
    """
    response = await api.endpoints(token, project_id=project_id, name=endpoint_name)
    assert response.status_code == 200, f"listing endpoints failed: {response.status_code} {response.text[:300]}"
    found = [e for e in response.json()["endpoints"] if e["name"] == endpoint_name]
    assert len(found) == 1, f"expected one endpoint named {endpoint_name!r} in project {project_id}, found {len(found)}"
    return found[0]


async def start_simulation(
    api: DeploymentsAPI,
    token: Token,
    *,
    project_id: str,
    model_id: str,
    endpoint_name: str | None = None,
    deploy_config: dict | None = None,
    started: Callable[[Token, str], None] | None = None,
    **step_one: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Steps 1 {project, model, ``step_one``} and 4 {endpoint name, deploy config} of a local deployment, after
    which budsim ranks the clusters; returns both answers. ``started`` (a workflow janitor) is told the workflow
    as soon as it exists, so that a failing step 4 leaves nothing behind."""
    first = assert_status(await api.step(token, 1, project_id=project_id, model_id=model_id, **step_one), 200)
    if started is not None:
        started(token, first["workflow_id"])
    fourth = await api.step(
        token,
        4,
        first["workflow_id"],
        endpoint_name=endpoint_name or unique_name("endpoint"),
        deploy_config=deploy_config or DEFAULT_DEPLOY_CONFIG,
    )
    return first, assert_status(fourth, 200)


async def deploy_local_model(
    api: DeploymentsAPI,
    waiter,
    token: Token,
    *,
    project_id: str,
    model_id: str,
    cluster_id: str,
    endpoint_name: str,
    deploy_config: dict | None = None,
) -> dict[str, Any]:
    """The UI's local sequence: 1 {project, model}, 4 {name, config} (budsim runs), wait for the
    recommendations, 6 {cluster_id: budcluster's id}, 8 {trigger}; returns the completed record.

    ``cluster_id`` is budapp's cluster id: the recommendation for it gives budcluster's id.
    ``waiter`` is a WorkflowWaiter of the same client and token.
    """
    first, _ = await start_simulation(
        api,
        token,
        project_id=project_id,
        model_id=model_id,
        endpoint_name=endpoint_name,
        deploy_config=deploy_config,
        hardware_mode="dedicated",
    )
    workflow_id = first["workflow_id"]
    ranked = await waiter.recommended_clusters(workflow_id, cluster_id)
    choice = next((c for c in ranked if c["id"] == cluster_id), None)
    assert choice, f"budsim did not recommend cluster {cluster_id}: {[c['id'] for c in ranked]}"
    assert_status(await api.step(token, 6, workflow_id, cluster_id=choice["cluster_id"]), 200)
    assert_status(await api.step(token, 8, workflow_id, trigger_workflow=True), 200)
    return await waiter.wait_for_workflow(workflow_type="model_deployment", workflow_id=workflow_id)
