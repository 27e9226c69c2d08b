"""A BudConnect stand-in: the compatible-model catalogue budapp's cloud-model sync pages through.

* ``GET /model/get-compatible-models?page=&limit=``: providers with their models, ``items`` and ``total_pages``;
  budapp's ``CloudModelSyncScheduler`` reads ``provider_type``, ``name``, ``description``, ``icon``,
  ``capabilities``, ``credentials`` and ``models[]`` (``uri``, ``modality``, ``endpoints``, ``tokens``,
  ``input_cost``, ``output_cost``, ``deprecation_date``).
* ``GET /guardrail/get-compatible-guardrails`` and ``GET /guardrail/probes/{id}/rules``: no guardrail providers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query

from sandbox.common.app_factory import create_service_app
from sandbox.common.catalog_data import CATALOG_FILE, providers
from sandbox.settings import SandboxSettings, get_settings


def page_of(items: list[dict[str, Any]], page: int, limit: int) -> dict[str, Any]:
    start = (page - 1) * limit
    return {
        "items": items[start : start + limit],
        "total_record": len(items),
        "page": page,
        "limit": limit,
        "total_pages": math.ceil(len(items) / limit),
    }


def as_compatible_provider(provider: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in provider.items() if k != "type"}
    return {"provider_type": provider["type"], **fields}


def create_app(settings: SandboxSettings, catalog: Path = CATALOG_FILE) -> FastAPI:
    app = create_service_app("budconnect", settings=settings)

    @app.get("/model/get-compatible-models")
    async def compatible_models(page: int = Query(1, ge=1), limit: int = Query(10, ge=1, le=100)) -> dict[str, Any]:
        return page_of([as_compatible_provider(p) for p in providers(catalog)], page, limit)

    @app.get("/guardrail/get-compatible-guardrails")
    async def compatible_guardrails(page: int = Query(1, ge=1), limit: int = Query(10, ge=1, le=100)) -> dict[str, Any]:
        return page_of([], page, limit)

    @app.get("/guardrail/probes/{probe_id}/rules")
    async def probe_rules(
        probe_id: str, page: int = Query(1, ge=1), limit: int = Query(10, ge=1, le=100)
    ) -> dict[str, Any]:
        return page_of([], page, limit)

    return app


app = create_app(get_settings())
