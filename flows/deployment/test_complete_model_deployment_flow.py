"""From a model in the catalog to an answered request that shows in the metrics."""

import pytest

from helpers.assertions import assert_status
from helpers.gateway import playground_key
from helpers.metrics import moments_ago

pytestmark = [pytest.mark.e2e, pytest.mark.flow]


@pytest.mark.priority_p0
async def test_select_deploy_infer_and_see_it_in_metrics(
    model_factory,
    admin_project,
    provider_credential,
    endpoint_factory,
    budapp_client,
    admin_token,
    gateway_api,
    metrics_api,
):
    """
    An admin takes a cloud model into use and calls it.

    Flow:
    1. Onboard a catalog model (cloud_model_onboarding).
    2. Deploy it into a project (model_deployment); the endpoint runs.
    3. Get a gateway key (playground initialization of the access token).
    4. POST /v1/chat/completions with the endpoint's name as `model`: an OpenAI-shaped answer.
    5. budmetrics lists that inference under the endpoint, project and model, with its token counts.
    """
    since = moments_ago()
    model = await model_factory()
    record = await endpoint_factory(project=admin_project, model=model, credential=provider_credential)
    endpoint_id = record["workflow_steps"]["budserve_cluster_events"]["endpoint_id"]
    endpoint_name = record["workflow_steps"]["endpoint_name"]
    key = await playground_key(budapp_client, admin_token)
    await gateway_api.wait_for_key(key, [endpoint_name])  # the gateway learns new keys and routes from Redis

    answer = assert_status(await gateway_api.chat(key, endpoint_name, "What is the capital of France?"), 200)
    assert answer["object"] == "chat.completion" and answer["model"] == endpoint_name
    assert answer["choices"][0]["message"]["role"] == "assistant" and answer["choices"][0]["message"]["content"]
    usage = answer["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0

    recorded = await metrics_api.wait_for_inference(answer["id"], since)
    assert (recorded["endpoint_id"], recorded["project_id"], recorded["model_id"]) == (
        endpoint_id,
        admin_project["id"],
        model["id"],
    ), "the inference was served by another endpoint"
    assert (recorded["input_tokens"], recorded["output_tokens"]) == (usage["prompt_tokens"], usage["completion_tokens"])
    assert recorded["is_success"] is True
