"""The workflow records every multi-step flow shares: list, read, complete, delete."""

import uuid

import pytest

from helpers.assertions import assert_error_response, assert_status

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]


@pytest.mark.priority_p1
async def test_in_progress_workflow_is_listed_then_deleted(models_api, budapp_client, admin_token, workflow_janitor):
    """
    A started workflow is one of the caller's in-progress workflows until deleted.

    Flow: start a cloud-model workflow; GET /workflows?workflow_type=cloud_model_onboarding lists it;
    DELETE removes it; GET /workflows/{id} then answers 400 "Workflow not found".
    """
    started = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_id = started["workflow_id"]
    workflow_janitor(admin_token, workflow_id)

    listing = assert_status(await budapp_client.get(
        "/workflows", params={"workflow_type": "cloud_model_onboarding", "limit": 100}, token=admin_token), 200)
    assert listing["object"] == "workflow.list"
    listed = {w["id"]: w for w in listing["workflows"]}
    assert workflow_id in listed
    assert (listed[workflow_id]["status"], listed[workflow_id]["workflow_type"]) == ("in_progress", "cloud_model_onboarding")

    deleted = assert_status(await budapp_client.delete(f"/workflows/{workflow_id}", token=admin_token), 200)
    assert deleted["object"] == "workflow.delete"
    assert_error_response(await budapp_client.get(f"/workflows/{workflow_id}", token=admin_token), 400, "Workflow not found")


@pytest.mark.priority_p1
async def test_marking_a_workflow_completed(models_api, budapp_client, admin_token, workflow_janitor):
    """PATCH marks the caller's workflow completed (the id comes back under `id`); it leaves the in-progress list."""
    started = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_id = started["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    body = assert_status(await budapp_client.patch(f"/workflows/{workflow_id}", token=admin_token), 200)
    assert (body["object"], body["message"], body["id"], body["status"]) == (
        "workflow.get", "Workflow marked as completed", workflow_id, "completed")
    listing = assert_status(await budapp_client.get("/workflows", params={"limit": 100}, token=admin_token), 200)
    assert workflow_id not in {w["id"] for w in listing["workflows"]}
    assert_error_response(await budapp_client.delete(f"/workflows/{workflow_id}", token=admin_token), 400,
                          "Workflow is not in progress state")


@pytest.mark.priority_p2
async def test_unknown_workflow_ids(budapp_client, admin_token):
    """GET answers 400 for an unknown id (budapp's quirk); PATCH and DELETE answer 404, all "Workflow not found"."""
    unknown = str(uuid.uuid4())
    assert_error_response(await budapp_client.get(f"/workflows/{unknown}", token=admin_token), 400, "Workflow not found")
    assert_error_response(await budapp_client.patch(f"/workflows/{unknown}", token=admin_token), 404, "Workflow not found")
    assert_error_response(await budapp_client.delete(f"/workflows/{unknown}", token=admin_token), 404, "Workflow not found")
