"""Cloud model onboarding (workflow_type cloud_model_onboarding): synchronous, step by step."""

import pytest

from helpers.assertions import assert_detail, assert_error_response, assert_status, assert_success_envelope
from helpers.models import E2E_TAG
from helpers.naming import unique_name
from helpers.workflow_waiter import WorkflowWaiter

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]


@pytest.mark.priority_p0
async def test_cloud_model_onboarding_step_by_step(models_api, budapp_client, admin_token, workflow_janitor):
    """
    An admin adds a provider's model to the repository the way the UI does.

    Flow:
    1. Step 1 {provider_type: cloud_model, add_model_modality}: a workflow in progress at step 1.
    2. Step 3 {provider_id}: the provider is resolved in workflow_steps.
    3. Step 4 {cloud_model_id}: the catalog entry is resolved.
    4. Step 5 {trigger_workflow, name, tags, modality, uri}: the workflow is completed at step 6
       with the new model's id and a success execution status.
    5. The model is readable, and its catalog entry is marked present; deleting the model frees it.
    """
    provider, candidates = await models_api.free_cloud_models(admin_token)
    cloud_model = candidates[0]
    name = unique_name("model")

    first = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model", add_model_modality=["llm"]), 200)
    assert_success_envelope(first, "workflow.get")
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    assert (first["status"], first["current_step"], first["total_steps"]) == ("in_progress", 1, 5)
    assert first["workflow_steps"]["provider_type"] == "cloud_model"

    third = assert_status(await models_api.cloud_step(admin_token, 3, workflow_id, provider_id=provider["id"]), 200)
    assert third["current_step"] == 3
    assert third["workflow_steps"]["provider"]["id"] == provider["id"]

    fourth = assert_status(await models_api.cloud_step(admin_token, 4, workflow_id, cloud_model_id=cloud_model["id"]), 200)
    assert fourth["workflow_steps"]["cloud_model"]["uri"] == cloud_model["uri"]
    assert fourth["status"] == "in_progress"

    done = assert_status(await models_api.cloud_step(
        admin_token, 5, workflow_id, trigger_workflow=True, name=name, tags=[E2E_TAG],
        modality=cloud_model["modality"], uri=cloud_model["uri"],
    ), 200)
    model_id = done["workflow_steps"]["model_id"]
    try:
        assert (done["status"], done["current_step"]) == ("completed", 6)
        assert done["workflow_steps"]["workflow_execution_status"] == {
            "status": "success", "message": "Model successfully added to the repository"}

        final = await WorkflowWaiter(budapp_client, admin_token).wait_for_workflow(
            workflow_type="cloud_model_onboarding", workflow_id=workflow_id, timeout=30)
        assert final["workflow_steps"]["model"]["name"] == name

        model = assert_status(await models_api.get(admin_token, model_id), 200)
        assert_success_envelope(model, "model.get")
        assert (model["model"]["name"], model["model"]["uri"]) == (name, cloud_model["uri"])
        assert (model["model"]["provider_type"], model["model"]["source"]) == ("cloud_model", provider["type"])

        catalog = assert_status(await models_api.catalog(admin_token, source=provider["type"], limit=500), 200)
        entry = next(m["model"] for m in catalog["models"] if m["model"]["id"] == cloud_model["id"])
        assert entry["is_present_in_model"] is True
    finally:
        deleted = assert_status(await models_api.delete(admin_token, model_id), 200)
    assert deleted == {"object": "model.delete", "message": "Model deleted successfully"}
    assert_status(await models_api.get(admin_token, model_id), 404)


@pytest.mark.priority_p1
async def test_trigger_without_required_data_is_refused(models_api, admin_token, workflow_janitor):
    """Triggering before provider, tags and name were given answers 400 naming what is missing."""
    first = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_janitor(admin_token, first["workflow_id"])
    response = await models_api.cloud_step(admin_token, 2, first["workflow_id"], trigger_workflow=True)
    body = assert_error_response(response, 400)
    assert body["message"].startswith("Missing required data: ")
    for key in ("provider_id", "tags", "name"):
        assert key in body["message"]


@pytest.mark.priority_p1
async def test_model_names_are_unique(models_api, admin_token, test_model):
    """A second model with an existing name (any case) is refused at the step that names it."""
    response = await models_api.cloud_step(admin_token, 1, provider_type="cloud_model", name=test_model["name"].upper())
    assert_error_response(response, 400, "Model name already exists")


@pytest.mark.priority_p1
async def test_onboarding_needs_model_manage(models_api, budapp_client, auth_token):
    """No token: 403 from the internal-auth branch; a client user: 403 insufficient permissions."""
    anonymous = await budapp_client.post("/models/cloud-model-workflow", json={"step_number": 1, "workflow_total_steps": 5})
    assert_detail(anonymous, 403, "Forbidden - Internal auth not configured")
    client = await models_api.cloud_step(auth_token, 1, provider_type="cloud_model")
    assert_detail(client, 403, "Insufficient permissions for this operation")
