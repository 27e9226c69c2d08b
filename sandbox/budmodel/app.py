"""budmodel (sandbox): model extraction as a Dapr workflow over simulated Hugging Face models."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel

from sandbox.common.app_factory import create_service_app
from sandbox.common.downstream import DownstreamWorkflow, Step, StepFailed, start_in_background
from sandbox.common.simulated_models import find_model
from sandbox.settings import get_settings

app = create_service_app("budmodel", settings=get_settings())


class ExtractionRequest(BaseModel):
    model_name: str
    model_uri: str
    provider_type: str
    hf_token: str | None = None
    notification_metadata: dict[str, Any] = {}
    source_topic: str | None = None


@app.post("/model-info/extract")
async def extract(body: ExtractionRequest, request: Request):
    async def validation(context: dict) -> str:
        model = find_model(body.model_uri)
        if model is None:
            raise StepFailed(f"Model {body.model_uri} not found on Hugging Face")
        context["model"] = model
        return "Model URI validated"

    async def download(context: dict) -> str:
        return f"Downloaded {context['model']['model_weights_size']} bytes"

    async def extraction(context: dict) -> str:
        return f"Extracted {context['model']['architecture']} metadata"

    async def save(context: dict) -> str:
        context["local_path"] = f"models-registry/{body.model_uri.replace('/', '_')}"
        return "Model saved to the registry"

    async def results(context: dict) -> dict:
        model = context["model"]
        return {"model_info": {**model, "uri": body.model_uri, "description": model.get("description")},
                "local_path": context["local_path"]}

    workflow = DownstreamWorkflow(
        name="perform_model_extraction", payload_type="perform_model_extraction", source="budmodel",
        steps=[Step("validation", "Validation", "Check the model URI", validation),
               Step("model_download", "Model download", "Download the weights", download),
               Step("model_extraction", "Model extraction", "Read architecture and configuration", extraction),
               Step("save_model", "Save model", "Store the model in the registry", save)],
        notification_metadata=body.notification_metadata, dapr_url=request.app.state.settings.url("dapr"),
    )
    stall = 1 if await request.app.state.faults.is_on("workflow_stalls") else None
    start_in_background(workflow.execute(results, stall_after=stall))
    return workflow.metadata()
