"""budgateway ↔ ClickHouse ↔ budmetrics: every answered request is recorded once, where budmetrics reads it."""

import uuid

import pytest

from helpers.assertions import assert_status
from helpers.gateway import initialize_playground, key_record_name, playground_key
from helpers.masking import register_secret
from helpers.metrics import moments_ago
from helpers.tokens import seconds_left

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_each_inference_is_one_row_in_clickhouse_and_in_metrics(
    test_endpoint,
    gateway_key,
    gateway_api,
    metrics_api,
    clickhouse_client,
):
    """Three requests: three rows in budmetrics' InferenceFact for the endpoint, each listed by budmetrics."""
    since = moments_ago()
    ids = []
    for prompt in ("one", "two", "three"):
        answer = assert_status(await gateway_api.chat(gateway_key, test_endpoint["name"], prompt), 200)
        ids.append(answer["id"])
    for inference_id in ids:
        recorded = await metrics_api.wait_for_inference(inference_id, since)
        assert recorded["endpoint_id"] == test_endpoint["id"], f"inference {inference_id} went to another endpoint"
    rows = clickhouse_client.query(
        "SELECT toString(inference_id), toString(endpoint_id) FROM metrics.InferenceFact FINAL "
        "WHERE endpoint_id = {endpoint:UUID}",
        parameters={"endpoint": uuid.UUID(test_endpoint["id"])},
    ).result_rows
    assert sorted(r[0] for r in rows) == sorted(ids)


@pytest.mark.priority_p1
async def test_gateway_refusals_follow_the_openai_error_shape(gateway_api, gateway_key, test_endpoint):
    """Missing key, unknown key, missing model and unknown model each get the documented error."""
    cases = [
        (await gateway_api.chat(None, test_endpoint["name"], "hi"), 401, "Missing authorization header"),
        (await gateway_api.chat("bud_client_" + "x" * 43, test_endpoint["name"], "hi"), 401, "Invalid API key"),
        (
            await gateway_api.chat_with_body(gateway_key, {"messages": []}),
            400,
            "Missing model name in request body",
        ),
        (await gateway_api.chat(gateway_key, "no-such-endpoint", "hi"), 404, "Model not found: no-such-endpoint"),
    ]
    for response, status, message in cases:
        assert assert_status(response, status) == {
            "error": {"message": message, "type": "invalid_request_error", "code": status}
        }


@pytest.mark.priority_p2
async def test_embeddings_on_a_chat_endpoint_are_refused(gateway_api, gateway_key, test_endpoint):
    """A chat model has no /v1/embeddings: 400, naming the model by its endpoint id and the missing capability."""
    response = await gateway_api.embeddings(gateway_key, test_endpoint["name"], "text")
    assert assert_status(response, 400) == {
        "error": f"Model `{test_endpoint['id']}` is not configured to support capability "
        '`embedding`. Add `endpoints = ["embedding"]` to the model configuration.'
    }


@pytest.mark.priority_p1
async def test_budmetrics_filters_counts_orders_and_pages_what_the_gateway_answered(
    test_endpoint,
    admin_project,
    test_model,
    provider_credential,
    endpoint_factory,
    project_factory,
    admin_token,
    admin_user,
    auth_api,
    budapp_client,
    gateway_api,
    metrics_api,
):
    """
    budmetrics lists exactly the inferences the gateway answered, by endpoint and by project, newest first.

    Flow:
    1. A second endpoint of the model in another project; one gateway key for both endpoints.
    2. Three chats to the first endpoint, then one to the second.
    3. Filtered by the first endpoint: its three inferences only, newest first, total_count 3, each with that
       endpoint's project and model and the token counts of its answer (total = input + output).
    4. Filtered by the other project: only the second endpoint's inference.
    5. Pages of the first endpoint's list: has_more while rows remain, false on a page ending at the last row.
    """
    since = moments_ago()
    other_project = await project_factory(token=admin_token, project_type="admin_app")
    second = await endpoint_factory(project=other_project, model=test_model, credential=provider_credential)
    second_id = second["workflow_steps"]["budserve_cluster_events"]["endpoint_id"]
    key = await playground_key(budapp_client, await auth_api.valid_access_token(admin_user, margin=120))
    await gateway_api.wait_for_key(key, [test_endpoint["name"], second["workflow_steps"]["endpoint_name"]])

    answers = [
        assert_status(await gateway_api.chat(key, test_endpoint["name"], prompt), 200)
        for prompt in ("one", "two words", "now three words")
    ]
    other = assert_status(await gateway_api.chat(key, second["workflow_steps"]["endpoint_name"], "elsewhere"), 200)
    newest_first = [a["id"] for a in reversed(answers)]

    listed = await metrics_api.wait_for_inferences(since, 3, endpoint_id=test_endpoint["id"])
    assert [r["inference_id"] for r in listed] == newest_first, "not the endpoint's inferences, newest first"
    usage = {a["id"]: a["usage"] for a in answers}
    for row in listed:
        sent = usage[row["inference_id"]]
        assert (row["endpoint_id"], row["project_id"], row["model_id"]) == (
            test_endpoint["id"],
            admin_project["id"],
            test_model["id"],
        )
        assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
            sent["prompt_tokens"],
            sent["completion_tokens"],
            sent["prompt_tokens"] + sent["completion_tokens"],
        )
    page = await metrics_api.inferences(since, endpoint_id=test_endpoint["id"])
    assert (page["total_count"], page["has_more"]) == (3, False)

    await metrics_api.wait_for_inferences(since, 1, endpoint_id=second_id)
    in_other_project = await metrics_api.inferences(since, project_id=other_project["id"])
    assert [r["inference_id"] for r in in_other_project["items"]] == [other["id"]]
    assert in_other_project["total_count"] == 1

    await assert_pages(metrics_api, since, test_endpoint["id"], newest_first)


async def assert_pages(metrics_api, since, endpoint_id: str, newest_first: list[str]) -> None:
    """Offset/limit pages of an endpoint's three inferences: rows, total and has_more of each."""
    pages = [  # (offset, limit): the rows, has_more
        ((0, 2), newest_first[:2], True),
        ((2, 2), newest_first[2:], False),
        ((0, 3), newest_first, False),
        ((1, 2), newest_first[1:], False),
    ]
    for (offset, limit), rows, has_more in pages:
        page = await metrics_api.inferences(since, offset=offset, limit=limit, endpoint_id=endpoint_id)
        seen = ([r["inference_id"] for r in page["items"]], page["total_count"], page["has_more"])
        assert seen == (rows, 3, has_more), f"page offset={offset} limit={limit}"
        assert (page["offset"], page["limit"]) == (offset, limit)


@pytest.mark.priority_p1
async def test_an_embedding_endpoint_is_served_and_recorded_as_embedding(
    model_factory,
    admin_project,
    provider_credential,
    endpoint_factory,
    admin_user,
    auth_api,
    budapp_client,
    gateway_api,
    metrics_api,
):
    """
    An embedding model deployed as an endpoint answers /v1/embeddings; budmetrics records that inference under
    the endpoint with endpoint_type embedding and the answer's input tokens.
    """
    since = moments_ago()
    model = await model_factory(endpoint="/v1/embeddings")
    record = await endpoint_factory(project=admin_project, model=model, credential=provider_credential)
    endpoint_id = record["workflow_steps"]["budserve_cluster_events"]["endpoint_id"]
    name = record["workflow_steps"]["endpoint_name"]
    key = await playground_key(budapp_client, await auth_api.valid_access_token(admin_user, margin=120))
    await gateway_api.wait_for_key(key, [name])

    answer = assert_status(await gateway_api.embeddings(key, name, "a sentence to embed"), 200)
    assert answer["object"] == "list" and [d["index"] for d in answer["data"]] == [0]
    assert answer["data"][0]["embedding"], "an empty embedding"
    [recorded] = await metrics_api.wait_for_inferences(since, 1, endpoint_id=endpoint_id)
    assert (recorded["endpoint_type"], recorded["project_id"], recorded["model_id"]) == (
        "embedding",
        admin_project["id"],
        model["id"],
    )
    assert recorded["input_tokens"] == answer["usage"]["prompt_tokens"]


@pytest.mark.priority_p1
async def test_a_playground_key_expires_with_its_access_token(
    budapp_client, auth_api, admin_user, admin_project, gateway_redis
):
    """
    A user's access token becomes a gateway key for exactly the token's remaining lifetime.

    Flow: POST /playground/initialize-with-token answers that lifetime as ttl and expires_in; the gateway's
    record of the key (api_key:<hash> in its Redis) expires when the token does, not later.
    """
    token = await auth_api.valid_access_token(admin_user, margin=120)
    register_secret(token)
    before = seconds_left(token)
    body = assert_status(await initialize_playground(budapp_client, token), 200)
    expires_in_redis = await gateway_redis.ttl(key_record_name(token))
    after = seconds_left(token)
    assert (body["initialization_status"], body["expires_in"]) == ("success", body["ttl"])
    assert body["message"] == "Playground session initialized successfully with access token (cross-app SSO)"
    assert int(after) - 1 <= body["ttl"] <= before + 1, f"ttl {body['ttl']} for a token valid {before:.0f}s more"
    assert int(after) - 1 <= expires_in_redis <= before + 1, (
        f"the gateway keeps the key {expires_in_redis}s, the token is valid {after:.0f}s more"
    )
