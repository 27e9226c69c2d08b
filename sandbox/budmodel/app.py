"""budmodel (sandbox): model extraction as a Dapr workflow over the sandbox's Hugging Face (hub.py)."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel

from sandbox.common.app_factory import create_service_app
from sandbox.common.downstream import DownstreamWorkflow, SourceTopic, Step, StepFailed, start_in_background
from sandbox.common.simulated_models import download_directory, find_model, remove_download, store_download
from sandbox.settings import get_settings

app = create_service_app("budmodel", settings=get_settings())

# budmodel's ModelInfo fields; the described model may carry more (what the engine serves).
MODEL_INFO_FIELDS = (
    "author",
    "description",
    "modality",
    "tags",
    "tasks",
    "papers",
    "github_url",
    "provider_url",
    "website_url",
    "license",
    "logo_url",
    "use_cases",
    "strengths",
    "limitations",
    "model_tree",
    "languages",
    "architecture",
)


class ExtractionRequest(BaseModel):
    model_name: str
    model_uri: str
    provider_type: Literal["cloud_model", "hugging_face", "url", "disk"]
    hf_token: str | None = None
    notification_metadata: dict[str, Any] = {}
    source_topic: SourceTopic = None
    model_config = {"extra": "allow", "protected_namespaces": ()}


def model_info(described: dict[str, Any], uri: str) -> dict[str, Any]:
    """ModelInfo as budmodel reports it: every field present, ``modality`` a category string."""
    info = {field: described.get(field) for field in MODEL_INFO_FIELDS}
    info.update(uri=uri, provider_url=f"https://huggingface.co/{uri}", extraction_status="COMPLETED")
    return info


@app.post("/model-info/extract")
async def extract(body: ExtractionRequest, request: Request):
    async def validation(context: dict) -> str:
        described = find_model(body.model_uri)
        if described is None:
            raise StepFailed(f"Model {body.model_uri} not found on Hugging Face")
        context["model"] = described
        return "Validated given model uri"

    async def download(context: dict) -> str:
        context["local_path"] = download_directory(body.model_name)
        return "Model downloaded successfully"

    async def extraction(context: dict) -> str:
        return "Model information extracted successfully"

    async def save(context: dict) -> str:
        await store_download(request.app.state.redis, context["local_path"], body.model_uri)
        return "Model saved to registry successfully"

    async def results(context: dict) -> dict:
        return {
            "object": "model_extraction",
            "workflow_id": workflow.id,
            "model_info": model_info(context["model"], body.model_uri),
            "local_path": context["local_path"],
            "created": int(time.time()),
        }

    workflow = DownstreamWorkflow(
        name="run_model_extraction",
        payload_type="perform_model_extraction",
        source="budmodel",
        steps=[
            Step("validation", "Validating model uri", "Check the model URI", validation),
            Step("model_download", "Downloading model", "Download the weights", download),
            Step("model_extraction", "Extracting model info", "Read architecture and configuration", extraction),
            Step("save_model", "Saving model", "Store the model in the registry", save),
        ],
        notification_metadata=body.notification_metadata,
        dapr_url=request.app.state.settings.url("dapr"),
    )
    stall = 1 if await request.app.state.faults.is_on("workflow_stalls") else None
    start_in_background(workflow.execute(results, stall_after=stall))
    return workflow.metadata()


@app.delete("/model-info/local-models")
async def delete_local_model(request: Request, path: str = Query(...)) -> dict:
    """Remove a download from the model store; a path that is not there is deleted all the same."""
    await remove_download(request.app.state.redis, path)
    return {"object": "info", "message": "Model deleted successfully", "param": None}
