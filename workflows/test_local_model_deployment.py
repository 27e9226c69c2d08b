"""Deploying a local model: budsim recommends clusters, budcluster deploys, the endpoint runs."""

import pytest

from helpers.assertions import assert_error_response, assert_status
from helpers.deployments import DEFAULT_DEPLOY_CONFIG, start_simulation
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]


@pytest.mark.priority_p0
async def test_local_model_deployment_state_transitions(
    test_cluster,
    local_model_factory,
    admin_project,
    local_endpoint_factory,
    deployments_api,
    clusters_api,
    workflow_waiter,
    admin_token,
    gateway_redis,
):
    """
    A local model is deployed onto an onboarded cluster and later removed.

    Flow:
    1. Deploy (steps 1, 4, 6, 8): step 4's deploy_config starts budsim; its recommendations list the
       cluster; step 8 triggers budcluster's deploy_model workflow.
    2. The workflow completes; its endpoint_details are budcluster's deployment result (namespace,
       URL, nodes), and budapp lists the endpoint, running on that cluster.
    3. While the endpoint runs, the cluster cannot be deleted, and the gateway's Redis holds its route.
    4. Deleting the endpoint removes the route at once (budapp does not wait for budcluster) and runs
       endpoint_deletion through budcluster to completion; then the endpoint is no longer listed and its route
       stays gone.
    """
    model = await local_model_factory()
    deployment = await local_endpoint_factory(project=admin_project, model=model, cluster=test_cluster)
    steps = deployment.record["workflow_steps"]
    simulated = {s["id"]: s["payload"]["content"]["status"] for s in steps["bud_simulator_events"]["steps"]}
    assert simulated == {"validation": "COMPLETED", "performance_estimation": "COMPLETED", "ranking": "COMPLETED"}
    deployed = [s["id"] for s in steps["budserve_cluster_events"]["steps"]]
    assert deployed == [
        "verify_cluster_connection",
        "transfer_model_to_cluster",
        "deploy_to_engine",
        "verify_deployment_status",
        "run_performance_benchmark",
    ]
    details = steps["endpoint_details"]
    assert (details["cluster_id"], details["simulator_id"]) == (test_cluster["cluster_id"], steps["simulator_id"])
    assert details["namespace"] and details["result"]["deployment_url"] and details["number_of_nodes"] >= 1
    assert "id" not in details and "name" not in details, "endpoint_details is budcluster's result, not the endpoint"
    endpoint = deployment.endpoint
    endpoint_id = endpoint["id"]
    assert (endpoint["status"], endpoint["cluster"]["id"], endpoint["model"]["id"]) == (
        "running",
        test_cluster["id"],
        model["id"],
    )
    assert_error_response(
        await clusters_api.delete(admin_token, test_cluster["id"]), 400, "Cannot delete cluster with active deployments"
    )
    assert await gateway_redis.get(f"model_table:{endpoint_id}") is not None, "the running endpoint has no route"

    deletion = assert_status(await deployments_api.delete_endpoint(admin_token, endpoint_id), 200)
    assert await gateway_redis.get(f"model_table:{endpoint_id}") is None, "the route outlived the deletion request"
    await workflow_waiter(admin_token).wait_for_workflow(
        workflow_type="endpoint_deletion", workflow_id=deletion["workflow_id"]
    )
    listing = assert_status(await deployments_api.endpoints(admin_token, project_id=admin_project["id"]), 200)
    assert endpoint_id not in {e["id"] for e in listing["endpoints"]}
    assert await gateway_redis.get(f"model_table:{endpoint_id}") is None, "the deleted endpoint's route came back"


@pytest.mark.priority_p1
async def test_a_model_with_a_running_endpoint_is_not_deleted(
    test_cluster,
    local_model_factory,
    admin_project,
    local_endpoint_factory,
    models_api,
    admin_token,
):
    """Deleting a model that an endpoint serves is refused with 400 "Cannot delete model because it has active
    endpoint."; the model stays."""
    model = await local_model_factory()
    await local_endpoint_factory(project=admin_project, model=model, cluster=test_cluster)
    response = await models_api.delete(admin_token, model["id"])
    assert assert_status(response, 400)["message"] == "Cannot delete model because it has active endpoint."
    kept = assert_status(await models_api.get(admin_token, model["id"]), 200)["model"]
    assert kept["id"] == model["id"]


@pytest.mark.priority_p1
async def test_simulation_recommends_the_onboarded_cluster(
    test_cluster,
    local_model_factory,
    admin_project,
    deployments_api,
    workflow_waiter,
    admin_token,
    workflow_janitor,
):
    """budsim's ranking for a deployment lists the available cluster, with its budcluster id and cost."""
    model = await local_model_factory()
    first, fourth = await start_simulation(
        deployments_api, admin_token, project_id=admin_project["id"], model_id=model["id"], started=workflow_janitor
    )
    assert fourth["workflow_steps"]["bud_simulator_events"]["workflow_name"] == "run_simulation"
    clusters = await workflow_waiter(admin_token).recommended_clusters(first["workflow_id"], test_cluster["id"])
    mine = next((c for c in clusters if c["id"] == test_cluster["id"]), None)
    assert mine, "the onboarded cluster was not recommended"
    assert (mine["cluster_id"], mine["name"]) == (test_cluster["cluster_id"], test_cluster["name"])
    assert mine["cost_per_token"] > 0 and mine["benchmarks"]["replicas"] >= 1


@pytest.mark.priority_p1
async def test_busy_hardware_is_recommended_for_shared_deployments_only(
    test_cluster,
    cluster_factory,
    local_model_factory,
    admin_project,
    deployments_api,
    workflow_waiter,
    admin_token,
    workflow_janitor,
):
    """
    budsim simulates in the hardware mode the deployment chose (step 1's hardware_mode).

    Flow: beside a cluster with free workers, a cluster whose CPU workers are all taken but whose memory is not
    (simulated hardware sim-cpu-busy); a deployment choosing shared hardware gets the busy cluster recommended;
    one choosing dedicated hardware gets the free cluster and not the busy one.
    """
    busy = await cluster_factory("sim-cpu-busy")
    model = await local_model_factory()

    async def recommended_for(hardware_mode: str, awaited: dict) -> set[str]:
        first, _ = await start_simulation(
            deployments_api,
            admin_token,
            project_id=admin_project["id"],
            model_id=model["id"],
            started=workflow_janitor,
            hardware_mode=hardware_mode,
        )
        assert first["workflow_steps"]["hardware_mode"] == hardware_mode
        ranked = await workflow_waiter(admin_token).recommended_clusters(first["workflow_id"], awaited["id"])
        return {c["id"] for c in ranked}

    assert busy["id"] in await recommended_for("shared", busy), "shared hardware: the busy cluster was not recommended"
    dedicated = await recommended_for("dedicated", test_cluster)
    assert (test_cluster["id"] in dedicated, busy["id"] in dedicated) == (True, False), (
        "dedicated hardware: the free cluster should be recommended and the busy one not"
    )


@pytest.mark.priority_p2
async def test_local_trigger_needs_cluster_and_simulation(
    deployments_api, admin_token, admin_project, local_model_factory, workflow_janitor
):
    """A trigger that carries the deploy_config starts budsim first (the simulator id is then known), so only
    the cluster is missing."""
    model = await local_model_factory()
    first = assert_status(
        await deployments_api.step(admin_token, 1, project_id=admin_project["id"], model_id=model["id"]), 200
    )
    workflow_janitor(admin_token, first["workflow_id"])
    response = await deployments_api.step(
        admin_token,
        2,
        first["workflow_id"],
        endpoint_name=unique_name("endpoint"),
        trigger_workflow=True,
        deploy_config=DEFAULT_DEPLOY_CONFIG,
    )
    body = assert_error_response(response, 400)
    assert body["message"] == "Missing required data: cluster_id"
