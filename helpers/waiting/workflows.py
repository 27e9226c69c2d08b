"""Waiting for budapp workflows, failing fast when they cannot finish.

Done means ``status == "completed"``. Failed means ``status == "failed"`` or any downstream step payload in
``workflow_steps.<x>_events.steps[].payload.content`` reporting ``FAILED``: downstream failures often leave the
status at ``in_progress``, so the step payloads are read on every poll. A workflow budapp does not show the
caller (401, 403, 404...) ends the wait at once (see ``retry_rule``).
"""

from __future__ import annotations

from typing import Any

from helpers.api_client import APIClient, Token
from helpers.masking import mask_text
from helpers.waiting.poll import Polling, PollStats, poll_until
from helpers.waiting.retry_rule import checked

FINAL_FAILURE = "failed"
SIMULATION_EVENTS = "bud_simulator_events"


def downstream_failure(record: dict[str, Any]) -> str | None:
    """The first FAILED downstream step in the record, described, or None."""
    steps = record.get("workflow_steps") or {}
    for block_name, block in steps.items():
        if not block_name.endswith("_events") or not isinstance(block, dict):
            continue
        for step in block.get("steps") or []:
            content = ((step or {}).get("payload") or {}).get("content") or {}
            if str(content.get("status", "")).upper() == "FAILED":
                return f"{block_name} step '{step.get('id')}' FAILED: {content.get('message') or content.get('title')}"
    return None


def summarise(record: dict[str, Any]) -> str:
    """One line: status, step, reason and the progress of each event block."""
    if not isinstance(record, dict) or "status" not in record:
        return mask_text(str(record))[:300]
    parts = [f"status={record.get('status')}", f"step={record.get('current_step')}/{record.get('total_steps')}"]
    if record.get("reason"):
        parts.append(f"reason={record['reason']!r}")
    for name, block in (record.get("workflow_steps") or {}).items():
        if name.endswith("_events") and isinstance(block, dict):
            done = [s.get("id") for s in block.get("steps") or [] if (s.get("payload") or {}).get("content")]
            parts.append(f"{name}={block.get('status')} reported={done}")
    return ", ".join(parts)


def simulation_finished(record: dict[str, Any]) -> bool:
    """budsim reported every step of its simulation COMPLETED (its ranking is then stored)."""
    block = (record.get("workflow_steps") or {}).get(SIMULATION_EVENTS) or {}
    steps = block.get("steps") or []
    return bool(steps) and all(
        str((((s or {}).get("payload") or {}).get("content") or {}).get("status", "")).upper() == "COMPLETED"
        for s in steps
    )


def workflow_failure(record: dict[str, Any]) -> str | None:
    if record.get("status") == FINAL_FAILURE:
        return f"status failed, reason {record.get('reason')!r}"
    return downstream_failure(record)


class WorkflowWaiter:
    """``await WorkflowWaiter(budapp_client, token, polling).wait_for_workflow(workflow_id=...)``.

    ``last_stats`` holds the polls and seconds of the latest wait.
    """

    def __init__(self, client: APIClient, token: Token, polling: Polling) -> None:
        self.client = client
        self.token = token
        self.polling = polling
        self.last_stats = PollStats()

    async def get(self, workflow_id: str) -> dict[str, Any]:
        return checked(await self.client.get(f"/workflows/{workflow_id}", token=self.token)).json()

    async def wait_for_workflow(
        self, *, workflow_id: str, workflow_type: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """The final record once ``completed``; raises on failure or timeout.

        ``workflow_type`` names the workflow in messages (the record does not carry it).
        """
        self.last_stats = PollStats()
        return await poll_until(
            lambda: self.get(workflow_id),
            lambda r: r.get("status") == "completed",
            description=f"{workflow_type or 'workflow'} {workflow_id} to complete",
            polling=self.polling.within(timeout),
            failed=workflow_failure,
            describe=summarise,
            stats=self.last_stats,
        )

    async def recommended_clusters(
        self, workflow_id: str, cluster_id: str | None = None, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """budsim's ranked clusters for a deployment workflow, once they are there.

        budapp answers ``status: success`` on every call, with an empty list while budsim still
        simulates, so the answer alone does not say the ranking is done. Done is: the list holds
        ``cluster_id`` (budapp's id; any cluster when None), or budsim reported every simulation
        step completed, whichever comes first; then the list is returned. The record is read
        before the list, so a finished simulation is never paired with an older, emptier list.
        Stops at once when a simulation step reports FAILED.
        """

        async def probe() -> dict[str, Any]:
            record = await self.get(workflow_id)
            ranked = checked(await self.client.get(f"/clusters/recommended/{workflow_id}", token=self.token))
            return {"record": record, "recommended": ranked.json()}

        def listed(seen: dict[str, Any]) -> list[dict[str, Any]]:
            return seen["recommended"].get("clusters") or []

        def done(seen: dict[str, Any]) -> bool:
            if seen["recommended"].get("status") != "success":
                return False
            clusters = listed(seen)
            found = any(c.get("id") == cluster_id for c in clusters) if cluster_id else bool(clusters)
            return found or simulation_finished(seen["record"])

        result = await poll_until(
            probe,
            done,
            description=f"cluster recommendations of deployment workflow {workflow_id}",
            polling=self.polling.within(timeout),
            failed=lambda seen: downstream_failure(seen["record"]),
            describe=lambda seen: (
                f"recommendations status={seen['recommended'].get('status')} "
                f"listed={[c.get('id') for c in listed(seen)]}; {summarise(seen['record'])}"
            ),
        )
        return listed(result)
