"""budgateway ↔ ClickHouse ↔ budmetrics: every answered request is recorded once, where budmetrics reads it."""

import uuid

import pytest

from helpers.assertions import assert_status
from helpers.metrics import moments_ago

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.mark.priority_p1
async def test_each_inference_is_one_row_in_clickhouse_and_in_metrics(
    test_endpoint, gateway_key, gateway_api, metrics_api, clickhouse_client,
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
        "WHERE endpoint_id = {endpoint:UUID}", parameters={"endpoint": uuid.UUID(test_endpoint["id"])}).result_rows
    assert sorted(r[0] for r in rows) == sorted(ids)


@pytest.mark.priority_p1
async def test_gateway_refusals_follow_the_openai_error_shape(gateway_api, gateway_key, test_endpoint):
    """Missing key, unknown key, missing model and unknown model each get the documented error."""
    cases = [
        (await gateway_api.chat(None, test_endpoint["name"], "hi"), 401, "Missing authorization header"),
        (await gateway_api.chat("bud_client_" + "x" * 43, test_endpoint["name"], "hi"), 401, "Invalid API key"),
        (await gateway_api.gateway.post("/v1/chat/completions", json={"messages": []}, token=gateway_key), 400,
         "Missing model name in request body"),
        (await gateway_api.chat(gateway_key, "no-such-endpoint", "hi"), 404, "Model not found: no-such-endpoint"),
    ]
    for response, status, message in cases:
        assert response.status_code == status, f"expected {status} for {message!r}, got {response.status_code}"
        assert response.json() == {"error": {"message": message, "type": "invalid_request_error", "code": status}}


@pytest.mark.priority_p2
async def test_embeddings_on_a_chat_endpoint_are_refused(gateway_api, gateway_key, test_endpoint):
    """A chat model has no /v1/embeddings: 400, naming the model by its endpoint id and the missing capability."""
    response = await gateway_api.embeddings(gateway_key, test_endpoint["name"], "text")
    assert response.status_code == 400, f"expected 400, got {response.status_code}: {response.text[:300]}"
    assert response.json() == {"error": f"Model `{test_endpoint['id']}` is not configured to support capability "
                                        "`embedding`. Add `endpoints = [\"embedding\"]` to the model configuration."}
