"""budmetrics' observability API, and waiting for an inference to be recorded."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from helpers.api_client import APIClient
from helpers.waiting import Polling, checked, poll_until


class MetricsAPI:
    def __init__(self, metrics: APIClient, polling: Polling) -> None:
        self.metrics = metrics
        self.polling = polling

    async def inferences(
        self, since: datetime, *, limit: int = 1000, offset: int = 0, **filters: Any
    ) -> dict[str, Any]:
        """One page of the inferences since ``since`` matching ``filters`` (project_id, endpoint_id, ...)."""
        body = {
            "from_date": since.isoformat(),
            "limit": limit,
            "offset": offset,
            **{k: str(v) if v is not None else None for k, v in filters.items()},
        }
        return checked(await self.metrics.post("/observability/inferences/list", json=body)).json()

    async def wait_for_inferences(self, since: datetime, count: int, **filters: Any) -> list[dict[str, Any]]:
        """The ``count`` inferences matching ``filters``, once budmetrics lists them all; fails at once on more."""

        async def probe() -> list[dict[str, Any]]:
            return (await self.inferences(since, **filters))["items"]

        return await poll_until(
            probe,
            lambda rows: len(rows) == count,
            description=f"{count} inference(s) in budmetrics ({filters})",
            polling=self.polling,
            failed=lambda rows: f"{len(rows)} inferences listed for {count} requests" if len(rows) > count else None,
            describe=lambda rows: f"{len(rows)} inference(s)",
        )

    async def wait_for_inference(
        self, inference_id: str, since: datetime, timeout: float | None = None, **filters: Any
    ) -> dict:
        """The recorded inference ``inference_id`` (filters narrow the listing), once budmetrics shows it."""

        async def probe() -> list[dict[str, Any]]:
            return (await self.inferences(since, **filters))["items"]

        items = await poll_until(
            probe,
            lambda rows: any(r["inference_id"] == inference_id for r in rows),
            description=f"inference {inference_id} to show in budmetrics ({filters or 'no filter'})",
            polling=self.polling.within(timeout),
            describe=lambda rows: f"{len(rows)} inference(s): {[r['inference_id'] for r in rows][:5]}",
        )
        return next(r for r in items if r["inference_id"] == inference_id)


def moments_ago(seconds: int = 60) -> datetime:
    """A from_date safely before now (ClickHouse stores whole seconds)."""
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=seconds)


async def wait_for_recorded_inferences(clickhouse: Any, endpoint_id: str, count: int, polling: Polling) -> int:
    """Wait until budmetrics' InferenceFact table holds ``count`` rows of ``endpoint_id``; return the count.

    Fails as soon as there are more rows than requests answered (an inference recorded twice).
    """

    async def probe() -> int:
        return clickhouse.query(
            "SELECT count() FROM metrics.InferenceFact FINAL WHERE endpoint_id = {endpoint:UUID}",
            parameters={"endpoint": uuid.UUID(endpoint_id)},
        ).result_rows[0][0]

    return await poll_until(
        probe,
        lambda rows: rows == count,
        description=f"{count} inference row(s) of endpoint {endpoint_id} in ClickHouse",
        polling=polling,
        failed=lambda rows: f"{rows} rows for {count} answered requests" if rows > count else None,
        describe=lambda rows: f"{rows} row(s)",
    )
