"""budapp's multi-step workflow records: steps, merging, and the poller's view."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from pydantic import UUID4, BaseModel, Field

from sandbox.budapp.db import row, stored_row, update_row
from sandbox.budapp.workflow_keys import WORKFLOW_STEP_KEYS
from sandbox.common.envelopes import ClientException

STEP_CONTROL_FIELDS = {"workflow_id", "workflow_total_steps", "step_number", "trigger_workflow"}
# A step number sent again: model deployment merges the new fields into the step's data, budapp's other
# workflows replace the step's data with the new call's.
MERGING_WORKFLOW_TYPES = {"model_deployment"}
MERGE_STEP_DATA = (
    "ON CONFLICT (workflow_id, step_number) DO UPDATE SET data = workflow_step.data || EXCLUDED.data, "
    "modified_at = now() AT TIME ZONE 'utc'"
)
REPLACE_STEP_DATA = (
    "ON CONFLICT (workflow_id, step_number) DO UPDATE SET data = EXCLUDED.data, modified_at = now() AT TIME ZONE 'utc'"
)


class StepRequest(BaseModel):
    """The fields every ``*-workflow`` POST carries."""

    workflow_id: UUID4 | None = None
    workflow_total_steps: int | None = Field(None, ge=0)
    step_number: int = Field(gt=0)
    trigger_workflow: bool = False

    def step_data(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.model_dump(mode="json", exclude_none=True).items() if k not in STEP_CONTROL_FIELDS
        }


class Workflows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, created_by: UUID, workflow_type: str, total_steps: int, title: str | None = None) -> dict:
        return stored_row(
            await self.pool.fetchrow(
                "INSERT INTO workflow (id, created_by, workflow_type, total_steps, title) "
                "VALUES ($1,$2,$3,$4,$5) RETURNING *",
                uuid4(),
                created_by,
                workflow_type,
                total_steps,
                title,
            )
        )

    async def get(self, workflow_id: UUID) -> dict | None:
        return row(await self.pool.fetchrow("SELECT * FROM workflow WHERE id = $1", workflow_id))

    async def update(self, workflow_id: UUID, **fields: Any) -> dict | None:
        return await update_row(self.pool, "workflow", workflow_id, **fields)

    async def delete(self, workflow_id: UUID) -> None:
        await self.pool.execute("DELETE FROM workflow WHERE id = $1", workflow_id)

    async def save_step(self, workflow_id: UUID, step_number: int, data: dict[str, Any], *, merge: bool = True) -> None:
        """Upsert a step: ``data`` is merged into what the step already holds, or replaces it (``merge=False``)."""
        await self.pool.execute(
            "INSERT INTO workflow_step (id, workflow_id, step_number, data) VALUES ($1,$2,$3,$4) "
            + (MERGE_STEP_DATA if merge else REPLACE_STEP_DATA),
            uuid4(),
            workflow_id,
            step_number,
            data,
        )
        await self.pool.execute(
            "UPDATE workflow SET current_step = GREATEST(current_step, $2), modified_at = now() AT TIME ZONE 'utc' "
            "WHERE id = $1",
            workflow_id,
            step_number,
        )

    async def record_event(self, workflow_id: UUID, block_name: str, change) -> dict | None:
        """Apply ``change`` to the newest step holding ``block_name`` (and to ``progress``), atomically."""
        async with self.pool.acquire() as connection, connection.transaction():
            workflow = row(await connection.fetchrow("SELECT * FROM workflow WHERE id = $1 FOR UPDATE", workflow_id))
            if workflow is None:
                return None
            step = await connection.fetchrow(
                "SELECT step_number, data FROM workflow_step WHERE workflow_id = $1 AND data ? $2 "
                "ORDER BY step_number DESC LIMIT 1",
                workflow_id,
                block_name,
            )
            if step is None:
                return workflow
            block = change(step["data"][block_name] or {})
            await connection.execute(
                "UPDATE workflow_step SET data = data || $3, modified_at = now() AT TIME ZONE 'utc' "
                "WHERE workflow_id = $1 AND step_number = $2",
                workflow_id,
                step["step_number"],
                {block_name: block},
            )
            progress = workflow["progress"]
            if isinstance(progress, dict) and progress.get("progress_type") == block_name:
                workflow = row(
                    await connection.fetchrow(
                        "UPDATE workflow SET progress = $2 WHERE id = $1 RETURNING *",
                        workflow_id,
                        {**block, "progress_type": block_name},
                    )
                )
            return workflow

    async def start_downstream(
        self, workflow_id: UUID, step_number: int, block_name: str, metadata: dict
    ) -> dict | None:
        """Store a downstream workflow_metadata reply as ``block_name`` in a step and as progress."""
        await self.save_step(workflow_id, step_number, {block_name: metadata})
        return await self.update(workflow_id, progress={**metadata, "progress_type": block_name})

    async def has_steps(self, workflow_id: UUID) -> bool:
        return bool(await self.pool.fetchval("SELECT 1 FROM workflow_step WHERE workflow_id = $1 LIMIT 1", workflow_id))

    async def merged_data(self, workflow_id: UUID) -> dict[str, Any]:
        """All steps' data merged in step order (later steps win per key)."""
        merged: dict[str, Any] = {}
        for record in await self.pool.fetch(
            "SELECT data FROM workflow_step WHERE workflow_id = $1 ORDER BY step_number", workflow_id
        ):
            merged.update(record["data"])
        return merged

    async def in_progress_of(self, user_id: UUID, workflow_type: str | None, offset: int, limit: int | None):
        args: list[Any] = [user_id]
        condition = "created_by = $1 AND status = 'in_progress' AND visibility = 'public'"
        if workflow_type:
            args.append(workflow_type)
            condition += " AND workflow_type = $2"
        total = await self.pool.fetchval(f"SELECT count(*) FROM workflow WHERE {condition}", *args)
        limit_sql = f"LIMIT {int(limit)}" if limit else ""
        rows = await self.pool.fetch(
            f"SELECT * FROM workflow WHERE {condition} ORDER BY created_at DESC OFFSET {offset} {limit_sql}", *args
        )
        return [dict(r) for r in rows], total

    async def begin_step(self, user: dict[str, Any], body: StepRequest, workflow_type: str, title: str) -> dict:
        """Find or create the workflow of a step request and store the step's data."""
        workflow = await self.open(user, body, workflow_type, title)
        await self.save_step(
            workflow["id"], body.step_number, body.step_data(), merge=workflow_type in MERGING_WORKFLOW_TYPES
        )
        return stored_row(await self.pool.fetchrow("SELECT * FROM workflow WHERE id = $1", workflow["id"]))

    async def open(self, user: dict[str, Any], body: StepRequest, workflow_type: str, title: str) -> dict:
        """The workflow a step request names, or a new one (created before the step is checked, as budapp does)."""
        if body.workflow_id:
            workflow = await self.get(body.workflow_id)
            if workflow is None:
                raise ClientException("Workflow not found", 404)
            if workflow["status"] != "in_progress":
                raise ClientException("Workflow is not in progress")
            if workflow["created_by"] != user["id"]:
                raise ClientException("User is not authorized to perform this action")
        else:
            if body.workflow_total_steps is None:
                raise ClientException("Either workflow_id or total_steps should be provided")
            workflow = await self.create(user["id"], workflow_type, body.workflow_total_steps, title)
        return workflow


def required_missing(merged: dict[str, Any], keys: list[str]) -> ClientException | None:
    missing = [k for k in keys if merged.get(k) in (None, "", [])]
    return ClientException(f"Missing required data: {', '.join(missing)}") if missing else None


def blank_step_view() -> dict[str, Any]:
    return dict.fromkeys(WORKFLOW_STEP_KEYS)


def workflow_view(
    workflow: dict[str, Any], steps: dict[str, Any], message: str = "Workflow data retrieved successfully"
) -> dict:
    """The body every step call and GET /workflows/{id} answer with."""
    return {
        "object": "workflow.get",
        "message": message,
        "workflow_id": str(workflow["id"]),
        "status": workflow["status"],
        "current_step": workflow["current_step"],
        "total_steps": workflow["total_steps"],
        "reason": workflow["reason"],
        "workflow_steps": steps,
    }
