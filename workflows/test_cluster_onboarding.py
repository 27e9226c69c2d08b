"""Cluster onboarding (workflow_type cluster_onboarding): budapp → budcluster → events back."""

import re

import pytest

from fixtures.cleanup import delete_cluster_and_wait
from helpers.assertions import assert_error_response, assert_status
from helpers.clusters import CLUSTER_ICON, CLUSTER_ONBOARDING_STEPS, expected_resources, reported_resources
from helpers.data_factory import TestDataFactory, require_cluster_target, shares_one_cluster
from helpers.waiting import WaitFailed

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]

# data/clusters/sim-cpu-3node-one-down.yaml: three nodes (one not ready) with four CPU device entries
MIXED_NODES_CLUSTER = "sim-cpu-3node-one-down"
MIXED_NODES_RESOURCES = {
    "total_nodes": 3,
    "available_nodes": 2,
    "cpu_count": 4,
    "cpu_total_workers": 56,
    "gpu_count": 0,
    "gpu_total_workers": 0,
    "hpu_count": 0,
    "hpu_total_workers": 0,
}
BUDCLUSTER_STEPS = [
    "determine_cluster_platform",
    "check_duplicate_config",
    "verify_cluster_connection",
    "configure_cluster",
    "fetch_cluster_info",
]


@pytest.mark.priority_p0
async def test_cluster_onboarding_step_by_step(
    clusters_api, workflow_waiter, admin_token, settings, workflow_janitor, budcluster_api
):
    """
    An admin registers a Kubernetes cluster and later removes it.

    Flow:
    1. Step 1 {name, icon, ingress_url}: a cluster_onboarding workflow in progress.
    2. Step 2 {configuration_file}: the kubeconfig is accepted.
    3. Step 3 {ingress_url, trigger_workflow}: budcluster's register_cluster workflow starts; its steps
       appear as create_cluster_events.
    4. The workflow completes; workflow_steps.cluster is the new, available cluster with its nodes.
    5. The cluster is readable and listed, with the node and device counts of budcluster's node list: of its
       three nodes two are ready, and each device entry counts once, its available workers adding up.
    6. Deleting it runs cluster_deletion to completion, after which budapp answers 400 "Cluster not found" (its
       route turns the lookup's 404 into 400) and no longer lists it, and budcluster has no nodes left for it.
    """
    require_cluster_target(settings)
    if shares_one_cluster(settings):
        pytest.skip(
            "the configured kubeconfig is registered once per run (shared cluster); "
            "its onboarding and deletion run in the shared_cluster fixture"
        )
    spec = TestDataFactory.create_test_cluster(MIXED_NODES_CLUSTER)
    first = assert_status(
        await clusters_api.onboarding_step(
            admin_token, 1, name=spec.name, icon=CLUSTER_ICON, ingress_url=spec.ingress_url
        ),
        200,
    )
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    assert (first["status"], first["current_step"], first["workflow_steps"]["name"]) == ("in_progress", 1, spec.name)
    assert first["total_steps"] == CLUSTER_ONBOARDING_STEPS

    second = assert_status(
        await clusters_api.onboarding_step(admin_token, 2, workflow_id=workflow_id, kubeconfig=spec.kubeconfig), 200
    )
    assert second["current_step"] == 2

    started = assert_status(
        await clusters_api.onboarding_step(
            admin_token, 3, workflow_id=workflow_id, ingress_url=spec.ingress_url, trigger_workflow=True
        ),
        200,
    )
    events = started["workflow_steps"]["create_cluster_events"]
    assert events["object"] == "workflow_metadata" and events["workflow_name"] == "register_cluster"
    assert [s["id"] for s in events["steps"]] == BUDCLUSTER_STEPS

    final = await workflow_waiter(admin_token).wait_for_workflow(
        workflow_type="cluster_onboarding", workflow_id=workflow_id
    )
    cluster = final["workflow_steps"]["cluster"]
    try:
        assert (cluster["name"], cluster["status"]) == (spec.name, "available")
        assert reported_resources(cluster) == MIXED_NODES_RESOURCES
        reported = {
            s["id"]: s["payload"]["content"]["status"]
            for s in final["workflow_steps"]["create_cluster_events"]["steps"]
        }
        assert reported == dict.fromkeys(BUDCLUSTER_STEPS, "COMPLETED")

        detail = assert_status(await clusters_api.get(admin_token, cluster["id"]), 200)
        assert detail["cluster"]["cluster_id"] == cluster["cluster_id"]
        assert reported_resources(detail["cluster"]) == MIXED_NODES_RESOURCES
        nodes = assert_status(await budcluster_api.nodes(cluster["cluster_id"]), 200)
        assert expected_resources(nodes["param"]["nodes"]) == MIXED_NODES_RESOURCES
        listed = assert_status(await clusters_api.list(admin_token, name=spec.name), 200)
        assert [c["id"] for c in listed["clusters"]] == [cluster["id"]]
    finally:
        await delete_cluster_and_wait(clusters_api, workflow_waiter(admin_token), cluster["id"])
    assert_error_response(await clusters_api.get(admin_token, cluster["id"]), 400, "Cluster not found")
    assert assert_status(await clusters_api.list(admin_token, name=spec.name), 200)["clusters"] == []
    nodes = assert_status(await budcluster_api.nodes(cluster["cluster_id"]), 200)
    assert nodes["param"]["nodes"] == [], "budcluster still holds the deleted cluster's nodes"


@pytest.mark.priority_p1
async def test_unreachable_cluster_fails_in_the_step_payloads(
    clusters_api, admin_token, workflow_janitor, workflow_waiter, workflows_api
):
    """
    A kubeconfig whose API server cannot be reached fails budcluster's first step, determine_cluster_platform.

    budapp leaves the workflow in_progress; only the step payload says FAILED — the
    waiter must stop on it at once instead of running into its timeout.
    """
    spec = TestDataFactory.create_test_cluster("unreachable-cluster")
    started = assert_status(
        await clusters_api.start_onboarding(admin_token, spec.name, spec.kubeconfig, spec.ingress_url), 200
    )
    workflow_janitor(admin_token, started["workflow_id"])
    with pytest.raises(
        WaitFailed,
        match=re.escape(
            "create_cluster_events step 'determine_cluster_platform' FAILED: Cluster platform determination failed"
        ),
    ):
        await workflow_waiter(admin_token).wait_for_workflow(
            workflow_type="cluster_onboarding", workflow_id=started["workflow_id"]
        )
    record = assert_status(await workflows_api.get(admin_token, started["workflow_id"]), 200)
    assert record["status"] == "in_progress" and record["workflow_steps"]["cluster"] is None
    assert (record["current_step"], record["total_steps"]) == (2, CLUSTER_ONBOARDING_STEPS)
    # the event block keeps the status budcluster answered at the start: budapp only fills its steps' payloads
    assert (
        record["workflow_steps"]["create_cluster_events"]["status"]
        == started["workflow_steps"]["create_cluster_events"]["status"]
    )

    # the workflow list shows the failure too: the workflow's progress tracks the same block
    listing = assert_status(
        await workflows_api.list(admin_token, workflow_type="cluster_onboarding", limit=100),
        200,
    )
    progress = next(w["progress"] for w in listing["workflows"] if w["id"] == started["workflow_id"])
    assert progress["progress_type"] == "create_cluster_events"
    assert {s["id"]: s["payload"].get("content", {}).get("status") for s in progress["steps"]} == {
        "determine_cluster_platform": "FAILED",
        **dict.fromkeys(BUDCLUSTER_STEPS[1:]),
    }
    listed = assert_status(await clusters_api.list(admin_token, name=spec.name), 200)
    assert listed["clusters"] == []


@pytest.mark.priority_p1
async def test_same_configuration_cannot_be_registered_twice(
    test_cluster, cluster_factory, clusters_api, workflow_waiter, admin_token, workflow_janitor
):
    """A second onboarding of a registered cluster's kubeconfig (same API server) fails at check_duplicate_config;
    no second cluster is listed."""
    spec = cluster_factory.specs[test_cluster["id"]]
    again = TestDataFactory.create_test_cluster().name
    started = assert_status(
        await clusters_api.start_onboarding(admin_token, again, spec.kubeconfig, spec.ingress_url), 200
    )
    workflow_janitor(admin_token, started["workflow_id"])
    with pytest.raises(
        WaitFailed,
        match=re.escape(
            "check_duplicate_config' FAILED: This cluster is already registered. Please delete it and try again."
        ),
    ):
        await workflow_waiter(admin_token).wait_for_workflow(
            workflow_type="cluster_onboarding", workflow_id=started["workflow_id"]
        )
    assert assert_status(await clusters_api.list(admin_token, name=again), 200)["clusters"] == []


@pytest.mark.priority_p1
@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("kubeconfig.txt", b"apiVersion: v1", "Invalid file extension for configuration file"),
        ("kubeconfig.yaml", b"clusters: [unclosed", "Invalid cluster configuration yaml file found"),
    ],
    ids=["wrong-extension", "broken-yaml"],
)
async def test_bad_configuration_files_are_refused(clusters_api, admin_token, file_name, content, message):
    response = await clusters_api.onboarding_step(admin_token, 1, kubeconfig=content, kubeconfig_name=file_name)
    assert_error_response(response, 400, message)


@pytest.mark.priority_p2
async def test_call_without_name_url_or_file_is_refused_with_400(clusters_api, admin_token):
    """A first step naming no cluster (no name, ingress URL or configuration file) is a 400 ErrorResponse.

    budapp builds that ErrorResponse but returns the model instead of its HTTP response, so it goes out with
    HTTP 200 (registered defect BUD-003).
    """
    response = await clusters_api.onboarding_step(admin_token, 1, icon=CLUSTER_ICON)
    assert_error_response(
        response, 400, "At least one of name, ingress_url, configuration_file is required when workflow_id is provided"
    )


@pytest.mark.priority_p2
async def test_an_icon_budapp_does_not_ship_is_refused(clusters_api, admin_token):
    """An icon that is neither one of budapp's emojis nor a file in its static folder is a 422 on `icon`."""
    response = await clusters_api.onboarding_step(admin_token, 1, name="e2e-icon-check", icon="icons/cluster.png")
    [problem] = assert_status(response, 422)["detail"]
    assert (problem["loc"], problem["msg"], problem["input"]) == (
        ["icon"],
        "Value error, invalid icon",
        "icons/cluster.png",
    )
