"""The sidecar's HTTP API as daprd serves it to budapp: outbound health, metadata, ``//`` paths, state with
ETags, CloudEvent pass-through, unknown app ids and the app API token on calls to budapp."""

import uuid
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sandbox.dapr import apps, sidecar
from sandbox.settings import SandboxSettings
from selftests.sandbox.isolated import free_ports, redis_url

# keys are unique per test, so the db is shared safely with parallel runs
REDIS_URL = redis_url(13)


class Recorder:
    def __init__(self):
        self.events = []

    def publish(self, event):
        self.events.append(event)
        return 1


@pytest.fixture
def settings(tmp_path):
    http_port, grpc_port = free_ports(2)
    return SandboxSettings(
        redis_url=REDIS_URL, dapr_port=http_port, dapr_grpc_port=grpc_port, state_dir=tmp_path, app_api_token=""
    )


@pytest.fixture
def client(settings):
    with TestClient(sidecar.create_app(settings)) as test_client:
        cast(FastAPI, test_client.app).state.topics = Recorder()
        yield test_client


def published(client):
    return client.app.state.topics.events


def test_outbound_health_and_metadata_also_under_a_double_slash(client):
    assert client.get("http://testserver//v1.0/healthz/outbound").status_code == 204
    assert client.get("/v1.0/healthz").status_code == 204
    body = client.get("http://testserver//v1.0/metadata", headers={"dapr-app-id": "budapp"}).json()
    assert body["id"] == "budapp"
    assert [(c["name"], c["type"]) for c in body["components"]] == [
        ("statestore", "state.redis"),
        ("pubsub", "pubsub.redis"),
    ]
    # budapp's register_service reads pubsubname, topic and deadLetterTopic of every subscription
    assert body["subscriptions"] == [
        {
            "pubsubname": "pubsub",
            "topic": "budAppMessages",
            "metadata": {},
            "type": "DECLARATIVE",
            "deadLetterTopic": "poisonMessages",
            "rules": [
                {"match": 'event.type == "credential_update"', "path": "/credentials/update"},
                {"match": "", "path": "/notifications"},
            ],
        }
    ]


def test_state_etags_first_write_and_bulk_reads(client):
    state, k = "/v1.0/state/statestore", f"k-{uuid.uuid4().hex}"
    assert client.post(state, json=[{"key": k, "value": {"a": 1}}]).status_code == 204
    read = client.get(f"{state}/{k}")
    assert read.json() == {"a": 1} and read.headers["etag"] == "1"
    stale = client.post(state, json=[{"key": k, "value": 2, "etag": "7"}])
    assert stale.status_code == 409 and stale.json()["errorCode"] == "ERR_STATE_SAVE"
    first = client.post(state, json=[{"key": k, "value": 3, "options": {"concurrency": "first-write"}}])
    assert first.status_code == 409
    assert client.post(state, json=[{"key": k, "value": 4, "etag": "1"}]).status_code == 204
    assert client.post(f"{state}/bulk", json={"keys": [k, "none"]}).json() == [
        {"key": k, "data": 4, "etag": "2"},
        {"key": "none"},
    ]
    assert client.delete(f"{state}/{k}", headers={"If-Match": "1"}).status_code == 409
    assert client.delete(f"{state}/{k}", headers={"If-Match": "2"}).status_code == 204
    assert client.get(f"{state}/{k}").status_code == 204


def test_a_cloudevent_publish_passes_through_with_topic_pubsub_and_trace_added(client):
    event = {"specversion": "1.0", "source": "budcluster", "type": "register_cluster", "data": {"k": 1}}
    answer = client.post(
        "/v1.0/publish/pubsub/budAppMessages", json=event, headers={"content-type": "application/cloudevents+json"}
    )
    assert answer.status_code == 204
    (delivered,) = published(client)
    assert set(delivered) == {*event, "topic", "pubsubname", "traceid", "traceparent", "tracestate"}
    assert {k: delivered[k] for k in (*event, "topic", "pubsubname")} == {
        **event,
        "topic": "budAppMessages",
        "pubsubname": "pubsub",
    }
    assert delivered["traceparent"].startswith("00-")


def test_a_plain_json_publish_is_wrapped_in_a_cloudevent(client):
    client.post(
        "/v1.0/publish/pubsub/budAppMessages?metadata.cloudevent.type=eta",
        json={"k": 1},
        headers={"dapr-app-id": "budsim"},
    )
    (event,) = published(client)
    assert {
        k: event[k] for k in ("specversion", "source", "topic", "pubsubname", "data", "datacontenttype", "type")
    } == {
        "specversion": "1.0",
        "source": "budsim",
        "topic": "budAppMessages",
        "pubsubname": "pubsub",
        "data": {"k": 1},
        "datacontenttype": "application/json",
        "type": "eta",
    }
    assert event["id"]


def test_an_app_without_a_stand_in_answers_like_daprd_at_once(client):
    answer = client.get("http://testserver//v1.0/invoke/budprompt/method/health")
    assert answer.status_code == 500 and answer.json()["errorCode"] == "ERR_DIRECT_INVOKE"
    assert "budprompt" in answer.json()["message"]


def test_calls_to_budapp_carry_the_app_api_token_instead_of_the_callers(tmp_path):
    with_token = SandboxSettings(app_api_token="app-token", state_dir=tmp_path)
    assert apps.app_headers(with_token, "budapp", {"dapr-api-token": "callers", "x-a": "1"}) == {
        "x-a": "1",
        "dapr-api-token": "app-token",
    }
    # other apps' sidecars carry no app token in the chart
    assert apps.app_headers(with_token, "budsim", {"dapr-api-token": "callers", "x-a": "1"}) == {"x-a": "1"}
    assert apps.app_headers(SandboxSettings(app_api_token="", state_dir=tmp_path), "budapp", {"x-a": "1"}) == {
        "x-a": "1"
    }


def test_the_token_falls_back_to_the_source_mode_keys(tmp_path):
    keys = tmp_path / "sandbox" / "budapp-source" / "keys"
    keys.mkdir(parents=True)
    (keys / "secrets.env").write_text("AES_KEY_HEX=00\nAPP_API_TOKEN=from-keys\n")
    assert apps.app_api_token(SandboxSettings(app_api_token="", state_dir=tmp_path)) == "from-keys"
