"""budapp's cluster endpoints as user-level actions."""

from __future__ import annotations

from typing import Any

import httpx

from helpers.api_client import APIClient

CLUSTER_ONBOARDING_STEPS = 3


class ClustersAPI:
    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp

    async def onboarding_step(
        self, token: str, step_number: int, *, workflow_id: str | None = None, kubeconfig: bytes | None = None,
        kubeconfig_name: str = "kubeconfig.yaml", **fields: Any,
    ) -> httpx.Response:
        """One multipart call of POST /clusters/clusters (only the first call carries the total steps)."""
        form: dict[str, Any] = {"step_number": str(step_number)}
        if workflow_id:
            form["workflow_id"] = workflow_id
        else:
            form["workflow_total_steps"] = str(CLUSTER_ONBOARDING_STEPS)
        form.update({k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in fields.items() if v is not None})
        files = {"configuration_file": (kubeconfig_name, kubeconfig, "application/yaml")} if kubeconfig is not None else None
        return await self.budapp.post("/clusters/clusters", data=form, files=files, token=token)

    async def start_onboarding(self, token: str, name: str, kubeconfig: bytes, ingress_url: str) -> httpx.Response:
        """The UI's single call: everything at step 1 with trigger_workflow."""
        return await self.onboarding_step(
            token, 1, kubeconfig=kubeconfig, name=name, ingress_url=ingress_url, icon="icons/cluster.png",
            trigger_workflow=True,
        )

    async def list(self, token: str, **params: Any) -> httpx.Response:
        return await self.budapp.get("/clusters/clusters", params=params, token=token)

    async def get(self, token: str, cluster_id: str) -> httpx.Response:
        return await self.budapp.get(f"/clusters/{cluster_id}", token=token)

    async def delete(self, token: str, cluster_id: str) -> httpx.Response:
        return await self.budapp.post(f"/clusters/{cluster_id}/delete-workflow", token=token)

    async def deletion_workflow_id(self, token: str, cluster_id: str) -> str | None:
        """budapp returns no id for a cluster deletion: find it among the caller's in-progress workflows."""
        response = await self.budapp.get(
            "/workflows", params={"workflow_type": "cluster_deletion", "limit": 100}, token=token)
        for workflow in response.json().get("workflows", []):
            record = await self.budapp.get(f"/workflows/{workflow['id']}", token=token)
            cluster = (record.json().get("workflow_steps") or {}).get("cluster") or {}
            if cluster.get("id") == cluster_id:
                return workflow["id"]
        return None
