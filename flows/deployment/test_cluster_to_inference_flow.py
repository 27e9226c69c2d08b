"""From a new cluster to an answered request on a model deployed there."""

import pytest

from helpers.assertions import assert_status
from helpers.gateway import playground_key
from helpers.metrics import moments_ago

pytestmark = [pytest.mark.e2e, pytest.mark.flow, pytest.mark.slow]


@pytest.mark.priority_p1
async def test_cluster_to_inference(
    cluster_factory,
    local_model_factory,
    admin_project,
    local_endpoint_factory,
    budapp_client,
    admin_token,
    gateway_api,
    metrics_api,
):
    """
    An operator brings a cluster and a model together and serves traffic.

    Flow:
    1. Onboard a cluster (cluster_onboarding) and a Hugging Face model (local_model_onboarding).
    2. Deploy the model on the cluster (simulation, recommendation, deployment).
    3. Chat through the gateway with the endpoint's name.
    4. The inference shows in budmetrics under that endpoint.
    """
    since = moments_ago()
    cluster = await cluster_factory()
    model = await local_model_factory()
    deployment = await local_endpoint_factory(project=admin_project, model=model, cluster=cluster)
    endpoint = deployment.endpoint
    details = deployment.record["workflow_steps"]["endpoint_details"]  # budcluster's deployment result
    assert (details["cluster_id"], endpoint["cluster"]["id"]) == (cluster["cluster_id"], cluster["id"])

    key = await playground_key(budapp_client, admin_token)
    await gateway_api.wait_for_key(key, [endpoint["name"]])  # the gateway learns new keys and routes from Redis
    answer = assert_status(await gateway_api.chat(key, endpoint["name"], "Hello from the cluster flow"), 200)
    assert answer["model"] == endpoint["name"]
    recorded = await metrics_api.wait_for_inference(answer["id"], since)
    assert (recorded["endpoint_id"], recorded["model_id"]) == (endpoint["id"], model["id"])
