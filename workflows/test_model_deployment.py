"""Model deployment (workflow_type model_deployment) of a cloud model: synchronous."""

import json

import pytest

from helpers.assertions import assert_error_response, assert_status, assert_workflow_completed
from helpers.models import enabled_capabilities, enabled_endpoints, gateway_model_name
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]


@pytest.mark.priority_p0
async def test_cloud_model_deployment_creates_a_running_endpoint(
    deployments_api,
    workflow_waiter,
    gateway_redis,
    admin_token,
    admin_project,
    model_factory,
    provider_credential,
    workflow_janitor,
):
    """
    An admin deploys an onboarded cloud model that serves two endpoints (chat and responses) into a project.

    Flow:
    1. Step 1 {project_id, model_id, hardware_mode}; step 2 {credential_id}.
    2. Step 4 {endpoint_name, deploy_config, trigger_workflow}: the workflow is completed at once and
       budserve_cluster_events reports the new endpoint.
    3. The endpoint is listed in the project as running, serving every one of the model's endpoints.
    4. The gateway's routing record for it is in Redis, naming the same endpoints.
    5. Deleting the endpoint completes an endpoint_deletion workflow; the endpoint and its route are gone, and
       deleting it again answers 404 "Endpoint not found".
    """
    test_model = await model_factory(endpoint="/v1/responses")
    assert enabled_endpoints(test_model) == {"/v1/chat/completions", "/v1/responses"}
    name = unique_name("endpoint")
    first = assert_status(
        await deployments_api.step(
            admin_token, 1, project_id=admin_project["id"], model_id=test_model["id"], hardware_mode="shared"
        ),
        200,
    )
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    assert first["workflow_steps"]["project"]["id"] == admin_project["id"]
    assert first["workflow_steps"]["model"]["id"] == test_model["id"]
    assert_status(await deployments_api.step(admin_token, 2, workflow_id, credential_id=provider_credential["id"]), 200)

    done = assert_status(
        await deployments_api.step(
            admin_token,
            4,
            workflow_id,
            endpoint_name=name,
            trigger_workflow=True,
            deploy_config={"concurrent_requests": 2, "avg_sequence_length": 128, "avg_context_length": 512},
        ),
        200,
    )
    assert done["status"] == "completed"
    events = done["workflow_steps"]["budserve_cluster_events"]
    assert (events["status"], events["message"]) == ("completed", "Cloud model endpoint created successfully")
    endpoint_id = events["endpoint_id"]
    try:
        listing = assert_status(await deployments_api.endpoints(admin_token, project_id=admin_project["id"]), 200)
        endpoint = next(e for e in listing["endpoints"] if e["id"] == endpoint_id)
        assert (endpoint["name"], endpoint["status"], endpoint["model"]["id"]) == (name, "running", test_model["id"])
        # the endpoint lists its paths; the model response maps every known endpoint to whether it is enabled
        assert set(endpoint["supported_endpoints"]) == enabled_endpoints(test_model)
        assert len(endpoint["supported_endpoints"]) == len(enabled_endpoints(test_model))
        assert endpoint["model"]["supported_endpoints"] == test_model["supported_endpoints"]

        route = json.loads(await gateway_redis.get(f"model_table:{endpoint_id}"))
        assert route[endpoint_id]["routing"] == [test_model["source"]]
        assert route[endpoint_id]["providers"][test_model["source"]]["model_name"] == gateway_model_name(test_model)
        assert sorted(route[endpoint_id]["endpoints"]) == sorted(enabled_capabilities(test_model))
    finally:
        deleted = assert_status(await deployments_api.delete_endpoint(admin_token, endpoint_id), 200)
    await assert_workflow_completed(
        workflow_waiter(admin_token), deleted["workflow_id"], workflow_type="endpoint_deletion"
    )
    listing = assert_status(await deployments_api.endpoints(admin_token, project_id=admin_project["id"]), 200)
    assert endpoint_id not in {e["id"] for e in listing["endpoints"]}, "the deleted endpoint is still listed"
    assert await gateway_redis.get(f"model_table:{endpoint_id}") is None, (
        "the gateway still routes to the deleted endpoint"
    )
    assert_error_response(await deployments_api.delete_endpoint(admin_token, endpoint_id), 404, "Endpoint not found")


@pytest.mark.priority_p1
async def test_endpoints_are_listed_in_their_own_project_only(
    deployments_api, admin_token, test_endpoint, admin_project, project_factory
):
    """
    An admin lists the endpoints of each of two projects: the endpoint appears in its own project's list only.

    Flow: a running endpoint in one project (fixture) and a second project without endpoints; filtered by the
    endpoint's name, the first project lists exactly that endpoint and the second lists nothing (total 0).
    """
    empty_project = await project_factory(token=admin_token, project_type="admin_app")
    own = assert_status(
        await deployments_api.endpoints(admin_token, project_id=admin_project["id"], name=test_endpoint["name"]), 200
    )
    assert ([e["id"] for e in own["endpoints"]], own["total_record"]) == ([test_endpoint["id"]], 1)
    other = assert_status(
        await deployments_api.endpoints(admin_token, project_id=empty_project["id"], name=test_endpoint["name"]), 200
    )
    assert (other["endpoints"], other["total_record"]) == ([], 0)
    unfiltered = assert_status(await deployments_api.endpoints(admin_token, project_id=empty_project["id"]), 200)
    assert (unfiltered["endpoints"], unfiltered["total_record"]) == ([], 0)


@pytest.mark.priority_p1
async def test_endpoint_names_are_unique(deployments_api, admin_token, test_endpoint, admin_project, workflow_janitor):
    """An existing endpoint name (any case) is refused, from the step after the one that names it.

    budapp lower-cases the name, and checks it only against a workflow that already has steps: the first step of a
    new workflow is accepted, the next one is refused.
    """
    first = assert_status(
        await deployments_api.step(
            admin_token, 1, project_id=admin_project["id"], endpoint_name=test_endpoint["name"].upper()
        ),
        200,
    )
    workflow_janitor(admin_token, first["workflow_id"])
    assert first["workflow_steps"]["endpoint_name"] == test_endpoint["name"]
    response = await deployments_api.step(admin_token, 2, first["workflow_id"], hardware_mode="shared")
    assert_error_response(response, 400, "An endpoint with this name already exists")


@pytest.mark.priority_p1
async def test_trigger_without_credential_names_what_is_missing(
    deployments_api, admin_token, admin_project, test_model, workflow_janitor
):
    first = assert_status(
        await deployments_api.step(admin_token, 1, project_id=admin_project["id"], model_id=test_model["id"]), 200
    )
    workflow_janitor(admin_token, first["workflow_id"])
    response = await deployments_api.step(
        admin_token,
        2,
        first["workflow_id"],
        trigger_workflow=True,
        endpoint_name=unique_name("endpoint"),
        deploy_config={"concurrent_requests": 1, "avg_sequence_length": 1, "avg_context_length": 1},
    )
    assert_error_response(response, 400, "Missing required data: credential_id")


@pytest.mark.priority_p1
async def test_project_with_a_running_endpoint_cannot_be_deleted(
    projects_api, admin_token, test_endpoint, admin_project
):
    response = await projects_api.delete(admin_token, admin_project["id"])
    assert_error_response(response, 400, "Cannot delete the project because it has an active endpoint.")
