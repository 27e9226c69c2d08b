"""budapp's model endpoints as user-level actions, and the cloud-model onboarding journey."""

from __future__ import annotations

import random
import re
from typing import Any

import httpx

from helpers.api_client import APIClient, Token
from helpers.waiting import Polling, checked, poll_until

E2E_TAG = {"name": "e2e", "color": "#0F9D58"}
CLOUD_ONBOARDING_STEPS = 5
RACE_RETRIES = 3
CATALOG_RACE_MESSAGES = {"Cloud model is already present in model", "Duplicate model uri and source found"}


def enabled_endpoints(model: dict[str, Any]) -> set[str]:
    """The paths a model serves, from the ``supported_endpoints`` map of budapp's model responses."""
    return {"/" + e["path"] for e in model["supported_endpoints"].values() if e["enabled"]}


def modality_list(model: dict[str, Any]) -> list[str]:
    """A model response's ``modality`` map as the list budapp's requests take (``["text_input", ...]``)."""
    return [
        f"{kind}_{direction}"
        for kind, flags in model["modality"].items()
        for direction in ("input", "output")
        if flags[direction]
    ]


def modality_list_unlike(model: dict[str, Any]) -> list[str]:
    """A valid modality list that differs from the model's: its own plus the first modality it lacks (or, where it
    has all of them, text input alone)."""
    own = modality_list(model)
    every = [f"{kind}_{direction}" for kind in ("text", "image", "audio") for direction in ("input", "output")]
    missing = [m for m in every if m not in own]
    return own + missing[:1] if missing else ["text_input"]


def enabled_capabilities(model: dict[str, Any]) -> set[str]:
    """The gateway's names of what a model serves (``chat``, ``embedding``...): the enabled keys of the map."""
    return {key for key, e in model["supported_endpoints"].items() if e["enabled"]}


def gateway_model_name(model: dict[str, Any]) -> str:
    """The provider's model name budapp gives the gateway for a cloud model: its uri, without a leading
    ``<source>/`` (compared ignoring case, ``_`` and ``-``); any other prefix stays."""

    def normal(text: str) -> str:
        return text.lower().replace("_", "").replace("-", "")

    prefix, slash, rest = model["uri"].partition("/")
    return rest if slash and normal(prefix) == normal(model["source"] or "") else model["uri"]


def budmodel_download_path(model_name: str) -> str:
    """The pattern of the local path budmodel reports for a model it downloaded: its directory, the model's name
    made safe (anything but ASCII letters, digits, ``_`` and ``-`` becomes ``_``; no leading or trailing ``.``/``_``;
    lower case; at most 20 characters), ``_`` and 8 hex digits."""
    safe = re.sub(r"[^a-zA-Z0-9_-]", "_", model_name).strip("._").lower() or "unnamed"
    return re.escape(safe[:20]) + r"_[0-9a-f]{8}"


def cloud_step_body(step_number: int, workflow_id: str | None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"step_number": step_number, **fields}
    if workflow_id:
        body["workflow_id"] = workflow_id
    else:
        body["workflow_total_steps"] = CLOUD_ONBOARDING_STEPS
    return body


class ModelsAPI:
    def __init__(self, budapp: APIClient, polling: Polling) -> None:
        self.budapp = budapp
        self.polling = polling

    async def providers(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/models/providers", params=params, token=token)

    async def catalog(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/models/", params={"table_source": "cloud_model", **params}, token=token)

    async def onboarded(self, token: Token, **params: Any) -> httpx.Response:
        return await self.budapp.get("/models/", params={"table_source": "model", **params}, token=token)

    async def get(self, token: Token, model_id: str) -> httpx.Response:
        return await self.budapp.get(f"/models/{model_id}", token=token)

    async def delete(self, token: Token, model_id: str) -> httpx.Response:
        return await self.budapp.delete(f"/models/{model_id}", token=token)

    async def cloud_step(
        self, token: Token, step_number: int, workflow_id: str | None = None, **fields: Any
    ) -> httpx.Response:
        body = cloud_step_body(step_number, workflow_id, **fields)
        return await self.budapp.post("/models/cloud-model-workflow", json=body, token=token)

    async def cloud_step_as_internal_caller(
        self, app_token_headers: dict[str, str], acting_for: str | None, step_number: int, **fields: Any
    ) -> httpx.Response:
        """A step sent as budapp's service-to-service callers send it: no user token, the app token in the given
        header, and the user acted for as ``user_id``."""
        return await self.budapp.post(
            "/models/cloud-model-workflow",
            params={"user_id": acting_for} if acting_for else None,
            headers=app_token_headers,
            json=cloud_step_body(step_number, None, **fields),
            token="",
        )

    async def wait_for_provider(self, token: Token, provider_type: str, timeout: float | None = None) -> dict:
        """The provider of ``provider_type``, once budapp has it: a deployment's providers arrive with the
        BudConnect sync after budapp starts (its seeder leaves them out), the sandbox seeds them at start-up."""

        async def probe() -> list[dict]:
            return checked(await self.providers(token, limit=100)).json()["providers"]

        providers = await poll_until(
            probe,
            lambda found: any(p["type"] == provider_type for p in found),
            description=f"budapp to list the {provider_type!r} provider (the BudConnect sync)",
            polling=self.polling.within(timeout),
            describe=lambda found: f"providers {sorted(p['type'] for p in found)}",
        )
        return next(p for p in providers if p["type"] == provider_type)

    async def wait_for_catalog(
        self, token: Token, provider_type: str, timeout: float | None = None
    ) -> tuple[dict, list[dict]]:
        """The provider of ``provider_type`` and its catalog entries, once there are any.

        A deployment fills the catalogue by syncing it from BudConnect after budapp starts (the sandbox seeds it at
        start-up), so a fresh deployment may not have it yet.
        """

        async def probe() -> tuple[dict | None, list[dict]]:
            providers = checked(await self.providers(token, limit=100)).json()["providers"]
            provider = next((p for p in providers if p["type"] == provider_type), None)
            if provider is None:
                return None, []
            return provider, checked(await self.catalog(token, source=provider_type, limit=500)).json()["models"]

        provider, models = await poll_until(
            probe,
            lambda found: found[0] is not None and bool(found[1]),
            description=f"budapp's catalogue to hold {provider_type!r} models (the BudConnect sync)",
            polling=self.polling.within(timeout),
            describe=lambda found: f"provider {'found' if found[0] else 'missing'}, {len(found[1])} catalog model(s)",
        )
        assert provider is not None  # the wait's condition
        return provider, models

    async def free_cloud_models(
        self, token: Token, provider_type: str = "openai", endpoint: str = "/v1/chat/completions"
    ) -> tuple[dict, list[dict]]:
        """A provider and its catalog models serving ``endpoint`` that nobody onboarded yet, shuffled.

        Shuffled so that parallel workers rarely reach for the same entry.
        """
        provider, models = await self.wait_for_catalog(token, provider_type)
        free = [
            m["model"]
            for m in models
            if not m["model"]["is_present_in_model"] and endpoint in enabled_endpoints(m["model"])
        ]
        assert free, f"no free {provider_type} catalog model serves {endpoint}; run ./scripts/cleanup.sh for leftovers"
        random.shuffle(free)
        return provider, free

    async def onboard_cloud_model(
        self, token: Token, name: str, provider_type: str = "openai", endpoint: str = "/v1/chat/completions"
    ) -> dict[str, Any]:
        """The UI's cloud-model journey in as few calls as budapp allows; the final workflow record.

        A catalog entry taken by a parallel worker in the meantime is skipped for the next one.
        """
        provider, candidates = await self.free_cloud_models(token, provider_type, endpoint)
        last = None
        for cloud_model in candidates[:RACE_RETRIES]:
            first = await self.cloud_step(token, 1, provider_type="cloud_model", add_model_modality=["llm"])
            assert first.status_code == 200, f"step 1 failed: {first.status_code} {first.text[:300]}"
            workflow_id = first.json()["workflow_id"]
            last = await self.cloud_step(
                token,
                2,
                workflow_id,
                provider_id=provider["id"],
                cloud_model_id=cloud_model["id"],
                name=name,
                tags=[E2E_TAG],
                modality=modality_list(cloud_model),
                uri=cloud_model["uri"],
                trigger_workflow=True,
            )
            if last.status_code == 200:
                return last.json()
            await self.budapp.delete(f"/workflows/{workflow_id}", token=token)
            if last.json().get("message") not in CATALOG_RACE_MESSAGES:
                break
        assert last is not None  # free_cloud_models gave at least one candidate
        raise AssertionError(f"cloud model onboarding failed: {last.status_code} {last.text[:300]}")


LOCAL_ONBOARDING_STEPS = 5


async def local_step(
    api: ModelsAPI, token: Token, step_number: int, workflow_id: str | None = None, **fields: Any
) -> httpx.Response:
    body: dict[str, Any] = {"step_number": step_number, **fields}
    if workflow_id:
        body["workflow_id"] = workflow_id
    else:
        body["workflow_total_steps"] = LOCAL_ONBOARDING_STEPS
    return await api.budapp.post("/models/local-model-workflow", json=body, token=token)


async def start_local_onboarding(api: ModelsAPI, token: Token, name: str, uri: str) -> dict[str, Any]:
    """The UI's three calls, once budapp has its Hugging Face provider (step 1 needs it); returns the record right
    after the trigger (extraction running)."""
    await api.wait_for_provider(token, "huggingface")
    first = await local_step(api, token, 1, provider_type="hugging_face", add_model_modality=["llm"])
    assert first.status_code == 200, f"local onboarding step 1 failed: {first.status_code} {first.text[:300]}"
    workflow_id = first.json()["workflow_id"]
    second = await local_step(api, token, 2, workflow_id, name=name, uri=uri, author="e2e", tags=[E2E_TAG])
    assert second.status_code == 200, f"local onboarding step 2 failed: {second.status_code} {second.text[:300]}"
    third = await local_step(api, token, 3, workflow_id, trigger_workflow=True)
    assert third.status_code == 200, f"local onboarding trigger failed: {third.status_code} {third.text[:300]}"
    return third.json()
