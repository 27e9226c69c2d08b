"""budapp's cluster endpoints as user-level actions."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from helpers.api_client import APIClient, Token

CLUSTER_ONBOARDING_STEPS = 3
# budapp accepts an emoji or a file under its static folder; this one ships with every budapp.
CLUSTER_ICON = "icons/general/cluster_mono.png"


# budcluster's device types and the kind budapp counts each as
DEVICE_KIND = {"cpu": "cpu", "cpu_high": "cpu", "gpu": "gpu", "cuda": "gpu", "hpu": "hpu"}


def expected_resources(nodes: list[dict[str, Any]]) -> dict[str, int]:
    """The counts budapp should report for budcluster's node list: nodes, ready nodes, and per kind (cpu, gpu, hpu)
    the number of device entries and the sum of their ``available_count`` as total workers."""
    counts = {"total_nodes": len(nodes), "available_nodes": sum(1 for node in nodes if node.get("status"))}
    for kind in ("cpu", "gpu", "hpu"):
        devices = [d for node in nodes for d in node.get("devices", []) if DEVICE_KIND.get(d["type"].lower()) == kind]
        counts[f"{kind}_count"] = len(devices)
        counts[f"{kind}_total_workers"] = sum(d.get("available_count", 0) for d in devices)
    return counts


def reported_resources(cluster: dict[str, Any]) -> dict[str, int]:
    """The same counts from budapp's cluster record."""
    return {key: cluster[key] for key in expected_resources([])}


class ClustersAPI:
    def __init__(self, budapp: APIClient) -> None:
        self.budapp = budapp

    async def onboarding_step(
        self,
        token: Token,
        step_number: int,
        *,
        workflow_id: str | None = None,
        kubeconfig: bytes | None = None,
        kubeconfig_name: str = "kubeconfig.yaml",
        **fields: Any,
    ) -> httpx.Response:
        """One multipart call of POST /clusters/clusters (only the first call carries the total steps)."""
        form: dict[str, Any] = {"step_number": str(step_number)}
        if workflow_id:
            form["workflow_id"] = workflow_id
        else:
            form["workflow_total_steps"] = str(CLUSTER_ONBOARDING_STEPS)
        form.update(
            {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in fields.items() if v is not None}
        )
        files = (
            {"configuration_file": (kubeconfig_name, kubeconfig, "application/yaml")}
            if kubeconfig is not None
            else None
        )
        return await self.budapp.post("/clusters/clusters", data=form, files=files, token=token)

    async def start_onboarding(self, token: Token, name: str, kubeconfig: bytes, ingress_url: str) -> httpx.Response:
        """The UI's single call: everything at step 1 with trigger_workflow."""
        return await self.onboarding_step(
            token,
            1,
            kubeconfig=kubeconfig,
            name=name,
            ingress_url=ingress_url,
            icon=CLUSTER_ICON,
            trigger_workflow=True,
        )

    async def list(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/clusters/clusters", params=params, token=token)

    async def get(self, token: Token, cluster_id: str) -> httpx.Response:
        return await self.budapp.get(f"/clusters/{cluster_id}", token=token)

    async def delete(self, token: Token, cluster_id: str) -> httpx.Response:
        return await self.budapp.post(f"/clusters/{cluster_id}/delete-workflow", token=token)

    async def deletion_workflow_id(self, token: Token, cluster_id: str) -> str | None:
        """budapp returns no id for a cluster deletion: find it among the caller's in-progress workflows."""
        response = await self.budapp.get(
            "/workflows", params={"workflow_type": "cluster_deletion", "limit": 100}, token=token
        )
        for workflow in response.json().get("workflows", []):
            record = await self.budapp.get(f"/workflows/{workflow['id']}", token=token)
            cluster = (record.json().get("workflow_steps") or {}).get("cluster") or {}
            if cluster.get("id") == cluster_id:
                return workflow["id"]
        return None


class BudclusterAPI:
    """budcluster's own view of the clusters it manages, read directly (not through budapp)."""

    def __init__(self, budcluster: APIClient) -> None:
        self.budcluster = budcluster

    async def nodes(self, cluster_id: str) -> httpx.Response:
        return await self.budcluster.get(f"/cluster/{cluster_id}/nodes")


class SharedClusterRegistration:
    """The run's one registration of a configured kubeconfig, shared by every test and xdist worker.

    budcluster refuses a second registration of an API server while the first exists, so
    with a real kubeconfig no two tests may onboard it each. The record of the registration
    lives in ``<directory>/shared-cluster-<run>.json`` under an exclusive file lock: the first
    worker to need it onboards and writes it, later ones read it; each worker enters itself
    once, and the last to leave deletes the cluster (a later user then registers it afresh).
    """

    def __init__(
        self,
        directory: Path,
        run: str,
        worker: str,
        onboard: Callable[[], Awaitable[dict[str, Any]]],
        delete: Callable[[str], Awaitable[None]],
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.state_path = directory / f"shared-cluster-{run}.json"
        self.lock_path = directory / f"shared-cluster-{run}.lock"
        self.worker = worker
        self.onboard = onboard
        self.delete = delete
        self.holding = False
        self.spec: Any = None  # what the shared cluster is onboarded with (set by its owner)

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        descriptor = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def _read(self) -> dict[str, Any]:
        return json.loads(self.state_path.read_text()) if self.state_path.is_file() else {}

    def _write(self, state: dict[str, Any]) -> None:
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_path)

    async def acquire(self) -> dict[str, Any]:
        """The shared cluster (budapp's record), registered now if nobody holds it."""
        async with self._locked():
            state = self._read()
            if not state.get("cluster"):
                state = {"cluster": await self.onboard(), "workers": []}
            if self.worker not in state["workers"]:
                state["workers"].append(self.worker)
            self._write(state)
            self.holding = True
            return state["cluster"]

    async def release(self) -> None:
        """Leave; the last worker out deletes the registration."""
        if not self.holding:
            return
        async with self._locked():
            state = self._read()
            workers = [w for w in state.get("workers", []) if w != self.worker]
            self.holding = False
            if workers:
                self._write({**state, "workers": workers})
                return
            if state.get("cluster"):
                await self.delete(state["cluster"]["id"])
            self.state_path.unlink(missing_ok=True)
