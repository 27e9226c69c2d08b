"""The workflow records every multi-step flow shares: list, read, complete, delete."""

import uuid

import pytest

from helpers.assertions import assert_error_response, assert_status
from helpers.deployments import DEPLOY_STEPS
from helpers.models import CLOUD_ONBOARDING_STEPS
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]


@pytest.mark.priority_p1
async def test_in_progress_workflow_is_listed_then_deleted(
    models_api, deployments_api, workflows_api, admin_token, admin_project, workflow_janitor
):
    """
    A started workflow is one of the caller's in-progress workflows of its type until deleted.

    Flow: start a cloud-model and a model-deployment workflow; GET /workflows?workflow_type=cloud_model_onboarding
    lists the first (at step 1 of the total it was started with) and no workflow of another type;
    ?workflow_type=model_deployment lists the second and not the first; DELETE removes the first;
    GET /workflows/{id} then answers 400 "Workflow not found".
    """
    started = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_id = started["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    deployment = assert_status(await deployments_api.step(admin_token, 1, project_id=admin_project["id"]), 200)
    workflow_janitor(admin_token, deployment["workflow_id"])

    cloud_rows = await in_progress_workflows(workflows_api, admin_token, "cloud_model_onboarding")
    assert {w["workflow_type"] for w in cloud_rows.values()} == {"cloud_model_onboarding"}
    assert deployment["workflow_id"] not in cloud_rows, (
        "a model_deployment workflow is listed as cloud_model_onboarding"
    )
    row = cloud_rows[workflow_id]
    assert (row["status"], row["current_step"], row["total_steps"]) == ("in_progress", 1, CLOUD_ONBOARDING_STEPS)

    deployment_rows = await in_progress_workflows(workflows_api, admin_token, "model_deployment")
    assert {w["workflow_type"] for w in deployment_rows.values()} == {"model_deployment"}
    assert deployment["workflow_id"] in deployment_rows and workflow_id not in deployment_rows
    assert deployment_rows[deployment["workflow_id"]]["total_steps"] == DEPLOY_STEPS

    deleted = assert_status(await workflows_api.delete(admin_token, workflow_id), 200)
    assert (deleted["object"], deleted["message"]) == ("workflow.delete", "Successfully cancelled model onboarding.")
    assert_error_response(await workflows_api.get(admin_token, workflow_id), 400, "Workflow not found")
    assert workflow_id not in await in_progress_workflows(workflows_api, admin_token, "cloud_model_onboarding")


async def in_progress_workflows(workflows_api, token: str, workflow_type: str) -> dict[str, dict]:
    """The caller's in-progress workflows of one type, by id."""
    listing = assert_status(await workflows_api.list(token, workflow_type=workflow_type, limit=100), 200)
    assert listing["object"] == "workflow.list"
    return {w["id"]: w for w in listing["workflows"]}


@pytest.mark.priority_p1
async def test_a_cloud_onboarding_step_sent_again_replaces_its_data(
    models_api, workflows_api, admin_token, workflow_janitor
):
    """Cloud model onboarding stores each step call's fields as that step's whole data: sending step 1 again
    without the name it carried before drops the name (budapp replaces the step, it does not merge into it)."""
    name = unique_name("model")
    first = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model", name=name), 200)
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    assert first["workflow_steps"]["name"] == name

    again = assert_status(
        await models_api.cloud_step(
            admin_token, 1, workflow_id, provider_type="cloud_model", add_model_modality=["llm"]
        ),
        200,
    )
    assert (again["current_step"], again["workflow_steps"]["provider_type"]) == (1, "cloud_model")
    assert (again["workflow_steps"]["name"], again["workflow_steps"]["add_model_modality"]) == (None, ["llm"])
    record = assert_status(await workflows_api.get(admin_token, workflow_id), 200)
    assert (record["workflow_steps"]["name"], record["workflow_steps"]["add_model_modality"]) == (None, ["llm"])


@pytest.mark.priority_p1
async def test_a_deployment_step_sent_again_keeps_its_earlier_fields(
    deployments_api, workflows_api, admin_token, admin_project, workflow_janitor
):
    """Model deployment merges a step call into the step's data: step 1 sent again with the endpoint name keeps
    the project step 1 named before."""
    name = unique_name("endpoint")
    first = assert_status(await deployments_api.step(admin_token, 1, project_id=admin_project["id"]), 200)
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)

    again = assert_status(await deployments_api.step(admin_token, 1, workflow_id, endpoint_name=name), 200)
    assert again["current_step"] == 1
    assert (again["workflow_steps"]["project"]["id"], again["workflow_steps"]["endpoint_name"]) == (
        admin_project["id"],
        name,
    )
    record = assert_status(await workflows_api.get(admin_token, workflow_id), 200)
    assert (record["workflow_steps"]["project"]["id"], record["workflow_steps"]["endpoint_name"]) == (
        admin_project["id"],
        name,
    )


@pytest.mark.priority_p1
async def test_marking_a_workflow_completed(models_api, workflows_api, admin_token, workflow_janitor):
    """PATCH marks the caller's workflow completed (the id comes back under `id`); it leaves the in-progress list."""
    started = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_id = started["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    body = assert_status(await workflows_api.mark_completed(admin_token, workflow_id), 200)
    assert (body["object"], body["message"], body["id"], body["status"]) == (
        "workflow.get",
        "Workflow marked as completed",
        workflow_id,
        "completed",
    )
    listing = assert_status(await workflows_api.list(admin_token, limit=100), 200)
    assert workflow_id not in {w["id"] for w in listing["workflows"]}
    assert_error_response(
        await workflows_api.delete(admin_token, workflow_id),
        400,
        "Workflow is not in progress state",
    )


@pytest.mark.priority_p2
async def test_unknown_workflow_ids(workflows_api, admin_token):
    """GET answers 400 for an unknown id (budapp's quirk); PATCH and DELETE answer 404, all "Workflow not found"."""
    unknown = str(uuid.uuid4())
    assert_error_response(await workflows_api.get(admin_token, unknown), 400, "Workflow not found")
    assert_error_response(await workflows_api.mark_completed(admin_token, unknown), 404, "Workflow not found")
    assert_error_response(await workflows_api.delete(admin_token, unknown), 404, "Workflow not found")
